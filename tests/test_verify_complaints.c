/* The `complaints` check of audit verify (client/record_verify_complaints.c)
 * on records built by hand: a clean life cycle (a conditions complaint that
 * suspends the deadline and is rejected, with its resumption; an award
 * complaint accepted and rejected before the award completes) passes; each
 * way a server could break the rules of docs/COMPLAINTS.md fails, naming
 * the complaint, the event and the rule. Reviews are signed with a key
 * made here. Other checks fail on such a record and are not looked at,
 * except `published` and `deadline`, which must take a resumption as a
 * version like a postponement. */
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

#include <openssl/evp.h>

#include "tender/codec.h"
#include "tender/complaint.h"
#include "tender/verify.h"

#define EV(x) tender_events_v1_EventKind_##x
#define CS TND_COMPLAINT_STATE
#define OUT TND_REVIEW_OUTCOME

/* Timestamps that outlive the function making them, until reset(). */
static tender_common_v1_Timestamp stamps[512];
static size_t n_stamps;

static tender_common_v1_Timestamp *TS(int64_t seconds)
{
    assert_true(n_stamps < sizeof stamps / sizeof stamps[0]);
    stamps[n_stamps] = (tender_common_v1_Timestamp){.seconds = seconds};
    return &stamps[n_stamps++];
}

/* ---- the reviewer's key ------------------------------------------------ */

static EVP_PKEY *reviewer;
static uint8_t reviewer_pub[32];

static void sign(tender_complaints_v1_Review *rv, uint8_t sig[64])
{
    uint8_t *buf = NULL;
    size_t len = 0, sl = 64;
    assert_int_equal(tnd_review_signed_bytes(rv->decision, &buf, &len), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, reviewer), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    free(buf);
    rv->signature = (tnd_bytes){sig, 64};
    rv->reviewer_key = (tnd_bytes){reviewer_pub, 32};
}

/* ---- the record -------------------------------------------------------- */

typedef struct spec {
    int kind;
    const char *obj;
    const char *note;
    int64_t t;
    uint32_t v;
} spec;

#define SUSPENDS TND_COMPLAINT_SUSPENDS_NOTE
/* Version 1: deadline 1000, opening 2000. C1 (conditions) suspends it from
 * 120 to 150: version 2 moves both by 30. C2 is about award A1, whose
 * standstill ends at 2200: rejected at 2300, then the award completes. */
static const spec life[] = {
    {EV(TENDER_PUBLISHED), "T-1", "", 100, 1},
    {EV(COMPLAINT_FILED), "T-1-C1", "conditions", 110, 1},
    {EV(COMPLAINT_ACCEPTED), "T-1-C1", SUSPENDS, 120, 1},
    {EV(COMPLAINT_REJECTED), "T-1-C1", "", 150, 1},
    {EV(TENDER_RESUMED), "T-1", "", 150, 2},
    {EV(BID_RECEIVED), "B-1", "", 200, 0},
    {EV(TENDER_CLOSED), "T-1", "", 1030, 2},
    {EV(BIDS_OPENED), "T-1", "", 2030, 2},
    {EV(AWARD_RECORDED), "T-1-A1", "", 2100, 2},
    {EV(COMPLAINT_FILED), "T-1-C2", "award T-1-A1", 2110, 2},
    {EV(COMPLAINT_ACCEPTED), "T-1-C2", "", 2120, 2},
    {EV(COMPLAINT_REJECTED), "T-1-C2", "", 2300, 2},
    {EV(TENDER_COMPLETED), "T-1-A1", "", 2300, 2},
};
#define N_LIFE (sizeof life / sizeof life[0])
#define MAX_EVENTS 24

static spec specs[MAX_EVENTS];
static size_t n_specs;
static tnd_record_event events[MAX_EVENTS];
static uint8_t hashes[MAX_EVENTS][32];
static tender_tenders_v1_TenderFields fields[2];
static tender_tenders_v1_Tender versions[2];
static tender_tenders_v1_Resumption resumption;
static tender_complaints_v1_ReviewDecision decisions[4];
static tender_complaints_v1_Review reviews[4];
static uint8_t sigs[4][64];
static tender_complaints_v1_Complaint complaints[2];
static tnd_tender_record r;

