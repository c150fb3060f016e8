/* tenderctl award: record the buyer's award decision for an opened tender
 * (signed here with the officer's certificate key, docs/AWARDS.md), show
 * it, cancel it during the standstill, or record the tender as
 * unsuccessful. The evaluation is built from the opening record: each valid
 * bid with its price as opened, bids that failed at the opening
 * disqualified with the failure, and the officer's --disqualify and --score
 * (points per published criterion, for weighted awards) on top. The server
 * checks the decision against the record and the tender's criteria. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "tender/award.h"
#include "tender/pages.h"
#include "tender_schema.h"

#define MAX_MARKS 4096

static const char award_usage[] =
    "usage: tenderctl award TENDER --winner BID --criterion lowest-price|weighted\n"
    "                       --rationale TEXT [--disqualify BID:REASON]...\n"
    "                       [--score BID:CRITERION=POINTS]...\n"
    "       tenderctl award show TENDER\n"
    "       tenderctl award cancel TENDER --reason TEXT\n"
    "       tenderctl award unsuccessful TENDER --rationale TEXT [--disqualify BID:REASON]...\n"
    "\n"
    "Record the award of an opened TENDER, as an officer of its buyer. tenderctl reads the\n"
    "opening record and evaluates every opened bid: valid at its opened price, unless\n"
    "--disqualify names it; bids that failed or were invalid at the opening are\n"
    "disqualified with the opening's reason. The decision is signed with your certificate's Ed25519 key (--cert,\n"
    "--key or TENDER_CERT, TENDER_KEY) and the server refuses one that contradicts the\n"
    "record: a winner that is not an opened valid bid, a lowest-price winner that is not the\n"
    "lowest valid price. --criterion is the one the tender published (tender show: award\n"
    "criteria). A weighted award gives every valid bid 0..100 points on each published\n"
    "criterion, one --score BID:CRITERION=POINTS each (e.g. --score B-1f..:quality=80); the\n"
    "server totals points x weight / 100 exactly (to 0.01 point) and refuses a winner whose\n"
    "total is not the highest.\n"
    "The tender is then awarded; after the standstill (the server's --standstill) it is\n"
    "complete. Until then `award cancel` withdraws the award (the reason is logged) and the\n"
    "tender is opened again. `award unsuccessful` records that no bid is valid: every\n"
    "valid bid must be disqualified. `award show` prints the latest decision (public), with\n"
    "each valid bid's points and weighted total for a weighted award.\n"
    "--json prints the Award.\n";

static bool is_sub(const char *a)
{
    return strcmp(a, "show") == 0 || strcmp(a, "cancel") == 0 || strcmp(a, "unsuccessful") == 0;
}

/* The caller's certificate key, for signing: Ed25519, matching the certificate. */
static int officer_key(const char *cmd, const ctl_global *g, EVP_PKEY **out)
{
    *out = NULL;
    if (!g->cert || !g->key) {
        ctl_err("%s: an officer certificate is needed: --cert FILE --key FILE (or TENDER_CERT "
                "and TENDER_KEY)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    FILE *f = fopen(g->cert, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(g->key, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    int rc = CTL_EXIT_OK;
    if (!x || !k) {
        ctl_err("%s: cannot read %s", cmd, !x ? g->cert : g->key);
        rc = CTL_EXIT_FAIL;
    } else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519 || X509_check_private_key(x, k) != 1) {
        ctl_err("%s: %s is not the Ed25519 key of %s", cmd, g->key, g->cert);
        rc = CTL_EXIT_FAIL;
    }
    X509_free(x);
    if (rc == CTL_EXIT_OK)
        *out = k;
    else
        EVP_PKEY_free(k);
    return rc;
}

/* Sign the codec encoding of the decision, byte for byte. */
static int sign_decision(const tender_awards_v1_Decision *d, EVP_PKEY *k, uint8_t sig[64])
{
    uint8_t *buf = NULL;
    size_t len = 0, sl = 64;
    if (tnd_msg_encode(&tender_awards_v1_Decision_desc, d, &buf, &len, NULL) != 0)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(md, sig, &sl, buf, len) == 1 && sl == 64;
    EVP_MD_CTX_free(md);
    free(buf);
    return ok ? 0 : -1;
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

static int check_marks(const char *cmd, const char *opt, const char **marks, size_t n,
                       const tender_bids_v1_OpeningRecord *rec)
{
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(marks[i], ':');
        bool known = false;
        for (size_t b = 0; colon && b < rec->n_bids && !known; b++)
            known = rec->bids[b].bid_id &&
                    strlen(rec->bids[b].bid_id) == (size_t)(colon - marks[i]) &&
                    strncmp(rec->bids[b].bid_id, marks[i], (size_t)(colon - marks[i])) == 0;
        bool score = strcmp(opt, "--score") == 0;
        const char *eq = colon ? strrchr(colon, '=') : NULL;
        if (!colon || !colon[1] || (score && (!eq || eq == colon + 1 || !eq[1]))) {
            ctl_err("%s: %s %s: expected BID:%s", cmd, opt, marks[i],
                    score ? "CRITERION=POINTS" : "REASON");
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
 * the criterion between the first colon and the last '='. The names point
 * into the marks; *out is the caller's to free. */
static int scores_for(const char *cmd, const char **sc, size_t n_sc, const char *bid,
                      tender_awards_v1_BidEvaluation *e)
{
    size_t bl = strlen(bid), n = 0;
    for (size_t i = 0; i < n_sc; i++)
        n += strncmp(sc[i], bid, bl) == 0 && sc[i][bl] == ':';
    if (!n)
        return 0;
    e->scores = calloc(n, sizeof *e->scores);
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
        s->criterion = strndup(name, (size_t)(eq - name));
        s->points = (uint32_t)v;
        if (!s->criterion) {
            ctl_err("%s: out of memory", cmd);
            return CTL_EXIT_FAIL;
        }
    }
    return 0;
}

/* Evaluate every opened bid into d (freed with evaluations_free). */
static int evaluate(const char *cmd, const tender_bids_v1_OpeningRecord *rec, const char **dq,
                    size_t n_dq, const char **sc, size_t n_sc, tender_awards_v1_Decision *d)
{
    d->evaluations = calloc(rec->n_bids ? rec->n_bids : 1, sizeof *d->evaluations);
    if (!d->evaluations) {
        ctl_err("%s: out of memory", cmd);
        return CTL_EXIT_FAIL;
    }
    for (size_t i = 0; i < rec->n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &rec->bids[i];
        tender_awards_v1_BidEvaluation *e = &d->evaluations[d->n_evaluations++];
        e->bid_id = o->bid_id;
        const char *why = mark_for(dq, n_dq, o->bid_id);
        int rc = scores_for(cmd, sc, n_sc, o->bid_id, e);
        if (rc)
            return rc;
        if (why) {
            e->reason = (char *)why;
        } else if (!o->valid) {
            e->reason = o->failure && *o->failure ? o->failure : "could not be opened";
        } else {
            e->valid = true;
            e->price = o->price;
        }
    }
    return 0;
}

/* The evaluations' own memory: the arrays and the criterion names. */
static void evaluations_free(tender_awards_v1_Decision *d)
{
    for (size_t i = 0; i < d->n_evaluations; i++) {
        tender_awards_v1_BidEvaluation *e = &d->evaluations[i];
        for (size_t k = 0; k < e->n_scores; k++)
            free(e->scores[k].criterion);
        free(e->scores);
    }
    free(d->evaluations);
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

static void print_award(const tender_awards_v1_Award *a, const tender_tenders_v1_TenderFields *f)
{
    char state[32], t[64] = "-", money[64];
    const tender_awards_v1_Decision *d = a->decision;
    ctl_enum_lower(&tender_awards_v1_AwardState_desc, a->state, state, sizeof state);
    printf("award %s of tender %s: %s\n", a->id ? a->id : "-", a->tender_id ? a->tender_id : "-",
           state);
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
 * read with c (a failure only leaves the totals out). */
static int print_result(const ctl_global *g, tnd_client *c, tender_awards_v1_Award *a)
{
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_awards_v1_Award_desc, a));
        tender_awards_v1_Award_free(a);
        return CTL_EXIT_OK;
    }
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    tender_tenders_v1_TenderRef ref = {.id = a->tender_id};
    tnd_status_info st;
    bool have = a->decision && a->decision->criterion == tender_awards_v1_Criterion_WEIGHTED &&
                a->tender_id && tender_tenders_v1_Tenders_Get(c, &ref, &t, NULL, &st) == 0;
    print_award(a, have ? t.fields : NULL);
    tender_tenders_v1_Tender_free(&t);
    tender_awards_v1_Award_free(a);
    return CTL_EXIT_OK;
}

/* Record a decision: an award, or with unsuccessful set, none. */
static int record(ctl_global *g, int argc, char **argv, const char *cmd, bool unsuccessful)
{
    const char *winner = NULL, *criterion = NULL, *rationale = NULL, *pos[1];
    const char *dq[MAX_MARKS], *sc[MAX_MARKS];
    size_t n_dq = 0, n_sc = 0;
    const ctl_opt opts[] = {
        {.name = "--winner", .value = &winner},
        {.name = "--criterion", .value = &criterion},
        {.name = "--rationale", .value = &rationale},
        {.name = "--disqualify", .list = dq, .n_list = &n_dq, .max_list = MAX_MARKS},
        {.name = "--score", .list = sc, .n_list = &n_sc, .max_list = MAX_MARKS},
        {0},
    };
    int n_pos, rc = ctl_args(g, argc, argv, cmd, award_usage, opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
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
    if ((rc = officer_key(cmd, g, &key)) != 0)
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
    tender_awards_v1_Decision d = {.tender_id = (char *)pos[0],
                                   .criterion = crit,
                                   .winner = (char *)winner,
                                   .rationale = (char *)rationale,
                                   .unsuccessful = unsuccessful};
    uint8_t sig[64];
    if ((rc = check_marks(cmd, "--disqualify", dq, n_dq, &rec)) != 0 ||
        (rc = check_marks(cmd, "--score", sc, n_sc, &rec)) != 0 ||
        (rc = evaluate(cmd, &rec, dq, n_dq, sc, n_sc, &d)) != 0)
        goto out_rec;
    if (sign_decision(&d, key, sig) != 0) {
        ctl_err("%s: cannot sign the decision with %s", cmd, g->key);
        rc = CTL_EXIT_FAIL;
        goto out_rec;
    }
    tender_awards_v1_AwardRequest req = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award a;
    ctl_idem k = {0};
    if (tender_awards_v1_Awards_Record(c, &req, &a, ctl_idem_next(&k), &st) != 0)
        rc = ctl_status_fail(&st);
    else
        rc = print_result(g, c, &a);
out_rec:
    evaluations_free(&d);
    tender_bids_v1_OpeningRecord_free(&rec);
out_client:
    tnd_client_free(c);
out_key:
    EVP_PKEY_free(key);
    return rc;
}

static int award_unsuccessful(ctl_global *g, int argc, char **argv)
{
    return record(g, argc, argv, "award unsuccessful", true);
}

static int award_show(ctl_global *g, int argc, char **argv)
{
    const char *pos[1];
    int n_pos, rc = ctl_args(g, argc, argv, "award show", award_usage, NULL, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1) {
        ctl_err("award show: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_TenderRef ref = {.id = (char *)pos[0]};
    tender_awards_v1_Award a;
    tnd_status_info st;
    if (tender_awards_v1_Awards_Get(c, &ref, &a, NULL, &st) != 0)
        rc = ctl_status_fail(&st);
    else
        rc = print_result(g, c, &a);
    tnd_client_free(c);
    return rc;
}

static int award_cancel(ctl_global *g, int argc, char **argv)
{
    const char *reason = NULL, *pos[1];
    const ctl_opt opts[] = {{.name = "--reason", .value = &reason}, {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "award cancel", award_usage, opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1 || !reason || !*reason) {
        ctl_err("award cancel: give TENDER and --reason TEXT (the reason is logged)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_awards_v1_CancelAwardRequest req = {.tender_id = (char *)pos[0],
                                               .reason = (char *)reason};
    tender_awards_v1_Award a;
    tnd_status_info st;
    ctl_idem k = {0};
    if (tender_awards_v1_Awards_Cancel(c, &req, &a, ctl_idem_next(&k), &st) != 0)
        rc = ctl_status_fail(&st);
    else
        rc = print_result(g, c, &a);
    tnd_client_free(c);
    return rc;
}

int cmd_award(ctl_global *g, int argc, char **argv)
{
    static const ctl_sub subs[] = {
        {"show", award_show}, {"cancel", award_cancel}, {"unsuccessful", award_unsuccessful}};
    /* `award TENDER ...` records; `award show|cancel|unsuccessful ...` are subcommands. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            if (is_sub(argv[i]))
                return ctl_subcommand(g, argc, argv, "award", award_usage, subs,
                                      sizeof subs / sizeof *subs);
            break;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            break;
        ctl_global g2 = *g;
        int r = ctl_global_option(&g2, argc, argv, &i);
        if (r <= 0)
            break; /* an option of the record form, or a bad one: ctl_args says */
    }
    return record(g, argc, argv, "award", false);
}
