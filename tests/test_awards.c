/* End-to-end tests of awards on an in-process server: a tender opened with
 * three bids (two valid, one that fails at the opening); every refusal of a
 * decision that contradicts the opening record, of other organisations and
 * of bad signatures; an award, its cancellation during the standstill, a
 * second award completed across a restart by the persistent schedule; an
 * unsuccessful tender; a weighted award on a tender that published its
 * criteria and weights; and the events of each step with the award's hash. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awards/awards.h"
#include "rawconn.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define A(name) "tender.awards.v1.Awards/" #name
#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define MARKER "award-test"
#define AW_DESC (&tender_awards_v1_AwardRequest_desc)
#define AWARD (&tender_awards_v1_Award_desc)

static testsrv ts;
static char msg[512];
static const char *const members[3] = {"officer", "admin", "auditor"};
static uint8_t member_sk[3][32], member_pk[3][32], opening_pk[32];
static uint8_t shares[3][33];
static char tender_id[64];
static int64_t deadline_ms, opening_ms;
/* The award criteria the next tender publishes (none: lowest price). */
static tender_tenders_v1_AwardCriterion *pub_criteria;
static size_t n_pub_criteria;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = 1000; /* short, so the completion can be watched */
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

/* The officer's side of tender creation: opening key, shares, commitments. */
static void make_committee(tender_tenders_v1_Committee *cm)
{
    uint8_t open_sk[32];
    assert_int_equal(tnd_x25519_keygen(open_sk, opening_pk), 0);
    assert_int_equal(tnd_shamir_split(open_sk, 32, 2, 3, &shares[0][0]), 0);
    tender_tenders_v1_Committee_init(cm);
    cm->threshold = 2;
    cm->n_members = 3;
    cm->members = calloc(3, sizeof *cm->members);
    cm->opening_public_key.data = malloc(32);
    memcpy(cm->opening_public_key.data, opening_pk, 32);
    cm->opening_public_key.len = 32;
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
        m->encrypted_share.data = malloc(32 + 33 + 16);
        assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, member_pk[i], info, sizeof info, aad,
                                       sizeof aad, shares[i], 33, m->encrypted_share.data,
                                       m->encrypted_share.data + 32),
                         0);
        m->encrypted_share.len = 32 + 33 + 16;
        m->share_hash.data = malloc(32);
        assert_int_equal(tnd_share_hash(shares[i], 33, m->share_hash.data), 0);
        m->share_hash.len = 32;
    }
    OPENSSL_cleanse(open_sk, sizeof open_sk);
}

static void create_and_publish(conn *off, int64_t dl_in_ms, int64_t open_in_ms)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Awards");
    deadline_ms = testsrv_now(&ts) + dl_in_ms;
    opening_ms = testsrv_now(&ts) + open_in_ms;
    tnd_ts_set(&q.fields->submission_deadline, deadline_ms);
    tnd_ts_set(&q.fields->opening_time, opening_ms);
    q.fields->committee = calloc(1, sizeof *q.fields->committee);
    make_committee(q.fields->committee);
    if (n_pub_criteria) {
        q.fields->award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED;
        q.fields->criteria = calloc(n_pub_criteria, sizeof *q.fields->criteria);
        q.fields->n_criteria = n_pub_criteria;
        for (size_t i = 0; i < n_pub_criteria; i++) {
            q.fields->criteria[i].name = strdup(pub_criteria[i].name);
            q.fields->criteria[i].weight = pub_criteria[i].weight;
        }
    }
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
    c.tender_version = 1; /* the version published, never amended here */
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = price;
    c.price->currency = strdup("KRW");
    c.notes = strdup(MARKER);
    c.supplier_org = strdup(who);
    c.supplier_name = strdup(who); /* no documents: test_bids seals them */
    new_bid_id(id);
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(testsrv_seal_certs(&ts, who, &c), 0);
    assert_int_equal(tnd_bid_seal(&c, tender, id, opening_pk, k, nonce_in, b, nonce), 0);
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

