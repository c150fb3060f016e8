/* loadgen: a closed-loop load generator for tenderd (docs/BENCHMARKS.md).
 *
 * N libtender clients (one connection each) share one libuv loop; each keeps
 * M calls in flight and starts a new call as soon as one ends. After a
 * warm-up (connections, TLS handshakes, caches), calls that end within the
 * measured window are counted: calls/s, messages/s for streams, latency
 * percentiles of the successful calls, errors by status name and, given the
 * server's PID, its CPU seconds per 1,000 calls.
 *
 * Methods:
 *   unary   tender.health.v1.Health/Check (service "").
 *   stream  tender.log.v1.Log/GetLeaves over the whole signed log (start 0,
 *           end 0); each call streams every leaf. --seed-tenders N first
 *           creates N draft tenders (an officer certificate is needed), each
 *           adding one leaf, so the log has something to stream.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "tender/client.h"
#include "tender_schema.h"

#include "hist.h"
#include "proc.h"
#include "servers.h"

#define MAX_CONNECTIONS 10000
#define MAX_CONCURRENCY 10000
#define MAX_SEED 1000000
#define SEED_IN_FLIGHT 64
#define N_STATUS 17 /* OK .. UNAUTHENTICATED; one more slot for codes outside */

typedef enum { PHASE_WARMUP, PHASE_MEASURE, PHASE_DONE } phase;

typedef struct opts {
    bench_servers servers;
    char server[TND_CLIENT_MAX_SERVERS * 300]; /* the list, for the report */
    const char *ca, *cert, *key;
    long connections, concurrency, seed;
    double duration_s, warmup_s;
    bool stream, json;
    long server_pid; /* 0: not given */
} opts;

struct lg;

/* One call slot: M of them per connection, each always running a call. */
typedef struct worker {
    struct lg *lg;
    tnd_client *client;
    uint64_t started; /* uv_hrtime() of the current call's start */
    bool running;
} worker;

typedef struct lg {
    opts o;
    uv_loop_t loop;
    uv_timer_t timer;
    tnd_client **clients;
    worker *workers;
    const tnd_method_desc *method;
    phase ph;
    uint64_t t_measure, t_end;
    /* the measured window */
    bench_hist hist;
    uint64_t ok, messages, message_bytes, errors[N_STATUS + 1], start_failures;
    double srv_cpu0, srv_cpu1, self_cpu0, self_cpu1;
    bool srv_cpu_ok, self_cpu_ok;
    char last_error[256];
    /* seeding */
    long seed_started, seed_done, seed_failed;
} lg;

