/* The checks of one tender's record from the opening on: the opening
 * against the opening time and the committee's shares, re-decryption of
 * every logged ciphertext against the opening record, the award against
 * its criterion and the opened bids, and the suppliers' and the officer's
 * signatures (tender/verify.h). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_verify.h"
#include "tender/award.h"
#include "tender/bid.h"
#include "tender/committee.h"
#include "tender/sealed.h"

#define EV(name) tender_events_v1_EventKind_##name
#define BS(name) tender_bids_v1_BidState_##name
#define AS(name) tender_awards_v1_AwardState_##name
#define REC_DESC (&tender_bids_v1_OpeningRecord_desc)

static const tender_tenders_v1_Committee *committee(const tnd_tender_record *r)
{
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    return f ? f->committee : NULL;
}

/* Is the tender past its opening by its events (whether or not the
 * server shows an opening record)? */
static bool opened_by_events(const tnd_tender_record *r)
{
    return tnd__vlast(r, EV(BIDS_OPENED), NULL) >= 0;
}

/* ---- the opening ------------------------------------------------------- */

/* The shares logged before the opening: accepted ones (no note) from
 * distinct members, after the opening time. Returns how many. */
static long count_shares(tnd__vrun *run, size_t opened_at, int64_t opening_time)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_Committee *cm = committee(r);
    size_t people[TND_COMMITTEE_MAX];
    size_t n = 0;
    for (size_t i = 0; i < opened_at; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->kind != EV(SHARE_RECEIVED) || (ev->note && *ev->note))
            continue;
        unsigned m;
        if (!ev->object_id || sscanf(ev->object_id, "member %u", &m) != 1 || !cm ||
            m >= cm->n_members || m >= 32) {
            tnd__vreport(run, "opening", TND_CHECK_FAILED,
                         "event %llu logs a share of \"%s\", who is not on the committee",
                         (unsigned long long)r->events[i].index,
                         ev->object_id ? ev->object_id : "");
            return -1;
        }
        if (tnd__vms(ev->time) < opening_time) {
            tnd__vreport(run, "opening", TND_CHECK_FAILED,
                         "member %u's share was taken before the opening time (event %llu)", m,
                         (unsigned long long)r->events[i].index);
            return -1;
        }
        /* Counted by person: one name or one key is one person. */
        if (n == TND_COMMITTEE_MAX)
            continue;
        people[n] = m;
        if (tnd_committee_people(cm, people, n + 1) > n)
            n++;
    }
    return (long)n;
}

void tnd__vcheck_opening(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    long at = tnd__vlast(r, EV(BIDS_OPENED), NULL);
    if (at < 0) {
        tnd__vreport(run, "opening", TND_CHECK_SKIPPED, "the bids are not opened yet");
        return;
    }
    const tender_events_v1_Event *ev = &r->events[at].ev;
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    const tender_tenders_v1_Committee *cm = committee(r);
    const tender_bids_v1_OpeningRecord *rec = &r->opening;
    int64_t opening_time = f ? tnd__vms(f->opening_time) : 0;
    if (!cm || !opening_time) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the tender publishes no committee or opening time");
        return;
    }
    if (tnd__vms(ev->time) < opening_time) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the bids were opened (event %llu) before the opening time",
                     (unsigned long long)r->events[at].index);
        return;
    }
    char why[400];
    if (tnd_committee_check(cm, true, why, sizeof why) != 0) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the published committee breaks the rules (k of n means k different "
                     "people): %s",
                     why);
        return;
    }
    long shares = count_shares(run, (size_t)at, opening_time);
    if (shares < 0)
        return;
    if ((unsigned long)shares < cm->threshold) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the log holds %ld accepted share(s) before the opening; %u are needed",
                     shares, cm->threshold);
        return;
    }
    if (r->opening_error[0]) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the opening record of event %llu is not served: %s",
                     (unsigned long long)r->events[at].index, r->opening_error);
        return;
    }
    if (!r->has_opening || !tnd__vhash_is(REC_DESC, rec, &ev->object_hash) || !rec->tender_id ||
        strcmp(rec->tender_id, r->tender_id) != 0 ||
        tnd__vms(rec->opened) != tnd__vms(ev->time)) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the opening record differs from what event %llu logged",
                     (unsigned long long)r->events[at].index);
        return;
    }
    size_t people[TND_COMMITTEE_MAX];
    for (size_t i = 0; i < rec->n_share_members; i++) {
        long m = tnd_committee_member(cm, &rec->share_members[i]);
        if (m >= 0 && i < TND_COMMITTEE_MAX)
            people[i] = (size_t)m;
        if (m < 0 || i >= TND_COMMITTEE_MAX || tnd_committee_people(cm, people, i + 1) != i + 1) {
            tnd__vreport(run, "opening", TND_CHECK_FAILED,
                         "the opening record names a share that is not from a distinct "
                         "committee member");
            return;
        }
    }
    if (rec->n_share_members < cm->threshold) {
        tnd__vreport(run, "opening", TND_CHECK_FAILED,
                     "the opening record names %zu share(s); %u are needed",
                     rec->n_share_members, cm->threshold);
        return;
    }
    tnd__vreport(run, "opening", TND_CHECK_OK,
                 "opened after the opening time with %zu distinct committee shares (k = %u of "
                 "%zu); the record matches event %llu",
                 rec->n_share_members, cm->threshold, cm->n_members,
                 (unsigned long long)r->events[at].index);
}

