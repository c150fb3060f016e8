/* readbench: closed-loop reads of stored data (docs/BENCHMARKS.md).
 *
 *   get    tender.tenders.v1.Tenders/Get of a random id among the first
 *          --tenders ids ("T-YEAR-000001" ...), as the officer that owns them.
 *   proof  tender.log.v1.Log/GetInclusionProof of a random leaf against the
 *          latest signed tree size (fetched first); every proof is verified
 *          against the signed checkpoint's root (an unverified answer counts
 *          as an error).
 *
 * N connections (one libtender client each) on one loop, M calls in flight on
 * each, after a warm-up; calls/s, latency percentiles, errors by status. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "tender/audit.h"
#include "tender/client.h"
#include "tender_schema.h"

#include "hist.h"
#include "proc.h"
#include "scrape.h"

#define N_STATUS 17

typedef struct opts {
    const char *server, *ca, *cert, *key, *prefix, *metrics;
    long connections, concurrency, tenders, server_pid;
    double duration_s, warmup_s;
    bool proof, json;
} opts;

struct rb;

typedef struct slot {
    struct rb *rb;
    tnd_client *client;
    uint64_t started;
    char id[48];
    uint64_t index;
    bool verified;
} slot;

typedef struct rb {
    opts o;
    uv_loop_t loop;
    uv_timer_t timer;
    tnd_client **clients;
    slot *slots;
    bool measuring, done;
    uint64_t t0, t1, ok, errors[N_STATUS + 1], rng;
    bench_hist hist;
    bench_scrape srv0, srv1; /* tenderd's histogram of the method at the window's ends */
    bool srv_ok;
    uint64_t tree_size;
    uint8_t root[32];
    char last_error[300];
} rb;

static uint64_t next_rand(rb *r)
{
    r->rng ^= r->rng << 13; /* xorshift64: uniform enough to spread reads */
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static void start(slot *s);

static const tnd_method_desc *method_of(const rb *r)
{
    return r->o.proof ? tender_log_v1_Log_GetInclusionProof_method
                      : tender_tenders_v1_Tenders_Get_method;
}

static void on_message(tnd_client_call *call, const void *resp, void *user)
{
    (void)call;
    slot *s = user;
    rb *r = s->rb;
    if (!r->o.proof) {
        const tender_tenders_v1_Tender *t = resp;
        s->verified = t->id && strcmp(t->id, s->id) == 0;
        return;
    }
    const tender_log_v1_InclusionProof *p = resp;
    uint8_t hashes[TND_MERKLE_MAX_PROOF][32];
    bool ok = p->index == s->index && p->tree_size == r->tree_size && p->leaf_hash.len == 32 &&
              p->n_hashes <= TND_MERKLE_MAX_PROOF;
    for (size_t i = 0; ok && i < p->n_hashes; i++) {
        ok = p->hashes[i].len == 32;
        if (ok)
            memcpy(hashes[i], p->hashes[i].data, 32);
    }
    s->verified = ok && tnd_merkle_verify_inclusion(p->index, p->tree_size, p->leaf_hash.data,
                                                    (const uint8_t(*)[32])hashes, p->n_hashes,
                                                    r->root) == 0;
}

static void on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    slot *s = user;
    rb *r = s->rb;
    if (code == TND_STATUS_OK && !s->verified) {
        code = TND_STATUS_DATA_LOSS;
        message = r->o.proof ? "the proof does not verify" : "another tender came back";
    }
    if (r->measuring) {
        if (code == TND_STATUS_OK) {
            r->ok++;
            bench_hist_record(&r->hist, uv_hrtime() - s->started);
        } else {
            r->errors[code >= 0 && code < N_STATUS ? code : N_STATUS]++;
        }
    }
    if (code != TND_STATUS_OK)
        snprintf(r->last_error, sizeof r->last_error, "%s: %s", tnd_status_name(code), message);
    if (!r->done)
        start(s);
}