static void usage(FILE *f)
{
    fprintf(f, "usage: loadgen --server HOST:PORT[,...] --ca FILE [--cert FILE --key FILE]\n"
               "               --connections N --concurrency M --duration SECONDS\n"
               "               [--warmup SECONDS] --method unary|stream [--server-pid PID]\n"
               "               [--seed-tenders N] [--json]\n"
               "\n"
               "Closed-loop load on tenderd: N connections (one libtender client each) on one\n"
               "loop, M calls in flight on each; a new call starts when one ends.\n"
               "\n"
               "  --server HOST:PORT    tenderd; repeat it, or give a comma-separated list, for\n"
               "                        the nodes of a replicated group (a client starts at the\n"
               "                        first and moves as libtender does)\n"
               "  --method unary        tender.health.v1.Health/Check\n"
               "  --method stream       tender.log.v1.Log/GetLeaves over the whole signed log\n"
               "  --warmup SECONDS      run this long before measuring (default 1)\n"
               "  --server-pid PID      report the server's CPU seconds per 1,000 calls\n"
               "  --seed-tenders N      first create N draft tenders (officer --cert/--key),\n"
               "                        one log leaf each\n"
               "  --json                one JSON object instead of the table\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double lo, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo) || v > 86400.0)
        return -1;
    *out = v;
    return 0;
}

/* Parse the command line into o; 0, or 2 after printing why (usage error). */
static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},
        {"ca", required_argument, NULL, 'a'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"connections", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'm'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"method", required_argument, NULL, 'M'},
        {"server-pid", required_argument, NULL, 'p'},
        {"seed-tenders", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->warmup_s = 1.0;
    const char *method = NULL;
    bool have_n = false, have_m = false, have_d = false;
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case 's':
            if (bench_servers_add(&o->servers, optarg, "loadgen") != 0)
                return 2; /* it said why */
            break;
        case 'a':
            o->ca = optarg;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'n':
            bad = parse_long(optarg, 1, MAX_CONNECTIONS, &o->connections);
            have_n = true;
            break;
        case 'm':
            bad = parse_long(optarg, 1, MAX_CONCURRENCY, &o->concurrency);
            have_m = true;
            break;
        case 'd':
            bad = parse_seconds(optarg, 0.001, &o->duration_s);
            have_d = true;
            break;
        case 'w':
            bad = parse_seconds(optarg, 0.0, &o->warmup_s);
            break;
        case 'M':
            method = optarg;
            break;
        case 'p':
            bad = parse_long(optarg, 1, 0x7fffffffL, &o->server_pid);
            break;
        case 'S':
            bad = parse_long(optarg, 0, MAX_SEED, &o->seed);
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "loadgen: bad value for --%s: %s\n", longopts[li].name, optarg);
            fprintf(stderr, "loadgen: see loadgen --help for the ranges\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "loadgen: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    for (size_t i = 0; i < o->servers.n; i++) {
        size_t at = strlen(o->server);
        snprintf(o->server + at, sizeof o->server - at, "%s%s", i ? "," : "", o->servers.v[i]);
    }
    if (!o->servers.n || !o->ca || !have_n || !have_m || !have_d || !method) {
        fprintf(stderr, "loadgen: --server, --ca, --connections, --concurrency, --duration and "
                        "--method are required\n");
        usage(stderr);
        return 2;
    }
    if (!o->cert != !o->key) {
        fprintf(stderr, "loadgen: --cert and --key go together\n");
        return 2;
    }
    if (strcmp(method, "unary") == 0)
        o->stream = false;
    else if (strcmp(method, "stream") == 0)
        o->stream = true;
    else {
        fprintf(stderr, "loadgen: --method is unary or stream, not %s\n", method);
        return 2;
    }
    if (o->seed > 0 && !o->cert) {
        fprintf(stderr, "loadgen: --seed-tenders needs an officer's --cert and --key\n");
        return 2;
    }
    return 0;
}

/* ---- the load ------------------------------------------------------------------ */

static void start_call(worker *w);

static void on_message(tnd_client_call *call, const void *response, void *user)
{
    (void)call;
    worker *w = user;
    if (w->lg->ph != PHASE_MEASURE)
        return;
    w->lg->messages++;
    if (w->lg->o.stream) { /* a leaf: its size lets the gRPC peer send the same */
        const tender_log_v1_Leaf *leaf = response;
        w->lg->message_bytes += leaf->data.len;
    }
}

/* A call ended: count it when it ended in the window, then start the next. */
static void on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    worker *w = user;
    lg *g = w->lg;
    w->running = false;
    if (g->ph == PHASE_MEASURE) {
        if (code == TND_STATUS_OK) {
            g->ok++;
            bench_hist_record(&g->hist, uv_hrtime() - w->started);
        } else {
            g->errors[code >= 0 && code < N_STATUS ? code : N_STATUS]++;
        }
    }
    if (code != TND_STATUS_OK && g->ph != PHASE_DONE)
        snprintf(g->last_error, sizeof g->last_error, "%s: %s", tnd_status_name(code), message);
    if (g->ph != PHASE_DONE)
        start_call(w);
}

static void start_call(worker *w)
{
    lg *g = w->lg;
    static const tnd_call_cb cb = {.on_message = on_message, .on_status = on_status};
    tnd_client_call *call;
    int rc = tnd_client_call_start(w->client, g->method, NULL, &cb, w, &call);
    if (rc != 0) {
        g->start_failures++;
        snprintf(g->last_error, sizeof g->last_error, "cannot start a call: %s", tnd_strerror(rc));
        return; /* this slot stays idle */
    }
    w->started = uv_hrtime();
    w->running = true;
    if (g->o.stream) {
        tender_log_v1_LeavesRequest req = {.start = 0, .end = 0, .tender_id = ""};
        rc = tnd_client_call_send(call, &req);
    } else {
        tender_health_v1_HealthCheckRequest req = {.service = ""};
        rc = tnd_client_call_send(call, &req);
    }
    if (rc != 0)
        tnd_client_call_cancel(call); /* on_status(CANCELLED) runs now */
    else
        (void)tnd_client_call_close_send(call);
}

