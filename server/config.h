/* tenderd's settings: embedded defaults, overridden by command-line flags. */
#ifndef TND_SERVER_CONFIG_H
#define TND_SERVER_CONFIG_H

#include <stdint.h>

typedef struct tnd_config {
    char listen[256];        /* "127.0.0.1:7443" */
    char cert[1024];         /* server certificate (PEM) */
    char key[1024];          /* server private key (PEM) */
    char ca[1024];           /* deployment CA: verifies client certificates */
    char db[1024];           /* database folder */
    char log_origin[128];    /* the transparency log's name (checkpoint origin) */
    int log_level;           /* tnd_log_level */
    uint32_t max_frame;      /* largest frame body accepted, bytes */
    uint32_t max_streams;    /* concurrent calls per connection */
    uint32_t max_metadata;   /* metadata bytes per call */
    uint32_t max_connections;
    uint32_t initial_window; /* per-stream receive window, bytes */
    uint32_t conn_window;    /* per-connection receive window, bytes */
    uint32_t handshake_timeout_ms;
    uint32_t idle_timeout_ms;     /* close a connection without calls after this */
    uint32_t keepalive_ms;        /* ping an idle peer this often; 0: never */
    uint32_t keepalive_timeout_ms;
    uint32_t min_ping_interval_ms; /* pings more often than this are strikes */
    uint32_t max_ping_strikes;     /* then GOAWAY */
    uint32_t grace_ms;             /* drain: how long in-flight calls may run */
    uint32_t high_water;           /* unsent bytes per connection before reading stops */
    uint64_t min_tender_period_ms; /* publish: submission deadline at least this far ahead */
    uint64_t min_amend_period_ms;  /* amend: the deadline must stay at least this far ahead */
    uint64_t map_size;             /* LMDB initial map, bytes */
    uint64_t max_map_size;         /* LMDB map ceiling, bytes */
    uint32_t write_queue;          /* queued writes before RESOURCE_EXHAUSTED */
    uint32_t max_bid_bytes;        /* largest sealed bid (ciphertext) accepted */
    uint64_t standstill_ms;        /* after an award, before the tender is complete */
} tnd_config;

/** Fill c with the embedded defaults. */
void tnd_config_defaults(tnd_config *c);

#endif
