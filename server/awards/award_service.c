/* The award service's handlers: Record checks the request's shape and the
 * officer's signature over the decision (with the key of the caller's
 * certificate), then hands it to the writer thread; Cancel likewise; Get
 * reads the latest award, GetById any award by its id, List each lot's
 * latest award. */
#include <stdlib.h>
#include <string.h>

#include "awards.h"

#define A_DESC (&tender_awards_v1_Award_desc)

/* After a commit: the scheduler learns the new standstill's end. */
static int kick(tnd_op *op)
{
    const tender_awards_v1_Award *a = op->resp;
    if (a->standstill_end && a->state == tender_awards_v1_AwardState_STANDSTILL)
        tnd_scheduler_kick(op->srv, tnd_ts_ms(a->standstill_end));
    return 0;
}

static void on_record(tnd_call *call, void *request)
{
    const tender_awards_v1_AwardRequest *r = request;
    const tnd_peer_identity *p = tnd_call_peer(call);
    if (r->signature.len != 64) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "signature: 64 bytes required (Ed25519 over the decision's encoding, "
                        "with your certificate's key)");
        return;
    }
    if (tnd_award_verify(r->decision, r->signature.data, r->signature.len, p->pubkey) != 0) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "signature: does not verify with the key of your certificate (%s); "
                        "sign the decision exactly as sent",
                        p->name);
        return;
    }
    tnd_op *op = tnd_op_new(call, request, A_DESC, tnd__award_record_fn, NULL, 0, kick);
    if (op)
        tnd_op_submit(op);
}

static void on_cancel(tnd_call *call, void *request)
{
    /* tender_id and reason are there: the schema's required (award.schema). */
    tnd_op *op = tnd_op_new(call, request, A_DESC, tnd__award_cancel_fn, NULL, 0, NULL);
    if (op)
        tnd_op_submit(op);
}

/* Read into a the award of tender stored at key, or its latest award when
 * key is NULL, in one read transaction: only for a caller who may see the
 * tender (else TND_ENOTFOUND, as for a tender without one); *rc is 0 or
 * the error. False: the transaction could not begin and the call is
 * finished already. */
static bool read_award(tnd_call *call, const char *tender, const uint8_t *key, size_t kl,
                       tender_awards_v1_Award *a, int *rc)
{
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return false;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int r = tnd_tender_read_visible(srv->store, txn, tender, tnd_call_peer(call), &t);
    if (r == 0 && key)
        r = tnd_store_get_msg(srv->store, txn, TND_TABLE_AWARDS, key, kl, A_DESC, a);
    else if (r == 0)
        r = tnd_award_latest(txn, tnd_store_dbi(srv->store, TND_TABLE_AWARDS), tender, NULL, a,
                             NULL);
    tnd_store_read_end(srv->store, txn);
    tender_tenders_v1_Tender_free(&t);
    *rc = r;
    return true;
}

static void on_get(tnd_call *call, void *request)
{
    const tender_tenders_v1_TenderRef *r = request;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    int rc;
    if (!read_award(call, r->id, NULL, 0, &a, &rc))
        return;
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "tender %s has no award", r->id);
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "the award of %s is unreadable", r->id);
    else if (tnd_call_send(call, &a) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_awards_v1_Award_free(&a);
}

bool tnd_award_id_parse(const char *id, char *tender, size_t cap, uint32_t *n)
{
    const char *a = id ? strrchr(id, '-') : NULL;
    if (!a || a == id || a[1] != 'A' || a[2] < '1' || a[2] > '9' || (size_t)(a - id) >= cap)
        return false;
    uint64_t v = 0;
    for (const char *p = a + 2; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
            return false;
    }
    memcpy(tender, id, (size_t)(a - id));
    tender[a - id] = '\0';
    *n = (uint32_t)v;
    return true;
}

static void on_get_by_id(tnd_call *call, void *request)
{
    const tender_awards_v1_AwardRef *r = request;
    char tender[80];
    uint32_t n = 0;
    uint8_t key[128];
    size_t kl;
    if (!tnd_award_id_parse(r->id, tender, sizeof tender, &n) ||
        !(kl = tnd_key_awards(key, sizeof key, tender, n))) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "id: an award id such as T-2026-000001-A1 (\"%s\")", r->id ? r->id : "");
        return;
    }
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    int rc;
    if (!read_award(call, tender, key, kl, &a, &rc))
        return;
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "no award %s", r->id);
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "award %s is unreadable", r->id);
    else if (tnd_call_send(call, &a) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_awards_v1_Award_free(&a);
}

static void on_list(tnd_call *call, void *request)
{
    const tender_tenders_v1_TenderRef *r = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    tender_awards_v1_AwardList list;
    tender_awards_v1_AwardList_init(&list);
    int rc = tnd_tender_read_visible(srv->store, txn, r->id, tnd_call_peer(call), &t);
    if (rc == 0)
        rc = tnd_award_list(txn, tnd_store_dbi(srv->store, TND_TABLE_AWARDS), &t, &arena, &list);
    tnd_store_read_end(srv->store, txn);
    if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "tender %s not found", r->id ? r->id : "");
    else if (rc == TND_ENOMEM)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "the awards of %s are unreadable", r->id);
    else if (tnd_call_send(call, &list) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_tenders_v1_Tender_free(&t);
    tnd_arena_free(&arena);
}

static const tnd_handler award_handlers[] = {
    {.method = tender_awards_v1_Awards_Record_method, .on_message = on_record},
    {.method = tender_awards_v1_Awards_Cancel_method, .on_message = on_cancel},
    {.method = tender_awards_v1_Awards_Get_method, .on_message = on_get},
    {.method = tender_awards_v1_Awards_GetById_method, .on_message = on_get_by_id},
    {.method = tender_awards_v1_Awards_List_method, .on_message = on_list},
};

int tnd_awards_register(tnd_server *srv)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof award_handlers / sizeof *award_handlers && !rc; i++)
        rc = tnd_server_register(srv, &award_handlers[i]);
    return rc;
}
