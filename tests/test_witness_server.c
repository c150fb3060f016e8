/* The real tenderwitness (build/bin/tenderwitness) as a child process on
 * 127.0.0.1: a growing log cosigned with real consistency proofs, every
 * tlog-witness status code, hostile bodies, a fork and a rollback refused
 * with their evidence kept, the evidence cap, concurrent updates (one wins),
 * a state that cannot be written (503, nothing cosigned), the state across a
 * restart, a corrupt state refused at start, the monitor's GET, and the
 * command line's exit codes. The requests are built with libtender's
 * primitives and a log key made here. KEEP_WITNESS_TMP=1 keeps the folders
 * and the witness's logs in /tmp/tnd_witness_*. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "httpget.h"
#include "scrape.h"
#include "tender/encoding.h"
#include "tender/witness.h"

#define ORIGIN "tender.example/log"

static char bin[512];
static char tmp[64];
static char state_dir[128];
static char log_path[128];
static EVP_PKEY *log_key;
static char log_vkey[TND_NOTE_VKEY_MAX];
static tnd_note_verifier wv; /* the witness's cosigner key */
static pid_t child = -1;
static int port;

/* ---- an in-memory Merkle tree --------------------------------------------- */

typedef struct tree {
    uint8_t nodes[7][64][32];
    uint64_t size;
} tree;

static int t_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    tree *t = ctx;
    if (level >= 7 || index >= 64)
        return TND_EINVAL;
    memcpy(out, t->nodes[level][index], 32);
    return 0;
}

static int t_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
    tree *t = ctx;
    if (level >= 7 || index >= 64)
        return TND_EINVAL;
    memcpy(t->nodes[level][index], h, 32);
    return 0;
}

/* Grow t to n leaves named PREFIX-i. */
static void tree_grow(tree *t, const char *prefix, uint64_t n)
{
    while (t->size < n) {
        char leaf[64];
        int l = snprintf(leaf, sizeof leaf, "%s-%" PRIu64, prefix, t->size);
        uint8_t h[32];
        assert_int_equal(tnd_merkle_leaf_hash((const uint8_t *)leaf, (size_t)l, h), 0);
        assert_int_equal(tnd_merkle_append(t_get, t_put, t, t->size, h), 0);
        t->size++;
    }
}

/* The log's signed checkpoint of the first size leaves of t, malloc'd. */
static char *signed_cp(tree *t, uint64_t size, EVP_PKEY *key, const char *origin)
{
    tnd_checkpoint cp = {.size = size};
    snprintf(cp.origin, sizeof cp.origin, "%s", origin);
    assert_int_equal(tnd_merkle_root(t_get, t, size, cp.root), 0);
    char text[TND_CHECKPOINT_TEXT_MAX];
    assert_int_equal(tnd_checkpoint_format(&cp, text, sizeof text), 0);
    char *note;
    assert_int_equal(tnd_note_sign(text, origin, key, &note), 0);
    return note;
}

/* An add-checkpoint body from old to the checkpoint note, with the proof
 * of t from old to size (none when old is 0). */
static char *body_for(tree *t, uint64_t old, uint64_t size, const char *note, size_t *len)
{
    uint8_t proof[64][32];
    size_t n = 0;
    if (old > 0)
        assert_int_equal(tnd_merkle_prove_consistency(t_get, t, old, size, proof, 64, &n), 0);
    char *body;
    assert_int_equal(tnd_witness_request_format(old, (const uint8_t(*)[32])proof, n, note,
                                                strlen(note), &body, len),
                     0);
    return body;
}

/* An add-checkpoint body from old to note without a proof. */
static char *bare_body(uint64_t old, const char *note, size_t *len)
{
    char *body;
    assert_int_equal(tnd_witness_request_format(old, NULL, 0, note, strlen(note), &body, len), 0);
    return body;
}

/* ---- the witness process ------------------------------------------------- */

static void run_cmd(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
}

/* Start tenderwitness serve, stderr to log_path; wait until it listens.
 * Returns 0, or the exit status when it stopped instead. */
static int start_witness(void)
{
    port = scrape_free_port();
    assert_true(port > 0);
    char listen_arg[32];
    snprintf(listen_arg, sizeof listen_arg, "127.0.0.1:%d", port);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execl(bin, bin, "serve", "--state", state_dir, "--listen", listen_arg, "--log", log_vkey,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(child, &st, WNOHANG) == child) {
            child = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return 0;
        usleep(10000);
    }
    fail_msg("tenderwitness did not start listening");
    return -1;
}

