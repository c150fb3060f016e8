/* tenderctl award: record the buyer's award decision for an opened tender
 * (signed here with the officer's certificate key, docs/AWARDS.md), show
 * it, cancel it during the standstill, or record the tender as
 * unsuccessful. The evaluation is built from the opening record: each valid
 * bid with its price as opened, bids that failed at the opening
 * disqualified with the failure, and the officer's --disqualify and --score
 * (points per published criterion, for weighted awards) on top. The server
 * checks the decision against the record and the tender's criteria.
 * A tender with lots is awarded lot by lot (--lot): the evaluation is then
 * of the bids that answered the lot, at their price for it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli/ctl.h"
#include "commands.h"
#include "tender/award.h"
#include "tender/cancel.h"
#include "tender/pages.h"
#include "tender_schema.h"

#define MAX_MARKS 4096

/* Sign the codec encoding of the decision, byte for byte. */
static int sign_decision(const tender_awards_v1_Decision *d, EVP_PKEY *k, uint8_t sig[64])
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (tnd_msg_encode(&tender_awards_v1_Decision_desc, d, &buf, &len, NULL) != 0)
        return -1;
    int rc = ctl_sign(k, buf, len, sig);
    free(buf);
    return rc;
}

/* "BID:TEXT" marks: the text after the first colon for bid, or NULL. */
static const char *mark_for(const char **marks, size_t n, const char *bid)
{
    size_t bl = strlen(bid);
    for (size_t i = 0; i < n; i++)
        if (strncmp(marks[i], bid, bl) == 0 && marks[i][bl] == ':')
            return marks[i] + bl + 1;
    return NULL;
}

/* Bid o's line for lot in the opening record, or NULL; of a lot priced
 * twice, the first invalid line (as tnd_award_check takes it). */
static const tender_bids_v1_OpenedLot *lot_line(const tender_bids_v1_OpenedBid *o, const char *lot)
{
    const tender_bids_v1_OpenedLot *l = NULL;
    for (size_t j = 0; lot && j < o->n_lots; j++)
        if (o->lots[j].lot_id && strcmp(o->lots[j].lot_id, lot) == 0 &&
            (!l || (l->valid && !o->lots[j].valid)))
            l = &o->lots[j];
    return l;
}

/* Bid o takes part in the decision: every bid without lots, those that
 * answered the lot with lots. */
static bool in_decision(const tender_bids_v1_OpenedBid *o, const char *lot)
{
    return !lot || lot_line(o, lot);
}

static int check_marks(const char *cmd, const char *opt, const char **marks, size_t n,
                       const tender_bids_v1_OpeningRecord *rec, const char *lot)
{
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(marks[i], ':');
        bool known = false;
        for (size_t b = 0; colon && b < rec->n_bids && !known; b++)
            known = rec->bids[b].bid_id && in_decision(&rec->bids[b], lot) &&
                    strlen(rec->bids[b].bid_id) == (size_t)(colon - marks[i]) &&
                    strncmp(rec->bids[b].bid_id, marks[i], (size_t)(colon - marks[i])) == 0;
        bool score = strcmp(opt, "--score") == 0;
        const char *eq = colon ? strrchr(colon, '=') : NULL;
        if (!colon || !colon[1] || (score && (!eq || eq == colon + 1 || !eq[1]))) {
            ctl_err("%s: %s %s: expected BID:%s", cmd, opt, marks[i],
                    score ? "CRITERION=POINTS" : "REASON");
            return CTL_EXIT_USAGE;
        }
        if (!known && lot) {
            ctl_err("%s: %s %s: no bid of the opening record of %s answered lot %s", cmd, opt,
                    marks[i], rec->tender_id ? rec->tender_id : "the tender", lot);
            return CTL_EXIT_USAGE;
        }
        if (!known) {
            ctl_err("%s: %s %s: no such bid in the opening record of %s", cmd, opt, marks[i],
                    rec->tender_id ? rec->tender_id : "the tender");
            return CTL_EXIT_USAGE;
        }
    }
    return 0;
}

/* The --score marks of bid as CriterionScores: "BID:CRITERION=POINTS",
 * the criterion between the first colon and the last '=', in arena. */
