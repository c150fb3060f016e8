/* The complaint service's handlers: File, Withdraw and Review check the
 * request's shape (and the reviewer's signature, with the key of the
 * caller's certificate) and hand it to the writer thread; Get, List and
 * Download serve each caller what it may read (complaint_store.c): the
 * whole complaint, its public view, or nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "complaints.h"
#include "svc/download.h"
#include "svc/page.h"

#define C_DESC (&tender_complaints_v1_Complaint_desc)

/* 1..max bytes, no control characters but tab and line ends in a text. */
static bool printable(const char *s, size_t max, bool lines)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(lines && (*p == '\n' || *p == '\t' || *p == '\r'))) || *p == 0x7f)
            return false;
    return true;
}

/* After a commit that may lift an award's hold or end a suspension of the
 * deadline: the scheduler looks at its schedule now (a standstill already
 * over completes at once; a resumed deadline is armed). */
static int kick(tnd_op *op)
{
    const tnd_complaint *c = op->resp;
    if ((c->subject == TND_COMPLAINT_SUBJECT(AWARD) && !tnd_complaint_holds_award((int)c->state)) ||
        (c->subject == TND_COMPLAINT_SUBJECT(CONDITIONS) && tnd_complaint_final((int)c->state)))
        tnd_scheduler_kick(op->srv, tnd_clock_ms(op->srv->clock));
    return 0;
}

static void on_file(tnd_call *call, void *request)
{
    const tender_complaints_v1_FileComplaintRequest *r = request;
    if (!printable(r->title, TND_COMPLAINT_TITLE_MAX, false)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "title: required, 1 to %d characters on one line", TND_COMPLAINT_TITLE_MAX);
        return;
    }
    if (!printable(r->text, TND_COMPLAINT_TEXT_MAX, true)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "text: required, 1 to %d characters of text (no control characters)",
                        TND_COMPLAINT_TEXT_MAX);
        return;
    }
    for (size_t i = 0; i < r->n_documents; i++)
        if (!printable(r->documents[i].name, 256, false)) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "documents[%zu].name: required, the file's name", i);
            return;
        }
    tnd_op *op = tnd_op_new(call, request, C_DESC, tnd__complaint_file_fn, NULL, 0, NULL);
    if (op)
        tnd_op_submit(op);
}

static void on_withdraw(tnd_call *call, void *request)
{
    tnd_op *op = tnd_op_new(call, request, C_DESC, tnd__complaint_withdraw_fn, NULL, 0, kick);
    if (op)
        tnd_op_submit(op);
}

static void on_review(tnd_call *call, void *request)
{
    const tender_complaints_v1_ReviewRequest *r = request;
    const tender_complaints_v1_ReviewDecision *d = r->decision;
    const tnd_peer_identity *p = tnd_call_peer(call);
    if (!d || !d->complaint_id || !*d->complaint_id || !d->tender_id || !*d->tender_id) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "decision: required, with complaint_id and tender_id");
        return;
    }
    if (d->outcome < TND_REVIEW_OUTCOME(ACCEPT) || d->outcome > TND_REVIEW_OUTCOME(REJECT)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "decision.outcome: ACCEPT or REFUSE a submitted complaint, SATISFY or "
                        "REJECT an accepted one");
        return;
    }
    if (!printable(d->reasoning, TND_COMPLAINT_TEXT_MAX, true)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "decision.reasoning: required, 1 to %d characters of text",
                        TND_COMPLAINT_TEXT_MAX);
        return;
    }
    if (r->signature.len != 64) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "signature: 64 bytes required (Ed25519 over tnd_review_signed_bytes of "
                        "the decision, with your certificate's key)");
        return;
    }
    int rc = tnd_review_verify(d, r->signature.data, r->signature.len, p->pubkey);
    if (rc == TND_ENOMEM) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    if (rc != 0) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "signature: does not verify with the key of your certificate (%s); "
                        "sign the decision exactly as sent",
                        p->name);
        return;
    }
    tnd_op *op = tnd_op_new(call, request, C_DESC, tnd__complaint_review_fn, NULL, 0, kick);
    if (op)
        tnd_op_submit(op);
}

/* ---- reads ---- */

/* What caller p may see of complaint c of tender t: the whole (1), its
 * public view (into pub, 2), or nothing (0). */
static int view(const tnd_complaint *c, const tnd_tender *t, const tnd_peer_identity *p,
                tnd_complaint *pub)
{
    if (tnd_complaint_full_view(c, t, p))
        return 1;
    if (!tnd_complaint_is_public(c))
        return 0;
    tnd_complaint_public(c, pub);
    return 2;
}

/* Read complaint id and its tender as p may see them, in txn. Returns 0
 * with what p sees in *out (arena or c's memory), TND_ENOTFOUND, or an
 * error. */
static int read_visible(tnd_server *srv, MDB_txn *txn, const char *id, const tnd_peer_identity *p,
                        tnd_arena *arena, tnd_complaint *out)
{
    tnd_complaint c;
    int rc = tnd_complaint_read(txn, srv->store, id, arena, &c);
    if (rc)
        return rc;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    rc = tnd_tender_read_visible(srv->store, txn, c.tender_id, p, &t);
    if (rc == 0) {
        tnd_complaint pub;
        int v = view(&c, &t, p, &pub);
        if (v)
            *out = v == 1 ? c : pub;
        rc = v ? 0 : TND_ENOTFOUND;
    }
    tender_tenders_v1_Tender_free(&t);
    return rc;
}