/* SIGTERM the witness; its exit status. */
static int stop_witness(void)
{
    if (child <= 0)
        return -1;
    kill(child, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(child, &st, 0), child);
    child = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A fresh state folder and witness for each test. */
static int setup(void **state)
{
    (void)state;
    static int seq;
    snprintf(state_dir, sizeof state_dir, "%s/w%d", tmp, ++seq);
    snprintf(log_path, sizeof log_path, "%s/w%d.log", tmp, seq);
    char cmd[700], out[600];
    snprintf(cmd, sizeof cmd, "%s init --state %s --name audit.example/witness", bin, state_dir);
    run_cmd(cmd, out, sizeof out);
    out[strcspn(out, "\n")] = '\0';
    if (tnd_cosigner_parse(out, &wv) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s print-key --state %s", bin, state_dir);
    char again[600];
    run_cmd(cmd, again, sizeof again);
    again[strcspn(again, "\n")] = '\0';
    if (strcmp(out, again) != 0)
        return -1;
    return start_witness();
}

static int teardown(void **state)
{
    (void)state;
    if (child > 0)
        stop_witness();
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------ */

static void post(const char *body, size_t len, hresp *r)
{
    size_t cap = len + 256;
    char *req = malloc(cap);
    assert_non_null(req);
    int h = snprintf(req, cap,
                     "POST /add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     len);
    memcpy(req + h, body, len);
    http_raw(port, req, (size_t)h + len, r);
    free(req);
}

/* POST, expect status, free the answer unless r is given. */
static void add_expect(const char *body, size_t len, int status, hresp *out)
{
    hresp r;
    post(body, len, &r);
    if (r.status != status)
        fail_msg("expected %d, got %d: %s", status, r.status, r.body);
    char type[100];
    assert_non_null(http_header(&r, "Content-Type", type, sizeof type));
    if (status == 409)
        assert_string_equal(type, "text/x.tlog.size");
    else
        assert_non_null(strstr(type, "text/plain"));
    assert_true(r.len > 0); /* every refusal says why */
    if (out)
        *out = r;
    else
        http_free(&r);
}

/* Submit t's checkpoint of size from old; a 200 answer's cosignature
 * verifies on the note; returns the note (malloc'd). */
static char *cosign(tree *t, uint64_t old, uint64_t size)
{
    char *note = signed_cp(t, size, log_key, ORIGIN);
    size_t len;
    char *body = body_for(t, old, size, note, &len);
    hresp r;
    add_expect(body, len, 200, &r);
    free(body);
    /* One signature line by the witness, verifying on the checkpoint. */
    assert_memory_equal(r.body, "\xe2\x80\x94 audit.example/witness ", 26);
    assert_int_equal(strchr(r.body, '\n') - r.body + 1, (long)r.len);
    size_t nl = strlen(note);
    char *full = malloc(nl + r.len + 1);
    memcpy(full, note, nl);
    memcpy(full + nl, r.body, r.len + 1);
    uint64_t ts = 0;
    assert_int_equal(tnd_cosig_verify(full, nl + r.len, &wv, &ts), 0);
    time_t now = time(NULL);
    assert_true(ts > 0 && ts <= (uint64_t)now && ts + 60 >= (uint64_t)now);
    free(full);
    http_free(&r);
    return note;
}

static void origin_hex(const char *origin, char hex[65])
{
    uint8_t h[32];
    unsigned hl;
    EVP_Digest(origin, strlen(origin), h, &hl, EVP_sha256(), NULL);
    tnd_hex_encode(h, 32, hex);
}

/* GET the monitor's checkpoint: log-signed, cosigned, of the given size. */
static void monitor_expect(uint64_t size)
{
    char hex[65], path[100];
    origin_hex(ORIGIN, hex);
    snprintf(path, sizeof path, "/%s/checkpoint", hex);
    hresp r;
    http_req(port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    tnd_note_verifier lv;
    assert_int_equal(tnd_note_verifier_parse(log_vkey, &lv), 0);
    tnd_checkpoint cp;
    assert_int_equal(tnd_checkpoint_verify(r.body, r.len, &lv, &cp), 0);
    assert_int_equal(cp.size, size);
    assert_string_equal(cp.origin, ORIGIN);
    assert_int_equal(tnd_cosig_verify(r.body, r.len, &wv, NULL), 0);
    http_free(&r);
}

static int count_evidence(void)
{
    char p[200];
    snprintf(p, sizeof p, "%s/evidence", state_dir);
    DIR *d = opendir(p);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, ".txt") != NULL;
    closedir(d);
    return n;
}

/* The one evidence file that holds needle; its text (malloc'd). */
static char *evidence_with(const char *needle)
{
    char p[200];
    snprintf(p, sizeof p, "%s/evidence", state_dir);
    DIR *d = opendir(p);
    assert_non_null(d);
    char *found = NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strstr(e->d_name, ".txt"))
            continue;
        char f[500];
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        char *t = read_file(f, NULL);
        assert_non_null(t);
        if (!found && strstr(t, needle))
            found = t;
        else
            free(t);
    }
    closedir(d);
    return found;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_grows_and_cosigns(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    free(cosign(t, 0, 0)); /* the empty tree */
    tree_grow(t, "a", 20);
    free(cosign(t, 0, 3));
    free(cosign(t, 3, 8));
    free(cosign(t, 8, 20));
    monitor_expect(20);
    /* The same checkpoint again: cosigned again. */
    free(cosign(t, 20, 20));
    monitor_expect(20);
    /* The key can be read while it serves; a second serve on the folder is refused. */
    char cmd[700], out[600];
    snprintf(cmd, sizeof cmd, "%s print-key --state %s", bin, state_dir);
    run_cmd(cmd, out, sizeof out);
    tnd_note_verifier again;
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(tnd_cosigner_parse(out, &again), 0);
    assert_string_equal(again.name, wv.name);
    assert_memory_equal(again.key, wv.key, 32);
    pid_t first = child;
    assert_int_equal(start_witness(), 1);
    child = first;
    char *log = read_file(log_path, NULL);
    assert_non_null(strstr(log, "in use by another tenderwitness"));
    free(log);
    free(t);
}

static void test_status_codes(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 8);
    free(cosign(t, 0, 3));
    size_t len;
    char *body;

    /* 404: an origin the witness has no key for. */
    char *other = signed_cp(t, 8, log_key, "other.example/log");
    body = body_for(t, 3, 8, other, &len);
    add_expect(body, len, 404, NULL);
    free(body);
    free(other);

    /* 403: signed by another key under the trusted name. */
    EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *forged = signed_cp(t, 8, k2, ORIGIN);
    body = body_for(t, 3, 8, forged, &len);
    add_expect(body, len, 403, NULL);
    free(body);
    free(forged);
    EVP_PKEY_free(k2);

    /* 403: the trusted key's line, its signature altered. */
    char *note = signed_cp(t, 8, log_key, ORIGIN);
    char *bad = strdup(note);
    char *sig = strrchr(bad, ' ') + 1 + 10; /* inside the signature, after the key id */
    *sig = *sig == 'A' ? 'B' : 'A';
    body = body_for(t, 3, 8, bad, &len);
    add_expect(body, len, 403, NULL);
    free(body);
    free(bad);

    /* 400: malformed bodies, old size above the checkpoint's. */
    add_expect("hello\n", 6, 400, NULL);
    add_expect("old 03\n\nx\n", 10, 400, NULL);
    body = bare_body(9, note, &len);
    add_expect(body, len, 400, NULL);
    free(body);

    /* 409: old size 0, the witness holds 3. */
    hresp r;
    body = body_for(t, 0, 8, note, &len);
    add_expect(body, len, 409, &r);
    assert_string_equal(r.body, "3\n");
    http_free(&r);
    free(body);

    /* 422: a proof that does not verify (another tree's). */
    tree *u = calloc(1, sizeof *u);
    tree_grow(u, "b", 8);
    uint8_t proof[64][32];
    size_t pn;
    assert_int_equal(tnd_merkle_prove_consistency(t_get, u, 3, 8, proof, 64, &pn), 0);
    assert_int_equal(tnd_witness_request_format(3, (const uint8_t(*)[32])proof, pn, note,
                                                strlen(note), &body, &len),
                     0);
    add_expect(body, len, 422, NULL);
    free(body);
    /* ... and a proof with a line missing. */
    assert_int_equal(tnd_merkle_prove_consistency(t_get, t, 3, 8, proof, 64, &pn), 0);
    assert_int_equal(tnd_witness_request_format(3, (const uint8_t(*)[32])proof, pn - 1, note,
                                                strlen(note), &body, &len),
                     0);
    add_expect(body, len, 422, NULL);
    free(body);
    free(u);
    monitor_expect(3); /* nothing was cosigned */
    free(note);

    /* A fresh origin state is needed for the old-0 rules: restart on a new folder. */
    free(t);
}

/* The rules of old size 0 and of size 0, on a witness that holds nothing. */
static void test_size_zero_rules(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 8);
    /* 422: a proof with old size 0. */
    char *note = signed_cp(t, 8, log_key, ORIGIN);
    uint8_t proof[1][32] = {{1}};
    char *body;
    size_t len;
    assert_int_equal(tnd_witness_request_format(0, (const uint8_t(*)[32])proof, 1, note,
                                                strlen(note), &body, &len),
                     0);
    add_expect(body, len, 422, NULL);
    free(body);
    free(note);
    /* 422: size 0 with a root that is not the empty tree's. */
    tnd_checkpoint cp = {.size = 0};
    snprintf(cp.origin, sizeof cp.origin, ORIGIN);
    memset(cp.root, 7, 32);
    char text[TND_CHECKPOINT_TEXT_MAX];
    assert_int_equal(tnd_checkpoint_format(&cp, text, sizeof text), 0);
    assert_int_equal(tnd_note_sign(text, ORIGIN, log_key, &note), 0);
    body = body_for(t, 0, 0, note, &len);
    add_expect(body, len, 422, NULL);
    free(body);
    free(note);
    /* 404 for the monitor: nothing cosigned yet. */
    char hex[65], path[100];
    origin_hex(ORIGIN, hex);
    snprintf(path, sizeof path, "/%s/checkpoint", hex);
    hresp r;
    http_req(port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_true(r.len > 0);
    http_free(&r);
    free(t);
}

static void test_http_limits(void **state)
{
    (void)state;
    hresp r;
    /* 413: a declared length above the bound, refused before the body. */
    http_req(port, "POST", "/add-checkpoint", "Content-Length: 100000\r\n", &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "too large"));
    http_free(&r);
    /* 413: a chunked body that grows past it. */
    size_t big = 20000;
    char *req = malloc(big + 300);
    int h = snprintf(req, big + 300,
                     "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                     big);
    memset(req + h, 'a', big);
    memcpy(req + h + big, "\r\n0\r\n\r\n", 7);
    http_raw(port, req, (size_t)h + big + 7, &r);
    assert_int_equal(r.status, 413);
    http_free(&r);
    free(req);
    /* 405 and 404. */
    http_req(port, "GET", "/add-checkpoint", NULL, &r);
    assert_int_equal(r.status, 405);
    http_free(&r);
    http_req(port, "GET", "/nothing", NULL, &r);
    assert_int_equal(r.status, 404);
    http_free(&r);
    http_req(port, "GET", "/ABCD/checkpoint", NULL, &r);
    assert_int_equal(r.status, 404);
    http_free(&r);
    /* Still serving. */
    http_req(port, "GET",
             "/0000000000000000000000000000000000000000000000000000000000000000/checkpoint", NULL,
             &r);
    assert_int_equal(r.status, 404);
    http_free(&r);
}

/* A second tree sharing the first 5 leaves, then different. */
static void test_fork_refused_with_evidence(void **state)
{
    (void)state;
    tree *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    tree_grow(a, "a", 10);
    tree_grow(b, "a", 5);
    tree_grow(b, "b", 12);
    free(cosign(a, 0, 5));
    char *a10 = cosign(a, 5, 10);

    /* B at 12, its proof from its own 10: does not verify against A's 10. */
    char *b12 = signed_cp(b, 12, log_key, ORIGIN);
    size_t len;
    char *body = body_for(b, 10, 12, b12, &len);
    add_expect(body, len, 422, NULL);
    char *ev = evidence_with("does not verify");
    assert_non_null(ev);
    assert_non_null(strstr(ev, b12));  /* the refused checkpoint, as signed */
    assert_non_null(strstr(ev, body)); /* the request as received */
    assert_non_null(strstr(ev, a10));  /* the cosigned checkpoint's text and log signature */
    assert_non_null(strstr(ev, "origin " ORIGIN "\n"));
    assert_non_null(strstr(ev, "\npeer 127.0.0.1\n"));
    free(ev);
    free(body);

    /* B at 10: same size, another root. */
    char *b10 = signed_cp(b, 10, log_key, ORIGIN);
    body = body_for(b, 10, 10, b10, &len);
    add_expect(body, len, 422, NULL);
    ev = evidence_with("another root");
    assert_non_null(ev);
    assert_non_null(strstr(ev, b10));
    assert_non_null(strstr(ev, a10));
    free(ev);
    free(body);
    assert_int_equal(count_evidence(), 2);
    monitor_expect(10);

    char *log = read_file(log_path, NULL);
    assert_non_null(strstr(log, "EVIDENCE"));
    free(log);
    free(a10);
    free(b10);
    free(b12);
    free(a);
    free(b);
}

static void test_rollback_refused(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 10);
    char *n8 = cosign(t, 0, 8);
    free(cosign(t, 8, 10));
    /* The log's own older checkpoint offered again. */
    size_t len;
    char *body = bare_body(10, n8, &len);
    add_expect(body, len, 400, NULL); /* old 10 above size 8 */
    free(body);
    hresp r;
    body = bare_body(8, n8, &len);
    add_expect(body, len, 409, &r);
    assert_string_equal(r.body, "10\n");
    http_free(&r);
    char *ev = evidence_with("rollback");
    assert_non_null(ev);
    assert_non_null(strstr(ev, n8));
    free(ev);
    assert_int_equal(count_evidence(), 2);
    monitor_expect(10);
    free(body);
    free(n8);
    free(t);
}

/* More than the cap of forks in a minute: the cap's number of files. */
static void test_evidence_cap(void **state)
{
    (void)state;
    tree *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    tree_grow(a, "a", 4);
    tree_grow(b, "b", 4);
    free(cosign(a, 0, 4));
    char *b4 = signed_cp(b, 4, log_key, ORIGIN);
    size_t len;
    char *body = body_for(b, 4, 4, b4, &len);
    for (int i = 0; i < 14; i++)
        add_expect(body, len, 422, NULL);
    /* Unless the minute turned meanwhile: then up to twice the cap. */
    int n = count_evidence();
    assert_true(n == 10 || (n > 10 && n <= 14));
    /* Every fork not kept is logged (none was when the minute turned early
     * enough for all 14 to fit under two caps). */
    char *log = read_file(log_path, NULL);
    if (n < 14)
        assert_non_null(strstr(log, "EVIDENCE not kept"));
    free(log);
    free(body);
    free(b4);
    free(a);
    free(b);
}

typedef struct racer {
    char *body;
    size_t len;
    int status;
} racer;

static void *race(void *arg)
{
    racer *x = arg;
    hresp r;
    post(x->body, x->len, &r);
    x->status = r.status;
    http_free(&r);
    return NULL;
}

/* Concurrent requests from the same old size: one is cosigned, the others
 * get 409 (check and update are one step). */
static void test_concurrent_updates(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 20);
    free(cosign(t, 0, 3));
    enum { N = 8 };
    racer x[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        char *note = signed_cp(t, 4 + (uint64_t)i, log_key, ORIGIN);
        x[i].body = body_for(t, 3, 4 + (uint64_t)i, note, &x[i].len);
        free(note);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race, &x[i]), 0);
    int ok = 0, conflict = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += x[i].status == 200;
        conflict += x[i].status == 409;
        free(x[i].body);
    }
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, N - 1);
    free(t);
}

