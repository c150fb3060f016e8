/* tender/receipt.h and tender/committee_make.h against a real server: a
 * committee made with tnd_committee_make (its shares open, k of them give
 * back the opening key), a tender with it, a bid sealed, sent in chunks with
 * tnd_bid_submit and its receipt verified; then every kind of tampering with
 * the receipt, or a receipt checked against another bid, tender, kind, hash
 * or key, refused with a message saying what did not hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/committee_make.h"
#include "tender/identity.h"
#include "tender/receipt.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define K 2
#define N 3
#define SHARE TND_SHAMIR_SHARE_LEN(64)

static testsrv ts;
static tnd_client *officer, *supplier;
static tnd_log_state ls;
static uint8_t member_sk[N][32], opening_pk[32];
static char tender_id[64], bid_id[TND_BID_ID_LEN + 1];
static tender_bids_v1_SealedBid bid;
static tender_bids_v1_Receipt receipt;
static uint8_t sent_hash[32];

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
}

static tnd_client *open_as(const char *who)
{
    char server[64], ca[700], crt[700], key[700], f[64], err[512] = "";
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    o.server = server;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(f, sizeof f, "%s.crt", who);
    o.cert_file = testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    o.key_file = testsrv_path(&ts, f, key, sizeof key);
    tnd_client *c = NULL;
    int rc = tnd_client_open(&o, &c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "tnd_client_open: %s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

static tender_tenders_v1_Committee *members(void)
{
    static const char *const names[N] = {"officer", "admin", "auditor"};
    tender_tenders_v1_Committee *cm = calloc(1, sizeof *cm);
    tender_tenders_v1_Committee_init(cm);
    cm->threshold = K;
    cm->n_members = N;
    cm->members = calloc(N, sizeof *cm->members);
    for (int i = 0; i < N; i++) {
        uint8_t pk[32];
        assert_int_equal(tnd_x25519_keygen(member_sk[i], pk), 0);
        cm->members[i].name = strdup(names[i]);
        cm->members[i].public_key.data = malloc(32);
        memcpy(cm->members[i].public_key.data, pk, 32);
        cm->members[i].public_key.len = 32;
    }
    return cm;
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    officer = open_as("officer");
    supplier = open_as("supplier");
    tnd_status_info st;
    assert_int_equal(tnd_log_state_fetch_key(&ls, supplier, &st), 0);
    tender_bids_v1_SealedBid_init(&bid);
    tender_bids_v1_Receipt_init(&receipt);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid_free(&bid);
    tender_bids_v1_Receipt_free(&receipt);
    tnd_log_state_free(&ls);
    tnd_client_free(officer);
    tnd_client_free(supplier);
    testsrv_stop(&ts);
    return 0;
}

/* tnd_committee_make: every share opens with its member's key, matches its
 * hash, and any K of them give back the opening private key. */
