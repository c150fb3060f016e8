/* Weighted awards: the criteria and weights a tender publishes, and a bid's
 * weighted total from its points per criterion (tender/award.h). */
#include <stdio.h>
#include <string.h>

#include "tender/award.h"
#include "tender/status.h"

#define ARG TND_STATUS_INVALID_ARGUMENT
#define PRE TND_STATUS_FAILED_PRECONDITION

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int bad(char *msg, size_t len, const char *text)
{
    if (msg && len)
        snprintf(msg, len, "%s", text);
    return TND_EINVAL;
}

int tnd_award_criteria_check(const tender_tenders_v1_TenderFields *f, char *msg, size_t len)
{
    char m[200];
    if (!f)
        return bad(msg, len, "fields: required");
    int ac = f->award_criteria;
    if (ac != tender_tenders_v1_AwardCriteria_AWARD_CRITERIA_UNSPECIFIED &&
        ac != tender_tenders_v1_AwardCriteria_LOWEST_PRICE &&
        ac != tender_tenders_v1_AwardCriteria_WEIGHTED) {
        snprintf(m, sizeof m, "fields.award_criteria: unknown value %d (LOWEST_PRICE or WEIGHTED)",
                 ac);
        return bad(msg, len, m);
    }
    if (ac != tender_tenders_v1_AwardCriteria_WEIGHTED) {
        if (f->n_criteria)
            return bad(msg, len,
                       "fields.criteria: only a weighted award publishes criteria; set "
                       "award_criteria to WEIGHTED or leave the criteria out");
        return 0;
    }
    if (f->n_criteria == 0)
        return bad(msg, len,
                   "fields.criteria: a weighted award publishes its criteria and their weights "
                   "in percent (for example price 60, quality 40)");
    unsigned sum = 0;
    for (size_t i = 0; i < f->n_criteria; i++) {
        const tender_tenders_v1_AwardCriterion *c = &f->criteria[i];
        if (blank(c->name) || has_control(c->name)) {
            snprintf(m, sizeof m, "fields.criteria[%zu].name: required, printable text", i);
            return bad(msg, len, m);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->criteria[j].name, c->name) == 0) {
                snprintf(m, sizeof m, "fields.criteria: \"%.64s\" is named twice", c->name);
                return bad(msg, len, m);
            }
        if (c->weight < 1 || c->weight > 100) {
            snprintf(m, sizeof m, "fields.criteria[%zu].weight: %u; a weight is 1..100 percent", i,
                     c->weight);
            return bad(msg, len, m);
        }
        sum += c->weight;
    }
    if (sum != 100) {
        snprintf(m, sizeof m,
                 "fields.criteria: the weights add up to %u%%; they must add up to 100", sum);
        return bad(msg, len, m);
    }
    return 0;
}

/* The points e gives criterion name, or NULL. */
static const tender_awards_v1_CriterionScore *score_of(const tender_awards_v1_BidEvaluation *e,
                                                       const char *name)
{
    for (size_t i = 0; i < e->n_scores; i++)
        if (e->scores[i].criterion && strcmp(e->scores[i].criterion, name) == 0)
            return &e->scores[i];
    return NULL;
}

#define BAD(code, ...) (*status = (code), snprintf(msg, msg ? len : 0, __VA_ARGS__), TND_EINVAL)

int tnd_award_weighted_total(const tender_awards_v1_BidEvaluation *e,
                             const tender_tenders_v1_TenderFields *f, uint32_t *total, int *status,
                             char *msg, size_t len)
{
    if (!e || !f || !total || !status)
        return TND_EINVAL;
    const char *bid = e->bid_id ? e->bid_id : "";
    *total = 0;
    char why[200];
    if (f->award_criteria != tender_tenders_v1_AwardCriteria_WEIGHTED)
        return BAD(PRE, "the tender publishes no weighted criteria");
    /* The weights bound the total: check them even if the server did. */
    if (tnd_award_criteria_check(f, why, sizeof why) != 0)
        return BAD(PRE, "the tender's published criteria are not valid: %s", why);
    /* Every score names a published criterion, once, with 0..100 points. */
    for (size_t i = 0; i < e->n_scores; i++) {
        const tender_awards_v1_CriterionScore *s = &e->scores[i];
        const char *name = s->criterion ? s->criterion : "";
        size_t k = 0;
        while (k < f->n_criteria && strcmp(f->criteria[k].name, name) != 0)
            k++;
        if (k == f->n_criteria)
            return BAD(PRE,
                       "bid %s: score for \"%.64s\", which is not a published criterion of "
                       "the tender",
                       bid, name);
        if (score_of(e, name) != s)
            return BAD(ARG, "bid %s: criterion \"%.64s\" is scored twice", bid, name);
        if (s->points > 100)
            return BAD(ARG, "bid %s: %u points on \"%.64s\"; points are 0..100", bid, s->points,
                       name);
    }
    /* Exact: points (<= 100) times weights (adding up to 100) stay below
     * 10,001, the total in hundredths of a point. */
    uint32_t sum = 0;
    for (size_t k = 0; k < f->n_criteria; k++) {
        const tender_awards_v1_CriterionScore *s = score_of(e, f->criteria[k].name);
        if (!s)
            return BAD(PRE, "bid %s: no score for published criterion \"%.64s\"", bid,
                       f->criteria[k].name);
        sum += s->points * f->criteria[k].weight;
    }
    *total = sum;
    *status = TND_STATUS_OK;
    return 0;
}