/* Submit in three pieces: the envelope, then the ciphertext in two chunks. */
static int submit(conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                  const char *replaces, tender_bids_v1_Receipt *rcpt)
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
    assert_int_equal(tnd_frame_put_call(&sb, c->sid, B(Submit), NULL, 0, 0), 0);
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
            snprintf(msg, sizeof msg, "%.*s", (int)f.u.status.message.len,
                     (const char *)f.u.status.message.ptr);
            st = (int)f.u.status.code;
            break;
        }
    }
    c->sid += 2;
    return st;
}

/* Publish, take bids (price 0: a tampered bid that fails at the opening),
 * wait for the opening time and open with two shares. ids[i] receives the
 * bid ids. */
static void opened_tender(conn *off, conn *aud, const char *const *who, const int64_t *price,
                          size_t n, char ids[][40])
{
    create_and_publish(off, 1200, 1400);
    for (size_t i = 0; i < n; i++) {
        conn s;
        connect_as(&s, who[i]);
        tender_bids_v1_SealedBid b;
        uint8_t nonce[32];
        seal_bid(who[i], price[i] ? price[i] : 5, &b, nonce, ids[i], price[i] == 0, tender_id);
        if (submit(&s, &b, nonce, NULL, NULL) != 0)
            fail_msg("submit: %s", msg);
        tender_bids_v1_SealedBid_free(&b);
        rawconn_close(&s.rc);
    }
    testsrv_advance_to(&ts, opening_ms + 50);
    tender_bids_v1_SubmitShareRequest s0 = {
        .tender_id = tender_id, .member_key = {member_pk[0], 32}, .share = {shares[0], 33}};
    tender_bids_v1_SubmitShareRequest s2 = {
        .tender_id = tender_id, .member_key = {member_pk[2], 32}, .share = {shares[2], 33}};
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(call(off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &s0,
                          &tender_bids_v1_ShareAccepted_desc, &acc),
                     0);
    tender_bids_v1_ShareAccepted_init(&acc);
    if (call(aud, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &s2,
             &tender_bids_v1_ShareAccepted_desc, &acc) != 0)
        fail_msg("share: %s", msg);
    assert_true(acc.opened);
}

/* A decision under construction: up to 8 evaluations. */
typedef struct dec {
    tender_awards_v1_Decision d;
    tender_awards_v1_BidEvaluation ev[8];
    tender_common_v1_Money price[8];
} dec;

static void dec_init(dec *x, const char *winner, const char *rationale)
{
    memset(x, 0, sizeof *x);
    x->d.tender_id = tender_id;
    x->d.criterion = tender_awards_v1_Criterion_LOWEST_PRICE;
    x->d.winner = (char *)winner;
    x->d.rationale = (char *)rationale;
    x->d.evaluations = x->ev;
}

static void dec_valid(dec *x, const char *bid, int64_t price)
{
    size_t i = x->d.n_evaluations++;
    x->price[i] = (tender_common_v1_Money){.minor_units = price, .currency = "KRW"};
    x->ev[i] = (tender_awards_v1_BidEvaluation){
        .bid_id = (char *)bid, .valid = true, .price = &x->price[i]};
}

static void dec_out(dec *x, const char *bid, const char *reason)
{
    x->ev[x->d.n_evaluations++] =
        (tender_awards_v1_BidEvaluation){.bid_id = (char *)bid, .reason = (char *)reason};
}

/* Sign with who's certificate key and send as c. */
static int record_as(conn *c, const char *signer, const dec *x, tender_awards_v1_Award *out)
{
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &x->d, &buf, &len, NULL), 0);
    EVP_PKEY *k = load_key(signer);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_awards_v1_AwardRequest r = {.decision = (tender_awards_v1_Decision *)&x->d,
                                       .signature = {sig, 64}};
    if (out)
        tender_awards_v1_Award_init(out);
    return call(c, A(Record), AW_DESC, &r, out ? AWARD : NULL, out);
}