static void test_state_survives_restart(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 20);
    free(cosign(t, 0, 3));
    free(cosign(t, 3, 8));
    assert_int_equal(stop_witness(), 0);
    assert_int_equal(start_witness(), 0);
    monitor_expect(8);
    char *n20 = signed_cp(t, 20, log_key, ORIGIN);
    size_t len;
    char *body = body_for(t, 3, 20, n20, &len);
    hresp r;
    add_expect(body, len, 409, &r); /* old size 3 no longer */
    assert_string_equal(r.body, "8\n");
    http_free(&r);
    free(body);
    free(n20);
    free(cosign(t, 8, 20));
    free(t);
}

static void test_corrupt_state_stops_start(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 8);
    free(cosign(t, 0, 8));
    assert_int_equal(stop_witness(), 0);
    char hex[65], f[300];
    origin_hex(ORIGIN, hex);
    snprintf(f, sizeof f, "%s/checkpoints/%s", state_dir, hex);
    size_t len;
    char *good = read_file(f, &len);
    assert_non_null(good);

    /* Another size: the cosignature no longer verifies. */
    char *bad = strdup(good);
    bad[strlen(ORIGIN) + 1] = '9';
    FILE *o = fopen(f, "wb");
    fwrite(bad, 1, len, o);
    fclose(o);
    assert_int_equal(start_witness(), 1);
    char *log = read_file(log_path, NULL);
    assert_non_null(strstr(log, f));
    assert_non_null(strstr(log, "cosignature"));
    assert_non_null(strstr(log, "refusing to start"));
    free(log);

    /* Garbage, and an unreadable file. */
    o = fopen(f, "wb");
    fputs("garbage", o);
    fclose(o);
    assert_int_equal(start_witness(), 1);
    if (geteuid() != 0) {
        o = fopen(f, "wb");
        fwrite(good, 1, len, o);
        fclose(o);
        chmod(f, 0);
        assert_int_equal(start_witness(), 1);
        chmod(f, 0644);
    }
    /* Restored: it starts and holds 8. */
    o = fopen(f, "wb");
    fwrite(good, 1, len, o);
    fclose(o);
    assert_int_equal(start_witness(), 0);
    monitor_expect(8);
    free(bad);
    free(good);
    free(t);
}

