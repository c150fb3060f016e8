/* The collector (witnesses.h): every --witness-interval, when some witness
 * has not cosigned the newest checkpoint and no round is running, build on
 * the loop thread each such witness's add-checkpoint request (old N = what
 * it last cosigned as far as tenderd knows, the consistency proof N -> the
 * newest size from the stored tree, the signed checkpoint), send them all
 * off the loop thread (witness_client.c), and read the answers back on the
 * loop thread: 200, keep each cosignature that verifies with that witness's
 * key; 409, the witness holds another size, so ask again at once from it;
 * anything else, log it and try again next round. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "replica/replica.h"
#include "svc/svc.h"
#include "tlog.h"
#include "witnesses.h"

#define ERR_MAX 512

typedef struct wstate {
    size_t pi;                         /* index in policy.witnesses */
    char url[TND_POLICY_URL_MAX + 32]; /* its prefix + "/add-checkpoint" */
    uint64_t known;                    /* the size it last cosigned, as far as we know */
    bool beyond;                       /* it holds a size beyond this log: not asked again */
    uint64_t got;                      /* the size of its latest cosignature, maybe not yet
                                        * stored; it is not asked again for that size */
    uint64_t refused;                  /* a size it refused with a 4xx: not asked again */
    /* Under mu: GetWitnesses reads them from any thread. */
    uint64_t cosigned_size, cosigned_time;
    char error[ERR_MAX];
} wstate;

typedef struct item {
    size_t wi; /* index in ws */
    uint64_t old;
    char *body;
    tnd_witness_post post;
} item;

typedef struct round {
    tnd_witnesses *c;
    uv_work_t work;
    uint64_t size;
    uint32_t timeout_ms;
    _Atomic bool *abort; /* the collector's, which outlives the round */
    char *note;          /* the signed checkpoint sent */
    size_t n;
    item items[TND_POLICY_MAX];
} round;

struct tnd_witnesses {
    tnd_server *srv;
    tnd_policy policy;
    size_t n; /* witnesses with a URL */
    wstate ws[TND_POLICY_MAX];
    char quorum[2048];
    pthread_mutex_t mu;
    uv_timer_t *timer; /* freed by its close callback */
    round *job;        /* the round in flight, or NULL */
    unsigned writes;   /* cosignature writes in flight */
    bool stopped, freed;
    bool retried; /* a 409's round ran at once since the last tick */
    _Atomic bool abort;
};

static void tick(uv_timer_t *t);
static void round_start(tnd_witnesses *c);

/* ---- the quorum as text ("2 of a, b, c") ---- */

static void describe(const tnd_policy *p, int idx, char *out, size_t cap, bool nested)
{
    size_t len = strlen(out);
    if (len + 1 >= cap)
        return;
    if (idx < TND_POLICY_MAX) {
        snprintf(out + len, cap - len, "%s", p->witnesses[idx].name);
        return;
    }
    const tnd_policy_group *g = &p->groups[idx - TND_POLICY_MAX];
    snprintf(out + len, cap - len, "%s%u of ", nested ? "(" : "", g->k);
    for (size_t i = 0; i < g->n; i++) {
        if (i) {
            len = strlen(out);
            snprintf(out + len, cap - len, ", ");
        }
        describe(p, g->members[i], out, cap, true);
    }
    len = strlen(out);
    if (nested)
        snprintf(out + len, cap - len, ")");
}

/* ---- start and stop ---- */

static int read_policy(const char *path, tnd_policy *p, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "--witness-policy %s: cannot read it", path);
        return TND_EIO;
    }
    char *text = malloc(256 * 1024 + 1);
    size_t len = text ? fread(text, 1, 256 * 1024 + 1, f) : 0;
    bool err_read = ferror(f);
    fclose(f);
    if (!text)
        return TND_ENOMEM;
    if (err_read || len > 256 * 1024) {
        free(text);
        snprintf(err, err_len, "--witness-policy %s: %s", path,
                 err_read ? "cannot read it" : "longer than 256 KiB");
        return err_read ? TND_EIO : TND_EMALFORMED;
    }
    char why[400] = "";
    int rc = tnd_policy_parse(text, len, p, why, sizeof why);
    free(text);
    if (rc != 0) {
        snprintf(err, err_len, "--witness-policy %s: %s", path, why);
        return TND_EMALFORMED;
    }
    return 0;
}

static void forgot(void *arg, int status, const char *message)
{
    tnd_witnesses *c = arg;
    c->writes--;
    if (status != 0)
        tnd_log(TND_LOG_ERROR, "cannot forget the witnessed size", "error", message, NULL);
}

