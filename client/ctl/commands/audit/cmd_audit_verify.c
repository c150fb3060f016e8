/* tenderctl audit verify: everything public about one tender checked
 * against the signed log, one line per check (tender/verify.h does the
 * fetching and the checking). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_cmd.h"
#include "tender/verify.h"

typedef struct verify_out {
    const ctl_global *g;
    json_t *checks; /* --json */
} verify_out;

static const char *result_word(tnd_check_result res)
{
    return res == TND_CHECK_OK ? "ok" : res == TND_CHECK_FAILED ? "FAIL" : "skip";
}

static void on_check(void *ctx, const char *check, tnd_check_result res, const char *detail)
{
    verify_out *o = ctx;
    if (o->checks) {
        json_t *c = json_pack("{s:s, s:s, s:s}", "check", check, "result",
                              res == TND_CHECK_OK       ? "ok"
                              : res == TND_CHECK_FAILED ? "failed"
                                                        : "skipped",
                              "detail", detail);
        if (c)
            json_array_append_new(o->checks, c);
        return;
    }
    printf("%-4s  %-11s  %s\n", result_word(res), check, detail);
}

static int print_json(const char *tender, json_t *checks, int failed)
{
    json_t *doc = json_pack("{s:s, s:o, s:i}", "tender", tender, "checks", checks, "failed",
                            failed);
    if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) != 0) {
        json_decref(doc);
        ctl_err("audit verify: cannot write the JSON output");
        return CTL_EXIT_FAIL;
    }
    fputc('\n', stdout);
    json_decref(doc);
    return 0;
}

int audit_verify(ctl_global *g, const ctl_call *call)
{
    const verify_opts *opt = call->opts;
    const char *file = opt->checkpoint, *crl = opt->crl, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("audit verify: give the TENDER id (see tenderctl audit verify --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_bid_trust trust = {0};
    char err[400];
    if (g->ca && tnd_bid_trust_load(&trust, g->ca, crl, err, sizeof err) != 0) {
        ctl_err("audit verify: %s", err);
        return CTL_EXIT_FAIL;
    }
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0) {
        tnd_bid_trust_free(&trust);
        return rc;
    }
    audit_cp saved = {0};
    if (file && (rc = audit_saved(&a, file, &saved)) != 0) {
        audit_close(&a);
        tnd_bid_trust_free(&trust);
        return rc;
    }
    tnd_tender_record r;
    tnd_status_info st;
    if (tnd_tender_record_fetch_witnessed(a.c, pos[0], file ? &saved.cp : NULL, a.policy, &r,
                                          &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out;
    }
    r.trust = g->ca ? &trust : NULL;
    verify_out o = {.g = g, .checks = g->json ? json_array() : NULL};
    if (g->json && !o.checks) {
        rc = CTL_EXIT_FAIL;
        goto out;
    }
    int failed = tnd_tender_record_verify(&r, &a.ls.v, file ? &saved.cp : NULL, on_check, &o);
    if (g->json) {
        rc = print_json(pos[0], o.checks, failed);
    } else if (failed) {
        printf("tender %s: %d check%s FAILED\n", pos[0], failed, failed == 1 ? "" : "s");
    } else {
        printf("tender %s: verified against the checkpoint of size %llu\n", pos[0],
               (unsigned long long)r.checkpoint.size);
    }
    if (rc == 0 && failed)
        rc = CTL_EXIT_VERIFY;
out:
    tnd_tender_record_free(&r);
    if (file)
        audit_cp_free(&saved);
    audit_close(&a);
    tnd_bid_trust_free(&trust);
    return rc;
}
