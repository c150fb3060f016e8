/* The OCDS release builder (ocds.h): one release per event of a tender's
 * log worth one, each describing the tender as it stood at that event. The
 * award part is in ocds_award.c. */
#include <stdlib.h>
#include <string.h>

#include "ocds_internal.h"
#include "tender/cancel.h"
#include "tender/currency.h"
#include "json/msg_json.h"

#define OCDS_BIDS_EXT                                                                              \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/"     \
    "extension.json"
#define OCDS_ENQUIRY_EXT                                                                           \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/"        \
    "v1.1.5/extension.json"
/* Declared only by a package whose releases use them (ocds_lots.c), so a
 * package without lots or items is as it was before they existed. */
#define OCDS_LOTS_EXT                                                                              \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/"    \
    "extension.json"
#define OCDS_LOCATION_EXT                                                                          \
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_location_extension/"       \
    "v1.1.5/extension.json"

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
                            json_string(tnd_json_time_text(t->seconds, t->nanos, buf, sizeof buf)));
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
    int exp = tnd_currency_exp(m->currency);
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

bool ocds_str_eq(const json_t *v, const char *s)
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
        if (ocds_str_eq(json_object_get(p, "id"), id)) {
            json_t *roles = json_object_get(p, "roles");
            json_t *r;
            size_t k;
            json_array_foreach(roles, k, r)
            {
                if (ocds_str_eq(r, role))
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
    case tender_events_v1_EventKind_TENDER_RESUMED:   /* a complaint's suspension ended: too */
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
    /* One lot's change: the tender goes on (OCDS "active" whatever our
     * status, ACTIVE to AWARDED); the lot's own status is in tender.lots. */
    case tender_events_v1_EventKind_LOT_CANCELLED:
    case tender_events_v1_EventKind_LOT_COMPLETED:
    case tender_events_v1_EventKind_LOT_UNSUCCESSFUL:
        *st = tender_tenders_v1_TenderStatus_ACTIVE;
        return "tenderUpdate";
    default:
        return NULL;
    }
}

/* The second tag of an event that changes both the tender and its award:
 * completion makes the award active, an unsuccessful decision is one. */