int tnd_witnesses_start(tnd_server *srv, tnd_witnesses **out, char *err, size_t err_len)
{
    *out = NULL;
    if (!srv->cfg.witness_policy[0])
        return 0;
    tnd_witnesses *c = calloc(1, sizeof *c);
    if (!c)
        return TND_ENOMEM;
    int rc = read_policy(srv->cfg.witness_policy, &c->policy, err, err_len);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->srv = srv;
    pthread_mutex_init(&c->mu, NULL);
    if (tnd_policy_is_none(&c->policy))
        snprintf(c->quorum, sizeof c->quorum, "none");
    else
        describe(&c->policy, c->policy.quorum, c->quorum, sizeof c->quorum, false);
    MDB_txn *txn;
    if (tnd_store_read_begin(srv->store, &txn) != 0) {
        snprintf(err, err_len, "cannot read the store");
        tnd_witnesses_free(c);
        return TND_EIO;
    }
    for (size_t i = 0; i < c->policy.n_witnesses && rc == 0; i++) {
        const tnd_policy_witness *pw = &c->policy.witnesses[i];
        wstate *w = &c->ws[c->n];
        w->pi = i;
        rc = tnd_tlog_witness_get(srv->store, txn, &pw->key, &w->cosigned_size, &w->cosigned_time);
        w->known = w->got = w->cosigned_size;
        if (pw->url[0]) {
            size_t ul = strlen(pw->url);
            snprintf(w->url, sizeof w->url, "%.*s/add-checkpoint",
                     (int)(ul && pw->url[ul - 1] == '/' ? ul - 1 : ul), pw->url);
        }
        tnd_metrics_add_witness(srv->metrics, c->n, pw->name);
        tnd_metrics_witness_cosigned(srv->metrics, c->n, w->cosigned_size);
        c->n++;
    }
    /* The witnessed checkpoint must meet this policy's quorum, which may be
     * stricter than the one it met. */
    uint64_t ws = 0;
    char *note = NULL;
    bool stale =
        rc == 0 && !tnd_policy_is_none(&c->policy) &&
        tnd_tlog_witnessed_size(srv->store, txn, &ws) == 0 &&
        tnd_tlog_note_at(srv->store, txn, ws, &note) == 0 &&
        tnd_policy_check(&c->policy, note, strlen(note), NULL, NULL, NULL, 0) == TND_EQUORUM;
    free(note);
    tnd_store_read_end(srv->store, txn);
    if (rc != 0) {
        snprintf(err, err_len, "the witnesses' records in the store are unreadable");
        tnd_witnesses_free(c);
        return TND_EIO;
    }
    if (tnd_witness_client_init() != 0) {
        snprintf(err, err_len, "cannot initialise libcurl");
        tnd_witnesses_free(c);
        return TND_EIO;
    }
    c->timer = malloc(sizeof *c->timer);
    if (!c->timer) {
        tnd_witnesses_free(c);
        return TND_ENOMEM;
    }
    uv_timer_init(srv->loop, c->timer);
    c->timer->data = c;
    uv_timer_start(c->timer, tick, srv->cfg.witness_interval_ms, srv->cfg.witness_interval_ms);
    char n[16];
    snprintf(n, sizeof n, "%zu", c->n);
    tnd_log(TND_LOG_INFO, "witnesses configured", "policy", srv->cfg.witness_policy, "witnesses", n,
            "quorum", c->quorum, NULL);
    /* Last: the write's callback needs c. */
    if (stale && tnd_store_submit(srv->store, tnd_tlog_witnessed_forget, forgot, c) == 0) {
        c->writes++;
        char sz[24];
        snprintf(sz, sizeof sz, "%llu", (unsigned long long)ws);
        tnd_log(TND_LOG_WARN,
                "the witnessed checkpoint does not meet this policy's quorum: none is witnessed "
                "until the witnesses cosign again",
                "size", sz, "quorum", c->quorum, NULL);
    }
    *out = c;
    return 0;
}

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

void tnd_witnesses_stop(tnd_witnesses *c)
{
    if (!c || c->stopped)
        return;
    c->stopped = true;
    atomic_store(&c->abort, true);
    if (c->timer) {
        uv_timer_stop(c->timer);
        uv_close((uv_handle_t *)c->timer, timer_closed);
        c->timer = NULL;
    }
}

