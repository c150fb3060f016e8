/* Unit tests of the lot and item rules (tender/lots.h), as the server,
 * tenderctl and auditors apply them: each rule accepted at its edge and
 * refused just past it, with the message naming the field. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "tender/lots.h"

typedef tender_tenders_v1_TenderFields Fields;

static tender_common_v1_Money total, val[3];
static tender_tenders_v1_AwardCriterion crit[2];
static tender_tenders_v1_Lot lots[3];
static tender_tenders_v1_Item items[3];
static tender_common_v1_Timestamp t1 = {.seconds = 1000}, t2 = {.seconds = 2000};
static Fields f;
static char msg[400];

/* A valid tender of two lots (60 + 40 EUR = 100.00 EUR) and two items. */
static void two_lots(void)
{
    memset(&f, 0, sizeof f);
    total = (tender_common_v1_Money){.minor_units = 10000, .currency = "EUR"};
    val[0] = (tender_common_v1_Money){.minor_units = 6000, .currency = "EUR"};
    val[1] = (tender_common_v1_Money){.minor_units = 4000, .currency = "EUR"};
    val[2] = (tender_common_v1_Money){.minor_units = 1000, .currency = "EUR"};
    crit[0] = (tender_tenders_v1_AwardCriterion){.name = "price", .weight = 60};
    crit[1] = (tender_tenders_v1_AwardCriterion){.name = "quality", .weight = 40};
    lots[0] = (tender_tenders_v1_Lot){.id = "LOT-1", .title = "Asphalt", .value = &val[0]};
    lots[1] = (tender_tenders_v1_Lot){.id = "LOT-2",
                                      .title = "Signs",
                                      .value = &val[1],
                                      .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                      .criteria = crit,
                                      .n_criteria = 2};
    lots[2] = (tender_tenders_v1_Lot){.id = "LOT-3", .title = "Paint", .value = &val[2]};
    items[0] = (tender_tenders_v1_Item){.id = "1",
                                        .description = "Asphalt concrete",
                                        .quantity = "1200.5",
                                        .unit = "TNE",
                                        .delivery_start = &t1,
                                        .delivery_end = &t2,
                                        .lot_id = "LOT-1"};
    items[1] = (tender_tenders_v1_Item){
        .id = "2", .description = "Road signs", .quantity = "40", .unit = "H87", .lot_id = "LOT-2"};
    f.title = "Ring road";
    f.estimated_value = &total;
    f.lots = lots;
    f.n_lots = 2;
    f.items = items;
    f.n_items = 2;
}

static void refused(const char *needle)
{
    msg[0] = 0;
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), TND_EINVAL);
    if (!strstr(msg, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, msg);
    two_lots();
}

static void test_valid(void **state)
{
    (void)state;
    two_lots();
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
    /* No lots: items without lot_id, no estimated value needed. */
    f.n_lots = 0;
    f.estimated_value = NULL;
    items[0].lot_id = items[1].lot_id = "";
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
    /* Nothing at all: as before lots existed. */
    memset(&f, 0, sizeof f);
    f.title = "x";
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
}

static void test_lot_rules(void **state)
{
    (void)state;
    two_lots();
    lots[1].id = "LOT 2";
    refused("fields.lots[1].id: required, 1 to 64 characters");
    lots[1].id = "";
    refused("fields.lots[1].id: required");
    lots[1].id = "LOT-1";
    refused("fields.lots[1].id: \"LOT-1\" is the id of lots[0] too");
    lots[0].title = " ";
    refused("fields.lots[0].title: required");
    val[1].minor_units = 0;
    refused("fields.lots[1].value: required, above zero");
    lots[1].value = NULL;
    refused("fields.lots[1].value: required");
    val[1].currency = "KRW";
    refused(
        "fields.lots[1].value.currency: \"KRW\"; a lot's value is in the tender's currency, EUR");
    /* the sum, exact, in the tender's currency */
    val[1].minor_units = 3999;
    refused("the lots' values add up to 99.99 EUR, the estimated value is 100.00 EUR");
    f.n_lots = 3; /* LOT-3 adds 10.00 */
    refused("add up to 110.00 EUR");
    f.estimated_value = NULL;
    refused("fields.estimated_value: required with lots");
    /* criteria: each lot's own; none at the tender level */
    f.award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
    refused("with lots, each lot has its award criteria");
    f.criteria = crit;
    f.n_criteria = 2;
    refused("with lots, each lot has its award criteria");
    crit[1].weight = 39;
    refused("fields.lots[1].criteria: the weights add up to 99%");
    lots[0].n_criteria = 2;
    lots[0].criteria = crit;
    refused("fields.lots[0].criteria: only a weighted award publishes criteria");
    /* 64 characters is the longest id */
    lots[0].id = "A234567890123456789012345678901234567890123456789012345678901234";
    items[0].lot_id = lots[0].id;
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
    lots[0].id = "A2345678901234567890123456789012345678901234567890123456789012345";
    refused("fields.lots[0].id");
    f.n_lots = TND_LOTS_MAX + 1;
    refused("fields.lots: 101 lots; at most 100");
}

