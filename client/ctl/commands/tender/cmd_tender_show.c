/* tenderctl tender show / list / documents: reading tenders, as readable
 * text or (--json) the server's objects. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "commands/complaint_cmd.h"
#include "tender/cancel.h"
#include "tender_cmd.h"

static const char *ts_text(const tender_common_v1_Timestamp *t, char *buf, size_t len)
{
    if (!t)
        return "-";
    return ctl_time_text(t->seconds, t->nanos, buf, len);
}

static const char *value_text(const tender_tenders_v1_TenderFields *f, char *buf, size_t len)
{
    if (!f || !f->estimated_value)
        return "-";
    return ctl_money_text(f->estimated_value->minor_units, f->estimated_value->currency, buf, len);
}

static const char *str(const char *s)
{
    return s && *s ? s : "-";
}

static void print_documents(const tender_tenders_v1_Tender *t, const char *indent)
{
    for (size_t i = 0; i < t->n_documents; i++) {
        const tender_tenders_v1_Document *d = &t->documents[i];
        char hex[65] = "-";
        if (d->sha256.len == 32)
            ctl_hex(d->sha256.data, 32, hex);
        printf("%s%s  %s  %s  %llu  %s\n", indent, str(d->id), str(d->name), str(d->media_type),
               (unsigned long long)d->size, hex);
    }
}

void ctl_tender_print(const tender_tenders_v1_Tender *t)
{
    const tender_tenders_v1_TenderFields *f = t->fields;
    static const tender_tenders_v1_TenderFields none = {0};
    char a[64], b[64];
    if (!f)
        f = &none;
    printf("id:                   %s\n", str(t->id));
    printf("version:              %u%s\n", t->version, t->version ? "" : " (unpublished draft)");
    printf("status:               %s\n",
           ctl_enum_lower(&tender_tenders_v1_TenderStatus_desc, t->status, a, sizeof a));
    printf("buyer:                %s\n", str(t->buyer));
    printf("title:                %s\n", str(f->title));
    if (f->description && *f->description)
        printf("description:          %s\n", f->description);
    printf("value:                %s\n", value_text(f, a, sizeof a));
    if (f->estimated_value)
        printf("price cap:            %s\n", f->price_above_value
                                                 ? "off (bids may ask more than the value)"
                                                 : "on (a bid above the value opens invalid)");
    printf("method:               %s\n",
           f->method
               ? ctl_enum_lower(&tender_tenders_v1_ProcurementMethod_desc, f->method, a, sizeof a)
               : "-");
    printf("category:             %s\n",
           f->category
               ? ctl_enum_lower(&tender_tenders_v1_MainCategory_desc, f->category, a, sizeof a)
               : "-");
    if (f->classification)
        printf("%-22s%s\n",
               f->classification->scheme && strcmp(f->classification->scheme, "CPV") == 0
                   ? "cpv:"
                   : "classification:",
               str(f->classification->code));
    else
        printf("cpv:                  -\n");
    printf("enquiry deadline:     %s\n", ts_text(f->enquiry_deadline, a, sizeof a));
    printf("submission deadline:  %s\n", ts_text(f->submission_deadline, a, sizeof a));
    printf("opening time:         %s\n", ts_text(f->opening_time, a, sizeof a));
    if (f->n_lots)
        printf("award criteria:       per lot\n");
    else
        ctl_criteria_print(f);
    if (f->committee)
        printf("committee:            %zu members, threshold %u\n", f->committee->n_members,
               f->committee->threshold);
    else
        printf("committee:            none\n");
    printf("created:              %s\n", ts_text(t->created, a, sizeof a));
    printf("updated:              %s\n", ts_text(t->updated, b, sizeof b));
    if (t->published)
        printf("published:            %s\n", ts_text(t->published, a, sizeof a));
    if (t->amendment_note && *t->amendment_note)
        printf("amendment note:       %s\n", t->amendment_note);
    if (t->postponement) { /* the server's outage rule made this version */
        char c[40];
        printf("postponed:            from %s (the server was down or could not write from %s "
               "to %s)\n",
               ts_text(t->postponement->previous_deadline, a, sizeof a),
               ts_text(t->postponement->outage_from, b, sizeof b),
               ts_text(t->postponement->outage_to, c, sizeof c));
    }
    if (t->resumption) { /* the end of a complaint's suspension made this version */
        char c[40];
        printf("resumed:              from %s (suspended by complaint %s from %s to %s)\n",
               ts_text(t->resumption->previous_deadline, a, sizeof a),
               t->resumption->complaint_id ? t->resumption->complaint_id : "",
               ts_text(t->resumption->suspended_from, b, sizeof b),
               ts_text(t->resumption->suspended_to, c, sizeof c));
    }
    if (t->cancel_reason && *t->cancel_reason)
        printf("cancel reason:        %s\n", t->cancel_reason);
    if (t->status == tender_tenders_v1_TenderStatus_CANCELLED)
        printf("cancel code:          %s (%s)\n", tnd_cancel_code_name(t->cancel_code),
               tnd_cancel_code_text(t->cancel_code));
    ctl_lots_print(t);
    printf("documents:            %zu\n", t->n_documents);
    print_documents(t, "  ");
}

