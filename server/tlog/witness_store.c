/* The witnesses' cosignatures in the LOG table (witnesses.h; keys in
 * store/keys.h): "w" size holds the cosignature lines of the checkpoint
 * "c" size, one per witness, each ending in "\n"; "ws" the latest size
 * that met the quorum; "v" key id name what that witness last cosigned. */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "tlog.h"
#include "witnesses.h"

/* note (malloc'd, a signed checkpoint) with the whole lines of cosigs
 * appended that fit in TND_CHECKPOINT_NOTE_MAX. */
static int append_lines(char **note, const char *cosigs)
{
    size_t len = strlen(*note), add = 0;
    for (const char *p = cosigs; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        size_t l = (size_t)(nl + 1 - p);
        if (len + add + l > TND_CHECKPOINT_NOTE_MAX)
            break;
        add += l;
        p = nl + 1;
    }
    if (add == 0)
        return 0;
    char *n = realloc(*note, len + add + 1);
    if (!n)
        return TND_ENOMEM;
    memcpy(n + len, cosigs, add);
    n[len + add] = '\0';
    *note = n;
    return 0;
}

static int with_cosigs(tnd_store *s, MDB_txn *txn, uint64_t size, char **note)
{
    uint8_t k[TND_KEY_LOG_COSIGS_LEN];
    char *lines = NULL;
    int rc = tnd__tlog_text(s, txn, k, tnd_key_log_cosigs(k, size), &lines,
                      NULL);
    if (rc == TND_ENOTFOUND)
        return 0;
    if (rc == 0)
        rc = append_lines(note, lines);
    free(lines);
    if (rc != 0) {
        free(*note);
        *note = NULL;
    }
    return rc;
}

int tnd_tlog_note_at(tnd_store *s, MDB_txn *txn, uint64_t size, char **note)
{
    uint8_t k[TND_KEY_LOG_CHECKPOINT_LEN];
    int rc = tnd__tlog_text(s, txn, k, tnd_key_log_checkpoint(k, size),
                      note, NULL);
    return rc ? rc : with_cosigs(s, txn, size, note);
}

int tnd_tlog_latest_cosigned(tnd_store *s, MDB_txn *txn, char **note, uint64_t *size)
{
    int rc = tnd_tlog_latest(s, txn, note, size);
    if (rc != 0)
        return rc;
    return with_cosigs(s, txn, *size, note);
}

int tnd_tlog_witnessed_size(tnd_store *s, MDB_txn *txn, uint64_t *size)
{
    MDB_val k = {.mv_size = sizeof TND_KEY_LOG_WITNESSED - 1, .mv_data = TND_KEY_LOG_WITNESSED}, v;
    int rc = mdb_get(txn, tnd_store_dbi(s, TND_TABLE_LOG), &k, &v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0 || v.mv_size != 8)
        return TND_EIO;
    *size = tnd_be64_get(v.mv_data);
    return 0;
}

int tnd_tlog_witnessed_note(tnd_store *s, MDB_txn *txn, const struct tnd_witnesses *c, char **note,
                            uint64_t *size)
{
    if (tnd_policy_is_none(tnd_witnesses_policy(c)))
        return tnd_tlog_latest_cosigned(s, txn, note, size);
    int rc = tnd_tlog_witnessed_size(s, txn, size);
    return rc ? rc : tnd_tlog_note_at(s, txn, *size, note);
}

int tnd_tlog_witness_get(tnd_store *s, MDB_txn *txn, const tnd_note_verifier *key, uint64_t *size,
                         uint64_t *time)
{
    uint8_t kb[TND_KEY_LOG_WITNESS_MAX];
    MDB_val k = {.mv_size = tnd_key_log_witness(kb, key->key_id, key->name), .mv_data = kb}, v;
    *size = *time = 0;
    int rc = k.mv_size ? mdb_get(txn, tnd_store_dbi(s, TND_TABLE_LOG), &k, &v) : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0 || v.mv_size != 16)
        return TND_EIO;
    *size = tnd_be64_get(v.mv_data);
    *time = tnd_be64_get((uint8_t *)v.mv_data + 8);
    return 0;
}

/* ---- merging (writer thread) ---- */

/* Does line (one cosignature line) verify for key on the checkpoint text?
 * buf has room for text, the blank line's "\n" and the line. */
static bool line_verifies(char *buf, size_t text_len, const char *line, size_t line_len,
                          const tnd_note_verifier *key)
{
    memcpy(buf + text_len, line, line_len);
    buf[text_len + line_len] = '\0';
    return tnd_cosig_verify(buf, text_len + line_len, key, NULL) == 0;
}

