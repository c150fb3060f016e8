/* surge: thousands of suppliers submit sealed bids to one tender just before
 * its deadline (docs/BENCHMARKS.md).
 *
 * Untimed set-up: one supplier certificate per supplier from the PKI folder's
 * CA (pki API), the tender created and published by the officer with a 2-of-3
 * committee, every bid sealed in advance, then one libtender client and TLS
 * connection per supplier (opened with a Health/Check). Timed: every supplier
 * submits its bid (Bids/Submit) at once, or at most --in-flight at a time; a
 * bid counts as durable when its receipt arrives, which the server sends only
 * after the group commit holding it returned. Untimed afterwards: every
 * receipt verified, checkpoints consistent with the latest, every
 * acknowledged bid in the server's listing of the log. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "surge.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: surge --server HOST:PORT[,...] --pki DIR --suppliers N [--in-flight M]\n"
            "             [--bid-bytes B] [--deadline-in S] [--connect-in-flight K]\n"
            "             [--timeout S] [--log-key KEY] [--server-pid PID]\n"
            "             [--server-log FILE] [--hold S] [--spread S] [--complaints C]\n"
            "             [--json]\n"
            "\n"
            "N suppliers, each with its own certificate (issued into DIR by its CA, or\n"
            "reused) and connection, submit one sealed bid each to one tender that the\n"
            "officer (DIR/officer.crt) creates; the submissions are timed.\n"
            "\n"
            "  --server HOST:PORT    tenderd; repeat it, or give a comma-separated list, for\n"
            "                        the nodes of a replicated group: each bid then carries an\n"
            "                        idempotency-key and may be retried (4 attempts), so a\n"
            "                        writer that changes mid-surge loses none\n"
            "  --in-flight M         at most M submissions at once (default N: all)\n"
            "  --spread S            the arrival pattern: each submission starts at a random\n"
            "                        time, uniform over S seconds (as suppliers do in the\n"
            "                        last minute before a deadline; default 0: all at once)\n"
            "  --bid-bytes B         size of the document sealed in each bid (default 1024)\n"
            "  --complaints C        before the timed phase, the suppliers file C complaints\n"
            "                        about the tender's conditions (one each, in turn), each\n"
            "                        with the longest text tenderd takes (default 0; at most\n"
            "                        100)\n"
            "  --deadline-in S       the tender's bids close S seconds after it is created,\n"
            "                        before the suppliers connect (default 1200; tenderd's\n"
            "                        --min-tender-period must be lower)\n"
            "  --connect-in-flight K TLS handshakes at once while connecting (default 200)\n"
            "  --timeout S           deadline of each call (default 120)\n"
            "  --log-key KEY         the log's verifier key (tenderd --print-log-key); without\n"
            "                        it the key is fetched from the server, with a warning\n"
            "  --server-pid PID      report the server's CPU time over the timed phase\n"
            "  --server-log FILE     tenderd's log (its \"group commit\" lines, level info):\n"
            "                        batch sizes of the group commits in the timed phase\n"
            "  --hold S              wait S seconds between the set-up and the timed phase\n"
            "                        (time to attach a profiler: perf record -g -p PID)\n"
            "  --json                one JSON object instead of the text report\n");
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

static int parse_args(int argc, char **argv, surge_opts *o)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},
        {"pki", required_argument, NULL, 'P'},
        {"suppliers", required_argument, NULL, 'n'},
        {"in-flight", required_argument, NULL, 'm'},
        {"bid-bytes", required_argument, NULL, 'b'},
        {"deadline-in", required_argument, NULL, 'd'},
        {"connect-in-flight", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"log-key", required_argument, NULL, 'k'},
        {"server-pid", required_argument, NULL, 'p'},
        {"server-log", required_argument, NULL, 'l'},
        {"hold", required_argument, NULL, 'H'},
        {"spread", required_argument, NULL, 'S'},
        {"complaints", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->bid_bytes = 1024;
    o->deadline_in_s = 1200;
    o->connect_in_flight = 200;
    o->timeout_s = 120;
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case 's':
            if (bench_servers_add(&o->servers, optarg, "surge") != 0)
                return 2; /* it said why */
            break;
        case 'P': o->pki = optarg; break;
        case 'n': bad = parse_long(optarg, 1, SURGE_MAX_SUPPLIERS, &o->suppliers); break;
        case 'm': bad = parse_long(optarg, 1, SURGE_MAX_SUPPLIERS, &o->in_flight); break;
        case 'b': bad = parse_long(optarg, 0, 1 << 20, &o->bid_bytes); break;
        case 'd': bad = parse_long(optarg, 1, 86400 * 30, &o->deadline_in_s); break;
        case 'c': bad = parse_long(optarg, 1, 10000, &o->connect_in_flight); break;
        case 't': bad = parse_long(optarg, 1, 3600, &o->timeout_s); break;
        case 'k': o->log_key = optarg; break;
        case 'p': bad = parse_long(optarg, 1, 0x7fffffffL, &o->server_pid); break;
        case 'l': o->server_log = optarg; break;
        case 'H': bad = parse_long(optarg, 0, 3600, &o->hold_s); break;
        case 'S': bad = parse_long(optarg, 0, 3600, &o->spread_s); break;
        case 'C': bad = parse_long(optarg, 0, 100, &o->complaints); break;
        case 'j': o->json = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
        if (bad) {
            fprintf(stderr, "surge: bad value for --%s: %s (see surge --help)\n",
                    longopts[li].name, optarg);
            return 2;
        }
    }
    if (optind < argc || !o->servers.n || !o->pki || !o->suppliers) {
        fprintf(stderr, "surge: --server, --pki and --suppliers are required\n");
        usage(stderr);
        return 2;
    }
    if (!o->in_flight || o->in_flight > o->suppliers)
        o->in_flight = o->suppliers;
    return 0;
}

