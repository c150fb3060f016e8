/* tenderctl tender ...: dispatch, and the changes an officer makes (create,
 * edit, publish, amend, cancel). Fields come from flags; edit and amend
 * start from the tender as the server has it and change only what is given. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tender_cmd.h"

#define MAX_DOCS 100
#define MAX_CRITERIA 20 /* TenderFields.criteria's max_count */

static const char tender_usage[] =
    "usage: tenderctl tender COMMAND [ARGS]\n"
    "\n"
    "  create --title TEXT --budget AMOUNT --currency CODE --deadline TIME --opening TIME\n"
    "         [FIELD FLAGS] [--doc FILE]...   create a draft (officer); prints its id\n"
    "  edit ID [FIELD FLAGS] [--doc FILE]...  change a draft (officer)\n"
    "  publish ID                            publish a draft (officer)\n"
    "  amend ID [FIELD FLAGS] --note TEXT     amend an active tender: a new version (officer)\n"
    "  cancel ID --reason TEXT               cancel a tender (officer)\n"
    "  show ID [--version N]                 one tender\n"
    "  list [FILTERS] [--all | --cursor C]   tenders, a page at a time\n"
    "  documents ID                          the documents of a tender\n"
    "  download ID DOCUMENT_ID [--output FILE] [--force]\n"
    "                                        fetch a document, verified by its SHA-256\n"
    "\n"
    "`tenderctl tender COMMAND --help` describes each. --json prints the server's objects.\n";

#define FIELD_HELP                                                                                 \
    "Field flags:\n"                                                                               \
    "  --title TEXT               the title\n"                                                     \
    "  --description TEXT         longer text (\"\" clears it)\n"                                  \
    "  --budget AMOUNT            estimated value, a decimal number (1500000, 1234.56), stored\n"  \
    "                             exactly in the currency's minor units; no more decimals than\n"  \
    "                             the currency has (KRW/JPY 0, EUR/USD 2, KWD/BHD 3)\n"            \
    "  --currency CODE            ISO 4217 code (KRW, EUR, ...); given with --budget\n"            \
    "  --price-cap on|off         on (the default): a bid priced above the budget opens\n"        \
    "                             invalid; off: bids may ask more\n"                               \
    "  --deadline TIME            submission deadline, RFC 3339 (2026-12-01T10:00:00Z or\n"        \
    "                             2026-12-01T19:00:00+09:00)\n"                                    \
    "  --opening TIME             public opening of the bids, at or after the deadline\n"          \
    "  --enquiry-deadline TIME    last time for questions (\"\" clears it)\n"                      \
    "  --cpv CODE                 CPV classification code, e.g. 45233140-2 (\"\" clears it)\n"     \
    "  --method open|selective|limited|direct\n"                                                   \
    "  --category goods|works|services\n"                                                          \
    "  --committee FILE           the opening committee: one member a line, \"NAME PUBKEY\"\n"     \
    "                             (# starts a comment). NAME is the member's certificate CN;\n"    \
    "                             PUBKEY the base64 X25519 key `tenderctl keys gen` printed\n"     \
    "                             (the text of NAME.pub). tenderctl makes the tender's opening\n"  \
    "                             key, seals a share of it to each member and forgets it\n"        \
    "  --threshold K              members needed to open the bids (default: a majority);\n"        \
    "                             given with --committee\n"                                        \
    "  --award-criteria lowest-price|weighted\n"                                                   \
    "                             how the award is decided (default lowest-price); weighted\n"     \
    "                             scores each valid bid 0..100 points on each criterion\n"         \
    "  --criterion NAME:WEIGHT    a weighted criterion and its weight in percent, e.g.\n"          \
    "                             price:60 (repeatable, at most 20; the weights add up to\n"       \
    "                             100); implies weighted and replaces the criteria before\n"

static const char create_usage[] =
    "usage: tenderctl tender create --title TEXT --budget AMOUNT --currency CODE\n"
    "           --deadline TIME --opening TIME [FIELD FLAGS] [--doc FILE]...\n"
    "\n"
    "Create a draft tender for your organisation (officer certificate) and print its id,\n"
    "then upload each --doc FILE (media type from the extension) and print each document's\n"
    "id. --json prints the tender, with the uploaded documents. A draft can be published\n"
    "once it has a committee (--committee).\n"
    "\n" FIELD_HELP "  --doc FILE                 a document to attach (repeatable)\n";

