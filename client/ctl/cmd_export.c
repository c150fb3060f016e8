/* tenderctl export ocds: the public record of tenders as an Open
 * Contracting Data Standard 1.1.5 release package (with the bids
 * extension), built with jansson from public calls only: Tenders/List or
 * Get, Get of each published version, Tenders/Questions, Log/GetLeaves
 * (the events), after the opening only Bids/GetOpening, and
 * Awards/GetById for each award decision (ocds_award.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocds.h"
#include "tender/pages.h"

#define OCDS_BIDS_EXT                                                                              \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/"     \
    "extension.json"
#define OCDS_ENQUIRY_EXT                                                                           \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/"        \
    "v1.1.5/extension.json"

static const char export_usage[] = "usage: tenderctl export COMMAND [ARGS]\n"
                                   "\n"
                                   "  ocds [--tender ID] [--since TIME] [--output FILE]\n"
                                   "                  tenders as an OCDS 1.1.5 release package\n";

static const char ocds_usage[] =
    "usage: tenderctl export ocds [--tender ID] [--since TIME] [--output FILE]\n"
    "           [--ocid-prefix PREFIX] [--publisher NAME] [--uri URI]\n"
    "\n"
    "Write published tenders as an Open Contracting Data Standard 1.1.5 release package\n"
    "(JSON) with the bids and enquiries extensions, from public calls only (no certificate\n"
    "needed). One release per event of a tender's log: published (tag \"tender\"), amended\n"
    "(\"tenderAmendment\", with the amendment's date and note; also a deadline the server\n"
    "postponed after an outage, with the rule's note), cancelled\n"
    "(\"tenderCancellation\"), bids opened (\"tenderUpdate\"), award recorded (\"award\"),\n"
    "award cancelled (\"awardCancellation\"), unsuccessful (\"tenderUpdate\", \"award\") and\n"
    "complete (\"tenderUpdate\", \"awardUpdate\").\n"
    "Each release describes the tender as it stood at its event: the published version\n"
    "then in force, answered questions (enquiries) up to then, and, from the opening on,\n"
    "the bids (statistics: bids, validBids, disqualifiedBids; details: id, date, status,\n"
    "tenderers, value) and the bidding suppliers as parties with role \"tenderer\". Before\n"
    "the opening no release carries bids. A bid that opened valid is \"valid\"; one that\n"
    "could not be opened or verified, or broke a rule of the tender (currency, price,\n"
    "version), is \"disqualified\" (without tenderers or value).\n"
    "From the first decision on, awards[] lists every award decision as it stood then: id,\n"
    "status (\"pending\" during the standstill, \"active\" once complete, \"cancelled\" with\n"
    "the reason after the rationale in the description, \"unsuccessful\" when no bid was\n"
    "valid), date, description (the rationale), value (the winning price), suppliers and\n"
    "relatedBid; the winner's supplier is a party with role \"supplier\".\n"
    "tender.awardCriteria is \"priceOnly\" (lowest price) or \"ratedCriteria\" (weighted,\n"
    "with the criteria and weights in awardCriteriaDetails).\n"
    "Statuses: active, closed, opened and awarded tenders are \"active\"; cancelled,\n"
    "unsuccessful and complete keep their names; drafts are never exported.\n"
    "\n"
    "  --tender ID            only this tender (default: every tender, all pages)\n"
    "  --since TIME           only releases at or after TIME (RFC 3339)\n"
    "  --output FILE          write FILE (through a temporary file, then renamed) instead\n"
    "                         of stdout\n"
    "  --ocid-prefix PREFIX   ocid = PREFIX-TENDER_ID (default ocds-tndrd); release ids\n"
    "                         are OCID-EVENT_SEQ\n"
    "  --publisher NAME       the package's publisher name (default tenderd)\n"
    "  --uri URI              the package's uri (default urn:tenderd:SERVER:ocds)\n"
    "\n"
    "Amounts are decimal numbers in the currency's units (minor units / 10^exponent).\n"
    "Exit status 1 when there is no release to export (nothing is written).\n";

typedef struct ocds_ctx {
    tnd_client *c;
    const ctl_global *g;
    const char *prefix;
    bool have_since;
    int64_t since_s;
    uint32_t since_ns;
    json_t *releases;
} ocds_ctx;

/* ---- small builders ---- */

