/* tenderd's settings: embedded defaults, then a configuration file (--config FILE, INI),
 * then command-line flags. One table (tnd_config_rows, server/config.c) describes every setting;
 * the flags, the file's keys, --print-config and --help are all made from it. */
#ifndef TND_SERVER_CONFIG_H
#define TND_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tnd_config {
    char listen[256];      /* "127.0.0.1:7443" */
    char metrics[256];     /* HOST:PORT serving GET /metrics, or "off" (or "") */
    char http[256];        /* HOST:PORT serving the public HTTP API and log tiles, or "off" */
    uint32_t http_timeout_ms; /* public HTTP: time for a whole request head (whole seconds) */
    char cert[1024];       /* server certificate (PEM) */
    char key[1024];        /* server private key (PEM) */
    char ca[1024];         /* deployment CA: verifies client certificates */
    char crl[1024];        /* the CA's revocation list (PEM); "" none */
    char db[1024];         /* database folder */
    char log_origin[128];  /* the transparency log's name (checkpoint origin) */
    int log_level;         /* tnd_log_level */
    uint32_t max_frame;    /* largest frame body accepted, bytes */
    uint32_t max_streams;  /* concurrent calls per connection */
    uint32_t max_metadata; /* metadata bytes per call */
    uint32_t max_connections;
    uint32_t initial_window; /* per-stream receive window, bytes */
    uint32_t conn_window;    /* per-connection receive window, bytes */
    uint32_t handshake_timeout_ms;
    uint64_t ticket_rotation_ms; /* session-ticket key period; 0: no resumption */
    uint32_t idle_timeout_ms; /* close a connection without calls after this */
    uint32_t keepalive_ms;    /* ping an idle peer this often; 0: never */
    uint32_t keepalive_timeout_ms;
    uint32_t min_ping_interval_ms; /* pings more often than this are strikes */
    uint32_t max_ping_strikes;     /* then GOAWAY */
    uint32_t grace_ms;             /* drain: how long in-flight calls may run */
    uint32_t high_water;           /* output waiting per connection before it stops */
    uint64_t max_output_memory;    /* output waiting on all connections together */
    uint32_t max_conns_per_identity; /* connections per certificate (or address) */
    uint32_t stall_timeout_ms;     /* an upload or output that does not move for this long */
    uint64_t max_upload_memory;    /* upload buffers of all calls together */
    uint64_t max_upload_per_identity; /* upload buffers of one identity's calls */
    uint64_t min_tender_period_ms; /* publish: submission deadline at least this far ahead */
    uint64_t min_amend_period_ms;  /* amend: the deadline must stay at least this far ahead */
    uint64_t map_size;             /* LMDB initial map, bytes */
    uint64_t max_map_size;         /* LMDB map ceiling, bytes */
    uint32_t write_queue;          /* queued writes before RESOURCE_EXHAUSTED */
    char store[1024];              /* "lmdb", or a postgresql:// URI: the replicated mode */
    char advertise[256];           /* HOST:PORT clients reach this node at; "": listen */
    uint32_t lease_ttl_ms;         /* replicated mode: the writer's lease */
    uint32_t max_bid_bytes;        /* largest sealed bid (ciphertext) accepted */
    uint64_t standstill_ms;        /* after an award, before the tender is complete */
    uint64_t complaint_lead_ms;    /* conditions complaints: due this long before the deadline */
    uint32_t max_complaints_per_supplier; /* filed about one tender by one organisation */
    uint64_t outage_min_ms;        /* the server silent this long is an outage */
    uint64_t outage_window_ms;     /* deadlines up to this after an outage are postponed too */
    uint64_t outage_extension_ms;  /* a postponed deadline: this after the outage; 0: rule off */
    uint64_t idempotency_window_ms; /* how long a retried request gets its first answer */
    char backup_dir[1024];         /* Admin/Backup writes here; "" turns the RPC off */
    char witness_policy[1024];     /* C2SP tlog-policy file of the witnesses to ask; "" none */
    uint32_t witness_interval_ms;  /* how often the newest checkpoint goes to the witnesses */
    uint32_t witness_timeout_ms;   /* one add-checkpoint request, whole */
} tnd_config;

