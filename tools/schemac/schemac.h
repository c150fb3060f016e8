/* schemac internals: the AST shared by the lexer, parser, resolver and generators.
 *
 * Every AST node and string lives in one arena freed at the end of the run, so
 * the passes never free individual nodes.
 */
#ifndef SCHEMAC_H
#define SCHEMAC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory --------------------------------------------------------------- */

typedef struct sc_arena_block sc_arena_block;

typedef struct sc_arena {
    sc_arena_block *head;
} sc_arena;

/* A compiler has nothing to salvage on out-of-memory: these print and exit(1). */
void *sc_xmalloc(size_t size);
void *sc_xrealloc(void *p, size_t size);

void *sc_alloc(sc_arena *a, size_t size); /* zeroed */
char *sc_strndup(sc_arena *a, const char *s, size_t n);
char *sc_strdup(sc_arena *a, const char *s);
char *sc_sprintf(sc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sc_arena_free(sc_arena *a);

/* A growable array of pointers whose storage lives in the arena. */
typedef struct sc_vec {
    void **items;
    size_t n, cap;
} sc_vec;

void sc_vec_push(sc_arena *a, sc_vec *v, void *item);

/* A growable text buffer for the generators (heap, freed with sc_buf_free). */
typedef struct sc_buf {
    char *data;
    size_t len, cap;
} sc_buf;

void sc_buf_put(sc_buf *b, const char *s, size_t n);
void sc_buf_puts(sc_buf *b, const char *s);
void sc_buf_printf(sc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sc_buf_free(sc_buf *b);

/* ---- diagnostics ---------------------------------------------------------- */

typedef struct sc_loc {
    const struct sc_file *file;
    int line, col; /* 1-based; columns count bytes */
} sc_loc;

typedef struct sc_diag {
    sc_loc loc;
    size_t seq; /* keeps the order of errors at the same location */
    char *msg;
} sc_diag;

typedef struct sc_diags {
    sc_diag *items;
    size_t n, cap;
} sc_diags;

void sc_error(sc_diags *d, sc_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print the errors sorted by file (command-line order), line and column. */
void sc_diags_print(sc_diags *d);
void sc_diags_free(sc_diags *d);

/* ---- AST ------------------------------------------------------------------ */

typedef enum sc_kind {
    SC_K_NONE = 0, /* unresolved */
    SC_K_BOOL,
    SC_K_INT32,
    SC_K_INT64,
    SC_K_UINT32,
    SC_K_UINT64,
    SC_K_DOUBLE,
    SC_K_STRING,
    SC_K_BYTES,
    SC_K_ENUM,
    SC_K_MESSAGE,
} sc_kind;

typedef enum sc_label {
    SC_L_SINGULAR = 0,
    SC_L_OPTIONAL,
    SC_L_REPEATED,
    SC_L_MAP,
} sc_label;

struct sc_message;
struct sc_enum;

/* A type as written ("string", "Money", "tender.common.v1.Money") and what it names. */
typedef struct sc_typeref {
    const char *name;
    sc_loc loc;
    sc_kind kind;
    struct sc_message *msg;
    struct sc_enum *enm;
} sc_typeref;

/* required = "message": it must fit a refusal (tnd_codec_err.text) whole. */
#define SC_REQUIRED_MSG_MAX 200

typedef struct sc_option {
    const char *name;
    sc_loc loc;
    int64_t value;
    sc_loc value_loc;
    const char *text; /* required = "message": the message, without quotes; else NULL */
} sc_option;

typedef struct sc_field {
    const char *name;
    sc_loc loc; /* of the name */
    sc_label label;
    sc_loc label_loc;
    sc_typeref type; /* for maps: the value type (keys are always strings) */
    sc_typeref key;  /* maps only */
    int64_t number;
    sc_loc number_loc;
    sc_vec options; /* sc_option * */
    /* Set by the resolver; explicit_max_len: max_len was written, not implied by len. */
    uint32_t max_len, max_count, len;
    bool required, explicit_max_len;
    const char *required_msg; /* required = "...": the whole refusal; NULL: "<path>: required" */
    const char *cname;       /* C member name (keywords mangled) */
    const char *entry_cname; /* maps: the entry struct type */
} sc_field;

typedef struct sc_message {
    const char *name;
    sc_loc loc;
    const struct sc_file *file;
    sc_vec fields; /* sc_field *, declaration order */
    const char *full_name;
    const char *cname;
    sc_field **sorted; /* by number, set by the resolver */
} sc_message;

typedef struct sc_enum_value {
    const char *name;
    sc_loc loc;
    int64_t number;
    sc_loc number_loc;
} sc_enum_value;

typedef struct sc_enum {
    const char *name;
    sc_loc loc;
    sc_loc close_loc; /* the '}', for "no values" */
    const struct sc_file *file;
    sc_vec values; /* sc_enum_value * */
    const char *full_name;
    const char *cname;
} sc_enum;

typedef struct sc_method {
    const char *name;
    sc_loc loc;
    sc_typeref req, resp;
    bool req_stream, resp_stream;
    bool is_public, idempotent;
    bool writes;    /* changes the store: only the writer node serves it */
    bool has_roles; /* a roles option was given (even if every role in it was bad) */
    uint32_t roles; /* tnd_role bits */
} sc_method;

typedef struct sc_service {
    const char *name;
    sc_loc loc;
    const struct sc_file *file;
    sc_vec methods; /* sc_method * */
    const char *full_name;
    const char *cname;
} sc_service;

typedef struct sc_file {
    const char *path;     /* as given on the command line */
    const char *basename; /* without directories */
    size_t index;         /* command-line position, for sorting errors */
    const char *text;
    size_t len;
    const char *package; /* "tender.health.v1", NULL until parsed */
    sc_loc package_loc;
    const char *cprefix; /* "tender_health_v1" */
} sc_file;

/* Declarations of every file in source order: what the generators walk. */
typedef struct sc_schema {
    sc_vec files;    /* sc_file * */
    sc_vec messages; /* sc_message * */
    sc_vec enums;    /* sc_enum * */
    sc_vec services; /* sc_service * */
} sc_schema;

/* Roles known to the language, in tnd_role bit order (service.h). */
typedef struct sc_role {
    const char *name;  /* "officer" */
    const char *macro; /* "TND_ROLE_OFFICER" */
} sc_role;

extern const sc_role sc_roles[];
extern const size_t sc_n_roles;

/* ---- passes --------------------------------------------------------------- */

/** Parse file's text, appending its declarations to s. Returns 0 or -1 (errors in d). */
int sc_parse(sc_arena *a, sc_diags *d, sc_file *file, sc_schema *s);

/** Check names, types, numbers and options; fill the resolved fields of the AST. */
int sc_resolve(sc_arena *a, sc_diags *d, sc_schema *s);

/** Choose C names and reject schemas whose C names would clash. */
int sc_cnames(sc_arena *a, sc_diags *d, sc_schema *s, const char *schema_name);

/** True for identifiers that cannot be a struct member as they stand (C keywords, macros). */
bool sc_is_c_reserved(const char *name);

/** Name of a scalar kind as written in the schema ("uint64"), or "enum"/"message". */
const char *sc_kind_name(sc_kind k);

void sc_gen_header(sc_buf *out, const sc_schema *s, const char *schema_name);
void sc_gen_source(sc_buf *out, const sc_schema *s, const char *schema_name,
                   const char *header_basename);

/** The "Generated by schemac from a, b; do not edit." comment line shared by both files. */
void sc_gen_banner(sc_buf *out, const sc_schema *s);

/** The C type of one element of a field ("int64_t", "char *", "pkg_Msg"; maps: the value). */
void sc_gen_elem_type(sc_buf *out, const sc_typeref *t);

/** Append bytes as one or more adjacent C string literals, split after newlines. */
void sc_gen_c_string(sc_buf *out, const char *s, size_t n, const char *indent);

#endif
