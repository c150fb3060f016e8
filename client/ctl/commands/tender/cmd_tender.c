/* tenderctl tender ...: dispatch, and the changes an officer makes (create,
 * edit, publish, amend, cancel). Fields come from flags; edit and amend
 * start from the tender as the server has it and change only what is given. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tender/cancel.h"
#include "tender_cmd.h"

#define MAX_DOCS 100
#define MAX_CRITERIA 20 /* TenderFields.criteria's max_count */

typedef struct field_flags {
    const char *title, *description, *currency, *cpv, *method, *category, *committee,
        *threshold, *award_criteria, *price_cap, *note;
    ctl_money budget;
    ctl_time deadline, opening, enquiry;
    ctl_list docs, criteria, lots, items, drop_lots, drop_items;
} field_flags;

static bool any_field(const field_flags *ff)
{
    return ff->title || ff->description || ff->budget.text || ff->currency || ff->deadline.text ||
           ff->opening.text || ff->enquiry.text || ff->cpv || ff->method || ff->category ||
           ff->committee || ff->threshold || ff->award_criteria || ff->criteria.n ||
           ff->price_cap || ff->lots.n || ff->items.n || ff->drop_lots.n || ff->drop_items.n;
}

static int oom(void)
{
    ctl_err("out of memory");
    return CTL_EXIT_FAIL;
}

/* Replace *dst with a copy of v in arena; "" (when clearable) leaves it
 * absent. What *dst held is the arena's too: it is dropped, not freed. */
static int set_str(tnd_arena *arena, char **dst, const char *v)
{
    *dst = *v ? tnd_arena_strdup(arena, v) : NULL;
    return *v && !*dst ? -1 : 0;
}

static int set_time(tnd_arena *arena, const ctl_time *t, tender_common_v1_Timestamp **ts)
{
    if (!*ts && !(*ts = tnd_msg_new_in(&tender_common_v1_Timestamp_desc, arena)))
        return oom();
    (*ts)->seconds = t->seconds;
    (*ts)->nanos = t->nanos;
    return 0;
}

