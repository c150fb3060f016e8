/* What every tenderctl command shares: exit codes, the global options, connecting,
 * value parsers, output helpers, files, idempotency keys, and the command table
 * (cmd.h). tenderctl uses only the public libtender API (include/tender/) and the
 * generated message types. */
#ifndef TND_CTL_H
#define TND_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "arena.h"
#include "tender/client.h"
#include "tender/codec.h"

#include "cmd.h"

/* Exit codes (documented in `tenderctl --help`). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1        /* a local failure: files, PKI, out of memory */
#define CTL_EXIT_USAGE 2       /* bad command line */
#define CTL_EXIT_NOT_SERVING 3 /* health: the answer was not SERVING */
#define CTL_EXIT_VERIFY 4      /* audit: a signature, proof or log check failed */
#define CTL_EXIT_STATUS 10     /* plus the gRPC status code of a failed call */

typedef struct ctl_global {
    ctl_list servers;       /* --server HOST:PORT, repeatable; each may be a comma-separated list */
    const char *server_env; /* TENDER_SERVER: the same, used when no --server is given */
    const char *ca, *cert, *key;
    const char *log_key; /* the log's verifier key (--log-key, TENDER_LOG_KEY) */
    /* The witnesses a checkpoint needs (policy.c): a C2SP tlog-policy file
     * (--witness-policy, TENDER_WITNESS_POLICY), or keys and a threshold. */
    const char *witness_policy;
    ctl_list witnesses;            /* --witness VKEY, repeatable */
    const char *witness_threshold; /* --witness-threshold K */
    const char *request_id; /* --request-id: x-request-id of every call, or NULL */
    ctl_seconds timeout; /* --timeout: of each call; given: also of streams */
    bool json;
} ctl_global;

struct tnd_policy;

/** The witness policy the global options give (policy.c): *out NULL when
 * none, else a malloc'd policy the caller frees. Returns 0 or an exit code
 * (2, message printed, for a bad file, key or threshold). */
int ctl_witness_policy(const ctl_global *g, struct tnd_policy **out);

/** Open a blocking client from the global options (connect.c). Returns 0 or an
 * exit code. */
int ctl_connect(const ctl_global *g, tnd_client **out);

/** The first server the global options name, or the default (for names
 * made from it, such as an OCDS URI), into buf. */
const char *ctl_first_server(const ctl_global *g, char *buf, size_t len);

/** The deadline of a stream that may run long (watch, log): --timeout when given,
 * else none. */
uint32_t ctl_stream_timeout(const ctl_global *g);

/** Print "tenderctl: CODE_NAME: message" and return the matching exit code. */
int ctl_status_fail(const tnd_status_info *st);

/** Print "tenderctl: ..." to stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Print "tenderctl: out of memory" and return CTL_EXIT_FAIL. */
int ctl_oom(void);

/** A call whose reply was to be decoded in arena failed: when the arena ran
 * out, "out of memory reading the server's answer" and CTL_EXIT_FAIL (a
 * local failure), else ctl_status_fail(st). */
int ctl_reply_fail(const tnd_arena *arena, const tnd_status_info *st);

/** A copy of s in the run's arena, for a request field (NULL for NULL). The
 * arena's failure is sticky: check tnd_arena_failed(c->arena) once before the
 * request goes out (ctl_oom). */
char *ctl_str(const ctl_call *c, const char *s);

/* ---- values (parse.c) ---- */

/** Parse RFC 3339 ("2026-12-01T10:00:00Z", "2026-12-01T19:00:00+09:00",
 * optional fraction up to nanoseconds) into UTC seconds and nanoseconds.
 * Returns 0, or -1 with a message in err. */
int ctl_parse_time(const char *s, int64_t *seconds, uint32_t *nanos, char *err, size_t len);

/** RFC 3339 UTC text of a time ("2026-12-01T10:00:00Z"). */
const char *ctl_time_text(int64_t seconds, uint32_t nanos, char *buf, size_t len);

/** Check an ISO 4217 code (three letters, upper-cased in place in code[4])
 * and return its minor-unit exponent in *exp. Returns 0 or -1 with err. */
int ctl_currency(const char *in, char code[4], int *exp, char *err, size_t len);


