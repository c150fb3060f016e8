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

/** tender.awardCriteria ("priceOnly" or "ratedCriteria") and, for weighted
 * criteria, awardCriteriaDetails listing them with their weights. */
void ocds_award_criteria(json_t *tender, const tender_tenders_v1_TenderFields *f);

/** The release's awards[] as they stood at event ev (NULL when none was
 * recorded by then); each winner's supplier becomes a party with role
 * "supplier". */
json_t *ocds_awards(const tnd_ocds_tender *td, const tender_events_v1_Event *ev, json_t *parties);

#endif