static const char edit_usage[] =
    "usage: tenderctl tender edit ID [FIELD FLAGS] [--doc FILE]...\n"
    "\n"
    "Change a draft: reads it, replaces the fields given, keeps the others, then uploads\n"
    "each --doc FILE.\n"
    "\n" FIELD_HELP "  --doc FILE                 a document to attach (repeatable)\n";

static const char amend_usage[] =
    "usage: tenderctl tender amend ID [FIELD FLAGS] --note TEXT\n"
    "\n"
    "Amend an active tender: a new version with the fields given changed and the note\n"
    "(what changed and why) shown to suppliers. The committee cannot change; an amendment\n"
    "close to the deadline must move the deadline (the server says how far).\n"
    "\n" FIELD_HELP "  --note TEXT                required: what changed and why\n";

static const char publish_usage[] =
    "usage: tenderctl tender publish ID\n"
    "\n"
    "Publish a draft: it becomes version 1, visible to everyone and open for questions\n"
    "and bids until its deadline. Needs the deadlines and an opening committee.\n";

static const char cancel_usage[] =
    "usage: tenderctl tender cancel ID --reason TEXT\n"
    "\n"
    "Cancel a tender (draft, active, closed or opened); the reason is published.\n";

typedef struct field_flags {
    const char *title, *description, *budget, *currency, *deadline, *opening, *enquiry, *cpv,
        *method, *category, *committee, *threshold, *award_criteria, *price_cap;
    const char *docs[MAX_DOCS];
    size_t n_docs;
    const char *criteria[MAX_CRITERIA];
    size_t n_criteria;
} field_flags;

#define FIELD_OPTS(ff)                                                                             \
    {.name = "--title", .value = &(ff).title},                                                     \
        {.name = "--description", .value = &(ff).description},                                     \
        {.name = "--budget", .value = &(ff).budget},                                               \
        {.name = "--currency", .value = &(ff).currency},                                           \
        {.name = "--price-cap", .value = &(ff).price_cap},                                         \
        {.name = "--deadline", .value = &(ff).deadline},                                           \
        {.name = "--opening", .value = &(ff).opening},                                             \
        {.name = "--enquiry-deadline", .value = &(ff).enquiry},                                    \
        {.name = "--cpv", .value = &(ff).cpv}, {.name = "--method", .value = &(ff).method},        \
        {.name = "--category", .value = &(ff).category},                                           \
        {.name = "--committee", .value = &(ff).committee},                                         \
        {.name = "--threshold", .value = &(ff).threshold},                                         \
        {.name = "--award-criteria", .value = &(ff).award_criteria},                               \
    {                                                                                              \
        .name = "--criterion", .list = (ff).criteria, .n_list = &(ff).n_criteria,                  \
        .max_list = MAX_CRITERIA                                                                   \
    }

#define DOC_OPT(ff)                                                                                \
    {                                                                                              \
        .name = "--doc", .list = (ff).docs, .n_list = &(ff).n_docs, .max_list = MAX_DOCS           \
    }

static bool any_field(const field_flags *ff)
{
    return ff->title || ff->description || ff->budget || ff->currency || ff->deadline ||
           ff->opening || ff->enquiry || ff->cpv || ff->method || ff->category || ff->committee ||
           ff->threshold || ff->award_criteria || ff->n_criteria || ff->price_cap;
}

static int oom(void)
{
    ctl_err("out of memory");
    return CTL_EXIT_FAIL;
}

/* Replace *dst with a copy of v; "" (when clearable) leaves it absent. */
static int set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = NULL;
    if (!*v)
        return 0;
    return (*dst = strdup(v)) ? 0 : -1;
}

static int set_time(const char *cmd, const char *flag, const char *v,
                    tender_common_v1_Timestamp **ts)
{
    char err[200];
    int64_t s;
    uint32_t ns;
    if (ctl_parse_time(v, &s, &ns, err, sizeof err) != 0) {
        ctl_err("%s: %s %s", cmd, flag, err);
        return CTL_EXIT_USAGE;
    }
    if (!*ts && !(*ts = calloc(1, sizeof **ts)))
        return oom();
    (*ts)->seconds = s;
    (*ts)->nanos = ns;
    return 0;
}

