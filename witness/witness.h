/* tenderwitness: a C2SP tlog-witness (docs/WITNESS.md).
 *
 * One witness key (Ed25519, cosignature/v1), a set of trusted log keys (a log
 * is its origin, the key's name), and per origin the latest checkpoint it
 * cosigned, kept on disk:
 *
 *   DIR/witness.key        the private key, PEM, mode 0600
 *   DIR/witness.name       the witness's name, one line
 *   DIR/checkpoints/HEX    the latest cosigned checkpoint of the log whose
 *                          origin hashes (SHA-256, lowercase hex) to HEX: the
 *                          checkpoint text, the log's signature line(s) and
 *                          the witness's cosignature
 *   DIR/evidence/          one file per refused, correctly signed checkpoint
 *                          that contradicts what was cosigned (never
 *                          overwritten, at most WIT_EVIDENCE_PER_MINUTE per
 *                          origin a minute)
 *
 * witness_state.c owns the folder (key, name, checkpoint files), witness_add.c
 * the add-checkpoint rules, witness_evidence.c the evidence files,
 * witness_http.c the HTTP listener, main.c the command line. */
#ifndef TND_WITNESS_WITNESS_H
#define TND_WITNESS_WITNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "tender/audit.h"

/* Largest add-checkpoint body: "old " + 20 digits, 63 proof lines, the
 * empty line and a signed note of up to 8 KiB. A larger one is refused
 * with 413. */
#define WIT_MAX_NOTE (8u * 1024u)
#define WIT_MAX_BODY (WIT_MAX_NOTE + 32u + 63u * 45u + 1u)
/* Largest checkpoint file read back at start-up. */
#define WIT_MAX_STATE_FILE (64u * 1024u)
/* Evidence files written per origin per minute; more are only logged. */
#define WIT_EVIDENCE_PER_MINUTE 10
/* Most trusted log keys. */
#define WIT_MAX_LOGS 64

/* What the witness knows of one log (one origin). */
typedef struct wit_log {
    char origin[TND_NOTE_MAX_NAME + 1];
    char hash_hex[65]; /* lowercase hex SHA-256 of the origin: its file name */
    bool configured;   /* a trusted key names it (--log) */
    bool have;         /* a checkpoint was cosigned */
    tnd_checkpoint cp; /* that checkpoint (when have) */
    char *note;        /* its text, the log's signature(s), the cosignature */
    size_t note_len;
    time_t evidence_minute; /* the minute evidence_count counts */
    unsigned evidence_count;
} wit_log;

typedef struct wit {
    char dir[4096];
    int dirfd; /* DIR, locked (flock) while the witness serves */
    int cpfd;  /* DIR/checkpoints */
    int evfd;  /* DIR/evidence */
    char name[TND_NOTE_MAX_NAME + 1];
    EVP_PKEY *key;
    tnd_note_verifier self; /* the witness's own cosigner key */
    size_t n_keys;
    tnd_note_verifier keys[WIT_MAX_LOGS]; /* trusted log keys */
    size_t n_logs;
    wit_log *logs;      /* configured origins and every checkpoint file */
    pthread_mutex_t mu; /* each add-checkpoint's check and update, and the readers */
} wit;

/* ---- the state folder (witness_state.c) ---- */

/** Whether name is a valid witness (key) name: 1..255 bytes of UTF-8, no
 * spaces, '+' or control characters (C2SP signed-note). */
bool wit_name_ok(const char *name);

/** Create DIR (mode 0700, or use an empty existing one), its witness key,
 * name file and subfolders. Refuses a folder that already holds a key.
 * @return 0, or -1 with a message in err. */
int wit_init(const char *dir, const char *name, char *err, size_t err_len);

/** Open DIR: read the name and key and every checkpoint file. A
 * file that cannot be read, does not parse, is under the wrong name or
 * lacks a valid cosignature by the witness's own key is an error: the
 * witness never starts from less than it cosigned.
 * @return 0, or -1 with a message in err. */
int wit_open(wit *w, const char *dir, char *err, size_t err_len);

/** Lock DIR for this process (flock): two witnesses serving one folder
 * would break the rule that checking and updating a log's size is one step.
 * @return 0, or -1 with a message in err. */
int wit_lock(wit *w, char *err, size_t err_len);

/** Add the trusted log key vkey (before serving).
 * @return 0, or -1 with a message in err. */
int wit_add_log_key(wit *w, const char *vkey, char *err, size_t err_len);

/** The witness's verifier key "name+id+base64(0x04||pub)" into out. */
int wit_vkey(const wit *w, char *out, size_t cap);

/** The record of origin; NULL when none. Under w->mu. */
wit_log *wit_find(wit *w, const char *origin);

/** The record of origin, created when missing; NULL when out of memory.
 * Only before serving: it may move the records. */
wit_log *wit_get(wit *w, const char *origin);

/** Persist note (len bytes) as the latest cosigned checkpoint of l durably
 * (temporary file, fsync, rename, fsync of the folder), then take it as l's
 * state. Under w->mu.
 * @return 0, or -1 with errno set and l unchanged. */
int wit_store(wit *w, wit_log *l, const tnd_checkpoint *cp, const char *note, size_t len);

void wit_close(wit *w);

/* ---- add-checkpoint (witness_add.c) ---- */

/** Length of a signed note's text: up to and with the "\n" before its last
 * empty line (C2SP signed-note); 0 when there is none. */
size_t wit_note_text_len(const char *note, size_t len);

typedef struct wit_answer {
    const char *peer; /* the client's address, for the log and evidence */
    unsigned status;  /* HTTP status */
    const char *type; /* Content-Type */
    char *body;       /* malloc'd */
    size_t len;
} wit_answer;

/** Apply the tlog-witness add-checkpoint rules to body (len bytes) sent by
 * peer (an address, for the log and evidence): the answer to send.
 * Thread-safe. */
void wit_add_checkpoint(wit *w, const char *body, size_t len, const char *peer, wit_answer *a);

/** The latest cosigned checkpoint of the log whose origin hashes to hex, as
 * a malloc'd copy (*len bytes); NULL when none. */
char *wit_monitor_checkpoint(wit *w, const char *hex, size_t *len);

/* ---- evidence (witness_evidence.c) ---- */

/** Keep a correctly signed request that contradicts l's cosigned checkpoint:
 * a new file in DIR/evidence with the request as received and l's latest
 * cosigned note, and a loud log line. Under w->mu. */
void wit_evidence(wit *w, wit_log *l, const char *reason, const char *body, size_t len,
                  const char *peer);

/* ---- HTTP (witness_http.c) ---- */

typedef struct wit_http wit_http;

/** Listen on host:port (spec) and serve w.
 * @return 0, or -1 with a message in err. */
int wit_http_start(wit *w, const char *spec, wit_http **out, char *err, size_t err_len);
void wit_http_stop(wit_http *h);

#endif
