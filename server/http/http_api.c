/* The public JSON API, /api/v1/ (http.h). Everything is what an anonymous
 * RPC client may read, decided by the same functions (tnd_tender_read_visible,
 * tnd_tender_list_page, tnd_question_show); messages become JSON through the
 * converter tenderctl --json uses (common/json/msg_json.h), so field names
 * are the same.
 *
 *   /api/v1/tenders                         Tenders/List's filters and paging
 *   /api/v1/tenders/ID[?version=N]          one tender (a version: immutable)
 *   /api/v1/tenders/ID/documents            its documents' records
 *   /api/v1/tenders/ID/documents/DOC        the content, with its media type and SHA-256
 *   /api/v1/tenders/ID/questions            answered questions, paged
 *   /api/v1/tenders/ID/opening              the opening record
 *   /api/v1/tenders/ID/awards               every award decision
 *   /api/v1/tenders/ID/complaints           the complaints made public (accepted for
 *                                           review), without who complained
 *   /api/v1/tenders/ID/events               the tender's log events, paged
 *   /api/v1/tenders/ID/ocds                 its OCDS release package (http_ocds.c)
 *   /api/v1/ocds                            the OCDS releases of a page of tenders
 *   /api/v1/feed?since=N                    every log event from leaf N, in order
 *   /api/v1/log/witnesses                   the log's witnesses (Log/GetWitnesses)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awards/awards.h"
#include "bids/bids.h"
#include "complaints/complaints.h"
#include "http_internal.h"
#include "tender/blind.h"
#include "tender/currency.h"
#include "tenders/tenders.h"
#include "tlog/tlog.h"
#include "json/msg_json.h"

#define T_DESC (&tender_tenders_v1_Tender_desc)
#define EV_DESC (&tender_events_v1_Event_desc)
#define PAGE_BYTES (4u << 20) /* a list page stops growing here */
#define FEED_DEFAULT 100u
#define FEED_MAX 1000u
#define SCAN_MAX 10000u         /* events looked at per page of a tender's events */
#define DOC_BLOCK (64u * 1024u) /* document bytes read per read transaction */

