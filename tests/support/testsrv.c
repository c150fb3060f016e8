/* An in-process tenderd for end-to-end tests (see testsrv.h). */
#include "testsrv.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "ops/logging.h"
#include "tender/pki.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "testsrv: %s: %s\n", what, why);
    abort();
}

void testsrv_pki_shared(testsrv *t, const testsrv *from)
{
    signal(SIGPIPE, SIG_IGN);
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/tnd-test-XXXXXX");
    if (!mkdtemp(t->dir))
        die("mkdtemp", "failed");
    snprintf(t->pki, sizeof t->pki, "%s", from->pki);
}

const char *testsrv_path(const testsrv *t, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", t->pki, file);
    return buf;
}

void testsrv_pki(testsrv *t)
{
    char err[512];
    signal(SIGPIPE, SIG_IGN); /* a peer that closed must be an error, not a kill */
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/tnd-test-XXXXXX");
    if (!mkdtemp(t->dir))
        die("mkdtemp", "failed");
    snprintf(t->pki, sizeof t->pki, "%s/pki", t->dir);
    if (tnd_pki_init(t->pki, err, sizeof err) != 0)
        die("pki init", err);
}

/* Loop thread: the writes the clock's move made due have committed. */
static void on_settled(void *arg)
{
    testsrv *t = arg;
    pthread_mutex_lock(&t->settle_mu);
    t->stop_mode = 0;
    pthread_cond_broadcast(&t->settle_cv);
    pthread_mutex_unlock(&t->settle_mu);
}

