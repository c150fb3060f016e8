/* C names for the generated code, and the checks that they are valid and distinct.
 *
 * Schema names map to C by rule (package dots become '_'), so two different
 * schema names can still meet in C ("a.b_C" and "a_b.C"); this pass rejects
 * such schemas instead of letting the generated code fail to compile.
 */
#include <stdlib.h>
#include <string.h>

#include "schemac.h"

/* Member names that would not compile as they stand: C11 keywords, C23 keywords
 * and object-like macros from the headers generated code includes. */
static const char *const c_reserved[] = {
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "EOF",
    "NULL",
    "alignas",
    "alignof",
    "auto",
    "bool",
    "break",
    "case",
    "char",
    "complex",
    "const",
    "constexpr",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "errno",
    "extern",
    "false",
    "float",
    "for",
    "goto",
    "i386",
    "if",
    "imaginary",
    "inline",
    "int",
    "linux",
    "long",
    "noreturn",
    "nullptr",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "stderr",
    "stdin",
    "stdout",
    "struct",
    "switch",
    "thread_local",
    "true",
    "typedef",
    "typeof",
    "typeof_unqual",
    "union",
    "unix",
    "unsigned",
    "void",
    "volatile",
    "while",
};

bool sc_is_c_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof(c_reserved) / sizeof(c_reserved[0]); i++)
        if (strcmp(name, c_reserved[i]) == 0)
            return true;
    return false;
}

/* Identifiers C reserves for the implementation everywhere. */
static bool is_reserved_prefix(const char *name)
{
    return name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z'));
}

typedef struct symbol {
    const char *name;
    sc_loc loc;
    size_t seq;
} symbol;

typedef struct symtab {
    symbol *items;
    size_t n, cap;
} symtab;

static void sym_add(symtab *t, const char *name, sc_loc loc)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->items = sc_xrealloc(t->items, t->cap * sizeof(*t->items));
    }
    t->items[t->n] = (symbol){name, loc, t->n};
    t->n++;
}

