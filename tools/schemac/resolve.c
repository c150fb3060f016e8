/* Semantic checks: names, type references, field numbers, options, enum values, methods. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemac.h"

#define SC_MAX_FIELD_NUMBER 536870911 /* 2^29 - 1, as in protobuf */

typedef enum decl_kind { DECL_MESSAGE, DECL_ENUM, DECL_SERVICE } decl_kind;

/* One named top-level declaration, for duplicate detection and type lookup. */
typedef struct decl {
    const char *full_name;
    decl_kind kind;
    sc_loc loc;
    void *node;
} decl;

typedef struct scope {
    decl *decls; /* sorted by full name, then by source position */
    size_t n;
} scope;

static const struct {
    const char *name;
    sc_kind kind;
} scalars[] = {
    {"bool", SC_K_BOOL},     {"int32", SC_K_INT32},   {"int64", SC_K_INT64},
    {"uint32", SC_K_UINT32}, {"uint64", SC_K_UINT64}, {"double", SC_K_DOUBLE},
    {"string", SC_K_STRING}, {"bytes", SC_K_BYTES},
};

const char *sc_kind_name(sc_kind k)
{
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
        if (scalars[i].kind == k)
            return scalars[i].name;
    return k == SC_K_ENUM ? "enum" : k == SC_K_MESSAGE ? "message" : "?";
}

static int cmp_loc(sc_loc a, sc_loc b)
{
    if (a.file->index != b.file->index)
        return a.file->index < b.file->index ? -1 : 1;
    if (a.line != b.line)
        return a.line < b.line ? -1 : 1;
    return (a.col > b.col) - (a.col < b.col);
}

static int cmp_decl(const void *pa, const void *pb)
{
    const decl *a = pa, *b = pb;
    int c = strcmp(a->full_name, b->full_name);
    return c ? c : cmp_loc(a->loc, b->loc);
}

static void add_decl(scope *sc, sc_arena *a, const sc_file *f, const char *name, decl_kind kind,
                     sc_loc loc, void *node, const char **full_name)
{
    *full_name = sc_sprintf(a, "%s.%s", f->package, name);
    sc->decls[sc->n++] = (decl){*full_name, kind, loc, node};
}

static void build_scope(sc_arena *a, sc_diags *d, sc_schema *s, scope *sc)
{
    size_t total = s->messages.n + s->enums.n + s->services.n;
    sc->decls = sc_alloc(a, (total ? total : 1) * sizeof(decl));
    sc->n = 0;
    for (size_t i = 0; i < s->messages.n; i++) {
        sc_message *m = s->messages.items[i];
        add_decl(sc, a, m->file, m->name, DECL_MESSAGE, m->loc, m, &m->full_name);
    }
    for (size_t i = 0; i < s->enums.n; i++) {
        sc_enum *e = s->enums.items[i];
        add_decl(sc, a, e->file, e->name, DECL_ENUM, e->loc, e, &e->full_name);
    }
    for (size_t i = 0; i < s->services.n; i++) {
        sc_service *v = s->services.items[i];
        add_decl(sc, a, v->file, v->name, DECL_SERVICE, v->loc, v, &v->full_name);
    }
    qsort(sc->decls, sc->n, sizeof(decl), cmp_decl);
    for (size_t i = 1; i < sc->n; i++) {
        const decl *first = &sc->decls[i - 1], *dup = &sc->decls[i];
        while (first > sc->decls && strcmp(first[-1].full_name, dup->full_name) == 0)
            first--;
        if (strcmp(first->full_name, dup->full_name) == 0)
            sc_error(d, dup->loc, "duplicate name '%s' (first declared at %s:%d:%d)",
                     dup->full_name, first->loc.file->path, first->loc.line, first->loc.col);
    }
}

