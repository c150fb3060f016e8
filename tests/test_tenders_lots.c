/* End-to-end tests of lots and items on an in-process server (docs/LOTS.md):
 * a two-lot tender created, published with a state per lot, amended (a lot
 * added, a lot kept in its state, removing one refused), one lot cancelled
 * with its event, and each refusal with its status and message. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawconn.h"
#include "scenario.h"
#include "svc/svc.h"
#include "testsrv.h"

#define T(name) "tender.tenders.v1.Tenders/" #name
#define T_DESC (&tender_tenders_v1_Tender_desc)
#define LOT(s) tender_tenders_v1_LotStatus_LOT_##s

typedef tender_tenders_v1_Tender Tender;

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
}

typedef struct world {
    scn_conn off, off2, sup, anon;
    scn_tender t;
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->off2, "officer2");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->anon, NULL);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    rawconn_close(&w->off.rc);
    rawconn_close(&w->off2.rc);
    rawconn_close(&w->sup.rc);
    rawconn_close(&w->anon.rc);
    free(w);
    return 0;
}

TESTSRV_MANUAL_GROUP(ts, cfg)

static tender_common_v1_Money *money(int64_t minor)
{
    tender_common_v1_Money *m = calloc(1, sizeof *m);
    m->minor_units = minor;
    m->currency = strdup("KRW");
    return m;
}

/* Set lot i of f: id, title, value (KRW). */
static void set_lot(tender_tenders_v1_TenderFields *f, size_t i, const char *id, const char *title,
                    int64_t value)
{
    if (i >= f->n_lots) {
        f->lots = realloc(f->lots, (i + 1) * sizeof *f->lots);
        for (size_t j = f->n_lots; j <= i; j++)
            tender_tenders_v1_Lot_init(&f->lots[j]);
        f->n_lots = i + 1;
    }
    tender_tenders_v1_Lot *l = &f->lots[i];
    free(l->id);
    free(l->title);
    tender_common_v1_Money_free(l->value);
    free(l->value);
    l->id = strdup(id);
    l->title = strdup(title);
    l->value = money(value);
}

static void set_estimate(tender_tenders_v1_TenderFields *f, int64_t minor)
{
    tender_common_v1_Money_free(f->estimated_value);
    free(f->estimated_value);
    f->estimated_value = money(minor);
}

/* Two lots (6,000,000 + 4,000,000 KRW) and an item in each. */
static void two_lots(tender_tenders_v1_TenderFields *f)
{
    set_estimate(f, 10000000);
    set_lot(f, 0, "LOT-1", "Asphalt", 6000000);
    set_lot(f, 1, "LOT-2", "Road signs", 4000000);
    f->lots[1].award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED;
    f->lots[1].n_criteria = 2;
    f->lots[1].criteria = calloc(2, sizeof *f->lots[1].criteria);
    f->lots[1].criteria[0].name = strdup("price");
    f->lots[1].criteria[0].weight = 70;
    f->lots[1].criteria[1].name = strdup("quality");
    f->lots[1].criteria[1].weight = 30;
    f->n_items = 2;
    f->items = calloc(2, sizeof *f->items);
    const char *ids[] = {"1", "2"}, *desc[] = {"Asphalt concrete", "Speed limit sign"},
               *qty[] = {"1200.5", "40"}, *unit[] = {"TNE", "H87"}, *lot[] = {"LOT-1", "LOT-2"};
    for (int i = 0; i < 2; i++) {
        f->items[i].id = strdup(ids[i]);
        f->items[i].description = strdup(desc[i]);
        f->items[i].quantity = strdup(qty[i]);
        f->items[i].unit = strdup(unit[i]);
        f->items[i].lot_id = strdup(lot[i]);
        f->items[i].delivery_place = strdup("Springfield ring road");
    }
}

/* A published two-lot tender of the officer's into w->t. */
static void published_two_lots(world *w)
{
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &w->t, "Ring road in two lots", 3600000, 3700000, &q);
    two_lots(q.fields);
    scn_tender_create(&w->off, &q, w->t.id);
    scn_tender_publish(&w->off, w->t.id);
}