static void destroy(tnd_witnesses *c)
{
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void tnd_witnesses_free(tnd_witnesses *c)
{
    if (!c)
        return;
    tnd_witnesses_stop(c);
    c->freed = true;
    if (!c->job) /* else the round's end frees it */
        destroy(c);
}

const tnd_policy *tnd_witnesses_policy(const tnd_witnesses *c)
{
    return c ? &c->policy : NULL;
}

/* ---- status ---- */

static void set_error(tnd_witnesses *c, wstate *w, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_error(tnd_witnesses *c, wstate *w, const char *reason, const char *fmt, ...)
{
    char msg[ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->mu);
    bool same = strcmp(w->error, msg) == 0;
    snprintf(w->error, sizeof w->error, "%s", msg);
    pthread_mutex_unlock(&c->mu);
    tnd_metrics_witness_failed(c->srv->metrics, (size_t)(w - c->ws), reason);
    /* Once per new error, not once per round. */
    tnd_log(same ? TND_LOG_DEBUG : TND_LOG_WARN, "witness request failed", "witness",
            c->policy.witnesses[w->pi].name, "url", w->url, "error", msg, NULL);
}

int tnd_witnesses_status(tnd_witnesses *c, tender_log_v1_Witnesses *out)
{
    tender_log_v1_Witnesses_init(out);
    if (!c)
        return 0;
    out->quorum = strdup(c->quorum);
    out->witnesses = calloc(c->n ? c->n : 1, sizeof *out->witnesses);
    if (!out->quorum || !out->witnesses)
        return TND_ENOMEM;
    MDB_txn *txn;
    if (c->srv && !c->stopped && tnd_store_read_begin(c->srv->store, &txn) == 0) {
        uint64_t ws = 0;
        if (tnd_tlog_witnessed_size(c->srv->store, txn, &ws) == 0)
            out->witnessed_size = ws;
        tnd_store_read_end(c->srv->store, txn);
    }
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const wstate *w = &c->ws[i];
        const tnd_policy_witness *pw = &c->policy.witnesses[w->pi];
        tender_log_v1_Witness *o = &out->witnesses[i];
        tender_log_v1_Witness_init(o);
        out->n_witnesses = i + 1;
        char vkey[TND_NOTE_VKEY_MAX];
        if (tnd_cosigner_format(pw->key.name, pw->key.key, vkey, sizeof vkey) != 0)
            vkey[0] = '\0';
        o->name = strdup(pw->name);
        o->verifier_key = strdup(vkey);
        o->url = strdup(pw->url);
        o->last_error = strdup(w->error);
        o->cosigned_size = w->cosigned_size;
        if (w->cosigned_size)
            tnd_ts_set(&o->cosigned_time, (int64_t)w->cosigned_time * 1000);
        if (!o->name || !o->verifier_key || !o->url || !o->last_error ||
            (w->cosigned_size && !o->cosigned_time))
            rc = TND_ENOMEM;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ---- a round ---- */

static void round_free(round *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].body);
        free(r->items[i].post.resp);
    }
    free(r->note);
    free(r);
}

static void work(uv_work_t *req)
{
    round *r = req->data;
    tnd_witness_post posts[TND_POLICY_MAX];
    for (size_t i = 0; i < r->n; i++)
        posts[i] = r->items[i].post;
    tnd_witness_post_all(posts, r->n, r->timeout_ms, r->abort);
    for (size_t i = 0; i < r->n; i++)
        r->items[i].post = posts[i];
}

/* u first: the store's write function takes the whole as a tnd_cosig_update. */
typedef struct cosig_write {
    tnd_cosig_update u;
    tnd_witnesses *c;
    size_t wi[TND_POLICY_MAX]; /* the wstate of each u.got */
} cosig_write;

static void written(void *arg, int status, const char *message)
{
    cosig_write *cw = arg;
    tnd_witnesses *c = cw->c;
    c->writes--;
    if (status != 0 && !c->stopped)
        tnd_log(TND_LOG_ERROR, "cannot store cosignatures", "error", message, NULL);
    /* What GetWitnesses shows is what is stored; a failed write is asked
     * for again. */
    for (size_t j = 0; j < cw->u.n && !c->stopped; j++) {
        wstate *w = &c->ws[cw->wi[j]];
        if (status != 0) {
            if (w->got == cw->u.size)
                w->got = w->cosigned_size;
            continue;
        }
        pthread_mutex_lock(&c->mu);
        if (cw->u.size >= w->cosigned_size) {
            w->cosigned_size = cw->u.size;
            w->cosigned_time = cw->u.got[j].time;
        }
        pthread_mutex_unlock(&c->mu);
        tnd_metrics_witness_cosigned(c->srv->metrics, cw->wi[j], w->cosigned_size);
    }
    if (status == 0 && cw->u.witnessed && !c->stopped) {
        char sz[24];
        snprintf(sz, sizeof sz, "%llu", (unsigned long long)cw->u.size);
        tnd_log(TND_LOG_INFO, "checkpoint witnessed", "size", sz, "quorum", c->quorum, NULL);
    }
    free(cw);
}

