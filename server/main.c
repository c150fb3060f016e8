/* tenderd: command line, start-up and shutdown. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "log.h"
#include "server.h"
#include "tlog.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tenderd [OPTIONS]\n"
            "       tenderd backup [--db DIR] --out FILE\n"
            "       tenderd restore --from FILE [--db DIR] [--log-key KEYFILE] [--force]\n"
            "\n"
            "The tenderd tendering server: TLS 1.3 RPC (ALPN tender/1) on HOST:PORT.\n"
            "backup copies the database while the server runs and verifies the copy's\n"
            "transparency log; restore verifies a backup and installs it (see\n"
            "tenderd backup --help, tenderd restore --help).\n"
            "\n"
            "  --listen HOST:PORT        address to listen on (default 127.0.0.1:7443)\n"
            "  --cert FILE               server certificate, PEM (default var/pki/server.crt)\n"
            "  --key FILE                server private key, PEM (default var/pki/server.key)\n"
            "  --ca FILE                 CA that issues client certificates (default var/pki/ca.crt)\n"
            "  --db DIR                  database folder (default var/db)\n"
            "  --log-level LEVEL         debug, info, warn or error (default info)\n"
            "  --max-frame BYTES         largest frame/message accepted (default 4194304)\n"
            "  --max-streams N           concurrent calls per connection (default 1024)\n"
            "  --max-metadata BYTES      metadata per call (default 16384)\n"
            "  --max-connections N       open connections (default 10000)\n"
            "  --handshake-timeout MS    TLS handshake time limit (default 10000)\n"
            "  --idle-timeout MS         close connections idle this long; 0 never (default 300000)\n"
            "  --keepalive MS            ping a silent peer this often; 0 never (default 60000)\n"
            "  --keepalive-timeout MS    close when a ping is not answered in time (default 20000)\n"
            "  --min-ping-interval MS    pings closer than this are strikes (default 1000)\n"
            "  --grace MS                drain: time in-flight calls get to finish (default 10000)\n"
            "  --min-tender-period S     publish: submission deadline at least S seconds ahead\n"
            "                            (default 86400)\n"
            "  --min-amend-period S      an amendment within S seconds of the deadline must move\n"
            "                            the deadline to at least S seconds ahead (default 259200)\n"
            "  --map-size BYTES          initial LMDB map size (default 1073741824)\n"
            "  --max-map-size BYTES      the map grows up to this (default 1099511627776)\n"
            "  --write-queue N           queued writes before RESOURCE_EXHAUSTED (default 4096)\n"
            "  --max-bid-bytes BYTES     largest sealed bid accepted (default 16777216)\n"
            "  --standstill S            after an award, S seconds in which it may be cancelled\n"
            "                            before the tender is complete (default 864000)\n"
            "  --log-origin NAME         the transparency log's name in checkpoints\n"
            "                            (default tenderd.local/log)\n"
            "  --print-log-key           print the log's verifier key (creating the key in --db on\n"
            "                            first use) and exit\n"
            "  --help                    this text\n"
            "\n"
            "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads --cert, --key and --ca.\n");
}

enum {
    OPT_LISTEN = 256, OPT_CERT, OPT_KEY, OPT_CA, OPT_DB, OPT_LOG_LEVEL, OPT_MAX_FRAME,
    OPT_MAX_STREAMS, OPT_MAX_METADATA, OPT_MAX_CONNECTIONS, OPT_HANDSHAKE, OPT_IDLE,
    OPT_KEEPALIVE, OPT_KEEPALIVE_TIMEOUT, OPT_MIN_PING, OPT_GRACE, OPT_HELP, OPT_MIN_TENDER,
    OPT_MIN_AMEND, OPT_MAP_SIZE, OPT_MAX_MAP_SIZE, OPT_WRITE_QUEUE, OPT_LOG_ORIGIN,
    OPT_PRINT_LOG_KEY, OPT_MAX_BID, OPT_STANDSTILL,
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"ca", required_argument, NULL, OPT_CA},
    {"db", required_argument, NULL, OPT_DB},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"max-frame", required_argument, NULL, OPT_MAX_FRAME},
    {"max-streams", required_argument, NULL, OPT_MAX_STREAMS},
    {"max-metadata", required_argument, NULL, OPT_MAX_METADATA},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT},
    {"min-ping-interval", required_argument, NULL, OPT_MIN_PING},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"help", no_argument, NULL, OPT_HELP},
    {"min-tender-period", required_argument, NULL, OPT_MIN_TENDER},
    {"min-amend-period", required_argument, NULL, OPT_MIN_AMEND},
    {"map-size", required_argument, NULL, OPT_MAP_SIZE},
    {"max-map-size", required_argument, NULL, OPT_MAX_MAP_SIZE},
    {"write-queue", required_argument, NULL, OPT_WRITE_QUEUE},
    {"log-origin", required_argument, NULL, OPT_LOG_ORIGIN},
    {"print-log-key", no_argument, NULL, OPT_PRINT_LOG_KEY},
    {"max-bid-bytes", required_argument, NULL, OPT_MAX_BID},
    {"standstill", required_argument, NULL, OPT_STANDSTILL},
    {NULL, 0, NULL, 0},
};

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v > UINT32_MAX || v < min) {
        fprintf(stderr, "tenderd: --%s %s: expected a whole number from %u to %u\n", opt, s, min,
                UINT32_MAX);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t mult, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v < min || v > UINT64_MAX / mult) {
        fprintf(stderr, "tenderd: --%s %s: expected a whole number of at least %llu\n", opt, s,
                (unsigned long long)min);
        return -1;
    }
    *out = (uint64_t)v * mult;
    return 0;
}

static int copy_path(const char *opt, const char *s, char *dst, size_t cap)
{
    if (strlen(s) >= cap || !*s) {
        fprintf(stderr, "tenderd: --%s: path is empty or too long\n", opt);
        return -1;
    }
    strcpy(dst, s);
    return 0;
}

static bool print_log_key;

static int parse_args(int argc, char **argv, tnd_config *cfg)
{
    int opt, idx;
    while ((opt = getopt_long(argc, argv, "h", options, &idx)) != -1) {
        const char *name = opt >= 256 ? options[opt - 256].name : "";
        int rc = 0;
        switch (opt) {
        case OPT_LISTEN: rc = copy_path(name, optarg, cfg->listen, sizeof cfg->listen); break;
        case OPT_CERT: rc = copy_path(name, optarg, cfg->cert, sizeof cfg->cert); break;
        case OPT_KEY: rc = copy_path(name, optarg, cfg->key, sizeof cfg->key); break;
        case OPT_CA: rc = copy_path(name, optarg, cfg->ca, sizeof cfg->ca); break;
        case OPT_DB: rc = copy_path(name, optarg, cfg->db, sizeof cfg->db); break;
        case OPT_LOG_LEVEL:
            cfg->log_level = tnd_log_level_parse(optarg);
            if (cfg->log_level < 0) {
                fprintf(stderr, "tenderd: --log-level %s: use debug, info, warn or error\n",
                        optarg);
                rc = -1;
            }
            break;
        case OPT_MAX_FRAME: rc = parse_u32(name, optarg, 1024, &cfg->max_frame); break;
        case OPT_MAX_STREAMS: rc = parse_u32(name, optarg, 1, &cfg->max_streams); break;
        case OPT_MAX_METADATA: rc = parse_u32(name, optarg, 256, &cfg->max_metadata); break;
        case OPT_MAX_CONNECTIONS: rc = parse_u32(name, optarg, 1, &cfg->max_connections); break;
        case OPT_HANDSHAKE: rc = parse_u32(name, optarg, 1, &cfg->handshake_timeout_ms); break;
        case OPT_IDLE: rc = parse_u32(name, optarg, 0, &cfg->idle_timeout_ms); break;
        case OPT_KEEPALIVE: rc = parse_u32(name, optarg, 0, &cfg->keepalive_ms); break;
        case OPT_KEEPALIVE_TIMEOUT:
            rc = parse_u32(name, optarg, 1, &cfg->keepalive_timeout_ms);
            break;
        case OPT_MIN_PING: rc = parse_u32(name, optarg, 0, &cfg->min_ping_interval_ms); break;
        case OPT_GRACE: rc = parse_u32(name, optarg, 0, &cfg->grace_ms); break;
        case OPT_MIN_TENDER:
            rc = parse_u64(name, optarg, 0, 1000, &cfg->min_tender_period_ms);
            break;
        case OPT_MIN_AMEND: rc = parse_u64(name, optarg, 0, 1000, &cfg->min_amend_period_ms); break;
        case OPT_MAP_SIZE: rc = parse_u64(name, optarg, 1u << 20, 1, &cfg->map_size); break;
        case OPT_MAX_MAP_SIZE: rc = parse_u64(name, optarg, 1u << 20, 1, &cfg->max_map_size); break;
        case OPT_WRITE_QUEUE: rc = parse_u32(name, optarg, 1, &cfg->write_queue); break;
        case OPT_LOG_ORIGIN:
            rc = copy_path(name, optarg, cfg->log_origin, sizeof cfg->log_origin);
            break;
        case OPT_PRINT_LOG_KEY: print_log_key = true; break;
        case OPT_MAX_BID: rc = parse_u32(name, optarg, 1024, &cfg->max_bid_bytes); break;
        case OPT_STANDSTILL: rc = parse_u64(name, optarg, 0, 1000, &cfg->standstill_ms); break;
        case OPT_HELP:
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (rc)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "tenderd: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -1;
    }
    if (cfg->max_map_size < cfg->map_size)
        cfg->max_map_size = cfg->map_size;
    /* Flow-control windows must hold at least one frame. */
    if (cfg->initial_window < cfg->max_frame)
        cfg->initial_window = cfg->max_frame;
    if (cfg->conn_window < cfg->initial_window)
        cfg->conn_window = cfg->initial_window;
    return 0;
}

