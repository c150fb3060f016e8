/* tenderctl export ocds: the public record of tenders as an Open
 * Contracting Data Standard 1.1.5 release package, built by the builder
 * tenderd's HTTP API uses too (common/ocds/ocds.h) from public calls only:
 * Tenders/List or Get, Get of each published version, Tenders/Questions,
 * Log/GetLeaves (the events), after the opening only Bids/GetOpening, and
 * Awards/GetById for each award decision. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocds/ocds.h"
#include "tender/pages.h"
#include "tender_cmd.h"

static const char export_usage[] = "usage: tenderctl export COMMAND [ARGS]\n"
                                   "\n"
                                   "  ocds [--tender ID] [--since TIME] [--output FILE]\n"
                                   "                  tenders as an OCDS 1.1.5 release package\n";

static const char ocds_usage[] =
    "usage: tenderctl export ocds [--tender ID] [--since TIME] [--output FILE]\n"
    "           [--ocid-prefix PREFIX] [--publisher NAME] [--uri URI]\n"
    "\n"
    "Write published tenders as an Open Contracting Data Standard 1.1.5 release package\n"
    "(JSON) with the bids and enquiries extensions, from public calls only (no certificate\n"
    "needed). One release per event of a tender's log: published (tag \"tender\"), amended\n"
    "(\"tenderAmendment\", with the amendment's date and note; also a deadline the server\n"
    "postponed after an outage, with the rule's note), cancelled\n"
    "(\"tenderCancellation\"), bids opened (\"tenderUpdate\"), award recorded (\"award\"),\n"
    "award cancelled (\"awardCancellation\"), unsuccessful (\"tenderUpdate\", \"award\") and\n"
    "complete (\"tenderUpdate\", \"awardUpdate\").\n"
    "Each release describes the tender as it stood at its event: the published version\n"
    "then in force, answered questions (enquiries) up to then, and, from the opening on,\n"
    "the bids (statistics: bids, validBids, disqualifiedBids; details: id, date, status,\n"
    "tenderers, value) and the bidding suppliers as parties with role \"tenderer\". Before\n"
    "the opening no release carries bids. A bid that opened valid is \"valid\"; one that\n"
    "could not be opened or verified, or broke a rule of the tender (currency, price,\n"
    "version), is \"disqualified\" (without tenderers or value).\n"
    "From the first decision on, awards[] lists every award decision as it stood then: id,\n"
    "status (\"pending\" during the standstill, \"active\" once complete, \"cancelled\" with\n"
    "the reason after the rationale in the description, \"unsuccessful\" when no bid was\n"
    "valid), date, description (the rationale), value (the winning price), suppliers and\n"
    "relatedBid; the winner's supplier is a party with role \"supplier\".\n"
    "tender.awardCriteria is \"priceOnly\" (lowest price) or \"ratedCriteria\" (weighted,\n"
    "with the criteria and weights in awardCriteriaDetails).\n"
    "Statuses: active, closed, opened and awarded tenders are \"active\"; cancelled,\n"
    "unsuccessful and complete keep their names; drafts are never exported.\n"
    "\n"
    "  --tender ID            only this tender (default: every tender, all pages)\n"
    "  --since TIME           only releases at or after TIME (RFC 3339)\n"
    "  --output FILE          write FILE (through a temporary file, then renamed) instead\n"
    "                         of stdout\n"
    "  --ocid-prefix PREFIX   ocid = PREFIX-TENDER_ID (default ocds-tndrd); release ids\n"
    "                         are OCID-EVENT_SEQ\n"
    "  --publisher NAME       the package's publisher name (default tenderd)\n"
    "  --uri URI              the package's uri (default urn:tenderd:SERVER:ocds)\n"
    "\n"
    "Amounts are decimal numbers in the currency's units (minor units / 10^exponent).\n"
    "Exit status 1 when there is no release to export (nothing is written).\n";

typedef struct ocds_ctx {
    tnd_client *c;
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
    tender_log_v1_LeavesRequest req = {.tender_id = (char *)td->id};
    tnd_call_opts o = {.timeout_ms = x->g->timeout_given ? x->g->timeout_ms : TND_NO_DEADLINE};
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
    tender_awards_v1_AwardRef ref = {.id = (char *)id};
    tnd_status_info st;
    if (tender_awards_v1_Awards_GetById(ctx, &ref, out, NULL, &st) != 0)
        return ctl_status_fail(&st);
    return 0;
}

/* Fetch everything about tender latest (taken over) and add its releases. */
static int export_tender(ocds_ctx *x, tender_tenders_v1_Tender *latest)
{
    tnd_ocds_tender td = {.id = latest->id};
    tender_tenders_v1_ListQuestionsResponse_init(&td.questions);
    int rc = 0;
    if (!latest->id || latest->version < 1 || !tnd_ocds_public(latest->status)) {
        tender_tenders_v1_Tender_free(latest);
        return 0; /* a draft: never exported */
    }
    tnd_ocds_set_ocid(&td, x->prefix, latest->id);
    if (!(td.versions = calloc(latest->version, sizeof *td.versions))) {
        tender_tenders_v1_Tender_free(latest);
        return oom();
    }
    td.n_versions = latest->version;
    td.versions[latest->version - 1] = *latest;
    td.id = td.versions[latest->version - 1].id;
    uint32_t n = latest->version;
    for (uint32_t v = 1; rc == 0 && v < n; v++)
        if ((rc = ctl_tender_get(x->c, td.id, v, &td.versions[v - 1])) != 0) {
            /* free only the versions fetched, and the latest */
            tender_tenders_v1_Tender_free(&td.versions[n - 1]);
            td.n_versions = v - 1;
        }
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
    int a = tnd_ocds_fill_awards(&td, get_award, x->c);
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
        for (size_t i = 0; i < r.n_tenders; i++) {
            if (rc == 0) {
                rc = export_tender(x, &r.tenders[i]);
                tender_tenders_v1_Tender_init(&r.tenders[i]);
            }
        }
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

static int ocds(ctl_global *g, int argc, char **argv)
{
    const char *tender = NULL, *since = NULL, *output = NULL, *prefix = TND_OCDS_PREFIX,
               *publisher = TND_OCDS_PUBLISHER, *uri = NULL, *pos[1];
    const ctl_opt opts[] = {{.name = "--tender", .value = &tender},
                            {.name = "--since", .value = &since},
                            {.name = "--output", .value = &output},
                            {.name = "--ocid-prefix", .value = &prefix},
                            {.name = "--publisher", .value = &publisher},
                            {.name = "--uri", .value = &uri},
                            {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "export ocds", ocds_usage, opts, pos, 0, &n_pos);
    if (rc >= 0)
        return rc;
    ocds_ctx x = {.g = g, .prefix = prefix};
    char err[200], uri_buf[300];
    if (since) {
        if (ctl_parse_time(since, &x.since.seconds, &x.since.nanos, err, sizeof err) != 0) {
            ctl_err("export ocds: --since %s", err);
            return CTL_EXIT_USAGE;
        }
        x.have_since = true;
    }
    if (!*prefix || strchr(prefix, '#') || !*publisher || (tender && !*tender) ||
        (output && !*output) || (uri && !*uri)) {
        ctl_err("export ocds: --tender, --output, --ocid-prefix, --publisher and --uri take a "
                "non-empty value (and no # in the prefix)");
        return CTL_EXIT_USAGE;
    }
    if (!uri) {
        snprintf(uri_buf, sizeof uri_buf, "urn:tenderd:%s:ocds",
                 g->server ? g->server : "127.0.0.1:7443");
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
        if ((rc = ctl_tender_get(x.c, tender, 0, &t)) == 0)
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

int cmd_export(ctl_global *g, int argc, char **argv)
{
    static const ctl_sub subs[] = {{"ocds", ocds}};
    return ctl_subcommand(g, argc, argv, "export", export_usage, subs, sizeof subs / sizeof *subs);
}
