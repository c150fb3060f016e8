/* tenderctl export ocds: the public record of tenders as an Open
 * Contracting Data Standard 1.1.5 release package, built by the builder
 * tenderd's HTTP API uses too (common/ocds/ocds.h) from public calls only:
 * Tenders/List or Get, Get of each published version, Tenders/Questions,
 * Log/GetLeaves (the events), after the opening only Bids/GetOpening, and
 * Awards/GetById for each award decision. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/tender/tender_cmd.h"
#include "ocds/ocds.h"
#include "tender/pages.h"

/* The release builder (common/ocds) owns what it is given, with malloc; the
 * requests are built in the run's arena. */
typedef struct ocds_ctx {
    tnd_client *c;
    tnd_arena *arena;
    const ctl_global *g;
    const char *prefix;
    bool have_since;
    tender_common_v1_Timestamp since;
    json_t *releases;
} ocds_ctx;

static int oom(void)
{
    ctl_err("export ocds: out of memory");
    return CTL_EXIT_FAIL;
}

/* The tender's events worth a release, in log order. */
static int fetch_events(const ocds_ctx *x, tnd_ocds_tender *td)
{
    tender_log_v1_LeavesRequest req = {.tender_id = tnd_arena_strdup(x->arena, td->id)};
    if (!req.tender_id)
        return oom();
    tnd_call_opts o = {.timeout_ms = ctl_stream_timeout(x->g)};
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(x->c, tender_log_v1_Log_GetLeaves_method, &req, &o, &s, &st) != 0)
        return ctl_status_fail(&st);
    tender_log_v1_Leaf leaf;
    int rc = 0;
    while (tnd_client_stream_next(s, &leaf, &st) == 1) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        int taken = 0;
        if (rc == 0 &&
            tender_events_v1_Event_decode(&ev, leaf.data.data, leaf.data.len, NULL) != 0) {
            ctl_err("export ocds: leaf %llu is not an event", (unsigned long long)leaf.index);
            rc = CTL_EXIT_VERIFY;
        } else if (rc == 0 && ev.seq != leaf.index) {
            ctl_err("export ocds: leaf %llu holds event %llu", (unsigned long long)leaf.index,
                    (unsigned long long)ev.seq);
            rc = CTL_EXIT_VERIFY;
        } else if (rc == 0 && (taken = tnd_ocds_take_event(td, &ev)) < 0) {
            rc = oom();
        }
        if (taken != 1)
            tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&leaf);
    }
    tnd_client_stream_close(s);
    if (rc == 0 && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    return rc;
}

/* Awards/GetById for the builder; an exit code on failure (message printed). */
static int get_award(void *ctx, const char *id, tender_awards_v1_Award *out)
{
    const ocds_ctx *x = ctx;
    tender_awards_v1_AwardRef ref = {.id = tnd_arena_strdup(x->arena, id)};
    tnd_status_info st;
    if (!ref.id)
        return oom();
    if (tender_awards_v1_Awards_GetById(x->c, &ref, out, NULL, &st) != 0)
        return ctl_status_fail(&st);
    return 0;
}

/* Version v of tender id into out, with malloc: for the builder. */
static int get_version(const ocds_ctx *x, const char *id, uint32_t v, tender_tenders_v1_Tender *out)
{
    tender_tenders_v1_TenderRef ref = {.id = tnd_arena_strdup(x->arena, id), .version = v};
    tnd_status_info st;
    if (!ref.id)
        return oom();
    if (tender_tenders_v1_Tenders_Get(x->c, &ref, out, NULL, &st) != 0)
        return ctl_status_fail(&st);
    return 0;
}

