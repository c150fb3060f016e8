/* End-to-end tests of tenderctl with lots and items (docs/LOTS.md): a
 * two-lot tender created with --lot and --item, shown, published, amended
 * (a lot added), one lot cancelled with tender lot-cancel, and the
 * refusals, on the real tenderd. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctlrun.h"

static char committee[300], vkey[400];

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_ctllots_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    path(committee, sizeof committee, "committee.txt");
    FILE *f = fopen(committee, "w");
    if (!f)
        return -1;
    const char *names[] = {"Kim Min-jun", "Lee Ji-eun"};
    for (int i = 0; i < 2; i++) {
        uint8_t k[32];
        unsigned char b64[64];
        if (RAND_bytes(k, sizeof k) != 1)
            return -1;
        EVP_EncodeBlock(b64, k, sizeof k);
        fprintf(f, "%s %s\n", names[i], b64);
    }
    fclose(f);
    return ctlrun_start_server(NULL);
}

#define LOT1 "LOT-1: Asphalt works; 600000000"
#define LOT2 "LOT-2: Road signs; 400000000; criteria=price:70,quality:30"
#define ITEM1                                                                                      \
    "1: Asphalt concrete; 1200.5 tne; lot=LOT-1; cpv=44113620-7; place=Ring road; "                \
    "from=2027-03-01; to=2027-06-30"
#define ITEM2 "2: Speed limit sign; 40 H87; lot=LOT-2"

/* A two-lot draft of the officer; its id into id. */
static void create_two_lots(char *id, size_t len)
{
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", "Ring road in two lots", "--currency", "KRW",
        "--deadline", dl, "--opening", op, "--committee", committee, "--lot", LOT1, "--lot", LOT2,
        "--item", ITEM1, "--item", ITEM2, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "T-", 2) == 0);
}

static void test_a_two_lot_tender_from_draft_to_a_cancelled_lot(void **state)
{
    (void)state;
    char id[64];
    create_two_lots(id, sizeof id);
    /* the budget is the lots' sum; the lots and items shown */
    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "value:                1000000000 KRW");
    HAS(R.out, "award criteria:       per lot");
    HAS(R.out, "lots:                 2");
    HAS(R.out, "  LOT-1  draft  600000000 KRW  Asphalt works\n      award criteria: lowest price");
    HAS(R.out, "  LOT-2  draft  400000000 KRW  Road signs\n"
               "      award criteria: weighted: price 70%, quality 30%");
    HAS(R.out, "items:                2");
    HAS(R.out, "  1  Asphalt concrete; 1200.5 TNE (tonne (metric ton)); lot LOT-1; cpv 44113620-7\n"
               "      delivery: Ring road, 2027-03-01T00:00:00Z to 2027-06-30T00:00:00Z");
    HAS(R.out, "  2  Speed limit sign; 40 H87 (piece); lot LOT-2");
    /* published: each lot active */
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    ctl(NULL, "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "  LOT-1  active  600000000 KRW  Asphalt works");
    HAS(R.out, "  LOT-2  active  400000000 KRW  Road signs");
    /* --json: the structure as the server has it */
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out,
        "\"lot_states\":[{\"lot_id\":\"LOT-1\",\"status\":\"LOT_ACTIVE\",\"cancel_reason\":\"\","
        "\"cancel_code\":\"CANCEL_REASON_UNSPECIFIED\",\"cancelled\":null},"
        "{\"lot_id\":\"LOT-2\",\"status\":\"LOT_ACTIVE\"");
    HAS(R.out, "\"lots\":[{\"id\":\"LOT-1\",\"title\":\"Asphalt works\"");
    HAS(R.out, "\"unit\":\"TNE\"");
    /* amended: a third lot; the budget follows */
    ctl("officer", "tender", "amend", id, "--note", "line painting added", "--lot",
        "LOT-3: Line painting; 50000000", "--item", "3: Road marking paint; 800 LTR; lot=LOT-3",
        NULL);
    EXPECT(0);
    HAS(R.out, "amended (status active, version 2)");
    ctl(NULL, "tender", "show", id, NULL);
    HAS(R.out, "value:                1050000000 KRW");
    HAS(R.out, "  LOT-3  active  50000000 KRW  Line painting");
    HAS(R.out, "  3  Road marking paint; 800 LTR (litre); lot LOT-3");
    /* an amendment does not remove a lot */
    ctl("officer", "tender", "amend", id, "--note", "no signs", "--drop-item", "2", "--drop-lot",
        "LOT-2", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "lot LOT-2 is missing; an amendment does not remove a lot: cancel it: "
               "Tenders/CancelLot");
    /* one lot cancelled, with its reason */
    ctl("officer", "tender", "lot-cancel", id, "LOT-2", "--reason", "signs bought elsewhere",
        "--reason-code", "other", NULL);
    EXPECT(0);
    HAS(R.out, " lot LOT-2 cancelled");
    ctl(NULL, "tender", "show", id, NULL);
    HAS(R.out, "  LOT-2  cancelled  400000000 KRW  Road signs");
    HAS(R.out, "      cancelled: signs bought elsewhere");
    HAS(R.out, "      cancel code: other (Other reason (see the reason given))");
    HAS(R.out, "status:               active");
    ctl(NULL, "--json", "tender", "show", id, NULL);
    HAS(R.out, "{\"lot_id\":\"LOT-2\",\"status\":\"LOT_CANCELLED\",\"cancel_reason\":"
               "\"signs bought elsewhere\",\"cancel_code\":\"OTHER\",\"cancelled\":\"20");
    /* the code is required, from the codelist */
    ctl("officer", "tender", "lot-cancel", id, "LOT-1", "--reason", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--reason-code CODE is required, one of: no-longer-needed cannot-be-fixed");
    ctl("officer", "tender", "lot-cancel", id, "LOT-1", "--reason", "r", "--reason-code", "whim",
        NULL);
    EXPECT(2);
    HAS(R.err, "one of: no-longer-needed");
    /* again; a lot that does not exist; another buyer's officer */
    ctl("officer", "tender", "lot-cancel", id, "LOT-2", "--reason", "again", "--reason-code",
        "other", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "is already cancelled");
    ctl("officer", "tender", "lot-cancel", id, "LOT-9", "--reason", "r", "--reason-code", "other",
        NULL);
    EXPECT(10 + 5);
    HAS(R.err, "has no lot LOT-9");
    ctl("officer2", "tender", "lot-cancel", id, "LOT-1", "--reason", "r", "--reason-code", "other",
        NULL);
    EXPECT(10 + 7);
    /* the last two: one goes, the last one is the tender's to cancel */
    ctl("officer", "tender", "lot-cancel", id, "LOT-3", "--reason", "no paint", "--reason-code",
        "other", NULL);
    EXPECT(0);
    ctl("officer", "tender", "lot-cancel", id, "LOT-1", "--reason", "r", "--reason-code", "other",
        NULL);
    EXPECT(10 + 9);
    HAS(R.err, "cancel the tender instead: Tenders/Cancel");
    /* an auditor checks the record: versions, lots and the lot events */
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, NULL);
    EXPECT(0);
    HAS(R.out, "3 lots, a state for each; 2 cancelled, each by its lot_cancelled event");
}

