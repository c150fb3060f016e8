/* Internals of tenderctl export ocds: what is fetched about one tender and
 * the small JSON builders (cmd_export.c), and the award part of each
 * release (ocds_award.c). */
#ifndef TND_CTL_OCDS_H
#define TND_CTL_OCDS_H

#include <jansson.h>

#include "tender_cmd.h"

/* Everything public about one tender. */
typedef struct ocds_tender {
    const char *id;
    char ocid[200];
    tender_tenders_v1_Tender *versions; /* [0] is version 1 */
    size_t n_versions;
    tender_tenders_v1_ListQuestionsResponse questions;
    tender_events_v1_Event *events; /* the events worth a release, in log order */
    size_t n_events;
    tender_bids_v1_OpeningRecord opening; /* fetched only when the log has BIDS_OPENED */
    bool opened;                          /* the log has BIDS_OPENED, at opened_seq */
    bool have_opening;
    uint64_t opened_seq;
    tender_awards_v1_Award *awards; /* every decision the events name, as it stands now */
    size_t n_awards;
} ocds_tender;

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

/** Fetch (Awards/GetById) every award decision the tender's events name.
 * Returns 0 or an exit code (message printed). */
int ocds_fetch_awards(tnd_client *c, ocds_tender *td);

void ocds_awards_free(ocds_tender *td);

/** tender.awardCriteria ("priceOnly" or "ratedCriteria") and, for weighted
 * criteria, awardCriteriaDetails listing them with their weights. */
void ocds_award_criteria(json_t *tender, const tender_tenders_v1_TenderFields *f);

/** The release's awards[] as they stood at event ev (NULL when none was
 * recorded by then); each winner's supplier becomes a party with role
 * "supplier". */
json_t *ocds_awards(const ocds_tender *td, const tender_events_v1_Event *ev, json_t *parties);

#endif