/* Fetch everything about tender latest (copied) and add its releases. */
static int export_tender(ocds_ctx *x, const tender_tenders_v1_Tender *latest)
{
    tnd_ocds_tender td = {.id = latest->id};
    tender_tenders_v1_ListQuestionsResponse_init(&td.questions);
    int rc = 0;
    if (!latest->id || latest->version < 1 || !tnd_ocds_public(latest->status))
        return 0; /* a draft: never exported */
    tnd_ocds_set_ocid(&td, x->prefix, latest->id);
    uint32_t n = latest->version;
    if (!(td.versions = calloc(n, sizeof *td.versions)))
        return oom();
    td.n_versions = n; /* each initialised (zero) until fetched */
    if (tnd_msg_copy(&tender_tenders_v1_Tender_desc, latest, &td.versions[n - 1]) != 0) {
        rc = oom();
        goto out;
    }
    td.id = td.versions[n - 1].id;
    for (uint32_t v = 1; rc == 0 && v < n; v++)
        rc = get_version(x, td.id, v, &td.versions[v - 1]);
    if (rc != 0)
        goto out;
    tnd_status_info st;
    if (tnd_questions_fetch(x->c, td.id, &td.questions, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out;
    }
    if ((rc = fetch_events(x, &td)) != 0)
        goto out;
    if (td.opened) {
        if (tnd_opening_fetch(x->c, td.id, &td.opening, &st) != 0) {
            rc = ctl_status_fail(&st);
            goto out;
        }
        td.have_opening = true;
    }
    int a = tnd_ocds_fill_awards(&td, get_award, x);
    if (a != 0) {
        rc = a < 0 ? oom() : a;
        goto out;
    }
    if (tnd_ocds_releases(&td, x->have_since ? &x->since : NULL, x->releases) != 0)
        rc = oom();
out:
    tnd_ocds_tender_free(&td);
    return rc;
}

static int export_all(ocds_ctx *x)
{
    tender_tenders_v1_ListTendersRequest q = {.page_size = 500};
    char cursor[300];
    for (;;) {
        tender_tenders_v1_ListTendersResponse r;
        tnd_status_info st;
        if (tnd_client_unary(x->c, tender_tenders_v1_Tenders_List_method, &q, &r, NULL, &st) != 0)
            return ctl_status_fail(&st);
        int rc = 0;
        for (size_t i = 0; i < r.n_tenders && rc == 0; i++)
            rc = export_tender(x, &r.tenders[i]);
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tender_tenders_v1_ListTendersResponse_free(&r);
        if (rc != 0)
            return rc;
        if (!*cursor)
            return 0;
        q.cursor = cursor;
    }
}

/* ---- the command ---- */

typedef struct ocds_opts {
    const char *tender, *output, *prefix, *publisher, *uri;
    ctl_time since;
} ocds_opts;

static int ocds(ctl_global *g, const ctl_call *call)
{
    const ocds_opts *opt = call->opts;
    const char *tender = opt->tender, *since = opt->since.text, *output = opt->output,
               *prefix = opt->prefix ? opt->prefix : TND_OCDS_PREFIX,
               *publisher = opt->publisher ? opt->publisher : TND_OCDS_PUBLISHER, *uri = opt->uri;
    int rc;
    ocds_ctx x = {.g = g, .prefix = prefix, .arena = call->arena};
    char uri_buf[300];
    if (since) {
        x.since.seconds = opt->since.seconds;
        x.since.nanos = opt->since.nanos;
        x.have_since = true;
    }
    if (!*prefix || strchr(prefix, '#') || !*publisher || (tender && !*tender) ||
        (output && !*output) || (uri && !*uri)) {
        ctl_err("export ocds: --tender, --output, --ocid-prefix, --publisher and --uri take a "
                "non-empty value (and no # in the prefix)");
        return CTL_EXIT_USAGE;
    }
    if (!uri) {
        char first[300];
        snprintf(uri_buf, sizeof uri_buf, "urn:tenderd:%s:ocds",
                 ctl_first_server(g, first, sizeof first));
        uri = uri_buf;
    }
    if ((rc = ctl_connect(g, &x.c)) != 0)
        return rc;
    if (!(x.releases = json_array())) {
        rc = oom();
        goto out;
    }
    if (tender) {
        tender_tenders_v1_Tender t;
        if ((rc = ctl_tender_get(x.c, call->arena, tender, 0, &t)) == 0)
            rc = export_tender(&x, &t);
    } else {
        rc = export_all(&x);
    }
    if (rc != 0)
        goto out;
    if (json_array_size(x.releases) == 0) {
        ctl_err("export ocds: no release to export%s", since ? " since then" : "");
        rc = CTL_EXIT_FAIL;
        goto out;
    }
    json_t *pkg = tnd_ocds_package(x.releases, uri, publisher, (int64_t)time(NULL));
    size_t flags = TND_OCDS_DUMP_FLAGS;
    if (!pkg) {
        rc = oom();
    } else if (output) {
        char *text = json_dumps(pkg, flags);
        if (!text) {
            rc = oom();
        } else {
            size_t len = strlen(text);
            text[len] = '\n'; /* overwrite the NUL: written by length */
            rc = ctl_file_write(output, text, len + 1, 0644, true);
            free(text);
        }
    } else if (json_dumpf(pkg, stdout, flags) != 0 || fputc('\n', stdout) == EOF ||
               fflush(stdout) != 0) {
        ctl_err("export ocds: writing stdout: %s", strerror(errno));
        rc = CTL_EXIT_FAIL;
    }
    json_decref(pkg);
out:
    json_decref(x.releases);
    tnd_client_free(x.c);
    return rc;
}

#define OCDS_OPT(n, k, f, a, h)                                                                    \
    {                                                                                              \
        .name = n, .kind = k, .at = offsetof(ocds_opts, f), .arg = a, .help = h                    \
    }

static const ctl_optdef ocds_optdefs[] = {
    OCDS_OPT("--tender", CTL_STRING, tender, "_ID_",
             "Only this tender (default: every tender, all pages)."),
    OCDS_OPT("--since", CTL_TIME, since, "_TIME_", "Only releases at or after _TIME_ (RFC 3339)."),
    OCDS_OPT("--output", CTL_FILE, output, "_FILE_",
             "Write _FILE_ (through a temporary file, then renamed) instead of standard output."),
    OCDS_OPT("--ocid-prefix", CTL_STRING, prefix, "_PREFIX_",
             "ocid = _PREFIX_-_TENDER_ID_ (default *ocds-tndrd*); release ids are\n"
             "_OCID_-_EVENT_SEQ_."),
    OCDS_OPT("--publisher", CTL_STRING, publisher, "_NAME_",
             "The package's publisher name (default *tenderd*)."),
    OCDS_OPT("--uri", CTL_STRING, uri, "_URI_",
             "The package's uri (default *urn:tenderd:SERVER:ocds*)."),
    {0},
};

static const ctl_cmd ocds_cmd = {
    .name = "ocds",
    .synopsis = "[*--tender* _ID_] [*--since* _TIME_] [*--output* _FILE_] [*--ocid-prefix* "
                "_PREFIX_] [*--publisher* _NAME_] [*--uri* _URI_]",
    .summary = "tenders as an OCDS 1.1.5 release package",
    .about =
        "Published tenders as an Open Contracting Data Standard 1.1.5 release package (JSON),\n"
        "with the bids and enquiries extensions, from public calls only (no certificate needed).\n"
        "One release per event of a tender's log: published (tag \"tender\"), amended\n"
        "(\"tenderAmendment\", with the amendment's date and note; also a deadline the server\n"
        "postponed after an outage, with the rule's note), cancelled (\"tenderCancellation\"),\n"
        "bids opened (\"tenderUpdate\"), award recorded (\"award\"), award cancelled\n"
        "(\"awardCancellation\"), unsuccessful (\"tenderUpdate\", \"award\") and complete\n"
        "(\"tenderUpdate\", \"awardUpdate\"). Each release describes the tender as it stood at\n"
        "its event: the published version then in force, answered questions (enquiries) up to\n"
        "then, and, from the opening on, the bids (statistics: bids, validBids,\n"
        "disqualifiedBids; details: id, date, status, tenderers, value) and the bidding\n"
        "suppliers as parties with role \"tenderer\". Before the opening no release carries\n"
        "bids. A bid that opened valid is \"valid\"; one that could not be opened or verified,\n"
        "or broke a rule of the tender (currency, price, version), is \"disqualified\" (without\n"
        "tenderers or value). From the first decision on, awards[] lists every award decision as\n"
        "it stood then: id, status (\"pending\" during the standstill, \"active\" once complete,\n"
        "\"cancelled\" with the reason after the rationale in the description, \"unsuccessful\"\n"
        "when no bid was valid), date, description (the rationale), value (the winning price),\n"
        "suppliers and relatedBid; the winner's supplier is a party with role \"supplier\".\n"
        "tender.awardCriteria is \"priceOnly\" (lowest price) or \"ratedCriteria\" (weighted,\n"
        "with the criteria and weights in awardCriteriaDetails). Statuses: active, closed,\n"
        "opened and awarded tenders are \"active\"; cancelled, unsuccessful and complete keep\n"
        "their names; drafts are never exported.\n"
        "A tender with lots (OCDS lots extension) has tender.lots (id, title, description,\n"
        "value, awardCriteria, status: \"active\", then \"cancelled\", \"complete\" or\n"
        "\"unsuccessful\"), one bid detail per bid and lot (id _BID_/_LOT_, relatedLots, the\n"
        "price for that lot) with statistics per lot (relatedLot), and awards with relatedLots;\n"
        "a lot cancelled, completed or found unsuccessful is a release (\"tenderUpdate\", with\n"
        "\"awardUpdate\" or \"award\" for the last two). Items are tender.items (CPV, quantity,\n"
        "unit with scheme \"UNCEFACT\" and its name, relatedLot, the delivery place as\n"
        "deliveryLocation of the location extension). A package declares the lots and location\n"
        "extensions only when its releases use them. *--tender* exports one tender (default:\n"
        "all), *--since* only releases at or after _TIME_, *--output* writes _FILE_ through a\n"
        "temporary file instead of standard output. The ocid is _PREFIX_-_TENDER_ID_ (default\n"
        "prefix *ocds-tndrd*); *--publisher* (default *tenderd*) and *--uri* (default\n"
        "*urn:tenderd:SERVER:ocds*) describe the package. Amounts are decimal numbers in the\n"
        "currency's units (minor units / 10^exponent). Exit status 1 when there is no release to\n"
        "export (nothing is written).",
    .opts = ocds_optdefs,
    .opts_size = sizeof(ocds_opts),
    .run = ocds,
};

const ctl_cmd ctl_cmd_export = {
    .name = "export",
    .summary = "tenders as OCDS 1.1.5 open data (see export ocds --help)",
    .subs = (const ctl_cmd *const[]){&ocds_cmd, NULL},
};
