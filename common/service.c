/* Lookups over the generated service descriptors (service.h). */
#include <string.h>

#include "tender/service.h"

const char *tnd_role_name(uint32_t role_bit)
{
    switch (role_bit) {
#define TND_ROLE_TEXT(name, bit, text)                                                             \
    case 1u << (bit):                                                                              \
        return (text);
        TND_ROLE_MAP(TND_ROLE_TEXT)
#undef TND_ROLE_TEXT
    default:
        return NULL;
    }
}

/* Wire names are "package.Service/Method": compare the service part first so
 * a lookup touches only one service's methods. Schemas hold a few dozen
 * methods, so a linear scan is enough and needs no sorted table. */
const tnd_method_desc *tnd_schema_find_method(const tnd_schema_desc *s, const char *full_name)
{
    if (!s || !full_name)
        return NULL;
    const char *slash = strrchr(full_name, '/');
    if (!slash)
        return NULL;
    size_t svc_len = (size_t)(slash - full_name);
    for (size_t i = 0; i < s->n_services; i++) {
        const tnd_service_desc *svc = s->services[i];
        if (strlen(svc->full_name) != svc_len || memcmp(svc->full_name, full_name, svc_len) != 0)
            continue;
        for (size_t j = 0; j < svc->n_methods; j++)
            if (strcmp(svc->methods[j].full_name, full_name) == 0)
                return &svc->methods[j];
    }
    return NULL;
}