void ocds_set_str(json_t *o, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(o, key, json_string(s));
}

void ocds_set_time(json_t *o, const char *key, const tender_common_v1_Timestamp *t)
{
    char buf[64];
    if (t)
        json_object_set_new(o, key,
                            json_string(ctl_time_text(t->seconds, t->nanos, buf, sizeof buf)));
}

static bool time_le(const tender_common_v1_Timestamp *a, const tender_common_v1_Timestamp *b)
{
    int64_t as = a ? a->seconds : 0, bs = b ? b->seconds : 0;
    uint32_t an = a ? a->nanos : 0, bn = b ? b->nanos : 0;
    return as < bs || (as == bs && an <= bn);
}

/* {amount, currency}: the amount in the currency's units, exact as an
 * integer when whole. */
json_t *ocds_money(const tender_common_v1_Money *m)
{
    json_t *v = json_object();
    int exp = ctl_currency_exp(m->currency);
    int64_t scale = 1;
    for (int i = 0; i < exp; i++)
        scale *= 10;
    json_t *amount = m->minor_units % scale == 0
                         ? json_integer(m->minor_units / scale)
                         : json_real((double)m->minor_units / (double)scale);
    json_object_set_new(v, "amount", amount);
    ocds_set_str(v, "currency", m->currency);
    return v;
}

/* Is v a string equal to s? */
static bool str_eq(const json_t *v, const char *s)
{
    const char *t = json_string_value(v);
    return t && s && strcmp(t, s) == 0;
}

json_t *ocds_org_ref(const char *id)
{
    json_t *o = json_object();
    ocds_set_str(o, "id", id);
    ocds_set_str(o, "name", id);
    return o;
}

/* Add role to the party id in parties (made when missing). */
void ocds_party_role(json_t *parties, const char *id, const char *role)
{
    size_t i;
    json_t *p;
    json_array_foreach(parties, i, p)
    {
        if (str_eq(json_object_get(p, "id"), id)) {
            json_t *roles = json_object_get(p, "roles");
            json_t *r;
            size_t k;
            json_array_foreach(roles, k, r)
            {
                if (str_eq(r, role))
                    return;
            }
            json_array_append_new(roles, json_string(role));
            return;
        }
    }
    p = ocds_org_ref(id);
    json_t *roles = json_array();
    json_array_append_new(roles, json_string(role));
    json_object_set_new(p, "roles", roles);
    json_array_append_new(parties, p);
}

/* ---- mappings ---- */

/* OCDS tenderStatus of ours; NULL for a draft. */
static const char *status_ocds(tender_tenders_v1_TenderStatus s)
{
    switch (s) {
    case tender_tenders_v1_TenderStatus_ACTIVE:
    case tender_tenders_v1_TenderStatus_CLOSED:
    case tender_tenders_v1_TenderStatus_OPENED:
    case tender_tenders_v1_TenderStatus_AWARDED:
        return "active";
    case tender_tenders_v1_TenderStatus_COMPLETE:
        return "complete";
    case tender_tenders_v1_TenderStatus_CANCELLED:
        return "cancelled";
    case tender_tenders_v1_TenderStatus_UNSUCCESSFUL:
        return "unsuccessful";
    default:
        return NULL;
    }
}

/* The release tag and our status after an event worth a release; NULL tag
 * for the other events. */
static const char *event_tag(tender_events_v1_EventKind k, tender_tenders_v1_TenderStatus *st)
{
    switch (k) {
    case tender_events_v1_EventKind_TENDER_PUBLISHED:
        *st = tender_tenders_v1_TenderStatus_ACTIVE;
        return "tender";
    case tender_events_v1_EventKind_TENDER_AMENDED:
    case tender_events_v1_EventKind_TENDER_POSTPONED: /* by the outage rule: a new version */
        *st = tender_tenders_v1_TenderStatus_ACTIVE;
        return "tenderAmendment";
    case tender_events_v1_EventKind_TENDER_CANCELLED:
        *st = tender_tenders_v1_TenderStatus_CANCELLED;
        return "tenderCancellation";
    case tender_events_v1_EventKind_BIDS_OPENED:
        *st = tender_tenders_v1_TenderStatus_OPENED;
        return "tenderUpdate";
    case tender_events_v1_EventKind_TENDER_UNSUCCESSFUL:
        *st = tender_tenders_v1_TenderStatus_UNSUCCESSFUL;
        return "tenderUpdate";
    case tender_events_v1_EventKind_TENDER_COMPLETED:
        *st = tender_tenders_v1_TenderStatus_COMPLETE;
        return "tenderUpdate";
    case tender_events_v1_EventKind_AWARD_RECORDED:
        *st = tender_tenders_v1_TenderStatus_AWARDED;
        return "award";
    case tender_events_v1_EventKind_AWARD_CANCELLED:
        *st = tender_tenders_v1_TenderStatus_OPENED;
        return "awardCancellation";
    default:
        return NULL;
    }
}