static int cmp_symbol(const void *pa, const void *pb)
{
    const symbol *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* The members of one message struct, checked as they are added. */
static void check_members(sc_arena *a, sc_diags *d, sc_message *m)
{
    symtab t = {0};
    for (size_t i = 0; i < m->fields.n; i++) {
        sc_field *f = m->fields.items[i];
        if (is_reserved_prefix(f->name)) {
            sc_error(d, f->loc, "field name '%s' is reserved in C", f->name);
            continue;
        }
        /* Keywords get a trailing '_': "int" becomes "int_". */
        f->cname = sc_is_c_reserved(f->name) ? sc_sprintf(a, "%s_", f->name) : f->name;
        const char *aux = NULL;
        if (f->label == SC_L_OPTIONAL)
            aux = sc_sprintf(a, "has_%s", f->name);
        else if (f->label == SC_L_REPEATED || f->label == SC_L_MAP)
            aux = sc_sprintf(a, "n_%s", f->name);
        const char *mine[2] = {f->cname, aux};
        for (size_t k = 0; k < 2 && mine[k]; k++) {
            for (size_t j = 0; j < t.n; j++) {
                if (strcmp(t.items[j].name, mine[k]) == 0) {
                    sc_error(d, f->loc, "field '%s' clashes in C with member '%s' (line %d)",
                             f->name, mine[k], t.items[j].loc.line);
                }
            }
        }
        for (size_t k = 0; k < 2 && mine[k]; k++)
            sym_add(&t, mine[k], f->loc);
        if (f->label == SC_L_MAP)
            f->entry_cname = sc_sprintf(a, "%s_%sEntry", m->cname, f->name);
    }
    free(t.items);
}

static void add_message_symbols(sc_arena *a, symtab *t, const sc_message *m)
{
    static const char *const suffixes[] = {"",      "_desc",   "_fields", "_init",
                                           "_free", "_encode", "_decode"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        sym_add(t, sc_sprintf(a, "%s%s", m->cname, suffixes[i]), m->loc);
    for (size_t i = 0; i < m->fields.n; i++) {
        const sc_field *f = m->fields.items[i];
        if (f->entry_cname)
            sym_add(t, f->entry_cname, f->loc);
    }
}

static void add_enum_symbols(sc_arena *a, symtab *t, const sc_enum *e)
{
    sym_add(t, e->cname, e->loc);
    sym_add(t, sc_sprintf(a, "%s_desc", e->cname), e->loc);
    sym_add(t, sc_sprintf(a, "%s_values", e->cname), e->loc);
    for (size_t i = 0; i < e->values.n; i++) {
        const sc_enum_value *v = e->values.items[i];
        sym_add(t, sc_sprintf(a, "%s_%s", e->cname, v->name), v->loc);
    }
}

static void add_service_symbols(sc_arena *a, symtab *t, const sc_service *v)
{
    sym_add(t, sc_sprintf(a, "%s_service", v->cname), v->loc);
    sym_add(t, sc_sprintf(a, "%s_methods", v->cname), v->loc);
    for (size_t i = 0; i < v->methods.n; i++) {
        const sc_method *m = v->methods.items[i];
        sym_add(t, sc_sprintf(a, "%s_%s_method", v->cname, m->name), m->loc);
    }
}

static bool same_loc(sc_loc a, sc_loc b)
{
    return a.file == b.file && a.line == b.line && a.col == b.col;
}

static void check_globals(sc_diags *d, symtab *t)
{
    qsort(t->items, t->n, sizeof(*t->items), cmp_symbol);
    sc_loc *reported = sc_xmalloc(t->n * sizeof(*reported));
    size_t n_reported = 0;
    for (size_t i = 1; i < t->n; i++) {
        const symbol *first = &t->items[i - 1], *dup = &t->items[i];
        while (first > t->items && strcmp(first[-1].name, dup->name) == 0)
            first--;
        if (strcmp(first->name, dup->name) != 0)
            continue;
        /* One clash per declaration is enough: "A" vs "A_desc" clashes in several names. */
        bool seen = false;
        for (size_t j = 0; j < n_reported && !seen; j++)
            seen = same_loc(reported[j], dup->loc);
        if (seen)
            continue;
        reported[n_reported++] = dup->loc;
        if (first->loc.file)
            sc_error(d, dup->loc, "generated C name '%s' clashes with the one for %s:%d:%d",
                     dup->name, first->loc.file->path, first->loc.line, first->loc.col);
        else
            sc_error(d, dup->loc, "generated C name '%s' clashes with the --name symbols",
                     dup->name);
    }
    free(reported);
}

int sc_cnames(sc_arena *a, sc_diags *d, sc_schema *s, const char *schema_name)
{
    size_t errors_before = d->n;
    symtab t = {0};
    static const char *const schema_suffixes[] = {"", "_services", "_messages", "_enums", "_files"};
    for (size_t i = 0; i < sizeof(schema_suffixes) / sizeof(schema_suffixes[0]); i++)
        sym_add(&t, sc_sprintf(a, "%s%s", schema_name, schema_suffixes[i]), (sc_loc){0});

    for (size_t i = 0; i < s->files.n; i++) {
        sc_file *f = s->files.items[i];
        char *p = sc_strdup(a, f->package);
        for (char *c = p; *c; c++)
            if (*c == '.')
                *c = '_';
        f->cprefix = p;
        if (is_reserved_prefix(p) || strncmp(p, "tnd_", 4) == 0 || strcmp(p, "tnd") == 0)
            sc_error(d, f->package_loc, "package '%s' is reserved (C names would start with %s)",
                     f->package, p);
    }
    for (size_t i = 0; i < s->messages.n; i++) {
        sc_message *m = s->messages.items[i];
        m->cname = sc_sprintf(a, "%s_%s", m->file->cprefix, m->name);
        check_members(a, d, m);
        add_message_symbols(a, &t, m);
    }
    for (size_t i = 0; i < s->enums.n; i++) {
        sc_enum *e = s->enums.items[i];
        e->cname = sc_sprintf(a, "%s_%s", e->file->cprefix, e->name);
        add_enum_symbols(a, &t, e);
    }
    for (size_t i = 0; i < s->services.n; i++) {
        sc_service *v = s->services.items[i];
        v->cname = sc_sprintf(a, "%s_%s", v->file->cprefix, v->name);
        add_service_symbols(a, &t, v);
    }
    check_globals(d, &t);
    free(t.items);
    return d->n == errors_before ? 0 : -1;
}
