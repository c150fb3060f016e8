/* tender.reflection.v1.Reflection: the services, methods (kinds, roles,
 * idempotency) and the schema text this server was built from. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "tender_schema.h"

static void list_services(tnd_call *call, void *request)
{
    (void)request;
    const char *names[256];
    tender_reflection_v1_ListServicesResponse resp = {0};
    for (size_t i = 0; i < tnd_schema.n_services && i < 256; i++)
        names[resp.n_services++] = tnd_schema.services[i]->full_name;
    resp.services = (char **)names;
    if (tnd_call_send(call, &resp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static size_t fill_method(tender_reflection_v1_MethodInfo *mi, const tnd_method_desc *m,
                          char **roles)
{
    memset(mi, 0, sizeof *mi);
    mi->full_name = (char *)m->full_name;
    mi->kind = (tender_reflection_v1_CallKind)m->kind;
    mi->request_type = (char *)m->request->full_name;
    mi->response_type = (char *)m->response->full_name;
    mi->public = m->is_public;
    mi->idempotent = m->idempotent;
    mi->writes = m->writes;
    size_t n = 0;
    for (uint32_t bit = 1; bit <= TND_ROLE_LAST; bit <<= 1)
        if (m->roles & bit)
            roles[n++] = (char *)tnd_role_name(bit);
    mi->roles = roles;
    mi->n_roles = n;
    return n;
}

static void list_methods(tnd_call *call, void *request)
{
    const tender_reflection_v1_ListMethodsRequest *req = request;
    size_t total = 0;
    for (size_t i = 0; i < tnd_schema.n_services; i++)
        total += tnd_schema.services[i]->n_methods;
    tender_reflection_v1_MethodInfo *infos = calloc(total ? total : 1, sizeof *infos);
    char **roles = calloc(total ? total * 4 : 1, sizeof *roles);
    if (!infos || !roles) {
        free(infos);
        free(roles);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    size_t n = 0;
    bool found = !req->service || !*req->service;
    for (size_t i = 0; i < tnd_schema.n_services; i++) {
        const tnd_service_desc *s = tnd_schema.services[i];
        if (req->service && *req->service && strcmp(req->service, s->full_name) != 0)
            continue;
        found = true;
        for (size_t j = 0; j < s->n_methods; j++, n++)
            fill_method(&infos[n], &s->methods[j], roles + 4 * n);
    }
    if (!found) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "unknown service \"%s\"", req->service);
    } else {
        tender_reflection_v1_ListMethodsResponse resp = {.n_methods = n, .methods = infos};
        if (tnd_call_send(call, &resp) == 0)
            tnd_call_finish(call, TND_STATUS_OK, NULL);
    }
    free(infos);
    free(roles);
}

static void get_schema(tnd_call *call, void *request)
{
    (void)request;
    tender_reflection_v1_SchemaFile files[64];
    tender_reflection_v1_GetSchemaResponse resp = {.files = files};
    for (size_t i = 0; i < tnd_schema.n_files && i < 64; i++) {
        files[i].name = (char *)tnd_schema.files[i].name;
        files[i].text = (char *)tnd_schema.files[i].text;
        resp.n_files++;
    }
    if (tnd_call_send(call, &resp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static const tnd_handler reflection_handlers[] = {
    {.method = tender_reflection_v1_Reflection_ListServices_method, .on_message = list_services},
    {.method = tender_reflection_v1_Reflection_ListMethods_method, .on_message = list_methods},
    {.method = tender_reflection_v1_Reflection_GetSchema_method, .on_message = get_schema},
};

int tnd_reflection_register(tnd_server *srv)
{
    for (size_t i = 0; i < sizeof reflection_handlers / sizeof *reflection_handlers; i++) {
        int rc = tnd_server_register(srv, &reflection_handlers[i]);
        if (rc)
            return rc;
    }
    return 0;
}
