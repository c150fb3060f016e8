/* Names of gRPC status codes. */
#include <string.h>

#include "tender/status.h"

static const char *const status_names[] = {
#define TND_STATUS_NAME(name, value) [value] = #name,
    TND_STATUS_MAP(TND_STATUS_NAME)
#undef TND_STATUS_NAME
};

const char *tnd_status_name(int code)
{
    if (code < 0 || code >= (int)(sizeof status_names / sizeof *status_names))
        return "UNKNOWN_STATUS";
    return status_names[code];
}

int tnd_status_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
        if (strcmp(status_names[i], name) == 0)
            return (int)i;
    return -1;
}
