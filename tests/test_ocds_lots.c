/* The OCDS export of a tender with lots and items (common/ocds/, the lots
 * extension): a hand-built public record of a two-lot tender (items in
 * each lot, an opening record with a price per lot, an award per lot, one
 * lot cancelled, the other completed or unsuccessful) turned into a release
 * package by the one builder tenderd and tenderctl use, then validated by
 * tests/ocds_validate.py with Debian's /usr/bin/python3 (python3-jsonschema)
 * against OCDS 1.1.5 with the bids, lots and location extensions kept in
 * tests/data/ocds. Tests run from the repository root. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocds/ocds.h"

#define EV(name) tender_events_v1_EventKind_##name
#define T0 1780000000

static char dir[] = "/tmp/tnd_ocds_lots_XXXXXX";

static int setup(void **state)
{
    (void)state;
    if (access("tests/ocds_validate.py", R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    if (getenv("OCDS_KEEP")) {
        fprintf(stderr, "kept %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- the record ---- */

static tender_common_v1_Timestamp ts[40];

static tender_common_v1_Timestamp *at(int s)
{
    ts[s].seconds = T0 + s * 3600;
    return &ts[s];
}

static tender_common_v1_Money eur(int64_t cents)
{
    return (tender_common_v1_Money){.minor_units = cents, .currency = "EUR"};
}

static tender_common_v1_Money m_total, m_l1, m_l2, p_b1l1, p_b1l2, p_b2l1, p_b2l2;
static tender_tenders_v1_AwardCriterion crit[] = {{.name = "price", .weight = 60},
                                                  {.name = "quality", .weight = 40}};
static tender_tenders_v1_Lot lots[2];
static tender_tenders_v1_Classification cpv1 = {.scheme = "CPV",
                                                .code = "44113000-2",
                                                .description = "Road-construction materials"},
                                        cpv2 = {.code = "45233140-2"};
static tender_tenders_v1_Item items[3];
static tender_tenders_v1_TenderFields fields;
static tender_tenders_v1_Tender versions[2];
static tender_bids_v1_OpenedLot ol1[2], ol2[2], ol4[4];
static tender_bids_v1_OpenedBid obids[4];
static tender_awards_v1_BidEvaluation ev1[2], ev2[2];
static tender_awards_v1_Decision dec1, dec2;
static tender_awards_v1_Award awards[2];
static tender_events_v1_Event events[10];

/* A tender of 1000.00 EUR in two lots (L1 600.00 lowest price, L2 400.00
 * weighted), three items, amended once; three bids: B1 answers both lots,
 * B2 both (its L2 price invalid), B3 could not be opened, B4 priced a lot
 * the tender does not have, twice, and L1 twice (each line invalid). L1 is awarded to
 * B1 and completed. L2 is cancelled (l2_unsuccessful false) or found
 * unsuccessful. */
