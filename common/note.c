/* C2SP signed notes with Ed25519 (https://c2sp.org/signed-note) and tlog
 * checkpoints (https://c2sp.org/tlog-checkpoint). Everything read here may
 * come from an untrusted server: parsing is strict and bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "tender/encoding.h"
#include "digest.h"
#include "be.h"
#include "tender/audit.h"
#include "note_internal.h"

static const char sig_prefix[] = TND__NOTE_SIG_PREFIX;
#define SIG_PREFIX_LEN TND__NOTE_SIG_PREFIX_LEN
#define ED25519_SIG_LEN 64

/* ---- text rules --------------------------------------------------------- */

/* Decode one UTF-8 sequence at s (n bytes available): its length, with the
 * code point in *cp, or 0 for an invalid, overlong or surrogate sequence. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Unicode White_Space characters. */
static int is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* Valid UTF-8 without control characters; '\n' allowed when newline_ok. */
static int text_ok(const char *s, size_t n, int newline_ok)
{
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0)
            return 0;
        if (cp < 0x20 && !(newline_ok && cp == '\n'))
            return 0;
        i += k;
    }
    return 1;
}

/* A key name: 1..TND_NOTE_MAX_NAME bytes of UTF-8 without '+', spaces or
 * control characters (C0, DEL, C1). */
int tnd__note_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > TND_NOTE_MAX_NAME)
        return 0;
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '+' || is_space(cp))
            return 0;
        i += k;
    }
    return 1;
}

/* ---- keys --------------------------------------------------------------- */

