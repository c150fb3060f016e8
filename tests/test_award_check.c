/* Unit tests of the common award rules (tender/award.h) as an auditor runs
 * them: a decision against an opening record and the tender's published
 * fields, without a server; and the officer's signature. */
/* cmocka.h needs these first. */
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

#include "tender/award.h"
#include "tender/status.h"

#define TENDER "T-1"

/* An opening record of three bids: A 100 KRW, B 150 KRW, C failed. */
static tender_common_v1_Money rec_price[2] = {{.minor_units = 100, .currency = "KRW"},
                                              {.minor_units = 150, .currency = "KRW"}};
static tender_bids_v1_OpenedBid rec_bids[3] = {
    {.bid_id = "A", .valid = true, .price = &rec_price[0]},
    {.bid_id = "B", .valid = true, .price = &rec_price[1]},
    {.bid_id = "C", .valid = false, .failure = "does not decrypt"},
};
static tender_bids_v1_OpeningRecord rec = {.tender_id = TENDER, .bids = rec_bids, .n_bids = 3};
static tender_tenders_v1_TenderFields pub = {.title = "Roads"};

typedef struct dec {
    tender_awards_v1_Decision d;
    tender_awards_v1_BidEvaluation ev[4];
    tender_common_v1_Money price[4];
} dec;

/* The correct lowest-price decision: A wins, C disqualified. */
static void good(dec *x)
{
    memset(x, 0, sizeof *x);
    x->d = (tender_awards_v1_Decision){.tender_id = TENDER,
                                       .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                       .winner = "A",
                                       .rationale = "lowest valid price",
                                       .evaluations = x->ev,
                                       .n_evaluations = 3};
    x->price[0] = rec_price[0];
    x->price[1] = rec_price[1];
    x->ev[0] =
        (tender_awards_v1_BidEvaluation){.bid_id = "A", .valid = true, .price = &x->price[0]};
    x->ev[1] =
        (tender_awards_v1_BidEvaluation){.bid_id = "B", .valid = true, .price = &x->price[1]};
    x->ev[2] = (tender_awards_v1_BidEvaluation){.bid_id = "C", .reason = "does not decrypt"};
}

static char msg[300];

static void refused(const dec *x, int want_status, const char *needle)
{
    int st = -1;
    int rc = tnd_award_check(&x->d, &rec, &pub, &st, msg, sizeof msg);
    if (rc != TND_EINVAL || st != want_status || !strstr(msg, needle))
        fail_msg("expected %d \"%s\", got rc %d status %d \"%s\"", want_status, needle, rc, st,
                 msg);
}

static void test_lowest_price(void **state)
{
    (void)state;
    dec x;
    int st = -1;
    good(&x);
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, msg, sizeof msg), 0);
    assert_int_equal(st, TND_STATUS_OK);
    assert_string_equal(msg, "");
    /* Without a message buffer too. */
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, NULL, 0), 0);

    good(&x);
    x.d.winner = "B";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "winner B offers 150 KRW, not the lowest");
    good(&x);
    x.price[1].minor_units = 149;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "differs from the opening record's 150 KRW");
    good(&x);
    x.d.n_evaluations = 2;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "skips opened bid C");
    good(&x);
    x.ev[2] = (tender_awards_v1_BidEvaluation){.bid_id = "C", .valid = true, .price = &x.price[0]};
    refused(&x, TND_STATUS_FAILED_PRECONDITION,
            "bid C is not valid at the opening (does not decrypt)");
    good(&x);
    x.ev[1] = (tender_awards_v1_BidEvaluation){.bid_id = "A", .reason = "twice"};
    refused(&x, TND_STATUS_INVALID_ARGUMENT, "bid A is evaluated twice");
    good(&x);
    x.d.winner = "Z";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "winner Z is not an opened bid of tender T-1");
    good(&x);
    x.d.tender_id = "T-2";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "opening record is of tender T-1");
    good(&x);
    x.d.rationale = "";
    refused(&x, TND_STATUS_INVALID_ARGUMENT, "rationale: required");
    good(&x);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "bid A is valid");
}

static void test_arguments(void **state)
{
    (void)state;
    dec x;
    int st = -1;
    good(&x);
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, NULL, msg, sizeof msg), TND_EINVAL);
    assert_int_equal(tnd_award_check(NULL, &rec, &pub, &st, msg, sizeof msg), TND_EINVAL);
    assert_int_equal(st, TND_STATUS_INVALID_ARGUMENT);
    assert_int_equal(tnd_award_check(&x.d, &rec, NULL, &st, msg, sizeof msg), TND_EINVAL);
    /* A short buffer truncates the message but keeps the verdict. */
    x.d.winner = "B";
    char small[8];
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, small, sizeof small), TND_EINVAL);
    assert_int_equal(st, TND_STATUS_FAILED_PRECONDITION);
    assert_int_equal(strlen(small), 7);
}

