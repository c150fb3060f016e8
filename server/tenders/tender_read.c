/* Reading tenders and questions, on the loop thread in short read
 * transactions: Get, List (filters, an opaque cursor) and Questions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/page.h"
#include "tender/currency.h"
#include "tenders.h"

#define T_DESC (&tender_tenders_v1_Tender_desc)

/* Finish a call from a store read error. */
static void read_failed(tnd_call *call, int rc, const char *what)
{
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "%s not found", what);
    else
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "%s is unreadable: %s", what,
                        tnd_strerror(rc));
}

static void on_get(tnd_call *call, void *request)
{
    const tender_tenders_v1_TenderRef *req = request;
    tnd_server *srv = tnd_call_server(call);
    char what[120];
    snprintf(what, sizeof what, "tender %s", req->id);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    /* A draft is invisible outside its organisation, as if it did not exist. */
    int rc = tnd_tender_read_visible(srv->store, txn, req->id, tnd_call_peer(call), &t);
    /* A version asked for by number is that version as published, even the
     * latest: the live record also carries later status changes. */
    if (rc == 0 && req->version != 0) {
        if (req->version > t.version) {
            tnd_store_read_end(srv->store, txn);
            tnd_call_finish(call, TND_STATUS_NOT_FOUND,
                            "tender %s has no version %u (the latest is %u)", req->id,
                            req->version, t.version);
            tender_tenders_v1_Tender_free(&t);
            return;
        }
        uint8_t key[128];
        size_t kl = tnd_key_tender_versions(key, sizeof key, req->id, req->version);
        rc = tnd_store_get_msg(srv->store, txn, TND_TABLE_TENDER_VERSIONS, key, kl, T_DESC, &t);
    }
    tnd_store_read_end(srv->store, txn);
    if (rc != 0)
        read_failed(call, rc, what);
    else if (tnd_call_send(call, &t) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_tenders_v1_Tender_free(&t);
}

static bool contains_ci(const char *hay, const char *needle)
{
    if (!needle || !*needle)
        return true;
    if (!hay)
        return false;
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* The value filter's bounds: a currency in use, the same for both, and
 * 0 <= min <= max. Returns 0, or INVALID_ARGUMENT with msg set. */
static int value_filter_check(const tender_tenders_v1_ListTendersRequest *q, char *msg,
                              size_t len)
{
    const tender_common_v1_Money *b[2] = {q->value_min, q->value_max};
    const char *name[2] = {"value_min", "value_max"};
    for (int i = 0; i < 2; i++) {
        if (!b[i])
            continue;
        const char *code = b[i]->currency ? b[i]->currency : "";
        if (!*code) {
            snprintf(msg, len, "%s: give its currency, an ISO 4217 code such as EUR", name[i]);
            return TND_STATUS_INVALID_ARGUMENT;
        }
        if (!tnd_currency_known(code)) {
            snprintf(msg, len,
                     "%s: %s is not an ISO 4217 currency in use; give an upper-case code "
                     "such as EUR, USD or KRW",
                     name[i], code);
            return TND_STATUS_INVALID_ARGUMENT;
        }
        if (b[i]->minor_units < 0) {
            snprintf(msg, len, "%s: %lld minor units is negative; give 0 or more", name[i],
                     (long long)b[i]->minor_units);
            return TND_STATUS_INVALID_ARGUMENT;
        }
    }
    if (b[0] && b[1] && strcmp(b[0]->currency, b[1]->currency) != 0) {
        snprintf(msg, len, "value_min is in %s and value_max in %s: give both in one currency",
                 b[0]->currency, b[1]->currency);
        return TND_STATUS_INVALID_ARGUMENT;
    }
    if (b[0] && b[1] && b[0]->minor_units > b[1]->minor_units) {
        snprintf(msg, len,
                 "value_min (%lld minor units) is above value_max (%lld): give min <= max",
                 (long long)b[0]->minor_units, (long long)b[1]->minor_units);
        return TND_STATUS_INVALID_ARGUMENT;
    }
    return 0;
}

/* With a value filter, only an estimated value in its currency and range. */
static bool value_matches(const tender_tenders_v1_TenderFields *f,
                          const tender_tenders_v1_ListTendersRequest *q)
{
    const tender_common_v1_Money *lo = q->value_min, *hi = q->value_max;
    if (!lo && !hi)
        return true;
    const tender_common_v1_Money *v = f ? f->estimated_value : NULL;
    const char *code = lo ? lo->currency : hi->currency;
    if (!v || !v->currency || strcmp(v->currency, code) != 0)
        return false;
    return (!lo || v->minor_units >= lo->minor_units) && (!hi || v->minor_units <= hi->minor_units);
}

static bool matches(const tnd_tender *t, const tender_tenders_v1_ListTendersRequest *q,
                    const tnd_peer_identity *p)
{
    if (!tnd_tender_visible(t, p))
        return false;
    if (q->status && t->status != q->status)
        return false;
    if (q->buyer && *q->buyer && (!t->buyer || strcmp(t->buyer, q->buyer) != 0))
        return false;
    const tender_tenders_v1_TenderFields *f = t->fields;
    if (q->classification_prefix && *q->classification_prefix) {
        const char *code = f && f->classification ? f->classification->code : NULL;
        if (!code || strncmp(code, q->classification_prefix, strlen(q->classification_prefix)))
            return false;
    }
    int64_t dl = tnd_ts_ms(f ? f->submission_deadline : NULL);
    if (q->deadline_from && (!dl || dl < tnd_ts_ms(q->deadline_from)))
        return false;
    if (q->deadline_to && (!dl || dl > tnd_ts_ms(q->deadline_to)))
        return false;
    if (!value_matches(f, q))
        return false;
    return contains_ci(f ? f->title : NULL, q->text);
}

/* The cursor is the hex of the last id returned: opaque to clients, and
 * a resumed listing starts strictly after it. */
static void cursor_encode(const char *id, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t j = 0;
    for (; *id && j + 2 < len; id++) {
        out[j++] = hex[(unsigned char)*id >> 4];
        out[j++] = hex[(unsigned char)*id & 15];
    }
    out[j] = '\0';
}

static int cursor_decode(const char *c, char *out, size_t len)
{
    size_t n = strlen(c);
    if (n % 2 || n / 2 >= len)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        if (!isxdigit((unsigned char)c[i]) || !isxdigit((unsigned char)c[i + 1]) ||
            sscanf(c + i, "%2x", &v) != 1 || v == 0)
            return -1;
        out[i / 2] = (char)v;
    }
    out[n / 2] = '\0';
    return 0;
}

int tnd_tender_list_page(tnd_store *s, const tender_tenders_v1_ListTendersRequest *req,
                         const tnd_peer_identity *p, size_t room,
                         tender_tenders_v1_ListTendersResponse *resp, char *next,
                         size_t next_len, char *msg, size_t msg_len)
{
    uint32_t want = req->page_size ? req->page_size : TND_LIST_DEFAULT;
    if (want > TND_LIST_MAX)
        want = TND_LIST_MAX;
    char after[TND_KEY_TENDER_ID_MAX + 1] = ""; /* a longer one is no cursor of ours */
    next[0] = '\0';
    if (req->cursor && *req->cursor && cursor_decode(req->cursor, after, sizeof after) != 0) {
        snprintf(msg, msg_len, "cursor: not a cursor this server issued; start without one");
        return TND_STATUS_INVALID_ARGUMENT;
    }
    int bad_filter = value_filter_check(req, msg, msg_len);
    if (bad_filter)
        return bad_filter;
    resp->tenders = calloc(want + 1, sizeof *resp->tenders); /* +1: the probe for "more" */
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    if (!resp->tenders || tnd_store_read_begin(s, &txn) != 0) {
        snprintf(msg, msg_len, "the store cannot be read");
        return TND_STATUS_UNAVAILABLE;
    }
    int rc = mdb_cursor_open(txn, tnd_store_dbi(s, TND_TABLE_TENDERS), &cur);
    uint8_t akey[TND_KEY_TENDER_ID_MAX];
    size_t akl = *after ? tnd_key_tenders(akey, after) : 0;
    MDB_val k = {.mv_size = akl, .mv_data = akey}, v;
    int op = akl ? MDB_SET_RANGE : MDB_FIRST;
    bool more = false, full = false;
    int bad = 0;
    unsigned scanned = 0;
    size_t used = 0, size = 0;
    char last_scanned[TND_KEY_TENDER_ID_MAX + 1] = "", id[TND_KEY_TENDER_ID_MAX + 1];
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, op); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!tnd_key_tenders_parse(k.mv_data, k.mv_size, id)) {
            bad++; /* not a tender's key: the table is damaged */
            continue;
        }
        if (akl && strcmp(id, after) == 0)
            continue;
        /* Bounded work per call, whatever the filters: a short page and a
         * cursor from the last record looked at. */
        if (scanned++ == TND_LIST_MAX_SCAN) {
            more = true;
            break;
        }
        memcpy(last_scanned, id, sizeof id);
        tnd_tender *t = &resp->tenders[resp->n_tenders];
        tender_tenders_v1_Tender_init(t);
        if (tnd_msg_decode(T_DESC, v.mv_data, v.mv_size, t, NULL) != 0) {
            bad++;
            continue;
        }
        if (!matches(t, req, p)) {
            tender_tenders_v1_Tender_free(t);
            continue;
        }
        if (tnd_msg_size(T_DESC, t, &size) != 0)
            size = room;
        if (resp->n_tenders == want || (resp->n_tenders > 0 && used + size > room)) {
            tender_tenders_v1_Tender_free(t);
            more = full = true;
            break;
        }
        used += size;
        resp->n_tenders++;
    }
    if (cur)
        mdb_cursor_close(cur);
    tnd_store_read_end(s, txn);
    if (full) /* after the last tender sent */
        cursor_encode(resp->tenders[resp->n_tenders - 1].id, next, next_len);
    else if (more)
        cursor_encode(last_scanned, next, next_len);
    if (bad) {
        snprintf(msg, msg_len, "%d stored tenders are unreadable", bad);
        return TND_STATUS_DATA_LOSS;
    }
    return 0;
}

