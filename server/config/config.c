/* tenderd's settings table and embedded defaults.
 *
 * Every setting an operator can change is one row below: the command-line
 * flag, the config-file key and section, --print-config and --help all come
 * from it. To add a setting: add the field to tnd_config (config.h), add a
 * row here, and a line in docs/OPERATIONS.md (a test checks it is there). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ops/logging.h"

/* offsetof and size of a tnd_config field: two columns of a row. */
#define FIELD(f) offsetof(tnd_config, f), sizeof(((tnd_config *)0)->f)
/* Longest text a char-array field holds. */
#define CAP(f) (sizeof(((tnd_config *)0)->f) - 1)

#define MiB (1ull << 20)

/* section, key, flag, type, unit, field, min, max, default, arg, doc */
const tnd_setting tnd_config_rows[] = {
    {"server", "listen", "listen", TND_SET_STRING, TND_UNIT_COUNT, FIELD(listen), 1, CAP(listen),
     "127.0.0.1:7443", "HOST:PORT", "address to listen on"},
    {"server", "metrics", "metrics", TND_SET_STRING, TND_UNIT_COUNT, FIELD(metrics), 0,
     CAP(metrics), "off", "HOST:PORT",
     "serve Prometheus metrics at http://HOST:PORT/metrics (plain HTTP, no authentication); off: "
     "none"},
    {"server", "http", "http", TND_SET_STRING, TND_UNIT_COUNT, FIELD(http), 0, CAP(http), "off",
     "HOST:PORT",
     "serve public data (the portal at /, JSON API at /api/v1/, log tiles at /log/) over plain "
     "HTTP; put a TLS proxy in front; off: none"},
    {"server", "http-timeout", "http-timeout", TND_SET_U32, TND_UNIT_MS, FIELD(http_timeout_ms),
     1000, 3600000, "30s", "MS",
     "public HTTP: a connection is closed when this passes without a whole request head"},
    {"server", "db", "db", TND_SET_STRING, TND_UNIT_COUNT, FIELD(db), 1, CAP(db), "var/db", "DIR",
     "database folder"},
    {"server", "log-level", "log-level", TND_SET_LOGLEVEL, TND_UNIT_COUNT, FIELD(log_level), 0, 0,
     "info", "LEVEL", "lowest level logged: debug, info, warn or error"},
    {"server", "log-origin", "log-origin", TND_SET_STRING, TND_UNIT_COUNT, FIELD(log_origin), 1,
     CAP(log_origin), "tenderd.local/log", "NAME", "the transparency log's name in checkpoints"},
    {"server", "grace", "grace", TND_SET_U32, TND_UNIT_MS, FIELD(grace_ms), 0, UINT32_MAX, "10s",
     "MS", "drain: time in-flight calls get to finish"},

    {"tls", "cert", "cert", TND_SET_STRING, TND_UNIT_COUNT, FIELD(cert), 1, CAP(cert),
     "var/pki/server.crt", "FILE", "server certificate, PEM; re-read on SIGHUP"},
    {"tls", "key", "key", TND_SET_STRING, TND_UNIT_COUNT, FIELD(key), 1, CAP(key),
     "var/pki/server.key", "FILE", "server private key, PEM; re-read on SIGHUP"},
    {"tls", "ca", "ca", TND_SET_STRING, TND_UNIT_COUNT, FIELD(ca), 1, CAP(ca), "var/pki/ca.crt",
     "FILE", "CA that issues client certificates, PEM; re-read on SIGHUP"},
    {"tls", "crl", "crl", TND_SET_STRING, TND_UNIT_COUNT, FIELD(crl), 0, CAP(crl), "", "FILE",
     "the CA's certificate revocation list, PEM: revoked client certificates are refused; "
     "re-read on SIGHUP; empty: none"},
    {"tls", "handshake-timeout", "handshake-timeout", TND_SET_U32, TND_UNIT_MS,
     FIELD(handshake_timeout_ms), 1, UINT32_MAX, "10s", "MS", "TLS handshake time limit"},
    {"tls", "ticket-rotation", "ticket-rotation", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(ticket_rotation_ms), 0, 302400000, "1h", "S",
     "session resumption: rotate the session-ticket key this often (at least 1s); a ticket is "
     "accepted for at most twice this, and not after a restart; 0: no resumption"},

    {"connections", "max-connections", "max-connections", TND_SET_U32, TND_UNIT_COUNT,
     FIELD(max_connections), 1, UINT32_MAX, "10000", "N", "open connections"},
    {"connections", "max-streams", "max-streams", TND_SET_U32, TND_UNIT_COUNT, FIELD(max_streams),
     1, UINT32_MAX, "1024", "N", "concurrent calls per connection"},
    {"connections", "idle-timeout", "idle-timeout", TND_SET_U32, TND_UNIT_MS,
     FIELD(idle_timeout_ms), 0, UINT32_MAX, "5m", "MS",
     "close connections idle this long; 0 never"},
    {"connections", "keepalive", "keepalive", TND_SET_U32, TND_UNIT_MS, FIELD(keepalive_ms), 0,
     UINT32_MAX, "1m", "MS", "ping a silent peer this often; 0 never"},
    {"connections", "keepalive-timeout", "keepalive-timeout", TND_SET_U32, TND_UNIT_MS,
     FIELD(keepalive_timeout_ms), 1, UINT32_MAX, "20s", "MS",
     "close when a ping is not answered in time"},
    {"connections", "min-ping-interval", "min-ping-interval", TND_SET_U32, TND_UNIT_MS,
     FIELD(min_ping_interval_ms), 0, UINT32_MAX, "1s", "MS", "pings closer than this are strikes"},
    {"connections", "max-connections-per-identity", "max-connections-per-identity", TND_SET_U32,
     TND_UNIT_COUNT, FIELD(max_conns_per_identity), 1, UINT32_MAX, "100", "N",
     "connections per client certificate, or per address without one"},
    {"connections", "stall-timeout", "stall-timeout", TND_SET_U32, TND_UNIT_MS,
     FIELD(stall_timeout_ms), 1, UINT32_MAX, "30s", "MS",
     "cancel an upload that receives nothing, and close a connection whose output does not "
     "drain, after this long"},

    {"limits", "max-frame", "max-frame", TND_SET_U32, TND_UNIT_BYTES, FIELD(max_frame), 1024,
     UINT32_MAX, "4MiB", "BYTES", "largest frame/message accepted"},
    {"limits", "max-metadata", "max-metadata", TND_SET_U32, TND_UNIT_BYTES, FIELD(max_metadata),
     256, UINT32_MAX, "16KiB", "BYTES", "metadata per call"},
    {"limits", "max-bid-bytes", "max-bid-bytes", TND_SET_U32, TND_UNIT_BYTES, FIELD(max_bid_bytes),
     1024, UINT32_MAX, "16MiB", "BYTES", "largest sealed bid accepted"},
    {"limits", "max-upload-memory", "max-upload-memory", TND_SET_U64, TND_UNIT_BYTES,
     FIELD(max_upload_memory), MiB, UINT64_MAX, "512MiB", "BYTES",
     "memory of unfinished uploads (bids, documents) of all clients together"},
    {"limits", "max-upload-per-identity", "max-upload-per-identity", TND_SET_U64, TND_UNIT_BYTES,
     FIELD(max_upload_per_identity), MiB, UINT64_MAX, "64MiB", "BYTES",
     "memory of unfinished uploads of one client certificate"},
    {"limits", "max-output-per-connection", "max-output-per-connection", TND_SET_U32,
     TND_UNIT_BYTES, FIELD(high_water), 64 * 1024, UINT32_MAX, "1MiB", "BYTES",
     "output waiting for one peer before the server stops producing for it"},
    {"limits", "max-output-memory", "max-output-memory", TND_SET_U64, TND_UNIT_BYTES,
     FIELD(max_output_memory), MiB, UINT64_MAX, "128MiB", "BYTES",
     "output waiting for all peers together before the server stops producing"},

    {"store", "map-size", "map-size", TND_SET_U64, TND_UNIT_BYTES, FIELD(map_size), MiB, UINT64_MAX,
     "1GiB", "BYTES", "initial LMDB map size"},
    {"store", "max-map-size", "max-map-size", TND_SET_U64, TND_UNIT_BYTES, FIELD(max_map_size), MiB,
     UINT64_MAX, "1TiB", "BYTES", "the map grows up to this"},
    {"store", "write-queue", "write-queue", TND_SET_U32, TND_UNIT_COUNT, FIELD(write_queue), 1,
     UINT32_MAX, "16384", "N", "queued writes before RESOURCE_EXHAUSTED"},
    {"store", "store", "store", TND_SET_STRING, TND_UNIT_COUNT, FIELD(store), 1, CAP(store), "lmdb",
     "URL",
     "lmdb: this node alone; postgresql://...: replicated over PostgreSQL, one writer at a time "
     "(docs/SCALING.md); put no password in it (use a .pgpass file)"},
    {"store", "advertise", "advertise", TND_SET_STRING, TND_UNIT_COUNT, FIELD(advertise), 0,
     CAP(advertise), "", "HOST:PORT",
     "replicated mode: the address clients reach this node at, unique per node; empty: listen"},
    {"store", "lease-ttl", "lease-ttl", TND_SET_U32, TND_UNIT_MS, FIELD(lease_ttl_ms), 1000,
     600000, "5s", "MS",
     "replicated mode: a writer that has not renewed its lease for this long is replaced"},
    {"store", "idempotency-window", "idempotency-window", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(idempotency_window_ms), 1, UINT64_MAX, "1d", "S",
     "a retried request with the same idempotency-key gets the first answer for this long"},

    {"tenders", "min-tender-period", "min-tender-period", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(min_tender_period_ms), 0, UINT64_MAX, "1d", "S",
     "publish: submission deadline at least this far ahead"},
    {"tenders", "min-amend-period", "min-amend-period", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(min_amend_period_ms), 0, UINT64_MAX, "3d", "S",
     "an amendment within this of the deadline must move the deadline at least this far ahead"},
    {"tenders", "standstill", "standstill", TND_SET_U64, TND_UNIT_SECONDS, FIELD(standstill_ms), 0,
     UINT64_MAX, "10d", "S",
     "after an award, the time in which it may be cancelled before the tender is complete"},
    {"tenders", "complaint-lead", "complaint-lead", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(complaint_lead_ms), 0, UINT64_MAX, "4d", "S",
     "complaints about a tender's conditions are filed until this long before its submission "
     "deadline"},
    {"tenders", "max-complaints-per-supplier", "max-complaints-per-supplier", TND_SET_U32,
     TND_UNIT_COUNT, FIELD(max_complaints_per_supplier), 1, 100, "20", "N",
     "complaints one supplier (its certificate's organisation) may file about one tender, "
     "withdrawn ones included; a tender takes 100 in all"},
    {"tenders", "outage-min", "outage-min", TND_SET_U64, TND_UNIT_SECONDS, FIELD(outage_min_ms),
     1000, UINT64_MAX, "1m", "S",
     "the server down or unable to write this long is an outage (for the deadline rule)"},
    {"tenders", "outage-window", "outage-window", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(outage_window_ms), 0, UINT64_MAX, "1h", "S",
     "a submission deadline within an outage or this long after one is postponed"},
    {"tenders", "outage-extension", "outage-extension", TND_SET_U64, TND_UNIT_SECONDS,
     FIELD(outage_extension_ms), 0, UINT64_MAX, "1d", "S",
     "a postponed deadline moves to this long after the later of it and the outage's end; 0: "
     "deadlines are never postponed"},

    {"backup", "backup-dir", "backup-dir", TND_SET_STRING, TND_UNIT_COUNT, FIELD(backup_dir), 0,
     CAP(backup_dir), "", "DIR",
     "folder for backups an admin takes with tender.admin.v1.Admin/Backup; empty: that RPC is "
     "off (`tenderd backup` works either way)"},

    {"witnesses", "witness-policy", "witness-policy", TND_SET_STRING, TND_UNIT_COUNT,
     FIELD(witness_policy), 0, CAP(witness_policy), "", "FILE",
     "C2SP tlog-policy file: the witnesses with a URL are sent each new checkpoint to cosign, "
     "its quorum says when one counts as witnessed; empty: no witnesses"},
    {"witnesses", "witness-interval", "witness-interval", TND_SET_U32, TND_UNIT_MS,
     FIELD(witness_interval_ms), 10, 3600000, "1s", "MS",
     "how often the newest checkpoint is sent to the witnesses that have not cosigned it"},
    {"witnesses", "witness-timeout", "witness-timeout", TND_SET_U32, TND_UNIT_MS,
     FIELD(witness_timeout_ms), 100, 600000, "5s", "MS",
     "time for one witness to answer an add-checkpoint request"},
};

