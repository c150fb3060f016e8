/* Sealing and opening bids (common/bid.c): a sealed bid opens with the right
 * key and says who bid; a tampered ciphertext, a bid moved to another
 * tender, a forged signature and a wrong key are each caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bid.h"
#include "tender/pki.h"
#include "tender/sealed.h"
#include "testsrv.h"

/* docs/SEALED.md, the worked example */
#define EXAMPLE_OWNER_TAG "534712c454444ab6dcbb87b61020dddbe754cbc5799ca2d2312e1c69af961887"
#define EXAMPLE_DIGEST "dc53bad6855bf81f9a7a90605a0f3e22c0a4ce3a47b9691405d9b00c26b041e5"
#define EXAMPLE_SIGNATURE "51c43559529d3c6f596d7f7a80cc8540ea0f52247ce120cbcb8609e2b8fbb85de6fd3469904634680d1e064da52e5c07d1e0ad4501aca4e7ff86cd8fc6ea270c"
#define EXAMPLE_ENVELOPE_HASH "1e8811ab9199f566545290435796f8bd4a29a740398eb6d4b9ae4dd0f4857fb9"

static uint8_t open_sk[32], open_pk[32];
static EVP_PKEY *supplier;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(tnd_x25519_keygen(open_sk, open_pk), 0);
    supplier = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(supplier);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(supplier);
    return 0;
}

static void seal(tender_bids_v1_SealedBid *b, const char *tender, uint8_t nonce[32])
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    tender_common_v1_Money price = {.minor_units = 123456789, .currency = "KRW"};
    c.price = &price;
    c.supplier_org = "Acme Construction";
    c.supplier_name = "supplier";
    c.notes = "SECRET-PLAINTEXT-MARKER";
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(tnd_bid_seal(&c, tender, "B-0123456789abcdef0123456789abcdef", open_pk,
                                  supplier, NULL, b, nonce),
                     0);
    c.price = NULL;
    c.supplier_org = c.supplier_name = c.notes = NULL;
    tender_bids_v1_BidContent_free(&c);
}

static void test_seal_and_open(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], pub[32], tag[32];
    size_t pl = 32;
    seal(&b, "T-2026-000001", nonce);
    /* The stored envelope holds neither the plaintext nor the bidder. */
    uint8_t *enc;
    size_t len;
    assert_int_equal(tender_bids_v1_SealedBid_encode(&b, &enc, &len, NULL), 0);
    assert_null(memmem(enc, len, "SECRET-PLAINTEXT-MARKER", 23));
    assert_null(memmem(enc, len, "Acme", 4));
    assert_int_equal(EVP_PKEY_get_raw_public_key(supplier, pub, &pl), 0 + 1);
    assert_null(memmem(enc, len, pub, 32));
    free(enc);
    /* The owner tag proves ownership with the nonce. */
    assert_int_equal(tnd_bid_owner_tag(nonce, pub, tag), 0);
    assert_memory_equal(tag, b.owner_tag.data, 32);
    assert_int_equal(tnd_bid_verify(&b, pub), 0);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200];
    assert_int_equal(tnd_bid_open(&b, open_sk, &c, why, sizeof why), 0);
    assert_int_equal(c.price->minor_units, 123456789);
    assert_string_equal(c.supplier_org, "Acme Construction");
    assert_memory_equal(c.supplier_key.data, pub, 32);
    tender_bids_v1_BidContent_free(&c);
    tender_bids_v1_SealedBid_free(&b);
}

static void expect_fail(tender_bids_v1_SealedBid *b, const uint8_t *sk, const char *reason)
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200] = "";
    assert_int_not_equal(tnd_bid_open(b, sk, &c, why, sizeof why), 0);
    if (!strstr(why, reason))
        fail_msg("\"%s\" lacks \"%s\"", why, reason);
    tender_bids_v1_BidContent_free(&c);
}

