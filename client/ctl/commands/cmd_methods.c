/* tenderctl methods [SERVICE] and tenderctl schema: the reflection service. */
#include <string.h>

#include "cli/ctl.h"
#include "commands.h"
#include "tender_schema.h"

static const char *kind_name(int k)
{
    switch (k) {
    case tender_reflection_v1_CallKind_UNARY:
        return "unary";
    case tender_reflection_v1_CallKind_SERVER_STREAM:
        return "server-stream";
    case tender_reflection_v1_CallKind_CLIENT_STREAM:
        return "client-stream";
    case tender_reflection_v1_CallKind_BIDI:
        return "bidi";
    }
    return "unknown";
}

static void print_roles(const tender_reflection_v1_MethodInfo *m, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    if (m->public) {
        snprintf(buf, len, "public");
        return;
    }
    for (size_t r = 0; r < m->n_roles && at < len; r++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", r ? "," : "", m->roles[r]);
    if (!buf[0])
        snprintf(buf, len, "-");
}

static int methods(ctl_global *g, const ctl_call *call)
{
    const char *service = call->n_pos ? call->pos[0] : NULL;
    int rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_reflection_v1_ListMethodsRequest req = {.service =
                                                       ctl_str(call, service ? service : "")};
    tender_reflection_v1_ListMethodsResponse resp;
    tnd_status_info st;
    if (!req.service) {
        tnd_client_free(c);
        return ctl_oom();
    }
    if (tender_reflection_v1_Reflection_ListMethods_in(c, call->arena, &req, &resp, NULL, &st) !=
        0) {
        tnd_client_free(c);
        return ctl_reply_fail(call->arena, &st);
    }
    if (g->json) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < resp.n_methods; i++) {
            const tender_reflection_v1_MethodInfo *m = &resp.methods[i];
            json_t *roles = json_array();
            for (size_t r = 0; roles && r < m->n_roles; r++)
                json_array_append_new(roles, ctl_json_str(m->roles[r]));
            json_array_append_new(
                list, json_pack("{s:o,s:o,s:o,s:o,s:b,s:o,s:b,s:b}", "name",
                                ctl_json_str(m->full_name), "kind",
                                ctl_json_str(kind_name(m->kind)), "request",
                                ctl_json_str(m->request_type), "response",
                                ctl_json_str(m->response_type), "public", m->public, "roles",
                                roles ? roles : json_array(), "idempotent", m->idempotent,
                                "writes", m->writes));
        }
        ctl_json_print(list);
    } else {
        int w = 6;
        for (size_t i = 0; i < resp.n_methods; i++) {
            int n = (int)strlen(resp.methods[i].full_name ? resp.methods[i].full_name : "");
            if (n > w)
                w = n;
        }
        printf("%-*s  %-13s  %-30s  %-10s  %s\n", w, "METHOD", "KIND", "ROLES", "IDEMPOTENT",
               "WRITES");
        for (size_t i = 0; i < resp.n_methods; i++) {
            const tender_reflection_v1_MethodInfo *m = &resp.methods[i];
            char roles[200];
            print_roles(m, roles, sizeof roles);
            printf("%-*s  %-13s  %-30s  %-10s  %s\n", w, m->full_name ? m->full_name : "",
                   kind_name(m->kind), roles, m->idempotent ? "yes" : "no",
                   m->writes ? "yes" : "no");
        }
    }
    tnd_client_free(c);
    return CTL_EXIT_OK;
}

static int schema(ctl_global *g, const ctl_call *call)
{
    int rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_common_v1_Empty req = {0};
    tender_reflection_v1_GetSchemaResponse resp;
    tnd_status_info st;
    if (tender_reflection_v1_Reflection_GetSchema_in(c, call->arena, &req, &resp, NULL, &st) != 0) {
        tnd_client_free(c);
        return ctl_reply_fail(call->arena, &st);
    }
    json_t *list = g->json ? json_array() : NULL;
    for (size_t i = 0; i < resp.n_files; i++) {
        const tender_reflection_v1_SchemaFile *f = &resp.files[i];
        if (g->json) {
            json_array_append_new(list, json_pack("{s:o,s:o}", "name", ctl_json_str(f->name),
                                                  "text", ctl_json_str(f->text)));
            continue;
        }
        const char *text = f->text ? f->text : "";
        size_t n = strlen(text);
        printf("%s// ---- %s ----\n%s%s", i ? "\n" : "", f->name ? f->name : "?", text,
               n && text[n - 1] != '\n' ? "\n" : "");
    }
    if (g->json)
        ctl_json_print(list);
    tnd_client_free(c);
    return CTL_EXIT_OK;
}

const ctl_cmd ctl_cmd_methods = {
    .name = "methods",
    .synopsis = "[_SERVICE_]",
    .summary = "the methods the server offers",
    .about = "The methods the server offers (of every service, or of _SERVICE_): full name, call\n"
             "kind (unary, server-stream, client-stream, bidi), the roles that may call it\n"
             "(\"public\": anyone, without a client certificate), whether it is idempotent\n"
             "(safe to retry) and whether it writes (only the writer node of a replicated group\n"
             "serves it). *--json* prints an array of objects.",
    .max_pos = 1,
    .pos_values = "tender.health.v1.Health tender.tenders.v1.Tenders tender.bids.v1.Bids "
                  "tender.log.v1.Log tender.awards.v1.Awards tender.reflection.v1.Reflection",
    .run = methods,
};

const ctl_cmd ctl_cmd_schema = {
    .name = "schema",
    .summary = "the schema text the server was built from",
    .about = "The schema files the server was built from (the wire contract). *--json* prints an\n"
             "array of {\"name\", \"text\"} objects.",
    .run = schema,
};