/* How a setting's text becomes a value. */
typedef enum tnd_setting_type {
    TND_SET_STRING,   /* char array; min and max bound its length */
    TND_SET_LOGLEVEL, /* int: debug, info, warn, error */
    TND_SET_U32,      /* uint32_t in the unit below, within [min, max] */
    TND_SET_U64,      /* uint64_t likewise */
} tnd_setting_type;

/* The unit of a number: what a bare number means and which suffixes it takes.
 * Limits (min, max) are in the stored unit (bytes, milliseconds, count). */
typedef enum tnd_setting_unit {
    TND_UNIT_COUNT,   /* a plain number */
    TND_UNIT_BYTES,   /* bytes; suffixes KiB, MiB, GiB, TiB (or K, M, G, T) */
    TND_UNIT_MS,      /* stored in ms; bare number ms; suffixes ms, s, m, h, d */
    TND_UNIT_SECONDS, /* stored in ms; bare number seconds; suffixes ms, s, m, h, d */
} tnd_setting_unit;

/* One row: one setting, in the file as `key = value` under [section] and on
 * the command line as --flag VALUE (flag NULL: file only). */
typedef struct tnd_setting {
    const char *section;
    const char *key;
    const char *flag;
    tnd_setting_type type;
    tnd_setting_unit unit;
    size_t offset; /* into tnd_config */
    size_t size;   /* of the field */
    uint64_t min, max;
    const char *def; /* the default, as text in the file's syntax */
    const char *arg; /* the value's name in --help: FILE, BYTES, MS, ... */
    const char *doc; /* one line: what it does */
} tnd_setting;

extern const tnd_setting tnd_config_rows[];
extern const size_t tnd_config_rows_count;

/** Fill c with the embedded defaults (the table's and the internal ones). */
void tnd_config_defaults(tnd_config *c);

/** The row for a file key or a flag name; NULL if none. */
const tnd_setting *tnd_setting_by_key(const char *key);
const tnd_setting *tnd_setting_by_flag(const char *flag);

/** Parse text into the setting's field of c. On failure -1 with a message
 * (naming neither key nor flag; the caller adds where it came from). */
int tnd_setting_set(tnd_config *c, const tnd_setting *s, const char *text, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/** The setting's value in c as text that tnd_setting_set reads back. */
void tnd_setting_format(const tnd_config *c, const tnd_setting *s, char *buf, size_t len);

/** Read an INI file into c. On failure -1 with "FILE:LINE: message" in err. */
int tnd_config_read_file(tnd_config *c, const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/** Settings that follow from others (windows hold a frame, the map ceiling
 * is at least the map); after the file and the flags. */
void tnd__config_finish(tnd_config *c);

/* What the command line asks for besides settings. */
typedef enum tnd_config_action {
    TND_ACTION_RUN,
    TND_ACTION_HELP,
    TND_ACTION_PRINT_CONFIG,
    TND_ACTION_PRINT_LOG_KEY,
} tnd_config_action;

/** tenderd's command line: defaults, then --config FILE, then every flag
 * (flags win over the file wherever they stand). On failure -1 with the
 * message in err; tenderd exits 2. */
int tnd_config_from_args(tnd_config *c, int argc, char **argv, tnd_config_action *action, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

/** Write c as an INI file that tnd_config_read_file reads back. */
void tnd_config_print(const tnd_config *c, FILE *out);

/** One info log line msg with every setting as key=value (start-up). */
void tnd_config_log(const tnd_config *c, const char *msg);

/** tenderd --help. */
void tnd_config_usage(FILE *out);

#endif
