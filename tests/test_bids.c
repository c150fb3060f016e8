/* End-to-end tests of sealed bids on an in-process server: a committee with
 * a split opening key, bids from two suppliers (one replaced, one
 * withdrawn), receipts that verify, every view of a bid denied to others
 * before the opening, no plaintext in the database, the deadline, bad bids
 * refused or marked failed, and the opening by k of n members. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawconn.h"
#include "svc/svc.h"
#include "tender/audit.h"
#include "tender/bid.h"
#include "tender/sealed.h"
#include "tender/verify.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define L(name) "tender.log.v1.Log/" #name
#define MARKER "PLAINTEXT-MARKER-7f3a"
#define DOC_MARKER "DOCUMENT-CONTENT-c41e" /* only in the sealed documents */
#define SHARE TND_SHAMIR_SHARE_LEN(64)       /* of the opening and documents keys */

static testsrv ts;
static char msg[512];
static const char *const members[3] = {"officer", "admin", "auditor"};
static uint8_t member_sk[3][32], member_pk[3][32], opening_pk[32], documents_pk[32];
static uint8_t shares[3][SHARE];
static char tender_id[64];
static int64_t deadline_ms, opening_ms;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->max_bid_bytes = 64 * 1024; /* small, so the limit can be shown */
}

typedef struct conn {
    rawconn rc;
    uint32_t sid;
} conn;

static void connect_as(conn *c, const char *who)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    int r;
    if (!who) {
        r = rawconn_open(&c->rc, ts.port, ca, NULL, NULL);
    } else {
        snprintf(f, sizeof f, "%s.crt", who);
        testsrv_path(&ts, f, crt, sizeof crt);
        snprintf(f, sizeof f, "%s.key", who);
        testsrv_path(&ts, f, key, sizeof key);
        r = rawconn_open(&c->rc, ts.port, ca, crt, key);
    }
    assert_int_equal(r, 0);
    rawconn_settings(&c->rc);
    c->sid = 1;
}

static int call(conn *c, const char *m, const tnd_msg_desc *qd, const void *q,
                const tnd_msg_desc *rd, void *r)
{
    int st = rawconn_call(&c->rc, c->sid, m, qd, q, rd, r, msg, sizeof msg, NULL, 0);
    c->sid += 2;
    return st;
}

static EVP_PKEY *load_key(const char *who)
{
    char f[64], path[700];
    snprintf(f, sizeof f, "%s.key", who);
    FILE *fp = fopen(testsrv_path(&ts, f, path, sizeof path), "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

/* The officer's side of tender creation: opening and documents keys, shares
 * of both, commitments. */
static void make_committee(tender_tenders_v1_Committee *cm)
{
    uint8_t open_sk[64];
    assert_int_equal(tnd_x25519_keygen(open_sk, opening_pk), 0);
    assert_int_equal(tnd_x25519_keygen(open_sk + 32, documents_pk), 0);
    assert_int_equal(tnd_shamir_split(open_sk, 64, 2, 3, &shares[0][0]), 0);
    tender_tenders_v1_Committee_init(cm);
    cm->threshold = 2;
    cm->n_members = 3;
    cm->members = calloc(3, sizeof *cm->members);
    cm->opening_public_key.data = malloc(32);
    memcpy(cm->opening_public_key.data, opening_pk, 32);
    cm->opening_public_key.len = 32;
    cm->documents_public_key.data = malloc(32);
    memcpy(cm->documents_public_key.data, documents_pk, 32);
    cm->documents_public_key.len = 32;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tnd_x25519_keygen(member_sk[i], member_pk[i]), 0);
        tender_tenders_v1_CommitteeMember *m = &cm->members[i];
        m->name = strdup(members[i]);
        m->public_key.data = malloc(32);
        memcpy(m->public_key.data, member_pk[i], 32);
        m->public_key.len = 32;
        /* Sealed to the member as docs/SEALED.md says (info and aad builders). */
        uint8_t fp[32], info[TND_SEALED_SHARE_INFO_LEN], aad[TND_SEALED_SHARE_AAD_LEN];
        assert_int_equal(tnd_opening_key_fingerprint(opening_pk, fp), 0);
        assert_int_equal(tnd_sealed_share_info(fp, info), 0);
        assert_int_equal(tnd_sealed_share_aad(2, 3, aad), 0);
        m->encrypted_share.data = malloc(32 + SHARE + 16);
        assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, member_pk[i], info, sizeof info, aad,
                                       sizeof aad, shares[i], SHARE, m->encrypted_share.data,
                                       m->encrypted_share.data + 32),
                         0);
        m->encrypted_share.len = 32 + SHARE + 16;
        m->share_hash.data = malloc(32);
        assert_int_equal(tnd_share_hash(shares[i], SHARE, m->share_hash.data), 0);
        m->share_hash.len = 32;
    }
    OPENSSL_cleanse(open_sk, sizeof open_sk);
}

/* A tender; value_krw >= 0 gives it an estimated value (a price cap
 * unless above). */
static void create_tender(conn *off, int64_t dl_in_ms, int64_t open_in_ms, int64_t value_krw,
                          bool above)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Sealed bids");
    if (value_krw >= 0) {
        q.fields->estimated_value = calloc(1, sizeof *q.fields->estimated_value);
        q.fields->estimated_value->minor_units = value_krw;
        q.fields->estimated_value->currency = strdup("KRW");
        q.fields->price_above_value = above;
    }
    deadline_ms = testsrv_now(&ts) + dl_in_ms;
    opening_ms = testsrv_now(&ts) + open_in_ms;
    tnd_ts_set(&q.fields->submission_deadline, deadline_ms);
    tnd_ts_set(&q.fields->opening_time, opening_ms);
    q.fields->committee = calloc(1, sizeof *q.fields->committee);
    make_committee(q.fields->committee);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          &tender_tenders_v1_Tender_desc, &t),
                     0);
    snprintf(tender_id, sizeof tender_id, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    tender_tenders_v1_TenderRef r = {.id = tender_id};
    assert_int_equal(call(off, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL), 0);
}