static const char *event_award_tag(tender_events_v1_EventKind k)
{
    if (k == tender_events_v1_EventKind_TENDER_COMPLETED ||
        k == tender_events_v1_EventKind_LOT_COMPLETED)
        return "awardUpdate";
    if (k == tender_events_v1_EventKind_TENDER_UNSUCCESSFUL ||
        k == tender_events_v1_EventKind_LOT_UNSUCCESSFUL)
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

static void release_id(const tnd_ocds_tender *td, uint64_t seq, char *buf, size_t len)
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
static json_t *amendments_json(const tnd_ocds_tender *td, const tender_events_v1_Event *ev)
{
    json_t *a = json_array();
    char id[256], rel[256], prev[256] = "";
    for (size_t i = 0; i < td->n_events && td->events[i].seq <= ev->seq; i++) {
        const tender_events_v1_Event *e = &td->events[i];
        bool amends = e->kind == tender_events_v1_EventKind_TENDER_AMENDED ||
                      e->kind == tender_events_v1_EventKind_TENDER_POSTPONED ||
                      e->kind == tender_events_v1_EventKind_TENDER_RESUMED;
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
static json_t *enquiries_json(const tnd_ocds_tender *td, const tender_events_v1_Event *ev)
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

void ocds_tenderer(json_t *parties, json_t *tenderers, json_t *bid, const char *org)
{
    if (!org || !*org)
        return;
    json_t *t = json_array();
    json_array_append_new(t, ocds_org_ref(org));
    json_object_set_new(bid, "tenderers", t);
    ocds_party_role(parties, org, "tenderer");
    size_t k;
    json_t *r;
    json_array_foreach(tenderers, k, r)
    {
        if (ocds_str_eq(json_object_get(r, "id"), org))
            return;
    }
    json_array_append_new(tenderers, ocds_org_ref(org));
}

/* bids (bids extension) from the opening record; suppliers into parties
 * and tenderers. */
static json_t *bids_json(const tnd_ocds_tender *td, json_t *parties, json_t *tenderers)
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
            ocds_tenderer(parties, tenderers, b, o->supplier_org);
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

static json_t *tender_json(const tnd_ocds_tender *td, const tender_tenders_v1_Tender *t,
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
    ocds_award_criteria(o, f->award_criteria, f->criteria, f->n_criteria);
    if (f->estimated_value)
        json_object_set_new(o, "value", ocds_money(f->estimated_value));
    /* Published from version 1's publication on. */
    const tender_common_v1_Timestamp *pub = td->versions[0].published;
    json_object_set_new(o, "tenderPeriod", period(pub, f->submission_deadline));
    if (f->enquiry_deadline)
        json_object_set_new(o, "enquiryPeriod", period(pub, f->enquiry_deadline));
    if (f->n_items) {
        json_object_set_new(o, "items", ocds_items(f));
    } else if (f->classification && f->classification->code && *f->classification->code) {
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
    /* The code's text before the reason; a tender cancelled before the
     * codelist is exported as it was then. */
    if (st == tender_tenders_v1_TenderStatus_CANCELLED && tnd_cancel_code_valid(t->cancel_code)) {
        char *text = NULL;
        if (asprintf(&text, "%s: %s", tnd_cancel_code_text(t->cancel_code),
                     t->cancel_reason ? t->cancel_reason : "") >= 0)
            ocds_set_str(o, "statusDetails", text);
        free(text);
    } else if (st == tender_tenders_v1_TenderStatus_CANCELLED && t->cancel_reason &&
               *t->cancel_reason)
        ocds_set_str(o, "statusDetails", t->cancel_reason);
    else if (st == tender_tenders_v1_TenderStatus_CANCELLED)
        ocds_set_str(o, "statusDetails", ev->note);
    return o;
}

static json_t *release_json(const tnd_ocds_tender *td, const tender_events_v1_Event *ev,
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
    if (t->fields && t->fields->n_lots)
        ocds_lots(td, t, ev, tender);
    if (td->have_opening && ev->seq >= td->opened_seq) {
        json_t *tenderers = json_array();
        json_t *bids = ocds_has_lots(td) ? ocds_lot_bids(td, t, parties, tenderers)
                                         : bids_json(td, parties, tenderers);
        if (!bids) { /* out of memory */
            json_decref(tenderers);
            json_decref(tender);
            json_decref(r);
            return NULL;
        }
        json_object_set_new(r, "bids", bids);
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

/* ---- the record and the package ---- */

bool tnd_ocds_public(tender_tenders_v1_TenderStatus s)
{
    return status_ocds(s) != NULL;
}

void tnd_ocds_set_ocid(tnd_ocds_tender *td, const char *prefix, const char *id)
{
    snprintf(td->ocid, sizeof td->ocid, "%s-%s", prefix, id);
}

int tnd_ocds_take_event(tnd_ocds_tender *td, tender_events_v1_Event *ev)
{
    tender_tenders_v1_TenderStatus ignored;
    if (!ev->tender_id || !td->id || strcmp(ev->tender_id, td->id) != 0 ||
        !event_tag(ev->kind, &ignored))
        return 0;
    /* Grown by doubling: n_events is a power of two when full. */
    size_t n = td->n_events;
    if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
        void *p = realloc(td->events, (n ? 2 * n : 16) * sizeof *td->events);
        if (!p)
            return -1;
        td->events = p;
    }
    if (ev->kind == tender_events_v1_EventKind_BIDS_OPENED && !td->opened) {
        td->opened = true;
        td->opened_seq = ev->seq;
    }
    td->events[td->n_events++] = *ev;
    return 1;
}

void tnd_ocds_tender_free(tnd_ocds_tender *td)
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
    for (size_t i = 0; i < td->n_awards; i++)
        tender_awards_v1_Award_free(&td->awards[i]);
    free(td->awards);
    memset(td, 0, sizeof *td);
}

int tnd_ocds_releases(const tnd_ocds_tender *td, const tender_common_v1_Timestamp *since,
                      json_t *releases)
{
    if (td->n_versions == 0)
        return 0;
    for (size_t i = 0; i < td->n_events; i++) {
        const tender_events_v1_Event *ev = &td->events[i];
        tender_tenders_v1_TenderStatus s = tender_tenders_v1_TenderStatus_ACTIVE;
        const char *tag = event_tag(ev->kind, &s);
        if (since && !time_le(since, ev->time))
            continue;
        json_t *r = release_json(td, ev, tag, s);
        if (!r || json_array_append_new(releases, r) != 0)
            return -1;
    }
    return 0;
}

json_t *tnd_ocds_package(json_t *releases, const char *uri, const char *publisher,
                         int64_t published)
{
    json_t *p = json_object(), *pub = json_object(), *ext = json_array();
    char now[64];
    if (!p || !pub || !ext) {
        json_decref(p);
        json_decref(pub);
        json_decref(ext);
        return NULL;
    }
    ocds_set_str(p, "uri", uri);
    ocds_set_str(p, "version", "1.1");
    ocds_set_str(p, "publishedDate", tnd_json_time_text(published, 0, now, sizeof now));
    ocds_set_str(pub, "name", publisher);
    json_object_set_new(p, "publisher", pub);
    json_array_append_new(ext, json_string(OCDS_BIDS_EXT));
    json_array_append_new(ext, json_string(OCDS_ENQUIRY_EXT));
    bool lots, location;
    ocds_uses(releases, &lots, &location);
    if (lots)
        json_array_append_new(ext, json_string(OCDS_LOTS_EXT));
    if (location)
        json_array_append_new(ext, json_string(OCDS_LOCATION_EXT));
    json_object_set_new(p, "extensions", ext);
    json_object_set(p, "releases", releases);
    return p;
}
