/* The untimed set-up of the surge: supplier certificates from the throwaway
 * CA (pki API), one connection per supplier, the tender with its committee,
 * and every bid sealed in advance, as suppliers would on their own machines. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "surge.h"
#include "tender/bid.h"
#include "tender/committee_make.h"
#include "tender/identity.h"
#include "tender/pki.h"
#include "tender/receipt.h"
#include "tender/sealed.h"

#define MEMBERS 3
#define THRESHOLD 2

static const char *const member_names[MEMBERS] = {"officer", "admin", "auditor"};

static void path_of(const surge *g, const char *name, const char *ext, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.%s", g->o.pki, name, ext);
}

int surge_issue_suppliers(surge *g)
{
    for (size_t i = 0; i < g->n; i++) {
        supplier *s = &g->sup[i];
        char org[64], err[300], path[1100];
        snprintf(s->name, sizeof s->name, "surge-%05zu", i);
        snprintf(org, sizeof org, "Surge Supplier %05zu", i);
        int rc = tnd_pki_issue(g->o.pki, s->name, "supplier", org, 0, err, sizeof err);
        if (rc != 0 && rc != TND_EEXISTS) { /* an earlier run's certificate is as good */
            fprintf(stderr, "surge: issuing %s: %s\n", s->name, err);
            return -1;
        }
        char crt[1100];
        tnd_identity id;
        path_of(g, s->name, "crt", crt, sizeof crt);
        path_of(g, s->name, "key", path, sizeof path);
        if (tnd_identity_load(&id, crt, path, err, sizeof err) != 0) {
            fprintf(stderr, "surge: %s\n", err);
            return -1;
        }
        s->key = id.key; /* the supplier signs its bid with it */
        id.key = NULL;
        tnd_identity_free(&id);
    }
    return 0;
}

/* ---- connecting: one Health/Check per supplier, a bounded number at once ---- */

static void connect_next(surge *g);

static void connect_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    surge *g = user;
    g->running--;
    g->done++;
    if (code != TND_STATUS_OK) {
        g->failed++;
        snprintf(g->last_error, sizeof g->last_error, "%s: %s", tnd_status_name(code), message);
    }
    connect_next(g);
}

static void connect_next(surge *g)
{
    static const tnd_call_cb cb = {.on_status = connect_status};
    while (g->next < g->n && g->running < (size_t)g->o.connect_in_flight && !g->failed) {
        supplier *s = &g->sup[g->next++];
        tnd_client_call *call;
        tnd_call_opts co = {.timeout_ms = (uint32_t)g->o.timeout_s * 1000u,
                            .max_attempts = surge_attempts(&g->o)};
        if (tnd_client_call_start(s->client, tender_health_v1_Health_Check_method, &co, &cb, g,
                                  &call) != 0) {
            g->failed++;
            snprintf(g->last_error, sizeof g->last_error, "cannot start a call");
            return;
        }
        g->running++;
        tender_health_v1_HealthCheckRequest req = {.service = ""};
        if (tnd_client_call_send(call, &req) != 0)
            tnd_client_call_cancel(call);
        else
            (void)tnd_client_call_close_send(call);
    }
}

void surge_client_opts(const surge_opts *o, tnd_client_opts *co)
{
    bench_servers_use(&o->servers, co);
    co->max_attempts = surge_attempts(o);
}

/* The files of a client as who, from the PKI folder. */
typedef struct files {
    char ca[1100], crt[1100], key[1100];
} files;

/* Client options for who (a supplier's name), pointing into f. */
static void client_as(const surge *g, const char *who, files *f, tnd_client_opts *co)
{
    snprintf(f->ca, sizeof f->ca, "%s/ca.crt", g->o.pki);
    path_of(g, who, "crt", f->crt, sizeof f->crt);
    path_of(g, who, "key", f->key, sizeof f->key);
    tnd_client_opts_init(co);
    surge_client_opts(&g->o, co);
    co->ca_file = f->ca;
    co->cert_file = f->crt;
    co->key_file = f->key;
}