/* ---- re-decryption ----------------------------------------------------- */

static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* What differs between the lot lines of two record lines, naming the lot
 * (in buf), or NULL. */
static const char *lots_difference(const tender_bids_v1_OpenedBid *want,
                                   const tender_bids_v1_OpenedBid *got, char *buf, size_t len)
{
    if (want->n_lots != got->n_lots) {
        snprintf(buf, len, "it prices %zu lot(s), the record lists %zu", want->n_lots,
                 got->n_lots);
        return buf;
    }
    for (size_t i = 0; i < want->n_lots; i++) {
        const tender_bids_v1_OpenedLot *w = &want->lots[i], *g = &got->lots[i];
        const char *id = w->lot_id ? w->lot_id : "";
        if (!same_text(w->lot_id, g->lot_id))
            snprintf(buf, len, "its lot price %zu is for lot \"%.64s\", the record's for lot "
                     "\"%.64s\"", i, id, g->lot_id ? g->lot_id : "");
        else if (w->valid && !g->valid)
            snprintf(buf, len, "lot %.64s: it is valid, but the record calls it failed", id);
        else if (!w->valid && g->valid)
            snprintf(buf, len, "lot %.64s: the record calls it valid, but it is not: %s", id,
                     w->failure ? w->failure : "?");
        else if ((!w->price) != (!g->price) ||
                 (w->price && !tnd__vsame(&tender_common_v1_Money_desc, w->price, g->price)))
            snprintf(buf, len, "lot %.64s: the price differs", id);
        else if (!tnd__vsame(&tender_bids_v1_OpenedLot_desc, w, g))
            snprintf(buf, len, "lot %.64s: the failure differs", id);
        else
            continue;
        return buf;
    }
    return NULL;
}

/* What differs between two record lines, for the message (in buf when it
 * quotes the reason a bid is invalid or names a lot). */
static const char *line_difference(const tender_bids_v1_OpenedBid *want,
                                   const tender_bids_v1_OpenedBid *got, char *buf, size_t len)
{
    const tnd_msg_desc *money = &tender_common_v1_Money_desc;
    /* The time of receipt first: who bid and what is valid are judged at it. */
    if (tnd__vms(want->received) != tnd__vms(got->received))
        return "the time of receipt differs";
    if (want->valid != got->valid) {
        if (want->valid)
            return "it opens valid, but the record calls it failed";
        snprintf(buf, len, "the record calls it valid, but it is not: %s",
                 want->failure ? want->failure : "?");
        return buf;
    }
    /* A bid may have no price (it opens invalid): absent on both sides is the same. */
    if ((!want->price) != (!got->price) ||
        (want->price && !tnd__vsame(money, want->price, got->price)))
        return "the price differs";
    const char *lots = lots_difference(want, got, buf, len);
    if (lots)
        return lots;
    if (!tnd__vsame(&tender_bids_v1_OpenedBid_desc, want, got)) {
        if (want->envelope_hash.len != got->envelope_hash.len ||
            (want->envelope_hash.len &&
             memcmp(want->envelope_hash.data, got->envelope_hash.data, want->envelope_hash.len)))
            return "the envelope hash differs";
        return "the supplier, documents or failure differ";
    }
    return NULL;
}