static int set_money(const char *cmd, tnd_arena *arena, const field_flags *ff,
                     tender_tenders_v1_TenderFields *f)
{
    char code[4];
    int64_t minor = ff->budget.minor;
    int rc;
    if (ff->currency && !ff->budget.text) {
        ctl_err("%s: --currency goes with --budget or --lot (the amounts are read in that "
                "currency)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    memcpy(code, ff->budget.code, sizeof code);
    if (!ff->budget.exact) {
        /* No --currency: the amount is in the tender's currency. */
        const char *cur = f->estimated_value && f->estimated_value->currency
                              ? f->estimated_value->currency
                              : NULL;
        if (!cur) {
            ctl_err("%s: --budget needs --currency (an ISO 4217 code such as KRW or EUR)", cmd);
            return CTL_EXIT_USAGE;
        }
        if ((rc = ctl_money_in(cmd, "--budget", &ff->budget, cur, &minor, code)) != 0)
            return rc;
    }
    if (!f->estimated_value &&
        !(f->estimated_value = tnd_msg_new_in(&tender_common_v1_Money_desc, arena)))
        return oom();
    f->estimated_value->minor_units = minor;
    return set_str(arena, &f->estimated_value->currency, code) ? oom() : 0;
}

static int set_classification(tnd_arena *arena, const field_flags *ff,
                              tender_tenders_v1_TenderFields *f)
{
    if (!*ff->cpv) {
        f->classification = NULL; /* cleared */
        return 0;
    }
    if (!f->classification &&
        !(f->classification = tnd_msg_new_in(&tender_tenders_v1_Classification_desc, arena)))
        return oom();
    /* A new code makes the old description wrong. */
    if (set_str(arena, &f->classification->scheme, "CPV") ||
        set_str(arena, &f->classification->code, ff->cpv) ||
        set_str(arena, &f->classification->description, ""))
        return oom();
    return 0;
}

/* Apply the flags given to f, everything new in arena. Returns 0 or an exit
 * code (message printed). */
static int apply_fields(const char *cmd, tnd_arena *arena, const field_flags *ff,
                        tender_tenders_v1_TenderFields *f)
{
    int rc;
    if (ff->title && !*ff->title) {
        ctl_err("%s: --title must not be empty", cmd);
        return CTL_EXIT_USAGE;
    }
    if ((ff->title && set_str(arena, &f->title, ff->title)) ||
        (ff->description && set_str(arena, &f->description, ff->description)))
        return oom();
    /* With --lot and no --budget, --currency is the lots' (ctl_lots_apply). */
    if ((ff->budget.text || (ff->currency && !ff->lots.n)) &&
        (rc = set_money(cmd, arena, ff, f)) != 0)
        return rc;
    if (ff->price_cap) {
        if (strcmp(ff->price_cap, "on") != 0 && strcmp(ff->price_cap, "off") != 0) {
            ctl_err("%s: --price-cap %s: expected on or off", cmd, ff->price_cap);
            return CTL_EXIT_USAGE;
        }
        f->price_above_value = strcmp(ff->price_cap, "off") == 0;
    }
    if (ff->deadline.text && (rc = set_time(arena, &ff->deadline, &f->submission_deadline)))
        return rc;
    if (ff->opening.text && (rc = set_time(arena, &ff->opening, &f->opening_time)))
        return rc;
    if (ff->enquiry.text && !*ff->enquiry.text)
        f->enquiry_deadline = NULL; /* cleared */
    else if (ff->enquiry.text && (rc = set_time(arena, &ff->enquiry, &f->enquiry_deadline)))
        return rc;
    if (ff->cpv && (rc = set_classification(arena, ff, f)) != 0)
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
        if ((rc = ctl_committee_make(cmd, arena, ff->committee, ff->threshold, &f->committee)) != 0)
            return rc;
    }
    if ((rc = ctl_criteria_apply(cmd, arena, ff->award_criteria, ff->criteria.v, ff->criteria.n,
                                 f)) != 0)
        return rc;
    const ctl_lots_flags lf = {ff->lots, ff->items, ff->drop_lots, ff->drop_items};
    const char *cur = ff->currency ? ff->currency
                      : f->estimated_value && f->estimated_value->currency
                          ? f->estimated_value->currency
                          : NULL;
    return ctl_lots_apply(cmd, arena, &lf, cur, ff->budget.text != NULL, f);
}

int ctl_tender_get(tnd_client *c, tnd_arena *arena, const char *id, uint32_t version,
                   tender_tenders_v1_Tender *t)
{
    tender_tenders_v1_TenderRef ref = {.id = tnd_arena_strdup(arena, id), .version = version};
    tnd_status_info st;
    tender_tenders_v1_Tender_init(t);
    if (!ref.id)
        return ctl_oom();
    if (tender_tenders_v1_Tenders_Get_in(c, arena, &ref, t, NULL, &st) != 0)
        return ctl_reply_fail(arena, &st);
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

/* Upload the --doc files to tender t, appending each record to t->documents
 * (t and the records are the arena's). */
static int upload_docs(const ctl_global *g, tnd_arena *arena, tnd_client *c, ctl_idem *k,
                       const field_flags *ff, tender_tenders_v1_Tender *t)
{
    for (size_t i = 0; i < ff->docs.n; i++) {
        tender_tenders_v1_Document d;
        int rc = ctl_doc_upload(c, arena, k, t->id, ff->docs.v[i], &d);
        if (rc != 0) {
            ctl_err("tender %s: document %s was not added%s", t->id, ff->docs.v[i],
                    i ? " (the ones before it were)" : "");
            return rc;
        }
        tender_tenders_v1_Document *nd = tnd_arena_calloc(arena, t->n_documents + 1, sizeof *nd);
        if (!nd)
            return oom();
        if (t->n_documents)
            memcpy(nd, t->documents, t->n_documents * sizeof *nd);
        t->documents = nd;
        t->documents[t->n_documents++] = d;
        if (!g->json) {
            printf("%s\n", d.id ? d.id : "?");
            fflush(stdout);
        }
    }
    return 0;
}

static int tender_create(ctl_global *g, const ctl_call *call)
{
    const field_flags ff = *(const field_flags *)call->opts;
    int rc;
    static const char *const need[] = {"--title", "--budget", "--currency", "--deadline",
                                       "--opening"};
    const char *have[] = {ff.title, ff.budget.text, ff.currency, ff.deadline.text,
                          ff.opening.text};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!have[i] && !(i == 1 && ff.lots.n)) { /* with lots, the budget is their sum */
            ctl_err("tender create: %s is required (see tenderctl tender create --help)", need[i]);
            return CTL_EXIT_USAGE;
        }
    tender_tenders_v1_CreateTenderRequest req = {
        .fields = tnd_msg_new_in(&tender_tenders_v1_TenderFields_desc, call->arena)};
    if (!req.fields)
        return oom();
    if ((rc = apply_fields("tender create", call->arena, &ff, req.fields)) != 0)
        return rc;
    for (size_t i = 0; i < ff.docs.n; i++)
        if ((rc = ctl_doc_check("tender create", ff.docs.v[i])) != 0)
            return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tender_tenders_v1_Tenders_Create_in(c, call->arena, &req, &t, ctl_idem_next(&k), &st) !=
        0) {
        rc = ctl_reply_fail(call->arena, &st);
        goto out_client;
    }
    if (!g->json) {
        printf("%s\n", t.id ? t.id : "?");
        fflush(stdout);
    }
    rc = upload_docs(g, call->arena, c, &k, &ff, &t);
    if (g->json)
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Tender_desc, &t));
out_client:
    tnd_client_free(c);
    return rc;
}