int surge_connect(surge *g, double *secs)
{
    for (size_t i = 0; i < g->n; i++) {
        char err[512];
        files f;
        tnd_client_opts co;
        client_as(g, g->sup[i].name, &f, &co);
        co.connect_timeout_ms = (uint32_t)g->o.timeout_s * 1000u;
        if (tnd_client_new(&g->loop, &co, &g->sup[i].client, err, sizeof err) != 0) {
            fprintf(stderr, "surge: %s: %s\n", g->sup[i].name, err);
            return -1;
        }
    }
    uint64_t t0 = uv_hrtime();
    g->next = g->running = g->done = g->failed = 0;
    connect_next(g);
    while (g->running > 0)
        uv_run(&g->loop, UV_RUN_ONCE);
    *secs = (double)(uv_hrtime() - t0) / 1e9;
    if (g->failed) {
        fprintf(stderr, "surge: %zu of %zu suppliers could not connect; last error: %s\n",
                g->failed, g->n, g->last_error);
        return -1;
    }
    return 0;
}

/* ---- the tender ---- */

static void set_time(tender_common_v1_Timestamp **t, int64_t ms)
{
    *t = calloc(1, sizeof **t);
    if (*t) {
        (*t)->seconds = ms / 1000;
        (*t)->nanos = (int32_t)(ms % 1000) * 1000000;
    }
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int put_bytes(tnd_bytes *b, const uint8_t *src, size_t len)
{
    b->data = malloc(len);
    if (!b->data)
        return -1;
    memcpy(b->data, src, len);
    b->len = len;
    return 0;
}

/* The officer's side (as tenderctl tender create --committee): an opening
 * key split 2 of 3, each share sealed to a member key made here; the
 * members' private keys are dropped, since this tender is never opened. */
static int make_committee(surge *g, tender_tenders_v1_Committee *cm)
{
    cm->threshold = THRESHOLD;
    cm->members = calloc(MEMBERS, sizeof *cm->members);
    if (!cm->members)
        return -1;
    cm->n_members = MEMBERS;
    for (int i = 0; i < MEMBERS; i++) {
        tender_tenders_v1_CommitteeMember *m = &cm->members[i];
        uint8_t sk[32], pk[32];
        int rc = tnd_x25519_keygen(sk, pk);
        OPENSSL_cleanse(sk, sizeof sk);
        if (rc != 0 || !(m->name = strdup(member_names[i])) ||
            put_bytes(&m->public_key, pk, 32) != 0)
            return -1;
    }
    char why[400];
    if (tnd_committee_make(cm, false, why, sizeof why) != 0) {
        fprintf(stderr, "surge: %s\n", why);
        return -1;
    }
    memcpy(g->opening_pk, cm->opening_public_key.data, 32);
    return 0;
}

int surge_tender(surge *g, tnd_client *officer)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    tnd_status_info st;
    int rc = -1;
    int64_t deadline = wall_ms() + g->o.deadline_in_s * 1000;
    q.fields = calloc(1, sizeof *q.fields);
    if (!q.fields || !(q.fields->title = strdup("Bid-deadline surge")) ||
        !(q.fields->committee = calloc(1, sizeof *q.fields->committee))) {
        fprintf(stderr, "surge: out of memory\n");
        goto out;
    }
    set_time(&q.fields->submission_deadline, deadline);
    set_time(&q.fields->opening_time, deadline + 60000);
    if (make_committee(g, q.fields->committee) != 0) {
        fprintf(stderr, "surge: cannot make the committee's keys\n");
        goto out;
    }
    if (tender_tenders_v1_Tenders_Create(officer, &q, &t, NULL, &st) != 0) {
        fprintf(stderr, "surge: Tenders/Create: %s: %s\n", tnd_status_name(st.code), st.message);
        goto out;
    }
    snprintf(g->tender_id, sizeof g->tender_id, "%s", t.id ? t.id : "");
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_Tender_init(&t);
    tender_tenders_v1_TenderRef ref = {.id = g->tender_id};
    if (tender_tenders_v1_Tenders_Publish(officer, &ref, &t, NULL, &st) != 0) {
        fprintf(stderr, "surge: Tenders/Publish %s: %s: %s\n", g->tender_id,
                tnd_status_name(st.code), st.message);
        fprintf(stderr, "surge: (tenderd needs --min-tender-period below %ld s)\n",
                g->o.deadline_in_s);
        goto out;
    }
    rc = 0;
out:
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    return rc;
}

