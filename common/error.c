/* Text and symbolic names of the TND_E* codes, generated from TND_ERRNO_MAP. */
#include "tender/error.h"

const char *tnd_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define TND_ERRNO_TEXT(name, value, msg)                                                           \
    case (value):                                                                                  \
        return (msg);
        TND_ERRNO_MAP(TND_ERRNO_TEXT)
#undef TND_ERRNO_TEXT
    default:
        return "unknown error";
    }
}

const char *tnd_err_name(int err)
{
    switch (err) {
    case 0:
        return "TND_OK";
#define TND_ERRNO_NAME(name, value, msg)                                                           \
    case (value):                                                                                  \
        return "TND_E" #name;
        TND_ERRNO_MAP(TND_ERRNO_NAME)
#undef TND_ERRNO_NAME
    default:
        return "TND_E?";
    }
}