static void build(tnd_ocds_tender *td, bool l2_unsuccessful)
{
    memset(td, 0, sizeof *td);
    m_total = eur(100000), m_l1 = eur(60000), m_l2 = eur(40000);
    p_b1l1 = eur(50000), p_b1l2 = eur(30000), p_b2l1 = eur(55050), p_b2l2 = eur(45000);
    lots[0] = (tender_tenders_v1_Lot){.id = "L1", .title = "Gravel", .value = &m_l1};
    lots[1] = (tender_tenders_v1_Lot){.id = "L2",
                                      .title = "Paving",
                                      .description = "Paving of the access road",
                                      .value = &m_l2,
                                      .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                      .criteria = crit,
                                      .n_criteria = 2};
    items[0] = (tender_tenders_v1_Item){.id = "I1",
                                        .description = "Gravel 0/32",
                                        .classification = &cpv1,
                                        .quantity = "12.5",
                                        .unit = "TNE",
                                        .delivery_place = "Depot, 1 Quarry Road",
                                        .delivery_start = at(30),
                                        .delivery_end = at(31),
                                        .lot_id = "L1"};
    items[1] = (tender_tenders_v1_Item){
        .id = "I2", .description = "Sand", .quantity = "3.000", .unit = "MTQ", .lot_id = "L1"};
    items[2] = (tender_tenders_v1_Item){.id = "I3",
                                        .description = "Paving works",
                                        .classification = &cpv2,
                                        .quantity = "1",
                                        .unit = "E48",
                                        .lot_id = "L2"};
    fields = (tender_tenders_v1_TenderFields){.title = "Road materials",
                                              .method = tender_tenders_v1_ProcurementMethod_OPEN,
                                              .category = tender_tenders_v1_MainCategory_GOODS,
                                              .estimated_value = &m_total,
                                              .submission_deadline = at(10),
                                              .lots = lots,
                                              .n_lots = 2,
                                              .items = items,
                                              .n_items = 3};
    for (int v = 0; v < 2; v++)
        versions[v] = (tender_tenders_v1_Tender){.id = "T-1",
                                                 .version = (uint32_t)v + 1,
                                                 .status = tender_tenders_v1_TenderStatus_ACTIVE,
                                                 .buyer = "CITY",
                                                 .fields = &fields,
                                                 .published = at(1 + v)};
    td->id = "T-1";
    tnd_ocds_set_ocid(td, TND_OCDS_PREFIX, td->id);
    td->versions = versions;
    td->n_versions = 2;

    ol1[0] = (tender_bids_v1_OpenedLot){.lot_id = "L1", .price = &p_b1l1, .valid = true};
    ol1[1] = (tender_bids_v1_OpenedLot){.lot_id = "L2", .price = &p_b1l2, .valid = true};
    ol2[0] = (tender_bids_v1_OpenedLot){.lot_id = "L1", .price = &p_b2l1, .valid = true};
    ol2[1] = (tender_bids_v1_OpenedLot){
        .lot_id = "L2", .price = &p_b2l2, .failure = "the price is above the lot's value"};
    obids[0] = (tender_bids_v1_OpenedBid){.bid_id = "B1",
                                          .received = at(5),
                                          .valid = true,
                                          .supplier_org = "ORG-A",
                                          .lots = ol1,
                                          .n_lots = 2};
    obids[1] = (tender_bids_v1_OpenedBid){.bid_id = "B2",
                                          .received = at(6),
                                          .valid = true,
                                          .supplier_org = "ORG-B",
                                          .lots = ol2,
                                          .n_lots = 2};
    obids[2] = (tender_bids_v1_OpenedBid){
        .bid_id = "B3", .received = at(7), .failure = "the bid could not be decrypted"};
    ol4[0] = (tender_bids_v1_OpenedLot){
        .lot_id = "L9", .price = &p_b1l2, .failure = "the tender has no lot L9"};
    ol4[1] = (tender_bids_v1_OpenedLot){
        .lot_id = "L1", .price = &p_b1l2, .failure = "lot L1 is priced twice"};
    ol4[2] = ol4[0];
    ol4[3] = ol4[1];
    obids[3] = (tender_bids_v1_OpenedBid){.bid_id = "B4",
                                          .received = at(8),
                                          .valid = true,
                                          .supplier_org = "ORG-C",
                                          .lots = ol4,
                                          .n_lots = 4};
    td->opening = (tender_bids_v1_OpeningRecord){
        .tender_id = "T-1", .opened = at(12), .bids = obids, .n_bids = 4};
    td->have_opening = true;

    ev1[0] = (tender_awards_v1_BidEvaluation){.bid_id = "B1", .valid = true, .price = &p_b1l1};
    ev1[1] = (tender_awards_v1_BidEvaluation){.bid_id = "B2", .valid = true, .price = &p_b2l1};
    dec1 = (tender_awards_v1_Decision){.tender_id = "T-1",
                                       .winner = "B1",
                                       .evaluations = ev1,
                                       .n_evaluations = 2,
                                       .rationale = "lowest price",
                                       .lot_id = "L1"};
    ev2[0] = (tender_awards_v1_BidEvaluation){.bid_id = "B1", .valid = false, .reason = "late"};
    ev2[1] = (tender_awards_v1_BidEvaluation){.bid_id = "B2", .valid = false, .reason = "price"};
    dec2 = (tender_awards_v1_Decision){.tender_id = "T-1",
                                       .evaluations = ev2,
                                       .n_evaluations = 2,
                                       .rationale = "no valid bid",
                                       .unsuccessful = true,
                                       .lot_id = "L2"};
    awards[0] = (tender_awards_v1_Award){
        .id = "T-1-A1", .tender_id = "T-1", .decision = &dec1, .recorded = at(13)};
    awards[1] = (tender_awards_v1_Award){
        .id = "T-1-A2", .tender_id = "T-1", .decision = &dec2, .recorded = at(14)};

    size_t n = 0;
#define E(s, k, v, obj, nt)                                                                        \
    events[n++] = (tender_events_v1_Event){.seq = (s),                                             \
                                           .time = at(s),                                          \
                                           .kind = EV(k),                                          \
                                           .tender_id = "T-1",                                     \
                                           .tender_version = (v),                                  \
                                           .object_id = (obj),                                     \
                                           .note = (nt)}
    E(1, TENDER_PUBLISHED, 1, "T-1", NULL);
    E(2, TENDER_AMENDED, 2, "T-1", "delivery place corrected");
    E(12, BIDS_OPENED, 2, "T-1", NULL);
    E(13, AWARD_RECORDED, 2, "T-1-A1", NULL);
    if (l2_unsuccessful)
        E(14, LOT_UNSUCCESSFUL, 2, "T-1-A2", NULL);
    else
        E(14, LOT_CANCELLED, 2, "L2", "the road is not built this year");
    E(20, LOT_COMPLETED, 2, "T-1-A1", NULL);
    E(20 + 1, TENDER_COMPLETED, 2, "T-1", NULL);
#undef E
    td->events = events;
    td->n_events = n;
    td->opened = true;
    td->opened_seq = 12;
    td->awards = awards;
    td->n_awards = l2_unsuccessful ? 2 : 1;
}