/* The complaints about the tender you may see, when there are any; a
 * server that cannot list them (an older one) leaves them out silently. */
static void print_complaints(tnd_client *c, tnd_arena *arena, const char *id)
{
    tender_complaints_v1_ComplaintList l;
    tnd_status_info st;
    if (ctl_complaints_fetch(c, arena, id, &l, &st) != 0 || !l.n_complaints)
        return;
    printf("complaints:           %zu\n", l.n_complaints);
    ctl_complaint_rows(&l, "  ", false);
}

typedef struct show_opts {
    const char *version;
} show_opts;

static int tender_show(ctl_global *g, const ctl_call *call)
{
    const show_opts *o = call->opts;
    const char *version = o->version, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("tender show: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    unsigned long v = 0;
    if (version) {
        char *end;
        errno = 0;
        v = strtoul(version, &end, 10);
        if (errno || end == version || *end || version[0] == '-' || v < 1 || v > UINT32_MAX) {
            ctl_err("tender show: --version %s: expected a version number (1 or more)", version);
            return CTL_EXIT_USAGE;
        }
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_Tender t;
    if ((rc = ctl_tender_get(c, call->arena, pos[0], (uint32_t)v, &t)) == 0) {
        if (g->json) {
            ctl_json_print(ctl_json_msg(&tender_tenders_v1_Tender_desc, &t));
        } else {
            ctl_tender_print(&t);
            print_complaints(c, call->arena, pos[0]);
        }
    }
    tnd_client_free(c);
    return rc;
}

static int tender_documents(ctl_global *g, const ctl_call *call)
{
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("tender documents: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_Tender t;
    if ((rc = ctl_tender_get(c, call->arena, pos[0], 0, &t)) == 0) {
        if (g->json) {
            json_t *list = json_array();
            for (size_t i = 0; list && i < t.n_documents; i++)
                json_array_append_new(
                    list, ctl_json_msg(&tender_tenders_v1_Document_desc, &t.documents[i]));
            ctl_json_print(list);
        } else {
            printf("ID  NAME  TYPE  SIZE  SHA256\n");
            print_documents(&t, "");
        }
    }
    tnd_client_free(c);
    return rc;
}

typedef struct list_flags {
    const char *status, *buyer, *cpv, *text, *page_size, *cursor, *currency;
    ctl_time from, to;
    ctl_money value_min, value_max;
    bool all;
} list_flags;

/* The value filter: the bounds read exactly in --currency (the parser did it),
 * into lo and hi (borrowed by q); --currency alone: any amount in it. Returns 0
 * or an exit code. */
static int list_value(const list_flags *lf, tender_tenders_v1_ListTendersRequest *q,
                      tender_common_v1_Money *lo, tender_common_v1_Money *hi, char code[4])
{
    const ctl_money *m[2] = {&lf->value_min, &lf->value_max};
    tender_common_v1_Money *out[2] = {lo, hi}, **dst[2] = {&q->value_min, &q->value_max};
    if (!lf->currency) {
        if (m[0]->text || m[1]->text) {
            ctl_err("tender list: %s needs --currency (an ISO 4217 code such as EUR or KRW)",
                    m[0]->text ? "--value-min" : "--value-max");
            return CTL_EXIT_USAGE;
        }
        return 0;
    }
    char err[200];
    int exp;
    if (ctl_currency(lf->currency, code, &exp, err, sizeof err) != 0) {
        ctl_err("tender list: --currency %s", err);
        return CTL_EXIT_USAGE;
    }
    for (int i = 0; i < 2; i++)
        if (m[i]->exact) {
            out[i]->minor_units = m[i]->minor;
            out[i]->currency = code;
            *dst[i] = out[i];
        }
    if (!q->value_min && !q->value_max) {
        lo->currency = code;
        q->value_min = lo;
    }
    return 0;
}

/* Fill the request from the flags. Returns 0 or an exit code. */
static int list_request(const ctl_call *call, const list_flags *lf,
                        tender_tenders_v1_ListTendersRequest *q, tender_common_v1_Timestamp *from,
                        tender_common_v1_Timestamp *to)
{
    if (lf->status) {
        int v = ctl_enum_parse(&tender_tenders_v1_TenderStatus_desc, lf->status);
        if (v < 0) {
            ctl_err("tender list: --status %s: expected draft, active, closed, opened, awarded, "
                    "complete, cancelled or unsuccessful",
                    lf->status);
            return CTL_EXIT_USAGE;
        }
        q->status = (tender_tenders_v1_TenderStatus)v;
    }
    const ctl_time *tval[] = {&lf->from, &lf->to};
    tender_common_v1_Timestamp *ts[] = {from, to}, **dst[] = {&q->deadline_from, &q->deadline_to};
    for (int i = 0; i < 2; i++) {
        if (!tval[i]->text)
            continue;
        ts[i]->seconds = tval[i]->seconds;
        ts[i]->nanos = tval[i]->nanos;
        *dst[i] = ts[i];
    }
    if (lf->page_size) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(lf->page_size, &end, 10);
        if (errno || end == lf->page_size || *end || lf->page_size[0] == '-' || n < 1 || n > 500) {
            ctl_err("tender list: --page-size %s: expected 1 to 500", lf->page_size);
            return CTL_EXIT_USAGE;
        }
        q->page_size = (uint32_t)n;
    }
    q->buyer = ctl_str(call, lf->buyer);
    q->classification_prefix = ctl_str(call, lf->cpv);
    q->text = ctl_str(call, lf->text);
    q->cursor = ctl_str(call, lf->cursor);
    return tnd_arena_failed(call->arena) ? ctl_oom() : 0;
}

static void print_rows(const tender_tenders_v1_ListTendersResponse *r)
{
    for (size_t i = 0; i < r->n_tenders; i++) {
        const tender_tenders_v1_Tender *t = &r->tenders[i];
        const tender_tenders_v1_TenderFields *f = t->fields;
        char st[32], dl[64], val[64];
        printf("%-16s  %-12s  %-20s  %18s  %s\n", str(t->id),
               ctl_enum_lower(&tender_tenders_v1_TenderStatus_desc, t->status, st, sizeof st),
               ts_text(f ? f->submission_deadline : NULL, dl, sizeof dl),
               value_text(f, val, sizeof val), str(f ? f->title : NULL));
    }
}

static int tender_list(ctl_global *g, const ctl_call *call)
{
    const list_flags lf = *(const list_flags *)call->opts;
    int rc;
    tender_tenders_v1_ListTendersRequest q = {0};
    tender_common_v1_Timestamp from = {0}, to = {0};
    tender_common_v1_Money lo = {0}, hi = {0};
    char code[4] = "";
    if ((rc = list_request(call, &lf, &q, &from, &to)) != 0 ||
        (rc = list_value(&lf, &q, &lo, &hi, code)) != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    char cursor[300];
    /* --json: one document, {"tenders": [...], "next_cursor": "..."}. */
    json_t *list = g->json ? json_array() : NULL;
    if (!g->json)
        printf("%-16s  %-12s  %-20s  %18s  %s\n", "ID", "STATUS", "DEADLINE", "VALUE", "TITLE");
    for (;;) {
        /* A page at a time in the arena, given back once printed (--all may read many). */
        tnd_arena_mark page = tnd_arena_save(call->arena);
        tender_tenders_v1_ListTendersResponse r;
        tnd_status_info st;
        if (tender_tenders_v1_Tenders_List_in(c, call->arena, &q, &r, NULL, &st) != 0) {
            rc = ctl_reply_fail(call->arena, &st);
            break;
        }
        if (g->json)
            for (size_t i = 0; list && i < r.n_tenders; i++)
                json_array_append_new(list,
                                      ctl_json_msg(&tender_tenders_v1_Tender_desc, &r.tenders[i]));
        else
            print_rows(&r);
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tnd_arena_rewind(call->arena, page);
        if (*cursor && lf.all) {
            q.cursor = cursor;
            continue;
        }
        if (g->json) {
            ctl_json_print(
                json_pack("{s:O,s:o}", "tenders", list, "next_cursor", ctl_json_str(cursor)));
        } else if (*cursor) {
            fflush(stdout);
            ctl_err("more tenders: add --cursor %s (or --all)", cursor);
        }
        break;
    }
    json_decref(list);
    tnd_client_free(c);
    return rc;
}

static const ctl_optdef show_optdefs[] = {
    {.name = "--version",
     .kind = CTL_STRING,
     .at = offsetof(show_opts, version),
     .arg = "_N_",
     .help = "An earlier published version (1 is the first)."},
    {0},
};

const ctl_cmd ctl_tender_show_cmd = {
    .name = "show",
    .synopsis = "_ID_ [*--version* _N_]",
    .summary = "one tender",
    .about =
        "One tender: id, version, status, buyer, fields (value as a decimal amount with its\n"
        "currency, times in RFC 3339 UTC), award criteria (lowest price, or the weighted\n"
        "criteria with their weights), committee and documents, and a deadline the server\n"
        "postponed after an outage (with the outage), and the complaints about it you may see\n"
        "(id, state, subject; *complaint list*). *--version* _N_ shows an earlier\n"
        "published version (1 is the first). Drafts, also cancelled ones, are visible only\n"
        "to their organisation. *--json* prints the Tender object.",
    .opts = show_optdefs,
    .opts_size = sizeof(show_opts),
    .max_pos = 1,
    .run = tender_show,
};

#define LIST_OPT(n, k, f, a, h, ...)                                                               \
    {                                                                                              \
        .name = n, .kind = k, .at = offsetof(list_flags, f), .arg = a, .help = h, __VA_ARGS__      \
    }

static const ctl_optdef list_optdefs[] = {
    LIST_OPT("--status", CTL_STRING, status, "_S_",
             "draft, active, closed, opened, awarded, complete, cancelled, unsuccessful",
             .values = "draft active closed opened awarded complete cancelled unsuccessful"),
    LIST_OPT("--buyer", CTL_STRING, buyer, "_ORG_", "The buyer organisation, exactly."),
    LIST_OPT("--cpv", CTL_STRING, cpv, "_PREFIX_", "Classification codes starting with _PREFIX_."),
    LIST_OPT("--deadline-from", CTL_TIME, from, "_TIME_",
             "Submission deadline at or after _TIME_ (RFC 3339)."),
    LIST_OPT("--deadline-to", CTL_TIME, to, "_TIME_", "Submission deadline at or before _TIME_."),
    LIST_OPT("--text", CTL_STRING, text, "_WORDS_", "In the title, case-insensitive."),
    LIST_OPT("--value-min", CTL_MONEY, value_min, "_AMOUNT_",
             "Estimated value at least _AMOUNT_ (1500000, 1234.56) in *--currency*.",
             .pair = "--currency"),
    LIST_OPT("--value-max", CTL_MONEY, value_max, "_AMOUNT_",
             "Estimated value at most _AMOUNT_ in *--currency*.", .pair = "--currency"),
    LIST_OPT("--currency", CTL_STRING, currency, "_CODE_",
             "The currency of the value filter (EUR, KRW, ...); alone: tenders valued in it."),
    LIST_OPT("--page-size", CTL_STRING, page_size, "_N_", "Tenders a page, 1 to 500 (default 50)."),
    LIST_OPT("--cursor", CTL_STRING, cursor, "_C_", "Continue after a previous page."),
    LIST_OPT("--all", CTL_BOOL, all, NULL, "Every page."),
    {0},
};

const ctl_cmd ctl_tender_list_cmd = {
    .name = "list",
    .synopsis = "[_FILTERS_] [*--page-size* _N_] [*--all* | *--cursor* _C_]",
    .summary = "tenders, a page at a time",
    .about = "Published tenders, and your organisation's drafts: id, status, deadline, value,\n"
             "title. One page at a time (default 50, at most 500); the cursor of the next page\n"
             "is printed to standard error; *--all* follows every page. Filters: *--status* _S_\n"
             "(draft, active, closed, opened, awarded, complete, cancelled, unsuccessful),\n"
             "*--buyer* _ORG_ (exactly), *--cpv* _PREFIX_, *--deadline-from* _TIME_,\n"
             "*--deadline-to* _TIME_, *--text* _WORDS_ (in the title, case-insensitive),\n"
             "*--value-min* _AMOUNT_ and *--value-max* _AMOUNT_ with *--currency* _CODE_ (the\n"
             "estimated value in that currency, bounds included; tenders in other currencies\n"
             "or without a value are left out).\n"
             "*--json* prints {\"tenders\": [...], \"next_cursor\": \"...\"}.",
    .opts = list_optdefs,
    .opts_size = sizeof(list_flags),
    .run = tender_list,
};

const ctl_cmd ctl_tender_documents_cmd = {
    .name = "documents",
    .synopsis = "_ID_",
    .summary = "the documents of a tender",
    .about = "The documents of a tender: id, name, media type, size in bytes, SHA-256 (hex).\n"
             "*--json* prints an array of Document objects.",
    .max_pos = 1,
    .run = tender_documents,
};