static int set_money(const char *cmd, const field_flags *ff, tender_tenders_v1_TenderFields *f)
{
    char err[200], code[4];
    int exp;
    int64_t minor;
    if (ff->currency && !ff->budget) {
        ctl_err("%s: --currency goes with --budget (the amount is read in that currency)", cmd);
        return CTL_EXIT_USAGE;
    }
    const char *cur = ff->currency;
    if (!cur)
        cur = f->estimated_value && f->estimated_value->currency ? f->estimated_value->currency
                                                                 : NULL;
    if (!cur) {
        ctl_err("%s: --budget needs --currency (an ISO 4217 code such as KRW or EUR)", cmd);
        return CTL_EXIT_USAGE;
    }
    if (ctl_currency(cur, code, &exp, err, sizeof err) != 0) {
        ctl_err("%s: --currency %s", cmd, err);
        return CTL_EXIT_USAGE;
    }
    if (ctl_parse_amount(ff->budget, code, exp, &minor, err, sizeof err) != 0) {
        ctl_err("%s: --budget %s", cmd, err);
        return CTL_EXIT_USAGE;
    }
    if (!f->estimated_value && !(f->estimated_value = calloc(1, sizeof *f->estimated_value)))
        return oom();
    f->estimated_value->minor_units = minor;
    return set_str(&f->estimated_value->currency, code) ? oom() : 0;
}

static int set_classification(const field_flags *ff, tender_tenders_v1_TenderFields *f)
{
    if (!*ff->cpv) {
        if (f->classification) {
            tender_tenders_v1_Classification_free(f->classification);
            free(f->classification);
            f->classification = NULL;
        }
        return 0;
    }
    if (!f->classification && !(f->classification = calloc(1, sizeof *f->classification)))
        return oom();
    /* A new code makes the old description wrong. */
    if (set_str(&f->classification->scheme, "CPV") || set_str(&f->classification->code, ff->cpv) ||
        set_str(&f->classification->description, ""))
        return oom();
    return 0;
}

/* Apply the flags given to f. Returns 0 or an exit code (message printed). */
static int apply_fields(const char *cmd, const field_flags *ff, tender_tenders_v1_TenderFields *f)
{
    int rc;
    if (ff->title && !*ff->title) {
        ctl_err("%s: --title must not be empty", cmd);
        return CTL_EXIT_USAGE;
    }
    if ((ff->title && set_str(&f->title, ff->title)) ||
        (ff->description && set_str(&f->description, ff->description)))
        return oom();
    if ((ff->budget || ff->currency) && (rc = set_money(cmd, ff, f)) != 0)
        return rc;
    if (ff->price_cap) {
        if (strcmp(ff->price_cap, "on") != 0 && strcmp(ff->price_cap, "off") != 0) {
            ctl_err("%s: --price-cap %s: expected on or off", cmd, ff->price_cap);
            return CTL_EXIT_USAGE;
        }
        f->price_above_value = strcmp(ff->price_cap, "off") == 0;
    }
    if (ff->deadline && (rc = set_time(cmd, "--deadline", ff->deadline, &f->submission_deadline)))
        return rc;
    if (ff->opening && (rc = set_time(cmd, "--opening", ff->opening, &f->opening_time)))
        return rc;
    if (ff->enquiry && !*ff->enquiry) {
        free(f->enquiry_deadline);
        f->enquiry_deadline = NULL;
    } else if (ff->enquiry &&
               (rc = set_time(cmd, "--enquiry-deadline", ff->enquiry, &f->enquiry_deadline))) {
        return rc;
    }
    if (ff->cpv && (rc = set_classification(ff, f)) != 0)
        return rc;
    if (ff->method) {
        int v = ctl_enum_parse(&tender_tenders_v1_ProcurementMethod_desc, ff->method);
        if (v < 0) {
            ctl_err("%s: --method %s: expected open, selective, limited or direct", cmd,
                    ff->method);
            return CTL_EXIT_USAGE;
        }
        f->method = (tender_tenders_v1_ProcurementMethod)v;
    }
    if (ff->category) {
        int v = ctl_enum_parse(&tender_tenders_v1_MainCategory_desc, ff->category);
        if (v < 0) {
            ctl_err("%s: --category %s: expected goods, works or services", cmd, ff->category);
            return CTL_EXIT_USAGE;
        }
        f->category = (tender_tenders_v1_MainCategory)v;
    }
    if (ff->threshold && !ff->committee) {
        ctl_err("%s: --threshold goes with --committee FILE: the opening key is split for the "
                "committee when it is read (its private key is not kept)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    if (ff->committee) {
        tender_tenders_v1_Committee *cm;
        if ((rc = ctl_committee_make(cmd, ff->committee, ff->threshold, &cm)) != 0)
            return rc;
        ctl_committee_free(f->committee);
        f->committee = cm;
    }
    return ctl_criteria_apply(cmd, ff->award_criteria, ff->criteria, ff->n_criteria, f);
}

static void fields_free(tender_tenders_v1_TenderFields *f)
{
    if (f) {
        tender_tenders_v1_TenderFields_free(f);
        free(f);
    }
}

int ctl_tender_get(tnd_client *c, const char *id, uint32_t version, tender_tenders_v1_Tender *t)
{
    tender_tenders_v1_TenderRef ref = {.id = (char *)id, .version = version};
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Get_method, &ref, t, NULL, &st) != 0)
        return ctl_status_fail(&st);
    return 0;
}

