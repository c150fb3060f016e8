/* connbench: what connections cost tenderd (docs/BENCHMARKS.md).
 *
 *   --mode idle        open N TLS connections (one libtender client each, a
 *                      Health/Check on each so the handshake and the
 *                      server's per-connection state are complete), leave
 *                      them idle, and report the growth of tenderd's resident
 *                      memory (VmRSS of /proc/PID/status) divided by N.
 *   --mode handshake   two phases of --duration seconds each, M at a time:
 *                      full: a new client (resumption off), a new TCP
 *                      connection, a full TLS 1.3 handshake with the client
 *                      certificate, one Health/Check, close;
 *                      resumed: each of the M slots keeps one client, which
 *                      made one full handshake before the timing starts;
 *                      then a new TCP connection offering the client's
 *                      session ticket, one Health/Check, close
 *                      (tnd_client_disconnect), again. A handshake the
 *                      server did not resume counts as not resumed.
 *                      ticketed (only with --only ticketed):
 *                      as full, but each new client keeps tickets, so
 *                      tenderd builds one after each handshake (the first
 *                      connection of a client that will resume; a client
 *                      with resumption off, as tenderctl, gets none);
 *                      --only runs one phase. Every slot uses the same
 *                      certificate, so tenderd's verification cache answers
 *                      all but the first full handshake's chain check;
 *                      with --pki DIR --identities N, each new client takes
 *                      the next of N supplier certificates issued from DIR's
 *                      CA (kept for later runs), as suppliers who each
 *                      connect once at a deadline: while a phase makes no
 *                      more than N handshakes, the cache never answers.
 *                      Handshakes/s counts the ones whose call succeeded;
 *                      tenderd's CPU (utime+stime, --server-pid) over the
 *                      phase divided by them is the CPU per handshake.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "tender/client.h"
#include "tender/error.h"
#include "tender/pki.h"
#include "tender_schema.h"

#include "hist.h"
#include "proc.h"

#define MAX_IDLE 100000

typedef struct cb_opts {
    const char *server, *ca, *cert, *key, *pki;
    long n, concurrency, server_pid, identities;
    double duration_s;
    bool handshake, json;
    int phases; /* handshake: bits 1 full, 2 resumed, 4 ticketed */
} cb_opts;

struct cb;

/* One connection's place: its client and when its call started. */
typedef struct slot {
    struct cb *c;
    long i;
    uint64_t started;
} slot;

typedef struct cb {
    cb_opts o;
    uv_loop_t loop;
    uv_timer_t timer;
    tnd_client_opts co;
    tnd_client **clients; /* idle: all of them; handshake: one per slot */
    long next, running, ok, failed;
    long not_resumed; /* resumed phase: handshakes the server made full */
    bool done;
    bool resume;   /* the resumed phase: slots keep their clients */
    bool ticketed; /* the ticketed phase: new clients that ask for tickets */
    bool warmup; /* its first handshake per slot: not counted, not restarted */
    slot *slots;
    bench_hist hist;
    char last_error[600];
    char (*certs)[1100], (*keys)[1100]; /* --identities: the files of each */
    long next_identity;                  /* the next new client's */
    long identities_used;                /* clients made with one, this phase */
} cb;

