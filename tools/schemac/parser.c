/* Recursive-descent parser: one file's tokens into AST nodes appended to the schema.
 *
 * Keywords are contextual: "public" or "map" are fine as field names. Syntax
 * errors stop the file; errors that leave the AST intact (a bad role, a
 * missing access option) are recorded and parsing goes on.
 */
#include <stdio.h>
#include <string.h>

#include "lexer.h"

typedef struct parser {
    sc_arena *a;
    sc_diags *d;
    sc_file *file;
    sc_schema *s;
    sc_lexer lx;
    sc_token cur;
    sc_token next; /* valid when have_next: lexed only on demand so errors stay in order */
    bool have_next;
} parser;

/* Words that start declarations or are types: never the name of a declaration. */
static const char *const reserved_words[] = {
    "package", "message", "enum",  "service", "rpc",    "returns", "stream", "optional", "repeated",
    "map",     "bool",    "int32", "int64",   "uint32", "uint64",  "double", "string",   "bytes",
};

const sc_role sc_roles[] = {
    {"officer", "TND_ROLE_OFFICER"},
    {"supplier", "TND_ROLE_SUPPLIER"},
    {"auditor", "TND_ROLE_AUDITOR"},
    {"admin", "TND_ROLE_ADMIN"},
    {"reviewer", "TND_ROLE_REVIEWER"},
};
const size_t sc_n_roles = sizeof(sc_roles) / sizeof(sc_roles[0]);

static int advance(parser *p)
{
    if (p->have_next) {
        p->cur = p->next;
        p->have_next = false;
        return 0;
    }
    return sc_lex_next(&p->lx, &p->cur);
}

static const sc_token *peek2(parser *p)
{
    if (!p->have_next) {
        if (sc_lex_next(&p->lx, &p->next) < 0)
            return NULL;
        p->have_next = true;
    }
    return &p->next;
}

static bool is_punct(const sc_token *t, char c)
{
    return t->kind == SC_TOK_PUNCT && t->punct == c;
}