int tnd__note_key_id(const char *name, size_t name_len, uint8_t alg, const uint8_t pub[32],
                     uint32_t *out)
{
    const uint8_t sep[2] = {'\n', alg};
    uint8_t h[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return TND_ENOMEM;
    int ok = EVP_DigestInit_ex(md, tnd_sha256_md(), NULL) == 1 &&
             EVP_DigestUpdate(md, name, name_len) == 1 &&
             EVP_DigestUpdate(md, sep, sizeof sep) == 1 && EVP_DigestUpdate(md, pub, 32) == 1 &&
             EVP_DigestFinal_ex(md, h, NULL) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return TND_ECRYPTO;
    *out = tnd_be32_get(h);
    return 0;
}

int tnd_note_key_id(const char *name, const uint8_t pub[32], uint32_t *out)
{
    if (name == NULL || pub == NULL || out == NULL)
        return TND_EINVAL;
    size_t n = strnlen(name, TND_NOTE_MAX_NAME + 1);
    if (!tnd__note_name_ok(name, n))
        return TND_EINVAL;
    return tnd__note_key_id(name, n, TND_NOTE_ALG_ED25519, pub, out);
}

/* Eight lowercase hex digits. */
static int parse_hex32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

int tnd__note_vkey_parse(const char *vkey, uint8_t alg, tnd_note_verifier *out)
{
    if (vkey == NULL || out == NULL)
        return TND_EINVAL;
    size_t len = strnlen(vkey, TND_NOTE_VKEY_MAX);
    if (len >= TND_NOTE_VKEY_MAX)
        return TND_EMALFORMED;
    const char *plus = memchr(vkey, '+', len);
    if (plus == NULL)
        return TND_EMALFORMED;
    size_t name_len = (size_t)(plus - vkey);
    /* name '+' 8 hex '+' base64 of 33 bytes (44 characters) */
    if (!tnd__note_name_ok(vkey, name_len) || len != name_len + 1 + 8 + 1 + 44 || plus[9] != '+')
        return TND_EMALFORMED;
    uint32_t id, want;
    uint8_t key[33];
    size_t key_len;
    if (!parse_hex32(plus + 1, &id))
        return TND_EMALFORMED;
    if (tnd_base64_decode(plus + 10, 44, key, sizeof key, &key_len) != 0 || key_len != 33 ||
        key[0] != alg)
        return TND_EMALFORMED;
    int rc = tnd__note_key_id(vkey, name_len, alg, key + 1, &want);
    if (rc != 0)
        return rc;
    if (id != want)
        return TND_EMALFORMED;
    memcpy(out->name, vkey, name_len);
    out->name[name_len] = '\0';
    out->key_id = id;
    memcpy(out->key, key + 1, 32);
    return 0;
}

int tnd_note_verifier_parse(const char *vkey, tnd_note_verifier *out)
{
    return tnd__note_vkey_parse(vkey, TND_NOTE_ALG_ED25519, out);
}

int tnd__note_vkey_format(const char *name, uint8_t alg, const uint8_t pub[32], char *out,
                          size_t cap)
{
    uint32_t id;
    uint8_t key[33];
    char b64[TND_BASE64_LEN(33) + 1];
    if (name == NULL || pub == NULL || out == NULL)
        return TND_EINVAL;
    size_t name_len = strnlen(name, TND_NOTE_MAX_NAME + 1);
    if (!tnd__note_name_ok(name, name_len))
        return TND_EINVAL;
    int rc = tnd__note_key_id(name, name_len, alg, pub, &id);
    if (rc != 0)
        return rc;
    key[0] = alg;
    memcpy(key + 1, pub, 32);
    tnd_base64_encode(key, sizeof key, b64);
    int n = snprintf(out, cap, "%s+%08x+%s", name, (unsigned)id, b64);
    if (n < 0 || (size_t)n >= cap)
        return TND_ERANGE;
    return 0;
}

int tnd_note_verifier_format(const char *name, const uint8_t pub[32], char *out, size_t cap)
{
    return tnd__note_vkey_format(name, TND_NOTE_ALG_ED25519, pub, out, cap);
}

/* ---- signing and opening ------------------------------------------------ */

int tnd_note_sign(const char *text, const char *name, EVP_PKEY *ed25519_priv, char **out_note)
{
    if (text == NULL || name == NULL || ed25519_priv == NULL || out_note == NULL)
        return TND_EINVAL;
    size_t text_len = strlen(text);
    size_t name_len = strnlen(name, TND_NOTE_MAX_NAME + 1);
    if (text_len == 0 || text_len > TND_NOTE_MAX_SIZE || text[text_len - 1] != '\n' ||
        !text_ok(text, text_len, 1) || !tnd__note_name_ok(name, name_len) ||
        !EVP_PKEY_is_a(ed25519_priv, "ED25519"))
        return TND_EINVAL;

    uint8_t pub[32], blob[4 + ED25519_SIG_LEN];
    size_t pub_len = sizeof pub, sig_len = ED25519_SIG_LEN;
    uint32_t id;
    if (EVP_PKEY_get_raw_public_key(ed25519_priv, pub, &pub_len) != 1 || pub_len != 32) {
        ERR_clear_error();
        return TND_ECRYPTO;
    }
    int rc = tnd__note_key_id(name, name_len, TND_NOTE_ALG_ED25519, pub, &id);
    if (rc != 0)
        return rc;
    tnd_be32_put(blob, id);

    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return TND_ENOMEM;
    if (EVP_DigestSignInit(md, NULL, NULL, NULL, ed25519_priv) != 1 ||
        EVP_DigestSign(md, blob + 4, &sig_len, (const uint8_t *)text, text_len) != 1 ||
        sig_len != ED25519_SIG_LEN) {
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return TND_ECRYPTO;
    }
    EVP_MD_CTX_free(md);

    /* text "\n" prefix name " " base64 "\n" */
    size_t total = text_len + 1 + SIG_PREFIX_LEN + name_len + 1 + TND_BASE64_LEN(sizeof blob) + 1;
    char *note = malloc(total + 1);
    if (note == NULL)
        return TND_ENOMEM;
    char *p = note;
    memcpy(p, text, text_len), p += text_len;
    *p++ = '\n';
    memcpy(p, sig_prefix, SIG_PREFIX_LEN), p += SIG_PREFIX_LEN;
    memcpy(p, name, name_len), p += name_len;
    *p++ = ' ';
    tnd_base64_encode(blob, sizeof blob, p), p += TND_BASE64_LEN(sizeof blob);
    *p++ = '\n';
    *p = '\0';
    *out_note = note;
    return 0;
}

/* 0 when sig is v's Ed25519 signature of msg, TND_ECRYPTO when not. */
int tnd__ed25519_verify(const uint8_t key[32], const uint8_t *sig, const char *msg, size_t len)
{
    int rc = TND_ECRYPTO;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
    if (pkey == NULL)
        goto out;
    md = EVP_MD_CTX_new();
    if (md == NULL) {
        rc = TND_ENOMEM;
        goto out;
    }
    if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
        EVP_DigestVerify(md, sig, ED25519_SIG_LEN, (const uint8_t *)msg, len) == 1)
        rc = 0;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    if (rc != 0)
        ERR_clear_error(); /* a refused signature is an answer, not an error to report later */
    return rc;
}

