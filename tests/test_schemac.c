/* Tests of the schema compiler: it runs the schemac binary on fixtures.
 *
 * The binary is $SCHEMAC if set, else $BUILD/bin/schemac (BUILD defaults to
 * "build"); run from the repository root.
 *
 * tests/schemac/bad/NAME.schema must fail with exit status 1; its first stderr
 * line must equal tests/schemac/bad/NAME.err and no output file may appear.
 *
 * tests/schemac/golden/small.{h,c}.golden are the expected output. After an
 * intended change to the generator, regenerate them (and review the diff) with:
 *   build/bin/schemac --name small_schema --out /tmp/small tests/schemac/golden/small.schema
 *   cp /tmp/small.h tests/schemac/golden/small.h.golden
 *   cp /tmp/small.c tests/schemac/golden/small.c.golden
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_schema.h"

#define BAD_DIR "tests/schemac/bad"
#define GOLDEN_DIR "tests/schemac/golden"

/* ---- helpers -------------------------------------------------------------- */

static const char *schemac_path(void)
{
    static char path[4096];
    const char *env = getenv("SCHEMAC");
    if (env && *env)
        return env;
    const char *build = getenv("BUILD");
    snprintf(path, sizeof(path), "%s/bin/schemac", build && *build ? build : "build");
    return path;
}

/* Read a whole file (NUL-terminated); NULL if it cannot be read. */
static char *read_all(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[len] = '\0';
        if (len_out)
            *len_out = len;
    }
    return buf;
}

