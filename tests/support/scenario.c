/* Test support: the steps of an end-to-end scenario (scenario.h). */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/committee_make.h"

char scn_msg[512];

void scn_connect(const testsrv *ts, scn_conn *c, const char *who)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(ts, "ca.crt", ca, sizeof ca);
    int r;
    if (!who) {
        r = rawconn_open(&c->rc, ts->port, ca, NULL, NULL);
    } else {
        snprintf(f, sizeof f, "%s.crt", who);
        testsrv_path(ts, f, crt, sizeof crt);
        snprintf(f, sizeof f, "%s.key", who);
        testsrv_path(ts, f, key, sizeof key);
        r = rawconn_open(&c->rc, ts->port, ca, crt, key);
    }
    assert_int_equal(r, 0);
    rawconn_settings(&c->rc);
    c->sid = 1;
}

int scn_call(scn_conn *c, const char *method, const tnd_msg_desc *qd, const void *q,
             const tnd_msg_desc *rd, void *r)
{
    int st = rawconn_call(&c->rc, c->sid, method, qd, q, rd, r, scn_msg, sizeof scn_msg, NULL, 0);
    c->sid += 2;
    return st;
}

void scn_get_tender(scn_conn *c, const char *id, tender_tenders_v1_Tender *t)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    tender_tenders_v1_Tender_init(t);
    if (scn_call(c, SCN_T(Get), &tender_tenders_v1_TenderRef_desc, &r,
                 &tender_tenders_v1_Tender_desc, t) != 0)
        fail_msg("get tender %s: %s", id, scn_msg);
}

int scn_status_of(scn_conn *c, const char *id)
{
    tender_tenders_v1_Tender t;
    scn_get_tender(c, id, &t);
    int st = (int)t.status;
    tender_tenders_v1_Tender_free(&t);
    return st;
}

EVP_PKEY *scn_load_key(const testsrv *ts, const char *who)
{
    char f[64], path[700];
    snprintf(f, sizeof f, "%s.key", who);
    FILE *fp = fopen(testsrv_path(ts, f, path, sizeof path), "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

/* ---- committees ---- */

/* The one place tests make a committee: the officer's side of tender
 * creation (tnd_committee_make, docs/SEALED.md) with member keys the test
 * holds, each share then opened as its member would. */
void scn_committee_make(scn_committee *cm, tender_tenders_v1_Committee *out)
{
    static const char *const default_names[SCN_MAX_MEMBERS] = {"officer", "admin", "auditor"};
    if (cm->n == 0) {
        cm->k = 2;
        cm->n = 3;
    }
    assert_true(cm->k >= 1 && cm->k <= cm->n && cm->n <= SCN_MAX_MEMBERS);
    tender_tenders_v1_Committee_init(out);
    out->threshold = (uint32_t)cm->k;
    out->n_members = (size_t)cm->n;
    out->members = calloc((size_t)cm->n, sizeof *out->members);
    assert_non_null(out->members);
    for (int i = 0; i < cm->n; i++) {
        tender_tenders_v1_CommitteeMember *m = &out->members[i];
        assert_int_equal(tnd_x25519_keygen(cm->member_sk[i], cm->member_pk[i]), 0);
        m->name = strdup(cm->names[i] ? cm->names[i] : default_names[i]);
        m->public_key.data = malloc(32);
        memcpy(m->public_key.data, cm->member_pk[i], 32);
        m->public_key.len = 32;
    }
    char msg[400];
    if (tnd_committee_make(out, cm->documents, msg, sizeof msg) != 0)
        fail_msg("committee: %s", msg);
    memcpy(cm->opening_pk, out->opening_public_key.data, 32);
    if (cm->documents)
        memcpy(cm->documents_pk, out->documents_public_key.data, 32);
    /* Each member opens its sealed share, as tenderctl open does. */
    cm->share_len = TND_SHAMIR_SHARE_LEN(tnd_committee_secret_len(out));
    uint8_t fp[32], info[TND_SEALED_SHARE_INFO_LEN], aad[TND_SEALED_SHARE_AAD_LEN];
    assert_int_equal(tnd_opening_key_fingerprint(cm->opening_pk, fp), 0);
    assert_int_equal(tnd_sealed_share_info(fp, info), 0);
    assert_int_equal(tnd_sealed_share_aad((unsigned)cm->k, (unsigned)cm->n, aad), 0);
    for (int i = 0; i < cm->n; i++) {
        const tnd_bytes *e = &out->members[i].encrypted_share;
        assert_int_equal(e->len, TND_HPKE_ENC_LEN + cm->share_len + TND_HPKE_TAG_LEN);
        assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, cm->member_sk[i], e->data, info,
                                       sizeof info, aad, sizeof aad, e->data + TND_HPKE_ENC_LEN,
                                       e->len - TND_HPKE_ENC_LEN, cm->shares[i]),
                         0);
    }
}

