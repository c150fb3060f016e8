/* schemac: compile schema files into one C header and source of descriptors.
 *
 *   schemac --name NAME --out PREFIX FILE...
 *
 * Exit status: 0 on success, 1 on compile or I/O errors, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "schemac.h"

/* Reflection serves each file as one string of at most this many bytes
 * (reflection.schema, SchemaFile.text): a larger file could not be served. */
#define SC_MAX_FILE_SIZE (1024u * 1024u)

static const char usage_text[] =
    "usage: schemac --name NAME --out PREFIX FILE...\n"
    "\n"
    "Compile the schema FILEs, together as one contract, into PREFIX.h and PREFIX.c.\n"
    "\n"
    "  --name NAME    C name of the tnd_schema_desc listing everything compiled\n"
    "  --out PREFIX   output path without extension\n"
    "  --help         show this help\n"
    "\n"
    "Errors are printed as FILE:LINE:COLUMN: MESSAGE; the exit status is 1 for\n"
    "errors in the schema or I/O, 2 for usage errors. See docs/SCHEMA.md.\n";

typedef struct options {
    const char *name;
    const char *out;
    char **files;
    int n_files;
} options;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("schemac: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'schemac --help'.\n", stderr);
    return 2;
}

static bool is_c_identifier(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, options *o)
{
    int i = 1;
    bool dashdash = false;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(arg, "--") == 0) {
            dashdash = true;
            i++;
            break;
        }
        const char **slot = strcmp(arg, "--name") == 0  ? &o->name
                            : strcmp(arg, "--out") == 0 ? &o->out
                                                        : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return usage_error("option %s needs an argument", arg);
            *slot = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else {
            break;
        }
    }
    o->files = argv + i;
    o->n_files = argc - i;
    /* "schemac a.schema --out x" is a mistake, not a file named "--out". */
    for (int j = 0; j < o->n_files && !dashdash; j++)
        if (o->files[j][0] == '-' && o->files[j][1] != '\0')
            return usage_error("options must come before the files ('%s')", o->files[j]);
    if (!o->name)
        return usage_error("%s", "missing --name");
    if (!o->out || !o->out[0])
        return usage_error("%s", "missing --out");
    if (!is_c_identifier(o->name))
        return usage_error("--name '%s' is not a C identifier", o->name);
    if (strpbrk(base_name(o->out), "\"\\\n") || !base_name(o->out)[0])
        return usage_error("--out '%s' cannot name a C header", o->out);
    if (o->n_files == 0)
        return usage_error("%s", "no schema files given");
    return -1;
}

/* Read a whole file into the arena. Returns 0 or -1 after printing why. */
static int read_file(sc_arena *a, sc_diags *d, sc_file *f)
{
    int rc = -1;
    FILE *fp = fopen(f->path, "rb");
    if (!fp) {
        fprintf(stderr, "schemac: cannot open %s: %s\n", f->path, strerror(errno));
        return -1;
    }
    char *text = sc_alloc(a, SC_MAX_FILE_SIZE + 2);
    size_t len = fread(text, 1, SC_MAX_FILE_SIZE + 1, fp);
    if (ferror(fp)) {
        fprintf(stderr, "schemac: cannot read %s: %s\n", f->path, strerror(errno));
        goto cleanup;
    }
    if (len > SC_MAX_FILE_SIZE) {
        sc_error(d, (sc_loc){f, 1, 1}, "file is larger than %u bytes", SC_MAX_FILE_SIZE);
        goto cleanup;
    }
    text[len] = '\0';
    f->text = text;
    f->len = len;
    rc = 0;
cleanup:
    fclose(fp);
    return rc;
}

/* Load and parse every file; a bad file does not stop the others being checked. */
static int load_files(sc_arena *a, sc_diags *d, sc_schema *s, const options *o)
{
    int rc = 0;
    for (int i = 0; i < o->n_files; i++) {
        sc_file *f = sc_alloc(a, sizeof(*f));
        f->path = o->files[i];
        f->basename = base_name(f->path);
        f->index = (size_t)i;
        for (size_t j = 0; j < s->files.n; j++) {
            const sc_file *g = s->files.items[j];
            if (strcmp(g->basename, f->basename) == 0) {
                /* Reflection names files by basename: two would be ambiguous. */
                sc_error(d, (sc_loc){f, 1, 1}, "a file named '%s' is already given (%s)",
                         f->basename, g->path);
                rc = -1;
            }
        }
        sc_vec_push(a, &s->files, f);
        if (read_file(a, d, f) < 0) {
            rc = -1;
            continue;
        }
        if (sc_parse(a, d, f, s) < 0)
            rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    options o = {0};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;

    sc_arena a = {0};
    sc_diags d = {0};
    sc_schema s = {0};
    sc_buf header = {0}, source = {0};
    status = 1;

    if (load_files(&a, &d, &s, &o) < 0)
        goto cleanup;
    /* C names only once the schema itself is sound: a duplicate message would
     * otherwise also be reported as a clash of every C name derived from it. */
    if (sc_resolve(&a, &d, &s) < 0 || sc_cnames(&a, &d, &s, o.name) < 0)
        goto cleanup;

    sc_gen_header(&header, &s, o.name);
    const char *hbase = base_name(sc_sprintf(&a, "%s.h", o.out));
    sc_gen_source(&source, &s, o.name, hbase);
    if (sc_write_outputs(&a, o.out, &header, &source) < 0)
        goto cleanup;
    status = 0;
cleanup:
    sc_diags_print(&d);
    sc_diags_free(&d);
    sc_buf_free(&header);
    sc_buf_free(&source);
    sc_arena_free(&a);
    return status;
}