/* A decimal argument in [lo, hi]; absent: def. false when malformed. */
static bool arg_u64(tnd_http_req *r, const char *name, uint64_t def, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    const char *s = tnd__http_arg(r, name);
    *out = def;
    if (!s)
        return true;
    if (!*s || strlen(s) > 19)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "2026-12-01T10:00:00Z" into a Timestamp; false when malformed. */
static bool arg_time(tnd_http_req *r, const char *name, tender_common_v1_Timestamp **out)
{
    const char *s = tnd__http_arg(r, name);
    if (!s)
        return true;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return false;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return false;
    (*out)->seconds = (int64_t)timegm(&tm);
    return true;
}

/* value_min, value_max and currency: decimal amounts read exactly in the
 * currency's minor units, into lo and hi (borrowed by q). Currency alone:
 * tenders valued in it. false with msg when malformed. */
static bool arg_value(tnd_http_req *r, tender_tenders_v1_ListTendersRequest *q,
                      tender_common_v1_Money *lo, tender_common_v1_Money *hi, char code[4],
                      char *msg, size_t len)
{
    const char *cur = tnd__http_arg(r, "currency"),
               *text[2] = {tnd__http_arg(r, "value_min"), tnd__http_arg(r, "value_max")};
    static const char *const name[2] = {"value_min", "value_max"};
    if (!cur && !text[0] && !text[1])
        return true;
    char err[240];
    int exp;
    if (!cur) {
        snprintf(msg, len, "%s: give the currency too (currency=EUR)", text[0] ? name[0] : name[1]);
        return false;
    }
    if (tnd_currency_parse(cur, code, &exp, err, sizeof err) != 0) {
        snprintf(msg, len, "currency: %s", err);
        return false;
    }
    tender_common_v1_Money *m[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        if (!text[i])
            continue;
        if (tnd_amount_parse(text[i], code, exp, &m[i]->minor_units, err, sizeof err) != 0) {
            snprintf(msg, len, "%s: %s", name[i], err);
            return false;
        }
        m[i]->currency = code;
    }
    q->value_min = text[0] ? lo : NULL;
    q->value_max = text[1] ? hi : NULL;
    if (!text[0] && !text[1]) { /* currency alone: any amount in it */
        lo->currency = code;
        q->value_min = lo;
    }
    return true;
}

/* The tender id segment: copy and check it. */
static bool take_id(const char *s, size_t len, char *out, size_t cap)
{
    if (!tnd__http_id_ok(s, len) || len >= cap)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

static enum MHD_Result list_tenders(tnd_http_req *r)
{
    tender_tenders_v1_ListTendersRequest q;
    tender_tenders_v1_ListTendersRequest_init(&q);
    uint64_t page = 0;
    const char *status = tnd__http_arg(r, "status");
    bool ok = arg_u64(r, "page_size", TND_LIST_DEFAULT, 1, TND_LIST_MAX, &page) &&
              arg_time(r, "deadline_from", &q.deadline_from) &&
              arg_time(r, "deadline_to", &q.deadline_to);
    if (ok && status) {
        const tnd_enum_desc *e = &tender_tenders_v1_TenderStatus_desc;
        ok = false;
        for (size_t i = 1; i < e->n_values; i++)
            if (strcasecmp(e->values[i].name, status) == 0) {
                q.status = e->values[i].number;
                ok = true;
            }
    }
    if (!ok) {
        tender_tenders_v1_ListTendersRequest_free(&q);
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                               "bad query: page_size 1..%u, status a tender status name "
                               "(ACTIVE, CLOSED, ...), deadline_from and deadline_to as "
                               "2026-12-01T10:00:00Z",
                               TND_LIST_MAX);
    }
    tender_common_v1_Money lo = {0}, hi = {0};
    char code[4] = "", bad[300];
    if (!arg_value(r, &q, &lo, &hi, code, bad, sizeof bad)) {
        tender_tenders_v1_ListTendersRequest_free(&q);
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT, "bad query: %s", bad);
    }
    q.page_size = (uint32_t)page;
    /* Borrowed from the request; cleared before the free. */
    q.buyer = (char *)tnd__http_arg(r, "buyer");
    q.classification_prefix = (char *)tnd__http_arg(r, "classification");
    q.text = (char *)tnd__http_arg(r, "text");
    q.cursor = (char *)tnd__http_arg(r, "cursor");
    tender_tenders_v1_ListTendersResponse resp;
    tender_tenders_v1_ListTendersResponse_init(&resp);
    char next[260], msg[160];
    int st = tnd_tender_list_page(r->store, &q, &tnd_http_anonymous, PAGE_BYTES, &resp, next,
                                  sizeof next, msg, sizeof msg);
    q.buyer = q.classification_prefix = q.text = q.cursor = NULL;
    q.value_min = q.value_max = NULL;
    tender_tenders_v1_ListTendersRequest_free(&q);
    resp.next_cursor = next;
    json_t *v = st ? NULL : tnd_json_msg(&tender_tenders_v1_ListTendersResponse_desc, &resp);
    resp.next_cursor = NULL;
    tender_tenders_v1_ListTendersResponse_free(&resp);
    if (st)
        return tnd__http_error(r, st, "%s", msg);
    return tnd__http_json(r, v, TND_HTTP_SHORT);
}

/* Read the tender as an anonymous reader may see it; on failure answers
 * and returns false (*res set). */
static bool read_tender(tnd_http_req *r, MDB_txn *txn, const char *id, tnd_tender *t,
                        enum MHD_Result *res)
{
    int rc = tnd_tender_read_visible(r->store, txn, id, &tnd_http_anonymous, t);
    if (rc == 0)
        return true;
    tnd_store_read_end(r->store, txn);
    *res = rc == TND_ENOTFOUND
               ? tnd__http_error(r, TND_STATUS_NOT_FOUND, "tender %s not found", id)
               : tnd__http_error(r, TND_STATUS_DATA_LOSS, "tender %s is unreadable", id);
    return false;
}

static bool begin(tnd_http_req *r, MDB_txn **txn, enum MHD_Result *res)
{
    if (tnd_store_read_begin(r->store, txn) == 0)
        return true;
    *res = tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    return false;
}

/* A read transaction and tender id as an anonymous reader sees it. On false,
 * *res is the error answer, t is freed and no transaction is open; on true
 * the caller ends txn and frees t. */
static bool open_tender(tnd_http_req *r, const char *id, MDB_txn **txn, tnd_tender *t,
                        enum MHD_Result *res)
{
    tender_tenders_v1_Tender_init(t);
    if (begin(r, txn, res) && read_tender(r, *txn, id, t, res))
        return true;
    tender_tenders_v1_Tender_free(t);
    return false;
}