/* The second tag of an event that changes both the tender and its award:
 * completion makes the award active, an unsuccessful decision is one. */
static const char *event_award_tag(tender_events_v1_EventKind k)
{
    if (k == tender_events_v1_EventKind_TENDER_COMPLETED)
        return "awardUpdate";
    if (k == tender_events_v1_EventKind_TENDER_UNSUCCESSFUL)
        return "award";
    return NULL;
}

static const char *method_ocds(tender_tenders_v1_ProcurementMethod m)
{
    switch (m) {
    case tender_tenders_v1_ProcurementMethod_OPEN:
        return "open";
    case tender_tenders_v1_ProcurementMethod_SELECTIVE:
        return "selective";
    case tender_tenders_v1_ProcurementMethod_LIMITED:
        return "limited";
    case tender_tenders_v1_ProcurementMethod_DIRECT:
        return "direct";
    default:
        return NULL;
    }
}

static const char *category_ocds(tender_tenders_v1_MainCategory c)
{
    switch (c) {
    case tender_tenders_v1_MainCategory_GOODS:
        return "goods";
    case tender_tenders_v1_MainCategory_WORKS:
        return "works";
    case tender_tenders_v1_MainCategory_SERVICES:
        return "services";
    default:
        return NULL;
    }
}

/* ---- one release ---- */

static void release_id(const ocds_tender *td, uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%llu", td->ocid, (unsigned long long)seq);
}

static json_t *period(const tender_common_v1_Timestamp *start,
                      const tender_common_v1_Timestamp *end)
{
    json_t *p = json_object();
    ocds_set_time(p, "startDate", start);
    ocds_set_time(p, "endDate", end);
    return p;
}

/* tender.amendments: every amendment up to (and with) event ev. */
static json_t *amendments_json(const ocds_tender *td, const tender_events_v1_Event *ev)
{
    json_t *a = json_array();
    char id[256], rel[256], prev[256] = "";
    for (size_t i = 0; i < td->n_events && td->events[i].seq <= ev->seq; i++) {
        const tender_events_v1_Event *e = &td->events[i];
        bool amends = e->kind == tender_events_v1_EventKind_TENDER_AMENDED ||
                      e->kind == tender_events_v1_EventKind_TENDER_POSTPONED;
        if (amends) {
            json_t *m = json_object();
            snprintf(id, sizeof id, "%s-amendment-%u", td->ocid, e->tender_version);
            release_id(td, e->seq, rel, sizeof rel);
            ocds_set_str(m, "id", id);
            ocds_set_time(m, "date", e->time);
            ocds_set_str(m, "rationale", e->note);
            ocds_set_str(m, "releaseID", rel);
            ocds_set_str(m, "amendsReleaseID", prev);
            json_array_append_new(a, m);
        }
        if (e->kind == tender_events_v1_EventKind_TENDER_PUBLISHED || amends)
            release_id(td, e->seq, prev, sizeof prev);
    }
    return a;
}

/* tender.enquiries (enquiries extension): questions answered by the event. */
static json_t *enquiries_json(const ocds_tender *td, const tender_events_v1_Event *ev)
{
    json_t *a = json_array();
    for (size_t i = 0; i < td->questions.n_questions; i++) {
        const tender_tenders_v1_Question *q = &td->questions.questions[i];
        if (!q->answered || !q->answer || !*q->answer || !time_le(q->answered, ev->time))
            continue;
        json_t *e = json_object();
        ocds_set_str(e, "id", q->id);
        ocds_set_time(e, "date", q->asked);
        ocds_set_str(e, "description", q->text);
        ocds_set_str(e, "answer", q->answer);
        ocds_set_time(e, "dateAnswered", q->answered);
        json_array_append_new(a, e);
    }
    return a;
}

