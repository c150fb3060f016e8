/* Unit tests of common/hpke.c and common/x25519.c: every field of every
 * RFC 9180 base-mode vector in tests/data/vectors/hpke_base_x25519.json
 * (DeriveKeyPair, enc, shared secret, key schedule, every encryption in
 * sequence and every export, for AEADs 1, 2 and 3), the single-shot API, and
 * what must be refused: any flipped bit in ct, aad, info or enc, the wrong
 * recipient key, low-order public keys, contexts used in the wrong role.
 *
 * The vectors file is found through $TND_VECTORS (the file, or the folder
 * holding it), else at tests/data/vectors/ relative to the repository root,
 * where the tests run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "hpke_internal.h"
#include "tender/sealed.h"

#define VECTORS_NAME "hpke_base_x25519.json"
#define VECTORS_DEFAULT "tests/data/vectors/" VECTORS_NAME

/* ---- a small JSON reader, enough for the vectors file -------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jnode {
    enum jtype type;
    char *str;           /* J_STR */
    long num;            /* J_NUM, J_BOOL */
    size_t n;            /* items of J_ARR and J_OBJ */
    char **keys;         /* J_OBJ */
    struct jnode *items; /* J_ARR, J_OBJ */
} jnode;

typedef struct {
    const char *p, *end;
} jparser;

static void jskip(jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t'))
        jp->p++;
}

static int jvalue(jparser *jp, jnode *out, int depth);

/* A string; escapes are kept simple: \uXXXX becomes '?'. */
static int jstring(jparser *jp, char **out)
{
    if (jp->p >= jp->end || *jp->p != '"')
        return -1;
    jp->p++;
    const char *start = jp->p;
    size_t cap = 1;
    while (jp->p < jp->end && *jp->p != '"') {
        if (*jp->p == '\\')
            jp->p++;
        jp->p++, cap++;
    }
    if (jp->p >= jp->end)
        return -1;
    char *s = malloc(cap), *w = s;
    if (s == NULL)
        return -1;
    for (const char *r = start; r < jp->p; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 'n':
            *w++ = '\n';
            break;
        case 't':
            *w++ = '\t';
            break;
        case 'u':
            *w++ = '?';
            r += (jp->p - r > 4) ? 4 : 0;
            break;
        default:
            *w++ = *r;
        }
    }
    *w = '\0';
    jp->p++;
    *out = s;
    return 0;
}

static int jpush(jnode *node, jnode *item)
{
    jnode *items = realloc(node->items, (node->n + 1) * sizeof *items);
    if (items == NULL)
        return -1;
    node->items = items;
    node->items[node->n++] = *item;
    return 0;
}

static void jfree(jnode *n)
{
    for (size_t i = 0; i < n->n; i++) {
        jfree(&n->items[i]);
        if (n->keys != NULL)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->str);
}

static int jcontainer(jparser *jp, jnode *out, int depth, int obj)
{
    char close = obj ? '}' : ']';
    out->type = obj ? J_OBJ : J_ARR;
    jp->p++;
    jskip(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        jnode item = {0};
        jskip(jp);
        if (obj) {
            if (jstring(jp, &key) != 0)
                return -1;
            jskip(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                free(key);
                return -1;
            }
            jp->p++;
            char **keys = realloc(out->keys, (out->n + 1) * sizeof *keys);
            if (keys == NULL) {
                free(key);
                return -1;
            }
            out->keys = keys;
        }
        if (jvalue(jp, &item, depth + 1) != 0 || jpush(out, &item) != 0) {
            jfree(&item);
            free(key);
            return -1;
        }
        if (obj)
            out->keys[out->n - 1] = key;
        jskip(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            return 0;
        }
        return -1;
    }
}