/* tenderd's VmRSS in KiB, or -1. */
static long rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* The server's soft limit on open files, from /proc/PID/limits; -1 if unknown. */
static long server_nofile(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/limits", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Max open files", 14) == 0)
            v = strtol(line + 14, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static void start_one(cb *c, long i);

static void on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    slot *sl = user;
    cb *c = sl->c;
    long i = sl->i;
    c->running--;
    if (c->warmup) {
        if (code != TND_STATUS_OK) {
            c->failed++;
            snprintf(c->last_error, sizeof c->last_error, "%s: %s", tnd_status_name(code), message);
        }
        tnd_client_disconnect(c->clients[i]);
        return;
    }
    if (code == TND_STATUS_OK) {
        c->ok++;
        if (c->resume && tnd_client_resumed(c->clients[i]) != 1)
            c->not_resumed++;
        if (c->o.handshake)
            bench_hist_record(&c->hist, uv_hrtime() - sl->started);
    } else {
        c->failed++;
        snprintf(c->last_error, sizeof c->last_error, "%s: %s", tnd_status_name(code), message);
    }
    if (c->o.handshake) {
        /* Close this connection; the slot starts the next at once (with the
         * same client, so its session, when resuming). */
        if (c->resume) {
            tnd_client_disconnect(c->clients[i]);
        } else {
            tnd_client_free(c->clients[i]);
            c->clients[i] = NULL;
        }
        if (!c->done)
            start_one(c, i);
    } else if (c->next < c->o.n && !c->failed) {
        start_one(c, c->next++);
    }
}

static void start_one(cb *c, long i)
{
    static const tnd_call_cb cbs = {.on_status = on_status};
    char err[512];
    c->co.no_resumption = !c->resume && !c->ticketed;
    if (!c->clients[i] && c->certs) {
        long k = c->next_identity++ % c->o.identities;
        c->co.cert_file = c->certs[k];
        c->co.key_file = c->keys[k];
        c->identities_used++;
    }
    if (!c->clients[i] && tnd_client_new(&c->loop, &c->co, &c->clients[i], err, sizeof err)) {
        snprintf(c->last_error, sizeof c->last_error, "%s", err);
        c->failed++;
        return;
    }
    tnd_client_call *call;
    tnd_call_opts opts = {.max_attempts = 1};
    slot *sl = &c->slots[i];
    sl->c = c;
    sl->i = i;
    sl->started = uv_hrtime();
    if (tnd_client_call_start(c->clients[i], tender_health_v1_Health_Check_method, &opts, &cbs,
                              sl, &call) != 0) {
        snprintf(c->last_error, sizeof c->last_error, "cannot start a call");
        c->failed++;
        return;
    }
    c->running++;
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    if (tnd_client_call_send(call, &req) != 0)
        tnd_client_call_cancel(call);
    else
        (void)tnd_client_call_close_send(call);
}

static void on_end(uv_timer_t *t)
{
    cb *c = t->data;
    c->done = true;
    uv_close((uv_handle_t *)&c->timer, NULL);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: connbench --server HOST:PORT --ca FILE [--cert FILE --key FILE]\n"
               "                 --mode idle --connections N --server-pid PID\n"
               "                 [--concurrency M] [--json]\n"
               "       connbench ... --mode handshake --duration S [--concurrency M]\n"
               "                 [--only full|ticketed|resumed] [--pki DIR --identities N]\n"
               "                 [--json]\n"
               "\n"
               "idle: tenderd's resident memory per idle TLS connection, over N connections\n"
               "(M handshakes at once while opening them, default 100).\n"
               "handshake: TLS 1.3 handshakes per second and tenderd CPU per handshake, a new\n"
               "connection each with one Health/Check, M at once (default 4): S seconds of\n"
               "full handshakes, then S seconds of resumed ones (session tickets).\n"
               "--only ticketed: full handshakes of clients that ask for a ticket.\n"
               "--pki DIR --identities N: each new client takes the next of N supplier\n"
               "certificates issued from DIR's CA (reused when present), so that up to N\n"
               "handshakes find tenderd's verification cache cold, as at a deadline.\n");
}