/* bids (bids extension) from the opening record; suppliers into parties
 * and tenderers. */
static json_t *bids_json(const ocds_tender *td, json_t *parties, json_t *tenderers)
{
    json_t *details = json_array(), *stats = json_array();
    size_t valid = 0;
    for (size_t i = 0; i < td->opening.n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &td->opening.bids[i];
        json_t *b = json_object();
        ocds_set_str(b, "id", o->bid_id);
        ocds_set_time(b, "date", o->received);
        json_object_set_new(b, "status", json_string(o->valid ? "valid" : "disqualified"));
        if (o->valid) {
            valid++;
            if (o->supplier_org && *o->supplier_org) {
                json_t *t = json_array();
                json_array_append_new(t, ocds_org_ref(o->supplier_org));
                json_object_set_new(b, "tenderers", t);
                ocds_party_role(parties, o->supplier_org, "tenderer");
                size_t k;
                json_t *r;
                bool seen = false;
                json_array_foreach(tenderers, k, r)
                {
                    seen |= str_eq(json_object_get(r, "id"), o->supplier_org);
                }
                if (!seen)
                    json_array_append_new(tenderers, ocds_org_ref(o->supplier_org));
            }
            if (o->price)
                json_object_set_new(b, "value", ocds_money(o->price));
        }
        json_array_append_new(details, b);
    }
    static const char *const measure[] = {"bids", "validBids", "disqualifiedBids"},
                             *const stat_id[] = {"1", "2", "3"};
    size_t value[] = {td->opening.n_bids, valid, td->opening.n_bids - valid};
    for (int i = 0; i < 3; i++) {
        json_t *s = json_object();
        ocds_set_str(s, "id", stat_id[i]);
        ocds_set_str(s, "measure", measure[i]);
        ocds_set_time(s, "date", td->opening.opened);
        json_object_set_new(s, "value", json_integer((json_int_t)value[i]));
        json_array_append_new(stats, s);
    }
    json_t *bids = json_object();
    json_object_set_new(bids, "statistics", stats);
    json_object_set_new(bids, "details", details);
    return bids;
}

static json_t *tender_json(const ocds_tender *td, const tender_tenders_v1_Tender *t,
                           const tender_events_v1_Event *ev, tender_tenders_v1_TenderStatus st)
{
    static const tender_tenders_v1_TenderFields none = {0};
    const tender_tenders_v1_TenderFields *f = t->fields ? t->fields : &none;
    json_t *o = json_object();
    ocds_set_str(o, "id", t->id);
    ocds_set_str(o, "title", f->title);
    ocds_set_str(o, "description", f->description);
    ocds_set_str(o, "status", status_ocds(st));
    ocds_set_str(o, "procurementMethod", method_ocds(f->method));
    ocds_set_str(o, "mainProcurementCategory", category_ocds(f->category));
    ocds_award_criteria(o, f);
    if (f->estimated_value)
        json_object_set_new(o, "value", ocds_money(f->estimated_value));
    /* Published from version 1's publication on. */
    const tender_common_v1_Timestamp *pub = td->versions[0].published;
    json_object_set_new(o, "tenderPeriod", period(pub, f->submission_deadline));
    if (f->enquiry_deadline)
        json_object_set_new(o, "enquiryPeriod", period(pub, f->enquiry_deadline));
    if (f->classification && f->classification->code && *f->classification->code) {
        json_t *cl = json_object(), *item = json_object(), *items = json_array();
        ocds_set_str(cl, "scheme",
                     f->classification->scheme && *f->classification->scheme
                         ? f->classification->scheme
                         : "CPV");
        ocds_set_str(cl, "id", f->classification->code);
        ocds_set_str(cl, "description", f->classification->description);
        ocds_set_str(item, "id", "1");
        ocds_set_str(item, "description", f->title);
        json_object_set_new(item, "classification", cl);
        json_array_append_new(items, item);
        json_object_set_new(o, "items", items);
    }
    if (t->n_documents) {
        json_t *docs = json_array();
        for (size_t i = 0; i < t->n_documents; i++) {
            const tender_tenders_v1_Document *d = &t->documents[i];
            json_t *j = json_object();
            ocds_set_str(j, "id", d->id);
            ocds_set_str(j, "title", d->name);
            ocds_set_str(j, "format", d->media_type);
            json_array_append_new(docs, j);
        }
        json_object_set_new(o, "documents", docs);
    }
    json_t *am = amendments_json(td, ev);
    if (json_array_size(am))
        json_object_set_new(o, "amendments", am);
    else
        json_decref(am);
    json_t *enq = enquiries_json(td, ev);
    json_object_set_new(o, "hasEnquiries", json_boolean(json_array_size(enq) > 0));
    if (json_array_size(enq))
        json_object_set_new(o, "enquiries", enq);
    else
        json_decref(enq);
    if (st == tender_tenders_v1_TenderStatus_CANCELLED && t->cancel_reason && *t->cancel_reason)
        ocds_set_str(o, "statusDetails", t->cancel_reason);
    else if (st == tender_tenders_v1_TenderStatus_CANCELLED)
        ocds_set_str(o, "statusDetails", ev->note);
    return o;
}

