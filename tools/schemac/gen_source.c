/* The generated source: descriptor tables for enums, messages, services and the schema. */
#include <inttypes.h>
#include <string.h>

#include "schemac.h"

static const char *const ftype_names[] = {
    [SC_K_BOOL] = "TND_T_BOOL",     [SC_K_INT32] = "TND_T_INT32",
    [SC_K_INT64] = "TND_T_INT64",   [SC_K_UINT32] = "TND_T_UINT32",
    [SC_K_UINT64] = "TND_T_UINT64", [SC_K_DOUBLE] = "TND_T_DOUBLE",
    [SC_K_STRING] = "TND_T_STRING", [SC_K_BYTES] = "TND_T_BYTES",
    [SC_K_ENUM] = "TND_T_ENUM",     [SC_K_MESSAGE] = "TND_T_MESSAGE",
};

static const char *const label_names[] = {
    [SC_L_SINGULAR] = "TND_L_SINGULAR",
    [SC_L_OPTIONAL] = "TND_L_OPTIONAL",
    [SC_L_REPEATED] = "TND_L_REPEATED",
    [SC_L_MAP] = "TND_L_MAP",
};

static void emit_enum(sc_buf *out, const sc_enum *e)
{
    sc_buf_printf(out,
                  "_Static_assert(sizeof(%s) == sizeof(int32_t), \"the codec stores enums as "
                  "int32_t\");\n\n",
                  e->cname);
    sc_buf_printf(out, "static const tnd_enum_value %s_values[] = {\n", e->cname);
    for (size_t i = 0; i < e->values.n; i++) {
        const sc_enum_value *v = e->values.items[i];
        sc_buf_printf(out, "    {\"%s\", %s_%s},\n", v->name, e->cname, v->name);
    }
    sc_buf_puts(out, "};\n\n");
    sc_buf_printf(out,
                  "const tnd_enum_desc %s_desc = {\n"
                  "    .full_name = \"%s\",\n"
                  "    .n_values = %zu,\n"
                  "    .values = %s_values,\n"
                  "};\n\n",
                  e->cname, e->full_name, e->values.n, e->cname);
}

static void emit_field(sc_buf *out, const sc_message *m, const sc_field *f)
{
    const char *c = m->cname;
    sc_buf_printf(out, "    {\n        .number = %lld,\n        .name = \"%s\",\n",
                  (long long)f->number, f->name);
    sc_buf_printf(out, "        .type = %s,\n        .label = %s,\n", ftype_names[f->type.kind],
                  label_names[f->label]);
    sc_buf_printf(out, "        .offset = offsetof(%s, %s),\n", c, f->cname);
    if (f->label == SC_L_OPTIONAL)
        sc_buf_printf(out, "        .aux_offset = offsetof(%s, has_%s),\n", c, f->name);
    if (f->label == SC_L_REPEATED) {
        sc_buf_printf(out, "        .aux_offset = offsetof(%s, n_%s),\n", c, f->name);
        sc_buf_puts(out, "        .elem_size = sizeof(");
        sc_gen_elem_type(out, &f->type);
        sc_buf_puts(out, "),\n");
    }
    if (f->label == SC_L_MAP) {
        sc_buf_printf(out, "        .aux_offset = offsetof(%s, n_%s),\n", c, f->name);
        sc_buf_printf(out, "        .elem_size = sizeof(%s),\n", f->entry_cname);
        sc_buf_printf(out, "        .map_value_offset = offsetof(%s, value),\n", f->entry_cname);
    }
    if (f->type.kind == SC_K_MESSAGE)
        sc_buf_printf(out, "        .msg = &%s_desc,\n", f->type.msg->cname);
    if (f->type.kind == SC_K_ENUM)
        sc_buf_printf(out, "        .enm = &%s_desc,\n", f->type.enm->cname);
    if (f->max_len)
        sc_buf_printf(out, "        .max_len = %" PRIu32 ",\n", f->max_len);
    if (f->max_count)
        sc_buf_printf(out, "        .max_count = %" PRIu32 ",\n", f->max_count);
    if (f->required)
        sc_buf_puts(out, "        .required = true,\n");
    if (f->required_msg) {
        /* The lexer let through no '"' or '\\'; '?' is escaped against trigraphs. */
        sc_buf_puts(out, "        .required_msg = \"");
        for (const char *ch = f->required_msg; *ch; ch++)
            sc_buf_puts(out, *ch == '?' ? "\\?" : (char[]){*ch, '\0'});
        sc_buf_puts(out, "\",\n");
    }
    if (f->len)
        sc_buf_printf(out, "        .len = %" PRIu32 ",\n", f->len);
    sc_buf_puts(out, "    },\n");
}

static void emit_message(sc_buf *out, const sc_message *m)
{
    if (m->fields.n) {
        sc_buf_printf(out, "static const tnd_field_desc %s_fields[] = {\n", m->cname);
        for (size_t i = 0; i < m->fields.n; i++)
            emit_field(out, m, m->sorted[i]);
        sc_buf_puts(out, "};\n\n");
    }
    sc_buf_printf(out,
                  "const tnd_msg_desc %s_desc = {\n"
                  "    .full_name = \"%s\",\n"
                  "    .size = sizeof(%s),\n"
                  "    .n_fields = %zu,\n",
                  m->cname, m->full_name, m->cname, m->fields.n);
    if (m->fields.n)
        sc_buf_printf(out, "    .fields = %s_fields,\n", m->cname);
    else
        sc_buf_puts(out, "    .fields = NULL,\n");
    sc_buf_puts(out, "};\n\n");
}