/* --print-log-key: what auditors configure to verify this server's log. */
static int show_log_key(const tnd_config *cfg)
{
    char err[512], name[128], vkey[400];
    EVP_PKEY *key = NULL;
    if (tnd_tlog_key_load(cfg->db, cfg->log_origin, &key, name, sizeof name, err, sizeof err) !=
            0 ||
        tnd_tlog_verifier_key(key, name, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd: %s\n", *err ? err : "cannot derive the verifier key");
        EVP_PKEY_free(key);
        return 1;
    }
    printf("%s\n", vkey);
    EVP_PKEY_free(key);
    return 0;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "backup") == 0)
        return tnd_backup_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "restore") == 0)
        return tnd_restore_main(argc - 1, argv + 1);
    tnd_config cfg;
    tnd_config_defaults(&cfg);
    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    tnd_log_set_level((tnd_log_level)cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (print_log_key)
        return show_log_key(&cfg);

    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    char err[512] = "";
    if (tnd_server_new(&loop, &cfg, &srv, err, sizeof err) != 0 ||
        tnd_server_start(srv, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd: %s\n", err);
        tnd_server_free(srv);
        uv_loop_close(&loop);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", tnd_server_port(srv));
    tnd_log(TND_LOG_INFO, "listening", "address", cfg.listen, "port", port, "ca", cfg.ca, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    tnd_server_shutdown(srv);
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    tnd_server_free(srv);
    uv_loop_close(&loop);
    tnd_log(TND_LOG_INFO, "stopped", NULL);
    return 0;
}
