/* What a client trusts about the transparency log, and the one way it moves.
 *
 * In the style of Tessera's client (FetchCheckpoint, LogStateTracker): a
 * tnd_log_state holds the log's verifier key, given by the user (pinned) or
 * fetched once (trust on first use), and the last checkpoint it verified.
 * tnd_log_state_update fetches the latest checkpoint, verifies its signature
 * and origin, proves that the trusted tree is a prefix of it, and only then
 * trusts it; when the log shrank or forked it keeps the old checkpoint and
 * hands back the evidence: both signed notes and the proof. Anyone can check
 * that evidence offline: two notes signed by the one key that no append-only
 * log could have produced.
 *
 * Every consistency check of tenderd's clients goes through
 * tnd_log_check_consistency (offline: checkpoints and a proof) or
 * tnd_log_prove_consistent (it fetches the proof from the server first):
 * tenderctl's audit checkpoint, consistency and watch, receipt checks, and
 * tnd_tender_record_verify. docs/LOG.md specifies the formats.
 *
 * Results: 0; a positive status code when a call to the server failed (st
 * holds the server's status, as for every libtender call); TND_ECRYPTO when
 * something the server sent does not verify (st->message says what did not
 * hold, for a person; st->code is DATA_LOSS); TND_ENOMEM; TND_EINVAL for a
 * caller's mistake. Nothing is printed.
 */
#ifndef TENDER_LOGSTATE_H
#define TENDER_LOGSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/audit.h"
#include "tender/client.h"
#include "tender/witness.h"

/** The trusted state of one log. Initialise with tnd_log_state_init (or
 * tnd_log_state_fetch_key), release with tnd_log_state_free. */
typedef struct tnd_log_state {
    tnd_note_verifier v;          /* the log's key: checkpoints must carry its signature */
    char vkey[TND_NOTE_VKEY_MAX]; /* its text, "NAME+KEYID+BASE64", for messages */
    bool has_checkpoint;          /* whether cp and note hold a verified checkpoint */
    tnd_checkpoint cp;            /* the last verified checkpoint */
    char *note;                   /* its signed note, byte for byte (malloc'd) */
    /* The witnesses whose cosignatures a checkpoint needs before it is
     * trusted (tnd_log_state_set_policy); NULL or quorum none: none. The
     * caller owns it and keeps it alive as long as ls. */
    const tnd_policy *policy;
} tnd_log_state;

/** Why the log is not append-only, in a form anyone can check again: the
 * trusted checkpoint and the one that does not extend it, each with its
 * signed note when known (NULL otherwise), and the proof the server gave
 * (none when the sizes alone, or two roots for one size, are the proof). */
typedef struct tnd_log_evidence {
    tnd_checkpoint old_cp, new_cp;
    char *old_note, *new_note;             /* malloc'd, or NULL */
    uint8_t (*proof)[TND_MERKLE_HASH_LEN]; /* malloc'd, n_proof hashes, or NULL */
    size_t n_proof;
} tnd_log_evidence;

/** Start from a pinned key: vkey is the text `tenderd --print-log-key`
 * prints. No checkpoint is trusted yet.
 * @return 0; TND_EMALFORMED when vkey is not a verifier key (ls is then
 *         zeroed); TND_EINVAL for NULL pointers. */
TND_MUST_CHECK int tnd_log_state_init(tnd_log_state *ls, const char *vkey);

/** Start from the key the server itself sends (Log/GetVerifierKey): trust
 * on first use. Callers should warn their user and offer to pin the key.
 * @return 0; a status code; TND_ECRYPTO when the answer is not a key. */
TND_MUST_CHECK int tnd_log_state_fetch_key(tnd_log_state *ls, tnd_client *c, tnd_status_info *st);

void tnd_log_state_free(tnd_log_state *ls);

/** Verify a signed checkpoint note: signed by ls's key, and its origin is
 * the key's name. what names the note in messages ("the saved checkpoint
 * cp.txt"). The parsed checkpoint into *cp. Does not change ls.
 * @return 0; TND_ECRYPTO (bad signature, another key, another origin, not
 *         a checkpoint); TND_ENOMEM. */
TND_MUST_CHECK int tnd_log_verify_note(const tnd_log_state *ls, const char *what, const char *note,
                                       size_t len, tnd_checkpoint *cp, tnd_status_info *st);

/** Trust a checkpoint obtained some other way (a saved file, a receipt):
 * tnd_log_verify_note, then make it ls's checkpoint.
 * @return as tnd_log_verify_note. */
TND_MUST_CHECK int tnd_log_state_set(tnd_log_state *ls, const char *what, const char *note,
                                     size_t len, tnd_status_info *st);