/* edit and amend: read the tender, change the fields given, send. */
static int tender_change(ctl_global *g, const ctl_call *call, bool amend)
{
    const char *cmd = amend ? "tender amend" : "tender edit";
    const field_flags ff = *(const field_flags *)call->opts;
    const char *note = ff.note, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
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
    if (!amend && !any_field(&ff) && ff.docs.n == 0) {
        ctl_err("tender edit: nothing to change (see tenderctl tender edit --help)");
        return CTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < ff.docs.n; i++)
        if ((rc = ctl_doc_check(cmd, ff.docs.v[i])) != 0)
            return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tnd_arena *arena = call->arena;
    tender_tenders_v1_Tender cur, t;
    if ((rc = ctl_tender_get(c, arena, pos[0], 0, &cur)) != 0)
        goto out_client;
    /* The fields as read, changed in place: all of it is the run's arena's. */
    tender_tenders_v1_TenderFields *f = cur.fields;
    if (!f && !(f = tnd_msg_new_in(&tender_tenders_v1_TenderFields_desc, arena))) {
        rc = oom();
        goto out_client;
    }
    if ((rc = apply_fields(cmd, arena, &ff, f)) != 0)
        goto out_client;
    ctl_idem k = {0};
    tnd_status_info st;
    int code;
    char *id = ctl_str(call, pos[0]);
    if (!id) {
        rc = oom();
        goto out_client;
    }
    if (amend) {
        tender_tenders_v1_AmendTenderRequest req = {
            .id = id, .fields = f, .note = ctl_str(call, note)};
        code = req.note
                   ? tender_tenders_v1_Tenders_Amend_in(c, arena, &req, &t, ctl_idem_next(&k), &st)
                   : -1;
    } else if (any_field(&ff)) {
        tender_tenders_v1_EditTenderRequest req = {.id = id, .fields = f};
        code = tender_tenders_v1_Tenders_Edit_in(c, arena, &req, &t, ctl_idem_next(&k), &st);
    } else {
        /* Only documents to add: the draft as it is. */
        t = cur;
        t.fields = f;
        code = 0;
    }
    if (code < 0) {
        rc = oom();
        goto out_client;
    }
    if (code != 0) {
        rc = ctl_reply_fail(arena, &st);
        goto out_client;
    }
    if (!g->json && any_field(&ff))
        print_change(g, &t, amend ? "amended" : "edited");
    rc = upload_docs(g, arena, c, &k, &ff, &t);
    if (g->json)
        print_change(g, &t, "");
out_client:
    tnd_client_free(c);
    return rc;
}