static const char *call_kind(const sc_method *m)
{
    if (m->req_stream)
        return m->resp_stream ? "TND_CALL_BIDI" : "TND_CALL_CLIENT_STREAM";
    return m->resp_stream ? "TND_CALL_SERVER_STREAM" : "TND_CALL_UNARY";
}

static void emit_roles(sc_buf *out, uint32_t roles)
{
    if (!roles) {
        sc_buf_puts(out, "0");
        return;
    }
    bool first = true;
    for (size_t i = 0; i < sc_n_roles; i++) {
        if (roles & (1u << i)) {
            sc_buf_printf(out, "%s%s", first ? "" : " | ", sc_roles[i].macro);
            first = false;
        }
    }
}

static void emit_service(sc_buf *out, const sc_service *v)
{
    if (v->methods.n) {
        sc_buf_printf(out, "const tnd_method_desc %s_methods[%zu] = {\n", v->cname, v->methods.n);
        for (size_t i = 0; i < v->methods.n; i++) {
            const sc_method *m = v->methods.items[i];
            sc_buf_printf(out,
                          "    {\n"
                          "        .full_name = \"%s/%s\",\n"
                          "        .name = \"%s\",\n"
                          "        .kind = %s,\n"
                          "        .request = &%s_desc,\n"
                          "        .response = &%s_desc,\n"
                          "        .roles = ",
                          v->full_name, m->name, m->name, call_kind(m), m->req.msg->cname,
                          m->resp.msg->cname);
            emit_roles(out, m->roles);
            sc_buf_printf(out,
                          ",\n        .is_public = %s,\n        .idempotent = %s,\n"
                          "        .writes = %s,\n    },\n",
                          m->is_public ? "true" : "false", m->idempotent ? "true" : "false",
                          m->writes ? "true" : "false");
        }
        sc_buf_puts(out, "};\n\n");
    }
    sc_buf_printf(out,
                  "const tnd_service_desc %s_service = {\n"
                  "    .full_name = \"%s\",\n"
                  "    .n_methods = %zu,\n"
                  "    .methods = %s%s,\n"
                  "};\n\n",
                  v->cname, v->full_name, v->methods.n, v->methods.n ? v->cname : "NULL",
                  v->methods.n ? "_methods" : "");
}

/* A "static const T *const NAME_suffix[] = {...};" table, or nothing when empty. */
static void emit_table(sc_buf *out, const char *type, const char *schema_name, const char *suffix,
                       const sc_vec *items, size_t cname_offset, const char *item_suffix)
{
    if (!items->n)
        return;
    sc_buf_printf(out, "static const %s *const %s_%s[] = {\n", type, schema_name, suffix);
    for (size_t i = 0; i < items->n; i++) {
        const char *cname = *(const char *const *)((const char *)items->items[i] + cname_offset);
        sc_buf_printf(out, "    &%s%s,\n", cname, item_suffix);
    }
    sc_buf_puts(out, "};\n\n");
}

static void emit_schema(sc_buf *out, const sc_schema *s, const char *n)
{
    emit_table(out, "tnd_service_desc", n, "services", &s->services, offsetof(sc_service, cname),
               "_service");
    emit_table(out, "tnd_msg_desc", n, "messages", &s->messages, offsetof(sc_message, cname),
               "_desc");
    emit_table(out, "tnd_enum_desc", n, "enums", &s->enums, offsetof(sc_enum, cname), "_desc");
    sc_buf_printf(out, "static const tnd_schema_file %s_files[] = {\n", n);
    for (size_t i = 0; i < s->files.n; i++) {
        const sc_file *f = s->files.items[i];
        sc_buf_puts(out, "    {\n        .name = ");
        sc_gen_c_string(out, f->basename, strlen(f->basename), "                ");
        sc_buf_puts(out, ",\n        .text = ");
        sc_gen_c_string(out, f->text, f->len, "                ");
        sc_buf_puts(out, ",\n    },\n");
    }
    sc_buf_puts(out, "};\n\n");
    sc_buf_printf(out, "const tnd_schema_desc %s = {\n", n);
    sc_buf_printf(out, "    .n_services = %zu,\n    .services = %s%s,\n", s->services.n,
                  s->services.n ? n : "NULL", s->services.n ? "_services" : "");
    sc_buf_printf(out, "    .n_messages = %zu,\n    .messages = %s%s,\n", s->messages.n,
                  s->messages.n ? n : "NULL", s->messages.n ? "_messages" : "");
    sc_buf_printf(out, "    .n_enums = %zu,\n    .enums = %s%s,\n", s->enums.n,
                  s->enums.n ? n : "NULL", s->enums.n ? "_enums" : "");
    sc_buf_printf(out, "    .n_files = %zu,\n    .files = %s_files,\n};\n", s->files.n, n);
}

void sc_gen_source(sc_buf *out, const sc_schema *s, const char *schema_name,
                   const char *header_basename)
{
    sc_gen_banner(out, s);
    sc_buf_puts(out, "#include <stddef.h>\n\n#include \"");
    sc_buf_puts(out, header_basename);
    sc_buf_puts(out, "\"\n\n");
    for (size_t i = 0; i < s->enums.n; i++)
        emit_enum(out, s->enums.items[i]);
    for (size_t i = 0; i < s->messages.n; i++)
        emit_message(out, s->messages.items[i]);
    for (size_t i = 0; i < s->services.n; i++)
        emit_service(out, s->services.items[i]);
    emit_schema(out, s, schema_name);
}