const size_t tnd_config_rows_count = sizeof tnd_config_rows / sizeof tnd_config_rows[0];

void tnd_config_defaults(tnd_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        char err[256];
        /* The table's defaults are tested (test_config); a bad one would leave 0. */
        if (tnd_setting_set(c, &tnd_config_rows[i], tnd_config_rows[i].def, err, sizeof err) != 0)
            tnd_log(TND_LOG_ERROR, "bad default", "key", tnd_config_rows[i].key, "error", err,
                    NULL);
    }
    /* Internal settings without a flag or key. */
    c->initial_window = 8u << 20;
    c->conn_window = 32u << 20;
    c->max_ping_strikes = 5;
}

const tnd_setting *tnd_setting_by_key(const char *key)
{
    for (size_t i = 0; i < tnd_config_rows_count; i++)
        if (strcmp(tnd_config_rows[i].key, key) == 0)
            return &tnd_config_rows[i];
    return NULL;
}

const tnd_setting *tnd_setting_by_flag(const char *flag)
{
    for (size_t i = 0; i < tnd_config_rows_count; i++)
        if (tnd_config_rows[i].flag && strcmp(tnd_config_rows[i].flag, flag) == 0)
            return &tnd_config_rows[i];
    return NULL;
}

void tnd__config_finish(tnd_config *c)
{
    if (c->max_map_size < c->map_size)
        c->max_map_size = c->map_size;
    /* Flow-control windows must hold at least one frame. */
    if (c->initial_window < c->max_frame)
        c->initial_window = c->max_frame;
    if (c->conn_window < c->initial_window)
        c->conn_window = c->initial_window;
}