/* The package of td's releases, also written to dir/name. */
static json_t *export(const tnd_ocds_tender *td, const char *name, char *file, size_t len)
{
    json_t *releases = json_array();
    assert_int_equal(tnd_ocds_releases(td, NULL, releases), 0);
    json_t *pkg = tnd_ocds_package(releases, "https://example.org/ocds", TND_OCDS_PUBLISHER, T0);
    json_decref(releases);
    assert_non_null(pkg);
    snprintf(file, len, "%s/%s", dir, name);
    assert_int_equal(json_dump_file(pkg, file, TND_OCDS_DUMP_FLAGS), 0);
    return pkg;
}

/* tests/ocds_validate.py on file with args: its exit status, its output in
 * out. */
static int validate(const char *file, const char *args, char *out, size_t len)
{
    char cmd[2048], log[300];
    snprintf(log, sizeof log, "%s/validate.log", dir);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ocds_validate.py '%s' %s >'%s' 2>&1", file,
             args, log);
    int rc = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, len - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return rc;
}

static void valid(const char *file, const char *args)
{
    char out[16384];
    if (validate(file, args, out, sizeof out) != 0)
        fail_msg("ocds_validate.py %s %s:\n%s", file, args, out);
    assert_non_null(strstr(out, "releases valid"));
}

static json_t *last_release(json_t *pkg)
{
    json_t *r = json_object_get(pkg, "releases");
    return json_array_get(r, json_array_size(r) - 1);
}

static json_t *find(json_t *array, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(array, i, o)
    {
        const char *s = json_string_value(json_object_get(o, "id"));
        if (s && strcmp(s, id) == 0)
            return o;
    }
    return NULL;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "(none)";
}

/* ---- the tests ---- */

/* Two lots, L1 completed, L2 cancelled: valid against the schemas with the
 * extensions; lots, items, bids per lot and the award as they stood. */
