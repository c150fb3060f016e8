/* tenderctl methods [SERVICE] and tenderctl schema: the reflection service. */
#include <string.h>

#include "ctl.h"
#include "tender_schema.h"

static const char methods_usage[] =
    "usage: tenderctl methods [SERVICE]\n"
    "\n"
    "List the methods the server offers (of every service, or of SERVICE): full name,\n"
    "call kind (unary, server-stream, client-stream, bidi), the roles that may call it\n"
    "(\"public\": anyone, without a client certificate) and whether it is idempotent\n"
    "(safe to retry). --json prints an array of objects.\n";

static const char schema_usage[] =
    "usage: tenderctl schema\n"
    "\n"
    "Print the schema files the server was built from (the wire contract).\n"
    "--json prints an array of {\"name\", \"text\"} objects.\n";

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

/* Parse [--help] [global options] [one positional]. Returns -1 to go on,
 * or an exit code. */
static int parse_args(ctl_global *g, int argc, char **argv, const char *usage, const char **pos,
                      bool allow_pos)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return CTL_EXIT_OK;
        }
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || !allow_pos || *pos) {
            ctl_err("%s: unexpected argument \"%s\" (see tenderctl %s --help)", argv[0], argv[i],
                    argv[0]);
            return CTL_EXIT_USAGE;
        }
        *pos = argv[i];
    }
    return -1;
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

int cmd_methods(ctl_global *g, int argc, char **argv)
{
    const char *service = NULL;
    int rc = parse_args(g, argc, argv, methods_usage, &service, true);
    if (rc >= 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_reflection_v1_ListMethodsRequest req = {.service = (char *)(service ? service : "")};
    tender_reflection_v1_ListMethodsResponse resp;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_reflection_v1_Reflection_ListMethods_method, &req, &resp, NULL,
                         &st) != 0) {
        tnd_client_free(c);
        return ctl_status_fail(&st);
    }
    if (g->json) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < resp.n_methods; i++) {
            const tender_reflection_v1_MethodInfo *m = &resp.methods[i];
            json_t *roles = json_array();
            for (size_t r = 0; roles && r < m->n_roles; r++)
                json_array_append_new(roles, ctl_json_str(m->roles[r]));
            json_array_append_new(
                list, json_pack("{s:o,s:o,s:o,s:o,s:b,s:o,s:b}", "name", ctl_json_str(m->full_name),
                                "kind", ctl_json_str(kind_name(m->kind)), "request",
                                ctl_json_str(m->request_type), "response",
                                ctl_json_str(m->response_type), "public", m->public, "roles",
                                roles ? roles : json_array(), "idempotent", m->idempotent));
        }
        ctl_json_print(list);
    } else {
        int w = 6;
        for (size_t i = 0; i < resp.n_methods; i++) {
            int n = (int)strlen(resp.methods[i].full_name ? resp.methods[i].full_name : "");
            if (n > w)
                w = n;
        }
        printf("%-*s  %-13s  %-30s  %s\n", w, "METHOD", "KIND", "ROLES", "IDEMPOTENT");
        for (size_t i = 0; i < resp.n_methods; i++) {
            const tender_reflection_v1_MethodInfo *m = &resp.methods[i];
            char roles[200];
            print_roles(m, roles, sizeof roles);
            printf("%-*s  %-13s  %-30s  %s\n", w, m->full_name ? m->full_name : "",
                   kind_name(m->kind), roles, m->idempotent ? "yes" : "no");
        }
    }
    tender_reflection_v1_ListMethodsResponse_free(&resp);
    tnd_client_free(c);
    return CTL_EXIT_OK;
}

int cmd_schema(ctl_global *g, int argc, char **argv)
{
    const char *none = NULL;
    int rc = parse_args(g, argc, argv, schema_usage, &none, false);
    if (rc >= 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_common_v1_Empty req = {0};
    tender_reflection_v1_GetSchemaResponse resp;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_reflection_v1_Reflection_GetSchema_method, &req, &resp, NULL,
                         &st) != 0) {
        tnd_client_free(c);
        return ctl_status_fail(&st);
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
    tender_reflection_v1_GetSchemaResponse_free(&resp);
    tnd_client_free(c);
    return CTL_EXIT_OK;
}