static bool is_word(const sc_token *t, const char *w)
{
    return t->kind == SC_TOK_IDENT && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

static int unexpected(parser *p, const char *expected)
{
    char buf[64];
    sc_error(p->d, p->cur.loc, "expected %s, found %s", expected,
             sc_tok_describe(&p->cur, buf, sizeof(buf)));
    return -1;
}

static int expect_punct(parser *p, char c)
{
    if (!is_punct(&p->cur, c)) {
        char what[8];
        snprintf(what, sizeof(what), "'%c'", c);
        return unexpected(p, what);
    }
    return advance(p);
}

static int expect_ident(parser *p, const char *what, const char **out, sc_loc *loc)
{
    if (p->cur.kind != SC_TOK_IDENT)
        return unexpected(p, what);
    *out = sc_strndup(p->a, p->cur.text, p->cur.len);
    if (loc)
        *loc = p->cur.loc;
    return advance(p);
}

static int expect_int(parser *p, const char *what, int64_t *out, sc_loc *loc)
{
    if (p->cur.kind != SC_TOK_INT)
        return unexpected(p, what);
    *out = p->cur.value;
    *loc = p->cur.loc;
    return advance(p);
}

/* ident { '.' ident }, e.g. a package or a qualified type name. */
static int parse_dotted(parser *p, const char *what, const char **out, sc_loc *loc)
{
    sc_buf b = {0};
    int rc = -1;
    if (p->cur.kind != SC_TOK_IDENT) {
        unexpected(p, what);
        goto out;
    }
    *loc = p->cur.loc;
    for (;;) {
        sc_buf_put(&b, p->cur.text, p->cur.len);
        if (advance(p) < 0)
            goto out;
        if (!is_punct(&p->cur, '.'))
            break;
        sc_buf_puts(&b, ".");
        if (advance(p) < 0)
            goto out;
        if (p->cur.kind != SC_TOK_IDENT) {
            unexpected(p, "identifier after '.'");
            goto out;
        }
    }
    *out = sc_strndup(p->a, b.data, b.len);
    rc = 0;
out:
    sc_buf_free(&b);
    return rc;
}

/* The name of a new message, enum or service. */
static int parse_decl_name(parser *p, const char *what, const char **out, sc_loc *loc)
{
    if (expect_ident(p, what, out, loc) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(reserved_words) / sizeof(reserved_words[0]); i++) {
        if (strcmp(*out, reserved_words[i]) == 0) {
            sc_error(p->d, *loc, "'%s' is a reserved word and cannot be declared", *out);
            return 0; /* the AST is still usable */
        }
    }
    return 0;
}

/* '[' option { ',' option } ']' after a field: name '=' int, or the flag
 * 'required' (its value is 1), optionally '=' "message". */
static int parse_field_options(parser *p, sc_field *f)
{
    if (advance(p) < 0)
        return -1;
    for (;;) {
        sc_option *o = sc_alloc(p->a, sizeof(*o));
        if (expect_ident(p, "option name", &o->name, &o->loc) < 0)
            return -1;
        bool flag = strcmp(o->name, "required") == 0;
        if (!flag && strcmp(o->name, "max_len") != 0 && strcmp(o->name, "max_count") != 0 &&
            strcmp(o->name, "len") != 0) {
            sc_error(p->d, o->loc,
                     "unknown field option '%s' (expected max_len, max_count, len or required)",
                     o->name);
            return -1;
        }
        for (size_t i = 0; i < f->options.n; i++) {
            const sc_option *prev = f->options.items[i];
            if (strcmp(prev->name, o->name) == 0)
                sc_error(p->d, o->loc, "duplicate option '%s'", o->name);
        }
        if (flag) {
            o->value = 1;
            o->value_loc = o->loc;
            if (is_punct(&p->cur, '=')) {
                if (advance(p) < 0)
                    return -1;
                if (p->cur.kind != SC_TOK_STRING)
                    return unexpected(p, "a message in quotes");
                o->text = sc_strndup(p->a, p->cur.text + 1, p->cur.len - 2);
                o->value_loc = p->cur.loc;
                if (advance(p) < 0)
                    return -1;
            }
        } else if (expect_punct(p, '=') < 0 ||
                   expect_int(p, "integer", &o->value, &o->value_loc) < 0) {
            return -1;
        }
        sc_vec_push(p->a, &f->options, o);
        if (is_punct(&p->cur, ']'))
            return advance(p);
        if (expect_punct(p, ',') < 0)
            return -1;
    }
}

static bool is_label(const sc_token *t)
{
    return is_word(t, "optional") || is_word(t, "repeated");
}

/* 'map' '<' key ',' value '>' (cur is 'map'). */
static int parse_map_type(parser *p, sc_field *f)
{
    if (advance(p) < 0 || advance(p) < 0) /* 'map' '<' */
        return -1;
    if (parse_dotted(p, "map key type", &f->key.name, &f->key.loc) < 0 || expect_punct(p, ',') < 0)
        return -1;
    const sc_token *n2 = peek2(p);
    if (!n2)
        return -1;
    if (is_label(&p->cur) && n2->kind == SC_TOK_IDENT) {
        sc_error(p->d, p->cur.loc, "a map value cannot have a label");
        return -1;
    }
    if (is_word(&p->cur, "map") && is_punct(n2, '<')) {
        sc_error(p->d, p->cur.loc, "a map value cannot be a map");
        return -1;
    }
    if (parse_dotted(p, "map value type", &f->type.name, &f->type.loc) < 0)
        return -1;
    return expect_punct(p, '>');
}

static int parse_field(parser *p, sc_message *m)
{
    sc_field *f = sc_alloc(p->a, sizeof(*f));
    f->label_loc = p->cur.loc;
    const sc_token *n2 = peek2(p);
    if (!n2)
        return -1;
    if (is_label(&p->cur) && n2->kind == SC_TOK_IDENT) {
        f->label = is_word(&p->cur, "optional") ? SC_L_OPTIONAL : SC_L_REPEATED;
        if (advance(p) < 0 || !(n2 = peek2(p)))
            return -1;
        if (is_label(&p->cur) && n2->kind == SC_TOK_IDENT) {
            sc_error(p->d, p->cur.loc, "a field takes at most one label");
            return -1;
        }
    }
    if (is_word(&p->cur, "map") && is_punct(n2, '<')) {
        if (f->label != SC_L_SINGULAR) {
            sc_error(p->d, f->label_loc, "map fields cannot be %s",
                     f->label == SC_L_REPEATED ? "repeated" : "optional");
            return -1;
        }
        f->label = SC_L_MAP;
        if (parse_map_type(p, f) < 0)
            return -1;
    } else if (parse_dotted(p, "field type", &f->type.name, &f->type.loc) < 0) {
        return -1;
    }
    if (expect_ident(p, "field name", &f->name, &f->loc) < 0 || expect_punct(p, '=') < 0 ||
        expect_int(p, "field number", &f->number, &f->number_loc) < 0)
        return -1;
    if (is_punct(&p->cur, '[') && parse_field_options(p, f) < 0)
        return -1;
    if (expect_punct(p, ';') < 0)
        return -1;
    sc_vec_push(p->a, &m->fields, f);
    return 0;
}

static int parse_message(parser *p)
{
    sc_message *m = sc_alloc(p->a, sizeof(*m));
    m->file = p->file;
    if (advance(p) < 0 || parse_decl_name(p, "message name", &m->name, &m->loc) < 0 ||
        expect_punct(p, '{') < 0)
        return -1;
    while (!is_punct(&p->cur, '}')) {
        if (p->cur.kind == SC_TOK_EOF)
            return unexpected(p, "field or '}'");
        const sc_token *n2 = peek2(p);
        if (!n2)
            return -1;
        if ((is_word(&p->cur, "message") || is_word(&p->cur, "enum")) && n2->kind == SC_TOK_IDENT) {
            sc_error(p->d, p->cur.loc,
                     "nested declarations are not supported: declare %.*s at top level",
                     (int)p->cur.len, p->cur.text);
            return -1;
        }
        if (parse_field(p, m) < 0)
            return -1;
    }
    sc_vec_push(p->a, &p->s->messages, m);
    return advance(p);
}

static int parse_enum(parser *p)
{
    sc_enum *e = sc_alloc(p->a, sizeof(*e));
    e->file = p->file;
    if (advance(p) < 0 || parse_decl_name(p, "enum name", &e->name, &e->loc) < 0 ||
        expect_punct(p, '{') < 0)
        return -1;
    while (!is_punct(&p->cur, '}')) {
        sc_enum_value *v = sc_alloc(p->a, sizeof(*v));
        if (p->cur.kind != SC_TOK_IDENT)
            return unexpected(p, "enum value name or '}'");
        if (expect_ident(p, "enum value name", &v->name, &v->loc) < 0 || expect_punct(p, '=') < 0 ||
            expect_int(p, "enum value number", &v->number, &v->number_loc) < 0 ||
            expect_punct(p, ';') < 0)
            return -1;
        sc_vec_push(p->a, &e->values, v);
    }
    e->close_loc = p->cur.loc;
    sc_vec_push(p->a, &p->s->enums, e);
    return advance(p);
}

/* '(' ['stream'] type ')' */
static int parse_rpc_type(parser *p, const char *what, sc_typeref *t, bool *stream)
{
    if (expect_punct(p, '(') < 0)
        return -1;
    const sc_token *n2 = peek2(p);
    if (!n2)
        return -1;
    if (is_word(&p->cur, "stream") && n2->kind == SC_TOK_IDENT) {
        *stream = true;
        if (advance(p) < 0)
            return -1;
    }
    if (parse_dotted(p, what, &t->name, &t->loc) < 0)
        return -1;
    return expect_punct(p, ')');
}

/* '(' role { ',' role } ')' after "roles =". */
static int parse_roles(parser *p, sc_method *m)
{
    if (expect_punct(p, '(') < 0)
        return -1;
    for (;;) {
        const char *name;
        sc_loc loc;
        if (expect_ident(p, "role name", &name, &loc) < 0)
            return -1;
        size_t i = 0;
        while (i < sc_n_roles && strcmp(sc_roles[i].name, name) != 0)
            i++;
        if (i == sc_n_roles)
            sc_error(p->d, loc, "unknown role '%s' (expected officer, supplier, auditor or admin)",
                     name);
        else if (m->roles & (1u << i))
            sc_error(p->d, loc, "duplicate role '%s'", name);
        else
            m->roles |= 1u << i;
        if (is_punct(&p->cur, ')'))
            return advance(p);
        if (expect_punct(p, ',') < 0)
            return -1;
    }
}

static int parse_method_options(parser *p, sc_method *m)
{
    bool seen_public = false, seen_idem = false, seen_roles = false, seen_writes = false;
    if (advance(p) < 0)
        return -1;
    for (;;) {
        const char *name;
        sc_loc loc;
        if (expect_ident(p, "method option", &name, &loc) < 0)
            return -1;
        bool *seen;
        if (strcmp(name, "public") == 0) {
            seen = &seen_public;
        } else if (strcmp(name, "idempotent") == 0) {
            seen = &seen_idem;
        } else if (strcmp(name, "writes") == 0) {
            seen = &seen_writes;
        } else if (strcmp(name, "roles") == 0) {
            seen = &seen_roles;
        } else {
            sc_error(p->d, loc,
                     "unknown method option '%s' (expected public, idempotent, writes or roles)",
                     name);
            return -1;
        }
        if (*seen)
            sc_error(p->d, loc, "duplicate option '%s'", name);
        else if ((seen == &seen_public && seen_roles) || (seen == &seen_roles && seen_public))
            sc_error(p->d, loc, "a method cannot be both public and restricted to roles");
        else if ((seen == &seen_idem && seen_writes) || (seen == &seen_writes && seen_idem))
            sc_error(p->d, loc,
                     "a method cannot be both idempotent and writes (a write is safe to retry "
                     "only with an idempotency-key)");
        *seen = true;
        if (seen == &seen_roles && (expect_punct(p, '=') < 0 || parse_roles(p, m) < 0))
            return -1;
        if (is_punct(&p->cur, ']'))
            break;
        if (expect_punct(p, ',') < 0)
            return -1;
    }
    m->is_public = seen_public;
    m->has_roles = seen_roles;
    m->idempotent = seen_idem;
    m->writes = seen_writes;
    return advance(p);
}

static int parse_rpc(parser *p, sc_service *svc)
{
    sc_method *m = sc_alloc(p->a, sizeof(*m));
    if (advance(p) < 0 || expect_ident(p, "method name", &m->name, &m->loc) < 0 ||
        parse_rpc_type(p, "request type", &m->req, &m->req_stream) < 0)
        return -1;
    if (!is_word(&p->cur, "returns"))
        return unexpected(p, "'returns'");
    if (advance(p) < 0 || parse_rpc_type(p, "response type", &m->resp, &m->resp_stream) < 0)
        return -1;
    if (is_punct(&p->cur, '[') && parse_method_options(p, m) < 0)
        return -1;
    if (!m->is_public && !m->has_roles) {
        /* Access must be explicit: a forgotten option must not mean "anyone". */
        sc_error(p->d, m->loc, "method '%s' must be [public] or have [roles = (...)]", m->name);
    }
    if (expect_punct(p, ';') < 0)
        return -1;
    sc_vec_push(p->a, &svc->methods, m);
    return 0;
}

static int parse_service(parser *p)
{
    sc_service *svc = sc_alloc(p->a, sizeof(*svc));
    svc->file = p->file;
    if (advance(p) < 0 || parse_decl_name(p, "service name", &svc->name, &svc->loc) < 0 ||
        expect_punct(p, '{') < 0)
        return -1;
    while (!is_punct(&p->cur, '}')) {
        if (!is_word(&p->cur, "rpc"))
            return unexpected(p, "'rpc' or '}'");
        if (parse_rpc(p, svc) < 0)
            return -1;
    }
    sc_vec_push(p->a, &p->s->services, svc);
    return advance(p);
}

static int parse_package(parser *p)
{
    if (advance(p) < 0 ||
        parse_dotted(p, "package name", &p->file->package, &p->file->package_loc) < 0)
        return -1;
    return expect_punct(p, ';');
}

int sc_parse(sc_arena *a, sc_diags *d, sc_file *file, sc_schema *s)
{
    size_t errors_before = d->n;
    parser p = {.a = a, .d = d, .file = file, .s = s};
    sc_lex_init(&p.lx, file, d);
    if (sc_lex_check_text(file, d) < 0 || advance(&p) < 0)
        return -1;
    if (!is_word(&p.cur, "package")) {
        char buf[64];
        sc_error(d, p.cur.loc, "missing package declaration: expected 'package', found %s",
                 sc_tok_describe(&p.cur, buf, sizeof(buf)));
        return -1;
    }
    if (parse_package(&p) < 0)
        return -1;
    while (p.cur.kind != SC_TOK_EOF) {
        int rc;
        if (is_word(&p.cur, "message")) {
            rc = parse_message(&p);
        } else if (is_word(&p.cur, "enum")) {
            rc = parse_enum(&p);
        } else if (is_word(&p.cur, "service")) {
            rc = parse_service(&p);
        } else if (is_word(&p.cur, "package")) {
            sc_error(d, p.cur.loc, "duplicate package declaration (first at line %d)",
                     file->package_loc.line);
            rc = -1;
        } else {
            rc = unexpected(&p, "'message', 'enum' or 'service'");
        }
        if (rc < 0)
            return -1;
    }
    return d->n == errors_before ? 0 : -1;
}