static void on_list(tnd_call *call, void *request)
{
    const tender_tenders_v1_ListTendersRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    tender_tenders_v1_ListTendersResponse resp;
    tender_tenders_v1_ListTendersResponse_init(&resp);
    /* A page also ends before it outgrows one frame to the caller (room
     * kept for the array header, the field keys and the cursor). */
    size_t room = tnd_call_max_message(call);
    room = room > 600 ? room - 600 : 0;
    char next[260], msg[160];
    int st = tnd_tender_list_page(srv->store, req, tnd_call_peer(call), room, &resp, next,
                                  sizeof next, msg, sizeof msg);
    resp.next_cursor = next;
    if (st)
        tnd_call_finish(call, st, "%s", msg);
    else if (tnd_call_send(call, &resp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    resp.next_cursor = NULL;
    tender_tenders_v1_ListTendersResponse_free(&resp);
}

bool tnd_question_show(tender_tenders_v1_Question *q, bool owner, const tnd_peer_identity *p)
{
    bool mine = p->authenticated && q->asked_by_org && strcmp(q->asked_by_org, p->org) == 0;
    /* Answered questions are public; who asked is the buyer's to know. */
    if (!(q->answer && *q->answer) && !owner && !mine)
        return false;
    if (!owner) {
        free(q->asked_by_org);
        q->asked_by_org = NULL;
    }
    return true;
}

/* Questions: every question in one answer (page_size 0, as older clients
 * ask), or pages cut by count and by bytes so that each fits in one frame to
 * the caller. The cursor is the id of the last question sent ("Q-<seq>"). */
static void on_questions(tnd_call *call, void *request)
{
    const tender_tenders_v1_ListQuestionsRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    const tnd_peer_identity *p = tnd_call_peer(call);
    char what[120], tail;
    uint32_t after = 0, want = req->page_size;
    if (req->cursor && *req->cursor && sscanf(req->cursor, "Q-%u%c", &after, &tail) != 1) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "cursor: not a cursor this server issued; start without one");
        return;
    }
    if (want > TND_QUESTIONS_PAGE_MAX)
        want = TND_QUESTIONS_PAGE_MAX;
    /* The frame less the answer's other bytes: the array header, the field
     * keys and the longest cursor. At most the schema's 10000 at once. */
    tnd_page pg;
    tnd_page_init(&pg, call, 128, want ? want : 10000);
    snprintf(what, sizeof what, "tender %s", req->tender_id);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int rc = tnd_tender_read_visible(srv->store, txn, req->tender_id, p, &t);
    /* The review body reads every question with its asker, as the buyer. */
    bool owner = rc == 0 && (tnd_tender_owner(&t, p) || p->role == TND_ROLE_REVIEWER);
    tender_tenders_v1_ListQuestionsResponse resp;
    tender_tenders_v1_ListQuestionsResponse_init(&resp);
    MDB_cursor *cur = NULL;
    if (rc == 0 &&
        mdb_cursor_open(txn, tnd_store_dbi(srv->store, TND_TABLE_QUESTIONS), &cur) == 0) {
        uint8_t key[128];
        size_t kl = tnd_key_questions(key, sizeof key, t.id, after < UINT32_MAX ? after + 1 : after);
        uint32_t seq;
        MDB_val k = {.mv_size = kl, .mv_data = key}, v;
        for (int c = after == UINT32_MAX ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             c == 0 && tnd_key_questions_parse(k.mv_data, k.mv_size, t.id, &seq);
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            tender_tenders_v1_Question q;
            tender_tenders_v1_Question_init(&q);
            if (tnd_msg_decode(&tender_tenders_v1_Question_desc, v.mv_data, v.mv_size, &q,
                               NULL) != 0)
                continue;
            if (tnd_question_show(&q, owner, p)) {
                tender_tenders_v1_Question *nq =
                    realloc(resp.questions, (resp.n_questions + 1) * sizeof *nq);
                if (nq)
                    resp.questions = nq;
                if (nq && !tnd_page_take(&pg, &tender_tenders_v1_Question_desc, &q)) {
                    tender_tenders_v1_Question_free(&q);
                    break;
                }
                if (nq) {
                    resp.questions[resp.n_questions++] = q;
                    continue;
                }
            }
            tender_tenders_v1_Question_free(&q);
        }
        mdb_cursor_close(cur);
    }
    tnd_store_read_end(srv->store, txn);
    char next[64] = "";
    if (pg.more && want)
        snprintf(next, sizeof next, "%s", resp.questions[resp.n_questions - 1].id);
    resp.next_cursor = next;
    if (rc != 0)
        read_failed(call, rc, what);
    else if (pg.more && !want)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the questions of %s do not fit in one answer to this client (%zu "
                        "bytes); ask in pages (page_size and cursor), as tenderctl does",
                        t.id, pg.room);
    else if (tnd_call_send(call, &resp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    resp.next_cursor = NULL;
    tender_tenders_v1_ListQuestionsResponse_free(&resp);
    tender_tenders_v1_Tender_free(&t);
}

const tnd_handler tnd_tender_read_handlers[] = {
    {.method = tender_tenders_v1_Tenders_Get_method, .on_message = on_get},
    {.method = tender_tenders_v1_Tenders_List_method, .on_message = on_list},
    {.method = tender_tenders_v1_Tenders_Questions_method, .on_message = on_questions},
};
const size_t tnd_tender_read_handler_count =
    sizeof tnd_tender_read_handlers / sizeof *tnd_tender_read_handlers;
