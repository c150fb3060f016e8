/* The log's witnesses (tenderd --witness-policy, docs/LOG.md "Witnesses"):
 * collecting their cosignatures of the log's checkpoints, keeping them with
 * the checkpoints in the LOG table, and serving them.
 *
 *   witness_store.c    the cosignatures in LOG: read (any thread, a read
 *                      transaction) and merged in (writer thread)
 *   witness_client.c   one round of add-checkpoint POSTs to every witness
 *                      at once, off the loop thread (libcurl multi)
 *   witness_collect.c  the collector on the loop thread: which witness is
 *                      sent what, what its answers mean, their status
 */
#ifndef TND_SERVER_TLOG_WITNESSES_H
#define TND_SERVER_TLOG_WITNESSES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "tender/witness.h"
#include "transport/server.h"

/* The longest checkpoint note served (tender.log.v1.Checkpoint's note):
 * cosignature lines that would make it longer are left off. */
#define TND_CHECKPOINT_NOTE_MAX 8192
/* The most of a witness's answer read; a longer one is an error. */
#define TND_WITNESS_RESPONSE_MAX (16 * 1024)

/* ---- the cosignatures in the store (witness_store.c) ---- */

/** The checkpoint note signed at size with the cosignature lines held for
 * it appended (as many as fit in TND_CHECKPOINT_NOTE_MAX), malloc'd.
 * @return 0; TND_ENOTFOUND when no checkpoint of that size was signed;
 *         TND_EIO; TND_ENOMEM. */
int tnd_tlog_note_at(tnd_store *s, MDB_txn *txn, uint64_t size, char **note);

/** The latest checkpoint note with its cosignatures, and its size.
 * @return as tnd_tlog_latest. */
int tnd_tlog_latest_cosigned(tnd_store *s, MDB_txn *txn, char **note, uint64_t *size);

/** The latest size whose cosignatures met the quorum.
 * @return 0; TND_ENOTFOUND when none has yet; TND_EIO. */
int tnd_tlog_witnessed_size(tnd_store *s, MDB_txn *txn, uint64_t *size);

struct tnd_witnesses;

/** The latest witnessed checkpoint note with its cosignatures, and its
 * size: the latest size whose cosignatures met the quorum of c's policy
 * (with quorum none, the latest checkpoint).
 * @return 0; TND_ENOTFOUND when there is none yet; TND_EIO; TND_ENOMEM. */
int tnd_tlog_witnessed_note(tnd_store *s, MDB_txn *txn, const struct tnd_witnesses *c, char **note,
                            uint64_t *size);

/** What witness key last cosigned, as stored: 0 and 0 when nothing.
 * @return 0 or TND_EIO. */
int tnd_tlog_witness_get(tnd_store *s, MDB_txn *txn, const tnd_note_verifier *key, uint64_t *size,
                         uint64_t *time);

/* Cosignatures of one checkpoint to merge into the store. */
typedef struct tnd_cosig_update {
    const tnd_policy *policy; /* whose witnesses' lines are kept, and its quorum */
    uint64_t size;            /* the checkpoint's */
    size_t n;
    struct {
        size_t witness; /* index in policy->witnesses */
        char line[TND_COSIG_LINE_MAX];
        uint64_t time; /* the cosignature's, seconds */
    } got[TND_POLICY_MAX];
    bool witnessed; /* out: the checkpoint's cosignatures now meet the quorum */
} tnd_cosig_update;

/** A write function (tnd_store_submit, arg a tnd_cosig_update): stores the
 * lines of u with those already held for the checkpoint (one line per
 * witness of the policy, the newest; lines of others are dropped),
 * records each witness's cosigned size, and moves the witnessed size up
 * when the quorum is met. Appends no event, so it signs no checkpoint. */
int tnd_tlog_cosigs_write(tnd_wtx *w, void *u);

/** A write function (arg unused): forget the witnessed size, whose
 * checkpoint no longer meets the quorum (the policy changed). Logs no
 * event. */
int tnd_tlog_witnessed_forget(tnd_wtx *w, void *arg);

/* ---- one round of requests (witness_client.c) ---- */

typedef struct tnd_witness_post {
    const char *url;  /* the witness's prefix + "/add-checkpoint" */
    const char *body; /* the add-checkpoint request */
    size_t body_len;
    /* the answer */
    long status; /* the HTTP status; 0: none (error says why) */
    char *resp;  /* malloc'd, NUL-terminated; at most TND_WITNESS_RESPONSE_MAX bytes */
    size_t resp_len;
    char error[256];    /* without an HTTP status: what went wrong */
    const char *reason; /* metrics reason of a failure: "network", "timeout", "too_large" */
} tnd_witness_post;

/** Once per process, before the first round (loop thread). 0 or TND_EIO. */
int tnd_witness_client_init(void);

/** POST each request, all at once, each given timeout_ms; returns when all
 * answered or failed, or soon after *abort turns true (any thread). */
void tnd_witness_post_all(tnd_witness_post *posts, size_t n, uint32_t timeout_ms,
                          _Atomic bool *abort);

/* ---- the collector (witness_collect.c), loop thread unless said ---- */

typedef struct tnd_witnesses tnd_witnesses;

/** Read srv->cfg.witness_policy (none: *out = NULL and 0), load what the
 * store holds of each witness, and start the rounds.
 * @return 0; TND_EMALFORMED (a bad policy: err names the file and line);
 *         TND_EIO (unreadable file or store); TND_ENOMEM. */
int tnd_witnesses_start(tnd_server *srv, tnd_witnesses **out, char *err, size_t err_len);

/** Stop sending (before the store closes): no more rounds or writes. */
void tnd_witnesses_stop(tnd_witnesses *c);

/** Free (after the store closed); a round still running frees it when it
 * ends. NULL is fine. */
void tnd_witnesses_free(tnd_witnesses *c);

/** The policy (quorum checks). */
const tnd_policy *tnd_witnesses_policy(const tnd_witnesses *c);

/** Each witness's status, for GetWitnesses and the HTTP API (any thread;
 * c may be NULL: no witnesses). out is initialised; free it with
 * tender_log_v1_Witnesses_free. @return 0 or TND_ENOMEM. */
int tnd_witnesses_status(tnd_witnesses *c, tender_log_v1_Witnesses *out);

#endif