/* Each supplier holds one connection (one descriptor); the soft limit is
 * raised to the hard one when that is too low. */
static int raise_nofile(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur >= need + 64)
        return 0;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need + 64) {
        fprintf(stderr,
                "surge: %zu connections need %zu open files; the hard limit is %llu "
                "(raise it: ulimit -Hn, or limits.conf)\n",
                need, need + 64, (unsigned long long)rl.rlim_max);
        return -1;
    }
    return 0;
}

/* ---- the timed phase ---- */

static void submit_next(surge *g);

/* The receipt's bytes as received, checked after the timed phase. */
static void bid_message(tnd_client_call *call, const void *response, void *user)
{
    (void)response;
    supplier *s = user;
    size_t len;
    const uint8_t *bytes = tnd_client_call_message_bytes(call, &len);
    free(s->receipt);
    s->receipt = len ? malloc(len) : NULL;
    if (s->receipt)
        memcpy(s->receipt, bytes, len);
    s->receipt_len = s->receipt ? len : 0;
}

static void bid_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    supplier *s = user;
    surge *g = s->sg;
    uint64_t now = uv_hrtime();
    g->running--;
    g->done++;
    g->t_last = now;
    if (code == TND_STATUS_OK && !s->receipt) {
        code = TND_STATUS_INTERNAL; /* OK without a receipt is no acknowledgement */
        message = "OK without a receipt";
    }
    s->status = code;
    if (code == TND_STATUS_OK) {
        g->ok++;
        bench_hist_record(&g->hist, now - s->t_start);
    } else {
        g->errors[code >= 0 && code < SURGE_N_STATUS ? code : SURGE_N_STATUS]++;
        snprintf(g->last_error, sizeof g->last_error, "%s: %s", tnd_status_name(code), message);
    }
    submit_next(g);
}

static void due_cb(uv_timer_t *t)
{
    submit_next(t->data);
}