/* Published: price 60 %, quality 40 %. */
static tender_tenders_v1_AwardCriterion crit[2] = {{.name = "price", .weight = 60},
                                                   {.name = "quality", .weight = 40}};
static tender_tenders_v1_TenderFields wpub = {.title = "Bridge",
                                              .award_criteria =
                                                  tender_tenders_v1_AwardCriteria_WEIGHTED,
                                              .criteria = crit,
                                              .n_criteria = 2};

typedef struct wdec {
    dec x;
    tender_awards_v1_CriterionScore s[2][3];
} wdec;

/* A weighted decision: A totals 60*100 + 40*50 = 8000 (80.00 points), B
 * 60*70 + 40*90 = 7800; A wins. */
static void wgood(wdec *w)
{
    good(&w->x);
    w->x.d.criterion = tender_awards_v1_Criterion_WEIGHTED;
    w->x.d.rationale = "highest weighted total";
    const uint32_t pts[2][2] = {{100, 50}, {70, 90}};
    for (int b = 0; b < 2; b++) {
        for (int k = 0; k < 2; k++)
            w->s[b][k] =
                (tender_awards_v1_CriterionScore){.criterion = crit[k].name, .points = pts[b][k]};
        w->x.ev[b].scores = w->s[b];
        w->x.ev[b].n_scores = 2;
    }
}

static void wrefused(const wdec *w, int want_status, const char *needle)
{
    int st = -1;
    int rc = tnd_award_check(&w->x.d, &rec, &wpub, &st, msg, sizeof msg);
    if (rc != TND_EINVAL || st != want_status || !strstr(msg, needle))
        fail_msg("expected %d \"%s\", got rc %d status %d \"%s\"", want_status, needle, rc, st,
                 msg);
}

static void test_weighted(void **state)
{
    (void)state;
    wdec w;
    int st = -1;
    uint32_t total = 0;
    wgood(&w);
    if (tnd_award_check(&w.x.d, &rec, &wpub, &st, msg, sizeof msg) != 0)
        fail_msg("weighted award refused: %s", msg);
    assert_int_equal(tnd_award_weighted_total(&w.x.ev[0], &wpub, &total, &st, msg, sizeof msg), 0);
    assert_int_equal(total, 8000);
    assert_int_equal(tnd_award_weighted_total(&w.x.ev[1], &wpub, &total, &st, msg, sizeof msg), 0);
    assert_int_equal(total, 7800);
    /* Scores in any order; a tie with the winner is allowed. */
    wgood(&w);
    w.s[0][0] = (tender_awards_v1_CriterionScore){.criterion = "quality", .points = 45};
    w.s[0][1] = (tender_awards_v1_CriterionScore){.criterion = "price", .points = 100};
    /* A: 6000 + 1800 = 7800, as B. */
    if (tnd_award_check(&w.x.d, &rec, &wpub, &st, msg, sizeof msg) != 0)
        fail_msg("tie refused: %s", msg);
    assert_int_equal(tnd_award_weighted_total(&w.x.ev[0], &wpub, &total, &st, msg, sizeof msg), 0);
    assert_int_equal(total, 7800);
    /* Exact hundredths: 60*33 + 40*67 = 4660, no rounding. */
    w.s[0][0].points = 67;
    w.s[0][1].points = 33;
    assert_int_equal(tnd_award_weighted_total(&w.x.ev[0], &wpub, &total, &st, msg, sizeof msg), 0);
    assert_int_equal(total, 4660);

    /* Not the highest total: names the bid above and both totals. */
    wgood(&w);
    w.s[1][1].points = 100; /* B: 4200 + 4000 = 8200 */
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION,
             "winner A totals 80.00 points, not the highest weighted total: 1 valid bid totals "
             "more: B (82.00)");
    /* A score for a criterion the tender does not publish. */
    wgood(&w);
    w.s[1][1].criterion = "delivery";
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION,
             "bid B: score for \"delivery\", which is not a published criterion");
    /* A published criterion without a score. */
    wgood(&w);
    w.x.ev[1].n_scores = 1;
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION,
             "bid B: no score for published criterion \"quality\"");
    wgood(&w);
    w.x.ev[0].n_scores = 0;
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION,
             "bid A: no score for published criterion \"price\"");
    /* The same criterion twice; points above 100. */
    wgood(&w);
    w.s[1][1].criterion = "price";
    wrefused(&w, TND_STATUS_INVALID_ARGUMENT, "bid B: criterion \"price\" is scored twice");
    wgood(&w);
    w.s[0][1].points = 101;
    wrefused(&w, TND_STATUS_INVALID_ARGUMENT, "101 points on \"quality\"; points are 0..100");
    /* Disqualified bids are not scored; the old single score is refused. */
    wgood(&w);
    w.x.ev[2].scores = w.s[0];
    w.x.ev[2].n_scores = 2;
    wrefused(&w, TND_STATUS_INVALID_ARGUMENT, "bid C: only the valid bids of a weighted award");
    wgood(&w);
    w.x.ev[0].score = 90;
    wrefused(&w, TND_STATUS_INVALID_ARGUMENT, "bid A: score is not used");
    /* The criterion must be the one published. */
    wgood(&w);
    w.x.d.criterion = tender_awards_v1_Criterion_LOWEST_PRICE;
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION, "published weighted award criteria");
    wgood(&w);
    st = -1;
    assert_int_equal(tnd_award_check(&w.x.d, &rec, &pub, &st, msg, sizeof msg), TND_EINVAL);
    assert_int_equal(st, TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "tender T-1 publishes no award weights"));
    /* Scores on a lowest-price award. */
    dec x;
    good(&x);
    x.ev[0].scores = w.s[0];
    x.ev[0].n_scores = 2;
    refused(&x, TND_STATUS_INVALID_ARGUMENT, "only the valid bids of a weighted award are scored");
    /* Published weights that do not add up (a tampered tender) are refused too. */
    wgood(&w);
    crit[1].weight = 50;
    wrefused(&w, TND_STATUS_FAILED_PRECONDITION, "weights add up to 110%");
    crit[1].weight = 40;
}