/* The check with a key object (the server's: its connection's certificate
 * key) agrees with the check from raw key bytes, and refuses what that one
 * refuses: a changed signature, another supplier's key, a key of another
 * kind, no key. */
static void test_verify_with_a_key_object(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], pub[32];
    size_t pl = 32;
    seal(&b, "T-2026-000001", nonce);
    assert_int_equal(EVP_PKEY_get_raw_public_key(supplier, pub, &pl), 1);
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    assert_non_null(pk);
    assert_int_equal(tnd_bid_verify_pkey(&b, pk), 0);
    assert_int_equal(tnd_bid_verify_pkey(&b, supplier), 0); /* the private key's object too */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    assert_non_null(other);
    assert_non_null(x);
    assert_int_equal(tnd_bid_verify_pkey(&b, other), TND_ECRYPTO);
    assert_int_equal(tnd_bid_verify_pkey(&b, x), TND_ECRYPTO);
    assert_int_equal(tnd_bid_verify_pkey(&b, NULL), TND_ECRYPTO);
    b.signature.data[5] ^= 1;
    assert_int_equal(tnd_bid_verify_pkey(&b, pk), TND_ECRYPTO);
    assert_int_equal(tnd_bid_verify(&b, pub), TND_ECRYPTO);
    EVP_PKEY_free(x);
    EVP_PKEY_free(other);
    EVP_PKEY_free(pk);
    tender_bids_v1_SealedBid_free(&b);
}

/* A key of small order signs anything for anyone: with the identity point
 * as the key, (R = B, S = 1) is a valid RFC 8032 signature of every
 * message, since [1]B = R + [k]O. OpenSSL accepts it; the bid check does
 * not, so no bid stands in the log on a signature that binds nobody. */
static void test_a_key_of_small_order_is_refused(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], identity[32] = {1}, d[32];
    seal(&b, "T-2026-000001", nonce);
    memset(b.signature.data, 0x66, 32); /* R: the base point, 0x58 then 31 times 0x66 */
    b.signature.data[0] = 0x58;
    memset(b.signature.data + 32, 0, 32); /* S = 1 */
    b.signature.data[32] = 1;
    assert_int_equal(tnd_bid_digest(&b, d), 0);
    EVP_PKEY *weak = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, identity, 32);
    assert_non_null(weak);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_non_null(md);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, weak), 1);
    assert_int_equal(EVP_DigestVerify(md, b.signature.data, 64, d, 32), 1); /* the forgery holds */
    EVP_MD_CTX_free(md);
    assert_int_equal(tnd_bid_verify(&b, identity), TND_ECRYPTO);
    assert_int_equal(tnd_bid_verify_pkey(&b, weak), TND_ECRYPTO);
    EVP_PKEY_free(weak);
    tender_bids_v1_SealedBid_free(&b);
}

static void test_tampering_caught(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], other_sk[32], other_pk[32];
    seal(&b, "T-2026-000001", nonce);
    /* A flipped ciphertext bit. */
    b.ciphertext.data[5] ^= 1;
    expect_fail(&b, open_sk, "bad decryption");
    b.ciphertext.data[5] ^= 1;
    /* Moved to another tender: info no longer matches. */
    free(b.tender_id);
    b.tender_id = strdup("T-2026-000002");
    expect_fail(&b, open_sk, "bad decryption");
    free(b.tender_id);
    b.tender_id = strdup("T-2026-000001");
    /* Another bid id: aad no longer matches. */
    b.bid_id[3] = 'f';
    expect_fail(&b, open_sk, "bad decryption");
    b.bid_id[3] = '1';
    /* A forged signature. */
    b.signature.data[10] ^= 0x40;
    expect_fail(&b, open_sk, "bad signature");
    b.signature.data[10] ^= 0x40;
    /* The wrong key. */
    assert_int_equal(tnd_x25519_keygen(other_sk, other_pk), 0);
    expect_fail(&b, other_sk, "bad decryption");
    /* Untouched, it still opens. */
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200];
    assert_int_equal(tnd_bid_open(&b, open_sk, &c, why, sizeof why), 0);
    tender_bids_v1_BidContent_free(&c);
    tender_bids_v1_SealedBid_free(&b);
}

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    char h[2 * 64 + 1];
    for (size_t i = 0; i < n; i++)
        sprintf(h + 2 * i, "%02x", got[i]);
    assert_string_equal(h, want);
}