static void expect(int got, int code, const char *needle)
{
    if (got != code || !strstr(msg, needle))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, needle, got, msg);
}

static int status_of(conn *c)
{
    tender_tenders_v1_TenderRef r = {.id = tender_id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(
        call(c, T(Get), &tender_tenders_v1_TenderRef_desc, &r, &tender_tenders_v1_Tender_desc, &t),
        0);
    int st = (int)t.status;
    tender_tenders_v1_Tender_free(&t);
    return st;
}

static void get_award(conn *c, tender_awards_v1_Award *a)
{
    tender_tenders_v1_TenderRef r = {.id = tender_id};
    tender_awards_v1_Award_init(a);
    if (call(c, A(Get), &tender_tenders_v1_TenderRef_desc, &r, AWARD, a) != 0)
        fail_msg("get award: %s", msg);
}

/* The last event of kind k about the tender, with its object hash. */
static bool find_event(int kind, const char *object_id, uint8_t hash[32])
{
    MDB_txn *txn;
    MDB_cursor *cur;
    bool found = false;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(ts.srv->store, TND_TABLE_EVENTS), &cur), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0 && !found;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if (tnd_msg_decode(&tender_events_v1_Event_desc, v.mv_data, v.mv_size, &ev, NULL) == 0 &&
            (int)ev.kind == kind && strcmp(ev.tender_id, tender_id) == 0 &&
            strcmp(ev.object_id ? ev.object_id : "", object_id) == 0 && ev.object_hash.len == 32) {
            memcpy(hash, ev.object_hash.data, 32);
            found = true;
        }
        tender_events_v1_Event_free(&ev);
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(ts.srv->store, txn);
    return found;
}

/* The event of kind k carries the hash of award a as it was then. */
static void expect_event(int kind, const tender_awards_v1_Award *a)
{
    uint8_t h[32], *buf;
    size_t len;
    if (!find_event(kind, a->id, h))
        fail_msg("no event %d for %s", kind, a->id);
    assert_int_equal(tnd_msg_encode(AWARD, a, &buf, &len, NULL), 0);
    uint8_t want[32];
    SHA256(buf, len, want);
    free(buf);
    assert_memory_equal(h, want, 32);
}

static void cert_key(const char *who, uint8_t pub[32])
{
    EVP_PKEY *k = load_key(who);
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    EVP_PKEY_free(k);
}