/* The lots the log shows cancelled before the opening (LOT_CANCELLED events
 * before the last BIDS_OPENED), as states for tnd_bid_terms: a lot cancelled
 * later does not change what the opening found. 0 or TND_ENOMEM. */
static int cancelled_lots(const tnd_tender_record *r, tender_tenders_v1_LotState **out,
                          size_t *n)
{
    long opened = tnd__vlast(r, EV(BIDS_OPENED), NULL);
    *n = 0;
    *out = calloc(r->n_events ? r->n_events : 1, sizeof **out);
    if (!*out)
        return TND_ENOMEM;
    for (long i = 0; i < opened; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (r->events[i].decoded && ev->kind == EV(LOT_CANCELLED) && ev->object_id) {
            (*out)[*n].lot_id = ev->object_id;
            (*out)[(*n)++].status = tender_tenders_v1_LotStatus_LOT_CANCELLED;
        }
    }
    return 0;
}

void tnd__vcheck_decryption(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    if (!opened_by_events(r)) {
        tnd__vreport(run, "decryption", TND_CHECK_SKIPPED, "the bids are not opened yet");
        return;
    }
    const tender_bids_v1_OpeningRecord *rec = &r->opening;
    const tender_tenders_v1_Committee *cm = committee(r);
    uint8_t pk[32];
    if (!cm || cm->opening_public_key.len != 32 || rec->opening_private_key.len != 32 ||
        tnd_x25519_public(rec->opening_private_key.data, pk) != 0 ||
        CRYPTO_memcmp(pk, cm->opening_public_key.data, 32) != 0) {
        tnd__vreport(run, "decryption", TND_CHECK_FAILED,
                     "the published opening key is not the tender's opening key");
        return;
    }
    /* The tender at its deadline: its latest version, as amendments end
     * there (the deadline check holds every bid to that version's deadline). */
    const tender_tenders_v1_Tender *last = r->n_versions ? &r->versions[r->n_versions - 1] : NULL;
    tnd_bid_terms terms = tnd_bid_terms_of(last);
    /* Counted from the events, not as it says; a version that only moved the
     * deadline keeps the one before (the deadline and complaints checks hold
     * its terms_version to that). */
    if (!last || (!last->postponement && !last->resumption))
        terms.version = (uint32_t)r->n_versions;
    terms.trust = r->trust;
    /* The lots cancelled at the opening: by the log, not as the server says. */
    tender_tenders_v1_LotState *cancelled = NULL;
    if (cancelled_lots(r, &cancelled, &terms.n_lot_states) != 0) {
        tnd__vreport(run, "decryption", TND_CHECK_FAILED, "out of memory");
        return;
    }
    terms.lot_states = cancelled;
    size_t line = 0, trusted = 0;
    for (size_t i = 0; i < r->n_bids; i++) {
        const tender_bids_v1_SealedBid *b = &r->bids[i];
        if (b->state != BS(SUBMITTED))
            continue; /* replaced and withdrawn bids are not opened */
        const char *id = b->bid_id ? b->bid_id : "?";
        if (line >= rec->n_bids) {
            tnd__vreport(run, "decryption", TND_CHECK_FAILED,
                         "bid %s is missing from the opening record", id);
            free(cancelled);
            return;
        }
        tender_bids_v1_OpenedBid mine;
        const char *diff = "cannot rebuild its line (out of memory)";
        char why[600];
        const tender_bids_v1_OpenedBid *theirs = &rec->bids[line];
        if (tnd_bid_open_record(b, rec->opening_private_key.data, &terms, &mine) == 0) {
            /* Whether the sealed documents match their list takes the
             * documents key, which is not published: that one failure is
             * the record's word (the documents' holders check it). */
            bool oom = false;
            if (mine.valid && !theirs->valid && theirs->failure &&
                strncmp(theirs->failure, TND_BID_DOCUMENTS_FAILURE,
                        strlen(TND_BID_DOCUMENTS_FAILURE)) == 0 &&
                (mine.failure = strdup(theirs->failure)) != NULL) {
                mine.valid = false;
                oom = tnd_bid_lots_follow_bid(&mine) != 0;
                trusted++;
            }
            if (!oom)
                diff = line_difference(&mine, theirs, why, sizeof why);
        }
        if (!diff && (!rec->bids[line].bid_id || strcmp(rec->bids[line].bid_id, id) != 0))
            diff = "the record lists another bid in its place";
        tender_bids_v1_OpenedBid_free(&mine);
        if (diff) {
            tnd__vreport(run, "decryption", TND_CHECK_FAILED,
                         "re-decrypting bid %s does not give the opening record: %s", id, diff);
            free(cancelled);
            return;
        }
        line++;
    }
    free(cancelled);
    if (line != rec->n_bids) {
        tnd__vreport(run, "decryption", TND_CHECK_FAILED,
                     "the opening record lists %zu bid(s) but %zu sealed bid(s) were in force",
                     rec->n_bids, line);
        return;
    }
    if (trusted)
        tnd__vreport(run, "decryption", TND_CHECK_OK,
                     "re-decrypting the %zu bid(s) in force with the published key gives the "
                     "opening record; %zu judged invalid because their sealed documents do not "
                     "match their list, which only the documents' readers can check",
                     line, trusted);
    else
        tnd__vreport(run, "decryption", TND_CHECK_OK,
                     "re-decrypting the %zu bid(s) in force with the published key gives exactly "
                     "the opening record",
                     line);
}

