/* tenderd's embedded defaults. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tender/limits.h"

void tnd_config_defaults(tnd_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:7443");
    snprintf(c->db, sizeof c->db, "var/db");
    snprintf(c->log_origin, sizeof c->log_origin, "tenderd.local/log");
    /* TLS files default to the development PKI that `make run` creates. */
    snprintf(c->cert, sizeof c->cert, "var/pki/server.crt");
    snprintf(c->key, sizeof c->key, "var/pki/server.key");
    snprintf(c->ca, sizeof c->ca, "var/pki/ca.crt");
    c->log_level = TND_LOG_INFO;
    c->max_frame = TND_DEFAULT_MAX_FRAME;
    c->max_streams = 1024;
    c->max_metadata = 16384;
    c->max_connections = 10000;
    c->initial_window = 8u << 20;
    c->conn_window = 32u << 20;
    c->handshake_timeout_ms = 10000;
    c->idle_timeout_ms = 300000;
    c->keepalive_ms = 60000;
    c->keepalive_timeout_ms = 20000;
    c->min_ping_interval_ms = 1000;
    c->max_ping_strikes = 5;
    c->grace_ms = 10000;
    c->high_water = 4u << 20;
    c->min_tender_period_ms = 24ull * 3600 * 1000;
    c->min_amend_period_ms = 3ull * 24 * 3600 * 1000;
    c->map_size = 1ull << 30;
    c->max_map_size = 1ull << 40;
    c->write_queue = 4096;
    c->max_bid_bytes = 16u << 20;
    c->standstill_ms = 10ull * 24 * 3600 * 1000;
}