static void test_two_lots_cancelled(void **state)
{
    (void)state;
    tnd_ocds_tender td;
    char file[300];
    build(&td, false);
    json_t *pkg = export(&td, "cancelled.json", file, sizeof file);
    valid(file, "--tags tender,tenderAmendment,tenderUpdate,award,tenderUpdate,"
                "tenderUpdate+awardUpdate,tenderUpdate+awardUpdate "
                "--lots L1:complete,L2:cancelled "
                "--lot-bids L1:500:EUR,L1:550.5:EUR,L2:300:EUR --lot-awards L1:active");

    json_t *ext = json_object_get(pkg, "extensions");
    assert_int_equal(json_array_size(ext), 4);
    assert_non_null(strstr(json_string_value(json_array_get(ext, 2)), "ocds_lots_extension"));
    assert_non_null(strstr(json_string_value(json_array_get(ext, 3)), "ocds_location_extension"));

    /* The release of the lot's cancellation: L2 cancelled, L1 still active. */
    json_t *rel = json_array_get(json_object_get(pkg, "releases"), 4);
    json_t *tender = json_object_get(rel, "tender");
    assert_string_equal(json_string_value(json_array_get(json_object_get(rel, "tag"), 0)),
                        "tenderUpdate");
    assert_string_equal(str(tender, "status"), "active");
    assert_string_equal(str(find(json_object_get(tender, "lots"), "L1"), "status"), "active");
    assert_string_equal(str(find(json_object_get(tender, "lots"), "L2"), "status"), "cancelled");
    /* The lots' criteria differ: the tender names none, each lot its own. */
    assert_null(json_object_get(tender, "awardCriteria"));
    json_t *l2 = find(json_object_get(tender, "lots"), "L2");
    assert_string_equal(str(l2, "awardCriteria"), "ratedCriteria");
    assert_non_null(strstr(str(l2, "awardCriteriaDetails"), "quality 40%"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(l2, "value"), "amount")),
                     400);

    /* Items: a number for the quantity, the UN/CEFACT unit, the place. */
    json_t *it = json_object_get(tender, "items");
    json_t *i1 = find(it, "I1"), *i2 = find(it, "I2"), *i3 = find(it, "I3");
    assert_true(json_is_real(json_object_get(i1, "quantity")));
    assert_true(json_real_value(json_object_get(i1, "quantity")) == 12.5);
    assert_true(json_is_integer(json_object_get(i2, "quantity")));
    assert_int_equal(json_integer_value(json_object_get(i2, "quantity")), 3);
    assert_string_equal(str(json_object_get(i1, "unit"), "scheme"), "UNCEFACT");
    assert_string_equal(str(json_object_get(i1, "unit"), "id"), "TNE");
    assert_string_equal(str(json_object_get(i1, "unit"), "name"), "tonne (metric ton)");
    assert_string_equal(str(json_object_get(i1, "deliveryLocation"), "description"),
                        "Depot, 1 Quarry Road");
    assert_string_equal(str(json_object_get(i1, "classification"), "id"), "44113000-2");
    assert_string_equal(str(json_object_get(i3, "classification"), "scheme"), "CPV");
    assert_string_equal(str(i3, "relatedLot"), "L2");

    /* Bids: one detail per bid and lot; B3 one, disqualified; B4's price
     * for no lot of the tender disqualified and related to none. */
    json_t *bids = json_object_get(json_object_get(rel, "bids"), "details");
    assert_int_equal(json_array_size(bids), 7);
    assert_string_equal(str(find(bids, "B4/L1"), "status"), "disqualified");
    json_t *b4 = find(bids, "B4/L9");
    assert_string_equal(str(b4, "status"), "disqualified");
    assert_null(json_object_get(b4, "relatedLots"));
    assert_null(json_object_get(b4, "tenderers"));
    json_t *stats = json_object_get(json_object_get(rel, "bids"), "statistics");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(stats, 0), "value")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(stats, 1), "value")), 2);
    /* L1: B1, B2 valid, B4 (priced twice) disqualified, counted once. */
    assert_string_equal(str(json_array_get(stats, 3), "relatedLot"), "L1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(stats, 3), "value")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(stats, 5), "value")), 1);
    json_t *b2l2 = find(bids, "B2/L2"), *b3 = find(bids, "B3");
    assert_string_equal(str(b2l2, "status"), "disqualified");
    assert_null(json_object_get(b2l2, "value"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(b2l2, "relatedLots"), 0)),
                        "L2");
    assert_string_equal(str(b3, "status"), "disqualified");
    assert_null(json_object_get(b3, "relatedLots"));
    assert_int_equal(json_integer_value(json_object_get(tender, "numberOfTenderers")), 2);

    /* The award: its lot, the winner's bid for that lot. */
    json_t *a1 = find(json_object_get(last_release(pkg), "awards"), "T-1-A1");
    assert_string_equal(str(a1, "relatedBid"), "B1/L1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(a1, "relatedLots"), 0)),
                        "L1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a1, "value"), "amount")),
                     500);
    assert_string_equal(str(json_object_get(last_release(pkg), "tender"), "status"), "complete");
    json_decref(pkg);
}