/* The size in a 409's text/x.tlog.size body: decimal, no leading zeros, "\n". */
static bool parse_size(const char *s, size_t len, uint64_t *out)
{
    if (len < 2 || s[len - 1] != '\n' || (s[0] == '0' && len != 2) || len > 21)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* The first line of an answer, printable ASCII only, for a log line. */
static void first_line(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && s[i] != '\n' && o + 1 < cap && o < 200; i++)
        out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[o] = '\0';
}

/* A 200's body: cosignature lines. The first that verifies with the
 * witness's key on the note sent is kept (in line, with its time). */
static bool take_cosig(const round *r, const tnd_note_verifier *key, const char *body, size_t len,
                       char *line, uint64_t *time)
{
    size_t nl0 = strlen(r->note);
    char *buf = malloc(nl0 + TND_COSIG_LINE_MAX + 1);
    bool ok = false;
    for (size_t i = 0; buf && i < len && !ok;) {
        const char *nl = memchr(body + i, '\n', len - i);
        if (!nl)
            break;
        size_t l = (size_t)(nl + 1 - (body + i));
        if (l < TND_COSIG_LINE_MAX) {
            memcpy(buf, r->note, nl0);
            memcpy(buf + nl0, body + i, l);
            buf[nl0 + l] = '\0';
            if (tnd_cosig_verify(buf, nl0 + l, key, time) == 0) {
                memcpy(line, body + i, l);
                line[l] = '\0';
                ok = true;
            }
        }
        i += l;
    }
    free(buf);
    return ok;
}

static void after(uv_work_t *req, int status)
{
    (void)status;
    round *r = req->data;
    tnd_witnesses *c = r->c;
    c->job = NULL;
    if (c->stopped) {
        round_free(r);
        if (c->freed)
            destroy(c);
        return;
    }
    cosig_write *cw = calloc(1, sizeof *cw);
    bool again = false;
    for (size_t i = 0; i < r->n; i++) {
        item *it = &r->items[i];
        wstate *w = &c->ws[it->wi];
        const tnd_policy_witness *pw = &c->policy.witnesses[w->pi];
        tnd_witness_post *p = &it->post;
        char fl[256];
        first_line(p->resp ? p->resp : "", p->resp_len, fl, sizeof fl);
        uint64_t sz;
        if (p->status == 0) {
            set_error(c, w, p->reason ? p->reason : "network", "%s", p->error);
        } else if (p->status == 200) {
            char line[TND_COSIG_LINE_MAX];
            uint64_t t = 0;
            if (!take_cosig(r, &pw->key, p->resp ? p->resp : "", p->resp_len, line, &t)) {
                set_error(c, w, "bad_response",
                          "HTTP 200 without a cosignature that verifies with its key: %s", fl);
                continue;
            }
            w->known = r->size;
            pthread_mutex_lock(&c->mu);
            w->error[0] = '\0';
            pthread_mutex_unlock(&c->mu);
            if (cw) {
                size_t j = cw->u.n++;
                cw->u.got[j].witness = w->pi;
                cw->u.got[j].time = t;
                memcpy(cw->u.got[j].line, line, sizeof line);
                cw->wi[j] = it->wi;
                w->got = r->size;
            }
        } else if (p->status == 409 && parse_size(p->resp ? p->resp : "", p->resp_len, &sz)) {
            if (sz > r->size) {
                w->beyond = true;
                set_error(c, w, "conflict",
                          "it holds a checkpoint of size %llu, beyond this log's %llu: it saw "
                          "another history of this log, or this log was rolled back",
                          (unsigned long long)sz, (unsigned long long)r->size);
                tnd_log(TND_LOG_ERROR, "witness holds a larger checkpoint of this log", "witness",
                        pw->name, "error", w->error, NULL);
            } else {
                /* It holds another size than we thought: ask again from it. */
                tnd_metrics_witness_failed(c->srv->metrics, it->wi, "conflict");
                again |= sz != it->old;
                w->known = sz;
            }
        } else {
            set_error(c, w, p->status == 409 ? "bad_response" : "status", "HTTP %ld: %s", p->status,
                      fl);
            /* It refuses this request itself (422: the proof does not
             * verify against what it holds, a fork; 403: not our key):
             * the same again would be refused again. Asked again with
             * the next checkpoint. A 5xx is asked again next round. */
            if (p->status >= 400 && p->status < 500)
                w->refused = r->size;
        }
    }
    if (cw && cw->u.n) {
        cw->c = c;
        cw->u.policy = &c->policy;
        cw->u.size = r->size;
        if (tnd_store_submit(c->srv->store, tnd_tlog_cosigs_write, written, cw) == 0)
            c->writes++;
        else {
            tnd_log(TND_LOG_WARN, "cannot queue the cosignatures' write", NULL);
            for (size_t j = 0; j < cw->u.n; j++)
                c->ws[cw->wi[j]].got = c->ws[cw->wi[j]].cosigned_size;
            free(cw);
        }
    } else {
        free(cw);
    }
    round_free(r);
    /* At most one round at once after a tick: a witness answering 409
     * with ever other sizes waits for the interval like everyone else. */
    if (again && !c->retried) {
        c->retried = true;
        round_start(c);
    }
}

