/* tenderd's metrics: atomic counters updated by the loop and writer threads,
 * rendered in the Prometheus text format by whichever thread asks. */
#include "metrics.h"

#include <lmdb.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "tender/error.h"
#include "tender/status.h"
#include "version.h"

#define N_CODES 17 /* gRPC status codes 0..16 */

/* Call latency bucket bounds, in nanoseconds (rendered in seconds): from
 * a tenth of a millisecond (a health check, an inclusion proof) to a minute
 * (a large upload). */
static const uint64_t call_bounds_ns[] = {
    100000,    250000,
    500000,    1000000,    2500000,    5000000,    10000000,    25000000,
    50000000,  100000000,  250000000,  500000000,  1000000000,  2500000000,
    5000000000, 10000000000, 30000000000, 60000000000,
};
#define N_CALL_BOUNDS (sizeof call_bounds_ns / sizeof *call_bounds_ns)

/* Requests per group commit; the writer takes at most 256 by default. */
static const uint64_t batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
#define N_BATCH_BOUNDS (sizeof batch_bounds / sizeof *batch_bounds)

typedef struct method_slot {
    const void *key; /* set before the slot is published */
    const char *name;
    _Atomic uint64_t calls[N_CODES];
    /* Per bucket, not cumulative; the last counts what passed every bound.
     * A scrape adds them up, so _count always equals the +Inf bucket. */
    _Atomic uint64_t buckets[N_CALL_BOUNDS + 1];
    _Atomic uint64_t sum_ns;
} method_slot;

/* Why a witness request failed (tnd_metrics_witness_failed). */
static const char *const witness_reasons[] = {"network", "timeout",  "too_large",
                                              "status",  "conflict", "bad_response"};
#define N_WITNESS_REASONS (sizeof witness_reasons / sizeof *witness_reasons)

typedef struct witness_slot {
    char name[256]; /* set before n_witnesses covers the slot */
    _Atomic uint64_t cosigned_size;
    _Atomic uint64_t failed[N_WITNESS_REASONS];
} witness_slot;

struct tnd_metrics {
    method_slot unknown;
    method_slot methods[TND_METRICS_MAX_METHODS];
    _Atomic size_t n_methods; /* slots below this are published (release/acquire) */
    _Atomic uint64_t connections;
    _Atomic uint64_t handshakes_ok, handshakes_failed;
    _Atomic uint64_t handshakes_resumed; /* of handshakes_ok */
    _Atomic uint64_t tickets_issued;
    _Atomic uint64_t batch_buckets[N_BATCH_BOUNDS + 1];
    _Atomic uint64_t batch_sum;
    _Atomic uint64_t queue_depth;
    _Atomic uint64_t map_bytes, used_bytes;
    _Atomic uint64_t tlog_leaves;
    _Atomic uint64_t bids;
    /* The replicated mode: role 0 off, 1 follower, 2 writer. */
    _Atomic uint64_t replica_role, replica_term, replica_batch, replica_demotions;
    _Atomic uint64_t replica_commit_wait; /* seconds */
    _Atomic uint64_t writes_refused;
    witness_slot witnesses[TND_METRICS_MAX_WITNESSES];
    _Atomic size_t n_witnesses; /* slots below this are named (release/acquire) */
    /* Writer thread only: the log size the current batch will publish. */
    uint64_t tlog_pending;
    bool has_tlog_pending;
};