static void write_all(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

typedef struct tmpdir {
    char path[64];
} tmpdir;

static void tmpdir_make(tmpdir *t)
{
    strcpy(t->path, "/tmp/test_schemac.XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

/* Number of entries in a directory, "." and ".." not counted. */
static int dir_count(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Remove a directory tree made by a test (at most two levels deep). */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[512];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(child);
        else
            unlink(child);
    }
    closedir(d);
    rmdir(path);
}

/* Run schemac with argv (NULL-terminated, without argv[0]); stdout and stderr
 * are captured into malloc'd strings. Returns the exit status, -1 if it died. */
static int run_schemac(char *const args[], char **out, char **err)
{
    tmpdir cap;
    tmpdir_make(&cap);
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof(out_path), "%s/stdout", cap.path);
    snprintf(err_path, sizeof(err_path), "%s/stderr", cap.path);

    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)schemac_path();
    for (size_t i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char *o = read_all(out_path, NULL), *e = read_all(err_path, NULL);
    assert_non_null(o);
    assert_non_null(e);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    rm_tree(cap.path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        fail_msg("cannot run %s (build it first, or set SCHEMAC)", argv[0]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of s, without its newline (modifies s). */
static char *first_line(char *s)
{
    s[strcspn(s, "\n")] = '\0';
    return s;
}

static bool files_equal(const char *a, const char *b)
{
    size_t la, lb;
    char *x = read_all(a, &la), *y = read_all(b, &lb);
    bool same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* ---- bad schemas: one cmocka test per fixture ------------------------------ */

static void test_bad_schema(void **state)
{
    const char *name = *state;
    char schema[256], errfile[256], out[128];
    snprintf(schema, sizeof(schema), BAD_DIR "/%s.schema", name);
    snprintf(errfile, sizeof(errfile), BAD_DIR "/%s.err", name);
    char *expected = read_all(errfile, NULL);
    if (!expected)
        fail_msg("missing %s", errfile);
    tmpdir t;
    tmpdir_make(&t);
    snprintf(out, sizeof(out), "%s/out", t.path);

    char *err = NULL;
    int rc = run_schemac((char *[]){"--name", "bad", "--out", out, schema, NULL}, NULL, &err);
    assert_int_equal(rc, 1);
    assert_string_equal(first_line(err), first_line(expected));
    assert_int_equal(dir_count(t.path), 0); /* no output, no temporary file */
    free(err);
    free(expected);
    rm_tree(t.path);
}

/* ---- fixed tests ------------------------------------------------------------ */

static void test_help(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_schemac((char *[]){"--help", NULL}, &out, NULL), 0);
    assert_non_null(strstr(out, "usage: schemac --name NAME --out PREFIX FILE..."));
    free(out);
}

static void test_usage_errors(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char out[128];
    snprintf(out, sizeof(out), "%s/out", t.path);
    char *schema = GOLDEN_DIR "/small.schema";
    char *err = NULL;

    assert_int_equal(run_schemac((char *[]){NULL}, NULL, &err), 2);
    assert_non_null(strstr(err, "missing --name"));
    free(err);
    assert_int_equal(run_schemac((char *[]){"--name", "x", schema, NULL}, NULL, &err), 2);
    assert_non_null(strstr(err, "missing --out"));
    free(err);
    assert_int_equal(run_schemac((char *[]){"--name", "x", "--out", out, NULL}, NULL, &err), 2);
    assert_non_null(strstr(err, "no schema files"));
    free(err);
    assert_int_equal(
        run_schemac((char *[]){"--name", "9x", "--out", out, schema, NULL}, NULL, &err), 2);
    assert_non_null(strstr(err, "not a C identifier"));
    free(err);
    assert_int_equal(run_schemac((char *[]){"--bogus", NULL}, NULL, &err), 2);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    free(err);
    assert_int_equal(dir_count(t.path), 0);

    /* A missing input or an unwritable output is an error (1), not a usage error. */
    assert_int_equal(
        run_schemac((char *[]){"--name", "x", "--out", out, "no/such.schema", NULL}, NULL, &err),
        1);
    assert_non_null(strstr(err, "cannot open no/such.schema"));
    free(err);
    assert_int_equal(
        run_schemac((char *[]){"--name", "x", "--out", "/nonexistent/dir/x", schema, NULL}, NULL,
                    &err),
        1);
    assert_non_null(strstr(err, "cannot write"));
    free(err);
    rm_tree(t.path);
}

/* A failed run must leave earlier output alone. */
static void test_failure_keeps_old_output(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char out[128], h[160];
    snprintf(out, sizeof(out), "%s/out", t.path);
    snprintf(h, sizeof(h), "%s/out.h", t.path);
    write_all(h, "old\n");
    int rc = run_schemac(
        (char *[]){"--name", "x", "--out", out, BAD_DIR "/unknown_type.schema", NULL}, NULL, NULL);
    assert_int_equal(rc, 1);
    char *text = read_all(h, NULL);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(dir_count(t.path), 1);
    rm_tree(t.path);
}

static void test_golden(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char out[128], h[160], c[160];
    snprintf(out, sizeof(out), "%s/small", t.path);
    snprintf(h, sizeof(h), "%s/small.h", t.path);
    snprintf(c, sizeof(c), "%s/small.c", t.path);
    char *err = NULL;
    int rc = run_schemac(
        (char *[]){"--name", "small_schema", "--out", out, GOLDEN_DIR "/small.schema", NULL}, NULL,
        &err);
    if (rc != 0)
        fail_msg("schemac failed: %s", err);
    assert_string_equal(err, "");
    free(err);
    assert_int_equal(dir_count(t.path), 2); /* exactly PREFIX.h and PREFIX.c */
    if (!files_equal(h, GOLDEN_DIR "/small.h.golden"))
        fail_msg("%s differs from " GOLDEN_DIR "/small.h.golden (see the top of this file)", h);
    if (!files_equal(c, GOLDEN_DIR "/small.c.golden"))
        fail_msg("%s differs from " GOLDEN_DIR "/small.c.golden (see the top of this file)", c);
    rm_tree(t.path);
}

/* Compile the golden output with strict flags, link it with a tiny program
 * that prints the embedded source text, and compare with the schema file:
 * the C string escaping must reproduce every byte. Needs a C compiler. */
static void test_generated_code_compiles_and_embeds_source(void **state)
{
    (void)state;
    if (system("cc --version >/dev/null 2>&1") != 0)
        skip();
    tmpdir t;
    tmpdir_make(&t);
    char out[128], cmd[2048];
    snprintf(out, sizeof(out), "%s/small", t.path);
    assert_int_equal(run_schemac((char *[]){"--name", "small_schema", "--out", out,
                                            GOLDEN_DIR "/small.schema", NULL},
                                 NULL, NULL),
                     0);
    char main_c[160], text[160];
    snprintf(main_c, sizeof(main_c), "%s/main.c", t.path);
    snprintf(text, sizeof(text), "%s/text", t.path);
    write_all(main_c, "#include <stdio.h>\n#include \"small.h\"\n"
                      "int main(void)\n{\n"
                      "    fputs(small_schema.files[0].text, stdout);\n"
                      "    return small_schema.n_files == 1 ? 0 : 1;\n}\n");
    snprintf(cmd, sizeof(cmd),
             "cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes "
             "-Wmissing-prototypes -Wpedantic -Iinclude $(pkg-config --cflags msgpack) -I%s "
             "-o %s/prog %s/small.c %s && %s/prog > %s",
             t.path, t.path, t.path, main_c, t.path, text);
    assert_int_equal(system(cmd), 0);
    assert_true(files_equal(text, GOLDEN_DIR "/small.schema"));
    rm_tree(t.path);
}

static void test_deterministic(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char a[128], b[128], pa[256], pb[256];
    snprintf(a, sizeof(a), "%s/a", t.path);
    snprintf(b, sizeof(b), "%s/b", t.path);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    snprintf(pa, sizeof(pa), "%s/out", a);
    snprintf(pb, sizeof(pb), "%s/out", b);
    char *files[] = {"schema/common.schema", "schema/health.schema", "schema/reflection.schema",
                     "tests/schema/sample.schema", "tests/schema/sample_v2.schema"};
    for (int run = 0; run < 2; run++) {
        char *args[16] = {"--name", "all", "--out", run ? pb : pa};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            args[4 + i] = files[i];
        char *err = NULL;
        int rc = run_schemac(args, NULL, &err);
        if (rc != 0)
            fail_msg("schemac failed: %s", err);
        free(err);
    }
    snprintf(pa, sizeof(pa), "%s/out.h", a);
    snprintf(pb, sizeof(pb), "%s/out.h", b);
    assert_true(files_equal(pa, pb));
    snprintf(pa, sizeof(pa), "%s/out.c", a);
    snprintf(pb, sizeof(pb), "%s/out.c", b);
    assert_true(files_equal(pa, pb));
    rm_tree(t.path);
}

/* ---- the generated test contract (build/gen/test_schema.h) ------------------ */

static const tnd_method_desc *find_method(const char *full_name)
{
    for (size_t i = 0; i < test_schema.n_services; i++) {
        const tnd_service_desc *s = test_schema.services[i];
        for (size_t j = 0; j < s->n_methods; j++)
            if (strcmp(s->methods[j].full_name, full_name) == 0)
                return &s->methods[j];
    }
    return NULL;
}

static void test_sample_descriptors(void **state)
{
    (void)state;
    assert_int_equal(test_schema.n_files, 2);
    assert_string_equal(test_schema.files[0].name, "sample.schema");
    assert_string_equal(test_schema.files[1].name, "sample_v2.schema");
    char *text = read_all("tests/schema/sample.schema", NULL);
    assert_non_null(text);
    assert_string_equal(test_schema.files[0].text, text);
    free(text);

    /* Every message's fields are sorted by number; offsets match the struct. */
    for (size_t i = 0; i < test_schema.n_messages; i++) {
        const tnd_msg_desc *m = test_schema.messages[i];
        for (size_t j = 1; j < m->n_fields; j++)
            assert_true(m->fields[j - 1].number < m->fields[j].number);
    }
    const tnd_msg_desc *c = &tender_test_v1_Containers_desc;
    assert_string_equal(c->full_name, "tender.test.v1.Containers");
    assert_int_equal(c->size, sizeof(tender_test_v1_Containers));
    const tnd_field_desc *m_msg = &c->fields[11];
    assert_string_equal(m_msg->name, "m_msg");
    assert_int_equal(m_msg->label, TND_L_MAP);
    assert_int_equal(m_msg->type, TND_T_MESSAGE);
    assert_ptr_equal(m_msg->msg, &tender_test_v1_Scalars_desc);
    assert_int_equal(m_msg->offset, offsetof(tender_test_v1_Containers, m_msg));
    assert_int_equal(m_msg->aux_offset, offsetof(tender_test_v1_Containers, n_m_msg));
    assert_int_equal(m_msg->elem_size, sizeof(tender_test_v1_Containers_m_msgEntry));
    assert_int_equal(m_msg->map_value_offset,
                     offsetof(tender_test_v1_Containers_m_msgEntry, value));
    const tnd_field_desc *opt_e = &tender_test_v1_Scalars_desc.fields[17];
    assert_string_equal(opt_e->name, "opt_e");
    assert_int_equal(opt_e->label, TND_L_OPTIONAL);
    assert_ptr_equal(opt_e->enm, &tender_test_v1_Color_desc);
    assert_int_equal(opt_e->aux_offset, offsetof(tender_test_v1_Scalars, has_opt_e));
    const tnd_field_desc *tags = &tender_test_v1_Limited_desc.fields[3];
    assert_int_equal(tags->max_count, 2);
    assert_int_equal(tags->max_len, 5);
    assert_int_equal(tender_test_v1_Color_GREEN, 2);

    const tnd_method_desc *ss = find_method("tender.test.v1.Sample/ServerStream");
    assert_non_null(ss);
    assert_ptr_equal(ss, tender_test_v1_Sample_ServerStream_method);
    assert_int_equal(ss->kind, TND_CALL_SERVER_STREAM);
    assert_int_equal(ss->roles, TND_ROLE_SUPPLIER);
    assert_false(ss->is_public);
    const tnd_method_desc *cs = tender_test_v1_Sample_ClientStream_method;
    assert_int_equal(cs->kind, TND_CALL_CLIENT_STREAM);
    assert_int_equal(cs->roles, TND_ROLE_OFFICER | TND_ROLE_ADMIN);
    const tnd_method_desc *un = tender_test_v1_Sample_Unary_method;
    assert_true(un->is_public && un->idempotent && un->roles == 0);
    assert_int_equal(tender_test_v1_Sample_Bidi_method->kind, TND_CALL_BIDI);
}

/* ---- main ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_failure_keeps_old_output),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_generated_code_compiles_and_embeds_source),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_sample_descriptors),
    };
    size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);

    /* One test per tests/schemac/bad/NAME.schema, in name order. */
    char *names[256];
    size_t n_bad = 0;
    DIR *d = opendir(BAD_DIR);
    if (!d) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", BAD_DIR);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) && n_bad < sizeof(names) / sizeof(names[0])) {
        size_t len = strlen(e->d_name);
        if (len > 7 && strcmp(e->d_name + len - 7, ".schema") == 0)
            names[n_bad++] = strndup(e->d_name, len - 7);
    }
    closedir(d);
    qsort(names, n_bad, sizeof(names[0]), cmp_str);
    if (n_bad < 12) {
        fprintf(stderr, "only %zu bad-schema fixtures in %s; expected at least 12\n", n_bad,
                BAD_DIR);
        return 1;
    }

    struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof(*tests));
    if (!tests)
        return 1;
    memcpy(tests, fixed, sizeof(fixed));
    for (size_t i = 0; i < n_bad; i++) {
        tests[n_fixed + i] =
            (struct CMUnitTest)cmocka_unit_test_prestate(test_bad_schema, names[i]);
        tests[n_fixed + i].name = names[i];
    }
    int failed = _cmocka_run_group_tests("schemac", tests, n_fixed + n_bad, NULL, NULL);
    for (size_t i = 0; i < n_bad; i++)
        free(names[i]);
    free(tests);
    return failed;
}