static void create_and_publish(conn *off, int64_t dl_in_ms, int64_t open_in_ms)
{
    create_tender(off, dl_in_ms, open_in_ms, -1, false);
}

/* What the next sealed bid says besides its price (test_validity_rules). */
static uint32_t seal_version = 1;
static const char *seal_currency = "KRW"; /* NULL: no price at all */
static const char *seal_cert_of;          /* NULL: the bidder's certificate; "": none */
static const char *seal_org;              /* NULL: the bidder's name as its organisation */
static bool seal_lying_list;              /* the documents' list lies about their hash */

static void new_bid_id(char out[40])
{
    uint8_t r[16];
    assert_int_equal(RAND_bytes(r, 16), 1);
    strcpy(out, "B-");
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 + 2 * i, "%02x", r[i]);
}

/* Seal a bid for price (minor units); tamper 1 flips a ciphertext byte and
 * re-signs (the envelope is then well signed but does not decrypt). */
static void seal_bid_as(const char *who, int64_t price, tender_bids_v1_SealedBid *b,
                        const uint8_t *nonce_in, uint8_t nonce[32], char id[40], int tamper,
                        const char *tender)
{
    EVP_PKEY *k = load_key(who);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    if (seal_currency) {
        c.price = calloc(1, sizeof *c.price);
        c.price->minor_units = price;
        c.price->currency = strdup(seal_currency);
    }
    c.tender_version = seal_version;
    c.notes = strdup(MARKER);
    c.supplier_org = strdup(seal_org ? seal_org : who);
    c.supplier_name = strdup(who);
    c.n_documents = 1;
    c.documents = calloc(1, sizeof *c.documents);
    c.documents[0].name = strdup("offer.txt");
    c.documents[0].content.data = (uint8_t *)strdup(DOC_MARKER);
    c.documents[0].content.len = strlen(DOC_MARKER);
    new_bid_id(id);
    tender_bids_v1_SealedBid_init(b);
    if (seal_cert_of && *seal_cert_of)
        assert_int_equal(testsrv_seal_certs(&ts, seal_cert_of, &c), 0);
    else if (!seal_cert_of)
        assert_int_equal(testsrv_seal_certs(&ts, who, &c), 0);
    /* The documents apart, to the documents key, bound to the bid's owner tag. */
    uint8_t own[32], pub[32];
    size_t pl = 32;
    if (nonce_in)
        memcpy(own, nonce_in, 32);
    else
        assert_int_equal(RAND_bytes(own, 32), 1);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    assert_int_equal(tnd_bid_seal_documents(&c, tender, id, own, pub, documents_pk), 0);
    assert_int_equal(c.documents[0].content.len, 0);
    if (seal_lying_list)
        c.documents[0].sha256.data[0] ^= 1;
    assert_int_equal(tnd_bid_seal(&c, tender, id, opening_pk, k, own, b, nonce), 0);
    if (tamper) {
        b->ciphertext.data[3] ^= 1;
        uint8_t d[32];
        size_t sl = 64;
        assert_int_equal(tnd_bid_digest(b, d), 0);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
        assert_int_equal(EVP_DigestSign(md, b->signature.data, &sl, d, 32), 1);
        EVP_MD_CTX_free(md);
    }
    tender_bids_v1_BidContent_free(&c);
    EVP_PKEY_free(k);
}

static void seal_bid(const char *who, int64_t price, tender_bids_v1_SealedBid *b, uint8_t nonce[32],
                     char id[40], int tamper, const char *tender)
{
    seal_bid_as(who, price, b, NULL, nonce, id, tamper, tender);
}

/* Bids/GetBidDocuments of one bid as c: the status, and the pieces joined
 * into out (up to cap bytes) with the first piece's sha256 in sha. */
static int get_documents(conn *c, const char *bid_id, char *out, size_t cap, size_t *len,
                         uint8_t sha[32])
{
    tender_bids_v1_BidDocumentsRequest q = {.tender_id = tender_id, .bid_id = (char *)bid_id};
    uint8_t *buf;
    size_t bl;
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_BidDocumentsRequest_desc, &q, &buf, &bl, NULL),
                     0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, c->sid, B(GetBidDocuments), NULL, 0, 0), 0);
    assert_int_equal(tnd_frame_put_message(&sb, c->sid, buf, bl, true), 0);
    assert_int_equal(rawconn_send(&c->rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    *len = 0;
    tnd_frame f;
    while (rawconn_read(&c->rc, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
        tender_bids_v1_BidDocumentPiece p;
        tender_bids_v1_BidDocumentPiece_init(&p);
        assert_int_equal(tender_bids_v1_BidDocumentPiece_decode(&p, f.u.message.payload.ptr,
                                                                f.u.message.payload.len, NULL),
                         0);
        if (p.sha256.len == 32)
            memcpy(sha, p.sha256.data, 32);
        assert_true(*len + p.chunk.len <= cap);
        if (p.chunk.len)
            memcpy(out + *len, p.chunk.data, p.chunk.len);
        *len += p.chunk.len;
        tender_bids_v1_BidDocumentPiece_free(&p);
    }
    assert_int_equal(f.type, TND_FRAME_STATUS);
    snprintf(msg, sizeof msg, "%.*s", (int)f.u.status.message.len,
             f.u.status.message.ptr ? (const char *)f.u.status.message.ptr : "");
    c->sid += 2;
    return (int)f.u.status.code;
}

/* Submit in three pieces: the envelope, then the ciphertext in two chunks;
 * with an idempotency-key when key is not NULL. */
static int submit_keyed(conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                        const char *replaces, const char *key, tender_bids_v1_Receipt *rcpt)
{
    tnd_bytes ct = b->ciphertext;
    b->ciphertext = (tnd_bytes){0};
    tender_bids_v1_SubmitBidRequest first = {.bid = b, .owner_nonce = {(uint8_t *)nonce, 32},
                                             .replaces = (char *)replaces};
    size_t half = ct.len / 2;
    tender_bids_v1_SubmitBidRequest c1 = {.chunk = {ct.data, half}};
    tender_bids_v1_SubmitBidRequest c2 = {.chunk = {ct.data + half, ct.len - half}};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    tnd_md md = {"idempotency-key", (const uint8_t *)key, key ? strlen(key) : 0};
    assert_int_equal(tnd_frame_put_call(&sb, c->sid, B(Submit), key ? &md : NULL, key ? 1 : 0, 0),
                     0);
    const tender_bids_v1_SubmitBidRequest *parts[] = {&first, &c1, &c2};
    for (int i = 0; i < 3; i++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal(tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, parts[i], &buf,
                                        &len, NULL),
                         0);
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
            snprintf(msg, sizeof msg, "%.*s", (int)f.u.status.message.len,
                     (const char *)f.u.status.message.ptr);
            st = (int)f.u.status.code;
            break;
        }
    }
    c->sid += 2;
    return st;
}

