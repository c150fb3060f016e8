/* benchseed: fill a tenderd database quickly, in-process, for the read and
 * proof benchmarks (docs/BENCHMARKS.md).
 *
 * It opens the database as tenderd does (tnd_services_new: the store, its
 * writer thread and the transparency log's batch hook) without listening,
 * and queues writes that each run the same write function as
 * Tenders/Create (tnd_tender_create_fn) for --per-write drafts, as the
 * officer of the PKI folder. Every draft is a TENDERS record and a
 * TENDER_CREATED event, so a leaf of the signed log; nothing goes through
 * TLS or RPC. Run it while no tenderd uses the database. */
#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "services.h"
#include "store/store.h"
#include "tenders/tenders.h"

#define IN_QUEUE 4 /* writes queued at once: batches of a few thousand drafts */

typedef struct seeder {
    tnd_server *srv;
    tnd_peer_identity officer;
    long total, per_write, started, done, created;
    int queued, failed;
    char error[TND_STORE_MSG_MAX + 1];
} seeder;

typedef struct write_job {
    seeder *sd;
    long first, count;
} write_job;

/* Writer thread: count drafts, each exactly as Tenders/Create writes one. */
static int seed_fn(tnd_wtx *w, void *arg)
{
    write_job *j = arg;
    char title[80];
    tender_common_v1_Money value = {.minor_units = 250000000, .currency = "KRW"};
    tender_tenders_v1_TenderFields f = {
        .title = title,
        .description = "Seeded draft for the read benchmarks: road maintenance, lot 1 of 1.",
        .estimated_value = &value};
    tender_tenders_v1_CreateTenderRequest req = {.fields = &f};
    /* The reply is built in the op's arena (svc.h), as for a real call;
     * given back after each draft. */
    tnd_op op = {.srv = j->sd->srv,
                 .peer = j->sd->officer,
                 .req = &req,
                 .resp_desc = &tender_tenders_v1_Tender_desc};
    tnd_arena_init(&op.arena, 0);
    int st = 0;
    for (long i = 0; i < j->count && !st; i++) {
        snprintf(title, sizeof title, "Seeded tender %ld", j->first + i);
        tender_tenders_v1_Tender resp;
        tender_tenders_v1_Tender_init(&resp);
        op.resp = &resp;
        st = tnd_tender_create_fn(w, &op);
        tnd_arena_reset(&op.arena);
    }
    tnd_arena_free(&op.arena);
    return st;
}

static void queue_more(seeder *sd);

static void seed_done(void *arg, int status, const char *message)
{
    write_job *j = arg;
    seeder *sd = j->sd;
    sd->queued--;
    sd->done += j->count;
    if (status == 0) {
        sd->created += j->count;
    } else if (!sd->failed) {
        sd->failed = 1;
        snprintf(sd->error, sizeof sd->error, "%s: %s", tnd_status_name(status), message);
    }
    free(j);
    queue_more(sd);
}

static void queue_more(seeder *sd)
{
    while (!sd->failed && sd->started < sd->total && sd->queued < IN_QUEUE) {
        write_job *j = malloc(sizeof *j);
        if (!j) {
            sd->failed = 1;
            snprintf(sd->error, sizeof sd->error, "out of memory");
            return;
        }
        j->sd = sd;
        j->first = sd->started;
        j->count = sd->total - sd->started < sd->per_write ? sd->total - sd->started
                                                            : sd->per_write;
        int rc = tnd_store_submit(sd->srv->store, seed_fn, seed_done, j);
        if (rc != 0) {
            free(j);
            sd->failed = 1;
            snprintf(sd->error, sizeof sd->error, "cannot queue a write: %s", tnd_strerror(rc));
            return;
        }
        sd->started += j->count;
        sd->queued++;
    }
}

/* The officer as the server would see it: role and subject from the certificate. */
static int officer_identity(const char *pki, tnd_peer_identity *p)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/officer.crt", pki);
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!x) {
        fprintf(stderr, "benchseed: cannot read %s\n", path);
        return -1;
    }
    memset(p, 0, sizeof *p);
    p->authenticated = true;
    p->role = TND_ROLE_OFFICER;
    snprintf(p->role_name, sizeof p->role_name, "officer");
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_get_text_by_NID(nm, NID_organizationName, p->org, sizeof p->org);
    X509_NAME_get_text_by_NID(nm, NID_commonName, p->name, sizeof p->name);
    EVP_PKEY *k = X509_get0_pubkey(x);
    size_t kl = sizeof p->pubkey;
    if (k)
        (void)EVP_PKEY_get_raw_public_key(k, p->pubkey, &kl);
    X509_free(x);
    return 0;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: benchseed --db DIR --pki DIR --tenders N [--per-write K]\n"
               "\n"
               "Add N draft tenders (and N log leaves) to tenderd's database DIR in-process,\n"
               "through the write function of Tenders/Create, as DIR/officer.crt's officer.\n"
               "K drafts per store write (default 1000). No tenderd may have DIR open.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},      {"pki", required_argument, NULL, 'p'},
        {"tenders", required_argument, NULL, 'n'}, {"per-write", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *pki = NULL;
    static seeder sd;
    sd.per_write = 1000;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': db = optarg; break;
        case 'p': pki = optarg; break;
        case 'n': sd.total = strtol(optarg, &end, 10); break;
        case 'k': sd.per_write = strtol(optarg, &end, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (end && (*end || end == optarg)) {
            fprintf(stderr, "benchseed: not a number: %s\n", optarg);
            return 2;
        }
    }
    if (!db || !pki || sd.total < 1 || sd.total > 100000000 || sd.per_write < 1 ||
        sd.per_write > 100000) {
        usage(stderr);
        return 2;
    }
    if (officer_identity(pki, &sd.officer) != 0)
        return 1;
    tnd_log_set_level(TND_LOG_WARN);
    tnd_config cfg;
    tnd_config_defaults(&cfg);
    snprintf(cfg.db, sizeof cfg.db, "%s", db);
    snprintf(cfg.cert, sizeof cfg.cert, "%s/server.crt", pki);
    snprintf(cfg.key, sizeof cfg.key, "%s/server.key", pki);
    snprintf(cfg.ca, sizeof cfg.ca, "%s/ca.crt", pki);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[512] = "";
    uint64_t t0 = uv_hrtime();
    if (tnd_services_new(&loop, &cfg, NULL, &sd.srv, err, sizeof err) != 0) {
        fprintf(stderr, "benchseed: %s\n", err);
        uv_loop_close(&loop);
        return 1;
    }
    double open_s = (double)(uv_hrtime() - t0) / 1e9;
    t0 = uv_hrtime();
    queue_more(&sd);
    while (sd.queued > 0)
        uv_run(&loop, UV_RUN_ONCE);
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    tnd_server_shutdown(sd.srv);
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    tnd_server_free(sd.srv);
    uv_loop_close(&loop);
    if (sd.failed) {
        fprintf(stderr, "benchseed: %s (after %ld drafts)\n", sd.error, sd.created);
        return 1;
    }
    printf("benchseed: %ld drafts in %.1f s (%.0f/s; opening the database took %.1f s)\n",
           sd.created, secs, (double)sd.created / secs, open_s);
    return 0;
}