static void test_criteria(void **state)
{
    (void)state;
    tender_tenders_v1_AwardCriterion c[3] = {{.name = "price", .weight = 50},
                                             {.name = "quality", .weight = 30},
                                             {.name = "delivery", .weight = 20}};
    tender_tenders_v1_TenderFields f = {
        .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED, .criteria = c, .n_criteria = 3};
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), 0);
    c[2].weight = 10;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_string_equal(msg, "fields.criteria: the weights add up to 90%; they must add up to 100");
    c[2].weight = 0;
    c[1].weight = 50;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "fields.criteria[2].weight: 0; a weight is 1..100 percent"));
    c[2] = (tender_tenders_v1_AwardCriterion){.name = "price", .weight = 0};
    f.n_criteria = 3;
    c[1].weight = 50;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "\"price\" is named twice"));
    c[2] = (tender_tenders_v1_AwardCriterion){.name = " ", .weight = 10};
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "fields.criteria[2].name: required"));
    f.n_criteria = 0;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "a weighted award publishes its criteria"));
    /* Lowest price (or unspecified): no criteria. */
    f.award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), 0);
    f.award_criteria = tender_tenders_v1_AwardCriteria_AWARD_CRITERIA_UNSPECIFIED;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), 0);
    f.n_criteria = 2;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "only a weighted award publishes criteria"));
    f.n_criteria = 0;
    f.award_criteria = 7;
    assert_int_equal(tnd_award_criteria_check(&f, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "fields.award_criteria: unknown value 7"));
}

/* A tender in two lots: L1 lowest price, L2 weighted (price 60 %, quality
 * 40 %). The opening: A answers both lots, B answers L1 but its line is not
 * valid, C failed as a bid (no lines), D answers L1 only. */
static tender_tenders_v1_Lot lots[2] = {
    {.id = "L1", .title = "North"},
    {.id = "L2",
     .title = "South",
     .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
     .criteria = crit,
     .n_criteria = 2},
};
static tender_tenders_v1_TenderFields lpub = {.title = "Roads", .lots = lots, .n_lots = 2};
static tender_common_v1_Money lprice[4] = {{.minor_units = 100, .currency = "KRW"},
                                           {.minor_units = 300, .currency = "KRW"},
                                           {.minor_units = 90, .currency = "KRW"},
                                           {.minor_units = 120, .currency = "KRW"}};
static tender_bids_v1_OpenedLot a_lots[2] = {{.lot_id = "L1", .price = &lprice[0], .valid = true},
                                             {.lot_id = "L2", .price = &lprice[1], .valid = true}};
static tender_bids_v1_OpenedLot b_lots[1] = {
    {.lot_id = "L1", .price = &lprice[2], .failure = "the price is above the lot's value"}};