/* Print the result of a change: the tender with --json, else one line. */
static void print_change(const ctl_global *g, const tender_tenders_v1_Tender *t, const char *what)
{
    char st[32];
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Tender_desc, t));
        return;
    }
    printf("%s %s (status %s, version %u)\n", t->id ? t->id : "?", what,
           ctl_enum_lower(&tender_tenders_v1_TenderStatus_desc, t->status, st, sizeof st),
           t->version);
}

/* Upload the --doc files to tender t, appending each record to t->documents. */
static int upload_docs(const ctl_global *g, tnd_client *c, ctl_idem *k, const field_flags *ff,
                       tender_tenders_v1_Tender *t)
{
    for (size_t i = 0; i < ff->n_docs; i++) {
        tender_tenders_v1_Document d;
        int rc = ctl_doc_upload(c, k, t->id, ff->docs[i], &d);
        if (rc != 0) {
            ctl_err("tender %s: document %s was not added%s", t->id, ff->docs[i],
                    i ? " (the ones before it were)" : "");
            return rc;
        }
        tender_tenders_v1_Document *nd = realloc(t->documents, (t->n_documents + 1) * sizeof *nd);
        if (!nd) {
            tender_tenders_v1_Document_free(&d);
            return oom();
        }
        t->documents = nd;
        t->documents[t->n_documents++] = d;
        if (!g->json) {
            printf("%s\n", d.id ? d.id : "?");
            fflush(stdout);
        }
    }
    return 0;
}

static int tender_create(ctl_global *g, int argc, char **argv)
{
    field_flags ff = {0};
    const ctl_opt opts[] = {FIELD_OPTS(ff), DOC_OPT(ff), {0}};
    const char *pos[1];
    int n_pos, rc = ctl_args(g, argc, argv, "tender create", create_usage, opts, pos, 0, &n_pos);
    if (rc >= 0)
        return rc;
    static const char *const need[] = {"--title", "--budget", "--currency", "--deadline",
                                       "--opening"};
    const char *have[] = {ff.title, ff.budget, ff.currency, ff.deadline, ff.opening};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!have[i]) {
            ctl_err("tender create: %s is required (see tenderctl tender create --help)", need[i]);
            return CTL_EXIT_USAGE;
        }
    tender_tenders_v1_CreateTenderRequest req = {.fields = calloc(1, sizeof *req.fields)};
    if (!req.fields)
        return oom();
    if ((rc = apply_fields("tender create", &ff, req.fields)) != 0)
        goto out_fields;
    for (size_t i = 0; i < ff.n_docs; i++)
        if ((rc = ctl_doc_check("tender create", ff.docs[i])) != 0)
            goto out_fields;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        goto out_fields;
    ctl_idem k = {0};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Create_method, &req, &t, ctl_idem_next(&k),
                         &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out_client;
    }
    if (!g->json) {
        printf("%s\n", t.id ? t.id : "?");
        fflush(stdout);
    }
    rc = upload_docs(g, c, &k, &ff, &t);
    if (g->json)
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Tender_desc, &t));
    tender_tenders_v1_Tender_free(&t);
out_client:
    tnd_client_free(c);
out_fields:
    fields_free(req.fields);
    return rc;
}