static void spec_insert(size_t at, spec sp)
{
    memmove(&specs[at + 1], &specs[at], (n_specs - at) * sizeof *specs);
    specs[at] = sp;
    n_specs++;
}

static void spec_remove(size_t at)
{
    memmove(&specs[at], &specs[at + 1], (n_specs - at - 1) * sizeof *specs);
    n_specs--;
}

static void review(int i, const char *complaint, int outcome, int64_t t, bool suspend)
{
    decisions[i] = (tender_complaints_v1_ReviewDecision){.complaint_id = (char *)complaint,
                                                         .tender_id = "T-1",
                                                         .outcome = outcome,
                                                         .reasoning = "considered",
                                                         .suspend_deadline = suspend};
    reviews[i] = (tender_complaints_v1_Review){.decision = &decisions[i], .time = TS(t)};
    sign(&reviews[i], sigs[i]);
}

/* The served complaints, the versions and the award as the life cycle
 * leaves them (the specs are set apart, so that a test may change them
 * before build()). */
static void complaints_and_versions(void)
{
    static uint8_t tag[32] = {7};
    review(0, "T-1-C1", OUT(ACCEPT), 120, true);
    review(1, "T-1-C1", OUT(REJECT), 150, false);
    review(2, "T-1-C2", OUT(ACCEPT), 2120, false);
    review(3, "T-1-C2", OUT(REJECT), 2300, false);
    complaints[0] = (tender_complaints_v1_Complaint){.id = "T-1-C1",
                                                     .tender_id = "T-1",
                                                     .subject = TND_COMPLAINT_SUBJECT(CONDITIONS),
                                                     .title = "Too short",
                                                     .text = "Ten days are not enough.",
                                                     .state = CS(REJECTED),
                                                     .filed = TS(110),
                                                     .complainant_tag = {tag, 32},
                                                     .acceptance = &reviews[0],
                                                     .decision = &reviews[1],
                                                     .tender_version = 1};
    complaints[1] = (tender_complaints_v1_Complaint){.id = "T-1-C2",
                                                     .tender_id = "T-1",
                                                     .subject = TND_COMPLAINT_SUBJECT(AWARD),
                                                     .award_id = "T-1-A1",
                                                     .title = "Wrong winner",
                                                     .text = "The price was misread.",
                                                     .state = CS(REJECTED),
                                                     .filed = TS(2110),
                                                     .complainant_tag = {tag, 32},
                                                     .acceptance = &reviews[2],
                                                     .decision = &reviews[3],
                                                     .tender_version = 2};
    fields[0] = (tender_tenders_v1_TenderFields){
        .title = "t", .submission_deadline = TS(1000), .opening_time = TS(2000)};
    fields[1] = fields[0];
    fields[1].submission_deadline = TS(1030);
    fields[1].opening_time = TS(2030);
    resumption = (tender_tenders_v1_Resumption){.complaint_id = "T-1-C1",
                                                .suspended_from = TS(120),
                                                .suspended_to = TS(150),
                                                .previous_deadline = TS(1000),
                                                .terms_version = 1};
    versions[0] = (tender_tenders_v1_Tender){.id = "T-1", .version = 1, .fields = &fields[0]};
    versions[1] = (tender_tenders_v1_Tender){
        .id = "T-1", .version = 2, .fields = &fields[1], .resumption = &resumption};
}

/* The object_hash of each event: a version's hash, a complaint's at its
 * last event (the served complaint as it stands). */
static void rehash(void)
{
    for (size_t i = 0; i < n_specs; i++) {
        tender_events_v1_Event *ev = &events[i].ev;
        memset(hashes[i], (int)i + 1, 32);
        if (ev->kind == EV(TENDER_PUBLISHED) || ev->kind == EV(TENDER_RESUMED)) {
            tnd_bytes h = {0};
            assert_int_equal(
                tnd_msg_hash(&tender_tenders_v1_Tender_desc, &versions[ev->tender_version - 1], &h),
                0);
            memcpy(hashes[i], h.data, 32);
            free(h.data);
        }
        for (size_t c = 0; c < 2; c++) {
            bool last = strcmp(ev->object_id, complaints[c].id) == 0;
            for (size_t j = i + 1; last && j < n_specs; j++)
                last = strcmp(specs[j].obj, complaints[c].id) != 0;
            if (last)
                assert_int_equal(tnd_complaint_hash(&complaints[c], hashes[i]), 0);
        }
        ev->object_hash = (tnd_bytes){hashes[i], 32};
    }
}

