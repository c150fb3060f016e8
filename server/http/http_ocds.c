/* The OCDS release packages of the HTTP API (http_internal.h), built by the
 * builder `tenderctl export ocds` uses (common/ocds/ocds.h) from what the
 * store holds, read as the RPC answers an anonymous caller: the tender as
 * tnd_tender_read_visible shows it (a draft does not exist), each
 * published version, the questions tnd_question_show lets anyone see, the
 * tender's events up to the signed log size (Log/GetLeaves), the opening
 * record once the log has BIDS_OPENED, and each award decision the events
 * name (Awards/GetById).
 *
 *   /api/v1/tenders/ID/ocds                  one tender's package
 *   /api/v1/ocds[?cursor=C&page_size=N]      a page of tenders (Tenders/List's
 *                                            order and cursor), links.next
 *                                            naming the next page
 *
 * The package is the bytes tenderctl writes but for two fields: uri
 * (urn:tenderd:http:ocds) and publishedDate (the date of the newest release,
 * so that an unchanged package keeps its ETag). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awards/awards.h"
#include "http_internal.h"
#include "ocds/ocds.h"
#include "tenders/tenders.h"
#include "tlog/tlog.h"

#define OCDS_URI "urn:tenderd:http:ocds"
#define OCDS_PAGE_DEFAULT 20u
#define OCDS_PAGE_MAX 50u /* tenders per page of /api/v1/ocds */
#define OCDS_LIST_BYTES (4u << 20)

typedef struct award_ctx {
    tnd_store *store;
    MDB_txn *txn;
    const char *tender_id;
} award_ctx;

/* Awards/GetById for the builder: an award of this tender only. */
static int get_award(void *ctx, const char *id, tender_awards_v1_Award *out)
{
    const award_ctx *a = ctx;
    char tender[96];
    uint32_t n = 0;
    uint8_t key[128];
    size_t kl;
    tender_awards_v1_Award_init(out);
    if (!tnd_award_id_parse(id, tender, sizeof tender, &n) || strcmp(tender, a->tender_id) != 0 ||
        !(kl = tnd_key_awards(key, sizeof key, tender, n)))
        return TND_EINVAL;
    return tnd_store_get_msg(a->store, a->txn, TND_TABLE_AWARDS, key, kl,
                             &tender_awards_v1_Award_desc, out);
}

/* The questions an anonymous reader sees, in their order. */
static int read_questions(tnd_store *s, MDB_txn *txn, tnd_ocds_tender *td)
{
    tender_tenders_v1_ListQuestionsResponse *qs = &td->questions;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, tnd_store_dbi(s, TND_TABLE_QUESTIONS), &cur) != 0)
        return TND_EIO;
    uint8_t key[128];
    uint32_t seq;
    MDB_val k = {.mv_size = tnd_key_questions(key, sizeof key, td->id, 1), .mv_data = key}, v;
    int rc = 0;
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && c == 0 && tnd_key_questions_parse(k.mv_data, k.mv_size, td->id, &seq);
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        tender_tenders_v1_Question q;
        tender_tenders_v1_Question_init(&q);
        if (tnd_msg_decode(&tender_tenders_v1_Question_desc, v.mv_data, v.mv_size, &q, NULL) != 0) {
            rc = TND_EIO;
        } else if (tnd_question_show(&q, false, &tnd_http_anonymous)) {
            void *p = realloc(qs->questions, (qs->n_questions + 1) * sizeof *qs->questions);
            if (p) {
                qs->questions = p;
                qs->questions[qs->n_questions++] = q;
                continue;
            }
            rc = TND_ENOMEM;
        }
        tender_tenders_v1_Question_free(&q);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Everything but the events about the visible tender latest (taken over). */
static int read_record(tnd_store *s, MDB_txn *txn, tnd_tender *latest, tnd_ocds_tender *td)
{
    uint32_t n = latest->version;
    if (!(td->versions = calloc(n, sizeof *td->versions))) {
        tender_tenders_v1_Tender_free(latest);
        return TND_ENOMEM;
    }
    td->versions[n - 1] = *latest;
    td->n_versions = n;
    td->id = td->versions[n - 1].id;
    tnd_ocds_set_ocid(td, TND_OCDS_PREFIX, td->id);
    for (uint32_t v = 1; v < n; v++) {
        uint8_t key[128];
        size_t kl = tnd_key_tender_versions(key, sizeof key, td->id, v);
        tender_tenders_v1_Tender_init(&td->versions[v - 1]);
        int rc = tnd_store_get_msg(s, txn, TND_TABLE_TENDER_VERSIONS, key, kl,
                                   &tender_tenders_v1_Tender_desc, &td->versions[v - 1]);
        if (rc)
            return rc;
    }
    return read_questions(s, txn, td);
}

/* The events of one tender up to the signed size, found through the
 * tender_events index: what a request costs follows that tender, not the
 * length of the whole log. */
