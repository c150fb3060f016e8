/* Bids with lots (common/bid_terms.c, common/bid_record.c; docs/SEALED.md,
 * "Bids with lots"): the bid as a whole (prices per lot on a tender with
 * lots, one price on a tender without), each lot price on its own (the lot
 * exists, once, not cancelled, the tender's currency, above zero, at most
 * the lot's value unless the tender allows more), and the opening record's
 * lot lines built from a sealed bid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <msgpack.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bid.h"
#include "tender/codec.h"
#include "tender/sealed.h"

#define LS(name) tender_tenders_v1_LotStatus_##name

static uint8_t open_sk[32], open_pk[32];
static EVP_PKEY *supplier;

/* A two-lot tender at version 2: lot 1 worth 600 EUR, lot 2 worth 400 EUR. */
static tender_common_v1_Money value = {.minor_units = 1000, .currency = "EUR"};
static tender_common_v1_Money value1 = {.minor_units = 600, .currency = "EUR"};
static tender_common_v1_Money value2 = {.minor_units = 400, .currency = "EUR"};
static tender_tenders_v1_Lot lots[2];
static tender_tenders_v1_LotState states[2];
static tender_tenders_v1_TenderFields fields;
static tender_tenders_v1_Tender tender;

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

/* Before each test: the tender as above, both lots active. */
static int fresh(void **state)
{
    (void)state;
    lots[0] = (tender_tenders_v1_Lot){.id = "1", .title = "Roads", .value = &value1};
    lots[1] = (tender_tenders_v1_Lot){.id = "2", .title = "Bridges", .value = &value2};
    states[0] = (tender_tenders_v1_LotState){.lot_id = "1", .status = LS(LOT_ACTIVE)};
    states[1] = (tender_tenders_v1_LotState){.lot_id = "2", .status = LS(LOT_ACTIVE)};
    fields = (tender_tenders_v1_TenderFields){
        .estimated_value = &value, .lots = lots, .n_lots = 2};
    tender = (tender_tenders_v1_Tender){
        .version = 2, .fields = &fields, .lot_states = states, .n_lot_states = 2};
    return 0;
}

