/* The generated header: C types, descriptor declarations and typed wrappers. */
#include <ctype.h>

#include "schemac.h"

static void emit_guard_name(sc_buf *out, const char *schema_name)
{
    sc_buf_puts(out, "SCHEMAC_");
    for (const char *c = schema_name; *c; c++) {
        char u = (char)toupper((unsigned char)*c);
        sc_buf_put(out, &u, 1);
    }
    sc_buf_puts(out, "_H");
}

static void emit_enum(sc_buf *out, const sc_enum *e)
{
    sc_buf_printf(out, "typedef enum %s {\n", e->cname);
    for (size_t i = 0; i < e->values.n; i++) {
        const sc_enum_value *v = e->values.items[i];
        /* -2147483648 is not an int literal in C: it is the negation of a long. */
        if (v->number == INT32_MIN)
            sc_buf_printf(out, "    %s_%s = (-2147483647 - 1),\n", e->cname, v->name);
        else
            sc_buf_printf(out, "    %s_%s = %lld,\n", e->cname, v->name, (long long)v->number);
    }
    sc_buf_printf(out, "} %s;\n\n", e->cname);
}

/* "T name" with the pointer star attached to the name, as .clang-format wants. */
static void emit_member(sc_buf *out, const char *type, bool ptr, const char *name)
{
    sc_buf_printf(out, "    %s %s%s;\n", type, ptr ? "*" : "", name);
}

static void emit_field(sc_buf *out, const sc_field *f)
{
    sc_buf elem = {0};
    sc_gen_elem_type(&elem, &f->type);
    /* "char *" already carries its star: strip the trailing " *" and count it. */
    bool is_str = f->type.kind == SC_K_STRING;
    const char *base = is_str ? "char" : elem.data;
    switch (f->label) {
    case SC_L_OPTIONAL:
        sc_buf_printf(out, "    bool has_%s;\n", f->name);
        emit_member(out, base, is_str, f->cname);
        break;
    case SC_L_SINGULAR:
        emit_member(out, base, is_str || f->type.kind == SC_K_MESSAGE, f->cname);
        break;
    case SC_L_REPEATED:
        sc_buf_printf(out, "    size_t n_%s;\n", f->name);
        sc_buf_printf(out, "    %s *%s%s;\n", base, is_str ? "*" : "", f->cname);
        break;
    case SC_L_MAP:
        sc_buf_printf(out, "    size_t n_%s;\n", f->name);
        emit_member(out, f->entry_cname, true, f->cname);
        break;
    }
    sc_buf_free(&elem);
}

static void emit_struct(sc_buf *out, const sc_message *m)
{
    sc_buf_printf(out, "struct %s {\n", m->cname);
    for (size_t i = 0; i < m->fields.n; i++)
        emit_field(out, m->fields.items[i]);
    if (m->fields.n == 0)
        sc_buf_puts(out, "    char tnd_empty_; /* C has no empty structs */\n");
    sc_buf_puts(out, "};\n\n");
}

static void emit_entry(sc_buf *out, const sc_field *f)
{
    sc_buf_printf(out, "struct %s {\n    char *key;\n", f->entry_cname);
    if (f->type.kind == SC_K_STRING) {
        sc_buf_puts(out, "    char *value;\n");
    } else {
        sc_buf_puts(out, "    ");
        sc_gen_elem_type(out, &f->type);
        sc_buf_puts(out, " value;\n");
    }
    sc_buf_puts(out, "};\n\n");
}

static void emit_upper(sc_buf *out, const char *s)
{
    for (const char *c = s; *c; c++) {
        char u = (char)toupper((unsigned char)*c);
        sc_buf_put(out, &u, 1);
    }
}

/* The limits written in the schema as named constants, so that code sizing
 * a buffer or a chunk uses the schema's number: MSG_FIELD_MAX_LEN,
 * MSG_FIELD_MAX_COUNT and MSG_FIELD_LEN (an exact length). */
static void emit_limits(sc_buf *out, const sc_message *m)
{
    for (size_t i = 0; i < m->fields.n; i++) {
        const sc_field *f = m->sorted[i];
        const char *what[3] = {f->explicit_max_len ? "MAX_LEN" : NULL,
                               f->max_count ? "MAX_COUNT" : NULL, f->len ? "LEN" : NULL};
        const uint32_t value[3] = {f->max_len, f->max_count, f->len};
        for (int k = 0; k < 3; k++) {
            if (!what[k])
                continue;
            sc_buf_puts(out, "#define ");
            emit_upper(out, m->cname);
            sc_buf_puts(out, "_");
            emit_upper(out, f->name);
            sc_buf_printf(out, "_%s %uu\n", what[k], value[k]);
        }
    }
}