/* ---- tenders ---- */

void scn_tender_request(const testsrv *ts, scn_tender *t, const char *title, int64_t deadline_in_ms,
                        int64_t opening_in_ms, tender_tenders_v1_CreateTenderRequest *q)
{
    tender_tenders_v1_CreateTenderRequest_init(q);
    q->fields = calloc(1, sizeof *q->fields);
    q->fields->title = strdup(title);
    int64_t now = testsrv_now(ts);
    t->deadline_ms = now + deadline_in_ms;
    t->opening_ms = now + opening_in_ms;
    tnd_ts_set(&q->fields->submission_deadline, t->deadline_ms);
    tnd_ts_set(&q->fields->opening_time, t->opening_ms);
    q->fields->committee = calloc(1, sizeof *q->fields->committee);
    scn_committee_make(&t->cm, q->fields->committee);
}

void scn_tender_create(scn_conn *off, tender_tenders_v1_CreateTenderRequest *q, char *id)
{
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    if (scn_call(off, SCN_T(Create), &tender_tenders_v1_CreateTenderRequest_desc, q,
                 &tender_tenders_v1_Tender_desc, &t) != 0)
        fail_msg("create: %s", scn_msg);
    snprintf(id, 64, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(q);
}

void scn_tender_publish(scn_conn *off, const char *id)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    if (scn_call(off, SCN_T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL) != 0)
        fail_msg("publish: %s", scn_msg);
}

void scn_create_and_publish(const testsrv *ts, scn_conn *off, scn_tender *t, const char *title,
                            int64_t deadline_in_ms, int64_t opening_in_ms)
{
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(ts, t, title, deadline_in_ms, opening_in_ms, &q);
    scn_tender_create(off, &q, t->id);
    scn_tender_publish(off, t->id);
}

/* ---- bids and opening ---- */

void scn_bid_id(char out[40])
{
    uint8_t r[16];
    assert_int_equal(RAND_bytes(r, 16), 1);
    strcpy(out, "B-");
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", r[i]);
}

void scn_seal_documents(const testsrv *ts, const scn_tender *t, const char *who,
                        tender_bids_v1_BidContent *c, const uint8_t *nonce_in, uint8_t nonce[32],
                        char id[40])
{
    scn_bid_id(id);
    if (nonce_in)
        memmove(nonce, nonce_in, 32);
    else
        assert_int_equal(RAND_bytes(nonce, 32), 1);
    if (!c->n_documents || !t->cm.documents)
        return;
    /* To the documents key, bound to the bid's owner tag. */
    EVP_PKEY *k = scn_load_key(ts, who);
    uint8_t pub[32];
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    EVP_PKEY_free(k);
    assert_int_equal(tnd_bid_seal_documents(c, t->id, id, nonce, pub, t->cm.documents_pk), 0);
}

void scn_seal_envelope(const testsrv *ts, const scn_tender *t, const char *who,
                       tender_bids_v1_BidContent *c, const uint8_t nonce[32], const char *id,
                       tender_bids_v1_SealedBid *b)
{
    EVP_PKEY *k = scn_load_key(ts, who);
    uint8_t used[32];
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(tnd_bid_seal(c, t->id, id, t->cm.opening_pk, k, nonce, b, used), 0);
    assert_memory_equal(used, nonce, 32);
    EVP_PKEY_free(k);
}

void scn_seal(const testsrv *ts, const scn_tender *t, const char *who, tender_bids_v1_BidContent *c,
              const uint8_t *nonce_in, tender_bids_v1_SealedBid *b, uint8_t nonce[32], char id[40])
{
    scn_seal_documents(ts, t, who, c, nonce_in, nonce, id);
    scn_seal_envelope(ts, t, who, c, nonce, id, b);
}

void scn_tamper(const testsrv *ts, const char *who, tender_bids_v1_SealedBid *b)
{
    EVP_PKEY *k = scn_load_key(ts, who);
    b->ciphertext.data[3] ^= 1;
    uint8_t d[32];
    size_t sl = 64;
    assert_int_equal(tnd_bid_digest(b, d), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, b->signature.data, &sl, d, 32), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
}