static int jvalue(jparser *jp, jnode *out, int depth)
{
    if (depth > 16)
        return -1;
    jskip(jp);
    if (jp->p >= jp->end)
        return -1;
    char c = *jp->p;
    if (c == '{' || c == '[')
        return jcontainer(jp, out, depth, c == '{');
    if (c == '"') {
        out->type = J_STR;
        return jstring(jp, &out->str);
    }
    static const struct {
        const char *word;
        enum jtype type;
        long num;
    } words[] = {{"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t len = strlen(words[i].word);
        if ((size_t)(jp->end - jp->p) >= len && memcmp(jp->p, words[i].word, len) == 0) {
            jp->p += len;
            out->type = words[i].type, out->num = words[i].num;
            return 0;
        }
    }
    char *end;
    out->type = J_NUM;
    out->num = strtol(jp->p, &end, 10);
    if (end == jp->p)
        return -1;
    while (end < jp->end && (*end == '.' || *end == 'e' || *end == 'E' || *end == '+' ||
                             *end == '-' || (*end >= '0' && *end <= '9')))
        end++;
    jp->p = end;
    return 0;
}

static const jnode *jget(const jnode *obj, const char *key)
{
    if (obj == NULL || obj->type != J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The bytes of the hex string field key of obj (the test fails without it). */
static size_t jhex(const jnode *obj, const char *key, uint8_t *out, size_t cap)
{
    const jnode *v = jget(obj, key);
    if (v == NULL || v->type != J_STR)
        fail_msg("vector field %s missing or not a string", key);
    size_t len = strlen(v->str);
    if (len % 2 != 0 || len / 2 > cap)
        fail_msg("vector field %s: odd length or longer than %zu bytes", key, cap);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(v->str[2 * i]), lo = hexval(v->str[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail_msg("vector field %s is not hex", key);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return len / 2;
}

static long jnum(const jnode *obj, const char *key)
{
    const jnode *v = jget(obj, key);
    if (v == NULL || v->type != J_NUM)
        fail_msg("vector field %s missing or not a number", key);
    return v->num;
}

/* Read and parse the vectors file. */
static int vectors_load(jnode *root)
{
    char path[4096];
    const char *env = getenv("TND_VECTORS");
    struct stat st;
    if (env != NULL && *env != '\0') {
        if (stat(env, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(path, sizeof path, "%s/%s", env, VECTORS_NAME);
        else
            snprintf(path, sizeof path, "%s", env);
    } else {
        snprintf(path, sizeof path, "%s", VECTORS_DEFAULT);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        print_error("cannot open %s (set TND_VECTORS)\n", path);
        return -1;
    }
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    int full = feof(f);
    fclose(f);
    if (!full)
        return -1;
    jparser jp = {buf, buf + len};
    memset(root, 0, sizeof *root);
    if (jvalue(&jp, root, 0) != 0 || root->type != J_ARR) {
        jfree(root);
        return -1;
    }
    return 0;
}

static int setup_vectors(void **state)
{
    jnode *root = calloc(1, sizeof *root);
    if (root == NULL || vectors_load(root) != 0) {
        free(root);
        return -1;
    }
    *state = root;
    return 0;
}

/* cmocka runs the teardown after a failed setup too, with no state. */
static int teardown_vectors(void **state)
{
    if (*state == NULL)
        return 0;
    jfree(*state);
    free(*state);
    return 0;
}

/* ---- the vectors ---------------------------------------------------------- */

/* One entry's fixed fields, decoded. */
typedef struct {
    uint16_t aead;
    uint8_t info[256], ikmE[64], ikmR[64], skEm[32], pkEm[32], skRm[32], pkRm[32], enc[32], ss[32],
        key[32], nonce[12], exp[32];
    size_t info_len, ikmE_len, ikmR_len, key_len;
} entry;

static void entry_read(const jnode *e, entry *v)
{
    assert_int_equal(jnum(e, "mode"), 0);
    assert_int_equal(jnum(e, "kem_id"), TND_HPKE_KEM_X25519_SHA256);
    assert_int_equal(jnum(e, "kdf_id"), TND_HPKE_KDF_HKDF_SHA256);
    v->aead = (uint16_t)jnum(e, "aead_id");
    v->info_len = jhex(e, "info", v->info, sizeof v->info);
    v->ikmE_len = jhex(e, "ikmE", v->ikmE, sizeof v->ikmE);
    v->ikmR_len = jhex(e, "ikmR", v->ikmR, sizeof v->ikmR);
    assert_int_equal(jhex(e, "skEm", v->skEm, 32), 32);
    assert_int_equal(jhex(e, "pkEm", v->pkEm, 32), 32);
    assert_int_equal(jhex(e, "skRm", v->skRm, 32), 32);
    assert_int_equal(jhex(e, "pkRm", v->pkRm, 32), 32);
    assert_int_equal(jhex(e, "enc", v->enc, 32), 32);
    assert_int_equal(jhex(e, "shared_secret", v->ss, 32), 32);
    v->key_len = jhex(e, "key", v->key, sizeof v->key);
    assert_int_equal(jhex(e, "base_nonce", v->nonce, 12), 12);
    assert_int_equal(jhex(e, "exporter_secret", v->exp, 32), 32);
}

static void check_secrets(const tnd_hpke_ctx *ctx, const entry *v)
{
    uint8_t key[32], nonce[12], exp[32];
    size_t key_len;
    tnd__hpke_ctx_secrets(ctx, key, &key_len, nonce, exp);
    assert_int_equal(key_len, v->key_len);
    assert_memory_equal(key, v->key, key_len);
    assert_memory_equal(nonce, v->nonce, 12);
    assert_memory_equal(exp, v->exp, 32);
}

/* Keys, KEM and key schedule of every entry, for sender and receiver. */
static void test_vectors_setup(void **state)
{
    const jnode *root = *state;
    int seen[4] = {0};
    assert_true(root->n >= 3);
    for (size_t i = 0; i < root->n; i++) {
        entry v;
        uint8_t sk[32], pk[32], ss[32], enc[32];
        entry_read(&root->items[i], &v);
        assert_in_range(v.aead, 1, 3);
        seen[v.aead] = 1;

        assert_int_equal(tnd_hpke_derive_keypair(v.ikmE, v.ikmE_len, sk, pk), 0);
        assert_memory_equal(sk, v.skEm, 32);
        assert_memory_equal(pk, v.pkEm, 32);
        assert_int_equal(tnd_hpke_derive_keypair(v.ikmR, v.ikmR_len, sk, pk), 0);
        assert_memory_equal(sk, v.skRm, 32);
        assert_memory_equal(pk, v.pkRm, 32);
        assert_int_equal(tnd_x25519_public(v.skRm, pk), 0);
        assert_memory_equal(pk, v.pkRm, 32);

        assert_int_equal(tnd__hpke_encap_derand(v.pkRm, v.ikmE, v.ikmE_len, ss, enc), 0);
        assert_memory_equal(enc, v.enc, 32);
        assert_memory_equal(ss, v.ss, 32);
        memset(ss, 0, sizeof ss);
        assert_int_equal(tnd__hpke_decap(v.skRm, v.enc, ss), 0);
        assert_memory_equal(ss, v.ss, 32);

        tnd_hpke_ctx *s, *r;
        assert_int_equal(tnd__hpke_setup_sender_derand(v.aead, v.pkRm, v.info, v.info_len, v.ikmE,
                                                       v.ikmE_len, enc, &s),
                         0);
        assert_memory_equal(enc, v.enc, 32);
        check_secrets(s, &v);
        assert_int_equal(tnd_hpke_setup_receiver(v.aead, v.skRm, v.enc, v.info, v.info_len, &r), 0);
        check_secrets(r, &v);
        tnd_hpke_ctx_free(s);
        tnd_hpke_ctx_free(r);
    }
    assert_true(seen[1] && seen[2] && seen[3]);
}

#define MAX_SEQ 1024
#define MAX_MSG 256

/* Every encryption: the sender seals messages 0..last in order (filler where
 * the vectors skip a number) and must produce each listed ct; the receiver
 * opens all of them in order and gets each listed pt. Then every export,
 * from both sides. */
static void test_vectors_encryptions_exports(void **state)
{
    const jnode *root = *state;
    for (size_t i = 0; i < root->n; i++) {
        const jnode *e = &root->items[i];
        entry v;
        entry_read(e, &v);
        const jnode *encs = jget(e, "encryptions"), *exps = jget(e, "exports");
        assert_non_null(encs);
        assert_non_null(exps);
        assert_int_equal(encs->type, J_ARR);
        assert_true(encs->n > 0);

        /* Which sequence numbers the vectors list, and where. */
        static int at[MAX_SEQ];
        long last = -1;
        for (size_t s = 0; s < MAX_SEQ; s++)
            at[s] = -1;
        for (size_t k = 0; k < encs->n; k++) {
            long seq = jnum(&encs->items[k], "seq");
            assert_in_range(seq, last + 1, MAX_SEQ - 1);
            at[seq] = (int)k, last = seq;
        }

        static uint8_t cts[MAX_SEQ][MAX_MSG + 16];
        static size_t ct_lens[MAX_SEQ];
        static const uint8_t filler[] = "filler message";
        tnd_hpke_ctx *s, *r;
        uint8_t enc[32];
        assert_int_equal(tnd__hpke_setup_sender_derand(v.aead, v.pkRm, v.info, v.info_len, v.ikmE,
                                                       v.ikmE_len, enc, &s),
                         0);
        assert_int_equal(tnd_hpke_setup_receiver(v.aead, v.skRm, enc, v.info, v.info_len, &r), 0);
        for (long seq = 0; seq <= last; seq++) {
            uint8_t aad[MAX_MSG], pt[MAX_MSG], ct[MAX_MSG + 16], nonce[12], out[MAX_MSG];
            size_t aad_len, pt_len, ct_len = 0;
            const jnode *m = at[seq] >= 0 ? &encs->items[at[seq]] : NULL;
            if (m != NULL) {
                aad_len = jhex(m, "aad", aad, sizeof aad);
                pt_len = jhex(m, "pt", pt, sizeof pt);
                ct_len = jhex(m, "ct", ct, sizeof ct);
                assert_int_equal(ct_len, pt_len + TND_HPKE_TAG_LEN);
                /* The listed nonce is base_nonce XOR seq: the vectors agree
                 * with the numbering used here. */
                uint8_t want[12];
                memcpy(want, v.nonce, 12);
                for (unsigned b = 0; b < 8; b++)
                    want[11 - b] ^= (uint8_t)((unsigned long)seq >> (8 * b));
                assert_int_equal(jhex(m, "nonce", nonce, sizeof nonce), 12);
                assert_memory_equal(nonce, want, 12);
            } else {
                aad_len = 0;
                pt_len = sizeof filler;
                memcpy(pt, filler, pt_len);
            }
            assert_int_equal(
                tnd_hpke_ctx_seal(s, aad_len ? aad : NULL, aad_len, pt, pt_len, cts[seq]), 0);
            ct_lens[seq] = pt_len + TND_HPKE_TAG_LEN;
            if (m != NULL)
                assert_memory_equal(cts[seq], ct, ct_len);

            assert_int_equal(
                tnd_hpke_ctx_open(r, aad_len ? aad : NULL, aad_len, cts[seq], ct_lens[seq], out),
                0);
            assert_memory_equal(out, pt, pt_len);
        }

        assert_int_equal(exps->type, J_ARR);
        assert_true(exps->n > 0);
        for (size_t k = 0; k < exps->n; k++) {
            const jnode *x = &exps->items[k];
            uint8_t ctx_bytes[256], want[256], got[256];
            size_t ctx_len = jhex(x, "exporter_context", ctx_bytes, sizeof ctx_bytes);
            size_t want_len = jhex(x, "exported_value", want, sizeof want);
            assert_int_equal(jnum(x, "L"), (long)want_len);
            assert_int_equal(
                tnd_hpke_ctx_export(s, ctx_len ? ctx_bytes : NULL, ctx_len, got, want_len), 0);
            assert_memory_equal(got, want, want_len);
            memset(got, 0, sizeof got);
            assert_int_equal(
                tnd_hpke_ctx_export(r, ctx_len ? ctx_bytes : NULL, ctx_len, got, want_len), 0);
            assert_memory_equal(got, want, want_len);
        }
        tnd_hpke_ctx_free(s);
        tnd_hpke_ctx_free(r);
    }
}

/* The first encryption of an entry, for the single-shot and negative tests. */
typedef struct {
    entry v;
    uint8_t aad[64], pt[64], ct[80];
    size_t aad_len, pt_len, ct_len;
} first_msg;

static void first_read(const jnode *e, first_msg *f)
{
    entry_read(e, &f->v);
    const jnode *m = &jget(e, "encryptions")->items[0];
    assert_int_equal(jnum(m, "seq"), 0);
    f->aad_len = jhex(m, "aad", f->aad, sizeof f->aad);
    f->pt_len = jhex(m, "pt", f->pt, sizeof f->pt);
    f->ct_len = jhex(m, "ct", f->ct, sizeof f->ct);
}

static int open_first(const first_msg *f, const uint8_t *skR, const uint8_t *enc,
                      const uint8_t *info, const uint8_t *aad, const uint8_t *ct, uint8_t *pt)
{
    return tnd_hpke_open(f->v.aead, skR, enc, info, f->v.info_len, aad, f->aad_len, ct, f->ct_len,
                         pt);
}

/* Single-shot open of each entry's first message, and a round trip through
 * single-shot seal with a fresh ephemeral key (in place too). */
static void test_single_shot(void **state)
{
    const jnode *root = *state;
    for (size_t i = 0; i < root->n; i++) {
        first_msg f;
        uint8_t pt[64], enc[32], ct[80], enc2[32];
        first_read(&root->items[i], &f);
        assert_int_equal(open_first(&f, f.v.skRm, f.v.enc, f.v.info, f.aad, f.ct, pt), 0);
        assert_memory_equal(pt, f.pt, f.pt_len);

        assert_int_equal(tnd_hpke_seal(f.v.aead, f.v.pkRm, f.v.info, f.v.info_len, f.aad, f.aad_len,
                                       f.pt, f.pt_len, enc, ct),
                         0);
        assert_memory_not_equal(enc, f.v.enc, 32); /* a fresh ephemeral key */
        assert_int_equal(tnd_hpke_open(f.v.aead, f.v.skRm, enc, f.v.info, f.v.info_len, f.aad,
                                       f.aad_len, ct, f.pt_len + 16, pt),
                         0);
        assert_memory_equal(pt, f.pt, f.pt_len);

        /* Two seals of one message differ. */
        uint8_t ct2[80];
        assert_int_equal(tnd_hpke_seal(f.v.aead, f.v.pkRm, f.v.info, f.v.info_len, f.aad, f.aad_len,
                                       f.pt, f.pt_len, enc2, ct2),
                         0);
        assert_memory_not_equal(enc, enc2, 32);
        assert_memory_not_equal(ct, ct2, f.pt_len + 16);

        /* In place, and with empty info, aad and plaintext. */
        uint8_t buf[80];
        memcpy(buf, f.pt, f.pt_len);
        assert_int_equal(
            tnd_hpke_seal(f.v.aead, f.v.pkRm, NULL, 0, NULL, 0, buf, f.pt_len, enc, buf), 0);
        assert_int_equal(
            tnd_hpke_open(f.v.aead, f.v.skRm, enc, NULL, 0, NULL, 0, buf, f.pt_len + 16, buf), 0);
        assert_memory_equal(buf, f.pt, f.pt_len);
        assert_int_equal(tnd_hpke_seal(f.v.aead, f.v.pkRm, NULL, 0, NULL, 0, NULL, 0, enc, buf), 0);
        assert_int_equal(tnd_hpke_open(f.v.aead, f.v.skRm, enc, NULL, 0, NULL, 0, buf, 16, NULL),
                         0);
    }
}

/* Any single flipped bit in ct, aad, info or enc fails authentication, and
 * the plaintext buffer is wiped. */
static void test_flipped_bits(void **state)
{
    const jnode *root = *state;
    for (size_t i = 0; i < root->n; i++) {
        first_msg f;
        uint8_t pt[64];
        first_read(&root->items[i], &f);
        for (size_t bit = 0; bit < 8 * f.ct_len; bit++) {
            uint8_t ct[80];
            memcpy(ct, f.ct, f.ct_len);
            ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            memset(pt, 0xaa, sizeof pt);
            assert_int_equal(open_first(&f, f.v.skRm, f.v.enc, f.v.info, f.aad, ct, pt),
                             TND_ECRYPTO);
            for (size_t b = 0; b < f.pt_len; b++)
                assert_int_equal(pt[b], 0);
        }
        for (size_t bit = 0; bit < 8 * f.aad_len; bit++) {
            uint8_t aad[64];
            memcpy(aad, f.aad, f.aad_len);
            aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(open_first(&f, f.v.skRm, f.v.enc, f.v.info, aad, f.ct, pt),
                             TND_ECRYPTO);
        }
        for (size_t bit = 0; bit < 8 * f.v.info_len; bit++) {
            uint8_t info[256];
            memcpy(info, f.v.info, f.v.info_len);
            info[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(open_first(&f, f.v.skRm, f.v.enc, info, f.aad, f.ct, pt), TND_ECRYPTO);
        }
        /* Every bit of enc, the top bit too: X25519 ignores it, but enc is
         * part of the KEM context. */
        for (size_t bit = 0; bit < 8 * 32; bit++) {
            uint8_t enc[32];
            memcpy(enc, f.v.enc, 32);
            enc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(open_first(&f, f.v.skRm, enc, f.v.info, f.aad, f.ct, pt), TND_ECRYPTO);
        }
        /* Shorter or longer ciphertexts, and one shorter than a tag. */
        assert_int_equal(tnd_hpke_open(f.v.aead, f.v.skRm, f.v.enc, f.v.info, f.v.info_len, f.aad,
                                       f.aad_len, f.ct, f.ct_len - 1, pt),
                         TND_ECRYPTO);
        assert_int_equal(tnd_hpke_open(f.v.aead, f.v.skRm, f.v.enc, f.v.info, f.v.info_len, f.aad,
                                       f.aad_len, f.ct, 15, pt),
                         TND_ECRYPTO);
        /* Another AEAD with the same keys. */
        uint16_t other = f.v.aead == TND_HPKE_AEAD_AES256GCM ? TND_HPKE_AEAD_CHACHA20POLY1305
                                                             : TND_HPKE_AEAD_AES256GCM;
        assert_int_equal(tnd_hpke_open(other, f.v.skRm, f.v.enc, f.v.info, f.v.info_len, f.aad,
                                       f.aad_len, f.ct, f.ct_len, pt),
                         TND_ECRYPTO);
    }
}

/* The wrong recipient key: another entry's, a random one. */
static void test_wrong_recipient(void **state)
{
    const jnode *root = *state;
    for (size_t i = 0; i < root->n; i++) {
        first_msg f, g;
        uint8_t pt[64], sk[32], pk[32];
        first_read(&root->items[i], &f);
        first_read(&root->items[(i + 1) % root->n], &g);
        assert_int_equal(open_first(&f, g.v.skRm, f.v.enc, f.v.info, f.aad, f.ct, pt), TND_ECRYPTO);
        assert_int_equal(open_first(&f, f.v.skEm, f.v.enc, f.v.info, f.aad, f.ct, pt), TND_ECRYPTO);
        assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
        assert_int_equal(open_first(&f, sk, f.v.enc, f.v.info, f.aad, f.ct, pt), TND_ECRYPTO);
    }
}

/* Public keys of low order give an all-zero shared point: refused as
 * recipient key and as enc. */
static void test_low_order_keys(void **state)
{
    (void)state;
    /* u = 0, u = 1, and a point of order 8 (RFC 7748 / libsodium blocklist). */
    static const uint8_t bad[][32] = {
        {0},
        {1},
        {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
         0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
         0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
    };
    uint8_t sk[32], pk[32], enc[32], ct[16 + 4], pt[4] = "bid", dh[32];
    tnd_hpke_ctx *ctx = NULL;
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tnd__x25519_dh(sk, bad[i], dh), TND_ECRYPTO);
        assert_int_equal(tnd_hpke_seal(TND_HPKE_AEAD_AES256GCM, bad[i], NULL, 0, NULL, 0, pt,
                                       sizeof pt, enc, ct),
                         TND_ECRYPTO);
        assert_int_equal(tnd_hpke_setup_sender(TND_HPKE_AEAD_AES256GCM, bad[i], NULL, 0, enc, &ctx),
                         TND_ECRYPTO);
        assert_null(ctx);
        assert_int_equal(
            tnd_hpke_setup_receiver(TND_HPKE_AEAD_AES256GCM, sk, bad[i], NULL, 0, &ctx),
            TND_ECRYPTO);
        assert_null(ctx);
        memset(ct, 0, sizeof ct);
        assert_int_equal(
            tnd_hpke_open(TND_HPKE_AEAD_AES256GCM, sk, bad[i], NULL, 0, NULL, 0, ct, sizeof ct, pt),
            TND_ECRYPTO);
    }
}

/* Bad arguments, roles, the sequence number on failure, export lengths. */
static void test_api_contract(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], enc[32], ct[64], pt[64], out[TND_HPKE_MAX_EXPORT + 1];
    uint8_t ikm[32] = {0};
    tnd_hpke_ctx *s, *r;
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    assert_int_equal(tnd_hpke_derive_keypair(ikm, 31, sk, pk), TND_EINVAL);
    assert_int_equal(tnd_hpke_derive_keypair(NULL, 32, sk, pk), TND_EINVAL);
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    for (uint16_t bad_id = 0; bad_id < 8; bad_id += 4)
        assert_int_equal(tnd_hpke_seal(bad_id, pk, NULL, 0, NULL, 0, NULL, 0, enc, ct), TND_EINVAL);
    assert_int_equal(
        tnd_hpke_seal(TND_HPKE_AEAD_AES256GCM, NULL, NULL, 0, NULL, 0, NULL, 0, enc, ct),
        TND_EINVAL);
    assert_int_equal(tnd_hpke_seal(TND_HPKE_AEAD_AES256GCM, pk, NULL, 3, NULL, 0, NULL, 0, enc, ct),
                     TND_EINVAL);
    assert_int_equal(tnd_hpke_setup_sender(0xffff, pk, NULL, 0, enc, &s), TND_EINVAL);

    assert_int_equal(tnd_hpke_setup_sender(TND_HPKE_AEAD_AES256GCM, pk, NULL, 0, enc, &s), 0);
    assert_int_equal(tnd_hpke_setup_receiver(TND_HPKE_AEAD_AES256GCM, sk, enc, NULL, 0, &r), 0);
    /* Roles. */
    assert_int_equal(tnd_hpke_ctx_open(s, NULL, 0, ct, 16, pt), TND_EINVAL);
    assert_int_equal(tnd_hpke_ctx_seal(r, NULL, 0, pt, 1, ct), TND_EINVAL);
    /* A failed open leaves the sequence number: the real message 0 opens. */
    assert_int_equal(tnd_hpke_ctx_seal(s, NULL, 0, (const uint8_t *)"m0", 2, ct), 0);
    ct[0] ^= 1;
    assert_int_equal(tnd_hpke_ctx_open(r, NULL, 0, ct, 18, pt), TND_ECRYPTO);
    ct[0] ^= 1;
    assert_int_equal(tnd_hpke_ctx_open(r, NULL, 0, ct, 18, pt), 0);
    assert_memory_equal(pt, "m0", 2);
    /* Replaying message 0 as message 1 fails. */
    assert_int_equal(tnd_hpke_ctx_open(r, NULL, 0, ct, 18, pt), TND_ECRYPTO);
    /* Export lengths. */
    assert_int_equal(tnd_hpke_ctx_export(s, NULL, 0, out, 0), TND_ERANGE);
    assert_int_equal(tnd_hpke_ctx_export(s, NULL, 0, out, TND_HPKE_MAX_EXPORT + 1), TND_ERANGE);
    assert_int_equal(tnd_hpke_ctx_export(s, NULL, 0, out, TND_HPKE_MAX_EXPORT), 0);
    static const uint8_t big_context[TND_HPKE_MAX_EXPORT_CONTEXT + 1];
    assert_int_equal(
        tnd_hpke_ctx_export(s, big_context, TND_HPKE_MAX_EXPORT_CONTEXT, out, TND_HPKE_MAX_EXPORT),
        0);
    assert_int_equal(tnd_hpke_ctx_export(s, big_context, TND_HPKE_MAX_EXPORT_CONTEXT + 1, out, 32),
                     TND_ERANGE);
    assert_int_equal(tnd_hpke_ctx_export(s, NULL, 0, out, TND_HPKE_MAX_EXPORT), 0);
    uint8_t out2[TND_HPKE_MAX_EXPORT];
    assert_int_equal(tnd_hpke_ctx_export(r, NULL, 0, out2, TND_HPKE_MAX_EXPORT), 0);
    assert_memory_equal(out, out2, TND_HPKE_MAX_EXPORT);
    tnd_hpke_ctx_free(s);
    tnd_hpke_ctx_free(r);
    tnd_hpke_ctx_free(NULL);
}

/* A message larger than one EVP update would take is not needed; a bid-sized
 * one (1 MiB) round-trips with AES-256-GCM. */
static void test_large_message(void **state)
{
    (void)state;
    size_t len = 1u << 20;
    uint8_t sk[32], pk[32], enc[32];
    uint8_t *pt = malloc(len), *ct = malloc(len + 16), *back = malloc(len);
    assert_non_null(pt);
    assert_non_null(ct);
    assert_non_null(back);
    assert_int_equal(RAND_bytes(pt, (int)len), 1);
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    assert_int_equal(tnd_hpke_seal(TND_HPKE_AEAD_AES256GCM, pk, (const uint8_t *)"i", 1,
                                   (const uint8_t *)"a", 1, pt, len, enc, ct),
                     0);
    assert_int_equal(tnd_hpke_open(TND_HPKE_AEAD_AES256GCM, sk, enc, (const uint8_t *)"i", 1,
                                   (const uint8_t *)"a", 1, ct, len + 16, back),
                     0);
    assert_memory_equal(pt, back, len);
    free(pt);
    free(ct);
    free(back);
}

/* SHA-256("tender/1 opening key" || pk), values computed with Python's hashlib. */
static void test_fingerprint(void **state)
{
    (void)state;
    static const uint8_t pk[32] = {0x43, 0x0f, 0x4b, 0x98, 0x59, 0x66, 0x51, 0x45, 0xa6, 0xb1, 0xba,
                                   0x27, 0x40, 0x24, 0x48, 0x7b, 0xd6, 0x6f, 0x03, 0xa2, 0xdd, 0x57,
                                   0x7d, 0x77, 0x53, 0xc6, 0x8d, 0x7d, 0x7d, 0x00, 0xc0, 0x0c};
    static const uint8_t want[32] = {0x1c, 0xe6, 0x98, 0xf7, 0x89, 0xb8, 0xf5, 0xba,
                                     0x94, 0xa4, 0x55, 0x45, 0x28, 0x25, 0x9a, 0x42,
                                     0x06, 0x4a, 0x32, 0x98, 0xa0, 0x37, 0xbd, 0x07,
                                     0xd7, 0xd6, 0x92, 0x57, 0x60, 0xad, 0xce, 0x52};
    static const uint8_t want_zero[32] = {0x1b, 0x85, 0xd2, 0xcd, 0xec, 0x17, 0x41, 0x7b,
                                          0x1d, 0x43, 0x32, 0x2d, 0x98, 0x76, 0x81, 0x83,
                                          0xc5, 0x43, 0x0d, 0x3c, 0x7f, 0x04, 0xf5, 0x94,
                                          0xb8, 0xdf, 0xbc, 0x59, 0x63, 0x61, 0xb3, 0xe1};
    static const uint8_t zero[32];
    uint8_t out[32];
    assert_int_equal(tnd_opening_key_fingerprint(pk, out), 0);
    assert_memory_equal(out, want, 32);
    assert_int_equal(tnd_opening_key_fingerprint(zero, out), 0);
    assert_memory_equal(out, want_zero, 32);
    assert_int_equal(tnd_opening_key_fingerprint(NULL, out), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_setup),   cmocka_unit_test(test_vectors_encryptions_exports),
        cmocka_unit_test(test_single_shot),     cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_wrong_recipient), cmocka_unit_test(test_low_order_keys),
        cmocka_unit_test(test_api_contract),    cmocka_unit_test(test_large_message),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, setup_vectors, teardown_vectors);
}
