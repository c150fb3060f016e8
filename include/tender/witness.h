/* Witnesses: independent parties that cosign the log's checkpoints.
 *
 * A witness keeps the latest checkpoint it cosigned for each log; given a
 * newer one with a consistency proof from that one, it checks the proof and
 * cosigns. A client that requires cosignatures from enough witnesses (a
 * policy) cannot be shown a fork of the log that the witnesses did not see.
 *
 * Three C2SP formats, implemented here once for tenderd, tenderwitness and
 * libtender's clients (docs/WITNESS.md):
 *
 *   - tlog-cosignature: an Ed25519 "cosignature/v1" note signature, key id
 *     type 0x04, signing "cosignature/v1\ntime T\n" + the checkpoint text;
 *     its signature is the 8-byte big-endian time T then 64 bytes.
 *   - tlog-witness: the body of POST add-checkpoint ("old N\n", the proof
 *     as base64 lines, an empty line, the signed checkpoint).
 *   - tlog-policy: which witnesses a client trusts and how many of them
 *     must have cosigned ("witness NAME VKEY [URL]", "group NAME K|any|all
 *     MEMBER...", "quorum NAME|none", "log VKEY [URL]").
 *
 * Everything parsed here may come from the network: parsing is strict and
 * bounded, and nothing is allocated except where a function says so.
 */
#ifndef TENDER_WITNESS_H
#define TENDER_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tender/audit.h"
#include "tender/error.h"

/* Signature type byte of Ed25519 cosignature/v1 keys (C2SP tlog-cosignature). */
#define TND_NOTE_ALG_COSIG_V1 0x04
/* Room for one cosignature line with the longest name, with its NUL:
 * "— " name " " base64(4 + 8 + 64 bytes) "\n". */
#define TND_COSIG_LINE_MAX (4 + TND_NOTE_MAX_NAME + 1 + 104 + 1 + 1)
/* Most consistency proof lines in an add-checkpoint request (tlog-witness). */
#define TND_WITNESS_MAX_PROOF 63

/* ---- cosigner keys ------------------------------------------------------ */

/** Parse a witness's verifier key "name+keyid+base64(0x04 || pub)": the
 * rules of tnd_note_verifier_parse with the cosignature type 0x04.
 * @return 0; TND_EINVAL for NULL pointers; TND_EMALFORMED otherwise (also a
 *         log key of type 0x01 given as a witness key). */
TND_MUST_CHECK int tnd_cosigner_parse(const char *vkey, tnd_note_verifier *out);

/** Format the cosigner verifier key of name and pub into out (cap bytes,
 * TND_NOTE_VKEY_MAX is always enough).
 * @return 0; TND_EINVAL for a bad name; TND_ERANGE; TND_ECRYPTO. */
TND_MUST_CHECK int tnd_cosigner_format(const char *name, const uint8_t pub[32], char *out,
                                       size_t cap);

/* ---- cosignatures ------------------------------------------------------- */

/** Cosign a checkpoint as name at time timestamp (seconds since the epoch).
 *
 * checkpoint_text is the note's text without signature lines (it ends in
 * "\n"; it must parse as a checkpoint). Writes one NUL-terminated signature
 * line, ending in "\n", into line (cap bytes; TND_COSIG_LINE_MAX is enough).
 * @return 0; TND_EINVAL for a bad text, name or key, or a timestamp above
 *         2^63 - 1; TND_ERANGE when cap is too small; TND_ECRYPTO. */
TND_MUST_CHECK int tnd_cosig_sign(const char *checkpoint_text, const char *name,
                                  EVP_PKEY *ed25519_priv, uint64_t timestamp, char *line,
                                  size_t cap);

/** Verify the cosignature of witness w on a signed note (a checkpoint with
 * any signature lines). Lines of other keys are ignored.
 * @param timestamp  When not NULL, receives the cosignature's time.
 * @return 0 when w's cosignature verifies; TND_ENOTFOUND when no line has
 *         w's name and key id; TND_ECRYPTO when it does not verify;
 *         TND_EMALFORMED for a malformed note (as tnd_note_open) or two
 *         lines by w; TND_EINVAL for NULL pointers; TND_ENOMEM. */
TND_MUST_CHECK int tnd_cosig_verify(const char *note, size_t len, const tnd_note_verifier *w,
                                    uint64_t *timestamp);

/* ---- the add-checkpoint request (C2SP tlog-witness) --------------------- */

typedef struct tnd_witness_request {
    uint64_t old_size; /* the size the witness last cosigned */
    uint8_t proof[TND_WITNESS_MAX_PROOF][TND_MERKLE_HASH_LEN]; /* old_size -> the checkpoint */
    size_t n_proof;
    const char *note; /* the signed checkpoint, pointing into the parsed body */
    size_t note_len;
} tnd_witness_request;