int scn_submit(scn_conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
               const char *replaces, const char *key, tender_bids_v1_Receipt *rcpt)
{
    tnd_bytes ct = b->ciphertext;
    b->ciphertext = (tnd_bytes){0};
    tender_bids_v1_SubmitBidRequest first = {
        .bid = b, .owner_nonce = {(uint8_t *)nonce, 32}, .replaces = (char *)replaces};
    size_t half = ct.len / 2;
    tender_bids_v1_SubmitBidRequest c1 = {.chunk = {ct.data, half}};
    tender_bids_v1_SubmitBidRequest c2 = {.chunk = {ct.data + half, ct.len - half}};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    tnd_md md = {"idempotency-key", (const uint8_t *)key, key ? strlen(key) : 0};
    assert_int_equal(
        tnd_frame_put_call(&sb, c->sid, SCN_B(Submit), key ? &md : NULL, key ? 1 : 0, 0), 0);
    const tender_bids_v1_SubmitBidRequest *parts[] = {&first, &c1, &c2};
    for (int i = 0; i < 3; i++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal(
            tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, parts[i], &buf, &len, NULL), 0);
        assert_int_equal(tnd_frame_put_message(&sb, c->sid, buf, len, false), 0);
        free(buf);
    }
    assert_int_equal(tnd_frame_put_message(&sb, c->sid, NULL, 0, true), 0);
    assert_int_equal(rawconn_send(&c->rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    b->ciphertext = ct;
    tnd_frame f;
    int st = -1;
    while (rawconn_read(&c->rc, &f, 10000, true) == 0) {
        if (f.stream_id != c->sid)
            continue;
        if (f.type == TND_FRAME_MESSAGE && rcpt)
            assert_int_equal(tender_bids_v1_Receipt_decode(rcpt, f.u.message.payload.ptr,
                                                           f.u.message.payload.len, NULL),
                             0);
        if (f.type == TND_FRAME_STATUS) {
            snprintf(scn_msg, sizeof scn_msg, "%.*s", (int)f.u.status.message.len,
                     (const char *)f.u.status.message.ptr);
            st = (int)f.u.status.code;
            break;
        }
    }
    c->sid += 2;
    return st;
}

int scn_share(scn_conn *c, const scn_tender *t, int member, tender_bids_v1_ShareAccepted *acc)
{
    tender_bids_v1_SubmitShareRequest q = {
        .tender_id = (char *)t->id,
        .member_key = {(uint8_t *)t->cm.member_pk[member], 32},
        .share = {(uint8_t *)t->cm.shares[member], t->cm.share_len}};
    return scn_call(c, SCN_B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &q,
                    acc ? &tender_bids_v1_ShareAccepted_desc : NULL, acc);
}

void scn_wait_until(testsrv *ts, int64_t ms)
{
    if (ts->manual) {
        testsrv_advance_to(ts, ms);
        return;
    }
    while (testsrv_now(ts) < ms)
        usleep(20000);
}

void scn_open(testsrv *ts, scn_conn *first, scn_conn *second, const scn_tender *t)
{
    scn_wait_until(ts, t->opening_ms + 50);
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    if (scn_share(first, t, 0, &acc) != 0)
        fail_msg("share 0: %s", scn_msg);
    tender_bids_v1_ShareAccepted_init(&acc);
    if (scn_share(second, t, 2, &acc) != 0)
        fail_msg("share 2: %s", scn_msg);
    assert_true(acc.opened);
}

int scn_audit(const testsrv *ts, scn_conn *anon, const char *tender_id, bool with_ca,
              tnd_check_report_fn report, void *ctx)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(scn_call(anon, "tender.log.v1.Log/GetVerifierKey",
                              &tender_common_v1_Empty_desc, &e, &tender_log_v1_VerifierKey_desc,
                              &vk),
                     0);
    tnd_note_verifier v;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    tender_log_v1_VerifierKey_free(&vk);
    char server[64], ca[700], err[512] = "";
    snprintf(server, sizeof server, "127.0.0.1:%d", ts->port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = testsrv_path(ts, "ca.crt", ca, sizeof ca);
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("tnd_client_open: %s", err);
    tnd_tender_record r;
    tnd_status_info st;
    assert_int_equal(tnd_tender_record_fetch(c, tender_id, NULL, &r, &st), 0);
    tnd_bid_trust trust = {0};
    assert_int_equal(tnd_bid_trust_load(&trust, ca, NULL, err, sizeof err), 0);
    r.trust = with_ca ? &trust : NULL;
    int failed = tnd_tender_record_verify(&r, &v, NULL, report, ctx);
    tnd_bid_trust_free(&trust);
    tnd_tender_record_free(&r);
    tnd_client_free(c);
    return failed;
}