static int parse_args(int argc, char **argv, cb_opts *o)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},      {"ca", required_argument, NULL, 'a'},
        {"cert", required_argument, NULL, 'c'},        {"key", required_argument, NULL, 'k'},
        {"mode", required_argument, NULL, 'M'},        {"connections", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'm'}, {"duration", required_argument, NULL, 'd'},
        {"server-pid", required_argument, NULL, 'p'},  {"json", no_argument, NULL, 'j'},
        {"only", required_argument, NULL, 'o'},        {"pki", required_argument, NULL, 'P'},
        {"identities", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    const char *mode = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': o->server = optarg; break;
        case 'a': o->ca = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 'M': mode = optarg; break;
        case 'n': o->n = strtol(optarg, &end, 10); break;
        case 'm': o->concurrency = strtol(optarg, &end, 10); break;
        case 'd': o->duration_s = strtod(optarg, &end); break;
        case 'p': o->server_pid = strtol(optarg, &end, 10); break;
        case 'j': o->json = true; break;
        case 'P': o->pki = optarg; break;
        case 'I': o->identities = strtol(optarg, &end, 10); break;
        case 'o':
            o->phases = strcmp(optarg, "full") == 0       ? 1
                        : strcmp(optarg, "resumed") == 0  ? 2
                        : strcmp(optarg, "ticketed") == 0 ? 4
                                                          : -1;
            if (o->phases < 0) {
                fprintf(stderr, "connbench: --only is full, ticketed or resumed\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
        if (end && (end == optarg || *end)) {
            fprintf(stderr, "connbench: not a number: %s\n", optarg);
            return 2;
        }
    }
    if (!o->server || !o->ca || !mode || (!o->cert != !o->key) || o->concurrency < 0 ||
        o->concurrency > 10000) {
        usage(stderr);
        return 2;
    }
    if (!o->pki != !o->identities || o->identities < 0 || o->identities > MAX_IDLE) {
        fprintf(stderr, "connbench: --pki DIR and --identities 1..%d go together\n", MAX_IDLE);
        return 2;
    }
    if (!o->phases)
        o->phases = 3;
    if (strcmp(mode, "handshake") == 0) {
        o->handshake = true;
        if (!(o->duration_s > 0)) {
            fprintf(stderr, "connbench: --mode handshake needs --duration S\n");
            return 2;
        }
        if (!o->concurrency)
            o->concurrency = 4;
        o->n = o->concurrency;
    } else if (strcmp(mode, "idle") == 0) {
        if (o->n < 1 || o->n > MAX_IDLE || !o->server_pid) {
            fprintf(stderr, "connbench: --mode idle needs --connections 1..%d and --server-pid\n",
                    MAX_IDLE);
            return 2;
        }
        if (!o->concurrency)
            o->concurrency = 100;
    } else {
        fprintf(stderr, "connbench: --mode is idle or handshake\n");
        return 2;
    }
    return 0;
}

/* Every connection is a descriptor here and one in tenderd: check both limits. */
static int check_limits(const cb_opts *o)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)o->n + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need) {
            fprintf(stderr, "connbench: %ld connections need %llu open files; the hard limit is "
                            "%llu (raise it: ulimit -Hn)\n",
                    o->n, (unsigned long long)need, (unsigned long long)rl.rlim_max);
            return -1;
        }
    }
    long srv = o->server_pid ? server_nofile(o->server_pid) : -1;
    if (srv >= 0 && srv < o->n + 32) {
        fprintf(stderr, "connbench: tenderd (pid %ld) may open only %ld files, fewer than %ld "
                        "connections need: raise its limit (ulimit -n before starting it)\n",
                o->server_pid, srv, o->n);
        return -1;
    }
    return 0;
}

/* One timed phase of --mode handshake: full (a new client each time) or
 * resumed (each slot's client made one full handshake first, untimed).
 * Prints one line (JSON with --json); 0 when every call succeeded. */
