/* POST add-checkpoint: the C2SP tlog-witness rules, in the order the
 * specification gives them, and the update of the cosigned checkpoint. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "note_internal.h"
#include "ops/logging.h"
#include "tender/encoding.h"
#include "tender/witness.h"
#include "witness.h"

size_t wit_note_text_len(const char *note, size_t len)
{
    const char *last = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (note[i] == '\n' && note[i + 1] == '\n')
            last = note + i;
    return last ? (size_t)(last - note) + 1 : 0;
}

/* A text/plain answer "MESSAGE\n", logged with the origin when known. */
__attribute__((format(printf, 4, 5))) static int answer(wit_answer *a, unsigned status,
                                                        const char *origin, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof msg - 2)
        n = (int)sizeof msg - 2;
    char code[8];
    snprintf(code, sizeof code, "%u", status);
    tnd_log(status == 200   ? TND_LOG_INFO
            : status >= 500 ? TND_LOG_ERROR
                            : TND_LOG_WARN,
            "add-checkpoint", "origin", origin, "status", code, "reason", msg, "peer", a->peer,
            NULL);
    msg[n++] = '\n';
    a->status = status;
    a->type = "text/plain; charset=utf-8";
    a->body = malloc((size_t)n);
    a->len = a->body ? (size_t)n : 0;
    if (a->body)
        memcpy(a->body, msg, (size_t)n);
    return 0;
}

/* The 409 answer: the size the witness holds, as text/x.tlog.size. */
static int answer_size(wit_answer *a, const char *origin, uint64_t old, uint64_t size)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%" PRIu64 "\n", size);
    char reason[120];
    snprintf(reason, sizeof reason, "old size %" PRIu64 " is not the cosigned size %" PRIu64, old,
             size);
    tnd_log(TND_LOG_WARN, "add-checkpoint", "origin", origin, "status", "409", "reason", reason,
            "peer", a->peer, NULL);
    a->status = 409;
    a->type = "text/x.tlog.size";
    a->body = malloc((size_t)n);
    a->len = a->body ? (size_t)n : 0;
    if (a->body)
        memcpy(a->body, buf, (size_t)n);
    return 0;
}

/* Append to out the signature lines of sigs (n bytes, whole lines) made by a
 * trusted key of the origin whose signature verified (ok[i]); the lines of
 * other signers (other witnesses, unknown keys) are not kept. */
static size_t log_lines(const wit *w, const bool *ok, const char *origin, const char *sigs,
                        size_t n, char *out)
{
    size_t at = 0, ol = strlen(origin);
    for (const char *p = sigs, *end = sigs + n, *nl; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t ll = (size_t)(nl - p), hl = TND__NOTE_SIG_PREFIX_LEN + ol + 1;
        if (ll <= hl || memcmp(p, TND__NOTE_SIG_PREFIX, TND__NOTE_SIG_PREFIX_LEN) != 0 ||
            memcmp(p + TND__NOTE_SIG_PREFIX_LEN, origin, ol) != 0 || p[hl - 1] != ' ')
            continue;
        uint8_t blob[1024];
        size_t bl;
        if (tnd_base64_decode(p + hl, ll - hl, blob, sizeof blob, &bl) != 0 || bl < 4)
            continue;
        uint32_t id = tnd_be32_get(blob);
        for (size_t i = 0; i < w->n_keys; i++)
            if (ok[i] && w->keys[i].key_id == id) {
                memcpy(out + at, p, ll + 1);
                at += ll + 1;
                break;
            }
    }
    return at;
}

