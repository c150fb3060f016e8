/* Internals of the OCDS builder shared by ocds.c (the releases) and
 * ocds_award.c (their award part). */
#ifndef TND_COMMON_OCDS_INTERNAL_H
#define TND_COMMON_OCDS_INTERNAL_H

#include "ocds.h"

/** Set key to the string s unless s is NULL or empty. */
void ocds_set_str(json_t *o, const char *key, const char *s);

/** Set key to the RFC 3339 text of t unless t is NULL. */
void ocds_set_time(json_t *o, const char *key, const tender_common_v1_Timestamp *t);

/** {amount, currency}, the amount in the currency's units. */
json_t *ocds_money(const tender_common_v1_Money *m);

/** An OrganizationReference {id, name} named id. */
json_t *ocds_org_ref(const char *id);

/** Add role to the party id in parties (made when missing). */
void ocds_party_role(json_t *parties, const char *id, const char *role);

/** Is v a string equal to s? */
bool ocds_str_eq(const json_t *v, const char *s);

/** bid's tenderers [org], org a party with role "tenderer" and in
 * tenderers once; nothing when org is empty. */
void ocds_tenderer(json_t *parties, json_t *tenderers, json_t *bid, const char *org);

/** o.awardCriteria ("priceOnly" or "ratedCriteria") and, for weighted
 * criteria, awardCriteriaDetails listing them with their weights; o is the
 * tender or one of its lots. */
void ocds_award_criteria(json_t *o, tender_tenders_v1_AwardCriteria kind,
                         const tender_tenders_v1_AwardCriterion *criteria, size_t n_criteria);

/* ---- lots and items (ocds_lots.c) ---- */

/** Has the tender lots (in its latest version; an amendment never drops
 * them all)? */
bool ocds_has_lots(const tnd_ocds_tender *td);

/** The id of bid's detail for lot: "<bid>/<lot>". */
void ocds_lot_bid_id(char *buf, size_t len, const char *bid, const char *lot);

/** tender.items from the fields' items. */
json_t *ocds_items(const tender_tenders_v1_TenderFields *f);

/** tender.lots of version t (which has lots) as they stood at event ev; the
 * tender's awardCriteria becomes the lots' when they agree (else none). */
void ocds_lots(const tnd_ocds_tender *td, const tender_tenders_v1_Tender *t,
               const tender_events_v1_Event *ev, json_t *tender);

/** bids (bids and lots extensions) of a tender with lots: one detail per
 * bid and lot; statistics for the tender and per lot of t. */
json_t *ocds_lot_bids(const tnd_ocds_tender *td, const tender_tenders_v1_Tender *t, json_t *parties,
                      json_t *tenderers);

/** Do releases use the lots extension (a tender with lots) or the location
 * extension (an item with a deliveryLocation)? */
void ocds_uses(const json_t *releases, bool *lots, bool *location);

/** The release's awards[] as they stood at event ev (NULL when none was
 * recorded by then); each winner's supplier becomes a party with role
 * "supplier". */
json_t *ocds_awards(const tnd_ocds_tender *td, const tender_events_v1_Event *ev, json_t *parties);

#endif