static int scores_for(const char *cmd, tnd_arena *arena, const char **sc, size_t n_sc,
                      const char *bid, tender_awards_v1_BidEvaluation *e)
{
    size_t bl = strlen(bid), n = 0;
    for (size_t i = 0; i < n_sc; i++)
        n += strncmp(sc[i], bid, bl) == 0 && sc[i][bl] == ':';
    if (!n)
        return 0;
    e->scores = tnd_arena_calloc(arena, n, sizeof *e->scores);
    if (!e->scores) {
        ctl_err("%s: out of memory", cmd);
        return CTL_EXIT_FAIL;
    }
    for (size_t i = 0; i < n_sc; i++) {
        if (strncmp(sc[i], bid, bl) != 0 || sc[i][bl] != ':')
            continue;
        const char *name = sc[i] + bl + 1, *eq = strrchr(name, '=');
        char *end;
        unsigned long v = strtoul(eq + 1, &end, 10);
        if (*end || eq[1] == '-' || v > 100) {
            ctl_err("%s: --score %s: POINTS is a whole number from 0 to 100", cmd, sc[i]);
            return CTL_EXIT_USAGE;
        }
        tender_awards_v1_CriterionScore *s = &e->scores[e->n_scores++];
        s->criterion = tnd_arena_strndup(arena, name, (size_t)(eq - name));
        s->points = (uint32_t)v;
        if (!s->criterion) {
            ctl_err("%s: out of memory", cmd);
            return CTL_EXIT_FAIL;
        }
    }
    return 0;
}

/* Evaluate every opened bid into d (with a lot: every bid that answered
 * it, at its price for the lot), in arena (the bids' IDs and prices are
 * the opening record's, which lives there too). */
static int evaluate(const char *cmd, tnd_arena *arena, const tender_bids_v1_OpeningRecord *rec,
                    const char *lot, const char **dq, size_t n_dq, const char **sc, size_t n_sc,
                    tender_awards_v1_Decision *d)
{
    d->evaluations = tnd_arena_calloc(arena, rec->n_bids ? rec->n_bids : 1, sizeof *d->evaluations);
    if (!d->evaluations) {
        ctl_err("%s: out of memory", cmd);
        return CTL_EXIT_FAIL;
    }
    for (size_t i = 0; i < rec->n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &rec->bids[i];
        const tender_bids_v1_OpenedLot *l = lot_line(o, lot);
        if (lot && !l)
            continue;
        tender_awards_v1_BidEvaluation *e = &d->evaluations[d->n_evaluations++];
        e->bid_id = o->bid_id;
        const char *why = mark_for(dq, n_dq, o->bid_id);
        int rc = scores_for(cmd, arena, sc, n_sc, o->bid_id, e);
        if (rc)
            return rc;
        if (why) {
            e->reason = tnd_arena_strdup(arena, why);
        } else if (!o->valid) {
            e->reason = tnd_arena_strdup(arena, o->failure && *o->failure ? o->failure
                                                                          : "could not be opened");
        } else if (l && !l->valid) {
            e->reason = tnd_arena_strdup(arena, l->failure && *l->failure
                                                    ? l->failure
                                                    : "not valid for the lot at the opening");
        } else {
            e->valid = true;
            e->price = l ? l->price : o->price;
        }
    }
    if (tnd_arena_failed(arena)) {
        ctl_err("%s: out of memory", cmd);
        return CTL_EXIT_FAIL;
    }
    return 0;
}

/* "  total 87.50 (price 90, quality 80)" for a weighted award's valid bid;
 * f is the tender's published fields, or NULL when they could not be read. */
static void print_scores(const tender_awards_v1_BidEvaluation *e,
                         const tender_tenders_v1_TenderFields *f)
{
    uint32_t total;
    int st;
    if (f && tnd_award_weighted_total(e, f, &total, &st, NULL, 0) == 0)
        printf("  total %u.%02u", total / 100, total % 100);
    for (size_t k = 0; k < e->n_scores; k++)
        printf("%s%s %u", k ? ", " : " (", e->scores[k].criterion ? e->scores[k].criterion : "-",
               e->scores[k].points);
    printf("%s\n", e->n_scores ? ")" : "");
}

