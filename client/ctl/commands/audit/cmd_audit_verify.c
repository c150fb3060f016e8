/* tenderctl audit verify: everything public about one tender checked
 * against the signed log, one line per check (tender/verify.h does the
 * fetching and the checking). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_cmd.h"
#include "tender/verify.h"

static const char verify_usage[] =
    "usage: tenderctl audit verify TENDER [--checkpoint FILE] [--crl FILE]\n"
    "\n"
    "Fetch the tender's events with their inclusion proofs, the latest checkpoint, every\n"
    "published version, its documents and answered questions and, once opened, the sealed\n"
    "bids, the opening record (with the published opening key) and the award; then check,\n"
    "printing one line per check:\n"
    "\n"
    "  checkpoint   the checkpoint is signed by the log key and names its log\n"
    "  consistency  the log extends the saved checkpoint (--checkpoint FILE)\n"
    "  inclusion    every event of the tender is in the checkpoint\n"
    "  published    each published version matches its event; the status follows\n"
    "               from the events\n"
    "  documents    each document downloads with the SHA-256 and size its event logged\n"
    "  questions    each answered question is served as its last answer event logged\n"
    "  deadline     every bid was received before the deadline and nothing after it;\n"
    "               the tender was closed at it; each sealed bid is the envelope its\n"
    "               event logged\n"
    "  opening      opened after the opening time with k distinct committee shares;\n"
    "               the opening record is the one logged\n"
    "  decryption   re-decrypting every logged ciphertext with the published key gives\n"
    "               exactly the opening record: the same rules for a valid bid, the\n"
    "               same bidders (each bid's certificate against the CA of --ca)\n"
    "  award        the award follows from its criterion and the valid bids\n"
    "  signatures   the suppliers' signatures on their bids and the officer's on the\n"
    "               award verify\n"
    "\n"
    "Each line reads \"ok\", \"FAIL\" or \"skip\" (nothing to check yet, e.g. before the\n"
    "opening), the check's name and what was verified or what did not hold. A record the\n"
    "log names but the server does not serve (a version, the opening record, the award, a\n"
    "document, an answer) fails its check. --json\n"
    "prints {\"tender\", \"checks\": [{\"check\", \"result\", \"detail\"}], \"failed\"}.\n"
    "No certificate is needed: every call is public.\n"
    "\n"
    "  --checkpoint FILE   a checkpoint saved earlier (`audit checkpoint --save`): the\n"
    "                      log must still extend it\n"
    "  --crl FILE          the CA's revocation list (PEM): a bid whose certificate was\n"
    "                      revoked before it arrived is invalid. Without it no\n"
    "                      revocation is known, and a record calling a bid revoked fails\n"
    "\n"
    "The global --ca FILE must hold the CA that issued the suppliers' certificates (add\n"
    "it to the file when it is not the server's CA).\n"
    "\n"
    "Exit status 4 when any check fails; 10 + N when a call ended with gRPC status N\n"
    "(e.g. 15 = NOT_FOUND: no such published tender).\n";

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

int audit_verify(ctl_global *g, int argc, char **argv)
{
    const char *file = NULL, *crl = NULL, *pos[1];
    const ctl_opt opts[] = {
        {.name = "--checkpoint", .value = &file}, {.name = "--crl", .value = &crl}, {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "audit verify", verify_usage, opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
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