/** Require the cosignatures of p (tender/witness.h) on every checkpoint ls
 * trusts from now on: tnd_log_fetch_checkpoint then asks for the latest
 * witnessed checkpoint, and tnd_log_state_advance and _update refuse one
 * without the quorum (tnd_log_state_set does not: its note is the caller's
 * own, e.g. a checkpoint it saved). NULL: no witnesses needed. */
void tnd_log_state_set_policy(tnd_log_state *ls, const tnd_policy *p);

/** Whether a note carries the cosignatures ls's policy needs (always, with
 * none). what names the note in messages.
 * @return 0; TND_EQUORUM with st->message naming the witnesses that
 *         cosigned and those missing (st->code FAILED_PRECONDITION);
 *         TND_ECRYPTO for a malformed note; TND_ENOMEM. */
TND_MUST_CHECK int tnd_log_check_witnessed(const tnd_log_state *ls, const char *what,
                                           const char *note, size_t len, tnd_status_info *st);

/** FetchCheckpoint: Log/GetCheckpoint (with a policy:
 * Log/GetWitnessedCheckpoint, and tnd_log_check_witnessed), its note verified (tnd_log_verify_note)
 * and the answer's size and root fields checked against the signed note.
 * *note receives the note (malloc'd; free it), *cp the checkpoint. Does not
 * change ls.
 * @return 0; a status code; TND_ECRYPTO; TND_EQUORUM; TND_ENOMEM. */
TND_MUST_CHECK int tnd_log_fetch_checkpoint(const tnd_log_state *ls, tnd_client *c, char **note,
                                            tnd_checkpoint *cp, tnd_status_info *st);

/** The rule, offline: is the tree of old a prefix of the tree of cur, given
 * proof (RFC 9162 PROOF order)? A smaller cur never is; at equal sizes the
 * roots must be equal (proof ignored); every tree extends the empty one;
 * otherwise the proof must verify.
 * @return 0; TND_ECRYPTO with the reason in msg (len bytes; msg may be
 *         NULL): "the log shrank ...", "the log forked ...", "the
 *         consistency proof ... does not verify ...". */
TND_MUST_CHECK int tnd_log_check_consistency(const tnd_checkpoint *old, const tnd_checkpoint *cur,
                                             const uint8_t (*proof)[TND_MERKLE_HASH_LEN],
                                             size_t n_proof, char *msg, size_t len);

/** The rule, online: fetch Log/GetConsistencyProof for old's and cur's
 * sizes when one is needed (an answer for other sizes, or a hash that is
 * not 32 bytes, does not verify) and apply tnd_log_check_consistency. On
 * TND_ECRYPTO, when ev is not NULL, *ev holds the checkpoints and the proof
 * (no notes: the caller adds them); free it with tnd_log_evidence_free.
 * @return 0; a status code; TND_ECRYPTO; TND_ENOMEM. */
TND_MUST_CHECK int tnd_log_prove_consistent(tnd_client *c, const tnd_checkpoint *old,
                                            const tnd_checkpoint *cur, tnd_log_evidence *ev,
                                            tnd_status_info *st);

/** Accept a checkpoint note received otherwise (a watched checkpoint, a
 * receipt): verify it; when ls trusts a checkpoint already, prove the new
 * one extends it (fetching the proof with c); then trust the new one.
 * what names the note in messages.
 * @return 0; a status code; TND_ECRYPTO, with *ev (when not NULL) holding
 *         both notes and the proof when the log is not append-only; ls is
 *         unchanged on any failure. */
TND_MUST_CHECK int tnd_log_state_advance(tnd_log_state *ls, tnd_client *c, const char *what,
                                         const char *note, size_t len, tnd_log_evidence *ev,
                                         tnd_status_info *st);

/** LogStateTracker.Update: tnd_log_fetch_checkpoint, then as
 * tnd_log_state_advance. On success ls holds the latest checkpoint.
 * @return as tnd_log_state_advance. */
TND_MUST_CHECK int tnd_log_state_update(tnd_log_state *ls, tnd_client *c, tnd_log_evidence *ev,
                                        tnd_status_info *st);

void tnd_log_evidence_free(tnd_log_evidence *ev);

/** The evidence as text anyone can check again with the log's key
 * (docs/AUDIT.md, "Evidence of a fork"): a header line
 * "tender log evidence v1", the reason, then sections "-- trusted
 * checkpoint SIZE", "-- conflicting checkpoint SIZE" (each the signed note,
 * byte for byte, or "(not known)"), and "-- consistency proof FIRST SECOND"
 * (base64 hashes, one a line). *out is malloc'd, NUL-terminated.
 * @return 0; TND_EINVAL; TND_ENOMEM. */
TND_MUST_CHECK int tnd_log_evidence_format(const tnd_log_evidence *ev, const char *reason,
                                           char **out);

#endif