static void add(_Atomic uint64_t *v, uint64_t n)
{
    atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static void set(_Atomic uint64_t *v, uint64_t n)
{
    atomic_store_explicit(v, n, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

tnd_metrics *tnd_metrics_new(void)
{
    tnd_metrics *m = calloc(1, sizeof *m);
    if (m)
        m->unknown.name = "unknown";
    return m;
}

void tnd_metrics_free(tnd_metrics *m)
{
    free(m);
}

static method_slot *find_slot(tnd_metrics *m, const void *key)
{
    size_t n = atomic_load_explicit(&m->n_methods, memory_order_acquire);
    for (size_t i = 0; key && i < n; i++)
        if (m->methods[i].key == key)
            return &m->methods[i];
    return NULL;
}

int tnd_metrics_add_method(tnd_metrics *m, const void *key, const char *name)
{
    if (!m || find_slot(m, key))
        return 0;
    size_t n = atomic_load_explicit(&m->n_methods, memory_order_relaxed);
    if (n == TND_METRICS_MAX_METHODS)
        return TND_ELIMIT;
    m->methods[n].key = key;
    m->methods[n].name = name;
    atomic_store_explicit(&m->n_methods, n + 1, memory_order_release);
    return 0;
}

void tnd_metrics_call(tnd_metrics *m, const void *key, unsigned code, uint64_t duration_ns)
{
    if (!m)
        return;
    method_slot *s = find_slot(m, key);
    if (!s)
        s = &m->unknown;
    add(&s->calls[code < N_CODES ? code : TND_STATUS_UNKNOWN], 1);
    size_t b = 0;
    while (b < N_CALL_BOUNDS && duration_ns > call_bounds_ns[b])
        b++;
    add(&s->buckets[b], 1);
    add(&s->sum_ns, duration_ns);
}

void tnd_metrics_set_connections(tnd_metrics *m, uint64_t n)
{
    if (m)
        set(&m->connections, n);
}

void tnd_metrics_handshake(tnd_metrics *m, bool ok)
{
    if (m)
        add(ok ? &m->handshakes_ok : &m->handshakes_failed, 1);
}

void tnd_metrics_handshake_resumed(tnd_metrics *m)
{
    if (m)
        add(&m->handshakes_resumed, 1);
}

void tnd_metrics_set_tickets_issued(tnd_metrics *m, uint64_t n)
{
    if (m)
        atomic_store(&m->tickets_issued, n);
}

void tnd_metrics_batch_begin(tnd_metrics *m)
{
    if (m)
        m->has_tlog_pending = false;
}

void tnd_metrics_tlog_pending(tnd_metrics *m, uint64_t leaves)
{
    if (!m)
        return;
    m->tlog_pending = leaves;
    m->has_tlog_pending = true;
}

void tnd_metrics_batch_committed(tnd_metrics *m, size_t n)
{
    if (!m)
        return;
    size_t b = 0;
    while (b < N_BATCH_BOUNDS && n > batch_bounds[b])
        b++;
    add(&m->batch_buckets[b], 1);
    add(&m->batch_sum, n);
    if (m->has_tlog_pending)
        set(&m->tlog_leaves, m->tlog_pending);
    m->has_tlog_pending = false;
}

void tnd_metrics_set_tlog_leaves(tnd_metrics *m, uint64_t leaves)
{
    if (m)
        set(&m->tlog_leaves, leaves);
}

void tnd_metrics_set_replica(tnd_metrics *m, bool writer, uint64_t term)
{
    if (!m)
        return;
    if (!writer && get(&m->replica_role) == 2)
        atomic_fetch_add(&m->replica_demotions, 1);
    set(&m->replica_role, writer ? 2 : 1);
    set(&m->replica_term, term);
}

void tnd_metrics_set_replica_commit_wait(tnd_metrics *m, uint64_t seconds)
{
    if (m)
        set(&m->replica_commit_wait, seconds);
}

void tnd_metrics_set_batch_seq(tnd_metrics *m, uint64_t seq)
{
    if (m)
        set(&m->replica_batch, seq);
}

void tnd_metrics_set_queue_depth(tnd_metrics *m, uint64_t n)
{
    if (m)
        set(&m->queue_depth, n);
}

void tnd_metrics_set_store_size(tnd_metrics *m, uint64_t map_bytes, uint64_t used_bytes)
{
    if (!m)
        return;
    set(&m->map_bytes, map_bytes);
    set(&m->used_bytes, used_bytes);
}

void tnd_metrics_bid_received(tnd_metrics *m)
{
    if (m)
        add(&m->bids, 1);
}

void tnd_metrics_write_refused(tnd_metrics *m)
{
    if (m)
        add(&m->writes_refused, 1);
}

void tnd_metrics_add_witness(tnd_metrics *m, size_t i, const char *name)
{
    if (!m || i >= TND_METRICS_MAX_WITNESSES)
        return;
    snprintf(m->witnesses[i].name, sizeof m->witnesses[i].name, "%s", name);
    if (atomic_load_explicit(&m->n_witnesses, memory_order_relaxed) <= i)
        atomic_store_explicit(&m->n_witnesses, i + 1, memory_order_release);
}

void tnd_metrics_witness_cosigned(tnd_metrics *m, size_t i, uint64_t size)
{
    if (m && i < TND_METRICS_MAX_WITNESSES)
        set(&m->witnesses[i].cosigned_size, size);
}

void tnd_metrics_witness_failed(tnd_metrics *m, size_t i, const char *reason)
{
    if (!m || i >= TND_METRICS_MAX_WITNESSES)
        return;
    for (size_t r = 0; r < N_WITNESS_REASONS; r++)
        if (strcmp(witness_reasons[r], reason) == 0)
            add(&m->witnesses[i].failed[r], 1);
}

/* ---- rendering ---- */

typedef struct textbuf {
    char *p;
    size_t len, cap;
    bool oom;
} textbuf;

static void put(textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(textbuf *t, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !t->oom; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 > t->len + (size_t)n + 1 ? t->cap * 2 : t->len + (size_t)n + 1;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->oom = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

/* A label value with \, " and newline escaped as the text format requires. */
static void put_label_value(textbuf *t, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            put(t, "\\\\");
        else if (*v == '"')
            put(t, "\\\"");
        else if (*v == '\n')
            put(t, "\\n");
        else
            put(t, "%c", *v);
    }
}

static void head(textbuf *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(textbuf *t, const char *name, const char *help, uint64_t v)
{
    head(t, name, "gauge", help);
    put(t, "%s %llu\n", name, (unsigned long long)v);
}

static void render_calls(textbuf *t, method_slot **slots, size_t n)
{
    head(t, "tenderd_calls_total", "counter",
         "Calls finished (including calls refused before they started), by method and gRPC "
         "status.");
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < N_CODES; c++) {
            uint64_t v = get(&slots[i]->calls[c]);
            if (!v)
                continue;
            put(t, "tenderd_calls_total{method=\"");
            put_label_value(t, slots[i]->name);
            put(t, "\",status=\"%s\"} %llu\n", tnd_status_name((int)c), (unsigned long long)v);
        }
    head(t, "tenderd_call_duration_seconds", "histogram",
         "Time from a call's arrival to its end, by method.");
    for (size_t i = 0; i < n; i++) {
        method_slot *s = slots[i];
        uint64_t counts[N_CALL_BOUNDS + 1], total = 0;
        for (size_t b = 0; b <= N_CALL_BOUNDS; b++)
            total += counts[b] = get(&s->buckets[b]);
        if (!total)
            continue; /* a method never called has no series */
        uint64_t cum = 0;
        for (size_t b = 0; b <= N_CALL_BOUNDS; b++) {
            cum += counts[b];
            put(t, "tenderd_call_duration_seconds_bucket{method=\"");
            put_label_value(t, s->name);
            if (b < N_CALL_BOUNDS)
                put(t, "\",le=\"%g\"} %llu\n", (double)call_bounds_ns[b] / 1e9,
                    (unsigned long long)cum);
            else
                put(t, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        put(t, "tenderd_call_duration_seconds_sum{method=\"");
        put_label_value(t, s->name);
        put(t, "\"} %.9f\n", (double)get(&s->sum_ns) / 1e9);
        put(t, "tenderd_call_duration_seconds_count{method=\"");
        put_label_value(t, s->name);
        put(t, "\"} %llu\n", (unsigned long long)total);
    }
}

static void render_batches(textbuf *t, tnd_metrics *m)
{
    head(t, "tenderd_store_batch_size", "histogram",
         "Write requests per group commit (one LMDB commit and fsync).");
    uint64_t cum = 0;
    for (size_t b = 0; b <= N_BATCH_BOUNDS; b++) {
        cum += get(&m->batch_buckets[b]);
        if (b < N_BATCH_BOUNDS)
            put(t, "tenderd_store_batch_size_bucket{le=\"%llu\"} %llu\n",
                (unsigned long long)batch_bounds[b], (unsigned long long)cum);
        else
            put(t, "tenderd_store_batch_size_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cum);
    }
    put(t, "tenderd_store_batch_size_sum %llu\n", (unsigned long long)get(&m->batch_sum));
    put(t, "tenderd_store_batch_size_count %llu\n", (unsigned long long)cum);
}

static void render_witnesses(textbuf *t, tnd_metrics *m)
{
    size_t n = atomic_load_explicit(&m->n_witnesses, memory_order_acquire);
    if (n == 0)
        return;
    head(t, "tenderd_witness_cosigned_size", "gauge",
         "The largest checkpoint size each witness has cosigned.");
    for (size_t i = 0; i < n; i++) {
        put(t, "tenderd_witness_cosigned_size{witness=\"");
        put_label_value(t, m->witnesses[i].name);
        put(t, "\"} %llu\n", (unsigned long long)get(&m->witnesses[i].cosigned_size));
    }
    head(t, "tenderd_witness_requests_failed_total", "counter",
         "add-checkpoint requests to each witness that failed, by reason: network, timeout, "
         "too_large (answer over 16 KiB), status (an HTTP error), conflict (409: it holds "
         "another size), bad_response (no cosignature that verifies).");
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < N_WITNESS_REASONS; r++) {
            put(t, "tenderd_witness_requests_failed_total{witness=\"");
            put_label_value(t, m->witnesses[i].name);
            put(t, "\",reason=\"%s\"} %llu\n", witness_reasons[r],
                (unsigned long long)get(&m->witnesses[i].failed[r]));
        }
}

static void render_build_info(textbuf *t)
{
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    head(t, "tenderd_build_info", "gauge",
         "Always 1; the labels name this build and the libraries it runs with.");
    put(t, "tenderd_build_info{version=\"");
    put_label_value(t, TND_BUILD_VERSION);
    put(t, "\",libuv=\"%s\",openssl=\"", uv_version_string());
    put_label_value(t, OpenSSL_version(OPENSSL_VERSION_STRING));
    put(t, "\",lmdb=\"%d.%d.%d\"} 1\n", major, minor, patch);
}

static void render_replica(textbuf *t, tnd_metrics *m)
{
    uint64_t role = get(&m->replica_role);
    if (role == 0)
        return; /* one node alone */
    gauge(t, "tenderd_replica_writer", "1 while this node is the writer, 0 while it follows.",
          role == 2);
    gauge(t, "tenderd_replica_term", "The writer lease's term this node last held or saw taken.",
          get(&m->replica_term));
    gauge(t, "tenderd_replica_batch",
          "The last batch this node committed or applied (compare across nodes: the lag).",
          get(&m->replica_batch));
    gauge(t, "tenderd_replica_commit_wait_seconds",
          "How long the batch being committed has waited for PostgreSQL (0: none waits); a "
          "synchronous standby that is down holds every commit.",
          get(&m->replica_commit_wait));
    head(t, "tenderd_replica_demotions_total", "counter",
         "Times this node stopped being the writer (its lease lost or not renewed).");
    put(t, "tenderd_replica_demotions_total %llu\n",
        (unsigned long long)get(&m->replica_demotions));
}

int tnd_metrics_render(tnd_metrics *m, char **out, size_t *len)
{
    textbuf t = {.cap = 16384};
    t.p = malloc(t.cap);
    if (!t.p)
        return TND_ENOMEM;
    t.p[0] = '\0';
    size_t n = atomic_load_explicit(&m->n_methods, memory_order_acquire);
    method_slot *slots[TND_METRICS_MAX_METHODS + 1];
    for (size_t i = 0; i < n; i++)
        slots[i] = &m->methods[i];
    slots[n] = &m->unknown;

    render_build_info(&t);
    render_calls(&t, slots, n + 1);
    head(&t, "tenderd_connections", "gauge", "Open client connections (TLS or still handshaking).");
    put(&t, "tenderd_connections %llu\n", (unsigned long long)get(&m->connections));
    head(&t, "tenderd_tls_handshakes_total", "counter",
         "TLS handshakes by result: completed, or failed (error, timeout or refused client "
         "certificate).");
    put(&t, "tenderd_tls_handshakes_total{result=\"completed\"} %llu\n",
        (unsigned long long)get(&m->handshakes_ok));
    put(&t, "tenderd_tls_handshakes_total{result=\"failed\"} %llu\n",
        (unsigned long long)get(&m->handshakes_failed));
    head(&t, "tenderd_tls_resumptions_total", "counter",
         "Completed TLS handshakes that resumed a session from a ticket.");
    put(&t, "tenderd_tls_resumptions_total %llu\n",
        (unsigned long long)get(&m->handshakes_resumed));
    head(&t, "tenderd_tls_tickets_issued_total", "counter",
         "TLS session tickets sent, to clients that keep them.");
    put(&t, "tenderd_tls_tickets_issued_total %llu\n",
        (unsigned long long)get(&m->tickets_issued));
    render_batches(&t, m);
    gauge(&t, "tenderd_store_write_queue_depth", "Write requests waiting for the writer thread.",
          get(&m->queue_depth));
    gauge(&t, "tenderd_store_map_size_bytes", "Size of the LMDB memory map.",
          get(&m->map_bytes));
    gauge(&t, "tenderd_store_used_bytes", "Bytes of the LMDB map in use (pages up to the last).",
          get(&m->used_bytes));
    gauge(&t, "tenderd_transparency_log_leaves", "Leaves (events) in the transparency log.",
          get(&m->tlog_leaves));
    head(&t, "tenderd_bids_received_total", "counter", "Sealed bids accepted and stored.");
    put(&t, "tenderd_bids_received_total %llu\n", (unsigned long long)get(&m->bids));
    head(&t, "tenderd_writes_refused_total", "counter",
         "Calls to a write method refused because this node is not the writer.");
    put(&t, "tenderd_writes_refused_total %llu\n", (unsigned long long)get(&m->writes_refused));
    render_witnesses(&t, m);
    render_replica(&t, m);
    if (t.oom) {
        free(t.p);
        return TND_ENOMEM;
    }
    *out = t.p;
    *len = t.len;
    return 0;
}