static void test_bad_lots_and_items(void **state)
{
    (void)state;
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
#define CREATE(...)                                                                                \
    ctl("officer", "tender", "create", "--title", "Bad", "--currency", "EUR", "--deadline", dl,    \
        "--opening", op, __VA_ARGS__, NULL)
    /* the form of a flag: exit 2, before any call */
    CREATE("--lot", "LOT 1: Asphalt; 10");
    EXPECT(2);
    HAS(R.err, "the lot id is 1 to 64 characters of A-Z a-z 0-9 . _ -");
    CREATE("--lot", "Asphalt");
    EXPECT(2);
    HAS(R.err, "expected 'ID: TITLE; VALUE'");
    CREATE("--lot", "L1: Asphalt; 10.001");
    EXPECT(2);
    HAS(R.err, "--lot L1: Asphalt; 10.001:");
    CREATE("--lot", "L1: Asphalt; 10", "--item", "1: Sand; 5 XYZ; lot=L1");
    EXPECT(2);
    HAS(R.err, "unknown unit code");
    CREATE("--lot", "L1: Asphalt; 10", "--item", "1: Sand; 5.1234567 KGM; lot=L1");
    EXPECT(2);
    HAS(R.err, "at most 6 decimals");
    CREATE("--lot", "L1: Asphalt; 10", "--item", "1: Sand; colour=red");
    EXPECT(2);
    HAS(R.err, "QUANTITY UNIT, lot=, cpv=, place=, from=, to=");
    CREATE("--lot", "L1: Asphalt; 10; criteria=price:70,quality:20x");
    EXPECT(2);
    HAS(R.err, "--criterion quality:20x");
    /* the rules: the server's answer */
    CREATE("--budget", "25", "--lot", "L1: Asphalt; 10", "--lot", "L2: Sand; 10");
    EXPECT(10 + 3);
    HAS(R.err, "fields.lots: the lots' values add up to 20.00 EUR, the estimated value is 25.00 "
               "EUR");
    CREATE("--lot", "L1: Asphalt; 10", "--lot", "L2: Sand; 10; criteria=price:60,quality:30");
    EXPECT(10 + 3);
    HAS(R.err, "fields.lots[1].criteria: the weights add up to 90%");
    CREATE("--lot", "L1: Asphalt; 10", "--award-criteria", "lowest-price");
    EXPECT(10 + 3);
    HAS(R.err, "with lots, each lot has its award criteria");
    CREATE("--lot", "L1: Asphalt; 10", "--item", "1: Sand; 5 KGM; lot=L2");
    EXPECT(10 + 3);
    HAS(R.err, "fields.items[0].lot_id: \"L2\" is not a lot of the tender");
    CREATE("--budget", "10", "--item", "1: Sand; 5 KGM; lot=L2");
    EXPECT(10 + 3);
    HAS(R.err, "but the tender has no lots");
    /* a draft's lot is dropped by edit */
    CREATE("--lot", "L1: Asphalt; 10", "--lot", "L2: Sand; 5", "--item", "1: Sand; 5 KGM; lot=L2");
    EXPECT(0);
    char id[64];
    first_line(id, sizeof id);
    ctl("officer", "tender", "edit", id, "--drop-lot", "L2", "--drop-item", "1", NULL);
    EXPECT(0);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "lots:                 1");
    HAS(R.out, "value:                10.00 EUR");
    HAS_NOT(R.out, "items:");
    ctl("officer", "tender", "edit", id, "--drop-lot", "L9", NULL);
    EXPECT(2);
    HAS(R.err, "--drop-lot L9: the tender has no such lot");
    ctl("officer", "tender", "lot-cancel", id, NULL);
    EXPECT(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_two_lot_tender_from_draft_to_a_cancelled_lot),
        cmocka_unit_test(test_bad_lots_and_items),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