/* Bodies a hostile client may send: each refused with its reason, and the
 * witness keeps serving; signature lines of others are not kept. */
static void test_hostile_bodies(void **state)
{
    (void)state;
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 8);
    char *note = signed_cp(t, 3, log_key, ORIGIN);
    size_t len;
    /* 64 proof lines, one above the limit. */
    uint8_t proof[64][32] = {{0}};
    char *body = NULL;
    assert_int_equal(tnd_witness_request_format(0, (const uint8_t(*)[32])proof, 63, note,
                                                strlen(note), &body, &len),
                     0);
    char *more = malloc(len + 64);
    int n = snprintf(more, len + 64, "old 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n%s",
                     strchr(body, '\n') + 1);
    add_expect(more, (size_t)n, 400, NULL);
    free(more);
    free(body);
    /* A NUL inside the checkpoint, a size with a sign, no empty line. */
    add_expect("old 0\n\ntender.example/log\n\0003\nx\n\n", 32, 400, NULL);
    add_expect("old -1\n\nx\n", 11, 400, NULL);
    add_expect("old 0\n", 6, 400, NULL);
    add_expect("", 0, 400, NULL);
    /* A note with another witness's cosignature and lines of unknown keys:
     * cosigned, and only the log's line and this witness's are kept. */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char text[TND_CHECKPOINT_TEXT_MAX];
    memcpy(text, note, strstr(note, "\n\n") + 1 - note);
    text[strstr(note, "\n\n") + 1 - note] = '\0';
    char line[TND_COSIG_LINE_MAX];
    assert_int_equal(tnd_cosig_sign(text, "other.example/w", other, 1700000000, line, sizeof line),
                     0);
    char *noisy = malloc(strlen(note) + 2 * sizeof line);
    sprintf(noisy, "%s%s%s", note, line, "\xe2\x80\x94 " ORIGIN "x AAAAAAAAAAAA\n");
    EVP_PKEY_free(other);
    body = bare_body(0, noisy, &len);
    hresp r;
    add_expect(body, len, 200, &r);
    http_free(&r);
    free(body);
    char hex[65], path[100];
    origin_hex(ORIGIN, hex);
    snprintf(path, sizeof path, "/%s/checkpoint", hex);
    http_req(port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "other.example"));
    assert_null(strstr(r.body, ORIGIN "x"));
    assert_memory_equal(r.body, note, strlen(note)); /* text and the log's line */
    assert_int_equal(tnd_cosig_verify(r.body, r.len, &wv, NULL), 0);
    http_free(&r);
    free(noisy);
    free(note);
    free(t);
}