static int run_handshakes(cb *c, bool resume, bool ticketed)
{
    c->resume = resume;
    c->ticketed = ticketed;
    c->done = false;
    c->ok = c->failed = c->not_resumed = 0;
    c->identities_used = 0;
    bench_hist_init(&c->hist);
    if (resume) {
        c->warmup = true;
        for (long i = 0; i < c->o.n; i++)
            start_one(c, i);
        while (c->running > 0)
            uv_run(&c->loop, UV_RUN_ONCE);
        c->warmup = false;
        if (c->failed)
            return 1;
    }
    double cpu0 = 0, cpu1 = 0, self0 = 0, self1 = 0;
    bool cpu_ok = c->o.server_pid && bench_proc_cpu_seconds((pid_t)c->o.server_pid, &cpu0) == 0;
    bool self_ok = bench_proc_cpu_seconds(getpid(), &self0) == 0;
    uv_timer_init(&c->loop, &c->timer);
    c->timer.data = c;
    uv_update_time(&c->loop);
    uint64_t t0 = uv_hrtime();
    uv_timer_start(&c->timer, on_end, (uint64_t)(c->o.duration_s * 1000.0 + 0.5), 0);
    for (long i = 0; i < c->o.n; i++)
        start_one(c, i);
    while (!c->done || c->running > 0)
        uv_run(&c->loop, UV_RUN_ONCE);
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    cpu_ok = cpu_ok && bench_proc_cpu_seconds((pid_t)c->o.server_pid, &cpu1) == 0;
    self_ok = self_ok && bench_proc_cpu_seconds(getpid(), &self1) == 0;
    for (long i = 0; i < c->o.n; i++) {
        tnd_client_free(c->clients[i]);
        c->clients[i] = NULL;
    }
    const bench_hist *h = &c->hist;
    const char *kind = resume ? "resumed" : ticketed ? "ticketed" : "full";
    /* Distinct certificates among the phase's new clients: all of them when
     * it made no more than --identities (the verification cache was cold). */
    long distinct = c->identities_used < c->o.identities ? c->identities_used : c->o.identities;
    double srv_ms = cpu_ok && c->ok ? (cpu1 - cpu0) * 1000.0 / (double)c->ok : -1.0;
    if (c->o.json)
        printf("{\"mode\":\"handshake\",\"handshake\":\"%s\",\"concurrency\":%ld,"
               "\"duration_s\":%.3f,\"handshakes\":%ld,\"per_s\":%.1f,\"p50_ms\":%.2f,"
               "\"p99_ms\":%.2f,\"failed\":%ld,\"not_resumed\":%ld,"
               "\"server_cpu_ms_per_handshake\":%.3f,\"client_cpu_ms_per_handshake\":%.3f,"
               "\"certificates\":%ld,\"new_clients\":%ld}\n",
               kind, c->o.concurrency, secs, c->ok, (double)c->ok / secs,
               (double)bench_hist_percentile(h, 50) / 1e6,
               (double)bench_hist_percentile(h, 99) / 1e6, c->failed, c->not_resumed, srv_ms,
               self_ok && c->ok ? (self1 - self0) * 1000.0 / (double)c->ok : -1.0,
               c->certs ? distinct : 1, c->identities_used);
    else
        printf("%s handshakes: %ld in %.2f s, %.0f/s (%ld at once); connect+call p50 %.2f ms "
               "p99 %.2f ms; tenderd %.3f ms CPU per handshake; failed %ld%s; %ld "
               "certificate(s)%s\n",
               kind, c->ok, secs, (double)c->ok / secs, c->o.concurrency,
               (double)bench_hist_percentile(h, 50) / 1e6,
               (double)bench_hist_percentile(h, 99) / 1e6, srv_ms, c->failed,
               c->not_resumed ? " (some not resumed: see --json)" : "", c->certs ? distinct : 1,
               c->certs && c->identities_used <= c->o.identities ? ", each new to tenderd" : "");
    if (c->failed)
        fprintf(stderr, "connbench: %ld failed; last error: %s\n", c->failed, c->last_error);
    return c->ok > 0 && c->failed == 0 && c->not_resumed == 0 ? 0 : 1;
}

/* --identities: N supplier certificates in --pki (an earlier run's are
 * reused), before any timing. 0, or -1 having said why. */