static int read_tender_events(tnd_store *s, MDB_txn *txn, tnd_ocds_tender *td, uint64_t size)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, tnd_store_dbi(s, TND_TABLE_TENDER_EVENTS), &cur) != 0)
        return TND_EIO;
    uint8_t ik[TND_KEY_TENDER_EVENTS_MAX];
    MDB_val k = {.mv_size = tnd_key_tender_events(ik, sizeof ik, td->id, 0), .mv_data = ik}, v;
    int rc = k.mv_size ? 0 : TND_EIO;
    uint64_t seq;
    for (int c = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && c == 0 && tnd_key_tender_events_parse(k.mv_data, k.mv_size, td->id, &seq) &&
         seq < size;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint8_t k8[TND_KEY_EVENTS_LEN];
        MDB_val ek = {.mv_size = tnd_key_events(k8, seq), .mv_data = k8}, ev_val;
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        int taken = 0;
        if (mdb_get(txn, tnd_store_dbi(s, TND_TABLE_EVENTS), &ek, &ev_val) != 0 ||
            tnd_msg_decode(&tender_events_v1_Event_desc, ev_val.mv_data, ev_val.mv_size, &ev,
                           NULL) != 0 ||
            ev.seq != seq || !ev.tender_id || strcmp(ev.tender_id, td->id) != 0)
            rc = TND_EIO; /* the index names an event the log does not hold */
        else if ((taken = tnd_ocds_take_event(td, &ev)) < 0)
            rc = TND_ENOMEM;
        if (taken != 1)
            tender_events_v1_Event_free(&ev);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* The events of the tenders td[0..n) up to the signed size. */
static int read_events(tnd_store *s, MDB_txn *txn, tnd_ocds_tender *td, size_t n)
{
    char *note = NULL;
    uint64_t size = 0;
    int rc = tnd_tlog_latest(s, txn, &note, &size);
    free(note);
    if (rc == TND_ENOTFOUND)
        return 0; /* nothing signed yet */
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = read_tender_events(s, txn, &td[i], size);
    return rc;
}

/* The opening record and the awards, once the events are in. */
static int read_outcome(tnd_store *s, MDB_txn *txn, tnd_ocds_tender *td)
{
    if (td->opened) {
        tender_bids_v1_OpeningRecord_init(&td->opening);
        uint8_t key[TND_KEY_TENDER_ID_MAX];
        size_t kl = tnd_key_openings(key, td->id);
        int rc = kl ? tnd_store_get_msg(s, txn, TND_TABLE_OPENINGS, key, kl,
                                        &tender_bids_v1_OpeningRecord_desc, &td->opening)
                    : TND_ENOTFOUND;
        if (rc) {
            tender_bids_v1_OpeningRecord_free(&td->opening);
            return rc;
        }
        td->have_opening = true;
    }
    award_ctx a = {.store = s, .txn = txn, .tender_id = td->id};
    int rc = tnd_ocds_fill_awards(td, get_award, &a);
    return rc < 0 ? TND_ENOMEM : rc;
}

/* The package of releases as text, publishedDate the newest release's. */
static enum MHD_Result send_package(tnd_http_req *r, json_t *releases, const char *next)
{
    int64_t published = (int64_t)time(NULL);
    size_t n = json_array_size(releases);
    if (n) {
        int64_t newest = 0;
        for (size_t i = 0; i < n; i++) {
            const char *d = json_string_value(json_object_get(json_array_get(releases, i), "date"));
            struct tm tm = {0};
            if (d && strptime(d, "%Y-%m-%dT%H:%M:%S", &tm) && timegm(&tm) > newest)
                newest = (int64_t)timegm(&tm);
        }
        if (newest)
            published = newest;
    }
    json_t *pkg = tnd_ocds_package(releases, OCDS_URI, TND_OCDS_PUBLISHER, published);
    json_decref(releases);
    if (pkg && next && *next) {
        /* The OCDS pagination extension's links.next. */
        static const char hx[] = "0123456789ABCDEF";
        char url[1024];
        size_t o = (size_t)snprintf(url, sizeof url, "/api/v1/ocds?cursor=");
        for (const unsigned char *p = (const unsigned char *)next; *p && o + 4 < sizeof url; p++) {
            if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                *p == '.' || *p == '-' || *p == '_') {
                url[o++] = (char)*p;
            } else {
                url[o++] = '%';
                url[o++] = hx[*p >> 4];
                url[o++] = hx[*p & 15];
            }
        }
        url[o] = '\0';
        json_object_set_new(pkg, "links", json_pack("{s:s}", "next", url));
    }
    char *text = pkg ? json_dumps(pkg, TND_OCDS_DUMP_FLAGS) : NULL;
    json_decref(pkg);
    if (!text)
        return tnd__http_error(r, TND_STATUS_RESOURCE_EXHAUSTED, "the server is out of memory");
    size_t len = strlen(text);
    text[len] = '\n'; /* as tenderctl writes it: the NUL overwritten, sent by length */
    return tnd__http_send(r, "application/json", text, len + 1, TND_HTTP_SHORT, NULL);
}