static void submit_next(surge *g)
{
    static const tnd_call_cb cb = {.on_message = bid_message, .on_status = bid_status};
    uint64_t now = uv_hrtime();
    while (g->next < g->n && g->running < (size_t)g->o.in_flight) {
        if (g->due && g->t0 + g->due[g->next] > now) {
            /* not due yet: wake up when it is (at least 1 ms later) */
            uint64_t ms = (g->t0 + g->due[g->next] - now + 999999) / 1000000;
            uv_update_time(&g->loop);
            uv_timer_start(&g->due_timer, due_cb, ms, 0);
            break;
        }
        supplier *s = &g->sup[g->next++];
        /* One server: one attempt, failures counted rather than hidden in
         * retries. Several: the bid's id as its idempotency-key, so a retry
         * on the new writer is stored once (docs/SCALING.md, "Clients"). */
        tnd_meta key = {.key = "idempotency-key", .value = s->bid.bid_id};
        bool group = g->o.servers.n > 1;
        tnd_call_opts co = {.timeout_ms = (uint32_t)g->o.timeout_s * 1000u,
                            .max_attempts = surge_attempts(&g->o),
                            .metadata = group ? &key : NULL,
                            .n_metadata = group ? 1 : 0};
        tnd_client_call *call;
        s->t_start = uv_hrtime();
        if (tnd_client_call_start(s->client, tender_bids_v1_Bids_Submit_method, &co, &cb, s,
                                  &call) != 0) {
            s->status = TND_STATUS_INTERNAL;
            g->errors[TND_STATUS_INTERNAL]++;
            g->done++;
            snprintf(g->last_error, sizeof g->last_error, "cannot start a call");
            continue;
        }
        g->running++;
        tender_bids_v1_SubmitBidRequest req = {.bid = &s->bid,
                                               .owner_nonce = {s->nonce, sizeof s->nonce}};
        if (tnd_client_call_send(call, &req) != 0)
            tnd_client_call_cancel(call); /* its on_status (CANCELLED) runs now */
        else
            (void)tnd_client_call_close_send(call);
    }
}

/* ---- group commit, from tenderd's log ("group commit" lines, level info) ---- */

typedef struct batches {
    size_t n, cap;
    unsigned *size;
    uint64_t sum;
    double sum_ms;
    bool have;
} batches;

static long file_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/* The "group commit" lines written after offset. */
static void read_batches(const char *path, long offset, batches *b)
{
    memset(b, 0, sizeof *b);
    FILE *f = path && offset >= 0 ? fopen(path, "r") : NULL;
    if (!f)
        return;
    b->have = true;
    char line[2048];
    if (fseek(f, offset, SEEK_SET) == 0)
        while (fgets(line, sizeof line, f))
            if (strstr(line, "msg=\"group commit\"")) {
                if (b->n == b->cap) {
                    size_t cap = b->cap ? b->cap * 2 : 1024;
                    unsigned *ns = realloc(b->size, cap * sizeof *ns);
                    if (!ns)
                        break;
                    b->size = ns;
                    b->cap = cap;
                }
                unsigned n = (unsigned)field(line, " batch=");
                const char *d = strstr(line, " duration_ms=");
                b->size[b->n++] = n;
                b->sum += n;
                b->sum_ms += d ? strtod(d + 13, NULL) : 0.0;
            }
    fclose(f);
}

static int by_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

static unsigned batch_pct(const batches *b, double p)
{
    if (!b->n)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)b->n + 0.999999);
    return b->size[rank ? rank - 1 : 0];
}

/* ---- the report ---- */

typedef struct timings {
    double connect_s, seal_s, window_s, srv_cpu, self_cpu;
    bool srv_cpu_ok;
} timings;

static const char *error_name(int i)
{
    return i < SURGE_N_STATUS ? tnd_status_name(i) : "OTHER";
}