/* The criteria that apply to award a: its lot's with lots (a copy of f
 * with the lot's criteria in place, in *tmp), else f's. */
static const tender_tenders_v1_TenderFields *criteria_of(const tender_awards_v1_Award *a,
                                                         const tender_tenders_v1_TenderFields *f,
                                                         tender_tenders_v1_TenderFields *tmp)
{
    const char *lot = a->decision ? a->decision->lot_id : NULL;
    if (!f || !lot || !*lot)
        return f;
    for (size_t i = 0; i < f->n_lots; i++)
        if (f->lots[i].id && strcmp(f->lots[i].id, lot) == 0) {
            *tmp = *f;
            tmp->award_criteria = f->lots[i].award_criteria;
            tmp->criteria = f->lots[i].criteria;
            tmp->n_criteria = f->lots[i].n_criteria;
            return tmp;
        }
    return NULL;
}

static void print_award(const tender_awards_v1_Award *a, const tender_tenders_v1_TenderFields *f)
{
    char state[32], t[64] = "-", money[64];
    const tender_awards_v1_Decision *d = a->decision;
    tender_tenders_v1_TenderFields lotf;
    f = criteria_of(a, f, &lotf);
    ctl_enum_lower(&tender_awards_v1_AwardState_desc, a->state, state, sizeof state);
    if (d && d->lot_id && *d->lot_id)
        printf("award %s of tender %s, lot %s: %s\n", a->id ? a->id : "-",
               a->tender_id ? a->tender_id : "-", d->lot_id, state);
    else
        printf("award %s of tender %s: %s\n", a->id ? a->id : "-",
               a->tender_id ? a->tender_id : "-", state);
    if (a->recorded)
        ctl_time_text(a->recorded->seconds, a->recorded->nanos, t, sizeof t);
    printf("recorded %s by %s (%s)\n", t, a->officer && a->officer->name ? a->officer->name : "-",
           a->officer && a->officer->organisation ? a->officer->organisation : "-");
    if (a->standstill_end) {
        ctl_time_text(a->standstill_end->seconds, a->standstill_end->nanos, t, sizeof t);
        printf("standstill until %s\n", t);
    }
    if (a->cancel_reason)
        printf("cancelled: %s\n", a->cancel_reason);
    if (a->state == tender_awards_v1_AwardState_CANCELLED)
        printf("cancel code: %s (%s)\n", tnd_cancel_code_name(a->cancel_code),
               tnd_cancel_code_text(a->cancel_code));
    if (!d)
        return;
    char crit[32];
    ctl_enum_lower(&tender_awards_v1_Criterion_desc, d->criterion, crit, sizeof crit);
    printf("winner %s (criterion %s)\nrationale: %s\n",
           d->winner && *d->winner ? d->winner : "none", d->unsuccessful ? "-" : crit,
           d->rationale ? d->rationale : "-");
    for (size_t i = 0; i < d->n_evaluations; i++) {
        const tender_awards_v1_BidEvaluation *e = &d->evaluations[i];
        if (e->valid) {
            printf("  %-34s  valid  %20s", e->bid_id ? e->bid_id : "-",
                   e->price ? ctl_money_text(e->price->minor_units, e->price->currency, money,
                                             sizeof money)
                            : "-");
            print_scores(e, d->criterion == tender_awards_v1_Criterion_WEIGHTED ? f : NULL);
        } else
            printf("  %-34s  disqualified: %s\n", e->bid_id ? e->bid_id : "-",
                   e->reason ? e->reason : "-");
    }
}

/* Print the award; a weighted one's totals need the tender's weights,
 * read with c into the run's arena (a failure only leaves the totals out). */
static int print_result(const ctl_global *g, const ctl_call *call, tnd_client *c,
                        const tender_awards_v1_Award *a)
{
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_awards_v1_Award_desc, a));
        return CTL_EXIT_OK;
    }
    tender_tenders_v1_Tender t;
    tender_tenders_v1_TenderRef ref = {.id = a->tender_id};
    tnd_status_info st;
    bool have = a->decision && a->decision->criterion == tender_awards_v1_Criterion_WEIGHTED &&
                a->tender_id &&
                tender_tenders_v1_Tenders_Get_in(c, call->arena, &ref, &t, NULL, &st) == 0;
    print_award(a, have ? t.fields : NULL);
    return CTL_EXIT_OK;
}