static void test_committee_make(void **state)
{
    (void)state;
    tender_tenders_v1_Committee *cm = members();
    char msg[400];
    assert_int_equal(tnd_committee_make(cm, true, msg, sizeof msg), 0);
    assert_int_equal(cm->opening_public_key.len, 32);
    assert_int_equal(cm->documents_public_key.len, 32);
    assert_int_equal(tnd_committee_check(cm, true, msg, sizeof msg), 0);
    memcpy(opening_pk, cm->opening_public_key.data, 32);
    uint8_t fp[32], info[TND_SEALED_SHARE_INFO_LEN], aad[TND_SEALED_SHARE_AAD_LEN];
    uint8_t shares[N][SHARE];
    assert_int_equal(tnd_opening_key_fingerprint(opening_pk, fp), 0);
    assert_int_equal(tnd_sealed_share_info(fp, info), 0);
    assert_int_equal(tnd_sealed_share_aad(K, N, aad), 0);
    for (int i = 0; i < N; i++) {
        const tnd_bytes *e = &cm->members[i].encrypted_share;
        assert_int_equal(e->len, TND_SEALED_SHARE_DOCS_LEN);
        assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, member_sk[i], e->data, info, sizeof info,
                                       aad, sizeof aad, e->data + 32, e->len - 32, shares[i]),
                         0);
        uint8_t h[32];
        assert_int_equal(tnd_share_hash(shares[i], SHARE, h), 0);
        assert_memory_equal(h, cm->members[i].share_hash.data, 32);
        /* Another member's key does not open it. */
        uint8_t other[SHARE];
        assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, member_sk[(i + 1) % N], e->data, info,
                                       sizeof info, aad, sizeof aad, e->data + 32, e->len - 32,
                                       other),
                         TND_ECRYPTO);
    }
    uint8_t secret[64], pk[32], dpk[32];
    assert_int_equal(tnd_shamir_combine(&shares[1][0], K, 64, secret), 0);
    assert_int_equal(tnd_x25519_public(secret, pk), 0);
    assert_int_equal(tnd_x25519_public(secret + 32, dpk), 0);
    assert_memory_equal(pk, opening_pk, 32);
    assert_memory_equal(dpk, cm->documents_public_key.data, 32);

    /* Made again without a documents key: new keys, shorter shares. */
    assert_int_equal(tnd_committee_make(cm, false, msg, sizeof msg), 0);
    assert_int_equal(cm->documents_public_key.len, 0);
    assert_int_equal(cm->members[0].encrypted_share.len, TND_SEALED_SHARE_LEN);
    assert_memory_not_equal(cm->opening_public_key.data, opening_pk, 32);
    tender_tenders_v1_Committee_free(cm);
    free(cm);

    /* Committees that break the rules are refused, with the field named. */
    cm = members();
    cm->threshold = N + 1;
    assert_int_equal(tnd_committee_make(cm, true, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "fields.committee.threshold"));
    assert_int_equal(cm->opening_public_key.len, 0);
    cm->threshold = K;
    memset(cm->members[2].public_key.data, 0, 32); /* low order: readable by anyone */
    assert_int_equal(tnd_committee_make(cm, true, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "fields.committee.members[2].public_key"));
    free(cm->members[2].name);
    cm->members[2].name = strdup("officer"); /* one person twice */
    assert_int_equal(tnd_committee_make(cm, true, msg, sizeof msg), TND_EINVAL);
    tender_tenders_v1_Committee_free(cm);
    free(cm);
    assert_int_equal(tnd_committee_make(NULL, true, msg, sizeof msg), TND_EINVAL);
}

static void test_bid_ids(void **state)
{
    (void)state;
    char a[TND_BID_ID_LEN + 1], b[TND_BID_ID_LEN + 1];
    assert_int_equal(tnd_bid_id_new(a), 0);
    assert_int_equal(tnd_bid_id_new(b), 0);
    assert_true(tnd_bid_id_valid(a));
    assert_string_not_equal(a, b);
    assert_true(tnd_bid_id_valid("B-0123456789abcdef0123456789abcdef"));
    assert_false(tnd_bid_id_valid("B-0123456789ABCDEF0123456789abcdef"));  /* uppercase */
    assert_false(tnd_bid_id_valid("B-0123456789abcdef0123456789abcde"));   /* short */
    assert_false(tnd_bid_id_valid("B-0123456789abcdef0123456789abcdef0")); /* long */
    assert_false(tnd_bid_id_valid("X-0123456789abcdef0123456789abcdef"));
    assert_false(tnd_bid_id_valid("B-0123456789abcdef0123456789abcdeg"));
    assert_false(tnd_bid_id_valid(NULL));
}

/* Create and publish a tender, seal a bid with a 2.5 MiB document (three
 * chunks), send it, and verify the receipt with the hash of what was sent. */