static void test_item_rules(void **state)
{
    (void)state;
    two_lots();
    items[1].id = "1";
    refused("fields.items[1].id: \"1\" is the id of items[0] too");
    items[0].id = "";
    refused("fields.items[0].id: required");
    items[0].description = "";
    refused("fields.items[0].description: required (item 1)");
    items[0].quantity = "-1";
    refused("fields.items[0].quantity: \"-1\"; a non-negative decimal");
    items[0].quantity = "1.1234567";
    refused("at most 6 decimals");
    items[0].quantity = "1.123456";
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
    items[0].unit = "XYZ";
    refused("fields.items[0].unit: \"XYZ\" is not a unit code");
    items[0].unit = "kgm"; /* codes are upper case */
    refused("fields.items[0].unit");
    items[0].unit = "";
    refused("fields.items[0].unit: required with a quantity");
    items[0].unit = "";
    items[0].quantity = "";
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0);
    items[0].delivery_start = &t2;
    items[0].delivery_end = &t1;
    refused("fields.items[0].delivery_end: before delivery_start");
    items[0].delivery_end = &t2;
    assert_int_equal(tnd_lots_check(&f, msg, sizeof msg), 0); /* a one-day delivery */
    two_lots();
    tender_tenders_v1_Classification c = {.code = "44111000-1"};
    items[0].classification = &c;
    refused("fields.items[0].classification.scheme: required with a code");
    items[0].lot_id = "";
    refused("fields.items[0].lot_id: required: the tender has lots");
    items[0].lot_id = "LOT-9";
    refused("fields.items[0].lot_id: \"LOT-9\" is not a lot of the tender");
    f.n_lots = 0;
    refused("fields.items[0].lot_id: \"LOT-1\", but the tender has no lots");
    f.n_items = TND_ITEMS_MAX + 1;
    f.n_lots = 0;
    refused("fields.items: 1001 items; at most 1000");
}

static void test_quantity_and_units(void **state)
{
    (void)state;
    const char *good[] = {"0", "12", "0.5", "1500.125", "1.000000", "00012"};
    const char *bad[] = {"",    ".5",  "5.", "1.2.3",     "+1",
                         "1e3", "1,5", " 1", "1.0000001", "123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(tnd_quantity_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (tnd_quantity_valid(bad[i]))
            fail_msg("quantity \"%s\" accepted", bad[i]);
    assert_false(tnd_quantity_valid(NULL));
    const char *codes[] = {"H87", "KGM", "TNE", "MTR", "MTK", "MTQ", "LTR",
                           "HUR", "DAY", "MON", "ANN", "E48", "C62", "SET"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        assert_non_null(tnd_unit_name(codes[i]));
    assert_string_equal(tnd_unit_name("H87"), "piece");
    assert_null(tnd_unit_name("PCS"));
    assert_null(tnd_unit_name(NULL));
    size_t n = 0;
    while (tnd_unit_code(n))
        assert_non_null(tnd_unit_name(tnd_unit_code(n++)));
    assert_true(n >= 14);
}

static void test_amendment(void **state)
{
    (void)state;
    two_lots();
    Fields prev = f, next = f;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), 0);
    /* adding a lot, reordering: fine */
    tender_tenders_v1_Lot more[3] = {lots[1], lots[0], lots[2]};
    next.lots = more;
    next.n_lots = 3;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), 0);
    /* removing one: refused, naming it */
    next.lots = &lots[1];
    next.n_lots = 1;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "lot LOT-1 is missing"));
    assert_non_null(strstr(msg, "cancel it: Tenders/CancelLot"));
    next.n_lots = 0;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), TND_EINVAL);
    /* without lots, an amendment adds none */
    prev.n_lots = 0;
    next.n_lots = 2;
    next.lots = lots;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), TND_EINVAL);
    assert_non_null(strstr(msg, "published without lots"));
    next.n_lots = 0;
    assert_int_equal(tnd_lots_amend_check(&prev, &next, msg, sizeof msg), 0);
}

static void test_lot_view(void **state)
{
    (void)state;
    two_lots();
    f.price_above_value = true;
    Fields v;
    tnd_lot_view(&f, 1, &v);
    assert_ptr_equal(v.estimated_value, &val[1]);
    assert_int_equal(v.award_criteria, tender_tenders_v1_AwardCriteria_WEIGHTED);
    assert_int_equal(v.n_criteria, 2);
    assert_int_equal(v.n_lots, 0);
    assert_int_equal(v.n_items, 0);
    assert_true(v.price_above_value);
    assert_string_equal(v.title, "Ring road");
    assert_int_equal(tnd_lot_find(&f, "LOT-2"), 1);
    assert_int_equal(tnd_lot_find(&f, "LOT-9"), -1);
    assert_int_equal(tnd_lot_find(&f, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),      cmocka_unit_test(test_lot_rules),
        cmocka_unit_test(test_item_rules), cmocka_unit_test(test_quantity_and_units),
        cmocka_unit_test(test_amendment),  cmocka_unit_test(test_lot_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