/* ---- the award --------------------------------------------------------- */

/* The last award event of the tender, or -1. */
static long last_award_event(const tnd_tender_record *r)
{
    long best = -1;
    static const int kinds[] = {EV(AWARD_RECORDED), EV(AWARD_CANCELLED), EV(TENDER_COMPLETED),
                                EV(TENDER_UNSUCCESSFUL)};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        long i = tnd__vlast(r, kinds[k], NULL);
        if (i > best)
            best = i;
    }
    return best;
}

static int state_after(int kind)
{
    switch (kind) {
    case EV(AWARD_RECORDED):
        return AS(STANDSTILL);
    case EV(AWARD_CANCELLED):
        return AS(CANCELLED);
    case EV(TENDER_COMPLETED):
        return AS(FINAL);
    default:
        return AS(UNSUCCESSFUL);
    }
}

/* The earlier decision with this id, or NULL. */
static const tender_awards_v1_Award *earlier(const tnd_tender_record *r, const char *id)
{
    for (size_t i = 0; id && i < r->n_earlier_awards; i++)
        if (r->earlier_awards[i].id && strcmp(r->earlier_awards[i].id, id) == 0)
            return &r->earlier_awards[i];
    return NULL;
}

/* Every other logged decision as its last event logged it (a cancelled
 * one: as cancelled), and none that the log does not name. The number
 * checked, or -1 (reported). */
static long check_earlier_awards(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    static const int kinds[] = {EV(AWARD_RECORDED), EV(AWARD_CANCELLED), EV(TENDER_COMPLETED),
                                EV(TENDER_UNSUCCESSFUL)};
    long n = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        const char *id = ev->object_id;
        if (!r->events[i].decoded || ev->kind != EV(AWARD_RECORDED) || !id ||
            strcmp(id, r->award.id) == 0 || tnd__vlast(r, EV(AWARD_RECORDED), id) != (long)i)
            continue;
        long at = -1;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            long j = tnd__vlast(r, kinds[k], id);
            at = j > at ? j : at;
        }
        const tender_events_v1_Event *last = &r->events[at].ev;
        const tender_awards_v1_Award *a = earlier(r, id);
        if (!a || !tnd__vhash_is(&tender_awards_v1_Award_desc, a, &last->object_hash) ||
            (int)a->state != state_after(last->kind) || !a->tender_id ||
            strcmp(a->tender_id, r->tender_id) != 0) {
            tnd__vreport(run, "award", TND_CHECK_FAILED,
                         "the earlier decision %s %s what event %llu logged", id,
                         a ? "differs from" : "is not served; it is",
                         (unsigned long long)r->events[at].index);
            return -1;
        }
        n++;
    }
    if ((size_t)n != r->n_earlier_awards) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "%zu earlier decision(s) are shown but the log records %ld",
                     r->n_earlier_awards, n);
        return -1;
    }
    return n;
}