static void get(scn_conn *c, const char *id, uint32_t version, Tender *t)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id, .version = version};
    tender_tenders_v1_Tender_init(t);
    if (scn_call(c, T(Get), &tender_tenders_v1_TenderRef_desc, &r, T_DESC, t) != 0)
        fail_msg("get %s: %s", id, scn_msg);
}

static void expect(int got, int want, const char *needle)
{
    if (got != want)
        fail_msg("status %d, expected %d: %s", got, want, scn_msg);
    if (needle && !strstr(scn_msg, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, scn_msg);
}

static void expect_states(const Tender *t, size_t n, const char *const *ids, const int *st)
{
    assert_int_equal(t->n_lot_states, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t->lot_states[i].lot_id, ids[i]);
        assert_int_equal(t->lot_states[i].status, st[i]);
    }
}

static int cancel_lot(scn_conn *c, const char *id, const char *lot, const char *reason, Tender *out)
{
    tender_tenders_v1_CancelLotRequest q = {.id = (char *)id,
                                            .lot_id = (char *)lot,
                                            .reason = (char *)reason,
                                            .reason_code = tender_common_v1_CancelReason_OTHER};
    if (out)
        tender_tenders_v1_Tender_init(out);
    return scn_call(c, T(CancelLot), &tender_tenders_v1_CancelLotRequest_desc, &q,
                    out ? T_DESC : NULL, out);
}

/* An amendment of tender id: its fields as they stand, changed by edit. */
static int amend(scn_conn *c, const char *id, void (*edit)(tender_tenders_v1_TenderFields *),
                 Tender *out)
{
    Tender cur;
    get(c, id, 0, &cur);
    tender_tenders_v1_AmendTenderRequest q;
    tender_tenders_v1_AmendTenderRequest_init(&q);
    q.id = strdup(id);
    q.note = strdup("lots changed");
    q.fields = cur.fields;
    cur.fields = NULL;
    tender_tenders_v1_Tender_free(&cur);
    edit(q.fields);
    tender_tenders_v1_Tender_init(out);
    int st = scn_call(c, T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &q, T_DESC, out);
    tender_tenders_v1_AmendTenderRequest_free(&q);
    return st;
}

/* The latest event of kind for object_id of tender_id: its hash and note. */
static bool find_event(const char *tender_id, int kind, const char *object_id, uint8_t hash[32],
                       char *note, size_t note_len)
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
            (int)ev.kind == kind && ev.tender_id && strcmp(ev.tender_id, tender_id) == 0 &&
            strcmp(ev.object_id ? ev.object_id : "", object_id) == 0 && ev.object_hash.len == 32) {
            memcpy(hash, ev.object_hash.data, 32);
            snprintf(note, note_len, "%s", ev.note ? ev.note : "");
            found = true;
        }
        tender_events_v1_Event_free(&ev);
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(ts.srv->store, txn);
    return found;
}

static void test_publish_writes_a_state_per_lot(void **state)
{
    world *w = *state;
    published_two_lots(w);
    Tender t;
    get(&w->anon, w->t.id, 0, &t);
    const char *ids[] = {"LOT-1", "LOT-2"};
    const int st[] = {LOT(ACTIVE), LOT(ACTIVE)};
    expect_states(&t, 2, ids, st);
    assert_int_equal(t.fields->n_lots, 2);
    assert_int_equal(t.fields->n_items, 2);
    assert_string_equal(t.fields->items[0].quantity, "1200.5");
    assert_string_equal(t.fields->items[1].unit, "H87");
    tender_tenders_v1_Tender_free(&t);
    get(&w->anon, w->t.id, 1, &t); /* the version as published has them too */
    expect_states(&t, 2, ids, st);
    tender_tenders_v1_Tender_free(&t);
    /* A tender without lots has no lot states: as before lots existed. */
    scn_tender plain = {0};
    scn_create_and_publish(&ts, &w->off, &plain, "No lots", 3600000, 3700000);
    get(&w->anon, plain.id, 0, &t);
    assert_int_equal(t.n_lot_states, 0);
    assert_int_equal(t.fields->n_lots, 0);
    tender_tenders_v1_Tender_free(&t);
}

