/* Witness cosignatures (C2SP tlog-cosignature, Ed25519 cosignature/v1) and
 * the body of the witness's add-checkpoint call (C2SP tlog-witness). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "be.h"
#include "note_internal.h"
#include "tender/encoding.h"
#include "tender/witness.h"

#define ED25519_SIG_LEN 64
/* key id, big-endian time, Ed25519 signature */
#define COSIG_BLOB_LEN (4 + 8 + ED25519_SIG_LEN)
#define COSIG_HEADER "cosignature/v1\ntime "

/* ---- keys ----------------------------------------------------------------- */

int tnd_cosigner_parse(const char *vkey, tnd_note_verifier *out)
{
    return tnd__note_vkey_parse(vkey, TND_NOTE_ALG_COSIG_V1, out);
}

int tnd_cosigner_format(const char *name, const uint8_t pub[32], char *out, size_t cap)
{
    return tnd__note_vkey_format(name, TND_NOTE_ALG_COSIG_V1, pub, out, cap);
}

/* ---- the signed message ----------------------------------------------------- */

/* "cosignature/v1\ntime T\n" followed by the checkpoint text, malloc'd. */
static char *signed_message(const char *text, size_t text_len, uint64_t timestamp, size_t *len)
{
    char head[sizeof COSIG_HEADER + 21];
    int hn = snprintf(head, sizeof head, COSIG_HEADER "%" PRIu64 "\n", timestamp);
    if (hn < 0 || (size_t)hn >= sizeof head)
        return NULL;
    char *msg = malloc((size_t)hn + text_len + 1);
    if (msg == NULL)
        return NULL;
    memcpy(msg, head, (size_t)hn);
    memcpy(msg + hn, text, text_len);
    msg[(size_t)hn + text_len] = '\0';
    *len = (size_t)hn + text_len;
    return msg;
}

int tnd_cosig_sign(const char *checkpoint_text, const char *name, EVP_PKEY *priv,
                   uint64_t timestamp, char *line, size_t cap)
{
    if (checkpoint_text == NULL || name == NULL || priv == NULL || line == NULL ||
        timestamp > INT64_MAX || !EVP_PKEY_is_a(priv, "ED25519"))
        return TND_EINVAL;
    size_t name_len = strnlen(name, TND_NOTE_MAX_NAME + 1);
    tnd_checkpoint cp;
    if (!tnd__note_name_ok(name, name_len) || tnd_checkpoint_parse(checkpoint_text, &cp) != 0)
        return TND_EINVAL;
    if (cap < TND__NOTE_SIG_PREFIX_LEN + name_len + 1 + TND_BASE64_LEN(COSIG_BLOB_LEN) + 2)
        return TND_ERANGE;

    uint8_t pub[32], blob[COSIG_BLOB_LEN];
    size_t pub_len = sizeof pub, sig_len = ED25519_SIG_LEN;
    uint32_t id;
    if (EVP_PKEY_get_raw_public_key(priv, pub, &pub_len) != 1 || pub_len != 32) {
        ERR_clear_error();
        return TND_ECRYPTO;
    }
    int rc = tnd__note_key_id(name, name_len, TND_NOTE_ALG_COSIG_V1, pub, &id);
    if (rc != 0)
        return rc;
    tnd_be32_put(blob, id);
    tnd_be64_put(blob + 4, timestamp);

    size_t msg_len;
    char *msg = signed_message(checkpoint_text, strlen(checkpoint_text), timestamp, &msg_len);
    if (msg == NULL)
        return TND_ENOMEM;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, priv) == 1 &&
             EVP_DigestSign(md, blob + 12, &sig_len, (const uint8_t *)msg, msg_len) == 1 &&
             sig_len == ED25519_SIG_LEN;
    EVP_MD_CTX_free(md);
    free(msg);
    if (!ok) {
        ERR_clear_error();
        return TND_ECRYPTO;
    }
    char *p = line;
    memcpy(p, TND__NOTE_SIG_PREFIX, TND__NOTE_SIG_PREFIX_LEN), p += TND__NOTE_SIG_PREFIX_LEN;
    memcpy(p, name, name_len), p += name_len;
    *p++ = ' ';
    tnd_base64_encode(blob, sizeof blob, p), p += TND_BASE64_LEN(sizeof blob);
    *p++ = '\n';
    *p = '\0';
    return 0;
}