static json_t *release_json(const ocds_tender *td, const tender_events_v1_Event *ev,
                            const char *tag, tender_tenders_v1_TenderStatus st)
{
    char id[256];
    /* The version in force at the event. */
    uint32_t v = ev->tender_version;
    if (v < 1 || v > td->n_versions)
        v = (uint32_t)td->n_versions;
    const tender_tenders_v1_Tender *t = &td->versions[v - 1];
    json_t *r = json_object(), *tags = json_array(), *parties = json_array();
    release_id(td, ev->seq, id, sizeof id);
    ocds_set_str(r, "ocid", td->ocid);
    ocds_set_str(r, "id", id);
    ocds_set_time(r, "date", ev->time);
    json_array_append_new(tags, json_string(tag));
    if (event_award_tag(ev->kind))
        json_array_append_new(tags, json_string(event_award_tag(ev->kind)));
    json_object_set_new(r, "tag", tags);
    ocds_set_str(r, "initiationType", "tender");
    const char *buyer = t->buyer && *t->buyer ? t->buyer : "unknown";
    ocds_party_role(parties, buyer, "buyer");
    json_object_set_new(r, "parties", parties);
    json_object_set_new(r, "buyer", ocds_org_ref(buyer));
    json_t *tender = tender_json(td, t, ev, st);
    if (td->have_opening && ev->seq >= td->opened_seq) {
        json_t *tenderers = json_array();
        json_object_set_new(r, "bids", bids_json(td, parties, tenderers));
        json_object_set_new(tender, "numberOfTenderers",
                            json_integer((json_int_t)json_array_size(tenderers)));
        json_object_set_new(tender, "tenderers", tenderers);
    }
    json_object_set_new(r, "tender", tender);
    json_t *awards = ocds_awards(td, ev, parties);
    if (awards)
        json_object_set_new(r, "awards", awards);
    return r;
}

/* ---- fetching ---- */

static void tender_data_free(ocds_tender *td)
{
    for (size_t i = 0; i < td->n_versions; i++)
        tender_tenders_v1_Tender_free(&td->versions[i]);
    free(td->versions);
    tender_tenders_v1_ListQuestionsResponse_free(&td->questions);
    for (size_t i = 0; i < td->n_events; i++)
        tender_events_v1_Event_free(&td->events[i]);
    free(td->events);
    if (td->have_opening)
        tender_bids_v1_OpeningRecord_free(&td->opening);
    ocds_awards_free(td);
}

static int oom(void)
{
    ctl_err("export ocds: out of memory");
    return CTL_EXIT_FAIL;
}