/* Find the last "\n\n" in s[0..n): the index of its first '\n', or -1. */
static long last_blank_line(const char *s, size_t n)
{
    for (size_t i = n; i >= 2; i--)
        if (s[i - 2] == '\n' && s[i - 1] == '\n')
            return (long)(i - 2);
    return -1;
}

/* The signature of a checkpoint: key id, then Ed25519 over the text. */
static int check_note_sig(const tnd_note_verifier *v, const uint8_t *blob, size_t blob_len,
                          const char *text, size_t text_len, void *ctx)
{
    (void)ctx;
    if (blob_len != 4 + ED25519_SIG_LEN)
        return TND_ECRYPTO;
    return tnd__ed25519_verify(v->key, blob + 4, text, text_len);
}

/* Walk the signature lines: every line must be well formed; the one by v
 * (name and key id) decides the result, as check says. Returns 0,
 * TND_ECRYPTO, TND_ENOTFOUND or TND_EMALFORMED. */
static int check_signatures(const char *sigs, size_t n, const char *text, size_t text_len,
                            const tnd_note_verifier *v, tnd__note_sig_fn check, void *ctx,
                            uint8_t *scratch)
{
    size_t vname_len = strnlen(v->name, sizeof v->name);
    int found = 0, result = TND_ENOTFOUND, count = 0;
    while (n > 0) {
        const char *nl = memchr(sigs, '\n', n); /* the last byte is '\n' */
        size_t line_len = (size_t)(nl - sigs);
        if (++count > TND_NOTE_MAX_SIGS || line_len < SIG_PREFIX_LEN ||
            memcmp(sigs, sig_prefix, SIG_PREFIX_LEN) != 0)
            return TND_EMALFORMED;
        const char *name = sigs + SIG_PREFIX_LEN;
        size_t rest = line_len - SIG_PREFIX_LEN;
        const char *space = memchr(name, ' ', rest);
        if (space == NULL)
            return TND_EMALFORMED;
        size_t name_len = (size_t)(space - name);
        const char *b64 = space + 1;
        size_t b64_len = rest - name_len - 1;
        size_t blob_len;
        if (!tnd__note_name_ok(name, name_len) || b64_len == 0 ||
            tnd_base64_decode(b64, b64_len, scratch, b64_len, &blob_len) != 0 || blob_len < 5)
            return TND_EMALFORMED;
        uint32_t id = tnd_be32_get(scratch);
        if (name_len == vname_len && memcmp(name, v->name, name_len) == 0 && id == v->key_id) {
            if (found)
                return TND_EMALFORMED; /* two signatures by one key */
            found = 1;
            result = check(v, scratch, blob_len, text, text_len, ctx);
        }
        n -= line_len + 1;
        sigs = nl + 1;
    }
    return result;
}