static void bad_terms(const tender_bids_v1_BidContent *c, const tnd_bid_terms *t,
                      const char *want)
{
    char why[256] = "";
    assert_int_equal(tnd_bid_check_terms(c, t, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, want);
}

static void bad_lot(const tender_bids_v1_BidContent *c, size_t i, const tnd_bid_terms *t,
                    const char *want)
{
    char why[256] = "";
    assert_int_equal(tnd_bid_check_lot(c, i, t, why, sizeof why), TND_EINVAL);
    assert_string_equal(why, want);
}

static void good_lot(const tender_bids_v1_BidContent *c, size_t i, const tnd_bid_terms *t)
{
    char why[256] = "";
    if (tnd_bid_check_lot(c, i, t, why, sizeof why) != 0)
        fail_msg("lot price %zu: %s", i, why);
}

/* The tender's terms carry its lots and their states. */
static void test_terms_of(void **state)
{
    (void)state;
    tnd_bid_terms t = tnd_bid_terms_of(&tender);
    assert_int_equal(t.version, 2);
    assert_ptr_equal(t.lots, lots);
    assert_int_equal(t.n_lots, 2);
    assert_ptr_equal(t.lot_states, states);
    assert_int_equal(t.n_lot_states, 2);
    fields.n_lots = 0;
    fields.lots = NULL;
    tender.n_lot_states = 0;
    tender.lot_states = NULL;
    t = tnd_bid_terms_of(&tender);
    assert_int_equal(t.n_lots, 0);
    assert_int_equal(t.n_lot_states, 0);
}

/* The bid as a whole: with lots, lot prices and no price; without, the reverse. */
static void test_bid_shape(void **state)
{
    (void)state;
    tender_common_v1_Money p1 = {.minor_units = 500, .currency = "EUR"},
                           whole = {.minor_units = 900, .currency = "EUR"};
    tender_bids_v1_LotPrice lp[] = {{.lot_id = "1", .price = &p1}};
    tender_bids_v1_BidContent c = {.tender_version = 2, .lot_prices = lp, .n_lot_prices = 1};
    tnd_bid_terms t = tnd_bid_terms_of(&tender);
    char why[256];
    assert_int_equal(tnd_bid_check_terms(&c, &t, why, sizeof why), 0);
    /* The version comes first, as without lots. */
    c.tender_version = 1;
    bad_terms(&c, &t, "answers version 1; the tender was at version 2 at its deadline");
    c.tender_version = 2;
    /* A price alongside the lot prices. */
    c.price = &whole;
    bad_terms(&c, &t, "has a price (900 EUR) besides its lot prices; with lots the price is "
                      "left empty");
    /* No lot prices on a tender with lots: with one price, or with nothing. */
    c.n_lot_prices = 0;
    bad_terms(&c, &t, "has one price (900 EUR) and no lot prices; the tender has lots: a price "
                      "for each lot it answers");
    c.price = NULL;
    bad_terms(&c, &t, "prices no lot; the tender has lots: a price for each lot it answers");
    /* Lot prices on a tender without lots, with or without a price. */
    fields.lots = NULL;
    fields.n_lots = 0;
    t = tnd_bid_terms_of(&tender);
    c.n_lot_prices = 1;
    bad_terms(&c, &t, "prices 1 lot(s); the tender has no lots: one price for the whole tender");
    c.price = &whole;
    bad_terms(&c, &t, "prices 1 lot(s); the tender has no lots: one price for the whole tender");
    /* And without lot prices, exactly the rules as before lots. */
    c.n_lot_prices = 0;
    assert_int_equal(tnd_bid_check_terms(&c, &t, why, sizeof why), 0);
    whole.minor_units = 1001;
    bad_terms(&c, &t, "the price 1001 EUR is above the tender's value 1000 EUR");
}

/* Each lot price on its own. */
static void test_lot_rules(void **state)
{
    (void)state;
    tender_common_v1_Money p1 = {.minor_units = 600, .currency = "EUR"},
                           p2 = {.minor_units = 400, .currency = "EUR"};
    tender_bids_v1_LotPrice lp[] = {{.lot_id = "1", .price = &p1}, {.lot_id = "2", .price = &p2}};
    tender_bids_v1_BidContent c = {.tender_version = 2, .lot_prices = lp, .n_lot_prices = 2};
    tnd_bid_terms t = tnd_bid_terms_of(&tender);
    /* At each lot's value: valid. */
    good_lot(&c, 0, &t);
    good_lot(&c, 1, &t);
    /* Above the lot's value (though within the tender's). */
    p2.minor_units = 401;
    bad_lot(&c, 1, &t, "the price 401 EUR is above lot 2's value 400 EUR");
    good_lot(&c, 0, &t);
    /* ... allowed with price_above_value. */
    fields.price_above_value = true;
    t = tnd_bid_terms_of(&tender);
    good_lot(&c, 1, &t);
    p2.minor_units = 5000;
    good_lot(&c, 1, &t);
    fields.price_above_value = false;
    t = tnd_bid_terms_of(&tender);
    p2.minor_units = 400;
    /* Price zero, and below. */
    p1.minor_units = 0;
    bad_lot(&c, 0, &t, "the price 0 EUR is not above zero");
    p1.minor_units = -5;
    bad_lot(&c, 0, &t, "the price -5 EUR is not above zero");
    p1.minor_units = 600;
    /* Another currency, and none. */
    p1.currency = "USD";
    bad_lot(&c, 0, &t, "priced in USD; the tender is in EUR");
    p1.currency = NULL;
    bad_lot(&c, 0, &t, "priced in no currency; the tender is in EUR");
    p1.currency = "EUR";
    lp[0].price = NULL;
    bad_lot(&c, 0, &t, "no price for lot 1");
    lp[0].price = &p1;
    /* An unknown lot; the bidder's id shown printable only. */
    lp[1].lot_id = "3";
    bad_lot(&c, 1, &t, "lot \"3\" is not a lot of the tender's version 2");
    lp[1].lot_id = "x\n\x1b[2Jy";
    bad_lot(&c, 1, &t, "lot \"x??[2Jy\" is not a lot of the tender's version 2");
    lp[1].lot_id = NULL;
    bad_lot(&c, 1, &t, "lot \"\" is not a lot of the tender's version 2");
    good_lot(&c, 0, &t);
    /* A lot twice: each of its prices is invalid, whichever is lower. */
    lp[1].lot_id = "1";
    bad_lot(&c, 0, &t, "the bid prices lot 1 2 times; each lot once");
    bad_lot(&c, 1, &t, "the bid prices lot 1 2 times; each lot once");
    lp[1].lot_id = "2";
    /* A cancelled lot; the other stays valid. */
    states[1].status = LS(LOT_CANCELLED);
    t = tnd_bid_terms_of(&tender);
    bad_lot(&c, 1, &t, "the lot was cancelled");
    good_lot(&c, 0, &t);
    /* Other states at the opening take prices. */
    states[1].status = LS(LOT_ACTIVE);
    t = tnd_bid_terms_of(&tender);
    good_lot(&c, 1, &t);
    /* Out of range. */
    bad_lot(&c, 2, &t, "no lot price 2");
}

/* Seal content as the supplier does (no certificate check: terms.trust NULL). */
static void seal(tender_bids_v1_BidContent *c, tender_bids_v1_SealedBid *b)
{
    uint8_t nonce[32];
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(tnd_bid_seal(c, "T-2026-000007", "B-00000000000000000000000000000001",
                                  open_pk, supplier, NULL, b, nonce),
                     0);
    static tender_common_v1_Timestamp at = {.seconds = 1800000000};
    b->received = calloc(1, sizeof *b->received);
    assert_non_null(b->received);
    *b->received = at;
}

static tender_common_v1_Money *money(int64_t units, const char *cur)
{
    tender_common_v1_Money *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->minor_units = units;
    m->currency = strdup(cur);
    return m;
}

/* A content pricing lots "1" at p1 and "2" at p2 (0: not answered). */
static void lot_content(tender_bids_v1_BidContent *c, int64_t p1, int64_t p2)
{
    tender_bids_v1_BidContent_init(c);
    c->tender_version = 2;
    c->lot_prices = calloc(2, sizeof *c->lot_prices);
    assert_non_null(c->lot_prices);
    if (p1) {
        c->lot_prices[c->n_lot_prices].lot_id = strdup("1");
        c->lot_prices[c->n_lot_prices++].price = money(p1, "EUR");
    }
    if (p2) {
        c->lot_prices[c->n_lot_prices].lot_id = strdup("2");
        c->lot_prices[c->n_lot_prices++].price = money(p2, "EUR");
    }
}

/* The opening record's line: no price, one lot line per lot price. */
static void test_open_record(void **state)
{
    (void)state;
    tender_bids_v1_BidContent c;
    tender_bids_v1_SealedBid b;
    tender_bids_v1_OpenedBid o;
    tnd_bid_terms t = tnd_bid_terms_of(&tender);
    lot_content(&c, 550, 401); /* lot 2 above its value */
    seal(&c, &b);
    tender_bids_v1_BidContent_free(&c);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_true(o.valid);
    assert_null(o.failure);
    assert_null(o.price);
    assert_int_equal(o.n_lots, 2);
    assert_string_equal(o.lots[0].lot_id, "1");
    assert_int_equal(o.lots[0].price->minor_units, 550);
    assert_string_equal(o.lots[0].price->currency, "EUR");
    assert_true(o.lots[0].valid);
    assert_null(o.lots[0].failure);
    assert_string_equal(o.lots[1].lot_id, "2");
    assert_int_equal(o.lots[1].price->minor_units, 401);
    assert_false(o.lots[1].valid);
    assert_string_equal(o.lots[1].failure, "the price 401 EUR is above lot 2's value 400 EUR");
    tender_bids_v1_OpenedBid_free(&o);

    /* Lot 1 cancelled at the opening: only that lot line changes. */
    states[0].status = LS(LOT_CANCELLED);
    t = tnd_bid_terms_of(&tender);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_true(o.valid);
    assert_false(o.lots[0].valid);
    assert_string_equal(o.lots[0].failure, "the lot was cancelled");
    tender_bids_v1_OpenedBid_free(&o);
    states[0].status = LS(LOT_ACTIVE);

    /* Invalid as a whole (an amendment since): no lot is valid, each lot
     * keeps its own reason first. */
    tender.version = 3;
    t = tnd_bid_terms_of(&tender);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_false(o.valid);
    assert_string_equal(o.failure, "answers version 2; the tender was at version 3 at its "
                                   "deadline");
    assert_int_equal(o.n_lots, 2);
    assert_false(o.lots[0].valid);
    assert_string_equal(o.lots[0].failure, TND_BID_LOT_BID_INVALID);
    assert_int_equal(o.lots[0].price->minor_units, 550);
    assert_false(o.lots[1].valid);
    assert_string_equal(o.lots[1].failure, "the price 401 EUR is above lot 2's value 400 EUR");
    tender_bids_v1_OpenedBid_free(&o);
    tender.version = 2;

    /* The same bid on a tender without lots: invalid, and no lot lines. */
    fields.lots = NULL;
    fields.n_lots = 0;
    t = tnd_bid_terms_of(&tender);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_false(o.valid);
    assert_string_equal(o.failure,
                        "prices 2 lot(s); the tender has no lots: one price for the whole tender");
    assert_int_equal(o.n_lots, 0);
    assert_null(o.price);
    tender_bids_v1_OpenedBid_free(&o);
    tender_bids_v1_SealedBid_free(&b);
}

/* A tender without lots and a bid without lot prices: the line has the
 * price and no lot lines, so its bytes are those of a record before lots
 * (no field 11). A bid with one price on a tender with lots: no lot lines,
 * no price, invalid. */
static void test_open_record_without_lots(void **state)
{
    (void)state;
    tender_bids_v1_BidContent c;
    tender_bids_v1_SealedBid b;
    tender_bids_v1_OpenedBid o;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 2;
    c.price = money(999, "EUR");
    seal(&c, &b);
    tender_bids_v1_BidContent_free(&c);
    fields.lots = NULL;
    fields.n_lots = 0;
    tender.lot_states = NULL;
    tender.n_lot_states = 0;
    tnd_bid_terms t = tnd_bid_terms_of(&tender);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_true(o.valid);
    assert_int_equal(o.price->minor_units, 999);
    assert_int_equal(o.n_lots, 0);
    /* The encoding: the keys of before lots, 1 to 10, and not 11. */
    uint8_t *enc;
    size_t len;
    assert_int_equal(tender_bids_v1_OpenedBid_encode(&o, &enc, &len, NULL), 0);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, (const char *)enc, len, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        assert_int_equal(u.data.via.map.ptr[i].key.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
        assert_in_range(u.data.via.map.ptr[i].key.via.u64, 1, 10);
    }
    msgpack_unpacked_destroy(&u);
    free(enc);
    tender_bids_v1_OpenedBid_free(&o);

    fresh(NULL);
    t = tnd_bid_terms_of(&tender);
    assert_int_equal(tnd_bid_open_record(&b, open_sk, &t, &o), 0);
    assert_false(o.valid);
    assert_string_equal(o.failure, "has one price (999 EUR) and no lot prices; the tender has "
                                   "lots: a price for each lot it answers");
    assert_null(o.price);
    assert_int_equal(o.n_lots, 0);
    tender_bids_v1_OpenedBid_free(&o);
    tender_bids_v1_SealedBid_free(&b);
}

/* Audit verify's turn: when the record's word makes a bid invalid (its sealed
 * documents), its valid lot lines follow; lots with their own reason keep it. */
static void test_lots_follow_bid(void **state)
{
    (void)state;
    tender_bids_v1_OpenedLot l[2] = {{.lot_id = "1", .valid = true},
                                     {.lot_id = "2", .failure = strdup("the lot was cancelled")}};
    tender_bids_v1_OpenedBid o = {.valid = true, .lots = l, .n_lots = 2};
    assert_int_equal(tnd_bid_lots_follow_bid(&o), 0);
    assert_true(l[0].valid); /* the bid is still valid: nothing changes */
    o.valid = false;
    assert_int_equal(tnd_bid_lots_follow_bid(&o), 0);
    assert_false(l[0].valid);
    assert_string_equal(l[0].failure, TND_BID_LOT_BID_INVALID);
    assert_string_equal(l[1].failure, "the lot was cancelled");
    free(l[0].failure);
    free(l[1].failure);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_terms_of, fresh),
        cmocka_unit_test_setup(test_bid_shape, fresh),
        cmocka_unit_test_setup(test_lot_rules, fresh),
        cmocka_unit_test_setup(test_open_record, fresh),
        cmocka_unit_test_setup(test_open_record_without_lots, fresh),
        cmocka_unit_test_setup(test_lots_follow_bid, fresh),
    };
    return cmocka_run_group_tests_name("bid_lots", tests, setup, teardown);
}
