/* Internals shared by the `tenderctl audit` command files: cmd_audit.c
 * (dispatch, trust, checkpoint, consistency, watch) and cmd_audit_log.c
 * (prove, log). Everything the server sends is checked here with the offline
 * verifier (include/tender/audit.h) before it is shown as verified. */
#ifndef TND_CTL_AUDIT_CMD_H
#define TND_CTL_AUDIT_CMD_H

#include "cli/ctl.h"
#include "commands/commands.h"
#include "tender/audit.h"
#include "tender/logstate.h"
#include "tender/verify.h"
#include "tender_schema.h"

/** A connection to the log and what is trusted about it: its key (and, for
 * consistency and watch, the last verified checkpoint). */
typedef struct audit_ctx {
    tnd_client *c;
    tnd_log_state ls;
    tnd_policy *policy; /* the witness policy of the global options, or NULL */
} audit_ctx;

/** A checkpoint whose signature and origin were verified, with its note. */
typedef struct audit_cp {
    tnd_checkpoint cp;
    char *note; /* malloc'd, exactly as signed */
} audit_cp;

/** Parse --log-key and the witness policy (before any call: exit 2 when
 * bad; the policy then applies to every checkpoint trusted), connect, and when no
 * key was given fetch it with GetVerifierKey and warn about trusting it on
 * first use. Returns 0 or an exit code (message printed). */
int audit_open(const ctl_global *g, audit_ctx *a);
void audit_close(audit_ctx *a);

/** Print "tenderctl: verification failed: ..." and return CTL_EXIT_VERIFY. */
int audit_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The exit code of a libtender log or receipt result (tender/logstate.h):
 * 0; a call's status (10 + N); 4 with st's message when it does not verify;
 * 1 otherwise. Prints the message. */
int audit_result(int rc, const tnd_status_info *st);

/** GetCheckpoint, then verify its signature and origin. 0 or an exit code. */
int audit_latest(audit_ctx *a, audit_cp *out);

/** Read a saved checkpoint note from file and verify it. 0 or an exit code. */
int audit_saved(const audit_ctx *a, const char *file, audit_cp *out);

void audit_cp_free(audit_cp *cp);

/** Verify a checkpoint note's signature with the log key and that its origin
 * is the key's name; what names the note in messages. 0 or an exit code. */
int audit_verify_note(const audit_ctx *a, const char *what, const char *note, size_t len,
                      tnd_checkpoint *cp);

/** Is the tree of old a prefix of the tree of cur? Equal sizes need equal
 * roots; otherwise a consistency proof fetched from the server must verify.
 * 0 or an exit code (4 when it does not hold). */
int audit_consistent(audit_ctx *a, const tnd_checkpoint *old, const tnd_checkpoint *cur);

/** Base64 of a 32-byte hash (45 bytes with the NUL). */
const char *audit_b64(const uint8_t h[32], char out[45]);

/** Parse a leaf index or count: decimal digits only. Returns 0 or -1. */
int audit_parse_u64(const char *s, uint64_t *out);

/* The options of prove, log and verify (their table is in cmd_audit.c). */
typedef struct prove_opts {
    const char *checkpoint;
} prove_opts;

typedef struct log_opts {
    const char *from, *to, *tender;
} log_opts;

typedef struct verify_opts {
    const char *checkpoint, *crl, *bundle;
} verify_opts;

int audit_prove(ctl_global *g, const ctl_call *call);
int audit_log(ctl_global *g, const ctl_call *call);
int audit_verify(ctl_global *g, const ctl_call *call);

/* ---- verify's report, and evidence bundles (cmd_audit_bundle.c) ---- */

/** Where a verified record came from, for --json: NULL or bundle NULL: the server. */
typedef struct audit_from {
    const char *bundle;   /* the bundle file */
    bool key_from_bundle; /* the log key was the bundle's own */
} audit_from;

/** Run every check on r and print one line each and the summary (or the
 * --json object). Returns 0, CTL_EXIT_VERIFY when a check failed, or
 * CTL_EXIT_FAIL. */
int audit_verify_report(const ctl_global *g, const tnd_tender_record *r, const tnd_note_verifier *v,
                        const tnd_checkpoint *saved, const audit_from *from);

/** audit verify --bundle FILE [TENDER]: the same checks from the file alone. */
int audit_verify_bundle(ctl_global *g, const ctl_call *call);

/** audit bundle TENDER --out FILE (its table entry). */
extern const ctl_cmd audit_bundle_cmd;

#endif