static int tender_publish(ctl_global *g, const ctl_call *call)
{
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("tender publish: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_TenderRef req = {.id = ctl_str(call, pos[0])};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (!req.id)
        rc = oom();
    else if (tender_tenders_v1_Tenders_Publish_in(c, call->arena, &req, &t, ctl_idem_next(&k),
                                                  &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        print_change(g, &t, "published");
    tnd_client_free(c);
    return rc;
}

typedef struct cancel_opts {
    const char *reason, *reason_code;
} cancel_opts;

static int tender_cancel(ctl_global *g, const ctl_call *call)
{
    const cancel_opts *o = call->opts;
    const char *reason = o->reason, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1 || !reason || !*reason) {
        ctl_err("tender cancel: give the tender's ID and --reason TEXT (it is published)");
        return CTL_EXIT_USAGE;
    }
    int code = tnd_cancel_code_parse(o->reason_code);
    if (!code) {
        ctl_err("tender cancel: --reason-code CODE is required, one of: " TND_CANCEL_CODES);
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_CancelTenderRequest req = {
        .id = ctl_str(call, pos[0]), .reason = ctl_str(call, reason), .reason_code = code};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena))
        rc = oom();
    else if (tender_tenders_v1_Tenders_Cancel_in(c, call->arena, &req, &t, ctl_idem_next(&k),
                                                 &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        print_change(g, &t, "cancelled");
    tnd_client_free(c);
    return rc;
}

static int tender_lot_cancel(ctl_global *g, const ctl_call *call)
{
    const cancel_opts *o = call->opts;
    const char *reason = o->reason, *const *pos = call->pos;
    int rc;
    if (call->n_pos != 2 || !reason || !*reason) {
        ctl_err("tender lot-cancel: give the tender's ID, the lot's ID and --reason TEXT (it is "
                "published)");
        return CTL_EXIT_USAGE;
    }
    int code = tnd_cancel_code_parse(o->reason_code);
    if (!code) {
        ctl_err("tender lot-cancel: --reason-code CODE is required, one of: " TND_CANCEL_CODES);
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_CancelLotRequest req = {.id = ctl_str(call, pos[0]),
                                              .lot_id = ctl_str(call, pos[1]),
                                              .reason = ctl_str(call, reason),
                                              .reason_code = code};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena))
        rc = oom();
    else if (tender_tenders_v1_Tenders_CancelLot_in(c, call->arena, &req, &t, ctl_idem_next(&k),
                                                    &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else if (g->json)
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Tender_desc, &t));
    else
        printf("%s lot %s cancelled\n", t.id ? t.id : "?", pos[1]);
    tnd_client_free(c);
    return rc;
}

static int tender_edit(ctl_global *g, const ctl_call *call)
{
    return tender_change(g, call, false);
}

static int tender_amend(ctl_global *g, const ctl_call *call)
{
    return tender_change(g, call, true);
}

#define FIELD(n, k, f, a, h, ...)                                                                  \
    {.name = n, .kind = k, .at = offsetof(field_flags, f), .arg = a, .help = h, __VA_ARGS__}

/* The field flags of create, edit and amend. */
#define FIELD_OPTDEFS                                                                              \
    FIELD("--title", CTL_STRING, title, "_TEXT_", "The title."),                                   \
        FIELD("--description", CTL_STRING, description, "_TEXT_", "Longer text; \"\" clears it."), \
        FIELD("--budget", CTL_MONEY, budget, "_AMOUNT_",                                           \
              "The estimated value, a decimal number (1500000, 1234.56), with *--currency*:\n"     \
              "stored exactly in the currency's minor units, no more decimals than the currency\n" \
              "has (KRW/JPY 0, EUR/USD 2, KWD/BHD 3).",                                            \
              .pair = "--currency"),                                                               \
        FIELD("--currency", CTL_STRING, currency, "_CODE_",                                        \
              "An ISO 4217 currency in use (KRW, EUR, ...); given with *--budget*."),              \
        FIELD("--price-cap", CTL_STRING, price_cap, "*on*|*off*",                                  \
              "*on* (the default): a bid priced above the estimated value opens invalid. *off*:\n" \
              "bids may ask more. Bids must be in the tender's currency and above zero either\n"   \
              "way.",                                                                              \
              .values = "on off"),                                                                 \
        FIELD("--deadline", CTL_TIME, deadline, "_TIME_",                                          \
              "The submission deadline, RFC 3339 (2026-12-01T10:00:00Z or\n"                       \
              "2026-12-01T19:00:00+09:00)."),                                                      \
        FIELD("--opening", CTL_TIME, opening, "_TIME_",                                            \
              "The public opening of the bids, at or after the deadline."),                        \
        FIELD("--enquiry-deadline", CTL_TIME, enquiry, "_TIME_",                                   \
              "The last time for questions; \"\" clears it.", .clearable = true),                  \
        FIELD("--cpv", CTL_STRING, cpv, "_CODE_",                                                  \
              "A CPV classification code, e.g. 45233140-2; \"\" clears it."),                      \
        FIELD("--method", CTL_STRING, method, "*open*|*selective*|*limited*|*direct*",             \
              "The procurement method.", .values = "open selective limited direct"),               \
        FIELD("--category", CTL_STRING, category, "*goods*|*works*|*services*",                    \
              "The main category.", .values = "goods works services"),                             \
        FIELD("--committee", CTL_FILE, committee, "_FILE_",                                        \
              "The opening committee: one member a line, \"NAME PUBKEY\" (# starts a\n"            \
              "comment). NAME is the member's certificate CN, PUBKEY the base64 X25519 public\n"   \
              "key *keys gen* printed (the text of NAME.pub). Each name and each key appears\n"    \
              "once: k of n means k different people (a repeat, or a key of low order, is\n"       \
              "refused with exit 2). tenderctl makes the tender's opening key and its documents\n" \
              "key, splits their private keys k of n (each share holds both), seals a share to\n"  \
              "each member, gives the server the public keys and each share's hash, and forgets\n" \
              "the private keys. Not with *amend*."),                                              \
        FIELD("--threshold", CTL_STRING, threshold, "_K_",                                         \
              "Members needed to open the bids (default: a majority); with *--committee*."),       \
        FIELD("--award-criteria", CTL_STRING, award_criteria, "*lowest-price*|*weighted*",         \
              "How the award is decided (default lowest-price, shown by *tender show*);\n"         \
              "weighted scores each valid bid 0..100 points on each published criterion.\n"        \
              "*lowest-price* removes the criteria.",                                              \
              .values = "lowest-price weighted"),                                                  \
        FIELD("--criterion", CTL_LIST, criteria, "_NAME_:_WEIGHT_",                                \
              "A weighted criterion and its weight in whole percent, e.g. *price:60*\n"            \
              "(repeatable, at most 20; the weights add up to 100 or the server refuses the\n"     \
              "tender). Implies *weighted*; the criteria given replace the earlier ones.",         \
              .max = MAX_CRITERIA),                                                                \
        FIELD("--lot", CTL_LIST, lots,                                                             \
              "'_ID_: _TITLE_; _VALUE_[; criteria=_NAME_:_WEIGHT_,...][; description=_TEXT_]'",    \
              "A lot (repeatable, at most 100; docs/LOTS.md): its id (letters, digits, dot,\n"     \
              "underscore, hyphen), title and value in the tender's currency; its own award\n"    \
              "criteria (weights adding up to 100; lowest price when left out, or\n"              \
              "*criteria=lowest-price*). A lot with the\n"                                         \
              "id of one the tender has replaces it. With lots and no *--budget*, the\n"           \
              "estimated value becomes the lots' sum; the tender-level *--award-criteria* stay\n"  \
              "unset.",                                                                            \
              .max = 100),                                                                         \
        FIELD("--item", CTL_LIST, items,                                                           \
              "'_ID_: _DESCRIPTION_[; _QUANTITY_ _UNIT_][; lot=_LOT_][; cpv=_CODE_][; "            \
              "place=_TEXT_][; from=_DATE_][; to=_DATE_]'",                                        \
              "An item bought (repeatable, at most 1000): a quantity with a UN/CEFACT\n"           \
              "Recommendation 20 unit code (H87 piece, C62 one, KGM, TNE, MTR, MTK, MTQ, LTR,\n"   \
              "HUR, DAY, MON, E48 service unit, ...), the lot it belongs to (required when the\n"  \
              "tender has lots), a CPV code, the delivery place and period (dates, 2027-01-31,\n"  \
              "or RFC 3339 times). An item with the id of one the tender has replaces it.",        \
              .max = 1000),                                                                        \
        FIELD("--drop-lot", CTL_LIST, drop_lots, "_ID_",                                           \
              "Remove a lot from a draft (repeatable); a published tender's lot is cancelled\n"    \
              "instead: *tender lot-cancel*.",                                                     \
              .max = 100),                                                                         \
        FIELD("--drop-item", CTL_LIST, drop_items, "_ID_", "Remove an item (repeatable).",         \
              .max = 1000)

#define DOC_OPTDEF                                                                                 \
    FIELD("--doc", CTL_LIST, docs, "_FILE_",                                                       \
          "A document to attach (repeatable; in 1 MiB chunks, the media type from the\n"           \
          "extension); not with *amend*.",                                                         \
          .max = MAX_DOCS, .files = true)

static const ctl_optdef create_optdefs[] = {FIELD_OPTDEFS, DOC_OPTDEF, {0}};
static const ctl_optdef edit_optdefs[] = {FIELD_OPTDEFS, DOC_OPTDEF, {0}};
static const ctl_optdef amend_optdefs[] = {
    FIELD_OPTDEFS,
    FIELD("--note", CTL_STRING, note, "_TEXT_", "*amend* only, required: what changed and why."),
    {0},
};

static const ctl_cmd create_cmd = {
    .name = "create",
    .synopsis = "*--title* _TEXT_ *--budget* _AMOUNT_ *--currency* _CODE_ *--deadline* _TIME_ "
                "*--opening* _TIME_ [_FIELD FLAGS_] [*--doc* _FILE_]...",
    .summary = "create a draft (officer); prints its id",
    .about = "Create a draft for your organisation (officer) and print its id, then upload each\n"
             "*--doc* _FILE_ (in 1 MiB chunks, the media type from the extension) and print each\n"
             "document's id. *--json* prints the tender, with the uploaded documents. A draft can\n"
             "be published once it has a committee. A tender in lots gives each *--lot*, and\n"
             "each *--item* in its lot; *--budget* may then be left out: it is the lots' sum.",
    .opts = create_optdefs,
    .opts_size = sizeof(field_flags),
    .run = tender_create,
};

static const ctl_cmd edit_cmd = {
    .name = "edit",
    .synopsis = "_ID_ [_FIELD FLAGS_] [*--doc* _FILE_]...",
    .summary = "change a draft (officer)",
    .about = "Change a draft: the fields given are replaced, the others kept; then each *--doc*\n"
             "_FILE_ is uploaded.",
    .opts = edit_optdefs,
    .opts_size = sizeof(field_flags),
    .max_pos = 1,
    .run = tender_edit,
};

static const ctl_cmd publish_cmd = {
    .name = "publish",
    .synopsis = "_ID_",
    .summary = "publish a draft (officer)",
    .about = "Publish a draft: it becomes version 1, visible to everyone and open for questions\n"
             "and bids until its deadline. Needs the deadlines and an opening committee.",
    .max_pos = 1,
    .run = tender_publish,
};

static const ctl_cmd amend_cmd = {
    .name = "amend",
    .synopsis = "_ID_ [_FIELD FLAGS_] *--note* _TEXT_",
    .summary = "amend an active tender: a new version (officer)",
    .about = "Amend an active tender: a new version, with the note (what changed and why) shown\n"
             "to suppliers. The committee cannot change; an amendment close to the deadline must\n"
             "move the deadline (the server's *--min-amend-period*).",
    .opts = amend_optdefs,
    .opts_size = sizeof(field_flags),
    .max_pos = 1,
    .run = tender_amend,
};

static const ctl_optdef cancel_optdefs[] = {
    {.name = "--reason",
     .kind = CTL_STRING,
     .at = offsetof(cancel_opts, reason),
     .arg = "_TEXT_",
     .help = "Why, published with the tender."},
    {.name = "--reason-code",
     .kind = CTL_STRING,
     .at = offsetof(cancel_opts, reason_code),
     .arg = "_CODE_",
     .help = "The reason's code (required; docs/PROTOCOL.md, 10.5).",
     .values = TND_CANCEL_CODES},
    {0},
};

static const ctl_cmd cancel_cmd = {
    .name = "cancel",
    .synopsis = "_ID_ *--reason* _TEXT_ *--reason-code* _CODE_",
    .summary = "cancel a tender (officer)",
    .about = "Cancel a draft, active, closed or opened tender; the reason is published, except\n"
             "for a draft: a draft cancelled before it was published stays visible only to its\n"
             "organisation.",
    .opts = cancel_optdefs,
    .opts_size = sizeof(cancel_opts),
    .max_pos = 1,
    .run = tender_cancel,
};

static const ctl_cmd lot_cancel_cmd = {
    .name = "lot-cancel",
    .synopsis = "_ID_ _LOT_ *--reason* _TEXT_ *--reason-code* _CODE_",
    .summary = "cancel one lot of a published tender (officer)",
    .about = "Cancel one lot of a published tender that is active, closed, opened or awarded;\n"
             "the lot must be active (an award in its standstill is cancelled first). The\n"
             "reason is published; the other lots go on. The last lot not cancelled is not\n"
             "cancelled alone: cancel the tender (*tender cancel*). *--json* prints the tender.",
    .opts = cancel_optdefs,
    .opts_size = sizeof(cancel_opts),
    .max_pos = 2,
    .run = tender_lot_cancel,
};

const ctl_cmd ctl_cmd_tender = {
    .name = "tender",
    .summary = "tenders (see tenderctl tender --help)",
    .about = "*--json* prints the server's objects.",
    .subs = (const ctl_cmd *const[]){&create_cmd, &edit_cmd, &publish_cmd, &amend_cmd,
                                     &cancel_cmd, &lot_cancel_cmd, &ctl_tender_show_cmd,
                                     &ctl_tender_list_cmd, &ctl_tender_documents_cmd,
                                     &ctl_tender_download_cmd, NULL},
};