static void report_text(const surge *g, const timings *t, const batches *b, const surge_check *k,
                        bool checked)
{
    const bench_hist *h = &g->hist;
    printf("suppliers    %zu, each with its own certificate and TLS connection; tender %s\n",
           g->n, g->tender_id);
    printf("set-up       connected in %.2f s (%.0f handshakes/s, %ld at once); sealed in %.2f s "
           "(%.0f bids/s, %ld-byte document each)\n",
           t->connect_s, (double)g->n / t->connect_s, g->o.connect_in_flight, t->seal_s,
           (double)g->n / t->seal_s, g->o.bid_bytes);
    if (g->o.spread_s > 0)
        printf("timed        %zu submissions arriving at random over %ld s, at most %ld in flight, "
               "%.3f s from the first start to the last answer\n",
               g->n, g->o.spread_s, g->o.in_flight, t->window_s);
    else
        printf("timed        %zu submissions all at once, at most %ld in flight, %.3f s from the "
               "first start to the last answer\n",
               g->n, g->o.in_flight, t->window_s);
    printf("durable      %llu bids acknowledged with a receipt: %.0f bids/s\n",
           (unsigned long long)g->ok, (double)g->ok / t->window_s);
    printf("latency      p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms (start to receipt)\n",
           (double)bench_hist_percentile(h, 50) / 1e6, (double)bench_hist_percentile(h, 90) / 1e6,
           (double)bench_hist_percentile(h, 99) / 1e6, (double)h->max / 1e6);
    printf("errors      ");
    bool any = false;
    for (int i = 0; i <= SURGE_N_STATUS; i++)
        if (g->errors[i]) {
            printf(" %s %llu", error_name(i), (unsigned long long)g->errors[i]);
            any = true;
        }
    printf(any ? " (last: %s)\n" : " none\n", g->last_error);
    if (b->n)
        printf("group commit %zu batches: mean %.1f, p50 %u, p90 %u, p99 %u, max %u requests; "
               "mean %.2f ms per batch\n",
               b->n, (double)b->sum / (double)b->n, batch_pct(b, 50), batch_pct(b, 90),
               batch_pct(b, 99), b->size[b->n - 1], b->sum_ms / (double)b->n);
    else
        printf("group commit not measured (give --server-log, tenderd at --log-level info or "
               "debug)\n");
    if (t->srv_cpu_ok)
        printf("CPU          tenderd %.2f s (%.3f s per 1,000 bids), surge %.2f s\n", t->srv_cpu,
               g->ok ? t->srv_cpu * 1000.0 / (double)g->ok : 0.0, t->self_cpu);
    if (checked)
        printf("checked      receipts %llu verified, %llu bad; %llu receipt checkpoints, %llu "
               "consistent with the latest (size %llu); acknowledged bids in the log %llu, "
               "missing %llu, unacknowledged bids in the log %llu%s%s\n",
               (unsigned long long)k->receipts_ok, (unsigned long long)k->receipts_bad,
               (unsigned long long)k->checkpoints, (unsigned long long)k->consistent,
               (unsigned long long)k->log_size, (unsigned long long)k->in_log,
               (unsigned long long)k->missing, (unsigned long long)k->unacknowledged,
               k->first_problem[0] ? "; first problem: " : "", k->first_problem);
}

static void report_json(const surge *g, const timings *t, const batches *b, const surge_check *k,
                        bool checked)
{
    const bench_hist *h = &g->hist;
    printf("{\"suppliers\":%zu,\"in_flight\":%ld,\"spread_s\":%ld,\"bid_bytes\":%ld,"
           "\"complaints\":%ld,"
           "\"connect_s\":%.3f,\"seal_s\":%.3f,\"window_s\":%.3f,\"acknowledged\":%llu,"
           "\"bids_per_s\":%.1f",
           g->n, g->o.in_flight, g->o.spread_s, g->o.bid_bytes, g->o.complaints, t->connect_s,
           t->seal_s, t->window_s,
           (unsigned long long)g->ok, (double)g->ok / t->window_s);
    printf(",\"latency_ms\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"max\":%.2f}",
           (double)bench_hist_percentile(h, 50) / 1e6, (double)bench_hist_percentile(h, 90) / 1e6,
           (double)bench_hist_percentile(h, 99) / 1e6, (double)h->max / 1e6);
    printf(",\"errors\":{");
    bool first = true;
    for (int i = 0; i <= SURGE_N_STATUS; i++)
        if (g->errors[i]) {
            printf("%s\"%s\":%llu", first ? "" : ",", error_name(i),
                   (unsigned long long)g->errors[i]);
            first = false;
        }
    printf("}");
    if (b->n)
        printf(",\"batches\":{\"count\":%zu,\"mean\":%.1f,\"p50\":%u,\"p90\":%u,\"p99\":%u,"
               "\"max\":%u,\"mean_ms\":%.3f}",
               b->n, (double)b->sum / (double)b->n, batch_pct(b, 50), batch_pct(b, 90),
               batch_pct(b, 99), b->size[b->n - 1], b->sum_ms / (double)b->n);
    if (t->srv_cpu_ok)
        printf(",\"server_cpu_s\":%.2f", t->srv_cpu);
    printf(",\"surge_cpu_s\":%.2f", t->self_cpu);
    if (checked)
        printf(",\"check\":{\"receipts_ok\":%llu,\"receipts_bad\":%llu,\"checkpoints\":%llu,"
               "\"consistent\":%llu,\"log_size\":%llu,\"in_log\":%llu,\"missing\":%llu,"
               "\"unacknowledged\":%llu}",
               (unsigned long long)k->receipts_ok, (unsigned long long)k->receipts_bad,
               (unsigned long long)k->checkpoints, (unsigned long long)k->consistent,
               (unsigned long long)k->log_size, (unsigned long long)k->in_log,
               (unsigned long long)k->missing, (unsigned long long)k->unacknowledged);
    printf("}\n");
}