static enum MHD_Result get_tender(tnd_http_req *r, const char *id, bool docs_only)
{
    uint64_t version = 0;
    if (!arg_u64(r, "version", 0, 1, UINT32_MAX, &version))
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT, "version: a number from 1");
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    int rc = 0;
    uint32_t latest = t.version;
    /* As Tenders/Get: a version by number is that version as published. */
    if (version > latest) {
        rc = TND_ENOTFOUND;
    } else if (version) {
        uint8_t key[128];
        size_t kl = tnd_key_tender_versions(key, sizeof key, id, (uint32_t)version);
        tender_tenders_v1_Tender_free(&t);
        tender_tenders_v1_Tender_init(&t);
        rc = tnd_store_get_msg(r->store, txn, TND_TABLE_TENDER_VERSIONS, key, kl, T_DESC, &t);
    }
    tnd_store_read_end(r->store, txn);
    json_t *v = NULL;
    if (rc == 0 && docs_only) {
        v = json_array();
        for (size_t i = 0; v && i < t.n_documents; i++)
            json_array_append_new(v,
                                  tnd_json_msg(&tender_tenders_v1_Document_desc, &t.documents[i]));
        v = json_pack("{s:o}", "documents", v ? v : json_array());
    } else if (rc == 0) {
        v = tnd_json_msg(T_DESC, &t);
    }
    tender_tenders_v1_Tender_free(&t);
    if (rc == TND_ENOTFOUND)
        return tnd__http_error(r, TND_STATUS_NOT_FOUND,
                               "tender %s has no version %llu (the "
                               "latest is %u)",
                               id, (unsigned long long)version, latest);
    if (rc)
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "tender %s is unreadable", id);
    return tnd__http_json(r, v, version ? TND_HTTP_IMMUTABLE : TND_HTTP_SHORT);
}

/* ---- documents: streamed a block per read transaction ---- */

typedef struct doc_reader {
    tnd_store *store;
    char id[96];
    uint64_t size;
} doc_reader;

static ssize_t doc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    doc_reader *d = cls;
    MDB_txn *txn;
    if (pos >= d->size)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (tnd_store_read_begin(d->store, &txn) != 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    uint8_t key[TND_KEY_DOCUMENT_ID_MAX];
    MDB_val k = {.mv_size = tnd_key_documents(key, d->id), .mv_data = key}, v;
    ssize_t n = MHD_CONTENT_READER_END_WITH_ERROR;
    /* Documents are never rewritten; a size that differs is not the same one. */
    if (k.mv_size && mdb_get(txn, tnd_store_dbi(d->store, TND_TABLE_DOCUMENTS), &k, &v) == 0 &&
        v.mv_size == d->size) {
        size_t len = d->size - pos < max ? (size_t)(d->size - pos) : max;
        memcpy(buf, (const char *)v.mv_data + pos, len);
        n = (ssize_t)len;
    }
    tnd_store_read_end(d->store, txn);
    return n;
}

/* The document name as a Content-Disposition filename* (RFC 8187): every
 * byte outside a safe set percent-encoded, so no quote, CR or LF gets in. */
static void disposition(const char *name, char *out, size_t cap)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t o = (size_t)snprintf(out, cap, "attachment; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hx[*p >> 4];
            out[o++] = hx[*p & 15];
        }
    }
    out[o] = '\0';
}

static enum MHD_Result get_document(tnd_http_req *r, const char *id, const char *doc_id)
{
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    tnd_store_read_end(r->store, txn);
    const tender_tenders_v1_Document *d = NULL;
    for (size_t i = 0; i < t.n_documents; i++)
        if (t.documents[i].id && strcmp(t.documents[i].id, doc_id) == 0)
            d = &t.documents[i];
    if (!d || d->sha256.len != 32) {
        tender_tenders_v1_Tender_free(&t);
        return tnd__http_error(r, TND_STATUS_NOT_FOUND, "tender %s has no document %s", id, doc_id);
    }
    char etag[70], hex[65], disp[900], type[130];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d->sha256.data[i]);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    disposition(d->name ? d->name : doc_id, disp, sizeof disp);
    /* A media type is shown only when it is one token/token; else the safe default. */
    snprintf(type, sizeof type, "%s", d->media_type && *d->media_type ? d->media_type : "");
    bool type_ok = strchr(type, '/') != NULL;
    for (const char *p = type; *p && type_ok; p++)
        type_ok = (*p > ' ' && *p < 0x7f && *p != '"' && *p != ',' && *p != ';');
    doc_reader *rd = calloc(1, sizeof *rd);
    if (rd) {
        rd->store = r->store;
        snprintf(rd->id, sizeof rd->id, "%s", doc_id);
        rd->size = d->size;
    }
    tender_tenders_v1_Tender_free(&t);
    if (!rd)
        return tnd__http_error(r, TND_STATUS_RESOURCE_EXHAUSTED, "the server is out of memory");
    const char *inm =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool same = inm && (strcmp(inm, "*") == 0 || strstr(inm, etag));
    struct MHD_Response *resp =
        same ? MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT)
             : MHD_create_response_from_callback(rd->size, DOC_BLOCK, doc_read, rd, free);
    if (same)
        free(rd);
    if (!resp) {
        if (!same)
            free(rd);
        return MHD_NO;
    }
    if (!same) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                type_ok ? type : "application/octet-stream");
        MHD_add_response_header(resp, "Content-Disposition", disp);
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, "X-Content-SHA256", hex);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "public, max-age=31536000, immutable");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    res = MHD_queue_response(r->conn, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return res;
}