static void start(slot *s)
{
    static const tnd_call_cb cb = {.on_message = on_message, .on_status = on_status};
    rb *r = s->rb;
    tnd_client_call *call;
    tnd_call_opts co = {.max_attempts = 1};
    const tnd_method_desc *m = method_of(r);
    if (tnd_client_call_start(s->client, m, &co, &cb, s, &call) != 0) {
        snprintf(r->last_error, sizeof r->last_error, "cannot start a call");
        return;
    }
    s->started = uv_hrtime();
    s->verified = false;
    int rc;
    if (r->o.proof) {
        s->index = next_rand(r) % r->tree_size;
        tender_log_v1_InclusionProofRequest q = {.index = s->index, .tree_size = r->tree_size};
        rc = tnd_client_call_send(call, &q);
    } else {
        snprintf(s->id, sizeof s->id, "%s%06llu", r->o.prefix,
                 (unsigned long long)(next_rand(r) % (uint64_t)r->o.tenders + 1));
        tender_tenders_v1_TenderRef q = {.id = s->id};
        rc = tnd_client_call_send(call, &q);
    }
    if (rc != 0)
        tnd_client_call_cancel(call);
    else
        (void)tnd_client_call_close_send(call);
}

/* tenderd's own histogram of the method (--metrics), at either end of the window. */
static void scrape(rb *r, bench_scrape *out)
{
    char err[300];
    if (!r->o.metrics || !r->srv_ok)
        return;
    if (bench_scrape_calls(r->o.metrics, method_of(r)->full_name, out, err, sizeof err) != 0) {
        fprintf(stderr, "readbench: --metrics: %s\n", err);
        r->srv_ok = false;
    }
}

static void on_end(uv_timer_t *t)
{
    rb *r = t->data;
    r->t1 = uv_hrtime();
    r->done = true;
    r->measuring = false;
    scrape(r, &r->srv1);
    for (long i = 0; i < r->o.connections; i++) {
        tnd_client_free(r->clients[i]);
        r->clients[i] = NULL;
    }
    uv_close((uv_handle_t *)&r->timer, NULL);
}

static double srv_cpu0, srv_cpu1;
static bool srv_cpu_ok;

static void on_warm(uv_timer_t *t)
{
    rb *r = t->data;
    r->srv_ok = true;
    scrape(r, &r->srv0);
    r->measuring = true;
    srv_cpu_ok = r->o.server_pid &&
                 bench_proc_cpu_seconds((pid_t)r->o.server_pid, &srv_cpu0) == 0;
    uv_update_time(&r->loop);
    r->t0 = uv_hrtime();
    uv_timer_start(&r->timer, on_end, (uint64_t)(r->o.duration_s * 1000.0 + 0.5), 0);
}

/* The latest signed checkpoint, its signature checked with the server's key. */
static int fetch_checkpoint(rb *r, const tnd_client_opts *co)
{
    tnd_client *c;
    char err[512];
    if (tnd_client_open(co, &c, err, sizeof err) != 0) {
        fprintf(stderr, "readbench: %s\n", err);
        return -1;
    }
    tender_common_v1_Empty e = {0};
    tender_log_v1_VerifierKey k;
    tender_log_v1_Checkpoint cp;
    tnd_status_info st;
    tnd_note_verifier v;
    tnd_checkpoint parsed;
    int rc = -1;
    if (tender_log_v1_Log_GetVerifierKey(c, &e, &k, NULL, &st) == 0) {
        if (tender_log_v1_Log_GetCheckpoint(c, &e, &cp, NULL, &st) == 0) {
            if (k.verifier_key && cp.note && tnd_note_verifier_parse(k.verifier_key, &v) == 0 &&
                tnd_checkpoint_verify(cp.note, strlen(cp.note), &v, &parsed) == 0 &&
                parsed.size > 0) {
                r->tree_size = parsed.size;
                memcpy(r->root, parsed.root, 32);
                rc = 0;
            } else {
                snprintf(st.message, sizeof st.message, "no signed checkpoint of a non-empty log");
            }
            tender_log_v1_Checkpoint_free(&cp);
        }
        tender_log_v1_VerifierKey_free(&k);
    }
    if (rc != 0)
        fprintf(stderr, "readbench: the latest checkpoint: %s\n", st.message);
    tnd_client_free(c);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: readbench --server HOST:PORT --ca FILE [--cert FILE --key FILE]\n"
               "                 --method get|proof [--tenders N] [--id-prefix T-YYYY-]\n"
               "                 --connections N --concurrency M --duration S [--warmup S]\n"
               "                 [--server-pid PID] [--metrics HOST:PORT] [--json]\n"
               "\n"
               "  get    Tenders/Get of random ids PREFIX000001 .. PREFIX<N> (--tenders N;\n"
               "         the prefix defaults to T-<this year>-); drafts need their officer\n"
               "  proof  Log/GetInclusionProof of random leaves at the latest signed size,\n"
               "         every proof verified against the signed root\n"
               "\n"
               "  --metrics HOST:PORT  tenderd's --metrics listener: also report the time the\n"
               "                       window's calls took inside tenderd (its histogram)\n");
}