/* The worked example of docs/SEALED.md, "The supplier's signature" and "The
 * stored envelope": owner tag, digest, signature and envelope hash of fixed
 * inputs, with the Ed25519 key of RFC 8032's first test vector. */
static void test_envelope_example(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], nonce[32], fp[32], enc[32], tag[32], d[32], sig[64];
    hex_to("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", sk, 32);
    hex_to("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk, 32);
    hex_to("1ce698f789b8f5ba94a4554528259a42064a3298a037bd07d7d6925760adce52", fp, 32);
    for (int i = 0; i < 32; i++) {
        nonce[i] = (uint8_t)i;
        enc[i] = (uint8_t)(0x20 + i);
    }
    assert_int_equal(tnd_bid_owner_tag(nonce, pk, tag), 0);
    assert_hex(tag, 32, EXAMPLE_OWNER_TAG);
    static const char ct[] = "not really a ciphertext";
    tender_common_v1_Timestamp received = {.seconds = 1764583200, .nanos = 250000000};
    tender_bids_v1_SealedBid b = {.bid_id = "B-000102030405060708090a0b0c0d0e0f",
                                  .tender_id = "T-2026-000001",
                                  .opening_key_fingerprint = {fp, 32},
                                  .owner_tag = {tag, 32},
                                  .enc = {enc, 32},
                                  .ciphertext = {(uint8_t *)ct, sizeof ct - 1},
                                  .received = &received,
                                  .state = tender_bids_v1_BidState_SUBMITTED};
    assert_int_equal(tnd_bid_digest(&b, d), 0);
    assert_hex(d, 32, EXAMPLE_DIGEST);
    /* Ed25519 as RFC 8032 defines it (not Ed25519ph): the message is the digest. */
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sl = sizeof sig;
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, d, 32), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    assert_hex(sig, 64, EXAMPLE_SIGNATURE);
    b.signature = (tnd_bytes){sig, 64};
    assert_int_equal(tnd_bid_verify(&b, pk), 0);
    tnd_bytes h = {0};
    assert_int_equal(tnd_msg_hash(&tender_bids_v1_SealedBid_desc, &b, &h), 0);
    assert_hex(h.data, 32, EXAMPLE_ENVELOPE_HASH);
    free(h.data);
}


/* Documents sealed apart (docs/SEALED.md, "Bid documents"): the documents key
 * opens them, the published opening key does not; any change to the sealed
 * documents, to their list, or a move into another bid is caught; the
 * opening record's line lists them by hash, and without the documents key
 * (as everyone checks) the line is the same. */