static void build(void)
{
    memset(&r, 0, sizeof r);
    snprintf(r.tender_id, sizeof r.tender_id, "T-1");
    r.versions = versions;
    r.n_versions = 2;
    r.current = versions[1];
    r.current.status = tender_tenders_v1_TenderStatus_COMPLETE;
    r.has_award = true;
    r.award =
        (tender_awards_v1_Award){.id = "T-1-A1", .tender_id = "T-1", .standstill_end = TS(2200)};
    r.complaints.complaints = complaints;
    r.complaints.n_complaints = 2;
    r.fetched_ms = 3000 * 1000;
    memset(events, 0, sizeof events);
    for (size_t i = 0; i < n_specs; i++) {
        tender_events_v1_Event *ev = &events[i].ev;
        events[i].index = i;
        events[i].decoded = true;
        ev->seq = i;
        ev->kind = specs[i].kind;
        ev->object_id = (char *)specs[i].obj;
        ev->note = (char *)specs[i].note;
        ev->time = TS(specs[i].t);
        if (ev->kind != EV(BID_RECEIVED)) {
            ev->tender_id = "T-1";
            ev->tender_version = specs[i].v;
        }
    }
    r.events = events;
    r.n_events = n_specs;
    rehash();
}

/* The life cycle, ready to change (then build()). */
static void reset(void)
{
    n_stamps = 0;
    memcpy(specs, life, sizeof life);
    n_specs = N_LIFE;
    complaints_and_versions();
}

static struct {
    int result;
    char detail[600];
} got[3];
static const char *const watched[] = {"complaints", "published", "deadline"};

static void report(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    (void)ctx;
    for (int i = 0; i < 3; i++)
        if (strcmp(check, watched[i]) == 0) {
            got[i].result = (int)result;
            snprintf(got[i].detail, sizeof got[i].detail, "%s", detail);
        }
}

/* Verify r; check w (0 complaints, 1 published, 2 deadline) gives want
 * with needle in its line. Then the life cycle again, unbuilt. */
static void expect(int w, int want, const char *needle)
{
    tnd_note_verifier v;
    memset(&v, 0, sizeof v);
    snprintf(v.name, sizeof v.name, "log");
    for (int i = 0; i < 3; i++)
        got[i].result = -1;
    (void)tnd_tender_record_verify(&r, &v, NULL, report, NULL);
    if (got[w].result != want || (needle && !strstr(got[w].detail, needle)))
        fail_msg("%s: %d \"%s\", expected %d \"%s\"", watched[w], got[w].result, got[w].detail,
                 want, needle ? needle : "");
    reset();
}

#define OK(needle) expect(0, TND_CHECK_OK, needle)
#define FAILS(needle) expect(0, TND_CHECK_FAILED, needle)

static int setup(void **state)
{
    (void)state;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_non_null(kc);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &reviewer), 1);
    EVP_PKEY_CTX_free(kc);
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(reviewer, reviewer_pub, &pl), 1);
    reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(reviewer);
    return 0;
}

/* ---- the tests --------------------------------------------------------- */

static void test_clean_life_cycle(void **state)
{
    (void)state;
    reset();
    build();
    OK("2 complaint(s) follow the transitions in the log; the 2 public one(s) are as logged");
    build();
    OK("1 suspension(s) of the deadline kept, 1 resumption(s) by the rule");
    /* The resumption makes a version as a postponement does. */
    build();
    expect(1, TND_CHECK_OK, "2 published version(s) match their events");
    build();
    expect(2, TND_CHECK_OK, "1 bid event(s), all before the deadline");
    /* No complaint events, none served. */
    n_specs = 1;
    build();
    r.n_versions = 1;
    r.complaints.n_complaints = 0;
    OK("no complaints");
    /* A complaint filed and refused is never public: its events alone. */
    n_specs = 1;
    specs[n_specs++] = (spec){EV(COMPLAINT_FILED), "T-1-C1", "conditions", 110, 1};
    specs[n_specs++] = (spec){EV(COMPLAINT_REFUSED), "T-1-C1", "", 115, 1};
    specs[n_specs++] = (spec){EV(COMPLAINT_FILED), "T-1-C2", "conditions of lot L1", 116, 1};
    specs[n_specs++] = (spec){EV(COMPLAINT_WITHDRAWN), "T-1-C2", "", 117, 1};
    build();
    r.n_versions = 1;
    r.complaints.n_complaints = 0;
    OK("2 complaint(s) follow the transitions in the log; the 0 public one(s)");
}