/* edit and amend: read the tender, change the fields given, send. */
static int tender_change(ctl_global *g, int argc, char **argv, bool amend)
{
    const char *cmd = amend ? "tender amend" : "tender edit";
    field_flags ff = {0};
    const char *note = NULL;
    const ctl_opt edit_opts[] = {FIELD_OPTS(ff), DOC_OPT(ff), {0}};
    const ctl_opt amend_opts[] = {FIELD_OPTS(ff), {.name = "--note", .value = &note}, {0}};
    const char *pos[1];
    int n_pos, rc = ctl_args(g, argc, argv, cmd, amend ? amend_usage : edit_usage,
                             amend ? amend_opts : edit_opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1) {
        ctl_err("%s: give the tender's ID (see tenderctl %s --help)", cmd, cmd);
        return CTL_EXIT_USAGE;
    }
    if (amend && (!note || !*note)) {
        ctl_err("tender amend: --note TEXT is required: what changed and why, for suppliers");
        return CTL_EXIT_USAGE;
    }
    if (amend && (ff.committee || ff.threshold)) {
        ctl_err("tender amend: the opening committee cannot change after publication (bids are "
                "sealed to its key); cancel and publish a new tender instead");
        return CTL_EXIT_USAGE;
    }
    if (!amend && !any_field(&ff) && ff.n_docs == 0) {
        ctl_err("tender edit: nothing to change (see tenderctl tender edit --help)");
        return CTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < ff.n_docs; i++)
        if ((rc = ctl_doc_check(cmd, ff.docs[i])) != 0)
            return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_Tender cur, t;
    tender_tenders_v1_Tender_init(&t);
    if ((rc = ctl_tender_get(c, pos[0], 0, &cur)) != 0)
        goto out_client;
    tender_tenders_v1_TenderFields *f = cur.fields;
    cur.fields = NULL;
    if (!f && !(f = calloc(1, sizeof *f))) {
        rc = oom();
        goto out_cur;
    }
    if ((rc = apply_fields(cmd, &ff, f)) != 0)
        goto out_fields;
    ctl_idem k = {0};
    tnd_status_info st;
    int code;
    if (amend) {
        tender_tenders_v1_AmendTenderRequest req = {
            .id = (char *)pos[0], .fields = f, .note = (char *)note};
        code = tnd_client_unary(c, tender_tenders_v1_Tenders_Amend_method, &req, &t,
                                ctl_idem_next(&k), &st);
    } else if (any_field(&ff)) {
        tender_tenders_v1_EditTenderRequest req = {.id = (char *)pos[0], .fields = f};
        code = tnd_client_unary(c, tender_tenders_v1_Tenders_Edit_method, &req, &t,
                                ctl_idem_next(&k), &st);
    } else {
        /* Only documents to add: the draft as it is. */
        t = cur;
        t.fields = f;
        f = NULL;
        tender_tenders_v1_Tender_init(&cur);
        code = 0;
    }
    if (code != 0) {
        rc = ctl_status_fail(&st);
        goto out_fields;
    }
    if (!g->json && any_field(&ff))
        print_change(g, &t, amend ? "amended" : "edited");
    rc = upload_docs(g, c, &k, &ff, &t);
    if (g->json)
        print_change(g, &t, "");
out_fields:
    fields_free(f);
out_cur:
    tender_tenders_v1_Tender_free(&cur);
out_client:
    tender_tenders_v1_Tender_free(&t);
    tnd_client_free(c);
    return rc;
}

static int tender_publish(ctl_global *g, int argc, char **argv)
{
    const char *pos[1];
    int n_pos, rc = ctl_args(g, argc, argv, "tender publish", publish_usage, NULL, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1) {
        ctl_err("tender publish: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_TenderRef req = {.id = (char *)pos[0]};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Publish_method, &req, &t, ctl_idem_next(&k),
                         &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        print_change(g, &t, "published");
        tender_tenders_v1_Tender_free(&t);
    }
    tnd_client_free(c);
    return rc;
}

static int tender_cancel(ctl_global *g, int argc, char **argv)
{
    const char *reason = NULL, *pos[1];
    const ctl_opt opts[] = {{.name = "--reason", .value = &reason}, {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "tender cancel", cancel_usage, opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1 || !reason || !*reason) {
        ctl_err("tender cancel: give the tender's ID and --reason TEXT (it is published)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_CancelTenderRequest req = {.id = (char *)pos[0], .reason = (char *)reason};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Cancel_method, &req, &t, ctl_idem_next(&k),
                         &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        print_change(g, &t, "cancelled");
        tender_tenders_v1_Tender_free(&t);
    }
    tnd_client_free(c);
    return rc;
}

static int tender_edit(ctl_global *g, int argc, char **argv)
{
    return tender_change(g, argc, argv, false);
}

static int tender_amend(ctl_global *g, int argc, char **argv)
{
    return tender_change(g, argc, argv, true);
}

int cmd_tender(ctl_global *g, int argc, char **argv)
{
    static const ctl_sub subs[] = {
        {"create", tender_create}, {"edit", tender_edit},           {"publish", tender_publish},
        {"amend", tender_amend},   {"cancel", tender_cancel},       {"show", tender_show},
        {"list", tender_list},     {"documents", tender_documents}, {"download", tender_download},
    };
    return ctl_subcommand(g, argc, argv, "tender", tender_usage, subs, sizeof subs / sizeof *subs);
}