/* ---- questions: answered ones, paged by their id "Q-<seq>" ---- */

static enum MHD_Result get_questions(tnd_http_req *r, const char *id)
{
    const char *cursor = tnd__http_arg(r, "cursor");
    unsigned after = 0;
    char tail;
    uint64_t want;
    if ((cursor && *cursor && sscanf(cursor, "Q-%u%c", &after, &tail) != 1) ||
        !arg_u64(r, "page_size", 100, 1, TND_QUESTIONS_PAGE_MAX, &want))
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                               "cursor: the next_cursor of the previous page; page_size 1..%u",
                               TND_QUESTIONS_PAGE_MAX);
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    json_t *arr = json_array();
    char next[32] = "";
    size_t n = 0;
    MDB_cursor *cur;
    if (after < UINT32_MAX &&
        mdb_cursor_open(txn, tnd_store_dbi(r->store, TND_TABLE_QUESTIONS), &cur) == 0) {
        uint8_t key[128];
        uint32_t seq;
        MDB_val k = {.mv_size = tnd_key_questions(key, sizeof key, t.id, after + 1),
                     .mv_data = key},
                v;
        for (int c = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             c == 0 && tnd_key_questions_parse(k.mv_data, k.mv_size, t.id, &seq);
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            tender_tenders_v1_Question q;
            tender_tenders_v1_Question_init(&q);
            if (tnd_msg_decode(&tender_tenders_v1_Question_desc, v.mv_data, v.mv_size, &q, NULL) ==
                    0 &&
                tnd_question_show(&q, false, &tnd_http_anonymous)) {
                if (n == want) {
                    tender_tenders_v1_Question_free(&q);
                    break;
                }
                json_array_append_new(arr, tnd_json_msg(&tender_tenders_v1_Question_desc, &q));
                snprintf(next, sizeof next, "%s", q.id ? q.id : "");
                n++;
            }
            tender_tenders_v1_Question_free(&q);
        }
        /* A full page names its last question; the next page may be empty. */
        if (n < want)
            next[0] = '\0';
        mdb_cursor_close(cur);
    }
    tnd_store_read_end(r->store, txn);
    tender_tenders_v1_Tender_free(&t);
    return tnd__http_json(
        r, json_pack("{s:o,s:s}", "questions", arr ? arr : json_array(), "next_cursor", next),
        TND_HTTP_SHORT);
}

static enum MHD_Result get_opening(tnd_http_req *r, const char *id)
{
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_openings(key, id);
    int rc = kl ? tnd_store_get_msg(r->store, txn, TND_TABLE_OPENINGS, key, kl,
                                    &tender_bids_v1_OpeningRecord_desc, &rec)
                : TND_ENOTFOUND;
    tnd_store_read_end(r->store, txn);
    tender_tenders_v1_Tender_free(&t);
    json_t *v = rc ? NULL : tnd_json_msg(&tender_bids_v1_OpeningRecord_desc, &rec);
    tender_bids_v1_OpeningRecord_free(&rec);
    if (rc == TND_ENOTFOUND)
        return tnd__http_error(r, TND_STATUS_NOT_FOUND, "tender %s has not been opened", id);
    if (rc)
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "the opening record of %s is unreadable",
                               id);
    /* An opening record is written once. */
    return tnd__http_json(r, v, TND_HTTP_IMMUTABLE);
}