static void test_award_rules_standstill_restart(void **state)
{
    (void)state;
    conn off, off2, sup, aud, anon;
    connect_as(&off, "officer");
    connect_as(&off2, "officer2");
    connect_as(&sup, "supplier");
    connect_as(&aud, "auditor");
    connect_as(&anon, NULL);
    const char *who[] = {"supplier", "supplier2", "supplier2"};
    const int64_t price[] = {100000, 150000, 0};
    char ids[3][40];
    opened_tender(&off, &aud, who, price, 3, ids);
    const char *low = ids[0], *high = ids[1], *bad = ids[2];
    dec x;
    tender_awards_v1_Award a;

    /* Nothing to award before a decision; no award to show yet. */
    tender_tenders_v1_TenderRef tref = {.id = tender_id};
    expect(call(&anon, A(Get), &tender_tenders_v1_TenderRef_desc, &tref, NULL, NULL),
           TND_STATUS_NOT_FOUND, "has no award");

    /* The correct decision, refused to others. */
#define GOOD()                                                                                     \
    do {                                                                                           \
        dec_init(&x, low, "lowest valid price");                                                   \
        dec_valid(&x, low, 100000);                                                                \
        dec_valid(&x, high, 150000);                                                               \
        dec_out(&x, bad, "could not be decrypted");                                                \
    } while (0)
    GOOD();
    expect(record_as(&off2, "officer2", &x, NULL), TND_STATUS_PERMISSION_DENIED,
           "only its officers");
    expect(record_as(&sup, "supplier", &x, NULL), TND_STATUS_PERMISSION_DENIED, "");
    expect(record_as(&anon, "officer", &x, NULL), TND_STATUS_UNAUTHENTICATED, "");
    /* Signed by someone else's key: the signature must be the caller's. */
    expect(record_as(&off, "officer2", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "does not verify");

    /* Decisions that contradict the opening record. */
    dec_init(&x, "B-00000000000000000000000000000000", "r");
    dec_valid(&x, low, 100000);
    dec_valid(&x, high, 150000);
    dec_out(&x, bad, "failed");
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "winner B-00000000000000000000000000000000 is not an opened bid");
    GOOD();
    x.ev[0] = (tender_awards_v1_BidEvaluation){.bid_id = (char *)low, .reason = "late papers"};
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "is disqualified in this decision");
    GOOD();
    x.d.winner = (char *)high;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "not the lowest valid price: bid");
    GOOD();
    x.price[1].minor_units = 140000;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "price 140000 KRW differs from the opening record's 150000 KRW");
    GOOD();
    x.price[0].currency = "EUR";
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "differs from the opening record");
    GOOD();
    x.d.n_evaluations = 2; /* the failed bid left out */
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "skips opened bid");
    GOOD();
    x.ev[2] = (tender_awards_v1_BidEvaluation){
        .bid_id = (char *)bad, .valid = true, .price = &x.price[2]};
    x.price[2] = (tender_common_v1_Money){.minor_units = 5, .currency = "KRW"};
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "is not valid at the opening");
    GOOD();
    dec_out(&x, "B-ffffffffffffffffffffffffffffffff", "x");
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "was not opened in tender");
    GOOD();
    dec_out(&x, high, "again");
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "evaluated twice");
    GOOD();
    x.ev[2].reason = NULL;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "needs a reason");
    GOOD();
    x.d.criterion = tender_awards_v1_Criterion_WEIGHTED;
    x.ev[0].score = 90;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "publishes no award weights: only a lowest-price award is allowed");
    GOOD();
    x.d.rationale = NULL;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "rationale");
    GOOD();
    x.d.winner = NULL;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "winner: required");
    GOOD();
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "cannot be unsuccessful");
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_OPENED);

    /* The award: stored with the signature and the officer's key, which
     * verify the decision; the tender is awarded and the event logged. */
    GOOD();
    if (record_as(&off, "officer", &x, &a) != 0)
        fail_msg("award: %s", msg);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_AWARDED);
    get_award(&anon, &a);
    uint8_t opk[32];
    cert_key("officer", opk);
    assert_int_equal(a.officer_key.len, 32);
    assert_memory_equal(a.officer_key.data, opk, 32);
    assert_int_equal(
        tnd_award_verify(a.decision, a.signature.data, a.signature.len, a.officer_key.data), 0);
    assert_int_equal(a.state, tender_awards_v1_AwardState_STANDSTILL);
    assert_string_equal(a.decision->winner, low);
    assert_string_equal(a.officer->organisation, "Ministry of Works");
    expect_event(tender_events_v1_EventKind_AWARD_RECORDED, &a);
    char first_id[96];
    snprintf(first_id, sizeof first_id, "%s", a.id);
    tender_awards_v1_Award_free(&a);
    GOOD();
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, "is awarded");

    /* Cancelled during the standstill, with a logged reason: opened again. */
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = tender_id, .reason = "complaint upheld"};
    expect(call(&off2, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_PERMISSION_DENIED, "only its officers");
    tender_awards_v1_CancelAwardRequest noreason = {.tender_id = tender_id};
    expect(call(&off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &noreason, NULL, NULL),
           TND_STATUS_INVALID_ARGUMENT, "reason");
    tender_awards_v1_Award_init(&a);
    if (call(&off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, AWARD, &a) != 0)
        fail_msg("cancel: %s", msg);
    assert_int_equal(a.state, tender_awards_v1_AwardState_CANCELLED);
    assert_string_equal(a.cancel_reason, "complaint upheld");
    assert_string_equal(a.id, first_id);
    expect_event(tender_events_v1_EventKind_AWARD_CANCELLED, &a);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_OPENED);
    expect(call(&off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "only an award in its standstill");
    /* The cancelled award stays readable by its id, to everyone. */
    tender_awards_v1_AwardRef aref = {.id = first_id};
    tender_awards_v1_Award_init(&a);
    if (call(&anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, AWARD, &a) != 0)
        fail_msg("get by id: %s", msg);
    assert_string_equal(a.id, first_id);
    assert_int_equal(a.state, tender_awards_v1_AwardState_CANCELLED);
    tender_awards_v1_Award_free(&a);
    char other[120];
    snprintf(other, sizeof other, "%s-A9", tender_id);
    aref.id = other;
    expect(call(&anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, NULL, NULL),
           TND_STATUS_NOT_FOUND, "no award");
    static const char *const bad_ids[] = {"",       "A1",      "T-1-A0",          "T-1-A",
                                          "T-1-B1", "T-1-A1x", "T-1-A99999999999"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        aref.id = (char *)bad_ids[i];
        expect(call(&anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "an award id such as");
    }
    /* The cancelled award's standstill ends with nothing to complete. */
    testsrv_advance(&ts, 1300);
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_OPENED);

    /* A new decision; the server stops before its standstill ends, and at
     * start-up the overdue completion is applied. */
    GOOD();
    x.d.rationale = "lowest valid price, after review";
    if (record_as(&off, "officer", &x, &a) != 0)
        fail_msg("second award: %s", msg);
    assert_string_not_equal(a.id, first_id);
    tender_awards_v1_Award_free(&a);
    conn *cs[] = {&off, &off2, &sup, &aud, &anon};
    for (size_t i = 0; i < 5; i++)
        rawconn_close(&cs[i]->rc);
    testsrv_halt(&ts);
    testsrv_advance(&ts, 1300);
    testsrv_start(&ts, cfg, NULL);
    connect_as(&off, "officer");
    connect_as(&anon, NULL);
    int st = 0;
    for (int i = 0; i < 100 && (st = status_of(&anon)) != tender_tenders_v1_TenderStatus_COMPLETE;
         i++)
        usleep(20000);
    assert_int_equal(st, tender_tenders_v1_TenderStatus_COMPLETE);
    get_award(&anon, &a);
    assert_int_equal(a.state, tender_awards_v1_AwardState_FINAL);
    assert_non_null(a.closed);
    expect_event(tender_events_v1_EventKind_TENDER_COMPLETED, &a);
    tender_awards_v1_Award_free(&a);
    expect(call(&off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "is complete");
    rawconn_close(&off.rc);
    rawconn_close(&anon.rc);
}

/* Without a restart: the timer completes the tender when the standstill ends. */
static void test_standstill_timer(void **state)
{
    (void)state;
    conn off, aud;
    connect_as(&off, "officer");
    connect_as(&aud, "auditor");
    const char *who[] = {"supplier"};
    const int64_t price[] = {777};
    char ids[1][40];
    opened_tender(&off, &aud, who, price, 1, ids);
    dec x;
    dec_init(&x, ids[0], "the only bid, within budget");
    dec_valid(&x, ids[0], 777);
    tender_awards_v1_Award a;
    if (record_as(&off, "officer", &x, &a) != 0)
        fail_msg("award: %s", msg);
    tender_awards_v1_Award_free(&a);
    testsrv_advance(&ts, 900);
    assert_int_equal(status_of(&off), tender_tenders_v1_TenderStatus_AWARDED);
    testsrv_advance(&ts, 100);
    assert_int_equal(status_of(&off), tender_tenders_v1_TenderStatus_COMPLETE);
    rawconn_close(&off.rc);
    rawconn_close(&aud.rc);
}

/* No valid bid: the tender is recorded as unsuccessful. */
static void test_unsuccessful(void **state)
{
    (void)state;
    conn off, aud, anon;
    connect_as(&off, "officer");
    connect_as(&aud, "auditor");
    connect_as(&anon, NULL);
    const char *who[] = {"supplier2"};
    const int64_t price[] = {0};
    char ids[1][40];
    opened_tender(&off, &aud, who, price, 1, ids);
    dec x;
    dec_init(&x, NULL, "no bid could be opened");
    x.d.unsuccessful = true;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "skips opened bid");
    dec_out(&x, ids[0], "the ciphertext does not decrypt");
    x.d.winner = ids[0];
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT,
           "an unsuccessful decision has no winner");
    x.d.winner = NULL;
    tender_awards_v1_Award a;
    if (record_as(&off, "officer", &x, &a) != 0)
        fail_msg("unsuccessful: %s", msg);
    assert_int_equal(a.state, tender_awards_v1_AwardState_UNSUCCESSFUL);
    assert_null(a.standstill_end);
    expect_event(tender_events_v1_EventKind_TENDER_UNSUCCESSFUL, &a);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_UNSUCCESSFUL);
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = tender_id, .reason = "r"};
    expect(call(&off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "is unsuccessful");
    rawconn_close(&off.rc);
    rawconn_close(&aud.rc);
    rawconn_close(&anon.rc);
}