/* ---- complaints on file ---- */

int surge_complaints(surge *g)
{
    enum { TEXT = 20000 }; /* tenderd's longest complaint text (docs/COMPLAINTS.md) */
    char *text = malloc(TEXT + 1);
    if (!text) {
        fprintf(stderr, "surge: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < TEXT; i++)
        text[i] = i % 80 == 79 ? '\n' : (char)('a' + i % 26);
    text[TEXT] = '\0';
    int rc = 0;
    /* Each by another supplier: one may file only --max-complaints-per-supplier. */
    for (long i = 0; rc == 0 && i < g->o.complaints; i++) {
        const char *who = g->sup[(size_t)i % g->n].name;
        char err[512], title[64];
        files f;
        tnd_client_opts co;
        client_as(g, who, &f, &co);
        tnd_client *c = NULL;
        if (tnd_client_open(&co, &c, err, sizeof err) != 0) {
            fprintf(stderr, "surge: %s\n", err);
            rc = -1;
            break;
        }
        snprintf(title, sizeof title, "Surge complaint %ld", i + 1);
        tender_complaints_v1_FileComplaintRequest q = {
            .tender_id = g->tender_id,
            .subject = tender_complaints_v1_Subject_CONDITIONS,
            .title = title,
            .text = text};
        tender_complaints_v1_Complaint out;
        tnd_status_info st;
        if (tender_complaints_v1_Complaints_File(c, &q, &out, NULL, &st) != 0) {
            fprintf(stderr, "surge: Complaints/File %ld (%s): %s: %s\n", i + 1, who,
                    tnd_status_name(st.code), st.message);
            rc = -1;
        } else {
            tender_complaints_v1_Complaint_free(&out);
        }
        tnd_client_free(c);
    }
    free(text);
    return rc;
}

/* ---- sealing ---- */

int surge_seal(surge *g)
{
    size_t doc_len = (size_t)g->o.bid_bytes;
    uint8_t *doc = malloc(doc_len ? doc_len : 1);
    if (!doc || RAND_bytes(doc, (int)doc_len) != 1) {
        free(doc);
        fprintf(stderr, "surge: cannot make the bid document\n");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        supplier *s = &g->sup[i];
        char bid_id[TND_BID_ID_LEN + 1], org[64];
        if (tnd_bid_id_new(bid_id) != 0) {
            fprintf(stderr, "surge: no randomness for a bid id\n");
            rc = -1;
            break;
        }
        snprintf(org, sizeof org, "Surge Supplier %05zu", i);
        tender_bids_v1_BidContent c;
        tender_bids_v1_BidContent_init(&c);
        tender_common_v1_Money price = {.minor_units = 1000000 + (int64_t)i, .currency = "KRW"};
        tender_bids_v1_BidDocument d = {.name = "offer.bin",
                                        .media_type = "application/octet-stream",
                                        .content = {doc, doc_len}};
        c.price = &price;
        c.tender_version = 1; /* the version published */
        c.supplier_org = org;
        c.supplier_name = s->name;
        c.documents = doc_len ? &d : NULL;
        c.n_documents = doc_len ? 1 : 0;
        tender_bids_v1_SealedBid_init(&s->bid);
        rc = tnd_bid_seal(&c, g->tender_id, bid_id, g->opening_pk, s->key, NULL, &s->bid,
                          s->nonce);
        /* tnd_bid_seal set supplier_key and owner_nonce: the only allocations in c */
        c.price = NULL;
        c.supplier_org = c.supplier_name = NULL;
        c.documents = NULL;
        c.n_documents = 0;
        tender_bids_v1_BidContent_free(&c);
        if (rc != 0)
            fprintf(stderr, "surge: sealing %s's bid: %s\n", s->name, tnd_strerror(rc));
    }
    free(doc);
    return rc == 0 ? 0 : -1;
}