static void emit_wrappers(sc_buf *out, const sc_message *m)
{
    const char *c = m->cname;
    sc_buf_printf(out,
                  "static inline void %s_init(%s *m)\n{\n    tnd_msg_init(&%s_desc, m);\n}\n\n", c,
                  c, c);
    sc_buf_printf(out,
                  "static inline void %s_free(%s *m)\n{\n    tnd_msg_free(&%s_desc, m);\n}\n\n", c,
                  c, c);
    sc_buf_printf(out,
                  "TND_MUST_CHECK static inline int\n"
                  "%s_encode(const %s *m, uint8_t **out, size_t *len, tnd_codec_err *err)\n"
                  "{\n    return tnd_msg_encode(&%s_desc, m, out, len, err);\n}\n\n",
                  c, c, c);
    sc_buf_printf(out,
                  "TND_MUST_CHECK static inline int\n"
                  "%s_decode(%s *m, const uint8_t *data, size_t len, tnd_codec_err *err)\n"
                  "{\n    return tnd_msg_decode(&%s_desc, data, len, m, err);\n}\n\n",
                  c, c, c);
    sc_buf_printf(out,
                  "TND_MUST_CHECK static inline int\n"
                  "%s_check(const %s *m, tnd_codec_err *err)\n"
                  "{\n    return tnd_msg_check_rules(&%s_desc, m, err);\n}\n\n",
                  c, c, c);
}

static void emit_types(sc_buf *out, const sc_schema *s)
{
    for (size_t i = 0; i < s->messages.n; i++) {
        const sc_message *m = s->messages.items[i];
        sc_buf_printf(out, "typedef struct %s %s;\n", m->cname, m->cname);
        for (size_t j = 0; j < m->fields.n; j++) {
            const sc_field *f = m->fields.items[j];
            if (f->label == SC_L_MAP)
                sc_buf_printf(out, "typedef struct %s %s;\n", f->entry_cname, f->entry_cname);
        }
    }
    if (s->messages.n)
        sc_buf_puts(out, "\n");
    for (size_t i = 0; i < s->enums.n; i++)
        emit_enum(out, s->enums.items[i]);
    for (size_t i = 0; i < s->messages.n; i++)
        emit_struct(out, s->messages.items[i]);
    /* Entries hold message values inline, so every message struct must be complete first. */
    for (size_t i = 0; i < s->messages.n; i++) {
        const sc_message *m = s->messages.items[i];
        for (size_t j = 0; j < m->fields.n; j++) {
            const sc_field *f = m->fields.items[j];
            if (f->label == SC_L_MAP)
                emit_entry(out, f);
        }
    }
}

static void emit_descriptors(sc_buf *out, const sc_schema *s, const char *schema_name)
{
    for (size_t i = 0; i < s->enums.n; i++) {
        const sc_enum *e = s->enums.items[i];
        sc_buf_printf(out, "extern const tnd_enum_desc %s_desc;\n", e->cname);
    }
    for (size_t i = 0; i < s->messages.n; i++) {
        const sc_message *m = s->messages.items[i];
        sc_buf_printf(out, "extern const tnd_msg_desc %s_desc;\n", m->cname);
    }
    for (size_t i = 0; i < s->services.n; i++) {
        const sc_service *v = s->services.items[i];
        sc_buf_puts(out, "\n");
        if (v->methods.n)
            sc_buf_printf(out, "extern const tnd_method_desc %s_methods[%zu];\n", v->cname,
                          v->methods.n);
        sc_buf_printf(out, "extern const tnd_service_desc %s_service;\n", v->cname);
        for (size_t j = 0; j < v->methods.n; j++) {
            const sc_method *m = v->methods.items[j];
            sc_buf_printf(out, "#define %s_%s_method (&%s_methods[%zu])\n", v->cname, m->name,
                          v->cname, j);
        }
    }
    sc_buf_printf(out,
                  "\n/* Everything in this contract, for the server and reflection. */\n"
                  "extern const tnd_schema_desc %s;\n\n",
                  schema_name);
}