/* A draft's fields with the given criteria, sent by Create. */
static int create_with(conn *c, tender_tenders_v1_AwardCriterion *cr, size_t n,
                       tender_tenders_v1_Tender *out)
{
    tender_tenders_v1_TenderFields f = {.title = "Weights",
                                        .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                        .criteria = cr,
                                        .n_criteria = n};
    tender_tenders_v1_CreateTenderRequest q = {.fields = &f};
    if (out)
        tender_tenders_v1_Tender_init(out);
    return call(c, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                out ? &tender_tenders_v1_Tender_desc : NULL, out);
}

static void dec_scores(dec *x, size_t i, tender_awards_v1_CriterionScore *s, uint32_t price,
                       uint32_t quality)
{
    s[0] = (tender_awards_v1_CriterionScore){.criterion = "price", .points = price};
    s[1] = (tender_awards_v1_CriterionScore){.criterion = "quality", .points = quality};
    x->ev[i].scores = s;
    x->ev[i].n_scores = 2;
}

/* Weighted awards: the weights published with the tender (checked at
 * create and edit), a lowest-price award refused on it, and a weighted
 * award that goes to the highest weighted total even at a higher price. */
static void test_weighted(void **state)
{
    (void)state;
    conn off, aud, anon;
    connect_as(&off, "officer");
    connect_as(&aud, "auditor");
    connect_as(&anon, NULL);
    tender_tenders_v1_AwardCriterion bad[2] = {{.name = "price", .weight = 60},
                                               {.name = "quality", .weight = 30}};
    expect(create_with(&off, bad, 2, NULL), TND_STATUS_INVALID_ARGUMENT,
           "fields.criteria: the weights add up to 90%; they must add up to 100");
    expect(create_with(&off, bad, 0, NULL), TND_STATUS_INVALID_ARGUMENT,
           "a weighted award publishes its criteria");
    bad[1].weight = 40;
    tender_tenders_v1_Tender draft;
    if (create_with(&off, bad, 2, &draft) != 0)
        fail_msg("create: %s", msg);
    assert_int_equal(draft.fields->award_criteria, tender_tenders_v1_AwardCriteria_WEIGHTED);
    assert_int_equal(draft.fields->n_criteria, 2);
    assert_int_equal(draft.fields->criteria[1].weight, 40);
    bad[1].weight = 0;
    tender_tenders_v1_TenderFields ef = {.title = "Weights",
                                         .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                         .criteria = bad,
                                         .n_criteria = 2};
    tender_tenders_v1_EditTenderRequest eq = {.id = draft.id, .fields = &ef};
    expect(call(&off, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &eq, NULL, NULL),
           TND_STATUS_INVALID_ARGUMENT, "fields.criteria[1].weight: 0; a weight is 1..100");
    tender_tenders_v1_Tender_free(&draft);

    /* Published: price 60 %, quality 40 %. Bids 100000 and 150000 KRW. */
    tender_tenders_v1_AwardCriterion crit[2] = {{.name = "price", .weight = 60},
                                                {.name = "quality", .weight = 40}};
    pub_criteria = crit;
    n_pub_criteria = 2;
    const char *who[] = {"supplier", "supplier2"};
    const int64_t price[] = {100000, 150000};
    char ids[2][40];
    opened_tender(&off, &aud, who, price, 2, ids);
    pub_criteria = NULL;
    n_pub_criteria = 0;
    const char *low = ids[0], *high = ids[1];
    dec x;
    tender_awards_v1_CriterionScore s[2][2];
#define WGOOD()                                                                                    \
    do {                                                                                           \
        dec_init(&x, high, "highest weighted total: quality outweighs the price");                 \
        x.d.criterion = tender_awards_v1_Criterion_WEIGHTED;                                       \
        dec_valid(&x, low, 100000);                                                                \
        dec_valid(&x, high, 150000);                                                               \
        dec_scores(&x, 0, s[0], 100, 40); /* 6000 + 1600 = 76.00 */                                \
        dec_scores(&x, 1, s[1], 67, 100); /* 4020 + 4000 = 80.20 */                                \
    } while (0)

    /* The tender published weights: a lowest-price award is refused. */
    dec_init(&x, low, "lowest valid price");
    dec_valid(&x, low, 100000);
    dec_valid(&x, high, 150000);
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "published weighted award criteria: the award must be weighted");
    /* Not the highest total. */
    WGOOD();
    x.d.winner = (char *)low;
    char want[200];
    snprintf(want, sizeof want,
             "winner %s totals 76.00 points, not the highest weighted total: 1 valid bid totals "
             "more: %s (80.20)",
             low, high);
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, want);
    /* A criterion the tender does not publish; a missing score. */
    WGOOD();
    s[1][1].criterion = "design";
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "score for \"design\", which is not a published criterion");
    WGOOD();
    x.ev[0].n_scores = 1;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "no score for published criterion \"quality\"");
    WGOOD();
    s[0][0].points = 120;
    expect(record_as(&off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT,
           "120 points on \"price\"");
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_OPENED);

    /* The weighted award: the higher price wins on its total. */
    WGOOD();
    tender_awards_v1_Award a;
    if (record_as(&off, "officer", &x, &a) != 0)
        fail_msg("weighted award: %s", msg);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&anon), tender_tenders_v1_TenderStatus_AWARDED);
    get_award(&anon, &a);
    assert_string_equal(a.decision->winner, high);
    assert_int_equal(a.decision->criterion, tender_awards_v1_Criterion_WEIGHTED);
    assert_int_equal(a.decision->evaluations[1].n_scores, 2);
    assert_int_equal(
        tnd_award_verify(a.decision, a.signature.data, a.signature.len, a.officer_key.data), 0);
    expect_event(tender_events_v1_EventKind_AWARD_RECORDED, &a);
    tender_awards_v1_Award_free(&a);
    rawconn_close(&off.rc);
    rawconn_close(&aud.rc);
    rawconn_close(&anon.rc);
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
        cmocka_unit_test_setup_teardown(test_award_rules_standstill_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standstill_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsuccessful, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weighted, setup, teardown),
    };
    return cmocka_run_group_tests_name("awards", tests, NULL, NULL);
}