int tnd__note_open_with(const char *note, size_t len, const tnd_note_verifier *v,
                        tnd__note_sig_fn check, void *ctx, size_t *text_len_out)
{
    if (note == NULL || v == NULL)
        return TND_EINVAL;
    if (len > TND_NOTE_MAX_SIZE || !text_ok(note, len, 1))
        return TND_EMALFORMED;
    long split = last_blank_line(note, len);
    if (split < 0)
        return TND_EMALFORMED;
    size_t text_len = (size_t)split + 1; /* the text keeps its final newline */
    const char *sigs = note + split + 2;
    size_t sigs_len = len - (size_t)split - 2;
    if (sigs_len == 0 || sigs[sigs_len - 1] != '\n')
        return TND_EMALFORMED;

    uint8_t *scratch = malloc(sigs_len);
    if (scratch == NULL)
        return TND_ENOMEM;
    int rc = check_signatures(sigs, sigs_len, note, text_len, v, check, ctx, scratch);
    free(scratch);
    if (rc == 0)
        *text_len_out = text_len;
    return rc;
}

int tnd_note_open(const char *note, size_t len, const tnd_note_verifier *v, char **text_out)
{
    size_t text_len;
    int rc = tnd__note_open_with(note, len, v, check_note_sig, NULL, &text_len);
    if (rc != 0)
        return rc;
    if (text_out != NULL) {
        char *t = malloc(text_len + 1);
        if (t == NULL)
            return TND_ENOMEM;
        memcpy(t, note, text_len);
        t[text_len] = '\0';
        *text_out = t;
    }
    return 0;
}

/* ---- checkpoints -------------------------------------------------------- */

int tnd_checkpoint_format(const tnd_checkpoint *c, char *text, size_t cap)
{
    char root[TND_BASE64_LEN(32) + 1];
    if (c == NULL || text == NULL)
        return TND_EINVAL;
    size_t olen = strnlen(c->origin, sizeof c->origin);
    if (olen == 0 || olen == sizeof c->origin || !text_ok(c->origin, olen, 0))
        return TND_EINVAL;
    tnd_base64_encode(c->root, 32, root);
    int n = snprintf(text, cap, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, root);
    if (n < 0 || (size_t)n >= cap)
        return TND_ERANGE;
    return 0;
}

int tnd_checkpoint_parse(const char *text, tnd_checkpoint *out)
{
    if (text == NULL || out == NULL)
        return TND_EINVAL;
    size_t len = strnlen(text, TND_NOTE_MAX_SIZE + 1);
    if (len > TND_NOTE_MAX_SIZE || !text_ok(text, len, 1))
        return TND_EMALFORMED;

    const char *line[3];
    size_t line_len[3];
    const char *p = text, *end = text + len;
    for (int i = 0; i < 3; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return TND_EMALFORMED;
        line[i] = p;
        line_len[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    /* Extension lines: non-empty, each ended by a newline. */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || nl == p)
            return TND_EMALFORMED;
        p = nl + 1;
    }

    if (line_len[0] == 0)
        return TND_EMALFORMED;
    if (line_len[0] >= sizeof out->origin)
        return TND_ERANGE;

    const char *d = line[1];
    size_t dn = line_len[1];
    if (dn == 0 || (d[0] == '0' && dn > 1))
        return TND_EMALFORMED;
    uint64_t size = 0;
    for (size_t i = 0; i < dn; i++) {
        if (d[i] < '0' || d[i] > '9')
            return TND_EMALFORMED;
        unsigned digit = (unsigned)(d[i] - '0');
        if (size > (UINT64_MAX - digit) / 10)
            return TND_ERANGE;
        size = size * 10 + digit;
    }

    uint8_t root[32];
    size_t root_len;
    if (line_len[2] != TND_BASE64_LEN(32) ||
        tnd_base64_decode(line[2], line_len[2], root, sizeof root, &root_len) != 0 || root_len != 32)
        return TND_EMALFORMED;

    memcpy(out->origin, line[0], line_len[0]);
    out->origin[line_len[0]] = '\0';
    out->size = size;
    memcpy(out->root, root, 32);
    return 0;
}

int tnd_checkpoint_verify(const char *note, size_t len, const tnd_note_verifier *v,
                          tnd_checkpoint *out)
{
    char *text = NULL;
    if (out == NULL)
        return TND_EINVAL;
    int rc = tnd_note_open(note, len, v, &text);
    if (rc != 0)
        return rc;
    rc = tnd_checkpoint_parse(text, out);
    free(text);
    return rc;
}