int tnd_tlog_cosigs_write(tnd_wtx *w, void *arg)
{
    tnd_cosig_update *u = arg;
    tnd_store *s = tnd_wtx_store(w);
    MDB_txn *txn = tnd_wtx_txn(w);
    const tnd_policy *p = u->policy;
    u->witnessed = false;
    uint8_t ck[TND_KEY_LOG_CHECKPOINT_LEN], wk[TND_KEY_LOG_COSIGS_LEN];
    char *note = NULL, *old = NULL;
    size_t note_len = 0, old_len = 0;
    int rc = tnd__tlog_text(s, txn, ck, tnd_key_log_checkpoint(ck, u->size), &note, &note_len);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "no checkpoint of size %llu",
                            (unsigned long long)u->size);
    rc = tnd__tlog_text(s, txn, wk, tnd_key_log_cosigs(wk, u->size), &old, &old_len);
    if (rc == TND_ENOTFOUND) {
        old = NULL;
        old_len = 0;
    } else if (rc != 0) {
        free(note);
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the cosignatures of %llu are unreadable",
                            (unsigned long long)u->size);
    }
    /* The checkpoint's text and its log signature stay; each witness line
     * is checked on them alone. */
    size_t cap = note_len + 1 + old_len + TND_POLICY_MAX * TND_COSIG_LINE_MAX + 1;
    char *buf = malloc(cap), *lines = malloc(old_len + TND_POLICY_MAX * TND_COSIG_LINE_MAX + 1);
    size_t lines_len = 0;
    int st = buf && lines ? 0 : tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    if (!st)
        memcpy(buf, note, note_len);
    for (size_t i = 0; !st && i < p->n_witnesses; i++) {
        const char *line = NULL;
        size_t ll = 0;
        for (size_t j = 0; j < u->n && !line; j++)
            if (u->got[j].witness == i) {
                line = u->got[j].line;
                ll = strlen(line);
            }
        /* Else the one held, if it is this witness's and still verifies. */
        for (const char *q = old; !line && q && *q;) {
            const char *nl = memchr(q, '\n', old_len - (size_t)(q - old));
            if (!nl)
                break;
            size_t l = (size_t)(nl + 1 - q);
            if (line_verifies(buf, note_len, q, l, &p->witnesses[i].key)) {
                line = q;
                ll = l;
            }
            q = nl + 1;
        }
        if (line) {
            memcpy(lines + lines_len, line, ll);
            lines_len += ll;
        }
    }
    if (!st) {
        lines[lines_len] = '\0';
        memcpy(buf + note_len, lines, lines_len + 1);
        u->witnessed = !tnd_policy_is_none(p) &&
                       tnd_policy_check(p, buf, note_len + lines_len, NULL, NULL, NULL, 0) == 0;
        if (tnd_wtx_put_raw(w, TND_TABLE_LOG, wk, sizeof wk, lines, lines_len) != 0)
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store cosignatures");
    }
    uint64_t ws = 0;
    rc = st ? 0 : tnd_tlog_witnessed_size(s, txn, &ws);
    if (!st && u->witnessed && (rc == TND_ENOTFOUND || (rc == 0 && u->size > ws))) {
        uint8_t v[8];
        tnd_be64_put(v, u->size);
        if (tnd_wtx_put_raw(w, TND_TABLE_LOG, TND_KEY_LOG_WITNESSED,
                            sizeof TND_KEY_LOG_WITNESSED - 1, v, 8) != 0)
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store the witnessed size");
    }
    for (size_t j = 0; !st && j < u->n; j++) {
        const tnd_note_verifier *key = &p->witnesses[u->got[j].witness].key;
        uint8_t vk[TND_KEY_LOG_WITNESS_MAX], v[16];
        size_t vkl = tnd_key_log_witness(vk, key->key_id, key->name);
        tnd_be64_put(v, u->size);
        tnd_be64_put(v + 8, u->got[j].time);
        if (vkl && tnd_wtx_put_raw(w, TND_TABLE_LOG, vk, vkl, v, 16) != 0)
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store a witness's size");
    }
    free(buf);
    free(lines);
    free(note);
    free(old);
    return st;
}

int tnd_tlog_witnessed_forget(tnd_wtx *w, void *arg)
{
    (void)arg;
    int rc = tnd_wtx_del(w, TND_TABLE_LOG, TND_KEY_LOG_WITNESSED, sizeof TND_KEY_LOG_WITNESSED - 1);
    if (rc != 0 && rc != TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot forget the witnessed size");
    return 0;
}