static void on_get(tnd_call *call, void *request)
{
    const tender_complaints_v1_ComplaintRef *r = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    tnd_complaint c;
    int rc = read_visible(srv, txn, r->id, tnd_call_peer(call), &arena, &c);
    tnd_store_read_end(srv->store, txn);
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "complaint %s not found", r->id);
    else if (rc == TND_ENOMEM)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "complaint %s is unreadable", r->id);
    else if (tnd_call_send(call, &c) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tnd_arena_free(&arena);
}

/* List: every complaint the caller may see in one answer (page_size 0, as
 * older clients ask), or pages cut by count and by bytes so that each fits
 * in one frame to the caller (100 complaints with the longest texts and
 * reasonings do not). The cursor is the id of the last complaint sent. */
static void on_list(tnd_call *call, void *request)
{
    const tender_complaints_v1_ListComplaintsRequest *r = request;
    tnd_server *srv = tnd_call_server(call);
    const tnd_peer_identity *p = tnd_call_peer(call);
    char cur_tender[TND_KEY_TENDER_ID_MAX + 1];
    uint32_t after = 0, want = r->page_size;
    if (r->cursor && *r->cursor &&
        (!tnd_complaint_id_parse(r->cursor, cur_tender, sizeof cur_tender, &after) ||
         strcmp(cur_tender, r->tender_id) != 0)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "cursor: not a cursor this server issued for tender %s; start without one",
                        r->tender_id);
        return;
    }
    /* The frame less the answer's other bytes: the array header, the field
     * keys and the longest cursor. */
    tnd_page pg;
    tnd_page_init(&pg, call, 128, want ? want : SIZE_MAX);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    tender_complaints_v1_ComplaintList list;
    tender_complaints_v1_ComplaintList_init(&list);
    tnd_complaint *all = NULL;
    size_t n = 0;
    int rc = tnd_tender_read_visible(srv->store, txn, r->tender_id, p, &t);
    if (rc == 0)
        rc = tnd_complaint_list_all(txn, srv->store, t.id, &arena, &all, &n);
    tnd_store_read_end(srv->store, txn);
    /* Each after the cursor as the caller may see it, in all's own slots. */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char tid[TND_KEY_TENDER_ID_MAX + 1];
        uint32_t seq = 0;
        tnd_complaint pub;
        int v = all[i].id && tnd_complaint_id_parse(all[i].id, tid, sizeof tid, &seq) && seq > after
                    ? view(&all[i], &t, p, &pub)
                    : 0;
        if (!v)
            continue;
        tnd_complaint shown = v == 1 ? all[i] : pub;
        if (!tnd_page_take(&pg, &tender_complaints_v1_Complaint_desc, &shown))
            break;
        all[list.n_complaints++] = shown;
    }
    list.complaints = all;
    char next[96] = "";
    if (pg.more && want)
        snprintf(next, sizeof next, "%s", all[list.n_complaints - 1].id);
    list.next_cursor = next;
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "tender %s not found", r->tender_id);
    else if (rc == TND_ENOMEM)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "the complaints of %s are unreadable",
                        r->tender_id);
    else if (pg.more && !want)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the complaints of %s do not fit in one answer to this client (%zu "
                        "bytes); ask in pages (page_size and cursor), as tenderctl does",
                        t.id, pg.room);
    else if (tnd_call_send(call, &list) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_tenders_v1_Tender_free(&t);
    tnd_arena_free(&arena);
}

/* ---- Download: as Tenders/Download, each chunk read when it may go ---- */

/* The stored document, in txn, for a caller who may see its complaint:
 * 0, TND_ENOTFOUND or an error. */
static int document_get(tnd_call *call, MDB_txn *txn, const char *complaint_id,
                        const char *document_id, MDB_val *v)
{
    tnd_server *srv = tnd_call_server(call);
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    tnd_complaint c;
    int rc = read_visible(srv, txn, complaint_id, tnd_call_peer(call), &arena, &c);
    bool listed = false;
    for (size_t i = 0; rc == 0 && i < c.n_documents; i++)
        listed |= c.documents[i].id && strcmp(c.documents[i].id, document_id) == 0;
    tnd_arena_free(&arena);
    if (rc != 0)
        return rc;
    uint8_t key[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX];
    MDB_val k = {.mv_size = tnd_key_complaint_documents(key, document_id), .mv_data = key};
    if (!listed || k.mv_size == 0)
        return TND_ENOTFOUND;
    rc = mdb_get(txn, tnd_store_dbi(srv->store, TND_TABLE_COMPLAINT_DOCUMENTS), &k, v);
    return rc == MDB_NOTFOUND ? TND_ENOTFOUND : rc ? TND_EIO : 0;
}

static void download_on_message(tnd_call *call, void *request)
{
    const tender_complaints_v1_ComplaintDocumentRef *req = request;
    /* Both ids are there: the schema's required refused their absence. */
    tnd_download_start(call, "complaint", req->complaint_id, req->document_id, document_get);
}

static const tnd_handler complaint_handlers[] = {
    {.method = tender_complaints_v1_Complaints_File_method, .on_message = on_file},
    {.method = tender_complaints_v1_Complaints_Withdraw_method, .on_message = on_withdraw},
    {.method = tender_complaints_v1_Complaints_Review_method, .on_message = on_review},
    {.method = tender_complaints_v1_Complaints_Get_method, .on_message = on_get},
    {.method = tender_complaints_v1_Complaints_List_method, .on_message = on_list},
    {.method = tender_complaints_v1_Complaints_Download_method,
     .on_message = download_on_message,
     .on_cancel = tnd_download_cancel,
     .on_writable = tnd_download_pump},
};

int tnd_complaints_register(tnd_server *srv)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof complaint_handlers / sizeof *complaint_handlers && !rc; i++)
        rc = tnd_server_register(srv, &complaint_handlers[i]);
    return rc;
}