static int parse_args(int argc, char **argv, opts *o, char *prefix, size_t plen)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},      {"ca", required_argument, NULL, 'a'},
        {"cert", required_argument, NULL, 'c'},        {"key", required_argument, NULL, 'k'},
        {"method", required_argument, NULL, 'M'},      {"tenders", required_argument, NULL, 'T'},
        {"id-prefix", required_argument, NULL, 'P'},   {"connections", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'm'}, {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},      {"server-pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},              {"help", no_argument, NULL, 'h'},
        {"metrics", required_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->warmup_s = 1;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(prefix, plen, "T-%04d-", tm.tm_year + 1900);
    o->prefix = prefix;
    const char *method = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': o->server = optarg; break;
        case 'a': o->ca = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 'M': method = optarg; break;
        case 'T': o->tenders = strtol(optarg, &end, 10); break;
        case 'P': o->prefix = optarg; break;
        case 'n': o->connections = strtol(optarg, &end, 10); break;
        case 'm': o->concurrency = strtol(optarg, &end, 10); break;
        case 'd': o->duration_s = strtod(optarg, &end); break;
        case 'w': o->warmup_s = strtod(optarg, &end); break;
        case 'p': o->server_pid = strtol(optarg, &end, 10); break;
        case 'j': o->json = true; break;
        case 'x': o->metrics = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
        if (end && (end == optarg || *end)) {
            fprintf(stderr, "readbench: not a number: %s\n", optarg);
            return 2;
        }
    }
    if (!o->server || !o->ca || !method || o->connections < 1 || o->connections > 10000 ||
        o->concurrency < 1 || o->concurrency > 10000 || !(o->duration_s > 0) ||
        !(o->warmup_s >= 0) || (!o->cert != !o->key)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(method, "proof") == 0) {
        o->proof = true;
    } else if (strcmp(method, "get") != 0 || o->tenders < 1) {
        fprintf(stderr, "readbench: --method get needs --tenders N; else --method proof\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static rb r;
    char prefix[32];
    int rc = parse_args(argc, argv, &r.o, prefix, sizeof prefix);
    if (rc != 0)
        return rc;
    r.rng = 0x9e3779b97f4a7c15ull ^ uv_hrtime();
    bench_hist_init(&r.hist);
    tnd_client_opts co;
    tnd_client_opts_init(&co);
    co.server = r.o.server;
    co.ca_file = r.o.ca;
    co.cert_file = r.o.cert;
    co.key_file = r.o.key;
    co.max_attempts = 1;
    if (r.o.proof && fetch_checkpoint(&r, &co) != 0)
        return 1;
    uv_loop_init(&r.loop);
    uv_timer_init(&r.loop, &r.timer);
    r.timer.data = &r;
    size_t n_slots = (size_t)r.o.connections * (size_t)r.o.concurrency;
    r.clients = calloc((size_t)r.o.connections, sizeof *r.clients);
    r.slots = calloc(n_slots, sizeof *r.slots);
    int status = 1;
    if (!r.clients || !r.slots)
        goto out;
    for (long i = 0; i < r.o.connections; i++) {
        char err[512];
        if (tnd_client_new(&r.loop, &co, &r.clients[i], err, sizeof err) != 0) {
            fprintf(stderr, "readbench: %s\n", err);
            goto out;
        }
    }
    uv_update_time(&r.loop);
    uv_timer_start(&r.timer, on_warm, (uint64_t)(r.o.warmup_s * 1000.0 + 0.5), 0);
    for (size_t i = 0; i < n_slots; i++) {
        r.slots[i].rb = &r;
        r.slots[i].client = r.clients[i / (size_t)r.o.concurrency];
        start(&r.slots[i]);
    }
    uv_run(&r.loop, UV_RUN_DEFAULT);
    if (srv_cpu_ok && bench_proc_cpu_seconds((pid_t)r.o.server_pid, &srv_cpu1) != 0)
        srv_cpu_ok = false;
    double secs = (double)(r.t1 - r.t0) / 1e9;
    uint64_t errs = 0;
    for (int i = 0; i <= N_STATUS; i++)
        errs += r.errors[i];
    const bench_hist *h = &r.hist;
    const char *what = r.o.proof ? "proof" : "get";
    bench_scrape srv;
    bool have_srv = r.o.metrics && r.srv_ok && bench_scrape_diff(&r.srv1, &r.srv0, &srv) == 0 &&
                    srv.count > 0;
    if (r.o.json) {
        printf("{\"method\":\"%s\",\"connections\":%ld,\"concurrency\":%ld,\"tenders\":%ld,"
               "\"tree_size\":%llu,\"duration_s\":%.3f,\"calls\":%llu,\"calls_per_s\":%.1f,"
               "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p99_9\":%.1f,"
               "\"max\":%.1f},\"errors\":%llu",
               what, r.o.connections, r.o.concurrency, r.o.tenders,
               (unsigned long long)r.tree_size, secs, (unsigned long long)r.ok,
               (double)r.ok / secs, (double)bench_hist_percentile(h, 50) / 1e3,
               (double)bench_hist_percentile(h, 90) / 1e3,
               (double)bench_hist_percentile(h, 99) / 1e3,
               (double)bench_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3,
               (unsigned long long)errs);
        if (srv_cpu_ok && r.ok)
            printf(",\"server_cpu_s_per_1000_calls\":%.4f",
                   (srv_cpu1 - srv_cpu0) * 1000.0 / (double)r.ok);
        if (have_srv)
            printf(",\"server_side\":{\"calls\":%llu,\"mean_us\":%.1f,\"p50_le_us\":%.0f,"
                   "\"p99_le_us\":%.0f,\"within_100us\":%.4f}",
                   (unsigned long long)srv.count, srv.sum_s * 1e6 / (double)srv.count,
                   bench_scrape_bound(&srv, 50) * 1e6, bench_scrape_bound(&srv, 99) * 1e6,
                   bench_scrape_share(&srv, 0.0001));
        printf("}\n");
    } else {
        printf("%s: %ld x %ld, %.2f s: %llu calls, %.0f/s; p50 %.0f us p99 %.0f us max %.0f us; "
               "errors %llu\n",
               what, r.o.connections, r.o.concurrency, secs, (unsigned long long)r.ok,
               (double)r.ok / secs, (double)bench_hist_percentile(h, 50) / 1e3,
               (double)bench_hist_percentile(h, 99) / 1e3, (double)h->max / 1e3,
               (unsigned long long)errs);
        if (have_srv)
            printf("%s in tenderd: %llu calls, mean %.1f us; p50 <= %.0f us, p99 <= %.0f us; "
                   "%.2f%% within 100 us\n",
                   what, (unsigned long long)srv.count, srv.sum_s * 1e6 / (double)srv.count,
                   bench_scrape_bound(&srv, 50) * 1e6, bench_scrape_bound(&srv, 99) * 1e6,
                   bench_scrape_share(&srv, 0.0001) * 100.0);
    }
    if (errs)
        fprintf(stderr, "readbench: last error: %s\n", r.last_error);
    status = r.ok > 0 ? 0 : 1;
out:
    for (long i = 0; r.clients && i < r.o.connections; i++)
        tnd_client_free(r.clients[i]);
    if (!uv_is_closing((uv_handle_t *)&r.timer))
        uv_close((uv_handle_t *)&r.timer, NULL);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&r.loop);
    free(r.slots);
    free(r.clients);
    return status;
}