/* Typed client stubs for one method: thin inline calls into libtender's
 * generic client API (include/tender/client.h), so callers get the
 * request and response types checked by the compiler. */
static void emit_stubs(sc_buf *out, const sc_service *v, const sc_method *m)
{
    const char *svc = v->cname, *req = m->req.msg->cname, *resp = m->resp.msg->cname;
    sc_buf_printf(out, "/* %s/%s */\n", v->full_name, m->name);
    sc_buf_printf(out,
                  "TND_MUST_CHECK static inline int\n"
                  "%s_%s_start(tnd_client *c, const tnd_call_opts *opts, const tnd_call_cb *cb,\n"
                  "    void *user, tnd_client_call **out)\n{\n"
                  "    return tnd_client_call_start(c, %s_%s_method, opts, cb, user, out);\n}\n\n",
                  svc, m->name, svc, m->name);
    if (!m->req_stream && !m->resp_stream) {
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s(tnd_client *c, const %s *req, %s *resp, const tnd_call_opts *opts,\n"
                      "    tnd_status_info *st)\n{\n"
                      "    return tnd_client_unary(c, %s_%s_method, req, resp, opts, st);\n}\n\n",
                      svc, m->name, req, resp, svc, m->name);
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s_in(tnd_client *c, tnd_arena *arena, const %s *req, %s *resp,\n"
                      "    const tnd_call_opts *opts, tnd_status_info *st)\n{\n"
                      "    return tnd_client_unary_in(c, %s_%s_method, arena, req, resp, opts, "
                      "st);\n}\n\n",
                      svc, m->name, req, resp, svc, m->name);
        return;
    }
    if (!m->req_stream)
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s_open(tnd_client *c, const %s *req, const tnd_call_opts *opts,\n"
                      "    tnd_client_stream **out, tnd_status_info *st)\n{\n"
                      "    return tnd_client_stream_open(c, %s_%s_method, req, opts, out, st);\n"
                      "}\n\n",
                      svc, m->name, req, svc, m->name);
    else
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s_open(tnd_client *c, const tnd_call_opts *opts, tnd_client_stream **out,\n"
                      "    tnd_status_info *st)\n{\n"
                      "    return tnd_client_stream_open(c, %s_%s_method, NULL, opts, out, st);\n"
                      "}\n\n"
                      "static inline int\n"
                      "%s_%s_send(tnd_client_stream *s, const %s *req, tnd_status_info *st)\n{\n"
                      "    return tnd_client_stream_send(s, req, st);\n}\n\n",
                      svc, m->name, svc, m->name, svc, m->name, req);
    if (m->resp_stream)
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s_next(tnd_client_stream *s, %s *resp, tnd_status_info *st)\n{\n"
                      "    return tnd_client_stream_next(s, resp, st);\n}\n\n",
                      svc, m->name, resp);
    else
        sc_buf_printf(out,
                      "static inline int\n"
                      "%s_%s_finish(tnd_client_stream *s, %s *resp, tnd_status_info *st)\n{\n"
                      "    return tnd_client_stream_finish(s, resp, st);\n}\n\n",
                      svc, m->name, resp);
}

void sc_gen_header(sc_buf *out, const sc_schema *s, const char *schema_name)
{
    sc_gen_banner(out, s);
    sc_buf_puts(out, "#ifndef ");
    emit_guard_name(out, schema_name);
    sc_buf_puts(out, "\n#define ");
    emit_guard_name(out, schema_name);
    sc_buf_puts(out, "\n\n#include \"tender/client.h\"\n#include \"tender/codec.h\"\n"
                     "#include \"tender/service.h\"\n\n");
    emit_types(out, s);
    emit_descriptors(out, s, schema_name);
    size_t limits_at = out->len;
    for (size_t i = 0; i < s->messages.n; i++)
        emit_limits(out, s->messages.items[i]);
    if (out->len > limits_at)
        sc_buf_puts(out, "\n");
    for (size_t i = 0; i < s->messages.n; i++)
        emit_wrappers(out, s->messages.items[i]);
    if (s->services.n)
        sc_buf_puts(out, "/* ---- typed client stubs (include/tender/client.h) ---- */\n\n");
    for (size_t i = 0; i < s->services.n; i++) {
        const sc_service *v = s->services.items[i];
        for (size_t j = 0; j < v->methods.n; j++)
            emit_stubs(out, v, v->methods.items[j]);
    }
    sc_buf_puts(out, "#endif\n");
}