static int submit(conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                  const char *replaces, tender_bids_v1_Receipt *rcpt)
{
    return submit_keyed(c, b, nonce, replaces, NULL, rcpt);
}

static void verify_receipt(conn *anon, const tender_bids_v1_Receipt *r)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(call(anon, L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                          &tender_log_v1_VerifierKey_desc, &vk),
                     0);
    tnd_note_verifier v;
    tnd_checkpoint cp;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    tender_log_v1_VerifierKey_free(&vk);
    assert_int_equal(tnd_checkpoint_verify(r->checkpoint, strlen(r->checkpoint), &v, &cp), 0);
    uint8_t leaf[32], proof[64][32];
    assert_int_equal(tnd_merkle_leaf_hash(r->leaf.data, r->leaf.len, leaf), 0);
    for (size_t i = 0; i < r->n_proof; i++)
        memcpy(proof[i], r->proof[i].data, 32);
    assert_int_equal(tnd_merkle_verify_inclusion(r->leaf_index, cp.size, leaf,
                                                 (const uint8_t(*)[32])proof, r->n_proof,
                                                 cp.root),
                     0);
    /* The leaf says a bid arrived, and nothing about who sent it. */
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    assert_int_equal(tender_events_v1_Event_decode(&ev, r->leaf.data, r->leaf.len, NULL), 0);
    assert_true(ev.kind == tender_events_v1_EventKind_BID_RECEIVED ||
                ev.kind == tender_events_v1_EventKind_BID_WITHDRAWN);
    assert_null(ev.actor);
    assert_string_equal(ev.object_id, r->bid_id);
    tender_events_v1_Event_free(&ev);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    bool found = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static void test_sealed_bid_flow(void **state)
{
    (void)state;
    conn off, sup, sup2, aud, anon, adm;
    connect_as(&off, "officer");
    connect_as(&sup, "supplier");
    connect_as(&sup2, "supplier2");
    connect_as(&aud, "auditor");
    connect_as(&adm, "admin");
    connect_as(&anon, NULL);
    create_and_publish(&off, 2500, 3000);

    /* Supplier 1: one bid, and a second one it withdraws. */
    tender_bids_v1_SealedBid b1, bw, b2a, b2b, bt;
    uint8_t n1[32], nw[32], n2a[32], n2b[32], nt[32];
    char id1[40], idw[40], id2a[40], id2b[40], idt[40];
    tender_bids_v1_Receipt r;
    seal_bid("supplier", 100000, &b1, n1, id1, 0, tender_id);
    tender_bids_v1_Receipt_init(&r);
    if (submit_keyed(&sup, &b1, n1, NULL, "bid-1", &r) != 0)
        fail_msg("submit: %s", msg);
    verify_receipt(&anon, &r);
    tender_bids_v1_Receipt first_receipt = r;
    /* A retry (the answer was lost): the same receipt, not a second bid. */
    tender_bids_v1_Receipt_init(&r);
    if (submit_keyed(&sup, &b1, n1, NULL, "bid-1", &r) != 0)
        fail_msg("retried submit: %s", msg);
    assert_string_equal(r.bid_id, id1);
    assert_int_equal(r.leaf_index, first_receipt.leaf_index);
    assert_memory_equal(r.envelope_hash.data, first_receipt.envelope_hash.data, 32);
    verify_receipt(&anon, &r); /* proved again, against the latest checkpoint */
    tender_bids_v1_Receipt_free(&r);
    seal_bid("supplier", 1, &bw, nw, idw, 0, tender_id);
    tender_bids_v1_Receipt_init(&r);
    assert_int_equal(submit(&sup, &bw, nw, NULL, &r), 0);
    tender_bids_v1_Receipt_free(&r);
    tender_bids_v1_BidRef wref = {.tender_id = tender_id, .bid_id = idw, .owner_nonce = {nw, 32}};
    tender_bids_v1_Receipt_init(&r);
    assert_int_equal(call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &wref,
                          &tender_bids_v1_Receipt_desc, &r),
                     0);
    verify_receipt(&anon, &r);
    tender_bids_v1_Receipt_free(&r);

    /* Supplier 2: a bid replaced by a lower one. */
    seal_bid("supplier2", 200000, &b2a, n2a, id2a, 0, tender_id);
    assert_int_equal(submit(&sup2, &b2a, n2a, NULL, NULL), 0);
    seal_bid_as("supplier2", 150000, &b2b, n2a, n2b, id2b, 0, tender_id); /* same owner */
    assert_int_equal(submit(&sup2, &b2b, n2b, id2a, NULL), 0);
    /* A well-signed envelope whose ciphertext was altered: taken, fails at the opening. */
    seal_bid("supplier2", 5, &bt, nt, idt, 1, tender_id);
    assert_int_equal(submit(&sup2, &bt, nt, NULL, NULL), 0);

    /* Refused at once: a forged signature, a bid sealed for another tender,
     * someone else's owner tag, a duplicate id. */
    tender_bids_v1_SealedBid bad;
    uint8_t nb[32];
    char idb[40];
    seal_bid("supplier", 7, &bad, nb, idb, 0, tender_id);
    bad.signature.data[0] ^= 1;
    assert_int_equal(submit(&sup, &bad, nb, NULL, NULL), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(msg, "bad signature"));
    tender_bids_v1_SealedBid_free(&bad);
    seal_bid("supplier", 7, &bad, nb, idb, 0, "T-2026-999999"); /* moved in from elsewhere */
    free(bad.tender_id);
    bad.tender_id = strdup(tender_id);
    assert_int_equal(submit(&sup, &bad, nb, NULL, NULL), TND_STATUS_INVALID_ARGUMENT);
    tender_bids_v1_SealedBid_free(&bad);
    seal_bid("supplier", 7, &bad, nb, idb, 0, tender_id);
    assert_int_equal(submit(&sup2, &bad, nb, NULL, NULL), TND_STATUS_PERMISSION_DENIED);
    tender_bids_v1_SealedBid_free(&bad);
    assert_int_equal(submit(&sup, &b1, n1, NULL, NULL), TND_STATUS_ALREADY_EXISTS);
    /* Larger than the configured limit (64 KiB here): RESOURCE_EXHAUSTED naming it. */
    seal_bid("supplier", 8, &bad, nb, idb, 0, tender_id);
    free(bad.ciphertext.data);
    bad.ciphertext.len = 100 * 1024;
    bad.ciphertext.data = calloc(1, bad.ciphertext.len);
    assert_int_equal(submit(&sup, &bad, nb, NULL, NULL), TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(msg, "max_bid_bytes"));
    tender_bids_v1_SealedBid_free(&bad);

    /* Every view of a bid is denied to others before the opening. */
    tender_bids_v1_BidRef ref1 = {.tender_id = tender_id, .bid_id = id1, .owner_nonce = {n1, 32}};
    tender_bids_v1_BidStatus bs;
    tender_bids_v1_BidStatus_init(&bs);
    assert_int_equal(call(&sup, B(Status), &tender_bids_v1_BidRef_desc, &ref1,
                          &tender_bids_v1_BidStatus_desc, &bs),
                     0);
    assert_int_equal(bs.state, tender_bids_v1_BidState_SUBMITTED);
    tender_bids_v1_BidStatus_free(&bs);
    assert_int_equal(call(&sup2, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_NOT_FOUND);
    assert_int_equal(call(&off, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    assert_int_equal(call(&aud, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    assert_int_equal(call(&anon, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_UNAUTHENTICATED);
    tender_tenders_v1_TenderRef tref = {.id = tender_id};
    assert_int_equal(call(&anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref, NULL,
                          NULL),
                     TND_STATUS_NOT_FOUND);
    assert_int_equal(call(&anon, B(GetSealedBids), &tender_tenders_v1_TenderRef_desc, &tref, NULL,
                          NULL),
                     TND_STATUS_FAILED_PRECONDITION);

    /* The database holds no plaintext and no bidder name. */
    char data[700];
    snprintf(data, sizeof data, "%s/db/data.mdb", ts.dir);
    assert_false(file_contains(data, MARKER));
    assert_false(file_contains(data, "supplier2"));

    /* Shares before the opening time are refused. */
    tender_bids_v1_SubmitShareRequest sh = {.tender_id = tender_id,
                                            .member_key = {member_pk[0], 32},
                                            .share = {shares[0], SHARE}};
    assert_int_equal(call(&off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &sh, NULL,
                          NULL),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "opens at"));

    /* After the deadline no bid is taken. */
    testsrv_advance_to(&ts, deadline_ms + 50);
    tender_bids_v1_SealedBid late;
    uint8_t nl[32];
    char idl[40];
    seal_bid("supplier", 9, &late, nl, idl, 0, tender_id);
    assert_int_equal(submit(&sup, &late, nl, NULL, NULL), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "bids are closed"));
    tender_bids_v1_SealedBid_free(&late);

    /* The opening: a non-member, a share that does not fit, a repeat, then k. */
    testsrv_advance_to(&ts, opening_ms + 50);
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_SubmitShareRequest notme = sh;
    notme.member_key = (tnd_bytes){member_pk[1], 32}; /* admin's key, sent by the officer */
    assert_int_equal(call(&off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &notme,
                          NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    uint8_t wrong[SHARE];
    memcpy(wrong, shares[0], SHARE);
    wrong[5] ^= 1;
    tender_bids_v1_SubmitShareRequest bad_share = sh;
    bad_share.share = (tnd_bytes){wrong, SHARE};
    assert_int_equal(call(&off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc,
                          &bad_share, NULL, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(call(&off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &sh,
                          &tender_bids_v1_ShareAccepted_desc, &acc),
                     0);
    assert_int_equal(acc.received, 1);
    assert_false(acc.opened);
    assert_int_equal(call(&off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &sh, NULL,
                          NULL),
                     TND_STATUS_ALREADY_EXISTS);
    tender_bids_v1_SubmitShareRequest sh3 = {.tender_id = tender_id,
                                             .member_key = {member_pk[2], 32},
                                             .share = {shares[2], SHARE}};
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(call(&aud, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &sh3,
                          &tender_bids_v1_ShareAccepted_desc, &acc),
                     0);
    assert_true(acc.opened);

    /* The record: supplier 1 at 100000, supplier 2's replacement at 150000,
     * the tampered bid failed; the withdrawn and replaced ones are not opened. */
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    assert_int_equal(call(&anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref,
                          &tender_bids_v1_OpeningRecord_desc, &rec),
                     0);
    assert_int_equal(rec.n_bids, 3);
    int seen = 0;
    for (size_t i = 0; i < rec.n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &rec.bids[i];
        if (strcmp(o->bid_id, id1) == 0) {
            assert_true(o->valid);
            assert_int_equal(o->price->minor_units, 100000);
            assert_string_equal(o->supplier_org, "Acme Construction"); /* its certificate's */
            assert_int_equal(o->n_documents, 1);
            seen |= 1;
        } else if (strcmp(o->bid_id, id2b) == 0) {
            assert_true(o->valid);
            assert_int_equal(o->price->minor_units, 150000);
            seen |= 2;
        } else if (strcmp(o->bid_id, idt) == 0) {
            assert_false(o->valid);
            assert_non_null(strstr(o->failure, "bad decryption"));
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    /* The published key is the opening key: auditors can re-open every bid. */
    uint8_t pk[32];
    assert_int_equal(rec.opening_private_key.len, 32);
    assert_int_equal(tnd_x25519_public(rec.opening_private_key.data, pk), 0);
    assert_memory_equal(pk, opening_pk, 32);
    tender_bids_v1_BidContent content;
    tender_bids_v1_BidContent_init(&content);
    char why[200];
    assert_int_equal(tnd_bid_open(&b2b, rec.opening_private_key.data, &content, why, sizeof why),
                     0);
    assert_int_equal(content.price->minor_units, 150000);
    tender_bids_v1_BidContent_free(&content);
    /* After the opening every envelope is public: each re-opens (or fails)
     * with the published key exactly as the record says. */
    {
        tender_tenders_v1_TenderRef q = {.id = tender_id};
        uint8_t *buf;
        size_t len;
        assert_int_equal(tnd_msg_encode(&tender_tenders_v1_TenderRef_desc, &q, &buf, &len, NULL),
                         0);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        assert_int_equal(tnd_frame_put_call(&sb, anon.sid, B(GetSealedBids), NULL, 0, 0), 0);
        assert_int_equal(tnd_frame_put_message(&sb, anon.sid, buf, len, true), 0);
        assert_int_equal(rawconn_send(&anon.rc, &sb), 0);
        msgpack_sbuffer_destroy(&sb);
        free(buf);
        int n = 0, opened = 0;
        tnd_frame f;
        while (rawconn_read(&anon.rc, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
            tender_bids_v1_SealedBid sb2;
            tender_bids_v1_SealedBid_init(&sb2);
            assert_int_equal(tender_bids_v1_SealedBid_decode(&sb2, f.u.message.payload.ptr,
                                                             f.u.message.payload.len, NULL),
                             0);
            tender_bids_v1_BidContent bc;
            tender_bids_v1_BidContent_init(&bc);
            if (tnd_bid_open(&sb2, rec.opening_private_key.data, &bc, why, sizeof why) == 0)
                opened++;
            tender_bids_v1_BidContent_free(&bc);
            tender_bids_v1_SealedBid_free(&sb2);
            n++;
        }
        assert_int_equal(f.type, TND_FRAME_STATUS);
        assert_int_equal(f.u.status.code, 0);
        anon.sid += 2;
        assert_int_equal(n, 5);      /* in force, replaced, withdrawn and the tampered one */
        assert_int_equal(opened, 4); /* all but the tampered one */
    }
    /* The documents stay private: the published key opens a bid but not its
     * documents, which only the officers, the committee and auditors get. */
    {
        tender_bids_v1_BidContent bc;
        tender_bids_v1_BidContent_init(&bc);
        assert_int_equal(tnd_bid_open(&b1, rec.opening_private_key.data, &bc, why, sizeof why), 0);
        assert_int_equal(bc.n_documents, 1);
        assert_int_equal(bc.documents[0].content.len, 0);
        assert_true(bc.sealed_documents.len > 48);
        assert_null(memmem(bc.sealed_documents.data, bc.sealed_documents.len, DOC_MARKER,
                           strlen(DOC_MARKER)));
        tender_bids_v1_BidDocumentContents dc;
        tender_bids_v1_BidDocumentContents_init(&dc);
        assert_int_not_equal(tnd_bid_open_documents(&b1, &bc, rec.opening_private_key.data, &dc,
                                                    why, sizeof why),
                             0); /* the published key is not the documents key */
        tender_bids_v1_BidContent_free(&bc);
        char got[256];
        size_t gl;
        uint8_t sha[32] = {0}, want[32];
        assert_int_equal(get_documents(&anon, id1, got, sizeof got, &gl, sha),
                         TND_STATUS_UNAUTHENTICATED);
        assert_int_equal(get_documents(&sup2, id1, got, sizeof got, &gl, sha),
                         TND_STATUS_PERMISSION_DENIED);
        assert_int_equal(get_documents(&sup, id1, got, sizeof got, &gl, sha),
                         TND_STATUS_PERMISSION_DENIED); /* suppliers, even its own */
        /* the admin is a committee member who gave no share */
        assert_int_equal(get_documents(&adm, id1, got, sizeof got, &gl, sha),
                         TND_STATUS_PERMISSION_DENIED);
        assert_non_null(strstr(msg, "auditors"));
        SHA256((const uint8_t *)DOC_MARKER, strlen(DOC_MARKER), want);
        conn *readers[] = {&off, &aud};
        for (size_t i = 0; i < 2; i++) {
            memset(sha, 0, 32);
            assert_int_equal(get_documents(readers[i], id1, got, sizeof got, &gl, sha), 0);
            assert_int_equal(gl, strlen(DOC_MARKER));
            assert_memory_equal(got, DOC_MARKER, gl);
            assert_memory_equal(sha, want, 32);
        }
        /* the record lists them by hash, everyone sees it; the line matches */
        for (size_t i = 0; i < rec.n_bids; i++)
            if (strcmp(rec.bids[i].bid_id, id1) == 0) {
                assert_int_equal(rec.bids[i].documents[0].size, strlen(DOC_MARKER));
                assert_memory_equal(rec.bids[i].documents[0].sha256.data, want, 32);
            }
        /* the tampered bid did not open: nothing to serve */
        assert_int_equal(get_documents(&aud, idt, got, sizeof got, &gl, sha),
                         TND_STATUS_FAILED_PRECONDITION);
        /* the withdrawn one is not opened */
        assert_int_equal(get_documents(&aud, idw, got, sizeof got, &gl, sha),
                         TND_STATUS_NOT_FOUND);
        /* the server keeps no plaintext document, after the opening too */
        assert_false(file_contains(data, DOC_MARKER));
    }
    tender_bids_v1_OpeningRecord_free(&rec);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &tref,
                          &tender_tenders_v1_Tender_desc, &t),
                     0);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_OPENED);
    tender_tenders_v1_Tender_free(&t);

    /* The first receipt still verifies, against the checkpoint it carries,
     * and that checkpoint is a prefix of today's. */
    verify_receipt(&anon, &first_receipt);
    {
        tender_log_v1_VerifierKey vk;
        tender_log_v1_VerifierKey_init(&vk);
        tender_common_v1_Empty e = {0};
        assert_int_equal(call(&anon, L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_VerifierKey_desc, &vk),
                         0);
        tnd_note_verifier v;
        tnd_checkpoint then, now;
        assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
        tender_log_v1_VerifierKey_free(&vk);
        assert_int_equal(tnd_checkpoint_verify(first_receipt.checkpoint,
                                               strlen(first_receipt.checkpoint), &v, &then),
                         0);
        tender_log_v1_Checkpoint c;
        tender_log_v1_Checkpoint_init(&c);
        assert_int_equal(call(&anon, L(GetCheckpoint), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_Checkpoint_desc, &c),
                         0);
        assert_int_equal(tnd_checkpoint_verify(c.note, strlen(c.note), &v, &now), 0);
        tender_log_v1_Checkpoint_free(&c);
        assert_true(now.size > then.size);
        tender_log_v1_ConsistencyProofRequest q = {.first = then.size, .second = now.size};
        tender_log_v1_ConsistencyProof p;
        tender_log_v1_ConsistencyProof_init(&p);
        assert_int_equal(call(&anon, L(GetConsistencyProof),
                              &tender_log_v1_ConsistencyProofRequest_desc, &q,
                              &tender_log_v1_ConsistencyProof_desc, &p),
                         0);
        uint8_t proof[64][32];
        for (size_t i = 0; i < p.n_hashes; i++)
            memcpy(proof[i], p.hashes[i].data, 32);
        assert_int_equal(tnd_merkle_verify_consistency(then.size, now.size, then.root, now.root,
                                                       (const uint8_t(*)[32])proof, p.n_hashes),
                         0);
        tender_log_v1_ConsistencyProof_free(&p);
    }
    tender_bids_v1_Receipt_free(&first_receipt);

    tender_bids_v1_SealedBid *all[] = {&b1, &bw, &b2a, &b2b, &bt};
    for (size_t i = 0; i < 5; i++)
        tender_bids_v1_SealedBid_free(all[i]);
    conn *cs[] = {&off, &sup, &sup2, &aud, &anon, &adm};
    for (size_t i = 0; i < 6; i++)
        rawconn_close(&cs[i]->rc);
    (void)member_sk;
}

/* After the opening time: shares of members 0 and 2 open the tender; the
 * record into rec. */
static void open_and_fetch(conn *off, conn *aud, conn *anon, tender_bids_v1_OpeningRecord *rec)
{
    testsrv_advance_to(&ts, opening_ms + 50);
    tender_bids_v1_SubmitShareRequest s0 = {.tender_id = tender_id,
                                            .member_key = {member_pk[0], 32},
                                            .share = {shares[0], SHARE}};
    tender_bids_v1_SubmitShareRequest s2 = {.tender_id = tender_id,
                                            .member_key = {member_pk[2], 32},
                                            .share = {shares[2], SHARE}};
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(call(off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &s0,
                          &tender_bids_v1_ShareAccepted_desc, &acc),
                     0);
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(call(aud, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &s2,
                          &tender_bids_v1_ShareAccepted_desc, &acc),
                     0);
    assert_true(acc.opened);
    tender_tenders_v1_TenderRef tref = {.id = tender_id};
    tender_bids_v1_OpeningRecord_init(rec);
    assert_int_equal(call(anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref,
                          &tender_bids_v1_OpeningRecord_desc, rec),
                     0);
}

static const tender_bids_v1_OpenedBid *line_of(const tender_bids_v1_OpeningRecord *rec,
                                                const char *id)
{
    for (size_t i = 0; i < rec->n_bids; i++)
        if (strcmp(rec->bids[i].bid_id, id) == 0)
            return &rec->bids[i];
    fail_msg("bid %s is not in the opening record", id);
    return NULL;
}

/* Seal and submit one bid as the supplier; its id into id. */
static void bid_as(conn *sup, int64_t price, char id[40])
{
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    seal_bid("supplier", price, &b, n, id, 0, tender_id);
    if (submit(sup, &b, n, NULL, NULL) != 0)
        fail_msg("submit: %s", msg);
    tender_bids_v1_SealedBid_free(&b);
}

/* The result and detail of the decryption check of an audit. */
typedef struct decryption_seen {
    tnd_check_result result;
    char detail[600];
} decryption_seen;
static decryption_seen audit_decryption(conn *anon, bool with_ca);

/* Valid means valid for this tender (docs/SEALED.md): the version in force at
 * the deadline, a price in the tender's currency, above zero and at most the
 * tender's value. Each broken rule opens invalid with its reason; the bid's
 * supplier and price stay on its line. */
static void test_validity_rules(void **state)
{
    (void)state;
    conn off, sup, aud, anon;
    connect_as(&off, "officer");
    connect_as(&sup, "supplier");
    connect_as(&aud, "auditor");
    connect_as(&anon, NULL);
    create_tender(&off, 2500, 3000, 100000, false);
    enum { OLD, OK, AT_VALUE, ABOVE, ZERO, NEGATIVE, NO_PRICE, USD, NO_VERSION, NEXT, LYING, N };
    char id[N][40];
    bid_as(&sup, 90000, id[OLD]); /* answers version 1 */
    /* Amend: version 2 is in force at the deadline. */
    tender_tenders_v1_TenderRef tref = {.id = tender_id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &tref,
                          &tender_tenders_v1_Tender_desc, &t),
                     0);
    tender_tenders_v1_AmendTenderRequest am = {
        .id = tender_id, .fields = t.fields, .note = "clarified the scope"};
    if (call(&off, T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am, NULL, NULL) != 0)
        fail_msg("amend: %s", msg);
    tender_tenders_v1_Tender_free(&t);
    seal_version = 2;
    bid_as(&sup, 90000, id[OK]);
    bid_as(&sup, 100000, id[AT_VALUE]);
    bid_as(&sup, 100001, id[ABOVE]);
    bid_as(&sup, 0, id[ZERO]);
    bid_as(&sup, -5, id[NEGATIVE]);
    seal_currency = NULL;
    bid_as(&sup, 0, id[NO_PRICE]);
    seal_currency = "USD";
    bid_as(&sup, 50000, id[USD]);
    seal_currency = "KRW";
    seal_version = 0;
    bid_as(&sup, 90000, id[NO_VERSION]);
    seal_version = 3;
    bid_as(&sup, 90000, id[NEXT]); /* a version that never was */
    seal_version = 2;
    seal_lying_list = true; /* only the documents key can tell */
    bid_as(&sup, 90000, id[LYING]);
    seal_lying_list = false;
    seal_version = 1;

    tender_bids_v1_OpeningRecord rec;
    open_and_fetch(&off, &aud, &anon, &rec);
    assert_int_equal(rec.n_bids, N);
    static const char *const want[N] = {
        [OLD] = "answers version 1; the tender was at version 2 at its deadline",
        [ABOVE] = "the price 100001 KRW is above the tender's value 100000 KRW",
        [ZERO] = "the price 0 KRW is not above zero",
        [NEGATIVE] = "the price -5 KRW is not above zero",
        [NO_PRICE] = "no price",
        [USD] = "priced in USD; the tender is in KRW",
        [NO_VERSION] = "does not say which version it answers; the tender was at version 2 at "
                       "its deadline",
        [NEXT] = "answers version 3; the tender was at version 2 at its deadline",
        [LYING] = "the sealed documents do not match their list: document 0's size or sha256 "
                  "differs",
    };
    for (int i = 0; i < N; i++) {
        const tender_bids_v1_OpenedBid *o = line_of(&rec, id[i]);
        if (!want[i]) {
            assert_true(o->valid);
            assert_null(o->failure);
        } else {
            assert_false(o->valid);
            assert_non_null(o->failure);
            assert_string_equal(o->failure, want[i]);
        }
        /* It opened: the record still says who bid and what. */
        assert_string_equal(o->supplier_org, "Acme Construction");
        assert_int_equal(o->supplier_key.len, 32);
        assert_int_equal(o->n_documents, 1);
    }
    assert_int_equal(line_of(&rec, id[ABOVE])->price->minor_units, 100001);
    assert_null(line_of(&rec, id[NO_PRICE])->price);
    tender_bids_v1_OpeningRecord_free(&rec);
    /* The documents of the lying bid are not served; everyone's audit,
     * without the documents key, takes that one failure on the record's word. */
    char got[256];
    size_t gl;
    uint8_t sha[32];
    assert_int_equal(get_documents(&aud, id[LYING], got, sizeof got, &gl, sha),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "do not match their list"));
    decryption_seen d = audit_decryption(&anon, true);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption: %s", d.detail);
    assert_non_null(strstr(d.detail, "1 judged invalid because their sealed documents"));

    /* A tender without the cap takes a price above its value. */
    create_tender(&off, 2500, 3000, 100000, true);
    bid_as(&sup, 250000, id[ABOVE]);
    open_and_fetch(&off, &aud, &anon, &rec);
    assert_int_equal(rec.n_bids, 1);
    assert_true(line_of(&rec, id[ABOVE])->valid);
    tender_bids_v1_OpeningRecord_free(&rec);

    conn *cs[] = {&off, &sup, &aud, &anon};
    for (size_t i = 0; i < 4; i++)
        rawconn_close(&cs[i]->rc);
}


static void on_check(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    decryption_seen *d = ctx;
    if (strcmp(check, "decryption") == 0) {
        d->result = result;
        snprintf(d->detail, sizeof d->detail, "%s", detail);
    }
}

/* libtender's audit of the tender, as tenderctl audit verify runs it: the
 * decryption check with the CA as trust (or none). */
static decryption_seen audit_decryption(conn *anon, bool with_ca)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(call(anon, L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                          &tender_log_v1_VerifierKey_desc, &vk),
                     0);
    tnd_note_verifier v;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    tender_log_v1_VerifierKey_free(&vk);
    char server[64], ca[700], err[512] = "";
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("tnd_client_open: %s", err);
    tnd_tender_record r;
    tnd_status_info st;
    assert_int_equal(tnd_tender_record_fetch(c, tender_id, NULL, &r, &st), 0);
    tnd_bid_trust trust = {0};
    assert_int_equal(tnd_bid_trust_load(&trust, ca, NULL, err, sizeof err), 0);
    r.trust = with_ca ? &trust : NULL;
    decryption_seen d = {.result = TND_CHECK_SKIPPED};
    (void)tnd_tender_record_verify(&r, &v, NULL, on_check, &d);
    tnd_bid_trust_free(&trust);
    tnd_tender_record_free(&r);
    tnd_client_free(c);
    return d;
}

/* Who bid is what its certificate says (docs/SEALED.md): a bid claiming
 * another organisation opens under its certificate's; a bid whose
 * certificate is not its signing key's, or without one, opens invalid. */
static void test_who_bid(void **state)
{
    (void)state;
    conn off, sup, aud, anon;
    connect_as(&off, "officer");
    connect_as(&sup, "supplier");
    connect_as(&aud, "auditor");
    connect_as(&anon, NULL);
    create_tender(&off, 2500, 3000, -1, false);
    char claims[40], other_cert[40], no_cert[40], officer_cert[40];
    seal_org = "Globex Ltd"; /* supplier2's organisation */
    bid_as(&sup, 1000, claims);
    seal_org = NULL;
    seal_cert_of = "supplier2";
    bid_as(&sup, 1000, other_cert);
    seal_cert_of = "";
    bid_as(&sup, 1000, no_cert);
    seal_cert_of = "officer";
    bid_as(&sup, 1000, officer_cert);
    seal_cert_of = NULL;
    tender_bids_v1_OpeningRecord rec;
    open_and_fetch(&off, &aud, &anon, &rec);
    const tender_bids_v1_OpenedBid *o = line_of(&rec, claims);
    assert_true(o->valid);
    assert_string_equal(o->supplier_org, "Acme Construction");
    assert_string_equal(o->supplier_name, "supplier");
    o = line_of(&rec, other_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure,
                        "the bid is signed with a key that is not its certificate's "
                        "(CN=supplier2)");
    assert_null(o->supplier_org); /* nobody is named on an unproven claim */
    o = line_of(&rec, no_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure, "carries no certificate");
    o = line_of(&rec, officer_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure, "the certificate is an officer's, not a supplier's");
    tender_bids_v1_OpeningRecord_free(&rec);
    /* An auditor with the CA rebuilds the same lines; without it, the claims
     * inside the bids would stand, and the record differs. */
    decryption_seen d = audit_decryption(&anon, true);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption with the CA: %s", d.detail);
    d = audit_decryption(&anon, false);
    assert_int_equal(d.result, TND_CHECK_FAILED);
    assert_non_null(strstr(d.detail, "does not give the opening record"));
    conn *cs[] = {&off, &sup, &aud, &anon};
    for (size_t i = 0; i < 4; i++)
        rawconn_close(&cs[i]->rc);
}

/* The size of the public log, from its latest checkpoint. */
static uint64_t log_size(conn *anon)
{
    tender_common_v1_Empty e = {0};
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    assert_int_equal(call(anon, L(GetCheckpoint), &tender_common_v1_Empty_desc, &e,
                          &tender_log_v1_Checkpoint_desc, &cp),
                     0);
    uint64_t n = cp.size;
    tender_log_v1_Checkpoint_free(&cp);
    return n;
}

/* Memory that runs out inside a write fails all of it; memory that runs
 * out for a receipt after the commit is an error, never an OK with an
 * incomplete receipt, and the retry with the idempotency-key gets it. */
static void test_out_of_memory(void **state)
{
    (void)state;
    conn off, sup, anon;
    connect_as(&off, "officer");
    connect_as(&sup, "supplier");
    connect_as(&anon, NULL);
    create_and_publish(&off, 600000, 700000);

    /* A reply that cannot be built fails the write after its event was
     * appended: no tender, and the log does not grow. */
    uint64_t before = log_size(&anon);
    tnd_op_arena_max = sizeof(tender_tenders_v1_Tender) + 64; /* the reply, not its strings */
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_TenderFields fields = {.title = "Out of memory"};
    q.fields = &fields;
    assert_int_equal(call(&off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          &tender_tenders_v1_Tender_desc, NULL),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(msg, "nothing was stored"));
    tnd_op_arena_max = TND_OP_ARENA_MAX;
    assert_int_equal(log_size(&anon), before);
    tender_tenders_v1_ListTendersRequest lq;
    tender_tenders_v1_ListTendersRequest_init(&lq);
    tender_tenders_v1_ListTendersResponse lr;
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(call(&off, T(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                          &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     0);
    assert_int_equal(lr.n_tenders, 1); /* only the published one */
    tender_tenders_v1_ListTendersResponse_free(&lr);

    /* The bid is stored, its receipt cannot be built: UNAVAILABLE. */
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    char id[40];
    seal_bid("supplier", 100000, &b, nonce, id, 0, tender_id);
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    tnd_op_arena_max = sizeof(tender_bids_v1_Receipt) + 64; /* the reply, not the receipt */
    assert_int_equal(submit_keyed(&sup, &b, nonce, NULL, "oom-1", &r),
                     TND_STATUS_UNAVAILABLE);
    tnd_op_arena_max = TND_OP_ARENA_MAX;
    assert_non_null(strstr(msg, "receipt could not be built"));
    assert_null(r.bid_id); /* no receipt came */
    assert_int_equal(log_size(&anon), before + 1);
    tender_bids_v1_BidRef ref = {.tender_id = tender_id, .bid_id = id, .owner_nonce = {nonce, 32}};
    tender_bids_v1_BidStatus bs;
    tender_bids_v1_BidStatus_init(&bs);
    assert_int_equal(call(&sup, B(Status), &tender_bids_v1_BidRef_desc, &ref,
                          &tender_bids_v1_BidStatus_desc, &bs),
                     0);
    tender_bids_v1_BidStatus_free(&bs);
    /* The retry gets the whole receipt, and no second bid. */
    if (submit_keyed(&sup, &b, nonce, NULL, "oom-1", &r) != 0)
        fail_msg("retried submit: %s", msg);
    assert_string_equal(r.bid_id, id);
    assert_int_equal(r.leaf_index, before);
    assert_int_equal(r.tag_secret.len, 32);
    verify_receipt(&anon, &r);
    assert_int_equal(log_size(&anon), before + 1);
    tender_bids_v1_Receipt_free(&r);
    tender_bids_v1_SealedBid_free(&b);
    conn *cs[] = {&off, &sup, &anon};
    for (size_t i = 0; i < 3; i++)
        rawconn_close(&cs[i]->rc);
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sealed_bid_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validity_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_who_bid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests_name("bids", tests, NULL, NULL);
}