/* The new state cannot be written (its folder is gone): 503, nothing is
 * cosigned, and the witness keeps serving. */
static void test_store_failure_not_cosigned(void **state)
{
    (void)state;
    char d[200];
    snprintf(d, sizeof d, "%s/checkpoints", state_dir);
    assert_int_equal(rmdir(d), 0);
    tree *t = calloc(1, sizeof *t);
    tree_grow(t, "a", 3);
    char *note = signed_cp(t, 3, log_key, ORIGIN);
    size_t len;
    char *body = bare_body(0, note, &len);
    hresp r;
    add_expect(body, len, 503, &r);
    assert_non_null(strstr(r.body, "not cosigned"));
    assert_null(strstr(r.body, "\xe2\x80\x94"));
    http_free(&r);
    add_expect(body, len, 503, NULL); /* still old size 0: nothing was taken */
    char hex[65], path[100];
    origin_hex(ORIGIN, hex);
    snprintf(path, sizeof path, "/%s/checkpoint", hex);
    http_req(port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 404);
    http_free(&r);
    free(body);
    free(note);
    free(t);
}

/* Exit status of a shell command line. */
static int sh(const char *fmt, ...)
{
    char cmd[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The command line's exit codes: 2 bad usage, 1 failure. */
static void test_command_line(void **state)
{
    (void)state;
    char d[200];
    snprintf(d, sizeof d, "%s/cli", tmp);
    assert_int_equal(sh("%s >/dev/null 2>&1", bin), 2);
    assert_int_equal(sh("%s --help >/dev/null", bin), 0);
    assert_int_equal(sh("%s serve --help >/dev/null", bin), 0);
    assert_int_equal(sh("%s frobnicate 2>/dev/null", bin), 2);
    assert_int_equal(sh("%s init --state %s 2>/dev/null", bin, d), 2);
    assert_int_equal(sh("%s init --state %s --name 'a b' 2>/dev/null", bin, d), 2);
    assert_int_equal(sh("%s init --state %s --name a.example/w --bogus 1 2>/dev/null", bin, d), 2);
    assert_int_equal(sh("%s print-key --state %s 2>/dev/null", bin, d), 1); /* no such folder */
    assert_int_equal(sh("%s init --state %s --name a.example/w >/dev/null", bin, d), 0);
    assert_int_equal(sh("%s init --state %s --name a.example/w 2>/dev/null", bin, d), 1);
    assert_int_equal(sh("%s serve --state %s --listen 127.0.0.1:0 2>/dev/null", bin, d), 2);
    assert_int_equal(sh("%s serve --state %s --listen 127.0.0.1:0 --log x 2>/dev/null", bin, d), 2);
    assert_int_equal(
        sh("%s serve --state %s --listen 127.0.0.1:0 --log '%s' --log '%s' 2>/dev/null", bin, d,
           log_vkey, log_vkey),
        2);
    assert_int_equal(
        sh("%s serve --state %s --listen nowhere:1 --log '%s' 2>/dev/null", bin, d, log_vkey), 1);
    /* A key that others can read is refused. */
    assert_int_equal(
        sh("chmod 644 %s/witness.key && %s print-key --state %s 2>/dev/null", d, bin, d), 1);
}

int main(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char cwd[300];
    if (!getcwd(cwd, sizeof cwd))
        return 1;
    snprintf(bin, sizeof bin, "%s/%s/bin/tenderwitness", cwd, build);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "test_witness_server: %s is missing (make all)\n", bin);
        return 1;
    }
    snprintf(tmp, sizeof tmp, "/tmp/tnd_witness_XXXXXX");
    if (!mkdtemp(tmp))
        return 1;
    log_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t pub[32];
    size_t pl = 32;
    if (!log_key || EVP_PKEY_get_raw_public_key(log_key, pub, &pl) != 1 ||
        tnd_note_verifier_format(ORIGIN, pub, log_vkey, sizeof log_vkey) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_line),
        cmocka_unit_test_setup_teardown(test_grows_and_cosigns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_zero_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_refused_with_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evidence_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failure_not_cosigned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_state_stops_start, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_PKEY_free(log_key);
    char cmd[120];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (!getenv("KEEP_WITNESS_TMP") && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmp);
    return rc;
}