static void test_complaint_as_served(void **state)
{
    (void)state;
    reset();
    /* The text changed behind the log's back. */
    build();
    complaints[0].text = "Ten days are plenty.";
    FAILS("complaint T-1-C1 as served differs from what event 3 logged");
    /* A forged acceptance signature, logged as such. */
    build();
    sigs[2][5] ^= 1;
    rehash();
    FAILS("complaint T-1-C2: its acceptance (event 10) is not signed by its reviewer key");
    /* A decision signed for another complaint, and stored under this one. */
    build();
    decisions[1].complaint_id = "T-1-C2";
    sign(&reviews[1], sigs[1]);
    rehash();
    FAILS("complaint T-1-C1: its decision (event 3) names complaint \"T-1-C2\"");
    /* A signed decision whose outcome is not the logged one. */
    build();
    decisions[3].outcome = OUT(SATISFY);
    sign(&reviews[3], sigs[3]);
    rehash();
    FAILS("complaint T-1-C2: its decision says satisfy, but event 11 logs another outcome");
    /* The state shown is not the one the events lead to. */
    build();
    complaints[1].state = CS(SATISFIED);
    rehash();
    FAILS("complaint T-1-C2 is shown satisfied, but its events leave it rejected (event 11)");
    /* The acceptance's suspension and its event's note disagree. */
    build();
    decisions[0].suspend_deadline = false;
    sign(&reviews[0], sigs[0]);
    rehash();
    FAILS("complaint T-1-C1: its acceptance does not suspend the deadline, but event 2 says it "
          "does");
    /* Filed at another time than logged. */
    build();
    complaints[1].filed = TS(2111);
    rehash();
    FAILS("complaint T-1-C2 is not the one filed by event 9");
}

static void test_served_and_hidden(void **state)
{
    (void)state;
    reset();
    /* An accepted complaint the server does not serve. */
    build();
    r.complaints.n_complaints = 1;
    FAILS("the server does not serve accepted complaint T-1-C2 (accepted by event 10)");
    build();
    r.complaints.n_complaints = 1;
    snprintf(r.complaints_error, sizeof r.complaints_error, "unimplemented");
    FAILS("the server does not serve accepted complaint T-1-C2 (accepted by event 10): "
          "unimplemented");
    /* One the log never filed, one served twice, one never accepted. */
    build();
    complaints[1].id = "T-1-C3";
    FAILS("the server serves complaint T-1-C3, which the log never filed");
    build();
    complaints[1] = complaints[0];
    FAILS("the server serves complaint T-1-C1 twice");
    specs[10] = (spec){EV(COMPLAINT_REFUSED), "T-1-C2", "", 2120, 2};
    spec_remove(11);
    build();
    complaints[1].state = CS(REFUSED);
    complaints[1].decision = NULL;
    rehash();
    FAILS("the server serves complaint T-1-C2, which was never accepted");
}