/* Record a decision: an award, or with unsuccessful set, none. */
typedef struct record_opts {
    const char *winner, *criterion, *rationale, *reason, *reason_code, *lot;
    ctl_list dq, sc;
} record_opts;

/* --lot against the tender's lots: required with lots, refused without.
 * f is the tender's published fields (NULL: not read). */
static int check_lot(const char *cmd, const char *tender, const char *lot,
                     const tender_tenders_v1_TenderFields *f)
{
    size_t n = f ? f->n_lots : 0;
    if (!n && lot) {
        ctl_err("%s: tender %s has no lots; leave out --lot", cmd, tender);
        return CTL_EXIT_USAGE;
    }
    for (size_t i = 0; lot && i < n; i++)
        if (f->lots[i].id && strcmp(f->lots[i].id, lot) == 0)
            return 0;
    if (!n)
        return 0;
    char ids[512] = "";
    for (size_t i = 0, at = 0; i < n && at < sizeof ids; i++)
        at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%s", i ? ", " : "",
                               f->lots[i].id ? f->lots[i].id : "-");
    if (lot)
        ctl_err("%s: tender %s has no lot %s (its lots: %s)", cmd, tender, lot, ids);
    else
        ctl_err("%s: tender %s has lots: give --lot LOT (one of %s)", cmd, tender, ids);
    return CTL_EXIT_USAGE;
}

/* The tender's published fields with c into the call's arena, or NULL with
 * the failure's exit code in *rc. */
static const tender_tenders_v1_TenderFields *tender_fields(const ctl_call *call, tnd_client *c,
                                                           const char *id, int *rc)
{
    tender_tenders_v1_Tender t;
    tender_tenders_v1_TenderRef ref = {.id = (char *)id};
    tnd_status_info st;
    *rc = 0;
    if (tender_tenders_v1_Tenders_Get_in(c, call->arena, &ref, &t, NULL, &st) != 0) {
        *rc = ctl_reply_fail(call->arena, &st);
        return NULL;
    }
    static const tender_tenders_v1_TenderFields none;
    return t.fields ? t.fields : &none;
}