static int issue_identities(cb *c)
{
    if (!c->o.identities)
        return 0;
    c->certs = calloc((size_t)c->o.identities, sizeof *c->certs);
    c->keys = calloc((size_t)c->o.identities, sizeof *c->keys);
    if (!c->certs || !c->keys) {
        fprintf(stderr, "connbench: out of memory for %ld identities\n", c->o.identities);
        return -1;
    }
    for (long i = 0; i < c->o.identities; i++) {
        char name[32], org[64], err[300];
        snprintf(name, sizeof name, "connbench-%05ld", i);
        snprintf(org, sizeof org, "Connbench Supplier %05ld", i);
        int rc = tnd_pki_issue(c->o.pki, name, "supplier", org, 0, err, sizeof err);
        if (rc != 0 && rc != TND_EEXISTS) {
            fprintf(stderr, "connbench: issuing %s: %s\n", name, err);
            return -1;
        }
        snprintf(c->certs[i], sizeof c->certs[i], "%s/%s.crt", c->o.pki, name);
        snprintf(c->keys[i], sizeof c->keys[i], "%s/%s.key", c->o.pki, name);
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static cb c;
    int rc = parse_args(argc, argv, &c.o);
    if (rc != 0)
        return rc;
    if (!c.o.handshake && check_limits(&c.o) != 0)
        return 1;
    tnd_client_opts_init(&c.co);
    c.co.server = c.o.server;
    c.co.ca_file = c.o.ca;
    c.co.cert_file = c.o.cert;
    c.co.key_file = c.o.key;
    c.co.max_attempts = 1;
    c.co.timeout_ms = 120000;
    c.co.connect_timeout_ms = 120000;
    bench_hist_init(&c.hist);
    uv_loop_init(&c.loop);
    c.clients = calloc((size_t)c.o.n, sizeof *c.clients);
    c.slots = calloc((size_t)c.o.n, sizeof *c.slots);
    int status = 1;
    if (!c.clients || !c.slots || issue_identities(&c) != 0)
        goto out;
    if (c.o.handshake) {
        status = 0;
        if (c.o.phases & 4)
            status = run_handshakes(&c, false, true);
        for (int phase = 0; phase < 2 && status == 0; phase++)
            if (c.o.phases & (1 << phase))
                status = run_handshakes(&c, phase == 1, false);
    } else {
        long before = rss_kib(c.o.server_pid);
        uint64_t t0 = uv_hrtime();
        for (long i = 0; i < c.o.concurrency && c.next < c.o.n; i++)
            start_one(&c, c.next++);
        while (c.running > 0)
            uv_run(&c.loop, UV_RUN_ONCE);
        double secs = (double)(uv_hrtime() - t0) / 1e9;
        sleep(1); /* let the server settle (handshake buffers released) */
        long after = rss_kib(c.o.server_pid);
        if (before < 0 || after < 0) {
            fprintf(stderr, "connbench: cannot read /proc/%ld/status\n", c.o.server_pid);
            goto out;
        }
        double per = (double)(after - before) * 1024.0 / (double)c.ok;
        if (c.o.json)
            printf("{\"mode\":\"idle\",\"connections\":%ld,\"open_s\":%.3f,\"rss_before_kib\":%ld,"
                   "\"rss_after_kib\":%ld,\"bytes_per_connection\":%.0f,\"failed\":%ld}\n",
                   c.ok, secs, before, after, per, c.failed);
        else
            printf("idle: %ld connections open in %.2f s; tenderd RSS %ld KiB -> %ld KiB: %.1f "
                   "KiB per connection; failed %ld\n",
                   c.ok, secs, before, after, per / 1024.0, c.failed);
        status = c.failed == 0 ? 0 : 1;
    }
    if (c.failed && !c.o.handshake)
        fprintf(stderr, "connbench: %ld failed; last error: %s\n", c.failed, c.last_error);
    if (c.failed && !c.o.handshake)
        fprintf(stderr, "connbench: tenderd closes connections above its --max-connections "
                        "(default 10000) at once: start it with a higher limit\n");
out:
    for (long i = 0; c.clients && i < c.o.n; i++)
        tnd_client_free(c.clients[i]);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&c.loop);
    free(c.clients);
    free(c.slots);
    free(c.certs);
    free(c.keys);
    return status;
}