/* L2 unsuccessful: its decision is an award "unsuccessful" for L2, without
 * supplier; the lot's status follows. */
static void test_two_lots_unsuccessful(void **state)
{
    (void)state;
    tnd_ocds_tender td;
    char file[300];
    build(&td, true);
    json_t *pkg = export(&td, "unsuccessful.json", file, sizeof file);
    valid(file, "--tags tender,tenderAmendment,tenderUpdate,award,tenderUpdate+award,"
                "tenderUpdate+awardUpdate,tenderUpdate+awardUpdate "
                "--lots L1:complete,L2:unsuccessful --lot-awards L1:active,L2:unsuccessful");
    json_t *a2 = find(json_object_get(last_release(pkg), "awards"), "T-1-A2");
    assert_null(json_object_get(a2, "suppliers"));
    assert_null(json_object_get(a2, "relatedBid"));
    json_decref(pkg);
}

/* The validator's lot rules can fail: an item of no lot, a bid of two lots,
 * an award of no lot, a package without the lots extension. */
static void test_validator_refuses(void **state)
{
    (void)state;
    tnd_ocds_tender td;
    char file[300], out[16384];
    build(&td, false);
    static const char *const want[] = {"relates to lot L9", "relates to lots ['L1', 'L2']",
                                       "relates to lots None", "does not declare"};
    for (int k = 0; k < 4; k++) {
        json_t *pkg = export(&td, "bad.json", file, sizeof file);
        json_t *rel = last_release(pkg), *tender = json_object_get(rel, "tender");
        if (k == 0) {
            json_object_set_new(json_array_get(json_object_get(tender, "items"), 0), "relatedLot",
                                json_string("L9"));
        } else if (k == 1) {
            json_t *b = json_array_get(json_object_get(json_object_get(rel, "bids"), "details"), 0);
            json_array_append_new(json_object_get(b, "relatedLots"), json_string("L2"));
        } else if (k == 2) {
            json_object_del(json_array_get(json_object_get(rel, "awards"), 0), "relatedLots");
        } else {
            json_array_remove(json_object_get(pkg, "extensions"), 2);
        }
        assert_int_equal(json_dump_file(pkg, file, TND_OCDS_DUMP_FLAGS), 0);
        json_decref(pkg);
        if (validate(file, "", out, sizeof out) == 0 || !strstr(out, want[k]))
            fail_msg("case %d: expected a refusal with \"%s\":\n%s", k, want[k], out);
    }
}

/* Without lots and items nothing of either is exported: the synthetic item
 * of the classification, one bid detail per bid, the two extensions. */
static void test_no_lots(void **state)
{
    (void)state;
    tnd_ocds_tender td;
    char file[300];
    static tender_common_v1_Money price;
    build(&td, false);
    fields.n_lots = fields.n_items = 0;
    fields.classification = &cpv2;
    price = eur(90000);
    obids[3].valid = false;
    for (int i = 0; i < 4; i++) {
        obids[i].n_lots = 0;
        obids[i].price = &price;
    }
    dec1.lot_id = "";
    ev1[0].price = &price;
    td.n_events = 4; /* published, amended, opened, awarded */
    json_t *pkg = export(&td, "nolots.json", file, sizeof file);
    valid(file, "--bids 900:EUR,900:EUR --disqualified 2 --awards pending "
                "--award-criteria priceOnly");
    char *text = json_dumps(pkg, TND_OCDS_DUMP_FLAGS);
    assert_non_null(text);
    assert_null(strstr(text, "relatedLot"));
    assert_null(strstr(text, "\"lots\""));
    assert_null(strstr(text, "deliveryLocation"));
    assert_null(strstr(text, "B1/"));
    assert_non_null(strstr(text, "\"relatedBid\": \"B1\""));
    free(text);
    assert_int_equal(json_array_size(json_object_get(pkg, "extensions")), 2);
    json_t *its = json_object_get(json_object_get(last_release(pkg), "tender"), "items");
    assert_int_equal(json_array_size(its), 1);
    assert_string_equal(str(json_array_get(its, 0), "id"), "1");
    json_decref(pkg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_lots_cancelled),
        cmocka_unit_test(test_two_lots_unsuccessful),
        cmocka_unit_test(test_validator_refuses),
        cmocka_unit_test(test_no_lots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
