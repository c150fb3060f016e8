/* End-to-end tests of tenderctl's bids with lots, against the real
 * $BUILD/bin/tenderd (docs/SEALED.md, "Bids with lots"): on a two-lot
 * tender, bid submit and bid replace with --lot-price LOT=AMOUNT, the local
 * refusals (--price with --lot-price, a lot the tender does not have,
 * --price for a tender with lots, a lot twice), two suppliers bidding for
 * different lots, the committee's opening, and opening show grouped by lot
 * (and --json keeping the record's structure). The tender's lots are set on
 * its draft with Tenders/Edit, as any client may. */
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
#include <time.h>

#include "ctlrun.h"
#include "tender/client.h"
#include "tender_schema.h"

static char vkey[400], committee[300], bids1[300], bids2[300];
static char tender[64];
static time_t deadline, opening;
static char only1[64], first2[64], both[64]; /* supplier's; supplier2's, replaced by both */

static tender_common_v1_Money *money(int64_t units)
{
    tender_common_v1_Money *m = calloc(1, sizeof *m);
    m->minor_units = units;
    m->currency = strdup("KRW");
    return m;
}

/* As the officer: the draft's fields with two lots, LOT-1 "Roads" worth
 * 600000 KRW and LOT-2 "Bridges" worth 400000, each at the lowest price
 * (the tender's own criteria left unset), written back with Tenders/Edit. */
static int add_lots(const char *id)
{
    char server[64], ca[400], cert[400], key[400], err[300];
    snprintf(server, sizeof server, "127.0.0.1:%d", ctl_port);
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    snprintf(cert, sizeof cert, "%s/officer.crt", ctl_pki);
    snprintf(key, sizeof key, "%s/officer.key", ctl_pki);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = ca;
    o.cert_file = cert;
    o.key_file = key;
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0) {
        fprintf(stderr, "tnd_client_open: %s\n", err);
        return -1;
    }
    tender_tenders_v1_TenderRef ref = {.id = (char *)id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    tnd_status_info st;
    int rc = tender_tenders_v1_Tenders_Get(c, &ref, &t, NULL, &st);
    tender_tenders_v1_TenderFields *f = t.fields;
    if (rc == 0 && f) {
        f->award_criteria = tender_tenders_v1_AwardCriteria_AWARD_CRITERIA_UNSPECIFIED;
        f->lots = calloc(2, sizeof *f->lots);
        f->n_lots = 2;
        const char *ids[] = {"LOT-1", "LOT-2"}, *titles[] = {"Roads", "Bridges"};
        int64_t values[] = {600000, 400000};
        for (size_t i = 0; i < 2; i++) {
            f->lots[i].id = strdup(ids[i]);
            f->lots[i].title = strdup(titles[i]);
            f->lots[i].value = money(values[i]);
            f->lots[i].award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
        }
        tender_tenders_v1_EditTenderRequest q = {.id = (char *)id, .fields = f};
        tender_tenders_v1_Tender out;
        tender_tenders_v1_Tender_init(&out);
        rc = tender_tenders_v1_Tenders_Edit(c, &q, &out, NULL, &st);
        tender_tenders_v1_Tender_free(&out);
    }
    if (rc != 0)
        fprintf(stderr, "adding the lots: status %d %s\n", rc, st.message);
    tender_tenders_v1_Tender_free(&t);
    tnd_client_free(c);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    char db[300], keys[300], pub[3][64], text[1024], dl[32], op[32];
    if (ctlrun_init("/tmp/tnd_lotbids_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 || ctlrun_start_server(NULL) != 0)
        return -1;
    path(bids1, sizeof bids1, "supplier");
    path(bids2, sizeof bids2, "supplier2");
    static const char *const members[] = {"officer", "admin", "auditor"};
    path(keys, sizeof keys, "keys");
    for (int i = 0; i < 3; i++) {
        ctl(NULL, "keys", "gen", members[i], "--dir", keys, NULL);
        if (!ctl_ok("keys gen", 0, NULL))
            return -1;
        first_line(pub[i], sizeof pub[i]);
    }
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    /* Bids for 15 s (about a dozen tenderctl runs come first), opened after. */
    time_t t0 = time(NULL);
    deadline = t0 + 15;
    opening = t0 + 16;
    ctl("officer", "tender", "create", "--title", "Roads and bridges", "--budget", "1000000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return -1;
    first_line(tender, sizeof tender);
    if (add_lots(tender) != 0)
        return -1;
    ctl("officer", "tender", "publish", tender, NULL);
    return ctl_ok("tender publish", 0, NULL) ? 0 : -1;
}

/* bid submit as who of one lot price (LOT=AMOUNT); the bid id into id (64 bytes). */
static void submit_lot(const char *who, const char *bids, char *id, const char *lot_price)
{
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--lot-price", lot_price, "--currency",
        "KRW", "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    first_line(id, 64);
    assert_true(strncmp(id, "B-", 2) == 0 && strlen(id) == 34);
}

/* What tenderctl refuses before sealing, each a usage error (2) that says
 * what to give instead. */
static void test_refused_before_sealing(void **state)
{
    (void)state;
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--price", "500000",
        "--lot-price", "LOT-1=500000", "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --price and --lot-price do not mix");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--lot-price", "LOT-1=500000",
        "--lot-price", "LOT-1=400000", "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --lot-price: lot LOT-1 is priced twice; give each lot once");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--lot-price", "LOT-1",
        "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --lot-price LOT-1: give LOT=AMOUNT");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--lot-price", "LOT-1=5.5",
        "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --lot-price for LOT-1: 5.5 KRW has more decimals than KRW allows (0)");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--lot-price", "LOT-1=500000",
        "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --lot-price LOT=AMOUNT needs --currency CODE");
    /* These need the tender: the server's copy says what it has. */
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--lot-price", "LOT-3=500000",
        "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "has no lot LOT-3 (tenderctl tender show");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--price", "500000",
        "--currency", "KRW", "--bids-dir", bids1, NULL);
    EXPECT(2);
    HAS(R.err, "has lots (LOT-1, LOT-2): give --lot-price LOT=AMOUNT for each lot you bid for");
    HAS_NOT(R.out, "B-");
}