/** Parse a non-negative decimal amount ("1234.56") exactly into minor units
 * of a currency with exponent exp. Returns 0 or -1 with err. */
int ctl_parse_amount(const char *s, const char *code, int exp, int64_t *minor, char *err,
                     size_t len);

/** "1234.56 EUR" from minor units and a currency. */
const char *ctl_money_text(int64_t minor, const char *code, char *buf, size_t len);

/** Decode strict standard base64 (padded) into out (cap bytes). Returns the
 * length, or -1 when s is not base64 or does not fit. */
long ctl_base64_decode(const char *s, uint8_t *out, size_t cap);

/** Write base64 of data into out (at least 4 * ((len + 2) / 3) + 1 bytes). */
void ctl_base64_encode(const uint8_t *data, size_t len, char *out);

/** Lowercase hex of data into out (2 * len + 1 bytes). */
const char *ctl_hex(const uint8_t *data, size_t len, char *out);

/** Media type from a file name's extension (application/octet-stream when unknown). */
const char *ctl_media_type(const char *name);

/* ---- --json output, built with jansson (json_out.c) ---- */

/** A message as a new JSON object: field names from the schema, enums by
 * name, Timestamps as RFC 3339 strings, bytes as base64 (sha256 as hex),
 * unset optional fields left out, absent messages as null. */
json_t *ctl_json_msg(const tnd_msg_desc *d, const void *msg);

/** A new JSON string of s (NULL: ""); bytes that are not UTF-8 become '?'. */
json_t *ctl_json_str(const char *s);

/** Print v compact on one line to stdout and release it (v may be NULL,
 * after a failed allocation). Returns 0, or -1 with a message. */
int ctl_json_print(json_t *v);

/* ---- enum names (out.c, parse.c) ---- */

/** The schema name of an enum value in lowercase ("active"), or "?". */
const char *ctl_enum_lower(const tnd_enum_desc *e, int v, char *buf, size_t len);

/** Parse an enum value from its name, any case; -1 when unknown. v must be
 * above 0 (the UNSPECIFIED value is never a choice). */
int ctl_enum_parse(const tnd_enum_desc *e, const char *name);

/* ---- write calls (idem.c) ---- */

/** Idempotency keys of one invocation: a random base and a counter, so each
 * write call gets its own key and the library's retries cannot repeat it. */
typedef struct ctl_idem {
    char base[33];
    unsigned n;
    char key[48];
    tnd_meta meta;
    tnd_call_opts opts;
} ctl_idem;

/** Call options carrying a fresh idempotency-key for the next write call
 * (valid until the next ctl_idem_next on the same ctl_idem). */
const tnd_call_opts *ctl_idem_next(ctl_idem *k);

/* ---- signing with the certificate key (sign.c) ---- */

struct evp_pkey_st;

/** The caller's certificate key (--cert, --key), which must be Ed25519 and
 * match the certificate, into *out (EVP_PKEY_free it). who names the
 * certificate needed in the message when none is given ("an officer").
 * Returns 0 or an exit code (message printed). */
int ctl_cert_key(const char *cmd, const ctl_global *g, const char *who, struct evp_pkey_st **out);

/** Ed25519 signature of len bytes of msg with k. Returns 0 or -1. */
int ctl_sign(struct evp_pkey_st *k, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* ---- files (file.c) ---- */

/** Write len bytes to path through a temporary file created with mode in the
 * same folder, synced, then renamed over path (replace) or linked to it (not
 * replace: an existing path is an error and is kept). Returns 0 or an exit
 * code (message printed). */
int ctl_file_write(const char *path, const void *data, size_t len, mode_t mode, bool replace);

/** Read a whole file of at most max bytes into *out (malloc'd, NUL added).
 * Returns its length, or -1 with errno (EFBIG when larger than max). */
long ctl_file_read(const char *path, char **out, size_t max);

/** "N-NAME", the file a downloaded document is written to: index N, then the
 * last path component of the name its sender chose, control characters and
 * backslashes as '_', "document" for an empty name, "." or "..". */
void ctl_doc_file_name(const char *name, size_t index, char *out, size_t len);

/** Make path and any missing folder above it, each new one 0700. Returns 0
 * or an exit code (message printed). */
int ctl_dir_private(const char *path);

#endif
