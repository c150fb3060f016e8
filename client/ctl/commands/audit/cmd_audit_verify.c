/* tenderctl audit verify: everything public about one tender checked
 * against the signed log, one line per check (tender/verify.h does the
 * fetching and the checking). */
#include <stddef.h>
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

typedef struct verify_opts {
    const char *checkpoint, *crl;
} verify_opts;

static int audit_verify(ctl_global *g, const ctl_call *call)
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
    if (tnd_tender_record_fetch(a.c, pos[0], file ? &saved.cp : NULL, &r, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out;
    }
    r.trust = g->ca ? &trust : NULL;
    verify_out o = {.g = g, .checks = g->json ? json_array() : NULL};
    if (g->json && !o.checks) {
        rc = CTL_EXIT_FAIL;
        goto out;
    }
    int failed = tnd_tender_record_verify(&r, &a.v, file ? &saved.cp : NULL, on_check, &o);
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

static const ctl_optdef verify_optdefs[] = {
    {.name = "--checkpoint", .kind = CTL_FILE, .at = offsetof(verify_opts, checkpoint),
     .arg = "_FILE_",
     .help = "A checkpoint saved earlier (*audit checkpoint --save*): the log must still extend\n"
             "it."},
    {.name = "--crl", .kind = CTL_FILE, .at = offsetof(verify_opts, crl), .arg = "_FILE_",
     .help = "The CA's revocation list (PEM): a bid whose certificate was revoked before it\n"
             "arrived is invalid. Without it no revocation is known, and a record calling a bid\n"
             "revoked fails."},
    {0},
};

const ctl_cmd ctl_audit_verify_cmd = {
    .name = "verify",
    .synopsis = "_TENDER_ [*--checkpoint* _FILE_] [*--crl* _FILE_]",
    .summary = "every check of one tender, from the log alone",
    .about = "An auditor's check of one tender from public data, one line per check (\"ok\",\n"
             "\"FAIL\" or \"skip\"): the checkpoint's signature, consistency with the saved\n"
             "_FILE_, the inclusion of every event of the tender, each published version against\n"
             "its event, each document (downloaded and hashed) and each answered question\n"
             "against its event, every bid received before the deadline and the tender closed at\n"
             "it, the opening (after the opening time, k distinct shares, the logged record),\n"
             "re-decrypting every logged ciphertext with the published key (with the tender's\n"
             "rules for a valid bid, and each bid's sealed certificate checked against the CA of\n"
             "*--ca* at its time of receipt, and against the revocation list *--crl* _FILE_ when\n"
             "given), the award against its criterion, and the suppliers' and the officer's\n"
             "signatures. A record the log names but the server does not serve fails its check.\n"
             "*--json* prints {\"tender\", \"checks\": [{\"check\", \"result\", \"detail\"}],\n"
             "\"failed\"}. Exit status 4 when any check fails. No certificate is needed; *--ca*\n"
             "must hold the CA that issued the suppliers' certificates.",
    .opts = verify_optdefs,
    .opts_size = sizeof(verify_opts),
    .max_pos = 1,
    .run = audit_verify,
};