static void read_cpu(lg *g, double *srv, double *self)
{
    if (g->o.server_pid && bench_proc_cpu_seconds((pid_t)g->o.server_pid, srv) != 0)
        g->srv_cpu_ok = false;
    if (bench_proc_cpu_seconds(getpid(), self) != 0)
        g->self_cpu_ok = false;
}

static void on_end(uv_timer_t *t)
{
    lg *g = t->data;
    g->t_end = uv_hrtime();
    g->ph = PHASE_DONE;
    read_cpu(g, &g->srv_cpu1, &g->self_cpu1);
    /* Calls still running end with CANCELLED (not counted); the loop then
     * runs dry once the connections have closed. */
    for (long i = 0; i < g->o.connections; i++) {
        tnd_client_free(g->clients[i]);
        g->clients[i] = NULL;
    }
    uv_close((uv_handle_t *)&g->timer, NULL);
}

static void begin_measure(lg *g)
{
    g->ph = PHASE_MEASURE;
    g->srv_cpu_ok = g->o.server_pid != 0;
    g->self_cpu_ok = true;
    read_cpu(g, &g->srv_cpu0, &g->self_cpu0);
    uv_update_time(&g->loop); /* the timer counts from now, not the last loop turn */
    g->t_measure = uv_hrtime();
    uv_timer_start(&g->timer, on_end, (uint64_t)(g->o.duration_s * 1000.0 + 0.5), 0);
}

static void on_warm(uv_timer_t *t)
{
    begin_measure(t->data);
}

/* ---- seeding: draft tenders, one log leaf each ---------------------------------- */

static void seed_next(lg *g);

static void seed_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    lg *g = user;
    g->seed_done++;
    if (code != TND_STATUS_OK) {
        g->seed_failed++;
        snprintf(g->last_error, sizeof g->last_error, "%s: %s", tnd_status_name(code), message);
    }
    seed_next(g);
}

static void seed_next(lg *g)
{
    static const tnd_call_cb cb = {.on_status = seed_status};
    if (g->seed_failed || g->seed_started >= g->o.seed)
        return;
    char title[64];
    snprintf(title, sizeof title, "loadgen seed %ld", g->seed_started);
    tender_tenders_v1_TenderFields f = {.title = title};
    tender_tenders_v1_CreateTenderRequest req = {.fields = &f};
    tnd_client_call *call;
    g->seed_started++;
    /* Set-up, not measured: a follower's refusal may send it to the writer. */
    static const tnd_call_opts so = {.max_attempts = TND_CLIENT_DEFAULT_MAX_ATTEMPTS};
    int rc = tender_tenders_v1_Tenders_Create_start(g->clients[0], &so, &cb, g, &call);
    if (rc != 0) {
        g->seed_done++;
        g->seed_failed++;
        snprintf(g->last_error, sizeof g->last_error, "cannot start a call: %s", tnd_strerror(rc));
        return;
    }
    if (tnd_client_call_send(call, &req) != 0)
        tnd_client_call_cancel(call);
    else
        (void)tnd_client_call_close_send(call);
}

/* Create o.seed drafts, SEED_IN_FLIGHT at a time; 0 or -1 (message printed). */
static int seed(lg *g)
{
    for (int i = 0; i < SEED_IN_FLIGHT; i++)
        seed_next(g);
    while (g->seed_done < g->seed_started)
        uv_run(&g->loop, UV_RUN_ONCE);
    if (g->seed_failed) {
        fprintf(stderr, "loadgen: --seed-tenders: %s\n", g->last_error);
        return -1;
    }
    g->last_error[0] = '\0';
    return 0;
}

/* ---- the report ------------------------------------------------------------------ */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static uint64_t errors_total(const lg *g)
{
    uint64_t n = 0;
    for (int i = 0; i <= N_STATUS; i++)
        n += g->errors[i];
    return n;
}