static tender_bids_v1_OpenedLot d_lots[1] = {{.lot_id = "L1", .price = &lprice[3], .valid = true}};
static tender_bids_v1_OpenedBid lrec_bids[4] = {
    {.bid_id = "A", .valid = true, .lots = a_lots, .n_lots = 2},
    {.bid_id = "B", .valid = true, .lots = b_lots, .n_lots = 1},
    {.bid_id = "C", .valid = false, .failure = "does not decrypt"},
    {.bid_id = "D", .valid = true, .lots = d_lots, .n_lots = 1},
};
static tender_bids_v1_OpeningRecord lrec = {.tender_id = TENDER, .bids = lrec_bids, .n_bids = 4};

/* Lot L1's correct decision: A 100 wins, B disqualified, D 120; C answered
 * no lot and is not evaluated. */
static void lgood(dec *x)
{
    memset(x, 0, sizeof *x);
    x->d = (tender_awards_v1_Decision){.tender_id = TENDER,
                                       .lot_id = "L1",
                                       .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                       .winner = "A",
                                       .rationale = "lowest valid price for L1",
                                       .evaluations = x->ev,
                                       .n_evaluations = 3};
    x->price[0] = lprice[0];
    x->price[1] = lprice[3];
    x->ev[0] =
        (tender_awards_v1_BidEvaluation){.bid_id = "A", .valid = true, .price = &x->price[0]};
    x->ev[1] = (tender_awards_v1_BidEvaluation){.bid_id = "B", .reason = "above the lot's value"};
    x->ev[2] =
        (tender_awards_v1_BidEvaluation){.bid_id = "D", .valid = true, .price = &x->price[1]};
}

static void lrefused(const dec *x, const tender_tenders_v1_TenderFields *f,
                     const tender_bids_v1_OpeningRecord *r, int want_status, const char *needle)
{
    int st = -1;
    int rc = tnd_award_check(&x->d, r, f, &st, msg, sizeof msg);
    if (rc != TND_EINVAL || st != want_status || !strstr(msg, needle))
        fail_msg("expected %d \"%s\", got rc %d status %d \"%s\"", want_status, needle, rc, st,
                 msg);
}

