/* tenderctl tender create/edit/amend --award-criteria and --criterion: the
 * award criteria a tender publishes (lowest price, or weighted criteria
 * with weights in percent), and how `tender show` prints them. The server
 * checks the weights (tnd_award_criteria_check); this file checks only the
 * form of each flag. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tender_cmd.h"

/* "NAME:WEIGHT", split at the last colon; WEIGHT a whole 1..100. */
static int parse_criterion(const char *cmd, tnd_arena *arena, const char *v,
                           tender_tenders_v1_AwardCriterion *c)
{
    const char *colon = strrchr(v, ':');
    char *end;
    errno = 0;
    unsigned long w = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || colon == v || !colon[1] || errno || *end || colon[1] == '-' || w < 1 || w > 100) {
        ctl_err("%s: --criterion %s: expected NAME:WEIGHT, WEIGHT in percent (1 to 100), for "
                "example price:60",
                cmd, v);
        return CTL_EXIT_USAGE;
    }
    c->name = tnd_arena_strndup(arena, v, (size_t)(colon - v));
    c->weight = (uint32_t)w;
    if (!c->name) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    return 0;
}

int ctl_criteria_apply(const char *cmd, tnd_arena *arena, const char *method,
                       const char *const *crit, size_t n, tender_tenders_v1_TenderFields *f)
{
    if (method && strcmp(method, "lowest-price") == 0) {
        if (n) {
            ctl_err("%s: --criterion goes with --award-criteria weighted (a lowest-price award "
                    "has no criteria)",
                    cmd);
            return CTL_EXIT_USAGE;
        }
        f->award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
        f->criteria = NULL; /* the arena's: nothing to free */
        f->n_criteria = 0;
        return 0;
    }
    if (method && strcmp(method, "weighted") != 0) {
        ctl_err("%s: --award-criteria %s: use lowest-price or weighted", cmd, method);
        return CTL_EXIT_USAGE;
    }
    if (!method && !n)
        return 0;
    /* weighted, or --criterion alone: the criteria given replace the old ones. */
    if (!n && f->award_criteria != tender_tenders_v1_AwardCriteria_WEIGHTED) {
        ctl_err("%s: --award-criteria weighted needs its criteria: --criterion NAME:WEIGHT for "
                "each (weights in percent, adding up to 100)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    f->award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED;
    if (!n)
        return 0;
    tender_tenders_v1_AwardCriterion *list = tnd_arena_calloc(arena, n, sizeof *list);
    if (!list) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_criterion(cmd, arena, crit[i], &list[i]);
        if (rc)
            return rc;
    }
    f->criteria = list;
    f->n_criteria = n;
    return 0;
}

void ctl_criteria_print(const tender_tenders_v1_TenderFields *f)
{
    if (f->award_criteria != tender_tenders_v1_AwardCriteria_WEIGHTED) {
        printf("award criteria:       lowest price\n");
        return;
    }
    printf("award criteria:       weighted:");
    for (size_t i = 0; i < f->n_criteria; i++)
        printf("%s %s %u%%", i ? "," : "", f->criteria[i].name ? f->criteria[i].name : "-",
               f->criteria[i].weight);
    printf("\n");
}