static void test_documents(void **state)
{
    (void)state;
    const char *tender = "T-2026-000001", *id = "B-0123456789abcdef0123456789abcdef";
    uint8_t dsk[32], dpk[32], nonce[32], pub[32], out_nonce[32];
    size_t pl = 32;
    assert_int_equal(tnd_x25519_keygen(dsk, dpk), 0);
    assert_int_equal(RAND_bytes(nonce, 32), 1);
    assert_int_equal(EVP_PKEY_get_raw_public_key(supplier, pub, &pl), 1);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    tender_common_v1_Money price = {.minor_units = 5, .currency = "KRW"};
    c.price = &price;
    c.n_documents = 2;
    c.documents = calloc(2, sizeof *c.documents);
    c.documents[0].name = strdup("cv.pdf");
    c.documents[0].content.data = (uint8_t *)strdup("CV-SECRET");
    c.documents[0].content.len = 9;
    c.documents[1].name = strdup("empty.txt");
    assert_int_equal(tnd_bid_seal_documents(&c, tender, id, nonce, pub, dpk), 0);
    assert_int_equal(c.documents[0].content.len, 0);
    assert_int_equal(c.documents[0].size, 9);
    assert_int_equal(c.documents[0].sha256.len, 32);
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    assert_int_equal(tnd_bid_seal(&c, tender, id, open_pk, supplier, nonce, &b, out_nonce), 0);
    assert_memory_equal(out_nonce, nonce, 32);
    c.price = NULL;
    tender_bids_v1_BidContent_free(&c);

    tender_bids_v1_BidContent o;
    tender_bids_v1_BidContent_init(&o);
    char why[256];
    assert_int_equal(tnd_bid_open(&b, open_sk, &o, why, sizeof why), 0);
    assert_int_equal(tnd_bid_check_documents(&o, true, why, sizeof why), 0);
    assert_int_equal(tnd_bid_check_documents(&o, false, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "carries documents; the tender has no documents key");
    tender_bids_v1_BidDocumentContents dc;
    tender_bids_v1_BidDocumentContents_init(&dc);
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), 0);
    assert_int_equal(dc.n_contents, 2);
    assert_memory_equal(dc.contents[0].data, "CV-SECRET", 9);
    assert_int_equal(dc.contents[1].len, 0);
    tender_bids_v1_BidDocumentContents_free(&dc);
    /* The opening key does not open them. */
    assert_int_equal(tnd_bid_open_documents(&b, &o, open_sk, &dc, why, sizeof why), TND_ECRYPTO);
    assert_non_null(strstr(why, TND_BID_DOCUMENTS_FAILURE "do not open"));
    /* A flipped byte of the sealed documents. */
    o.sealed_documents.data[40] ^= 1;
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), TND_ECRYPTO);
    o.sealed_documents.data[40] ^= 1;
    /* A list that lies about a document. */
    o.documents[0].sha256.data[0] ^= 1;
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), TND_EMALFORMED);
    assert_string_equal(why, TND_BID_DOCUMENTS_FAILURE
                        "do not match their list: document 0's size or sha256 differs");
    o.documents[0].sha256.data[0] ^= 1;
    o.documents[1].size = 1;
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), TND_EMALFORMED);
    o.documents[1].size = 0;
    /* Moved into another bid (another id, or another bidder's owner tag). */
    char *real = b.bid_id;
    b.bid_id = "B-ffffffffffffffffffffffffffffffff";
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), TND_ECRYPTO);
    b.bid_id = real;
    b.owner_tag.data[0] ^= 1;
    assert_int_equal(tnd_bid_open_documents(&b, &o, dsk, &dc, why, sizeof why), TND_ECRYPTO);
    b.owner_tag.data[0] ^= 1;
    /* A document carried in the open. */
    o.documents[1].content = (tnd_bytes){(uint8_t *)"x", 1};
    assert_int_equal(tnd_bid_check_documents(&o, true, why, sizeof why), TND_EINVAL);
    assert_non_null(strstr(why, "document 1 carries its content in the open"));
    o.documents[1].content = (tnd_bytes){0};
    tender_bids_v1_BidContent_free(&o);

    /* The record's line: the list by hash; the same with or without the key. */
    tender_tenders_v1_Committee cm = {.documents_public_key = {dpk, 32}};
    tender_tenders_v1_TenderFields f = {.committee = &cm};
    tender_tenders_v1_Tender t = {.version = 0, .fields = &f};
    tnd_bid_terms terms = tnd_bid_terms_of(&t);
    assert_true(terms.documents_key);
    tender_bids_v1_OpenedBid pub_line, priv_line;
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &terms, &pub_line), 0);
    terms.documents_sk = dsk;
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &terms, &priv_line), 0);
    assert_true(pub_line.valid);
    assert_true(priv_line.valid);
    assert_int_equal(priv_line.n_documents, 2);
    assert_int_equal(priv_line.documents[0].size, 9);
    uint8_t h[32];
    SHA256((const uint8_t *)"CV-SECRET", 9, h);
    assert_memory_equal(priv_line.documents[0].sha256.data, h, 32);
    tender_bids_v1_OpenedBid_free(&pub_line);
    tender_bids_v1_OpenedBid_free(&priv_line);
    /* With the wrong documents key the opening judges the bid invalid, with
     * the failure audit verify takes on the record's word. */
    uint8_t other[32], other_pk[32];
    assert_int_equal(tnd_x25519_keygen(other, other_pk), 0);
    terms.documents_sk = other;
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &terms, &priv_line), 0);
    assert_false(priv_line.valid);
    assert_non_null(strstr(priv_line.failure, TND_BID_DOCUMENTS_FAILURE));
    assert_int_equal(priv_line.n_documents, 2);
    tender_bids_v1_OpenedBid_free(&priv_line);
    tender_bids_v1_SealedBid_free(&b);
}