static enum MHD_Result store_error(tnd_http_req *r, int rc, const char *what)
{
    if (rc == TND_ENOMEM)
        return tnd__http_error(r, TND_STATUS_RESOURCE_EXHAUSTED, "the server is out of memory");
    return tnd__http_error(r, TND_STATUS_DATA_LOSS, "the public record of %s is unreadable", what);
}

enum MHD_Result tnd__http_ocds_tender(tnd_http_req *r, const char *id)
{
    MDB_txn *txn;
    if (tnd_store_read_begin(r->store, &txn) != 0)
        return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int rc = tnd_tender_read_visible(r->store, txn, id, &tnd_http_anonymous, &t);
    if (rc == 0 && (t.version < 1 || !tnd_ocds_public(t.status)))
        rc = TND_ENOTFOUND; /* a draft is never exported */
    if (rc) {
        tnd_store_read_end(r->store, txn);
        tender_tenders_v1_Tender_free(&t);
        return rc == TND_ENOTFOUND
                   ? tnd__http_error(r, TND_STATUS_NOT_FOUND, "tender %s not found", id)
                   : store_error(r, rc, id);
    }
    tnd_ocds_tender td = {0};
    tender_tenders_v1_ListQuestionsResponse_init(&td.questions);
    rc = read_record(r->store, txn, &t, &td);
    if (rc == 0)
        rc = read_events(r->store, txn, &td, 1);
    if (rc == 0)
        rc = read_outcome(r->store, txn, &td);
    tnd_store_read_end(r->store, txn);
    json_t *releases = json_array();
    if (rc == 0 && (!releases || tnd_ocds_releases(&td, NULL, releases) != 0))
        rc = TND_ENOMEM;
    tnd_ocds_tender_free(&td);
    if (rc) {
        json_decref(releases);
        return store_error(r, rc, id);
    }
    return send_package(r, releases, NULL);
}

enum MHD_Result tnd__http_ocds_all(tnd_http_req *r)
{
    const char *cursor = tnd__http_arg(r, "cursor"), *ps = tnd__http_arg(r, "page_size");
    unsigned long want = OCDS_PAGE_DEFAULT;
    char *end = NULL;
    if (ps) {
        want = strtoul(ps, &end, 10);
        if (!*ps || *end || *ps < '0' || *ps > '9' || want < 1 || want > OCDS_PAGE_MAX)
            return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                                  "page_size: 1..%u tenders; cursor: the links.next of the "
                                  "previous page",
                                  OCDS_PAGE_MAX);
    }
    tender_tenders_v1_ListTendersRequest q;
    tender_tenders_v1_ListTendersRequest_init(&q);
    q.page_size = (uint32_t)want;
    q.cursor = (char *)cursor; /* borrowed; cleared before the free */
    tender_tenders_v1_ListTendersResponse resp;
    tender_tenders_v1_ListTendersResponse_init(&resp);
    char next[260], msg[160];
    int st = tnd_tender_list_page(r->store, &q, &tnd_http_anonymous, OCDS_LIST_BYTES, &resp, next,
                                  sizeof next, msg, sizeof msg);
    q.cursor = NULL;
    tender_tenders_v1_ListTendersRequest_free(&q);
    if (st) {
        tender_tenders_v1_ListTendersResponse_free(&resp);
        return tnd__http_error(r, st, "%s", msg);
    }
    /* Listed in one transaction, read in another: a tender listed is read
     * again as it is now, and one gone since is left out. */
    tnd_ocds_tender *td = calloc(resp.n_tenders ? resp.n_tenders : 1, sizeof *td);
    MDB_txn *txn;
    int rc = td ? 0 : TND_ENOMEM;
    if (rc == 0 && tnd_store_read_begin(r->store, &txn) != 0) {
        free(td);
        tender_tenders_v1_ListTendersResponse_free(&resp);
        return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    }
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < resp.n_tenders; i++) {
        tnd_tender t;
        tender_tenders_v1_Tender_init(&t);
        const char *id = resp.tenders[i].id ? resp.tenders[i].id : "";
        int v = tnd_tender_read_visible(r->store, txn, id, &tnd_http_anonymous, &t);
        if (v != 0 || t.version < 1 || !tnd_ocds_public(t.status)) {
            tender_tenders_v1_Tender_free(&t);
            if (v != 0 && v != TND_ENOTFOUND)
                rc = v;
            continue;
        }
        tender_tenders_v1_ListQuestionsResponse_init(&td[n].questions);
        rc = read_record(r->store, txn, &t, &td[n]);
        n++;
    }
    if (rc == 0)
        rc = read_events(r->store, txn, td, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = read_outcome(r->store, txn, &td[i]);
    if (td)
        tnd_store_read_end(r->store, txn);
    json_t *releases = json_array();
    if (rc == 0 && !releases)
        rc = TND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (tnd_ocds_releases(&td[i], NULL, releases) != 0)
            rc = TND_ENOMEM;
    for (size_t i = 0; i < n; i++)
        tnd_ocds_tender_free(&td[i]);
    free(td);
    tender_tenders_v1_ListTendersResponse_free(&resp);
    if (rc) {
        json_decref(releases);
        return store_error(r, rc, "the tenders");
    }
    return send_package(r, releases, next);
}