static void test_transitions(void **state)
{
    (void)state;
    reset();
    /* Another tender's complaint, a malformed id. */
    specs[9].obj = "T-2-C1";
    build();
    FAILS("event 9 (complaint_filed) names \"T-2-C1\", not a complaint of tender T-1");
    /* What the server wrote is shown as printable ASCII only. */
    specs[9].obj = "T-1-C\x1b[2J";
    build();
    FAILS("event 9 (complaint_filed) names \"T-1-C?[2J\", not a complaint of tender T-1");
    specs[9].note = "award T-1-\x07" "A1";
    build();
    FAILS("complaint T-1-C2: its filing (event 9) names no subject: \"award T-1-?A1\"");
    specs[9].obj = "T-1-C01";
    build();
    FAILS("names \"T-1-C01\", not a complaint of tender T-1");
    /* Decided before it was accepted; accepted before it was filed. */
    specs[10].kind = EV(COMPLAINT_REJECTED);
    build();
    FAILS("complaint T-1-C2: event 10 (complaint_rejected) cannot follow its state submitted");
    spec_remove(9);
    build();
    FAILS("complaint T-1-C2: event 9 (complaint_accepted) comes before its filing");
    /* Filed twice; a step after a final state; withdrawn after a decision. */
    spec_insert(10, (spec){EV(COMPLAINT_FILED), "T-1-C2", "award T-1-A1", 2115, 2});
    build();
    FAILS("complaint T-1-C2 is filed again by event 10 (first by event 9)");
    spec_insert(12, (spec){EV(COMPLAINT_SATISFIED), "T-1-C2", "", 2300, 2});
    build();
    FAILS("complaint T-1-C2: event 12 (complaint_satisfied) cannot follow its state rejected "
          "(final)");
    spec_insert(12, (spec){EV(COMPLAINT_WITHDRAWN), "T-1-C2", "", 2300, 2});
    build();
    FAILS("complaint T-1-C2: event 12 (complaint_withdrawn) cannot follow its state rejected");
    /* A filing whose note names no subject. */
    specs[9].note = "award";
    build();
    FAILS("complaint T-1-C2: its filing (event 9) names no subject: \"award\"");
    /* Only a conditions complaint suspends the deadline. */
    specs[10].note = SUSPENDS;
    build();
    FAILS("complaint T-1-C2: its acceptance (event 10) suspends the deadline, but only a "
          "complaint about the conditions may");
}

static void test_award_hold(void **state)
{
    (void)state;
    reset();
    /* Completed while the complaint was accepted, not yet decided. */
    specs[11] = life[12];
    specs[12] = life[11];
    build();
    FAILS("award T-1-A1 completed (event 11) while complaint T-1-C2, accepted by event 10, holds "
          "it");
    /* Satisfied: the buyer must cancel the award; it may not complete. */
    specs[11].kind = EV(COMPLAINT_SATISFIED);
    build();
    FAILS("award T-1-A1 completed (event 12) while complaint T-1-C2, satisfied by event 11, holds "
          "it");
    /* Filed (submitted) is enough to hold it. */
    spec_remove(10);
    spec_remove(10);
    build();
    FAILS("award T-1-A1 completed (event 10) while complaint T-1-C2, submitted by event 9");
    /* A lot's completion too. */
    specs[11] = (spec){EV(LOT_COMPLETED), "T-1-A1", "", 2300, 2};
    specs[12] = life[11];
    build();
    FAILS("award T-1-A1 completed (event 11) while complaint T-1-C2, accepted by event 10");
    /* Withdrawn after the acceptance: the hold lifts. */
    specs[11].kind = EV(COMPLAINT_WITHDRAWN);
    build();
    complaints[1].state = CS(WITHDRAWN);
    complaints[1].decision = NULL;
    complaints[1].withdrawn = TS(2300);
    rehash();
    OK("2 complaint(s) follow the transitions");
}

static void test_filing_window(void **state)
{
    (void)state;
    reset();
    /* An award complaint at the end of the standstill is late. */
    specs[9].t = 2200;
    build();
    FAILS("complaint T-1-C2 about award T-1-A1 was filed (event 9) after the award's standstill "
          "ended");
    /* About an award not recorded before it. */
    specs[9].note = "award T-1-A9";
    build();
    FAILS("complaint T-1-C2 (event 9) is about award T-1-A9, which no earlier event records");
    /* A conditions complaint after the deadline of its version. */
    specs[1].t = 1000;
    build();
    FAILS("complaint T-1-C1 about the conditions was filed (event 1) after the submission "
          "deadline of version 1");
}

