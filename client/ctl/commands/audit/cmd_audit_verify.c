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

static int print_json(const char *tender, json_t *checks, int failed, const audit_from *from)
{
    json_t *doc = json_pack("{s:s, s:o, s:i}", "tender", tender, "checks", checks, "failed",
                            failed);
    if (doc && from && from->bundle &&
        (json_object_set_new(doc, "bundle", json_string(from->bundle)) != 0 ||
         json_object_set_new(doc, "log_key_from_bundle", json_boolean(from->key_from_bundle)) !=
             0)) {
        json_decref(doc);
        doc = NULL;
    }
    if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) != 0) {
        json_decref(doc);
        ctl_err("audit verify: cannot write the JSON output");
        return CTL_EXIT_FAIL;
    }
    fputc('\n', stdout);
    json_decref(doc);
    return 0;
}

int audit_verify_report(const ctl_global *g, const tnd_tender_record *r, const tnd_note_verifier *v,
                        const tnd_checkpoint *saved, const audit_from *from)
{
    const char *tender = r->tender_id;
    verify_out o = {.g = g, .checks = g->json ? json_array() : NULL};
    if (g->json && !o.checks)
        return ctl_oom();
    int failed = tnd_tender_record_verify(r, v, saved, on_check, &o), rc = 0;
    if (g->json) {
        rc = print_json(tender, o.checks, failed, from);
    } else if (failed) {
        printf("tender %s: %d check%s FAILED\n", tender, failed, failed == 1 ? "" : "s");
    } else {
        printf("tender %s: verified against the checkpoint of size %llu\n", tender,
               (unsigned long long)r->checkpoint.size);
    }
    return rc == 0 && failed ? CTL_EXIT_VERIFY : rc;
}

int audit_verify(ctl_global *g, const ctl_call *call)
{
    const verify_opts *opt = call->opts;
    const char *file = opt->checkpoint, *crl = opt->crl, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (opt->bundle)
        return audit_verify_bundle(g, call);
    if (n_pos != 1) {
        ctl_err("audit verify: give the TENDER id, or --bundle FILE (see tenderctl audit verify "
                "--help)");
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
    rc = audit_verify_report(g, &r, &a.ls.v, file ? &saved.cp : NULL, NULL);
out:
    tnd_tender_record_free(&r);
    if (file)
        audit_cp_free(&saved);
    audit_close(&a);
    tnd_bid_trust_free(&trust);
    return rc;
}