/* The tender's events worth a release, in log order. */
static int fetch_events(const ocds_ctx *x, ocds_tender *td)
{
    tender_log_v1_LeavesRequest req = {.tender_id = (char *)td->id};
    tnd_call_opts o = {.timeout_ms = x->g->timeout_given ? x->g->timeout_ms : TND_NO_DEADLINE};
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(x->c, tender_log_v1_Log_GetLeaves_method, &req, &o, &s, &st) != 0)
        return ctl_status_fail(&st);
    tender_log_v1_Leaf leaf;
    size_t cap = 0;
    int rc = 0;
    while (tnd_client_stream_next(s, &leaf, &st) == 1) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        tender_tenders_v1_TenderStatus ignored = tender_tenders_v1_TenderStatus_ACTIVE;
        if (rc == 0 &&
            tender_events_v1_Event_decode(&ev, leaf.data.data, leaf.data.len, NULL) != 0) {
            ctl_err("export ocds: leaf %llu is not an event", (unsigned long long)leaf.index);
            rc = CTL_EXIT_VERIFY;
        } else if (rc == 0 && ev.seq != leaf.index) {
            ctl_err("export ocds: leaf %llu holds event %llu", (unsigned long long)leaf.index,
                    (unsigned long long)ev.seq);
            rc = CTL_EXIT_VERIFY;
        } else if (rc == 0 && ev.tender_id && strcmp(ev.tender_id, td->id) == 0 &&
                   event_tag(ev.kind, &ignored)) {
            if (td->n_events == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                void *p = realloc(td->events, ncap * sizeof *td->events);
                if (!p) {
                    rc = oom();
                    tender_events_v1_Event_free(&ev);
                    tender_log_v1_Leaf_free(&leaf);
                    continue;
                }
                td->events = p;
                cap = ncap;
            }
            if (ev.kind == tender_events_v1_EventKind_BIDS_OPENED && !td->opened) {
                td->opened = true;
                td->opened_seq = ev.seq;
            }
            td->events[td->n_events++] = ev;
            tender_log_v1_Leaf_free(&leaf);
            continue;
        }
        tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&leaf);
    }
    tnd_client_stream_close(s);
    if (rc == 0 && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    return rc;
}