/* Create and Edit refuse bad lots with INVALID_ARGUMENT naming the field. */
static void test_create_and_edit_refuse_bad_lots(void **state)
{
    world *w = *state;
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender t = {0};
    /* the sum */
    scn_tender_request(&ts, &t, "Bad sum", 3600000, 3700000, &q);
    two_lots(q.fields);
    set_estimate(q.fields, 9000000);
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT,
        "fields.lots: the lots' values add up to 10000000 KRW, the estimated value is "
        "9000000 KRW");
    /* criteria at the tender level */
    set_estimate(q.fields, 10000000);
    q.fields->award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "with lots, each lot has its award criteria");
    q.fields->award_criteria = 0;
    /* a lot's weights */
    q.fields->lots[1].criteria[1].weight = 20;
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "fields.lots[1].criteria: the weights add up to 90%");
    q.fields->lots[1].criteria[1].weight = 30;
    /* an item's unit, its lot */
    free(q.fields->items[0].unit);
    q.fields->items[0].unit = strdup("TON");
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "fields.items[0].unit: \"TON\" is not a unit code");
    free(q.fields->items[0].unit);
    q.fields->items[0].unit = strdup("TNE");
    free(q.fields->items[1].lot_id);
    q.fields->items[1].lot_id = strdup("LOT-3");
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "fields.items[1].lot_id: \"LOT-3\" is not a lot");
    free(q.fields->items[1].lot_id);
    q.fields->items[1].lot_id = strdup("LOT-2");
    /* a duplicate lot id */
    set_lot(q.fields, 1, "LOT-1", "Road signs", 4000000);
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "fields.lots[1].id: \"LOT-1\" is the id of lots[0] too");
    set_lot(q.fields, 1, "LOT-2", "Road signs", 4000000);
    /* now right: created; an edit that spoils it is refused the same way */
    tender_tenders_v1_TenderFields *keep = q.fields;
    tender_tenders_v1_CreateTenderRequest q2 = {.fields = keep};
    Tender d;
    tender_tenders_v1_Tender_init(&d);
    expect(
        scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q2, T_DESC, &d),
        0, NULL);
    assert_int_equal(d.n_lot_states, 0); /* a draft has no lot states */
    set_estimate(keep, 1);
    tender_tenders_v1_EditTenderRequest e = {.id = d.id, .fields = keep};
    expect(scn_call(&w->off, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &e, NULL, NULL),
           TND_STATUS_INVALID_ARGUMENT, "the lots' values add up to");
    /* a draft's lot is not cancelled: the draft is edited */
    expect(cancel_lot(&w->off, d.id, "LOT-1", "not needed", NULL), TND_STATUS_FAILED_PRECONDITION,
           "a draft's lots are changed by editing it");
    tender_tenders_v1_Tender_free(&d);
    tender_tenders_v1_CreateTenderRequest_free(&q);
}

static void add_lot_3(tender_tenders_v1_TenderFields *f)
{
    set_estimate(f, 11000000);
    set_lot(f, 2, "LOT-3", "Line painting", 1000000);
}

static void drop_lot_2(tender_tenders_v1_TenderFields *f)
{
    set_estimate(f, 6000000);
    for (size_t i = 1; i < f->n_lots; i++)
        tender_tenders_v1_Lot_free(&f->lots[i]);
    f->n_lots = 1;
    free(f->items[1].lot_id);
    f->items[1].lot_id = strdup("LOT-1");
}

static void wrong_sum(tender_tenders_v1_TenderFields *f)
{
    set_estimate(f, 10000000);
}

static void add_lots_to_plain(tender_tenders_v1_TenderFields *f)
{
    two_lots(f);
}