typedef struct cosig_check {
    uint64_t timestamp;
} cosig_check;

static int check_cosig(const tnd_note_verifier *w, const uint8_t *blob, size_t blob_len,
                       const char *text, size_t text_len, void *ctx)
{
    cosig_check *c = ctx;
    if (blob_len != COSIG_BLOB_LEN)
        return TND_ECRYPTO;
    uint64_t ts = tnd_be64_get(blob + 4);
    if (ts > INT64_MAX)
        return TND_ECRYPTO;
    size_t msg_len;
    char *msg = signed_message(text, text_len, ts, &msg_len);
    if (msg == NULL)
        return TND_ENOMEM;
    int rc = tnd__ed25519_verify(w->key, blob + 12, msg, msg_len);
    free(msg);
    if (rc == 0)
        c->timestamp = ts;
    return rc;
}

int tnd_cosig_verify(const char *note, size_t len, const tnd_note_verifier *w, uint64_t *timestamp)
{
    cosig_check c = {0};
    size_t text_len;
    int rc = tnd__note_open_with(note, len, w, check_cosig, &c, &text_len);
    if (rc == 0 && timestamp != NULL)
        *timestamp = c.timestamp;
    return rc;
}

/* ---- add-checkpoint bodies ------------------------------------------------- */

int tnd_witness_request_format(uint64_t old_size, const uint8_t (*proof)[TND_MERKLE_HASH_LEN],
                               size_t n_proof, const char *note, size_t note_len, char **out,
                               size_t *out_len)
{
    if (note == NULL || out == NULL || out_len == NULL || n_proof > TND_WITNESS_MAX_PROOF ||
        (n_proof > 0 && proof == NULL))
        return TND_EINVAL;
    size_t cap =
        4 + 20 + 1 + n_proof * (TND_BASE64_LEN(TND_MERKLE_HASH_LEN) + 1) + 1 + note_len + 1;
    char *body = malloc(cap);
    if (body == NULL)
        return TND_ENOMEM;
    size_t n = (size_t)snprintf(body, cap, "old %" PRIu64 "\n", old_size);
    for (size_t i = 0; i < n_proof; i++) {
        tnd_base64_encode(proof[i], TND_MERKLE_HASH_LEN, body + n);
        n += TND_BASE64_LEN(TND_MERKLE_HASH_LEN);
        body[n++] = '\n';
    }
    body[n++] = '\n';
    memcpy(body + n, note, note_len);
    n += note_len;
    body[n] = '\0';
    *out = body;
    *out_len = n;
    return 0;
}

/* A decimal without sign or leading zeros ("0" alone) of at most 2^63. */
static int parse_size(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return TND_EMALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TND_EMALFORMED;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return TND_ERANGE;
        v = v * 10 + d;
    }
    if (v > (UINT64_C(1) << 63))
        return TND_ERANGE;
    *out = v;
    return 0;
}

int tnd_witness_request_parse(const char *body, size_t len, tnd_witness_request *out)
{
    if (body == NULL || out == NULL)
        return TND_EINVAL;
    const char *p = body, *end = body + len;
    const char *nl = memchr(p, '\n', len);
    if (nl == NULL || (size_t)(nl - p) < 4 || memcmp(p, "old ", 4) != 0)
        return TND_EMALFORMED;
    tnd_witness_request r = {0};
    int rc = parse_size(p + 4, (size_t)(nl - p) - 4, &r.old_size);
    if (rc != 0)
        return rc;
    p = nl + 1;
    for (;;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return TND_EMALFORMED;
        if (nl == p)
            break; /* the empty line */
        size_t got;
        if (r.n_proof == TND_WITNESS_MAX_PROOF ||
            (size_t)(nl - p) != TND_BASE64_LEN(TND_MERKLE_HASH_LEN) ||
            tnd_base64_decode(p, (size_t)(nl - p), r.proof[r.n_proof], TND_MERKLE_HASH_LEN, &got) !=
                0 ||
            got != TND_MERKLE_HASH_LEN)
            return TND_EMALFORMED;
        r.n_proof++;
        p = nl + 1;
    }
    p = nl + 1;
    if (p == end)
        return TND_EMALFORMED;
    r.note = p;
    r.note_len = (size_t)(end - p);
    *out = r;
    return 0;
}