/* Fetch everything about tender latest (taken over) and add its releases. */
static int export_tender(ocds_ctx *x, tender_tenders_v1_Tender *latest)
{
    ocds_tender td = {.id = latest->id};
    tender_tenders_v1_ListQuestionsResponse_init(&td.questions);
    int rc = 0;
    if (!latest->id || latest->version < 1 || !status_ocds(latest->status)) {
        tender_tenders_v1_Tender_free(latest);
        return 0; /* a draft: never exported */
    }
    snprintf(td.ocid, sizeof td.ocid, "%s-%s", x->prefix, latest->id);
    if (!(td.versions = calloc(latest->version, sizeof *td.versions))) {
        tender_tenders_v1_Tender_free(latest);
        return oom();
    }
    td.n_versions = latest->version;
    td.versions[latest->version - 1] = *latest;
    td.id = td.versions[latest->version - 1].id;
    for (uint32_t v = 1; rc == 0 && v < latest->version; v++)
        if ((rc = ctl_tender_get(x->c, td.id, v, &td.versions[v - 1])) != 0)
            td.n_versions = v - 1; /* free only the ones fetched ... */
    if (rc != 0) {
        /* ... and the latest */
        tender_tenders_v1_Tender_free(&td.versions[latest->version - 1]);
        goto out;
    }
    tnd_status_info st;
    if (tnd_questions_fetch(x->c, td.id, &td.questions, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out;
    }
    if ((rc = fetch_events(x, &td)) != 0)
        goto out;
    if (td.opened) {
        if (tnd_opening_fetch(x->c, td.id, &td.opening, &st) != 0) {
            rc = ctl_status_fail(&st);
            goto out;
        }
        td.have_opening = true;
    }
    if ((rc = ocds_fetch_awards(x->c, &td)) != 0)
        goto out;
    for (size_t i = 0; i < td.n_events; i++) {
        const tender_events_v1_Event *ev = &td.events[i];
        tender_tenders_v1_TenderStatus s = tender_tenders_v1_TenderStatus_ACTIVE;
        const char *tag = event_tag(ev->kind, &s);
        if (x->have_since &&
            !time_le(&(tender_common_v1_Timestamp){.seconds = x->since_s, .nanos = x->since_ns},
                     ev->time))
            continue;
        json_array_append_new(x->releases, release_json(&td, ev, tag, s));
    }
out:
    tender_data_free(&td);
    return rc;
}

static int export_all(ocds_ctx *x)
{
    tender_tenders_v1_ListTendersRequest q = {.page_size = 500};
    char cursor[300];
    for (;;) {
        tender_tenders_v1_ListTendersResponse r;
        tnd_status_info st;
        if (tnd_client_unary(x->c, tender_tenders_v1_Tenders_List_method, &q, &r, NULL, &st) != 0)
            return ctl_status_fail(&st);
        int rc = 0;
        for (size_t i = 0; i < r.n_tenders; i++) {
            if (rc == 0) {
                rc = export_tender(x, &r.tenders[i]);
                tender_tenders_v1_Tender_init(&r.tenders[i]);
            }
        }
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tender_tenders_v1_ListTendersResponse_free(&r);
        if (rc != 0)
            return rc;
        if (!*cursor)
            return 0;
        q.cursor = cursor;
    }
}

/* ---- the command ---- */

static json_t *package_json(const ocds_ctx *x, const char *uri, const char *publisher)
{
    json_t *p = json_object(), *pub = json_object(), *ext = json_array();
    char now[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ocds_set_str(p, "uri", uri);
    ocds_set_str(p, "version", "1.1");
    ocds_set_str(p, "publishedDate", ctl_time_text(ts.tv_sec, 0, now, sizeof now));
    ocds_set_str(pub, "name", publisher);
    json_object_set_new(p, "publisher", pub);
    json_array_append_new(ext, json_string(OCDS_BIDS_EXT));
    json_array_append_new(ext, json_string(OCDS_ENQUIRY_EXT));
    json_object_set_new(p, "extensions", ext);
    json_object_set(p, "releases", x->releases);
    return p;
}

static int ocds(ctl_global *g, int argc, char **argv)
{
    const char *tender = NULL, *since = NULL, *output = NULL, *prefix = "ocds-tndrd",
               *publisher = "tenderd", *uri = NULL, *pos[1];
    const ctl_opt opts[] = {{.name = "--tender", .value = &tender},
                            {.name = "--since", .value = &since},
                            {.name = "--output", .value = &output},
                            {.name = "--ocid-prefix", .value = &prefix},
                            {.name = "--publisher", .value = &publisher},
                            {.name = "--uri", .value = &uri},
                            {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "export ocds", ocds_usage, opts, pos, 0, &n_pos);
    if (rc >= 0)
        return rc;
    ocds_ctx x = {.g = g, .prefix = prefix};
    char err[200], uri_buf[300];
    if (since) {
        if (ctl_parse_time(since, &x.since_s, &x.since_ns, err, sizeof err) != 0) {
            ctl_err("export ocds: --since %s", err);
            return CTL_EXIT_USAGE;
        }
        x.have_since = true;
    }
    if (!*prefix || strchr(prefix, '#') || !*publisher || (tender && !*tender) ||
        (output && !*output) || (uri && !*uri)) {
        ctl_err("export ocds: --tender, --output, --ocid-prefix, --publisher and --uri take a "
                "non-empty value (and no # in the prefix)");
        return CTL_EXIT_USAGE;
    }
    if (!uri) {
        snprintf(uri_buf, sizeof uri_buf, "urn:tenderd:%s:ocds",
                 g->server ? g->server : "127.0.0.1:7443");
        uri = uri_buf;
    }
    if ((rc = ctl_connect(g, &x.c)) != 0)
        return rc;
    if (!(x.releases = json_array())) {
        rc = oom();
        goto out;
    }
    if (tender) {
        tender_tenders_v1_Tender t;
        if ((rc = ctl_tender_get(x.c, tender, 0, &t)) == 0)
            rc = export_tender(&x, &t);
    } else {
        rc = export_all(&x);
    }
    if (rc != 0)
        goto out;
    if (json_array_size(x.releases) == 0) {
        ctl_err("export ocds: no release to export%s", since ? " since then" : "");
        rc = CTL_EXIT_FAIL;
        goto out;
    }
    json_t *pkg = package_json(&x, uri, publisher);
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
    if (!pkg) {
        rc = oom();
    } else if (output) {
        char *text = json_dumps(pkg, flags);
        if (!text) {
            rc = oom();
        } else {
            size_t len = strlen(text);
            text[len] = '\n'; /* overwrite the NUL: written by length */
            rc = ctl_file_write(output, text, len + 1, 0644, true);
            free(text);
        }
    } else if (json_dumpf(pkg, stdout, flags) != 0 || fputc('\n', stdout) == EOF ||
               fflush(stdout) != 0) {
        ctl_err("export ocds: writing stdout: %s", strerror(errno));
        rc = CTL_EXIT_FAIL;
    }
    json_decref(pkg);
out:
    json_decref(x.releases);
    tnd_client_free(x.c);
    return rc;
}

int cmd_export(ctl_global *g, int argc, char **argv)
{
    static const ctl_sub subs[] = {{"ocds", ocds}};
    return ctl_subcommand(g, argc, argv, "export", export_usage, subs, sizeof subs / sizeof *subs);
}