void tnd__vcheck_award(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    long at = last_award_event(r);
    if (at < 0) {
        tnd__vreport(run, "award", TND_CHECK_SKIPPED, "no award is recorded yet");
        return;
    }
    const tender_events_v1_Event *ev = &r->events[at].ev;
    const tender_awards_v1_Award *a = &r->award;
    const tender_awards_v1_Decision *d = a->decision;
    if (r->award_error[0]) {
        tnd__vreport(run, "award", TND_CHECK_FAILED, "the award of event %llu is not served: %s",
                     (unsigned long long)r->events[at].index, r->award_error);
        return;
    }
    if (!r->has_award || !a->id || !ev->object_id || strcmp(a->id, ev->object_id) != 0 ||
        !tnd__vhash_is(&tender_awards_v1_Award_desc, a, &ev->object_hash) || !d ||
        !a->tender_id || strcmp(a->tender_id, r->tender_id) != 0 || !d->tender_id ||
        strcmp(d->tender_id, r->tender_id) != 0) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "the award as the server shows it differs from what event %llu logged",
                     (unsigned long long)r->events[at].index);
        return;
    }
    if ((int)a->state != state_after(ev->kind)) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s is in another state than its last event says", a->id);
        return;
    }
    if (ev->kind == EV(TENDER_COMPLETED) && tnd__vms(ev->time) < tnd__vms(a->standstill_end)) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "the tender was completed before the standstill of award %s ended", a->id);
        return;
    }
    int status = 0;
    char why[400] = "";
    if (!r->has_opening ||
        tnd_award_check(d, &r->opening, tnd__vfields(r), &status, why, sizeof why) != 0) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s does not follow from its criterion and the opened bids: %s", a->id,
                     r->has_opening ? why : "there is no opening record");
        return;
    }
    long n_earlier = check_earlier_awards(run);
    if (n_earlier < 0)
        return;
    char also[80] = "";
    if (n_earlier)
        snprintf(also, sizeof also, "; %ld earlier decision(s) each as its last event logged",
                 n_earlier);
    tnd__vreport(run, "award", TND_CHECK_OK,
                 "award %s (%s) follows from its criterion and the opened bids; it matches "
                 "event %llu%s",
                 a->id, d->unsuccessful ? "unsuccessful" : d->winner ? d->winner : "?",
                 (unsigned long long)r->events[at].index, also);
}

/* ---- signatures -------------------------------------------------------- */

static const tender_bids_v1_SealedBid *sealed(const tnd_tender_record *r, const char *id)
{
    for (size_t i = 0; id && i < r->n_bids; i++)
        if (r->bids[i].bid_id && strcmp(r->bids[i].bid_id, id) == 0)
            return &r->bids[i];
    return NULL;
}

void tnd__vcheck_signatures(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    if (!opened_by_events(r)) {
        tnd__vreport(run, "signatures", TND_CHECK_SKIPPED,
                     "the suppliers are revealed at the opening");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->opening.n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &r->opening.bids[i];
        if (!o->valid)
            continue;
        const tender_bids_v1_SealedBid *b = sealed(r, o->bid_id);
        if (!b || o->supplier_key.len != 32 || tnd_bid_verify(b, o->supplier_key.data) != 0) {
            tnd__vreport(run, "signatures", TND_CHECK_FAILED,
                         "bid %s is not signed by the supplier key the opening names",
                         o->bid_id ? o->bid_id : "?");
            return;
        }
        n++;
    }
    bool award = r->has_award && r->award.decision;
    for (size_t i = 0; i <= r->n_earlier_awards; i++) {
        const tender_awards_v1_Award *a = NULL; /* the earlier ones, then the latest */
        if (i < r->n_earlier_awards)
            a = &r->earlier_awards[i];
        else if (award)
            a = &r->award;
        if (a && (!a->decision || a->officer_key.len != 32 ||
                  tnd_award_verify(a->decision, a->signature.data, a->signature.len,
                                   a->officer_key.data) != 0)) {
            tnd__vreport(run, "signatures", TND_CHECK_FAILED,
                         "award %s is not signed by the officer key it names", a->id ? a->id : "?");
            return;
        }
    }
    tnd__vreport(run, "signatures", TND_CHECK_OK, "%zu supplier signature(s)%s verify", n,
                 award ? " and the officer's award signature" : "");
}