/* supplier bids for lot 1; supplier2 for lot 2, then replaces it with a bid
 * for both, above lot 2's value (sent with a warning). */
static void test_two_suppliers_bid_for_different_lots(void **state)
{
    (void)state;
    submit_lot("supplier", bids1, only1, "LOT-1=550000");
    HAS_NOT(R.err, "warning");
    submit_lot("supplier2", bids2, first2, "LOT-2=390000");
    HAS_NOT(R.err, "warning");
    ctl("supplier2", "--log-key", vkey, "bid", "replace", tender, first2, "--lot-price",
        "LOT-1=580000", "--lot-price", "LOT-2=400001", "--currency", "KRW", "--bids-dir", bids2,
        NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    HAS(R.err, "bid replace: warning: this bid will open invalid for lot LOT-2: the price 400001 "
               "KRW is above lot LOT-2's value 400000 KRW");
    first_line(both, sizeof both);
    assert_true(time(NULL) < deadline);
}

/* The committee opens; opening show lists the bids, then each lot with the
 * bids that priced it. */
static void test_opening_show_by_lot(void **state)
{
    (void)state;
    char kf[400], line[300];
    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", tender, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
    ctl(NULL, "opening", "show", tender, NULL);
    EXPECT(0);
    HAS(R.out, ": 2 bids, 2 valid");
    HAS(R.out, "by lot");
    HAS(R.out, "\nlot LOT-1 (Roads): 2 bids, 2 valid\n");
    HAS(R.out, "\nlot LOT-2 (Bridges): 1 bid, 0 valid\n");
    HAS_NOT(R.out, first2); /* replaced: not opened */
    /* Lot 2's one line: supplier2's, failed, with its price and why. */
    const char *lot2 = strstr(R.out, "\nlot LOT-2");
    assert_non_null(lot2);
    snprintf(line, sizeof line, "  %s  failed: the price 400001 KRW is above lot LOT-2's value "
                                "400000 KRW (",
             both);
    HAS(lot2, line);
    HAS(lot2, "Globex");
    /* Lot 1: both bids valid, each with its price. */
    const char *lot1 = strstr(R.out, "\nlot LOT-1");
    assert_non_null(lot1);
    assert_true(lot1 < lot2);
    char part[2048];
    snprintf(part, sizeof part, "%.*s", (int)(lot2 - lot1), lot1);
    HAS(part, only1);
    HAS(part, both);
    HAS(part, "valid");
    HAS(part, "550000 KRW");
    HAS(part, "580000 KRW");
    HAS_NOT(part, "failed");
    /* --json: the record as it is, lots inside each bid, no price of its own. */
    ctl(NULL, "--json", "opening", "show", tender, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"lots\":[{\"lot_id\":\"LOT-1\"");
    HAS(R.out, "\"lot_id\":\"LOT-2\"");
    HAS(R.out, "\"failure\":\"the price 400001 KRW is above lot LOT-2's value 400000 KRW\"");
    HAS_NOT(R.out, "\"price\":{\"minor_units\":550000,\"currency\":\"KRW\"},\"documents\"");
    /* audit verify rebuilds every line, lots included. */
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, NULL);
    EXPECT(0);
    HAS(R.out, "ok    decryption");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_before_sealing),
        cmocka_unit_test(test_two_suppliers_bid_for_different_lots),
        cmocka_unit_test(test_opening_show_by_lot),
    };
    return cmocka_run_group_tests_name("ctl_lots_bids", tests, setup, ctlrun_teardown);
}