/* The checks that need the cosigned state, and the update; under w->mu. */
static int add_locked(wit *w, wit_log *l, const tnd_witness_request *r, const char *text,
                      const tnd_checkpoint *cp, const bool *ok, const char *body, size_t len,
                      wit_answer *a)
{
    const char *o = cp->origin;
    uint64_t cur = l->have ? l->cp.size : 0;
    uint8_t empty[32];
    if (tnd_merkle_empty_root(empty) != 0)
        return answer(a, 500, o, "cannot hash");
    /* A signed checkpoint that contradicts the cosigned one is kept as
     * evidence, whatever the answer. */
    char why[200] = "";
    if (l->have && cp->size < cur)
        snprintf(why, sizeof why,
                 "rollback: a signed checkpoint of size %" PRIu64 " below the cosigned %" PRIu64,
                 cp->size, cur);
    else if (l->have && cp->size == cur && memcmp(cp->root, l->cp.root, 32) != 0)
        snprintf(why, sizeof why,
                 "fork: a signed checkpoint of the cosigned size %" PRIu64 " with another root",
                 cur);
    if (r->old_size > cp->size) {
        if (why[0])
            wit_evidence(w, l, why, body, len, a->peer);
        return answer(a, 400, o, "old size %" PRIu64 " is above the checkpoint's size %" PRIu64,
                      r->old_size, cp->size);
    }
    if (r->old_size != cur) {
        if (why[0])
            wit_evidence(w, l, why, body, len, a->peer);
        return answer_size(a, o, r->old_size, cur);
    }
    if (cp->size == 0 && memcmp(cp->root, empty, 32) != 0)
        return answer(a, 422, o, "a checkpoint of size 0 must have the empty tree's root hash");
    if (r->old_size == 0 && r->n_proof > 0)
        return answer(a, 422, o, "old size 0 takes no consistency proof, got %zu lines",
                      r->n_proof);
    if (r->old_size == cp->size) {
        if (why[0]) {
            wit_evidence(w, l, why, body, len, a->peer);
            return answer(a, 422, o,
                          "the checkpoint has the cosigned size %" PRIu64
                          " but another root hash: a fork; not cosigned, kept as evidence",
                          cur);
        }
        if (r->n_proof > 0)
            return answer(a, 422, o, "old size is the checkpoint's size: the proof must be empty");
    } else if (r->old_size > 0 &&
               tnd_merkle_verify_consistency(r->old_size, cp->size, l->cp.root, cp->root,
                                             (const uint8_t(*)[32])r->proof, r->n_proof) != 0) {
        snprintf(why, sizeof why,
                 "fork or bad proof: the consistency proof from the cosigned size %" PRIu64
                 " to %" PRIu64 " does not verify",
                 cur, cp->size);
        wit_evidence(w, l, why, body, len, a->peer);
        return answer(a, 422, o,
                      "the consistency proof from the cosigned size %" PRIu64 " to %" PRIu64
                      " does not verify; not cosigned, kept as evidence",
                      cur, cp->size);
    }

    /* Cosign, persist, and only then answer. */
    char line[TND_COSIG_LINE_MAX];
    time_t now = time(NULL);
    if (now <= 0 || tnd_cosig_sign(text, w->name, w->key, (uint64_t)now, line, sizeof line) != 0)
        return answer(a, 500, o, "cannot cosign");
    size_t tl = strlen(text), ll = strlen(line);
    char *note = malloc(r->note_len + 1 + ll);
    if (!note)
        return answer(a, 503, o, "out of memory; not cosigned");
    memcpy(note, text, tl);
    note[tl] = '\n';
    size_t n = tl + 1;
    n += log_lines(w, ok, o, r->note + tl + 1, r->note_len - tl - 1, note + n);
    memcpy(note + n, line, ll);
    n += ll;
    if (wit_store(w, l, cp, note, n) != 0) {
        char e[120];
        snprintf(e, sizeof e, "%s", strerror(errno));
        free(note);
        return answer(a, 503, o, "cannot store the checkpoint (%s); not cosigned", e);
    }
    free(note);
    (void)answer(a, 200, o, "cosigned size %" PRIu64 " from old size %" PRIu64, cp->size,
                 r->old_size);
    free(a->body);
    a->body = malloc(ll);
    a->len = a->body ? ll : 0;
    if (!a->body)
        return answer(a, 503, o, "out of memory after cosigning");
    memcpy(a->body, line, ll);
    return 0;
}

static int add(wit *w, const char *body, size_t len, wit_answer *a)
{
    tnd_witness_request r;
    int rc = tnd_witness_request_parse(body, len, &r);
    if (rc != 0)
        return answer(a, 400, NULL,
                      "malformed add-checkpoint body: expected \"old N\", up to 63 base64 proof "
                      "lines, an empty line, then the signed checkpoint");
    size_t tl = wit_note_text_len(r.note, r.note_len);
    char text[WIT_MAX_NOTE + 1];
    tnd_checkpoint cp;
    if (tl == 0 || tl >= sizeof text || memchr(r.note, '\0', tl))
        return answer(a, 400, NULL,
                      "the checkpoint is not a signed note (text, empty line, "
                      "signature lines)");
    memcpy(text, r.note, tl);
    text[tl] = '\0';
    if (tnd_checkpoint_parse(text, &cp) != 0)
        return answer(a, 400, NULL, "not a checkpoint: expected origin, size and root hash lines");
    const char *o = cp.origin;
    if (cp.size > TND_MERKLE_MAX_SIZE)
        return answer(a, 400, o, "the checkpoint's size is above 2^63");

    bool ok[WIT_MAX_LOGS] = {false}, known = false, good = false;
    for (size_t i = 0; i < w->n_keys; i++) {
        if (strcmp(w->keys[i].name, o) != 0)
            continue;
        known = true;
        tnd_checkpoint c2;
        rc = tnd_checkpoint_verify(r.note, r.note_len, &w->keys[i], &c2);
        if (rc == 0) {
            ok[i] = good = true;
        } else if (rc == TND_ECRYPTO) {
            return answer(a, 403, o,
                          "the signature by the log key %s+%08" PRIx32 " does not verify", o,
                          w->keys[i].key_id);
        } else if (rc != TND_ENOTFOUND) {
            return answer(a, 400, o, "malformed signed note: %s", tnd_strerror(rc));
        }
    }
    if (!known)
        return answer(a, 404, o, "unknown log: this witness has no key for the origin %s", o);
    if (!good)
        return answer(a, 403, o, "no signature by a trusted key of %s", o);

    pthread_mutex_lock(&w->mu);
    wit_log *l = wit_find(w, o); /* every trusted origin has its record */
    if (l)
        (void)add_locked(w, l, &r, text, &cp, ok, body, len, a);
    else
        (void)answer(a, 500, o, "no record for the origin");
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void wit_add_checkpoint(wit *w, const char *body, size_t len, const char *peer, wit_answer *a)
{
    memset(a, 0, sizeof *a);
    a->peer = peer;
    (void)add(w, body, len, a);
}

char *wit_monitor_checkpoint(wit *w, const char *hex, size_t *len)
{
    char *copy = NULL;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->n_logs; i++) {
        wit_log *l = &w->logs[i];
        if (l->have && strcmp(l->hash_hex, hex) == 0 && (copy = malloc(l->note_len)) != NULL) {
            memcpy(copy, l->note, l->note_len);
            *len = l->note_len;
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return copy;
}