static const decl *lookup(const scope *sc, const char *full_name)
{
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sc->decls[mid].full_name, full_name);
        if (c == 0) {
            while (mid > 0 && strcmp(sc->decls[mid - 1].full_name, full_name) == 0)
                mid--;
            return &sc->decls[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Resolve a type: a scalar, then a name in the file's package, then a fully qualified name. */
static int resolve_type(sc_arena *a, sc_diags *d, const scope *sc, const sc_file *f, sc_typeref *t)
{
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        if (strcmp(t->name, scalars[i].name) == 0) {
            t->kind = scalars[i].kind;
            return 0;
        }
    }
    const char *local = sc_sprintf(a, "%s.%s", f->package, t->name);
    const decl *dc = lookup(sc, local);
    if (!dc)
        dc = lookup(sc, t->name);
    if (!dc) {
        sc_error(d, t->loc, "unknown type '%s' (neither %s nor %s is declared)", t->name, local,
                 t->name);
        return -1;
    }
    if (dc->kind == DECL_SERVICE) {
        sc_error(d, t->loc, "'%s' is a service, not a type", t->name);
        return -1;
    }
    if (dc->kind == DECL_MESSAGE) {
        t->kind = SC_K_MESSAGE;
        t->msg = dc->node;
    } else {
        t->kind = SC_K_ENUM;
        t->enm = dc->node;
    }
    return 0;
}

static void check_options(sc_diags *d, sc_field *f)
{
    bool stringy = f->type.kind == SC_K_STRING || f->type.kind == SC_K_BYTES;
    for (size_t i = 0; i < f->options.n; i++) {
        const sc_option *o = f->options.items[i];
        /* required and len are checks of one value that a request must carry. */
        if (strcmp(o->name, "required") == 0) {
            if (f->label != SC_L_SINGULAR || (!stringy && f->type.kind != SC_K_MESSAGE))
                sc_error(d, o->loc,
                         "required applies only to singular string, bytes and message fields");
            else if (o->text && (!*o->text || strlen(o->text) > SC_REQUIRED_MSG_MAX))
                sc_error(d, o->value_loc, "a required message holds 1 to %d characters",
                         SC_REQUIRED_MSG_MAX);
            else {
                f->required = true;
                f->required_msg = o->text;
            }
            continue;
        }
        if (strcmp(o->name, "len") == 0 && (!stringy || f->label != SC_L_SINGULAR)) {
            sc_error(d, o->loc, "len applies only to singular string and bytes fields");
            continue;
        }
        if (strcmp(o->name, "max_len") == 0 && !stringy) {
            sc_error(d, o->loc, "max_len applies only to string and bytes fields ('%s' is %s)",
                     f->name, sc_kind_name(f->type.kind));
            continue;
        }
        if (strcmp(o->name, "max_count") == 0 && f->label != SC_L_REPEATED &&
            f->label != SC_L_MAP) {
            sc_error(d, o->loc, "max_count applies only to repeated and map fields");
            continue;
        }
        if (o->value < 1 || o->value > UINT32_MAX) {
            sc_error(d, o->value_loc, "%s must be between 1 and %u", o->name, UINT32_MAX);
            continue;
        }
        if (strcmp(o->name, "max_len") == 0) {
            f->max_len = (uint32_t)o->value;
            f->explicit_max_len = true;
        } else if (strcmp(o->name, "len") == 0) {
            f->len = (uint32_t)o->value;
        } else {
            f->max_count = (uint32_t)o->value;
        }
    }
    /* An exact length is also the longest: one fact, written once. */
    if (f->len && f->explicit_max_len && f->max_len != f->len)
        sc_error(d, f->loc, "'%s' has len %u and max_len %u: give only len", f->name, f->len,
                 f->max_len);
    else if (f->len)
        f->max_len = f->len;
}

static void check_field(sc_arena *a, sc_diags *d, const scope *sc, sc_message *m, size_t idx)
{
    sc_field *f = m->fields.items[idx];
    if (f->number < 1 || f->number > SC_MAX_FIELD_NUMBER)
        sc_error(d, f->number_loc, "field number %lld is out of range (1 to %d)",
                 (long long)f->number, SC_MAX_FIELD_NUMBER);
    for (size_t i = 0; i < idx; i++) {
        const sc_field *g = m->fields.items[i];
        if (strcmp(g->name, f->name) == 0)
            sc_error(d, f->loc, "duplicate field name '%s' in message '%s'", f->name, m->name);
        if (g->number == f->number)
            sc_error(d, f->number_loc, "duplicate field number %lld (already used by '%s')",
                     (long long)f->number, g->name);
    }
    if (f->label == SC_L_MAP) {
        if (resolve_type(a, d, sc, m->file, &f->key) == 0 && f->key.kind != SC_K_STRING)
            sc_error(d, f->key.loc, "map key must be string, not '%s'", f->key.name);
    }
    if (resolve_type(a, d, sc, m->file, &f->type) < 0)
        return; /* the option checks would only repeat the problem */
    /* A message field is a pointer whose NULL already says "absent". */
    if (f->label == SC_L_OPTIONAL && f->type.kind == SC_K_MESSAGE)
        f->label = SC_L_SINGULAR;
    check_options(d, f);
}

static int cmp_field_number(const void *pa, const void *pb)
{
    const sc_field *a = *(sc_field *const *)pa, *b = *(sc_field *const *)pb;
    return (a->number > b->number) - (a->number < b->number);
}

static void check_message(sc_arena *a, sc_diags *d, const scope *sc, sc_message *m)
{
    for (size_t i = 0; i < m->fields.n; i++)
        check_field(a, d, sc, m, i);
    m->sorted = sc_alloc(a, (m->fields.n ? m->fields.n : 1) * sizeof(sc_field *));
    if (m->fields.n) {
        memcpy(m->sorted, m->fields.items, m->fields.n * sizeof(sc_field *));
        qsort(m->sorted, m->fields.n, sizeof(sc_field *), cmp_field_number);
    }
}

static void check_enum(sc_diags *d, sc_enum *e)
{
    if (e->values.n == 0) {
        sc_error(d, e->close_loc, "enum '%s' has no values (the first must be 0)", e->name);
        return;
    }
    const sc_enum_value *first = e->values.items[0];
    if (first->number != 0)
        sc_error(d, first->number_loc, "the first value of enum '%s' must be 0", e->name);
    for (size_t i = 0; i < e->values.n; i++) {
        const sc_enum_value *v = e->values.items[i];
        if (v->number < INT32_MIN || v->number > INT32_MAX)
            sc_error(d, v->number_loc, "enum value %lld does not fit in int32",
                     (long long)v->number);
        for (size_t j = 0; j < i; j++) {
            const sc_enum_value *w = e->values.items[j];
            if (strcmp(v->name, w->name) == 0)
                sc_error(d, v->loc, "duplicate enum value name '%s'", v->name);
            else if (v->number == w->number)
                sc_error(d, v->number_loc, "duplicate enum value %lld (already used by '%s')",
                         (long long)v->number, w->name);
        }
    }
}

static void check_rpc_type(sc_arena *a, sc_diags *d, const scope *sc, const sc_file *f,
                           sc_typeref *t, const char *what)
{
    if (resolve_type(a, d, sc, f, t) == 0 && t->kind != SC_K_MESSAGE)
        sc_error(d, t->loc, "%s type '%s' is not a message", what, t->name);
}

static void check_service(sc_arena *a, sc_diags *d, const scope *sc, sc_service *v)
{
    for (size_t i = 0; i < v->methods.n; i++) {
        sc_method *m = v->methods.items[i];
        for (size_t j = 0; j < i; j++) {
            const sc_method *o = v->methods.items[j];
            if (strcmp(m->name, o->name) == 0)
                sc_error(d, m->loc, "duplicate method '%s' in service '%s'", m->name, v->name);
        }
        check_rpc_type(a, d, sc, v->file, &m->req, "request");
        check_rpc_type(a, d, sc, v->file, &m->resp, "response");
    }
}

int sc_resolve(sc_arena *a, sc_diags *d, sc_schema *s)
{
    size_t errors_before = d->n;
    scope sc;
    build_scope(a, d, s, &sc);
    for (size_t i = 0; i < s->messages.n; i++)
        check_message(a, d, &sc, s->messages.items[i]);
    for (size_t i = 0; i < s->enums.n; i++)
        check_enum(d, s->enums.items[i]);
    for (size_t i = 0; i < s->services.n; i++)
        check_service(a, d, &sc, s->services.items[i]);
    return d->n == errors_before ? 0 : -1;
}