static enum MHD_Result get_awards(tnd_http_req *r, const char *id)
{
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    json_t *arr = json_array();
    int rc = 0;
    for (uint32_t seq = 1; arr && rc == 0; seq++) {
        uint8_t key[128];
        size_t kl = tnd_key_awards(key, sizeof key, id, seq);
        tender_awards_v1_Award a;
        tender_awards_v1_Award_init(&a);
        rc = kl ? tnd_store_get_msg(r->store, txn, TND_TABLE_AWARDS, key, kl,
                                    &tender_awards_v1_Award_desc, &a)
                : TND_EINVAL;
        if (rc == 0)
            json_array_append_new(arr, tnd_json_msg(&tender_awards_v1_Award_desc, &a));
        tender_awards_v1_Award_free(&a);
    }
    tnd_store_read_end(r->store, txn);
    tender_tenders_v1_Tender_free(&t);
    if (rc != TND_ENOTFOUND) {
        json_decref(arr);
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "the awards of %s are unreadable", id);
    }
    return tnd__http_json(r, json_pack("{s:o}", "awards", arr ? arr : json_array()),
                          TND_HTTP_SHORT);
}

/* The public views of the complaints accepted for review, as Complaints/List
 * answers an anonymous caller (docs/COMPLAINTS.md, "What is public"). */
static enum MHD_Result get_complaints(tnd_http_req *r, const char *id)
{
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tnd_complaint *list;
    size_t n;
    int rc = tnd_complaint_list_all(txn, r->store, id, &a, &list, &n);
    tnd_store_read_end(r->store, txn);
    tender_tenders_v1_Tender_free(&t);
    json_t *arr = rc ? NULL : json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!tnd_complaint_is_public(&list[i]))
            continue;
        tnd_complaint pub;
        tnd_complaint_public(&list[i], &pub);
        json_array_append_new(arr, tnd_json_msg(&tender_complaints_v1_Complaint_desc, &pub));
    }
    tnd_arena_free(&a);
    if (rc)
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "the complaints of %s are unreadable", id);
    return tnd__http_json(r, json_pack("{s:o}", "complaints", arr ? arr : json_array()),
                          TND_HTTP_SHORT);
}

/* ---- events: a tender's, and the feed of all ---- */

/* Events from leaf `from` up to the signed size, those about tender (NULL:
 * all), at most `want`, looking at no more than `scan`. The cursor is the
 * next leaf index to look at, so a follower neither misses nor repeats one. */
static enum MHD_Result events(tnd_http_req *r, const char *tender, const uint8_t *tag_key,
                              uint64_t from, uint64_t want, uint64_t scan, const char *list_name)
{
    MDB_txn *txn;
    enum MHD_Result res;
    if (!begin(r, &txn, &res))
        return res;
    char *note = NULL;
    uint64_t size = 0;
    int rc = tnd_tlog_latest(r->store, txn, &note, &size);
    free(note);
    if (rc == TND_ENOTFOUND)
        size = 0;
    else if (rc) {
        tnd_store_read_end(r->store, txn);
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "the log is unreadable");
    }
    if (from > size) {
        tnd_store_read_end(r->store, txn);
        return tnd__http_error(r, TND_STATUS_OUT_OF_RANGE,
                               "since %llu is beyond the signed log (size %llu)",
                               (unsigned long long)from, (unsigned long long)size);
    }
    json_t *arr = json_array();
    uint64_t next = from, n = 0, looked = 0;
    MDB_cursor *cur;
    int bad = 0;
    if (from < size && mdb_cursor_open(txn, tnd_store_dbi(r->store, TND_TABLE_EVENTS), &cur) == 0) {
        uint8_t k8[TND_KEY_EVENTS_LEN];
        MDB_val k = {.mv_size = tnd_key_events(k8, from), .mv_data = k8}, v;
        for (int c = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             c == 0 && next < size && n < want && looked < scan;
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT), looked++) {
            tender_events_v1_Event ev;
            tender_events_v1_Event_init(&ev);
            if (tnd_msg_decode(EV_DESC, v.mv_data, v.mv_size, &ev, NULL) != 0 || ev.seq != next) {
                tender_events_v1_Event_free(&ev);
                bad = 1;
                break;
            }
            /* Bid events name no tender: they are the tender's once its bid
             * tag key is public and links them (docs/LOG.md, section 10). */
            if (!tender || (ev.tender_id && strcmp(ev.tender_id, tender) == 0) ||
                (tag_key && tnd_blind_links(&ev, tender, tag_key))) {
                json_array_append_new(arr, tnd_json_msg(EV_DESC, &ev));
                n++;
            }
            tender_events_v1_Event_free(&ev);
            next++;
        }
        mdb_cursor_close(cur);
        if (!bad && next < size && n < want && looked < scan)
            bad = 1; /* a signed event is missing */
    }
    tnd_store_read_end(r->store, txn);
    if (bad) {
        json_decref(arr);
        return tnd__http_error(r, TND_STATUS_DATA_LOSS, "event %llu is unreadable or missing",
                               (unsigned long long)next);
    }
    char cur_text[24];
    snprintf(cur_text, sizeof cur_text, "%llu", (unsigned long long)next);
    return tnd__http_json(
        r,
        json_pack("{s:o,s:s,s:I}", list_name, arr ? arr : json_array(), "next_cursor",
                  next < size ? cur_text : (tender ? "" : cur_text), "tree_size", (json_int_t)size),
        TND_HTTP_SHORT);
}

