/* The `lots` check of audit verify (client/record_verify_lots.c) on records
 * built by hand: lot states that follow from the lots and the LOT_CANCELLED
 * events pass; each way a server could misstate them fails, naming it. The
 * other checks fail on such a record and are not looked at. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "tender/verify.h"

#define LOT(s) tender_tenders_v1_LotStatus_LOT_##s

static tender_tenders_v1_Lot lots[2] = {{.id = "LOT-1"}, {.id = "LOT-2"}};
static tender_tenders_v1_TenderFields fields = {.title = "t", .lots = lots, .n_lots = 2};
static tender_tenders_v1_Tender version1;
static tender_tenders_v1_LotState states[2];
static tnd_record_event events[2];
static tnd_tender_record r;

static struct {
    int result;
    char detail[600];
} got;

static void report(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    (void)ctx;
    if (strcmp(check, "lots") == 0) {
        got.result = (int)result;
        snprintf(got.detail, sizeof got.detail, "%s", detail);
    }
}

/* Two lots, LOT-2 cancelled by the one LOT_CANCELLED event. */
static void record(void)
{
    memset(&r, 0, sizeof r);
    snprintf(r.tender_id, sizeof r.tender_id, "T-1");
    version1 = (tender_tenders_v1_Tender){.id = "T-1", .version = 1, .fields = &fields};
    r.versions = &version1;
    r.n_versions = 1;
    states[0] = (tender_tenders_v1_LotState){.lot_id = "LOT-1", .status = LOT(ACTIVE)};
    states[1] = (tender_tenders_v1_LotState){
        .lot_id = "LOT-2", .status = LOT(CANCELLED), .cancel_reason = "bought elsewhere"};
    r.current = version1;
    r.current.lot_states = states;
    r.current.n_lot_states = 2;
    memset(events, 0, sizeof events);
    for (int i = 0; i < 2; i++) {
        events[i].index = (uint64_t)i + 7;
        events[i].decoded = true;
        events[i].ev.kind = tender_events_v1_EventKind_LOT_CANCELLED;
        events[i].ev.tender_id = "T-1";
        events[i].ev.tender_version = 1;
        events[i].ev.object_id = "LOT-2";
        events[i].ev.note = "bought elsewhere";
    }
    r.events = events;
    r.n_events = 1;
}

static void verify(int want, const char *needle)
{
    tnd_note_verifier v;
    memset(&v, 0, sizeof v);
    snprintf(v.name, sizeof v.name, "log");
    got.result = -1;
    (void)tnd_tender_record_verify(&r, &v, NULL, report, NULL);
    if (got.result != want || (needle && !strstr(got.detail, needle)))
        fail_msg("lots: %d \"%s\", expected %d \"%s\"", got.result, got.detail, want,
                 needle ? needle : "");
    record();
}

static void test_lots_check(void **state)
{
    (void)state;
    record();
    verify(TND_CHECK_OK, "2 lots, a state for each; 1 cancelled");
    /* a state missing, or for another lot */
    r.current.n_lot_states = 1;
    verify(TND_CHECK_FAILED, "shows 1 lot states for the 2 lots of version 1");
    states[0].lot_id = "LOT-9";
    verify(TND_CHECK_FAILED, "lot state 0 is for lot \"LOT-9\", but lot 0 is LOT-1");
    /* cancelled without its event; an event the state does not follow */
    r.n_events = 0;
    verify(TND_CHECK_FAILED, "lot LOT-2 shows cancelled, but no lot_cancelled event logs it");
    states[1].status = LOT(ACTIVE);
    verify(TND_CHECK_FAILED, "event 7 cancels lot LOT-2 (\"bought elsewhere\"), but the tender "
                             "shows it not cancelled");
    states[1].cancel_reason = "another";
    verify(TND_CHECK_FAILED, "cancelled for another reason");
    /* an event for a lot the version lacks; twice */
    events[0].ev.object_id = "LOT-3";
    verify(TND_CHECK_FAILED, "event 7 cancels lot \"LOT-3\", which version 1 does not have");
    r.n_events = 2;
    verify(TND_CHECK_FAILED, "lot LOT-2 is cancelled twice in the log");
    /* without lots: no states, no lot events */
    fields.n_lots = 0;
    r.current.n_lot_states = 0;
    r.n_events = 0;
    verify(TND_CHECK_OK, "no lots: one implicit lot");
    fields.n_lots = 0;
    r.current.n_lot_states = 2;
    r.n_events = 0;
    verify(TND_CHECK_FAILED, "shows 2 lot states for the 0 lots");
    fields.n_lots = 2;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_lots_check)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