/* Build one witness's request: old N, the proof N -> size, the note. */
static int build(tnd_witnesses *c, MDB_txn *txn, round *r, wstate *w)
{
    item *it = &r->items[r->n];
    it->wi = (size_t)(w - c->ws);
    it->old = w->known;
    uint8_t proof[TND_WITNESS_MAX_PROOF][TND_MERKLE_HASH_LEN];
    size_t np = 0;
    tnd_tlog_reader rd = {c->srv->store, txn};
    if (it->old > 0 && it->old < r->size &&
        tnd_merkle_prove_consistency(tnd_tlog_node_get, &rd, it->old, r->size, proof,
                                     TND_WITNESS_MAX_PROOF, &np) != 0)
        return TND_EIO;
    size_t len;
    int rc = tnd_witness_request_format(it->old, (const uint8_t(*)[TND_MERKLE_HASH_LEN])proof, np,
                                        r->note, strlen(r->note), &it->body, &len);
    if (rc != 0)
        return rc;
    it->post.url = w->url;
    it->post.body = it->body;
    it->post.body_len = len;
    r->n++;
    return 0;
}

/* A round for every witness behind the newest checkpoint, unless one runs. */
static void round_start(tnd_witnesses *c)
{
    if (c->stopped || c->job || !tnd_store_writable(c->srv->store))
        return;
    MDB_txn *txn;
    if (tnd_store_read_begin(c->srv->store, &txn) != 0)
        return;
    round *r = calloc(1, sizeof *r);
    uint64_t size = 0;
    int rc = r ? tnd_tlog_latest(c->srv->store, txn, &r->note, &size) : TND_ENOMEM;
    if (r)
        r->size = size;
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        wstate *w = &c->ws[i];
        if (w->url[0] && !w->beyond && w->known > size) {
            /* Stored at an earlier run: the store was restored from an
             * older copy, or the witness lied. Either way, not ours to fix. */
            w->beyond = true;
            set_error(c, w, "conflict",
                      "tenderd's record says it cosigned size %llu, beyond this log's %llu: was "
                      "the database restored from an older copy?",
                      (unsigned long long)w->known, (unsigned long long)size);
            continue;
        }
        /* Behind: no cosignature of the latest, even when it told us (409)
         * that it holds that size: it cosigns it again for old = size. */
        if (w->url[0] && !w->beyond && w->got < size && w->refused != size &&
            (rc = build(c, txn, r, w)) != 0) {
            char sz[24];
            snprintf(sz, sizeof sz, "%llu", (unsigned long long)w->known);
            tnd_log(TND_LOG_ERROR, "cannot build a witness request", "witness",
                    c->policy.witnesses[w->pi].name, "old", sz, NULL);
        }
    }
    tnd_store_read_end(c->srv->store, txn);
    if (rc != 0 || r->n == 0) {
        if (r)
            round_free(r);
        return;
    }
    r->c = c;
    r->timeout_ms = c->srv->cfg.witness_timeout_ms;
    r->abort = &c->abort;
    r->work.data = r;
    if (uv_queue_work(c->srv->loop, &r->work, work, after) != 0) {
        round_free(r);
        return;
    }
    c->job = r;
}

static void tick(uv_timer_t *t)
{
    tnd_witnesses *c = t->data;
    c->retried = false;
    /* Replicated: only the writer asks, and stores the cosignatures in its
     * batches; the followers get them with the batches. */
    if (c->srv->replica && !tnd_replica_is_writer(c->srv->replica))
        return;
    round_start(c);
}