static void test_amendments_keep_lot_states(void **state)
{
    world *w = *state;
    published_two_lots(w);
    Tender t;
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "no asphalt needed", &t), 0, NULL);
    tender_tenders_v1_Tender_free(&t);
    /* adding LOT-3: active; LOT-1 stays cancelled with its reason */
    expect(amend(&w->off, w->t.id, add_lot_3, &t), 0, NULL);
    assert_int_equal(t.version, 2);
    const char *ids[] = {"LOT-1", "LOT-2", "LOT-3"};
    const int st[] = {LOT(CANCELLED), LOT(ACTIVE), LOT(ACTIVE)};
    expect_states(&t, 3, ids, st);
    assert_string_equal(t.lot_states[0].cancel_reason, "no asphalt needed");
    tender_tenders_v1_Tender_free(&t);
    get(&w->anon, w->t.id, 2, &t);
    expect_states(&t, 3, ids, st);
    tender_tenders_v1_Tender_free(&t);
    /* removing a lot: refused */
    expect(amend(&w->off, w->t.id, drop_lot_2, &t), TND_STATUS_FAILED_PRECONDITION,
           "lot LOT-2 is missing; an amendment does not remove a lot: cancel it: "
           "Tenders/CancelLot");
    tender_tenders_v1_Tender_free(&t);
    /* the amendment's fields follow the same rules as a draft's */
    expect(amend(&w->off, w->t.id, wrong_sum, &t), TND_STATUS_INVALID_ARGUMENT,
           "the lots' values add up to 11000000 KRW, the estimated value is 10000000 KRW");
    tender_tenders_v1_Tender_free(&t);
    /* a tender without lots is not divided by an amendment */
    scn_tender plain = {0};
    scn_create_and_publish(&ts, &w->off, &plain, "No lots", 3600000, 3700000);
    expect(amend(&w->off, plain.id, add_lots_to_plain, &t), TND_STATUS_FAILED_PRECONDITION,
           "published without lots");
    tender_tenders_v1_Tender_free(&t);
}

static void test_cancel_one_lot(void **state)
{
    world *w = *state;
    published_two_lots(w);
    Tender t;
    /* who: another buyer's officer, a supplier, anyone */
    expect(cancel_lot(&w->off2, w->t.id, "LOT-1", "r", NULL), TND_STATUS_PERMISSION_DENIED,
           "only its officers may change it");
    expect(cancel_lot(&w->sup, w->t.id, "LOT-1", "r", NULL), TND_STATUS_PERMISSION_DENIED, NULL);
    expect(cancel_lot(&w->anon, w->t.id, "LOT-1", "r", NULL), TND_STATUS_UNAUTHENTICATED, NULL);
    /* what: a reason, a lot that exists */
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "", NULL), TND_STATUS_INVALID_ARGUMENT,
           "id, lot_id and reason: required");
    expect(cancel_lot(&w->off, w->t.id, "LOT-9", "r", NULL), TND_STATUS_NOT_FOUND,
           "has no lot LOT-9");
    expect(cancel_lot(&w->off, "T-1999-000001", "LOT-1", "r", NULL), TND_STATUS_NOT_FOUND,
           "not found");
    /* a code from the codelist: none, or one not in it, is refused */
    tender_tenders_v1_CancelLotRequest nc = {.id = w->t.id, .lot_id = "LOT-1", .reason = "r"};
    expect(
        scn_call(&w->off, T(CancelLot), &tender_tenders_v1_CancelLotRequest_desc, &nc, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "reason_code: required, one of NO_LONGER_NEEDED");
    nc.reason_code = (tender_common_v1_CancelReason)-1;
    expect(
        scn_call(&w->off, T(CancelLot), &tender_tenders_v1_CancelLotRequest_desc, &nc, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "(docs/PROTOCOL.md, \"Cancellation reasons\")");
    /* cancelled: its state, reason, and event with the tender's hash */
    expect(cancel_lot(&w->off, w->t.id, "LOT-2", "signs bought elsewhere", &t), 0, NULL);
    const char *ids[] = {"LOT-1", "LOT-2"};
    const int st[] = {LOT(ACTIVE), LOT(CANCELLED)};
    expect_states(&t, 2, ids, st);
    assert_string_equal(t.lot_states[1].cancel_reason, "signs bought elsewhere");
    assert_int_equal(t.lot_states[1].cancel_code, tender_common_v1_CancelReason_OTHER);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_ACTIVE);
    assert_int_equal(t.version, 1);
    uint8_t h[32], want[32], *buf;
    size_t len;
    char note[200];
    assert_true(find_event(w->t.id, tender_events_v1_EventKind_LOT_CANCELLED, "LOT-2", h, note,
                           sizeof note));
    assert_string_equal(note, "signs bought elsewhere");
    assert_int_equal(tnd_msg_encode(T_DESC, &t, &buf, &len, NULL), 0);
    SHA256(buf, len, want);
    free(buf);
    assert_memory_equal(h, want, 32);
    /* the hash covers the code: the object with another code fails the check */
    t.lot_states[1].cancel_code = tender_common_v1_CancelReason_BUDGET_CUT;
    assert_int_equal(tnd_msg_encode(T_DESC, &t, &buf, &len, NULL), 0);
    SHA256(buf, len, want);
    free(buf);
    assert_memory_not_equal(h, want, 32);
    tender_tenders_v1_Tender_free(&t);
    get(&w->anon, w->t.id, 0, &t); /* everyone sees it */
    expect_states(&t, 2, ids, st);
    tender_tenders_v1_Tender_free(&t);
    /* a second time; the last lot */
    expect(cancel_lot(&w->off, w->t.id, "LOT-2", "again", NULL), TND_STATUS_FAILED_PRECONDITION,
           "lot LOT-2 of tender");
    assert_non_null(strstr(scn_msg, "is already cancelled"));
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "r", NULL), TND_STATUS_FAILED_PRECONDITION,
           "cancel the tender instead: Tenders/Cancel");
    /* the tender cancelled: its lots no longer are */
    tender_tenders_v1_CancelTenderRequest c = {
        .id = w->t.id, .reason = "all off", .reason_code = tender_common_v1_CancelReason_OTHER};
    expect(
        scn_call(&w->off, T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &c, NULL, NULL),
        0, NULL);
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "r", NULL), TND_STATUS_FAILED_PRECONDITION,
           "its lots can no longer be cancelled");
    /* a tender without lots has none to cancel */
    scn_tender plain = {0};
    scn_create_and_publish(&ts, &w->off, &plain, "No lots", 3600000, 3700000);
    expect(cancel_lot(&w->off, plain.id, "LOT-1", "r", NULL), TND_STATUS_FAILED_PRECONDITION,
           "has no lots; cancel the tender instead");
}

