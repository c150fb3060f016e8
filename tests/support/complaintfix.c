/* Test support for complaints (complaintfix.h). */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complaintfix.h"
#include "store/store.h"
#include "tender/complaint.h"

void cfx_connect(const testsrv *ts, cfx_world *w)
{
    scn_connect(ts, &w->off, "officer");
    scn_connect(ts, &w->off2, "officer2");
    scn_connect(ts, &w->sup, "supplier");
    scn_connect(ts, &w->sup2, "supplier2");
    scn_connect(ts, &w->aud, "auditor");
    scn_connect(ts, &w->adm, "admin");
    scn_connect(ts, &w->rev, "reviewer");
    scn_connect(ts, &w->anon, NULL);
}

void cfx_close(cfx_world *w)
{
    scn_conn *cs[] = {&w->off, &w->off2, &w->sup, &w->sup2, &w->aud, &w->adm, &w->rev, &w->anon};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        rawconn_close(&cs[i]->rc);
}

void cfx_seal_bid(const testsrv *ts, const scn_tender *t, const char *who, int64_t price,
                  uint32_t version, tender_bids_v1_SealedBid *b, uint8_t nonce[32], char id[40])
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = version;
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = price;
    c.price->currency = strdup("KRW");
    c.supplier_org = strdup(who);
    c.supplier_name = strdup(who);
    assert_int_equal(testsrv_seal_certs(ts, who, &c), 0);
    scn_seal(ts, t, who, &c, NULL, b, nonce, id);
    tender_bids_v1_BidContent_free(&c);
}

void cfx_opened(testsrv *ts, cfx_world *w, int64_t deadline_in, int64_t opening_in, int bids)
{
    w->bids = bids;
    scn_create_and_publish(ts, &w->off, &w->t, "Complaints", deadline_in, opening_in);
    const char *who[2] = {"supplier", "supplier2"};
    const int64_t price[2] = {100000, 150000};
    for (int i = 0; i < bids; i++) {
        scn_conn s;
        scn_connect(ts, &s, who[i]);
        tender_bids_v1_SealedBid b;
        uint8_t nonce[32];
        cfx_seal_bid(ts, &w->t, who[i], price[i], 1, &b, nonce, w->ids[i]);
        if (scn_submit(&s, &b, nonce, NULL, NULL, NULL) != 0)
            fail_msg("submit: %s", scn_msg);
        tender_bids_v1_SealedBid_free(&b);
        rawconn_close(&s.rc);
    }
    scn_open(ts, &w->off, &w->aud, &w->t);
}

void cfx_award(const testsrv *ts, cfx_world *w, tender_awards_v1_Award *a)
{
    tender_common_v1_Money p[2] = {{.minor_units = 100000, .currency = "KRW"},
                                   {.minor_units = 150000, .currency = "KRW"}};
    tender_awards_v1_BidEvaluation ev[2] = {{.bid_id = w->ids[0], .valid = true, .price = &p[0]},
                                            {.bid_id = w->ids[1], .valid = true, .price = &p[1]}};
    tender_awards_v1_Decision d = {.tender_id = w->t.id,
                                   .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                   .winner = w->ids[0],
                                   .rationale = "lowest valid price",
                                   .evaluations = ev,
                                   .n_evaluations = (size_t)w->bids};
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &d, &buf, &len, NULL), 0);
    EVP_PKEY *k = scn_load_key(ts, "officer");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_awards_v1_AwardRequest r = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award tmp;
    tender_awards_v1_Award *out = a ? a : &tmp;
    tender_awards_v1_Award_init(out);
    if (scn_call(&w->off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &r,
                 &tender_awards_v1_Award_desc, out) != 0)
        fail_msg("award: %s", scn_msg);
    if (!a)
        tender_awards_v1_Award_free(&tmp);
}