/* ---- main ---- */

static tnd_client *blocking_client(const surge *g, const char *who)
{
    char ca[1100], crt[1100], key[1100], err[512];
    snprintf(ca, sizeof ca, "%s/ca.crt", g->o.pki);
    snprintf(crt, sizeof crt, "%s/%s.crt", g->o.pki, who);
    snprintf(key, sizeof key, "%s/%s.key", g->o.pki, who);
    tnd_client_opts co;
    tnd_client_opts_init(&co);
    bench_servers_use(&g->o.servers, &co);
    co.ca_file = ca;
    co.cert_file = crt;
    co.key_file = key;
    tnd_client *c = NULL;
    if (tnd_client_open(&co, &c, err, sizeof err) != 0)
        fprintf(stderr, "surge: %s\n", err);
    return c;
}

static void hold_over(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
}

/* Wait while running the loop, so that the connections answer pings. */
static void hold(surge *g, long secs)
{
    uv_timer_t t;
    uv_timer_init(&g->loop, &t);
    uv_update_time(&g->loop);
    uv_timer_start(&t, hold_over, (uint64_t)secs * 1000u, 0);
    while (uv_is_active((uv_handle_t *)&t) || !uv_is_closing((uv_handle_t *)&t))
        uv_run(&g->loop, UV_RUN_ONCE);
    uv_run(&g->loop, UV_RUN_NOWAIT); /* the close callback */
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --spread: random start times, uniform over the spread, ascending; the
 * same seed each run, so runs compare. */
static int plan_spread(surge *g)
{
    if (g->o.spread_s <= 0)
        return 0;
    g->due = calloc(g->n, sizeof *g->due);
    if (!g->due || uv_timer_init(&g->loop, &g->due_timer) != 0) {
        fprintf(stderr, "surge: out of memory\n");
        return -1;
    }
    g->due_timer.data = g;
    unsigned short seed[3] = {0x5eed, 0x1234, 0x0042};
    double span = (double)g->o.spread_s * 1e9;
    for (size_t i = 0; i < g->n; i++)
        g->due[i] = (uint64_t)(erand48(seed) * span);
    qsort(g->due, g->n, sizeof *g->due, by_u64);
    return 0;
}

static double cpu_of(pid_t pid, bool *ok)
{
    double v = 0;
    if (bench_proc_cpu_seconds(pid, &v) != 0)
        *ok = false;
    return v;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* libtender sees EPIPE instead (tender/client.h) */
    static surge g;
    int rc = parse_args(argc, argv, &g.o);
    if (rc != 0)
        return rc;
    int status = 1;
    tnd_client *officer = NULL;
    surge_check chk;
    memset(&chk, 0, sizeof chk);
    bool checked = false;
    batches b = {0};
    timings t = {0};
    g.n = (size_t)g.o.suppliers;
    bench_hist_init(&g.hist);
    if (raise_nofile(g.n) != 0 || uv_loop_init(&g.loop) != 0)
        return 1;
    g.sup = calloc(g.n, sizeof *g.sup);
    if (!g.sup) {
        fprintf(stderr, "surge: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < g.n; i++) {
        g.sup[i].sg = &g;
        g.sup[i].status = -1;
    }
    fprintf(stderr, "surge: issuing %zu supplier certificates ...\n", g.n);
    if (surge_issue_suppliers(&g) != 0)
        goto out;
    /* Seal before connecting: connections must not sit unserviced (tenderd
     * closes a connection that leaves its keepalive ping unanswered). */
    if (!(officer = blocking_client(&g, "officer")) || surge_tender(&g, officer) != 0)
        goto out;
    if (g.o.complaints > 0) {
        fprintf(stderr, "surge: filing %ld complaints ...\n", g.o.complaints);
        if (surge_complaints(&g) != 0)
            goto out;
    }
    uint64_t s0 = uv_hrtime();
    if (surge_seal(&g) != 0)
        goto out;
    t.seal_s = (double)(uv_hrtime() - s0) / 1e9;
    fprintf(stderr, "surge: connecting %zu suppliers ...\n", g.n);
    if (surge_connect(&g, &t.connect_s) != 0)
        goto out;

    if (g.o.hold_s > 0) {
        fprintf(stderr, "surge: set-up done; the timed phase starts in %ld s\n", g.o.hold_s);
        hold(&g, g.o.hold_s);
    }
    if (plan_spread(&g) != 0)
        goto out;
    fprintf(stderr, "surge: %zu bids to %s ...\n", g.n, g.tender_id);
    long log_off = file_size(g.o.server_log);
    t.srv_cpu_ok = g.o.server_pid != 0;
    double srv0 = g.o.server_pid ? cpu_of((pid_t)g.o.server_pid, &t.srv_cpu_ok) : 0;
    bool self_ok = true;
    double self0 = cpu_of(getpid(), &self_ok);
    g.next = g.running = g.done = 0;
    g.last_error[0] = '\0';
    uv_update_time(&g.loop);
    g.t0 = uv_hrtime();
    submit_next(&g);
    while (g.done < g.n)
        uv_run(&g.loop, UV_RUN_ONCE);
    if (g.due)
        uv_close((uv_handle_t *)&g.due_timer, NULL);
    t.window_s = (double)(g.t_last - g.t0) / 1e9;
    if (t.window_s <= 0)
        t.window_s = 1e-9;
    t.srv_cpu = g.o.server_pid ? cpu_of((pid_t)g.o.server_pid, &t.srv_cpu_ok) - srv0 : 0;
    t.self_cpu = cpu_of(getpid(), &self_ok) - self0;
    read_batches(g.o.server_log, log_off, &b);
    if (b.n)
        qsort(b.size, b.n, sizeof *b.size, by_uint);

    fprintf(stderr, "surge: checking %llu receipts and the log ...\n", (unsigned long long)g.ok);
    checked = surge_verify(&g, officer, &chk) == 0;
    if (g.o.json)
        report_json(&g, &t, &b, &chk, checked);
    else
        report_text(&g, &t, &b, &chk, checked);
    status = g.ok > 0 && checked && chk.receipts_bad == 0 && chk.inconsistent == 0 &&
                     chk.missing == 0
                 ? 0
                 : 1;
    if (status)
        fprintf(stderr, "surge: %s\n",
                g.ok == 0 ? "no bid was acknowledged" : "the checks after the surge failed");
out:
    free(b.size);
    tnd_client_free(officer);
    for (size_t i = 0; g.sup && i < g.n; i++) {
        tnd_client_free(g.sup[i].client);
        EVP_PKEY_free(g.sup[i].key);
        tender_bids_v1_SealedBid_free(&g.sup[i].bid);
        free(g.sup[i].receipt);
    }
    uv_run(&g.loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&g.loop);
    free(g.sup);
    free(g.due);
    return status;
}