static int record(ctl_global *g, const ctl_call *call, const char *cmd, bool unsuccessful)
{
    const record_opts *opt = call->opts;
    const char *winner = opt->winner, *criterion = opt->criterion,
               *rationale = opt->rationale, *const *pos = call->pos;
    const char **dq = opt->dq.v, **sc = opt->sc.v;
    size_t n_dq = opt->dq.n, n_sc = opt->sc.n;
    int n_pos = call->n_pos, rc;
    int crit = tender_awards_v1_Criterion_CRITERION_UNSPECIFIED;
    if (n_pos != 1 || !rationale || !*rationale) {
        ctl_err("%s: give TENDER and --rationale TEXT (see tenderctl award --help)", cmd);
        return CTL_EXIT_USAGE;
    }
    if (!unsuccessful) {
        if (!winner || !criterion) {
            ctl_err("%s: give --winner BID and --criterion lowest-price|weighted", cmd);
            return CTL_EXIT_USAGE;
        }
        if (strcmp(criterion, "lowest-price") == 0)
            crit = tender_awards_v1_Criterion_LOWEST_PRICE;
        else if (strcmp(criterion, "weighted") == 0)
            crit = tender_awards_v1_Criterion_WEIGHTED;
        else {
            ctl_err("%s: --criterion %s: use lowest-price or weighted", cmd, criterion);
            return CTL_EXIT_USAGE;
        }
        if (n_sc && crit != tender_awards_v1_Criterion_WEIGHTED) {
            ctl_err("%s: --score goes with --criterion weighted (points per published "
                    "criterion)",
                    cmd);
            return CTL_EXIT_USAGE;
        }
    } else if (winner || criterion || n_sc) {
        ctl_err("%s: an unsuccessful tender has no winner, criterion or scores", cmd);
        return CTL_EXIT_USAGE;
    }
    EVP_PKEY *key;
    if ((rc = ctl_cert_key(cmd, g, "an officer", &key)) != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        goto out_key;
    tender_bids_v1_OpeningRecord rec;
    tnd_status_info st;
    if (tnd_opening_fetch(c, pos[0], &rec, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out_client;
    }
    tender_awards_v1_Decision d = {.tender_id = ctl_str(call, pos[0]),
                                   .criterion = crit,
                                   .winner = ctl_str(call, winner),
                                   .rationale = ctl_str(call, rationale),
                                   .unsuccessful = unsuccessful,
                                   .lot_id = ctl_str(call, opt->lot)};
    uint8_t sig[64];
    const tender_tenders_v1_TenderFields *f = tender_fields(call, c, pos[0], &rc);
    if (!f || (rc = check_lot(cmd, pos[0], opt->lot, f)) != 0 ||
        (rc = check_marks(cmd, "--disqualify", dq, n_dq, &rec, opt->lot)) != 0 ||
        (rc = check_marks(cmd, "--score", sc, n_sc, &rec, opt->lot)) != 0 ||
        (rc = evaluate(cmd, call->arena, &rec, opt->lot, dq, n_dq, sc, n_sc, &d)) != 0)
        goto out_rec;
    if (sign_decision(&d, key, sig) != 0) {
        ctl_err("%s: cannot sign the decision with %s", cmd, g->key);
        rc = CTL_EXIT_FAIL;
        goto out_rec;
    }
    tender_awards_v1_AwardRequest req = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award a;
    ctl_idem k = {0};
    if (tender_awards_v1_Awards_Record_in(c, call->arena, &req, &a, ctl_idem_next(&k), &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        rc = print_result(g, call, c, &a);
out_rec:
    tender_bids_v1_OpeningRecord_free(&rec);
out_client:
    tnd_client_free(c);
out_key:
    EVP_PKEY_free(key);
    return rc;
}

static int award_record(ctl_global *g, const ctl_call *call)
{
    return record(g, call, "award", false);
}

static int award_unsuccessful(ctl_global *g, const ctl_call *call)
{
    return record(g, call, "award unsuccessful", true);
}

/* A tender with lots, lot by lot in the lots' order: its state, and its
 * latest decision with its standstill's end (Awards/List). --json prints
 * the AwardList. */
static int show_lots(const ctl_global *g, const ctl_call *call, tnd_client *c,
                     const tender_tenders_v1_Tender *t)
{
    tender_tenders_v1_TenderRef ref = {.id = t->id};
    tender_awards_v1_AwardList l;
    tnd_status_info st;
    if (tender_awards_v1_Awards_List_in(c, call->arena, &ref, &l, NULL, &st) != 0)
        return ctl_reply_fail(call->arena, &st);
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_awards_v1_AwardList_desc, &l));
        return CTL_EXIT_OK;
    }
    const tender_tenders_v1_TenderFields *f = t->fields;
    for (size_t i = 0; i < f->n_lots; i++) {
        const char *id = f->lots[i].id ? f->lots[i].id : "-";
        char state[32] = "-";
        for (size_t k = 0; k < t->n_lot_states; k++)
            if (t->lot_states[k].lot_id && strcmp(t->lot_states[k].lot_id, id) == 0)
                ctl_enum_lower(&tender_tenders_v1_LotStatus_desc, t->lot_states[k].status, state,
                               sizeof state);
        /* "lot_awarded" reads "awarded". */
        printf("%slot %s (%s): %s\n", i ? "\n" : "", id, f->lots[i].title ? f->lots[i].title : "-",
               strncmp(state, "lot_", 4) == 0 ? state + 4 : state);
        const tender_awards_v1_Award *a = NULL;
        for (size_t k = 0; k < l.n_awards && !a; k++)
            if (l.awards[k].decision && l.awards[k].decision->lot_id &&
                strcmp(l.awards[k].decision->lot_id, id) == 0)
                a = &l.awards[k];
        if (a)
            print_award(a, f);
        else
            printf("no decision yet\n");
    }
    return CTL_EXIT_OK;
}

static int award_show(ctl_global *g, const ctl_call *call)
{
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("award show: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_TenderRef ref = {.id = ctl_str(call, pos[0])};
    tender_awards_v1_Award a;
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena))
        rc = ctl_oom();
    else if (tender_tenders_v1_Tenders_Get_in(c, call->arena, &ref, &t, NULL, &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else if (t.fields && t.fields->n_lots)
        rc = show_lots(g, call, c, &t);
    else if (tender_awards_v1_Awards_Get_in(c, call->arena, &ref, &a, NULL, &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        rc = print_result(g, call, c, &a);
    tnd_client_free(c);
    return rc;
}

static int award_cancel(ctl_global *g, const ctl_call *call)
{
    const record_opts *opt = call->opts;
    const char *reason = opt->reason, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1 || !reason || !*reason) {
        ctl_err("award cancel: give TENDER and --reason TEXT (the reason is logged)");
        return CTL_EXIT_USAGE;
    }
    int code = tnd_cancel_code_parse(opt->reason_code);
    if (!code) {
        ctl_err("award cancel: --reason-code CODE is required, one of: " TND_CANCEL_CODES);
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_awards_v1_CancelAwardRequest req = {.tender_id = ctl_str(call, pos[0]),
                                               .reason = ctl_str(call, reason),
                                               .reason_code = code,
                                               .lot_id = ctl_str(call, opt->lot)};
    tender_awards_v1_Award a;
    tnd_status_info st;
    ctl_idem k = {0};
    if (tnd_arena_failed(call->arena))
        rc = ctl_oom();
    else if (tender_awards_v1_Awards_Cancel_in(c, call->arena, &req, &a, ctl_idem_next(&k), &st) !=
             0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        rc = print_result(g, call, c, &a);
    tnd_client_free(c);
    return rc;
}

#define AWARD_OPT(n, k, f, a, h, ...)                                                              \
    {                                                                                              \
        .name = n, .kind = k, .at = offsetof(record_opts, f), .arg = a, .help = h, __VA_ARGS__     \
    }

#define RATIONALE_OPTS                                                                             \
    AWARD_OPT("--rationale", CTL_STRING, rationale, "_TEXT_",                                      \
              "Why: published with the decision (required)."),                                     \
        AWARD_OPT("--disqualify", CTL_LIST, dq, "_BID_:_REASON_",                                  \
                  "Disqualify a valid bid of the opening record, with the reason (repeatable).",   \
                  .max = MAX_MARKS)

#define LOT_OPT                                                                                    \
    AWARD_OPT("--lot", CTL_STRING, lot, "_LOT_",                                                   \
              "The lot decided (required when the tender has lots: one decision per lot).")

static const ctl_optdef record_optdefs[] = {
    AWARD_OPT("--winner", CTL_STRING, winner, "_BID_", "The winning bid, a valid opened bid."),
    AWARD_OPT("--criterion", CTL_STRING, criterion, "*lowest-price*|*weighted*",
              "The criterion the tender published (*tender show*: award criteria).",
              .values = "lowest-price weighted"),
    RATIONALE_OPTS,
    AWARD_OPT("--score", CTL_LIST, sc, "_BID_:_CRITERION_=_POINTS_",
              "A weighted award's points, 0..100, of a valid bid on a published criterion, e.g.\n"
              "*--score B-1f..:quality=80* (repeatable: one for each valid bid and criterion).",
              .max = MAX_MARKS),
    LOT_OPT,
    {0},
};

static const ctl_optdef unsuccessful_optdefs[] = {RATIONALE_OPTS, LOT_OPT, {0}};

static const ctl_optdef cancel_optdefs[] = {
    AWARD_OPT("--reason", CTL_STRING, reason, "_TEXT_", "Why the award is withdrawn (logged)."),
    AWARD_OPT("--reason-code", CTL_STRING, reason_code, "_CODE_",
              "The reason's code (required; docs/PROTOCOL.md, 10.5).", .values = TND_CANCEL_CODES),
    AWARD_OPT("--lot", CTL_STRING, lot, "_LOT_",
              "The lot whose award is withdrawn (required when the tender has lots)."),
    {0},
};

static const ctl_cmd show_cmd = {
    .name = "show",
    .synopsis = "_TENDER_",
    .summary = "the latest decision (public)",
    .about = "The latest decision (public), with each valid bid's points and weighted total.\n"
             "*--json* prints the Award. A tender with lots is shown lot by lot: each lot's\n"
             "state and latest decision with its standstill's end; *--json* prints the\n"
             "AwardList (each lot's latest decision, in the lots' order).",
    .max_pos = 1,
    .run = award_show,
};

static const ctl_cmd cancel_cmd = {
    .name = "cancel",
    .synopsis = "_TENDER_ *--reason* _TEXT_ *--reason-code* _CODE_ [*--lot* _LOT_]",
    .summary = "withdraw the award during the standstill",
    .about = "Withdraw the award during the standstill (the reason is logged); the tender is\n"
             "opened again. With lots, *--lot* names the lot whose award is withdrawn; that lot\n"
             "is open to a new decision and the other lots' awards stand.",
    .opts = cancel_optdefs,
    .opts_size = sizeof(record_opts),
    .max_pos = 1,
    .run = award_cancel,
};

static const ctl_cmd unsuccessful_cmd = {
    .name = "unsuccessful",
    .synopsis = "_TENDER_ *--rationale* _TEXT_ [*--disqualify* _BID_:_REASON_]... [*--lot* _LOT_]",
    .summary = "record that no bid is valid",
    .about = "Record that no bid is valid: every valid bid must be disqualified. With lots,\n"
             "*--lot* names the lot that no bid answered validly.",
    .opts = unsuccessful_optdefs,
    .opts_size = sizeof(record_opts),
    .max_pos = 1,
    .run = award_unsuccessful,
};

/* `award TENDER ...` records a decision; `award show|cancel|unsuccessful ...` are
 * subcommands. */
const ctl_cmd ctl_cmd_award = {
    .name = "award",
    .synopsis = "_TENDER_ *--winner* _BID_ *--criterion* *lowest-price*|*weighted* *--rationale* "
                "_TEXT_ [*--disqualify* _BID_:_REASON_]... [*--score*\n"
                "_BID_:_CRITERION_=_POINTS_]... [*--lot* _LOT_]",
    .summary = "the award decision (see tenderctl award --help)",
    .about =
        "Record the award of an opened _TENDER_ (officer of the buyer). tenderctl reads the\n"
        "opening record and evaluates every opened bid: valid at its opened price, unless\n"
        "*--disqualify* names it; bids that failed or were invalid at the opening are\n"
        "disqualified with the opening's reason. The decision is signed with your certificate's\n"
        "Ed25519 key (*--cert*, *--key* or *TENDER_CERT*, *TENDER_KEY*) and the server refuses\n"
        "one that contradicts the record or the criterion the tender published: a winner that is\n"
        "not an opened valid bid, a lowest-price winner that is not the lowest valid price.\n"
        "*--criterion* is the one the tender published (*tender show*: award criteria). A\n"
        "weighted award gives every valid bid 0..100 points on each published criterion, one\n"
        "*--score* _BID_:_CRITERION_=_POINTS_ each; the server totals points x weight / 100\n"
        "exactly (to 0.01 point) and refuses a winner whose total is not the highest. The tender\n"
        "is then awarded; after the standstill (the server's *--standstill*) it is complete.\n"
        "Until then *award cancel* withdraws the award and the tender is opened again. *--json*\n"
        "prints the Award. A tender with lots is awarded lot by lot: *--lot* _LOT_ (required)\n"
        "names the lot, the bids that answered it are evaluated at their price for it, and\n"
        "the lot's own criterion applies; each lot's award has its own standstill and the\n"
        "tender is complete when every lot is complete, cancelled or unsuccessful.",
    .opts = record_optdefs,
    .opts_size = sizeof(record_opts),
    .max_pos = 1,
    .run = award_record,
    .subs = (const ctl_cmd *const[]){&show_cmd, &cancel_cmd, &unsuccessful_cmd, NULL},
};
