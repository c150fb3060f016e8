/* tenderd: start-up and shutdown (the command line is config_args.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/backup.h"
#include "ops/logging.h"
#include "replica/replica.h"
#include "services.h"
#include "tlog/tlog.h"

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

/* The loop thread's log lines of a turn go out together before it waits. */
static void flush_log(uv_prepare_t *p)
{
    (void)p;
    tnd_log_flush();
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
    if (argc > 1 && strcmp(argv[1], "cluster-init") == 0)
        return tnd_cluster_init_main(argc - 1, argv + 1);
    tnd_config cfg;
    tnd_config_action action;
    char err[512] = "";
    if (tnd_config_from_args(&cfg, argc, argv, &action, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd: %s\n", err);
        return 2;
    }
    switch (action) {
    case TND_ACTION_HELP:
        tnd_config_usage(stdout);
        return 0;
    case TND_ACTION_PRINT_CONFIG:
        tnd_config_print(&cfg, stdout);
        return 0;
    case TND_ACTION_PRINT_LOG_KEY:
    case TND_ACTION_RUN:
        break;
    }
    tnd_log_set_level((tnd_log_level)cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (action == TND_ACTION_PRINT_LOG_KEY)
        return show_log_key(&cfg);

    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    if (tnd_services_new(&loop, &cfg, NULL, &srv, err, sizeof err) != 0 ||
        tnd_server_start(srv, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd: %s\n", err);
        tnd_server_free(srv);
        uv_loop_close(&loop);
        return 1;
    }
    char port[16];
    if (tnd_server_metrics_port(srv) >= 0) {
        snprintf(port, sizeof port, "%d", tnd_server_metrics_port(srv));
        tnd_log(TND_LOG_INFO, "serving metrics", "address", cfg.metrics, "port", port, NULL);
    }
    uv_prepare_t log_flush;
    uv_prepare_init(&loop, &log_flush);
    uv_prepare_start(&log_flush, flush_log);
    uv_unref((uv_handle_t *)&log_flush);
    tnd_log_hold(true);
    uv_run(&loop, UV_RUN_DEFAULT);
    tnd_server_shutdown(srv);
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    tnd_log_hold(false);
    int status = tnd_services_exit_status(srv);
    tnd_server_free(srv);
    uv_loop_close(&loop);
    tnd_log(TND_LOG_INFO, "stopped", NULL);
    return status;
}