static void test_lots(void **state)
{
    (void)state;
    const int ARG = TND_STATUS_INVALID_ARGUMENT, PRE = TND_STATUS_FAILED_PRECONDITION;
    dec x;
    int st = -1;
    lgood(&x);
    assert_int_equal(tnd_award_check(&x.d, &lrec, &lpub, &st, msg, sizeof msg), 0);
    assert_int_equal(st, TND_STATUS_OK);

    /* The lot: required with lots, one of the tender's, refused without. */
    lgood(&x);
    x.d.lot_id = "";
    lrefused(&x, &lpub, &lrec, ARG, "lot_id: required, tender T-1 has lots");
    lgood(&x);
    x.d.lot_id = "L9";
    lrefused(&x, &lpub, &lrec, PRE, "tender T-1 has no lot L9");
    good(&x);
    x.d.lot_id = "L1";
    lrefused(&x, &pub, &rec, ARG, "tender T-1 has no lots; leave lot_id empty");

    /* The bids: those that answered the lot, each once, at the lot's price. */
    lgood(&x);
    x.ev[3] = (tender_awards_v1_BidEvaluation){.bid_id = "C", .reason = "does not decrypt"};
    x.d.n_evaluations = 4;
    lrefused(&x, &lpub, &lrec, PRE, "bid C did not answer lot L1");
    lgood(&x);
    x.d.n_evaluations = 2;
    lrefused(&x, &lpub, &lrec, PRE, "skips bid D, opened for lot L1");
    lgood(&x);
    x.ev[2] = (tender_awards_v1_BidEvaluation){.bid_id = "A", .reason = "twice"};
    lrefused(&x, &lpub, &lrec, ARG, "bid A is evaluated twice");
    lgood(&x);
    x.price[0] = lprice[1]; /* A's price for L2 */
    lrefused(&x, &lpub, &lrec, PRE,
             "bid A: the price 300 KRW differs from the opening record's 100 KRW");
    /* Valid for the lot per its line. */
    lgood(&x);
    x.price[2] = lprice[2];
    x.ev[1] = (tender_awards_v1_BidEvaluation){.bid_id = "B", .valid = true, .price = &x.price[2]};
    lrefused(&x, &lpub, &lrec, PRE,
             "bid B is not valid for lot L1 at the opening (the price is above the lot's value)");
    lgood(&x);
    x.d.winner = "D";
    lrefused(&x, &lpub, &lrec, PRE, "winner D offers 120 KRW, not the lowest valid price: bid A");
    lgood(&x);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    lrefused(&x, &lpub, &lrec, PRE, "a lot with a valid bid cannot be unsuccessful");

    /* Lot L2: its own weighted criteria; only A answered it. */
    lgood(&x);
    x.d.lot_id = "L2";
    x.d.n_evaluations = 1;
    x.price[0] = lprice[1];
    lrefused(&x, &lpub, &lrec, PRE, "lot L2 of tender T-1 published weighted award criteria");
    tender_awards_v1_CriterionScore sc[2] = {{.criterion = "price", .points = 80},
                                             {.criterion = "quality", .points = 70}};
    x.d.criterion = tender_awards_v1_Criterion_WEIGHTED;
    x.ev[0].scores = sc;
    x.ev[0].n_scores = 2;
    assert_int_equal(tnd_award_check(&x.d, &lrec, &lpub, &st, msg, sizeof msg), 0);
    x.d.winner = "D";
    lrefused(&x, &lpub, &lrec, PRE, "winner D did not answer lot L2");
    /* L1 is lowest price: a weighted decision is refused for it. */
    x.d.winner = "A";
    x.d.lot_id = "L1";
    x.price[0] = lprice[0];
    x.ev[1] = (tender_awards_v1_BidEvaluation){.bid_id = "B", .reason = "above the lot's value"};
    x.ev[2] = (tender_awards_v1_BidEvaluation){
        .bid_id = "D", .valid = true, .price = &lprice[3], .scores = sc, .n_scores = 2};
    x.d.n_evaluations = 3;
    lrefused(&x, &lpub, &lrec, PRE, "lot L1 of tender T-1 publishes no award weights");

    /* Every lot decided: unsuccessful when no bid is valid for it. */
    tender_bids_v1_OpenedBid one[1] = {{.bid_id = "B", .valid = true, .lots = b_lots, .n_lots = 1}};
    tender_bids_v1_OpeningRecord r1 = {.tender_id = TENDER, .bids = one, .n_bids = 1};
    lgood(&x);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    x.d.criterion = 0;
    x.ev[0] = x.ev[1];
    x.d.n_evaluations = 1;
    assert_int_equal(tnd_award_check(&x.d, &r1, &lpub, &st, msg, sizeof msg), 0);

    /* A lot priced twice: its invalid line stands, the bid is disqualified
     * for the lot; two valid lines for one lot are a broken record. */
    tender_bids_v1_OpenedLot twice[2] = {a_lots[0], a_lots[0]};
    twice[1].valid = false;
    twice[1].failure = "the bid prices lot L1 twice";
    tender_bids_v1_OpenedBid tb[1] = {{.bid_id = "A", .valid = true, .lots = twice, .n_lots = 2}};
    tender_bids_v1_OpeningRecord r2 = {.tender_id = TENDER, .bids = tb, .n_bids = 1};
    lgood(&x);
    x.d.n_evaluations = 1;
    lrefused(&x, &lpub, &r2, PRE, "bid A is not valid for lot L1 at the opening (the bid prices");
    lgood(&x);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    x.ev[0] = (tender_awards_v1_BidEvaluation){.bid_id = "A", .reason = "priced twice"};
    x.d.n_evaluations = 1;
    assert_int_equal(tnd_award_check(&x.d, &r2, &lpub, &st, msg, sizeof msg), 0);
    twice[1] = twice[0];
    lrefused(&x, &lpub, &r2, PRE, "two valid lines of lot L1 for bid A");
}

static void test_verify(void **state)
{
    (void)state;
    dec x;
    good(&x);
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
    EVP_PKEY_CTX_free(kc);
    uint8_t pub_key[32], sig[64], *buf;
    size_t pl = 32, sl = 64, len;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub_key, &pl), 1);
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &x.d, &buf, &len, NULL), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    assert_int_equal(tnd_award_verify(&x.d, sig, 64, pub_key), 0);
    assert_int_equal(tnd_award_verify(&x.d, sig, 63, pub_key), TND_ECRYPTO);
    x.d.rationale = "changed after signing";
    assert_int_equal(tnd_award_verify(&x.d, sig, 64, pub_key), TND_ECRYPTO);
    assert_int_equal(tnd_award_verify(NULL, sig, 64, pub_key), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowest_price), cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_weighted),     cmocka_unit_test(test_criteria),
        cmocka_unit_test(test_verify),       cmocka_unit_test(test_lots),
    };
    return cmocka_run_group_tests_name("award_check", tests, NULL, NULL);
}