/* The tender's rules for a valid bid (tnd_bid_check_terms), as the opening
 * and audit verify apply them: a tender's terms come from its version and
 * estimated value; without a value there is no currency or ceiling to keep. */
static void test_terms(void **state)
{
    (void)state;
    tender_common_v1_Money value = {.minor_units = 1000, .currency = "EUR"};
    tender_tenders_v1_TenderFields f = {.estimated_value = &value};
    tender_tenders_v1_Tender t = {.version = 3, .fields = &f};
    tnd_bid_terms terms = tnd_bid_terms_of(&t);
    assert_int_equal(terms.version, 3);
    assert_ptr_equal(terms.value, &value);
    assert_false(terms.price_above_value);
    tender_common_v1_Money price = {.minor_units = 1000, .currency = "EUR"};
    tender_bids_v1_BidContent c = {.price = &price, .tender_version = 3};
    char why[256];
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), 0); /* at the value */
    price.minor_units = 1001;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "the price 1001 EUR is above the tender's value 1000 EUR");
    f.price_above_value = true;
    terms = tnd_bid_terms_of(&t);
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), 0);
    c.tender_version = 2;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "answers version 2; the tender was at version 3 at its deadline");
    /* A version made by a postponement changes no terms: bids answer the
     * version it postponed, and a bid answering the postponed one does not. */
    tender_tenders_v1_Postponement moved = {.terms_version = 2};
    t.postponement = &moved;
    terms = tnd_bid_terms_of(&t);
    assert_int_equal(terms.version, 2);
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), 0);
    c.tender_version = 3;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "answers version 3; the tender was at version 2 at its deadline");
    t.postponement = NULL;
    /* So does a version made when a complaint's suspension ended. */
    tender_tenders_v1_Resumption resumed = {.terms_version = 2};
    t.resumption = &resumed;
    terms = tnd_bid_terms_of(&t);
    assert_int_equal(terms.version, 2);
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "answers version 3; the tender was at version 2 at its deadline");
    t.resumption = NULL;
    terms = tnd_bid_terms_of(&t);
    price.currency = NULL;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "priced in no currency; the tender is in EUR");
    /* No estimated value: any currency, any price above zero. */
    f.estimated_value = NULL;
    terms = tnd_bid_terms_of(&t);
    assert_null(terms.value);
    price.currency = "USD";
    price.minor_units = 5000000;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), 0);
    price.minor_units = 0;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "the price 0 USD is not above zero");
    c.price = NULL;
    assert_int_equal(tnd_bid_check_terms(&c, &terms, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, "no price");
}