/* The lot states survive a restart of the server. */
static void test_lot_states_persist(void **state)
{
    world *w = *state;
    published_two_lots(w);
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "flood", NULL), 0, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", w->t.id);
    teardown(state);
    testsrv_restart(&ts);
    setup(state);
    w = *state;
    Tender t;
    get(&w->anon, id, 0, &t);
    const char *ids[] = {"LOT-1", "LOT-2"};
    const int st[] = {LOT(CANCELLED), LOT(ACTIVE)};
    expect_states(&t, 2, ids, st);
    assert_string_equal(t.lot_states[0].cancel_reason, "flood");
    tender_tenders_v1_Tender_free(&t);
}

/* After the deadline (the tender closed), a lot is still cancelled on its
 * own; the tender stays closed. Last: it moves the group's clock. */
static void test_cancel_a_lot_of_a_closed_tender(void **state)
{
    world *w = *state;
    published_two_lots(w);
    testsrv_advance(&ts, 3600000);
    Tender t;
    int st = 0;
    for (int i = 0; i < 100 && st != tender_tenders_v1_TenderStatus_CLOSED; i++) {
        get(&w->anon, w->t.id, 0, &t);
        st = t.status;
        tender_tenders_v1_Tender_free(&t);
        if (st != tender_tenders_v1_TenderStatus_CLOSED)
            usleep(50000);
    }
    assert_int_equal(st, tender_tenders_v1_TenderStatus_CLOSED);
    expect(cancel_lot(&w->off, w->t.id, "LOT-1", "site unavailable", &t), 0, NULL);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_CLOSED);
    assert_int_equal(t.lot_states[0].status, LOT(CANCELLED));
    tender_tenders_v1_Tender_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_writes_a_state_per_lot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_and_edit_refuse_bad_lots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amendments_keep_lot_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_one_lot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lot_states_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_a_lot_of_a_closed_tender, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