static void test_submit_and_verify(void **state)
{
    (void)state;
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Receipts");
    tnd_ts_set(&q.fields->submission_deadline, tnd_wall_ms() + 600000);
    tnd_ts_set(&q.fields->opening_time, tnd_wall_ms() + 700000);
    q.fields->committee = members();
    char msg[400];
    assert_int_equal(tnd_committee_make(q.fields->committee, true, msg, sizeof msg), 0);
    uint8_t documents_pk[32];
    memcpy(opening_pk, q.fields->committee->opening_public_key.data, 32);
    memcpy(documents_pk, q.fields->committee->documents_public_key.data, 32);
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    assert_int_equal(tender_tenders_v1_Tenders_Create(officer, &q, &t, NULL, &st), 0);
    snprintf(tender_id, sizeof tender_id, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    tender_tenders_v1_TenderRef ref = {.id = tender_id};
    assert_int_equal(tender_tenders_v1_Tenders_Publish(officer, &ref, &t, NULL, &st), 0);
    tender_tenders_v1_Tender_free(&t);

    char crt[700], key[700], err[300];
    tnd_identity id;
    assert_int_equal(tnd_identity_load(&id, testsrv_path(&ts, "supplier.crt", crt, sizeof crt),
                                       testsrv_path(&ts, "supplier.key", key, sizeof key), err,
                                       sizeof err),
                     0);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = 1000;
    c.price->currency = strdup("KRW");
    c.tender_version = 1;
    c.supplier_org = strdup(id.org);
    c.supplier_name = strdup(id.name);
    size_t doc_len = 2 * TND_BID_CHUNK + TND_BID_CHUNK / 2;
    c.n_documents = 1;
    c.documents = calloc(1, sizeof *c.documents);
    c.documents[0].name = strdup("offer.bin");
    c.documents[0].media_type = strdup("application/octet-stream");
    c.documents[0].content.data = malloc(doc_len);
    c.documents[0].content.len = doc_len;
    assert_int_equal(RAND_bytes(c.documents[0].content.data, (int)doc_len), 1);
    assert_int_equal(tnd_identity_put_certificates(&id, &c), 0);
    assert_int_equal(tnd_bid_id_new(bid_id), 0);
    uint8_t own[32], nonce[32], pub[32];
    size_t pl = 32;
    assert_int_equal(RAND_bytes(own, 32), 1);
    assert_int_equal(EVP_PKEY_get_raw_public_key(id.key, pub, &pl), 1);
    assert_int_equal(tnd_bid_seal_documents(&c, tender_id, bid_id, own, pub, documents_pk), 0);
    assert_int_equal(tnd_bid_seal(&c, tender_id, bid_id, opening_pk, id.key, own, &bid, nonce), 0);
    tender_bids_v1_BidContent_free(&c);
    tnd_identity_free(&id);
    assert_true(bid.ciphertext.len > 2 * TND_BID_CHUNK);

    bool unknown = true;
    int rc = tnd_bid_submit(supplier, NULL, &bid, nonce, NULL, &receipt, &unknown, &st);
    if (rc != 0)
        fprintf(stderr, "Bids/Submit: %s\n", st.message);
    assert_int_equal(rc, 0);
    assert_false(unknown);
    assert_int_equal(tnd_bid_stored_hash(&bid, &receipt, NULL, sent_hash), 0);
    assert_null(bid.received); /* the envelope is left as it was */
    tnd_checkpoint cp;
    assert_int_equal(tnd_receipt_verify(&ls, &receipt, tender_events_v1_EventKind_BID_RECEIVED,
                                        tender_id, bid_id, sent_hash, &cp, &st),
                     0);
    assert_true(receipt.leaf_index < cp.size);
    /* The receipt's checkpoint is a prefix of today's. */
    char *note;
    tnd_checkpoint now;
    assert_int_equal(tnd_log_fetch_checkpoint(&ls, supplier, &note, &now, &st), 0);
    free(note);
    assert_int_equal(tnd_log_prove_consistent(supplier, &cp, &now, NULL, &st), 0);

    /* The same bid again: refused by the server, and not "unknown". */
    tender_bids_v1_Receipt again;
    rc = tnd_bid_submit(supplier, NULL, &bid, nonce, NULL, &again, &unknown, &st);
    assert_true(rc > 0);
    assert_false(unknown);
    tender_bids_v1_Receipt_free(&again);
}

/* Verify a copy of the receipt changed by edit; it must fail with want in
 * the message. */
static void expect_refused(void (*edit)(tender_bids_v1_Receipt *), int kind, const char *tender,
                           const char *bid_, const uint8_t *hash, const char *want)
{
    uint8_t *enc;
    size_t len;
    assert_int_equal(tender_bids_v1_Receipt_encode(&receipt, &enc, &len, NULL), 0);
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    assert_int_equal(tender_bids_v1_Receipt_decode(&r, enc, len, NULL), 0);
    free(enc);
    if (edit)
        edit(&r);
    tnd_checkpoint cp;
    tnd_status_info st;
    int rc = tnd_receipt_verify(&ls, &r, kind, tender, bid_, hash, &cp, &st);
    if (rc != TND_ECRYPTO || !strstr(st.message, want))
        fprintf(stderr, "got %d: %s\nwanted: %s\n", rc, st.message, want);
    assert_int_equal(rc, TND_ECRYPTO);
    assert_non_null(strstr(st.message, want));
    tender_bids_v1_Receipt_free(&r);
}

static void flip_leaf(tender_bids_v1_Receipt *r)
{
    r->leaf.data[r->leaf.len / 2] ^= 1;
}
static void flip_proof(tender_bids_v1_Receipt *r)
{
    if (r->n_proof)
        r->proof[0].data[0] ^= 1;
    else
        r->leaf_index++;
}
static void move_index(tender_bids_v1_Receipt *r)
{
    r->leaf_index += 1000000;
}
static void flip_envelope(tender_bids_v1_Receipt *r)
{
    r->envelope_hash.data[0] ^= 1;
}
static void flip_signature(tender_bids_v1_Receipt *r)
{
    char *b64 = strrchr(r->checkpoint, ' ') + 1;
    b64[10] = b64[10] == 'A' ? 'B' : 'A';
}
static void drop_checkpoint(tender_bids_v1_Receipt *r)
{
    free(r->checkpoint);
    r->checkpoint = NULL;
}
static void flip_tag_secret(tender_bids_v1_Receipt *r)
{
    if (r->tag_secret.len)
        r->tag_secret.data[0] ^= 1;
}
static void other_bid_named(tender_bids_v1_Receipt *r)
{
    free(r->bid_id);
    r->bid_id = strdup("B-00000000000000000000000000000000");
}

static void test_tampered_receipts(void **state)
{
    (void)state;
    const int RECEIVED = tender_events_v1_EventKind_BID_RECEIVED;
    expect_refused(flip_leaf, RECEIVED, tender_id, bid_id, sent_hash,
                   "the inclusion proof does not verify");
    expect_refused(flip_proof, RECEIVED, tender_id, bid_id, sent_hash,
                   "the inclusion proof does not verify");
    expect_refused(move_index, RECEIVED, tender_id, bid_id, sent_hash, "is not included at");
    expect_refused(flip_envelope, RECEIVED, tender_id, bid_id, sent_hash,
                   "is not the hash of the bid that was sent");
    expect_refused(flip_signature, RECEIVED, tender_id, bid_id, sent_hash,
                   "the checkpoint of the receipt: the signature is bad");
    expect_refused(drop_checkpoint, RECEIVED, tender_id, bid_id, sent_hash, "is incomplete");
    expect_refused(flip_tag_secret, RECEIVED, tender_id, bid_id, sent_hash,
                   "is not the BID_RECEIVED event");
    expect_refused(other_bid_named, RECEIVED, tender_id, bid_id, sent_hash, "names another bid");
    /* Checked against something else than what it proves. */
    uint8_t other_hash[32];
    memcpy(other_hash, sent_hash, 32);
    other_hash[31] ^= 1;
    expect_refused(NULL, RECEIVED, tender_id, bid_id, other_hash,
                   "is not the hash of the bid that was sent");
    expect_refused(NULL, RECEIVED, tender_id, "B-00000000000000000000000000000000", NULL,
                   "is not the BID_RECEIVED event of bid B-0000");
    expect_refused(NULL, RECEIVED, "T-2026-999999", bid_id, NULL, "in tender T-2026-999999");
    expect_refused(NULL, tender_events_v1_EventKind_BID_WITHDRAWN, tender_id, bid_id, NULL,
                   "the withdrawal receipt");
    /* Checked with another log key. */
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t pub[32];
    size_t pl = 32;
    char vkey[TND_NOTE_VKEY_MAX];
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    EVP_PKEY_free(k);
    assert_int_equal(tnd_note_verifier_format(ls.v.name, pub, vkey, sizeof vkey), 0);
    tnd_log_state other;
    assert_int_equal(tnd_log_state_init(&other, vkey), 0);
    tnd_checkpoint cp;
    tnd_status_info st;
    assert_int_equal(
        tnd_receipt_verify(&other, &receipt, RECEIVED, tender_id, bid_id, sent_hash, &cp, &st),
        TND_ECRYPTO);
    assert_non_null(strstr(st.message, "is not signed by the log key"));
    tnd_log_state_free(&other);
    /* The untouched receipt still verifies (the copies were independent). */
    assert_int_equal(
        tnd_receipt_verify(&ls, &receipt, RECEIVED, tender_id, bid_id, sent_hash, &cp, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committee_make),
        cmocka_unit_test(test_bid_ids),
        cmocka_unit_test(test_submit_and_verify),
        cmocka_unit_test(test_tampered_receipts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