/* Load dir/NAME.crt (DER) and its key into c, as a sealed bid carries them. */
static void certified(const char *dir, const char *name, tender_bids_v1_BidContent *c)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s.crt", dir, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    c->certificates = calloc(1, sizeof *c->certificates);
    c->certificates[0].data = malloc((size_t)n);
    memcpy(c->certificates[0].data, der, (size_t)n);
    c->certificates[0].len = (size_t)n;
    c->n_certificates = 1;
    OPENSSL_free(der);
    size_t kl = 32;
    c->supplier_key.data = malloc(32);
    c->supplier_key.len = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(X509_get0_pubkey(x), c->supplier_key.data, &kl),
                     1);
    X509_free(x);
}

/* Who bid: the certificate's subject, against the CA at the time of receipt
 * and the revocations known then. */
static void test_certificate(void **state)
{
    (void)state;
    char tmp[] = "/tmp/tnd_bidcert_XXXXXX", pki[300], other[300], ca[320], crl[320], err[300],
         org[128], name[128], why[300];
    assert_non_null(mkdtemp(tmp));
    snprintf(pki, sizeof pki, "%s/pki", tmp);
    snprintf(other, sizeof other, "%s/other", tmp);
    assert_int_equal(tnd_pki_init(pki, err, sizeof err), 0);
    assert_int_equal(tnd_pki_init(other, err, sizeof err), 0);
    /* Valid from an hour ago; revoked now. */
    assert_int_equal(tnd_pki_issue_ex(pki, "bidder", "supplier", "Bidder Ltd", -3600, 86400, err,
                                      sizeof err),
                     0);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(crl, sizeof crl, "%s/ca.crl", pki);
    int64_t now = (int64_t)time(NULL) * 1000;
    tnd_bid_trust t = {0};
    assert_int_equal(tnd_bid_trust_load(&t, ca, NULL, err, sizeof err), 0);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    certified(pki, "bidder", &c);
    assert_int_equal(tnd_bid_check_certificate(&c, &t, now, org, name, why, sizeof why), 0);
    assert_string_equal(org, "Bidder Ltd");
    assert_string_equal(name, "bidder");
    /* Received before the certificate was valid. */
    assert_int_equal(tnd_bid_check_certificate(&c, &t, now - 7200 * 1000, org, name, why,
                                               sizeof why),
                     TND_EINVAL);
    assert_string_equal(why, "the certificate (CN=bidder) does not verify against the CA at the "
                             "time of receipt: certificate is not yet valid");
    tnd_bid_trust_free(&t);
    /* Revoked now: a bid received before stands, one received after does not. */
    sleep(1); /* the revocation is dated after the check below */
    assert_int_equal(tnd_pki_revoke(pki, "bidder", err, sizeof err), 0);
    assert_int_equal(tnd_bid_trust_load(&t, ca, crl, err, sizeof err), 0);
    assert_int_equal(tnd_bid_check_certificate(&c, &t, now, org, name, why, sizeof why), 0);
    assert_int_equal(tnd_bid_check_certificate(&c, &t, now + 60000, org, name, why, sizeof why),
                     TND_EINVAL);
    assert_non_null(strstr(why, "the certificate (CN=bidder) was revoked at "));
    assert_non_null(strstr(why, ", before the bid was received"));
    tnd_bid_trust_free(&t);
    /* Another CA's trust. */
    snprintf(ca, sizeof ca, "%s/ca.crt", other);
    assert_int_equal(tnd_bid_trust_load(&t, ca, NULL, err, sizeof err), 0);
    assert_int_equal(tnd_bid_check_certificate(&c, &t, now, org, name, why, sizeof why),
                     TND_EINVAL);
    assert_non_null(strstr(why, "does not verify against the CA at the time of receipt"));
    tnd_bid_trust_free(&t);
    tender_bids_v1_BidContent_free(&c);
    test_rmtree(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_and_open),
        cmocka_unit_test(test_tampering_caught),
        cmocka_unit_test(test_verify_with_a_key_object),
        cmocka_unit_test(test_a_key_of_small_order_is_refused),
        cmocka_unit_test(test_envelope_example),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_certificate),
    };
    return cmocka_run_group_tests_name("bid", tests, setup, teardown);
}