/** Build a request body: "old N\n", one base64 line per proof hash, "\n",
 * then note (a signed checkpoint). *out is malloc'd (NUL-terminated; *out_len
 * excludes the NUL); the caller frees it.
 * @return 0; TND_EINVAL for NULL pointers or more than
 *         TND_WITNESS_MAX_PROOF hashes; TND_ENOMEM. */
TND_MUST_CHECK int tnd_witness_request_format(uint64_t old_size,
                                              const uint8_t (*proof)[TND_MERKLE_HASH_LEN],
                                              size_t n_proof, const char *note, size_t note_len,
                                              char **out, size_t *out_len);

/** Parse a request body (len bytes, not NUL-terminated). out->note points
 * into body. The note itself is not checked here (tnd_checkpoint_verify).
 * @return 0; TND_EINVAL for NULL pointers; TND_EMALFORMED for anything but
 *         "old " + a decimal without leading zeros + "\n", then at most
 *         TND_WITNESS_MAX_PROOF lines of canonical base64 of 32 bytes, an
 *         empty line and a non-empty note; TND_ERANGE for a size above
 *         2^63. */
TND_MUST_CHECK int tnd_witness_request_parse(const char *body, size_t len,
                                             tnd_witness_request *out);

/* ---- policies (C2SP tlog-policy) ---------------------------------------- */

/* Most logs, witnesses and groups in one policy (tlog-policy's
 * recommended minimum). */
#define TND_POLICY_MAX 32
#define TND_POLICY_URL_MAX 512

typedef struct tnd_policy_witness {
    char name[TND_NOTE_MAX_NAME + 1]; /* the policy's name for it */
    tnd_note_verifier key;            /* its cosigner key (type 0x04) */
    char url[TND_POLICY_URL_MAX];     /* its submission prefix; "" when none */
} tnd_policy_witness;

typedef struct tnd_policy_group {
    char name[TND_NOTE_MAX_NAME + 1];
    unsigned k; /* members needed, 1..n */
    size_t n;
    /* member i: a witness (index < TND_POLICY_MAX) or a group (index
     * TND_POLICY_MAX + g), defined on an earlier line */
    uint16_t members[2 * TND_POLICY_MAX];
} tnd_policy_group;

typedef struct tnd_policy {
    size_t n_logs;
    tnd_note_verifier logs[TND_POLICY_MAX]; /* accepted log keys; none: any */
    char log_urls[TND_POLICY_MAX][TND_POLICY_URL_MAX];
    size_t n_witnesses;
    tnd_policy_witness witnesses[TND_POLICY_MAX];
    size_t n_groups;
    tnd_policy_group groups[TND_POLICY_MAX];
    /* the quorum: -1 none (no cosignature needed), a witness index, or
     * TND_POLICY_MAX + a group index */
    int quorum;
} tnd_policy;

/** Parse a policy file's text (len bytes) into *out.
 * @param err  on failure, a message naming the line and what is wrong.
 * @return 0; TND_EMALFORMED for a policy that breaks tlog-policy's rules
 *         (unknown keyword, bad key, a name defined twice or used before
 *         its definition, a duplicate key, a member listed twice, k out of
 *         1..n, no or two quorum lines, a control character); TND_ELIMIT for
 *         more than TND_POLICY_MAX logs, witnesses or groups; TND_EINVAL. */
TND_MUST_CHECK int tnd_policy_parse(const char *text, size_t len, tnd_policy *out, char *err,
                                    size_t err_len);

/** The policy of k of the witness keys vkeys[0..n) (command-line flags):
 * each witness named by its key name, grouped with threshold k (k = 0:
 * all of them; n = 0: quorum none).
 * @return 0; TND_EMALFORMED for a bad key, a key given twice or k > n
 *         (err says which); TND_ELIMIT; TND_EINVAL. */
TND_MUST_CHECK int tnd_policy_from_keys(const char *const *vkeys, size_t n, unsigned k,
                                        tnd_policy *out, char *err, size_t err_len);

/** Whether a signed note carries the cosignatures the policy's quorum needs.
 *
 * Only the witnesses' cosignatures are looked at (the log's own signature is
 * tnd_checkpoint_verify's work). A cosignature that does not verify counts
 * as missing and is named as bad.
 * @param cosigned  When not NULL, cosigned[i] is set for each witness i
 *                  whose cosignature verifies (n_witnesses entries), and
 *                  times[i] (when times is not NULL) to its time.
 * @param err       On TND_EQUORUM: which witnesses cosigned and which are
 *                  missing, e.g. "needs 2 of audit-office, review-body,
 *                  monitor; cosigned by: audit-office; missing: review-body,
 *                  monitor".
 * @return 0 when the quorum is met; TND_EQUORUM when not; TND_EMALFORMED
 *         for a malformed note; TND_EINVAL; TND_ENOMEM. */
TND_MUST_CHECK int tnd_policy_check(const tnd_policy *p, const char *note, size_t len,
                                    bool *cosigned, uint64_t *times, char *err, size_t err_len);

/** Whether the policy asks for no cosignature at all (quorum none). */
bool tnd_policy_is_none(const tnd_policy *p);

#endif