static const char *error_name(int i)
{
    return i < N_STATUS ? tnd_status_name(i) : "OTHER";
}

static void report_json(const lg *g, double secs)
{
    const bench_hist *h = &g->hist;
    printf("{\"method\":\"%s\",\"rpc\":", g->o.stream ? "stream" : "unary");
    json_string(g->method->full_name);
    printf(",\"server\":");
    json_string(g->o.server);
    printf(",\"connections\":%ld,\"concurrency\":%ld,\"warmup_s\":%.3f,\"duration_s\":%.3f",
           g->o.connections, g->o.concurrency, g->o.warmup_s, secs);
    printf(",\"calls\":%llu,\"calls_per_s\":%.1f", (unsigned long long)g->ok, (double)g->ok / secs);
    if (g->o.stream)
        printf(",\"messages\":%llu,\"messages_per_s\":%.1f,\"message_bytes\":%llu",
               (unsigned long long)g->messages, (double)g->messages / secs,
               (unsigned long long)g->message_bytes);
    printf(",\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p99_9\":%.1f,"
           "\"max\":%.1f,\"mean\":%.1f}",
           (double)bench_hist_percentile(h, 50) / 1e3, (double)bench_hist_percentile(h, 90) / 1e3,
           (double)bench_hist_percentile(h, 99) / 1e3, (double)bench_hist_percentile(h, 99.9) / 1e3,
           (double)h->max / 1e3, bench_hist_mean(h) / 1e3);
    printf(",\"errors\":{");
    bool first = true;
    for (int i = 0; i <= N_STATUS; i++)
        if (g->errors[i]) {
            printf("%s\"%s\":%llu", first ? "" : ",", error_name(i),
                   (unsigned long long)g->errors[i]);
            first = false;
        }
    printf("},\"start_failures\":%llu", (unsigned long long)g->start_failures);
    if (g->srv_cpu_ok) {
        double cpu = g->srv_cpu1 - g->srv_cpu0;
        printf(",\"server_cpu_s\":%.2f", cpu);
        if (g->ok)
            printf(",\"server_cpu_s_per_1000_calls\":%.4f", cpu * 1000.0 / (double)g->ok);
    }
    if (g->self_cpu_ok)
        printf(",\"loadgen_cpu_s\":%.2f", g->self_cpu1 - g->self_cpu0);
    printf("}\n");
}

/* A latency in ns as a short text: "812 us", "12.3 ms", "1.20 s". */
static const char *fmt_lat(uint64_t ns, char *buf, size_t len)
{
    if (ns < 10000000ull)
        snprintf(buf, len, "%.0f us", (double)ns / 1e3);
    else if (ns < 10000000000ull)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    return buf;
}