static void on_async(uv_async_t *a)
{
    testsrv *t = a->data;
    if (t->stop_mode == 3) {
        tnd_services_set_role(t->srv, t->is_writer, t->writer[0] ? t->writer : NULL);
        t->stop_mode = 0;
        return;
    }
    if (t->stop_mode == 4) {
        t->on_loop(t->srv, t->on_loop_arg);
        t->stop_mode = 0;
        return;
    }
    if (t->stop_mode == 2) {
        tnd_services_clock_moved(t->srv, on_settled, t);
        return;
    }
    if (t->stop_mode == 1) {
        tnd_server_reload_tls(t->srv);
        t->stop_mode = 0;
        return;
    }
    uv_close((uv_handle_t *)a, NULL);
    tnd_server_drain(t->srv);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void *loop_main(void *arg)
{
    testsrv *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    tnd_server_shutdown(t->srv);
    uv_walk(&t->loop, close_handle, NULL);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    return NULL;
}

void testsrv_start(testsrv *t, void (*cfg_edit)(tnd_config *), void (*setup)(tnd_server *))
{
    char err[512];
    tnd_config cfg;
    t->cfg_edit = cfg_edit;
    t->setup = setup;
    tnd_config_defaults(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    testsrv_path(t, "server.crt", cfg.cert, sizeof cfg.cert);
    testsrv_path(t, "server.key", cfg.key, sizeof cfg.key);
    testsrv_path(t, "ca.crt", cfg.ca, sizeof cfg.ca);
    snprintf(cfg.db, sizeof cfg.db, "%s/db", t->dir);
    cfg.grace_ms = 3000;
    if (cfg_edit)
        cfg_edit(&cfg);
    tnd_log_set_level(getenv("TND_TEST_LOG") ? TND_LOG_DEBUG : TND_LOG_ERROR);
    uv_loop_init(&t->loop);
    if (tnd_services_new(&t->loop, &cfg, t->manual ? &t->clock : NULL, &t->srv, err,
                         sizeof err) != 0)
        die("server new", err);
    if (setup)
        setup(t->srv);
    if (tnd_server_start(t->srv, err, sizeof err) != 0)
        die("server start", err);
    t->port = tnd_server_port(t->srv);
    uv_async_init(&t->loop, &t->stop_async, on_async);
    t->stop_async.data = t;
    if (pthread_create(&t->thread, NULL, loop_main, t) != 0)
        die("pthread_create", "failed");
    /* On a manual clock, the scheduler's start-up write (the schedule
     * checked against the tenders) commits before the test moves the
     * clock: a move while it runs would be settled before the work it
     * makes due. */
    if (t->manual)
        testsrv_advance(t, 0);
}

void testsrv_manual_clock(testsrv *t, int64_t ms)
{
    t->manual = true;
    tnd_clock_set(&t->clock, ms);
    pthread_mutex_init(&t->settle_mu, NULL);
    pthread_cond_init(&t->settle_cv, NULL);
}

int64_t testsrv_now(const testsrv *t)
{
    return tnd_clock_ms(t->manual ? &t->clock : NULL);
}

void testsrv_advance(testsrv *t, int64_t ms)
{
    if (!t->manual)
        die("testsrv_advance", "the server runs on the real clock (testsrv_manual_clock)");
    if (!t->srv) {
        tnd_clock_advance(&t->clock, ms); /* halted: the server is down meanwhile */
        return;
    }
    /* Steps of half outage-min, each with its heartbeat: the server was up
     * all along, so the outage rule must not fire. */
    const tnd_config *cfg = &t->srv->cfg;
    int64_t step = cfg->outage_extension_ms > 0 ? (int64_t)(cfg->outage_min_ms / 2) : ms;
    do {
        int64_t d = step > 0 && step < ms ? step : ms;
        tnd_clock_advance(&t->clock, d);
        ms -= d;
        pthread_mutex_lock(&t->settle_mu);
        t->stop_mode = 2;
        uv_async_send(&t->stop_async);
        while (t->stop_mode == 2)
            pthread_cond_wait(&t->settle_cv, &t->settle_mu);
        pthread_mutex_unlock(&t->settle_mu);
    } while (ms > 0);
}

void testsrv_advance_to(testsrv *t, int64_t ms)
{
    int64_t now = testsrv_now(t);
    if (ms > now)
        testsrv_advance(t, ms - now);
}

/* Ask the loop thread for mode's work and wait (up to 5 s) until it is done. */
static void ask_loop(testsrv *t, int mode, const char *who)
{
    t->stop_mode = mode;
    uv_async_send(&t->stop_async);
    for (int i = 0; i < 5000 && t->stop_mode == mode; i++)
        usleep(1000);
    if (t->stop_mode == mode)
        die(who, "the loop thread did not answer");
}

void testsrv_reload(testsrv *t)
{
    ask_loop(t, 1, "testsrv_reload");
}

void testsrv_set_writer(testsrv *t, bool is_writer, const char *writer)
{
    t->is_writer = is_writer;
    snprintf(t->writer, sizeof t->writer, "%s", writer ? writer : "");
    ask_loop(t, 3, "testsrv_set_writer");
}

void testsrv_on_loop(testsrv *t, void (*fn)(tnd_server *srv, void *arg), void *arg)
{
    t->on_loop = fn;
    t->on_loop_arg = arg;
    ask_loop(t, 4, "testsrv_on_loop");
}

void testsrv_halt(testsrv *t)
{
    if (!t->srv)
        return; /* already halted (a test failed between halt and start) */
    t->stop_mode = 0;
    uv_async_send(&t->stop_async);
    pthread_join(t->thread, NULL);
    tnd_server_free(t->srv);
    t->srv = NULL;
    uv_loop_close(&t->loop);
}

void testsrv_stop(testsrv *t)
{
    testsrv_halt(t);
    test_rmtree(t->dir);
}

void testsrv_restart(testsrv *t)
{
    testsrv_halt(t);
    testsrv_start(t, t->cfg_edit, t->setup);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int testsrv_seal_certs(const testsrv *t, const char *who, tender_bids_v1_BidContent *c)
{
    char f[80], p[700];
    snprintf(f, sizeof f, "%s.crt", who);
    FILE *fp = fopen(testsrv_path(t, f, p, sizeof p), "r");
    if (!fp)
        return -1;
    for (X509 *x; (x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL;) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        X509_free(x);
        tnd_bytes *nb = realloc(c->certificates, (c->n_certificates + 1) * sizeof *nb);
        uint8_t *copy = n > 0 ? malloc((size_t)n) : NULL;
        if (!nb || !copy) {
            free(copy);
            OPENSSL_free(der);
            fclose(fp);
            return -1;
        }
        memcpy(copy, der, (size_t)n);
        OPENSSL_free(der);
        c->certificates = nb;
        c->certificates[c->n_certificates++] = (tnd_bytes){copy, (size_t)n};
    }
    fclose(fp);
    return c->n_certificates ? 0 : -1;
}