static enum MHD_Result tender_events(tnd_http_req *r, const char *id)
{
    uint64_t from, want;
    if (!arg_u64(r, "cursor", 0, 0, INT64_MAX, &from) ||
        !arg_u64(r, "page_size", FEED_DEFAULT, 1, FEED_MAX, &want))
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                               "cursor: the next_cursor of the previous page; page_size 1..%u",
                               FEED_MAX);
    MDB_txn *txn;
    enum MHD_Result res;
    tnd_tender t;
    if (!open_tender(r, id, &txn, &t, &res))
        return res;
    uint8_t key[32];
    bool linked = tnd_bid_tag_key_public(&t) && tnd_bid_tag_key_read(r->store, txn, id, key) == 0;
    tnd_store_read_end(r->store, txn);
    tender_tenders_v1_Tender_free(&t);
    return events(r, id, linked ? key : NULL, from, want, SCAN_MAX, "events");
}

static enum MHD_Result feed(tnd_http_req *r)
{
    uint64_t from, want;
    if (!arg_u64(r, "since", 0, 0, INT64_MAX, &from) ||
        !arg_u64(r, "limit", FEED_DEFAULT, 1, FEED_MAX, &want))
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                               "since: a leaf index (the next_cursor of the previous answer; 0 "
                               "from the start); limit 1..%u",
                               FEED_MAX);
    return events(r, NULL, NULL, from, want, UINT64_MAX, "events");
}

enum MHD_Result tnd__http_api(tnd_http_req *r, const char *rest)
{
    if (strcmp(rest, "/feed") == 0)
        return feed(r);
    if (strcmp(rest, "/tenders") == 0)
        return list_tenders(r);
    if (strcmp(rest, "/log/witnesses") == 0)
        return tnd__http_witnesses(r);
    if (strcmp(rest, "/ocds") == 0)
        return tnd__http_ocds_all(r);
    if (strncmp(rest, "/tenders/", 9) != 0)
        goto not_found;
    const char *s = rest + 9, *slash = strchr(s, '/');
    char id[96], doc[96];
    if (!take_id(s, slash ? (size_t)(slash - s) : strlen(s), id, sizeof id))
        return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                               "a tender id has letters, digits, '-', '_' and '.' only");
    if (!slash)
        return get_tender(r, id, false);
    const char *sub = slash + 1;
    if (strcmp(sub, "documents") == 0)
        return get_tender(r, id, true);
    if (strncmp(sub, "documents/", 10) == 0) {
        if (!take_id(sub + 10, strlen(sub + 10), doc, sizeof doc))
            return tnd__http_error(r, TND_STATUS_INVALID_ARGUMENT,
                                   "a document id has letters, digits, '-', '_' and '.' only");
        return get_document(r, id, doc);
    }
    if (strcmp(sub, "questions") == 0)
        return get_questions(r, id);
    if (strcmp(sub, "opening") == 0)
        return get_opening(r, id);
    if (strcmp(sub, "awards") == 0)
        return get_awards(r, id);
    if (strcmp(sub, "complaints") == 0)
        return get_complaints(r, id);
    if (strcmp(sub, "events") == 0)
        return tender_events(r, id);
    if (strcmp(sub, "ocds") == 0)
        return tnd__http_ocds_tender(r, id);
not_found:
    return tnd__http_error(r, TND_STATUS_NOT_FOUND, "no such resource %s under /api/v1",
                           strlen(rest) < 200 ? rest : "(long path)");
}