static void report_table(const lg *g, double secs)
{
    const bench_hist *h = &g->hist;
    char a[32], b[32], c[32], d[32], e[32];
    printf("%-12s %s (%s)\n", "method", g->o.stream ? "stream" : "unary", g->method->full_name);
    printf("%-12s %s, %ld connections x %ld calls in flight\n", "load", g->o.server,
           g->o.connections, g->o.concurrency);
    printf("%-12s %.2f s measured after %.2f s warm-up\n", "window", secs, g->o.warmup_s);
    printf("%-12s %llu OK, %.1f calls/s\n", "calls", (unsigned long long)g->ok,
           (double)g->ok / secs);
    if (g->o.stream)
        printf("%-12s %llu, %.1f messages/s (%.1f per call, %.1f bytes of leaf data each)\n",
               "messages", (unsigned long long)g->messages, (double)g->messages / secs,
               g->ok ? (double)g->messages / (double)g->ok : 0.0,
               g->messages ? (double)g->message_bytes / (double)g->messages : 0.0);
    printf("%-12s p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", "latency",
           fmt_lat(bench_hist_percentile(h, 50), a, sizeof a),
           fmt_lat(bench_hist_percentile(h, 90), b, sizeof b),
           fmt_lat(bench_hist_percentile(h, 99), c, sizeof c),
           fmt_lat(bench_hist_percentile(h, 99.9), d, sizeof d), fmt_lat(h->max, e, sizeof e));
    printf("%-12s", "errors");
    if (errors_total(g) == 0 && g->start_failures == 0)
        printf(" none");
    for (int i = 0; i <= N_STATUS; i++)
        if (g->errors[i])
            printf(" %s %llu", error_name(i), (unsigned long long)g->errors[i]);
    if (g->start_failures)
        printf(" (calls that could not start: %llu)", (unsigned long long)g->start_failures);
    printf("\n");
    if (g->srv_cpu_ok) {
        double cpu = g->srv_cpu1 - g->srv_cpu0;
        printf("%-12s %.2f s over the window", "server CPU", cpu);
        if (g->ok)
            printf(", %.4f s per 1,000 calls", cpu * 1000.0 / (double)g->ok);
        printf("\n");
    }
    if (g->self_cpu_ok)
        printf("%-12s %.2f s over the window\n", "loadgen CPU", g->self_cpu1 - g->self_cpu0);
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* libtender's writes see EPIPE instead (tender/client.h) */
    static lg g;              /* a few hundred KiB with the histogram: not on the stack */
    int rc = parse_args(argc, argv, &g.o);
    if (rc != 0)
        return rc;
    g.method =
        g.o.stream ? tender_log_v1_Log_GetLeaves_method : tender_health_v1_Health_Check_method;
    bench_hist_init(&g.hist);
    int status = 1;
    long n_clients = 0;
    size_t n_workers = (size_t)g.o.connections * (size_t)g.o.concurrency;
    if (uv_loop_init(&g.loop) != 0) {
        fprintf(stderr, "loadgen: cannot start a libuv loop\n");
        return 1;
    }
    uv_timer_init(&g.loop, &g.timer);
    g.timer.data = &g;
    g.clients = calloc((size_t)g.o.connections, sizeof *g.clients);
    g.workers = calloc(n_workers, sizeof *g.workers);
    if (!g.clients || !g.workers) {
        fprintf(stderr, "loadgen: out of memory\n");
        goto out_clients;
    }
    tnd_client_opts co;
    tnd_client_opts_init(&co);
    bench_servers_use(&g.o.servers, &co);
    co.ca_file = g.o.ca;
    co.cert_file = g.o.cert;
    co.key_file = g.o.key;
    co.max_attempts = 1; /* a benchmark reports failures instead of hiding them in retries */
    for (; n_clients < g.o.connections; n_clients++) {
        char err[512];
        if (tnd_client_new(&g.loop, &co, &g.clients[n_clients], err, sizeof err) != 0) {
            fprintf(stderr, "loadgen: %s\n", err);
            goto out_clients;
        }
    }
    if (g.o.seed > 0 && seed(&g) != 0)
        goto out_clients;

    for (size_t i = 0; i < n_workers; i++) {
        g.workers[i].lg = &g;
        g.workers[i].client = g.clients[i / (size_t)g.o.concurrency];
    }
    if (g.o.warmup_s > 0) {
        g.ph = PHASE_WARMUP;
        uv_update_time(&g.loop);
        uv_timer_start(&g.timer, on_warm, (uint64_t)(g.o.warmup_s * 1000.0 + 0.5), 0);
    } else {
        begin_measure(&g);
    }
    for (size_t i = 0; i < n_workers; i++)
        start_call(&g.workers[i]);
    uv_run(&g.loop, UV_RUN_DEFAULT); /* until on_end has closed everything */

    double secs = (double)(g.t_end - g.t_measure) / 1e9;
    if (g.o.json)
        report_json(&g, secs);
    else
        report_table(&g, secs);
    if (g.ok == 0) {
        fprintf(stderr, "loadgen: no call succeeded in the window%s%s\n",
                g.last_error[0] ? "; last error: " : "", g.last_error);
        status = 1;
    } else {
        status = 0;
    }
    n_clients = 0; /* on_end freed them */

out_clients:
    for (long i = 0; i < n_clients; i++)
        tnd_client_free(g.clients[i]);
    if (!uv_is_closing((uv_handle_t *)&g.timer))
        uv_close((uv_handle_t *)&g.timer, NULL);
    uv_run(&g.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&g.loop) != 0)
        fprintf(stderr, "loadgen: warning: handles left open at exit\n");
    free(g.workers);
    free(g.clients);
    return status;
}