static void test_suspension(void **state)
{
    (void)state;
    reset();
    /* Closed, or a bid received, while suspended. */
    spec_insert(3, (spec){EV(TENDER_CLOSED), "T-1", "", 1000, 1});
    build();
    FAILS("event 3 (tender_closed) while complaint T-1-C1 suspends the deadline (from event 2)");
    spec_insert(3, (spec){EV(BID_RECEIVED), "B-2", "", 130, 0});
    build();
    FAILS("event 3 (bid_received) while complaint T-1-C1 suspends the deadline (from event 2)");
    /* Rejected without the resumption of the same write. */
    spec_remove(4);
    build();
    FAILS("complaint T-1-C1 ended its suspension of the deadline (event 3) but no tender_resumed "
          "follows it");
    /* A resumption without a suspension. */
    specs[2].note = "";
    build();
    decisions[0].suspend_deadline = false;
    sign(&reviews[0], sigs[0]);
    rehash();
    FAILS("event 4 resumes the tender, but no complaint's suspension ended just before it");
    /* Satisfied: suspended until the buyer amends; closing before that fails. */
    specs[3].kind = EV(COMPLAINT_SATISFIED);
    specs[4].kind = EV(TENDER_AMENDED);
    spec_insert(4, (spec){EV(TENDER_CLOSED), "T-1", "", 1000, 1});
    build();
    FAILS("event 4 (tender_closed) while complaint T-1-C1 suspends the deadline (from event 2, "
          "satisfied and not yet remedied)");
    /* ...and after the amendment it is over (the amendment's own times). */
    specs[3].kind = EV(COMPLAINT_SATISFIED);
    specs[4].kind = EV(TENDER_AMENDED);
    build();
    decisions[1].outcome = OUT(SATISFY);
    sign(&reviews[1], sigs[1]);
    complaints[0].state = CS(SATISFIED);
    versions[1].resumption = NULL;
    rehash();
    OK("1 suspension(s) of the deadline kept, 0 resumption(s)");
    /* Two suspensions at once. */
    spec_insert(3, (spec){EV(COMPLAINT_FILED), "T-1-C3", "conditions", 125, 1});
    spec_insert(4, (spec){EV(COMPLAINT_ACCEPTED), "T-1-C3", SUSPENDS, 126, 1});
    build();
    FAILS("complaint T-1-C3: its acceptance (event 4) suspends the deadline, which complaint "
          "T-1-C1 suspends already");
    /* Still suspended past the deadline: not "never closed". */
    n_specs = 3;
    build();
    r.n_versions = 1;
    r.current = versions[0];
    r.current.status = tender_tenders_v1_TenderStatus_ACTIVE;
    r.complaints.n_complaints = 1;
    complaints[0].state = CS(ACCEPTED);
    complaints[0].decision = NULL;
    rehash();
    expect(2, TND_CHECK_OK, "0 bid event(s)");
}

static void test_resumption(void **state)
{
    (void)state;
    reset();
    static const struct {
        int what;
        const char *why;
    } cases[] = {
        {0, "the new deadline is not the previous one extended by the suspension"},
        {1, "the suspension did not start at the complaint's acceptance"},
        {2, "the suspension did not end at the complaint's decision or withdrawal"},
        {3, "the opening time did not move with the deadline"},
        {4, "the version bids answer is not the previous version's"},
        {5, "its version names another complaint"},
        {6, "it changed more than the deadline, the opening time and the enquiry deadline"},
        {7, "its version does not state the suspension"},
        {8, "the deadline it moved is not the previous version's"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        build();
        switch (cases[i].what) {
        case 0:
            fields[1].submission_deadline = TS(1031);
            break;
        case 1:
            resumption.suspended_from = TS(121);
            break;
        case 2:
            resumption.suspended_to = TS(151);
            break;
        case 3:
            fields[1].opening_time = TS(2031);
            break;
        case 4:
            resumption.terms_version = 2;
            break;
        case 5:
            resumption.complaint_id = "T-1-C2";
            break;
        case 6:
            fields[1].title = "another";
            break;
        case 7:
            versions[1].resumption = NULL;
            break;
        case 8:
            resumption.previous_deadline = TS(999);
            break;
        }
        rehash();
        char want[300];
        snprintf(want, sizeof want,
                 "the resumption (event 4) after complaint T-1-C1 does not follow the rule: %s",
                 cases[i].why);
        FAILS(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_life_cycle),  cmocka_unit_test(test_complaint_as_served),
        cmocka_unit_test(test_served_and_hidden), cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_award_hold),        cmocka_unit_test(test_filing_window),
        cmocka_unit_test(test_suspension),        cmocka_unit_test(test_resumption),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