int cfx_file(scn_conn *c, const char *tender_id, int subject, const char *award_id,
             const char *lot_id, const char *doc, tender_complaints_v1_Complaint *out)
{
    tender_complaints_v1_ComplaintUpload up = {.name = "grounds.txt",
                                               .media_type = "text/plain",
                                               .content = {(uint8_t *)doc, doc ? strlen(doc) : 0}};
    tender_complaints_v1_FileComplaintRequest q = {
        .tender_id = (char *)tender_id,
        .subject = (tender_complaints_v1_Subject)subject,
        .award_id = (char *)award_id,
        .lot_id = (char *)lot_id,
        .title = "The award ignores the delivery terms",
        .text = "The winning bid cannot deliver in time.\nSee the attached grounds.",
        .documents = doc ? &up : NULL,
        .n_documents = doc ? 1 : 0};
    if (out)
        tender_complaints_v1_Complaint_init(out);
    return scn_call(c, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q,
                    out ? &tender_complaints_v1_Complaint_desc : NULL, out);
}

int cfx_review(const testsrv *ts, scn_conn *c, const char *signer, const char *complaint_id,
               const char *tender_id, int outcome, bool suspend,
               tender_complaints_v1_Complaint *out)
{
    tender_complaints_v1_ReviewDecision d = {.complaint_id = (char *)complaint_id,
                                             .tender_id = (char *)tender_id,
                                             .outcome = (tender_complaints_v1_Outcome)outcome,
                                             .reasoning = "Considered on the papers filed.",
                                             .suspend_deadline = suspend};
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_review_signed_bytes(&d, &buf, &len), 0);
    EVP_PKEY *k = scn_load_key(ts, signer);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_complaints_v1_ReviewRequest r = {.decision = &d, .signature = {sig, 64}};
    if (out)
        tender_complaints_v1_Complaint_init(out);
    return scn_call(c, CFX(Review), &tender_complaints_v1_ReviewRequest_desc, &r,
                    out ? &tender_complaints_v1_Complaint_desc : NULL, out);
}

static int by_ref(scn_conn *c, const char *method, const char *id,
                  tender_complaints_v1_Complaint *out)
{
    tender_complaints_v1_ComplaintRef r = {.id = (char *)id};
    if (out)
        tender_complaints_v1_Complaint_init(out);
    return scn_call(c, method, &tender_complaints_v1_ComplaintRef_desc, &r,
                    out ? &tender_complaints_v1_Complaint_desc : NULL, out);
}

int cfx_withdraw(scn_conn *c, const char *id, tender_complaints_v1_Complaint *out)
{
    return by_ref(c, CFX(Withdraw), id, out);
}

int cfx_get(scn_conn *c, const char *id, tender_complaints_v1_Complaint *out)
{
    return by_ref(c, CFX(Get), id, out);
}

int cfx_list(scn_conn *c, const char *tender_id, tender_complaints_v1_ComplaintList *out)
{
    tender_complaints_v1_ListComplaintsRequest r = {.tender_id = (char *)tender_id};
    tender_complaints_v1_ComplaintList_init(out);
    return scn_call(c, CFX(List), &tender_complaints_v1_ListComplaintsRequest_desc, &r,
                    &tender_complaints_v1_ComplaintList_desc, out);
}

bool cfx_event(const testsrv *ts, const char *tender_id, int kind, const char *object_id,
               tender_events_v1_Event *out)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    bool found = false;
    tender_events_v1_Event_init(out);
    assert_int_equal(tnd_store_read_begin(ts->srv->store, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(ts->srv->store, TND_TABLE_EVENTS), &cur),
                     0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0 && !found;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if (tnd_msg_decode(&tender_events_v1_Event_desc, v.mv_data, v.mv_size, &ev, NULL) == 0 &&
            (int)ev.kind == kind && ev.tender_id && strcmp(ev.tender_id, tender_id) == 0 &&
            strcmp(ev.object_id ? ev.object_id : "", object_id) == 0) {
            *out = ev;
            found = true;
        } else {
            tender_events_v1_Event_free(&ev);
        }
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(ts->srv->store, txn);
    return found;
}

void cfx_cert_key(const testsrv *ts, const char *who, uint8_t pub[32])
{
    EVP_PKEY *k = scn_load_key(ts, who);
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    EVP_PKEY_free(k);
}

void cfx_expect(int got, int code, const char *needle)
{
    if (got != code || !strstr(scn_msg, needle))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, needle, got, scn_msg);
}
