/* The supplier's bid files as tenderctl reports them (the files themselves
 * are libtender's: tender/custody.h), receipt verification against the
 * transparency log (include/tender/audit.h), and `tenderctl bid receipt`. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bid_cmd.h"
#include "tender/receipt.h"

int bid_dir(const char *opt, char *out, size_t len)
{
    char err[256];
    int rc = tnd_custody_dir(opt, out, len, err, sizeof err);
    if (rc == TND_ENOTFOUND)
        ctl_err("%s; give --bids-dir DIR", err);
    else if (rc != 0)
        ctl_err("%s", err);
    return rc == 0 ? 0 : CTL_EXIT_USAGE;
}

int bid_file_save(const char *dir, const tnd_bid_custody *f, char *path, size_t len)
{
    char err[4400];
    int rc = tnd_custody_save(dir, f, path, len, err, sizeof err);
    if (rc == 0)
        return 0;
    ctl_err("%s", err);
    return rc == TND_ERANGE ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
}

int bid_file_load(const char *cmd, const char *dir, const char *tender, const char *bid,
                  tnd_bid_custody *f)
{
    char err[4400];
    int rc = tnd_custody_load(dir, tender, bid, f, err, sizeof err);
    if (rc == 0)
        return 0;
    if (rc == TND_ERANGE) {
        ctl_err("%s", err);
        return CTL_EXIT_USAGE;
    }
    ctl_err("%s: %s%s", cmd, err,
            rc == TND_ENOTFOUND ? " (bids are found in the bid folder of the tenderctl that "
                                  "submitted them; --bids-dir DIR)"
                                : "");
    return rc == TND_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
}

/* ---- verification ---- */

int bid_receipt_verify(const audit_ctx *a, const tender_bids_v1_Receipt *r, int kind,
                       const char *tender, const char *bid, const uint8_t *envelope_hash,
                       tnd_checkpoint *cp)
{
    tnd_status_info st;
    return audit_result(tnd_receipt_verify(&a->ls, r, kind, tender, bid, envelope_hash, cp, &st),
                        &st);
}

/* ---- bid receipt ---- */

static void print_receipt(const char *title, const tender_bids_v1_Receipt *r)
{
    char t[64] = "-", h[65] = "-";
    tnd_checkpoint cp = {0};
    if (r->received)
        ctl_time_text(r->received->seconds, r->received->nanos, t, sizeof t);
    if (r->envelope_hash.len == 32)
        ctl_hex(r->envelope_hash.data, 32, h);
    /* The size is read from the note for display only; --verify checks it. */
    const char *nl = r->checkpoint ? strchr(r->checkpoint, '\n') : NULL;
    if (nl)
        cp.size = strtoull(nl + 1, NULL, 10);
    printf("%s:\n  time:           %s\n  envelope hash:  %s\n  leaf index:     %llu\n"
           "  checkpoint:     size %llu\n",
           title, t, h, (unsigned long long)r->leaf_index, (unsigned long long)cp.size);
}

typedef struct receipt_opts {
    const char *bids_dir;
    bool verify;
} receipt_opts;

static int bid_receipt(ctl_global *g, const ctl_call *call)
{
    const receipt_opts *opt = call->opts;
    const char *dir_opt = opt->bids_dir, *const *pos = call->pos;
    bool verify = opt->verify;
    int n_pos = call->n_pos, rc;
    if (n_pos != 2) {
        ctl_err("bid receipt: give TENDER and BID (see tenderctl bid receipt --help)");
        return CTL_EXIT_USAGE;
    }
    char dir[4096];
    tnd_bid_custody f;
    if ((rc = bid_dir(dir_opt, dir, sizeof dir)) != 0 ||
        (rc = bid_file_load("bid receipt", dir, pos[0], pos[1], &f)) != 0)
        return rc;
    if (!f.has_receipt) {
        ctl_err("bid receipt: no receipt was saved for %s (the submission did not finish; "
                "`tenderctl bid status %s %s` asks the server)",
                f.bid_id, f.tender_id, f.bid_id);
        tnd_custody_free(&f);
        return CTL_EXIT_FAIL;
    }
    tnd_checkpoint cps[2];
    audit_ctx a;
    audit_cp now = {0};
    int n_cp = 0;
    bool witnessed = false;
    if (verify && (rc = audit_open(g, &a)) == 0) {
        witnessed = a.policy && !tnd_policy_is_none(a.policy);
        rc = bid_receipt_verify(&a, &f.receipt, tender_events_v1_EventKind_BID_RECEIVED,
                                f.tender_id, f.bid_id, NULL, &cps[n_cp++]);
        if (rc == 0 && f.has_withdrawal)
            rc = bid_receipt_verify(&a, &f.withdrawal, tender_events_v1_EventKind_BID_WITHDRAWN,
                                    f.tender_id, f.bid_id, NULL, &cps[n_cp++]);
        if (rc == 0)
            rc = audit_latest(&a, &now);
        /* With witnesses, today's checkpoint is the latest witnessed one,
         * which may not reach the receipt's checkpoint yet. */
        const tender_bids_v1_Receipt *rs[2] = {&f.receipt, &f.withdrawal};
        for (int i = 0; rc == 0 && i < n_cp; i++) {
            tnd_status_info st;
            rc = audit_result(tnd_receipt_prove_in(a.c, &cps[i], rs[i]->leaf_index, &now.cp, &st),
                              &st);
        }
        audit_cp_free(&now);
        audit_close(&a);
    }
    if (rc == 0 && g->json) {
        ctl_json_print(json_pack(
            "{s:o,s:o,s:o,s:o,s:b}", "tender_id", ctl_json_str(f.tender_id), "bid_id",
            ctl_json_str(f.bid_id), "receipt",
            ctl_json_msg(&tender_bids_v1_Receipt_desc, &f.receipt), "withdrawal",
            ctl_json_msg(&tender_bids_v1_Receipt_desc, f.has_withdrawal ? &f.withdrawal : NULL),
            "verified", verify));
    } else if (rc == 0) {
        printf("tender:  %s\nbid:     %s\n", f.tender_id, f.bid_id);
        if (f.replaces[0])
            printf("replaces: %s\n", f.replaces);
        print_receipt("received", &f.receipt);
        if (f.has_withdrawal)
            print_receipt("withdrawn", &f.withdrawal);
        if (verify && witnessed)
            printf("receipt verified; its leaf is in today's witnessed checkpoint (size %llu): "
                   "OK\n",
                   (unsigned long long)now.cp.size);
        else if (verify)
            printf("receipt verified; its checkpoint is a prefix of today's (size %llu): OK\n",
                   (unsigned long long)now.cp.size);
    }
    tnd_custody_free(&f);
    return rc;
}

static const ctl_optdef receipt_optdefs[] = {
    {.name = "--verify", .kind = CTL_BOOL, .at = offsetof(receipt_opts, verify),
     .help = "Verify the receipts again (the checkpoint's signature with the log key, the leaf's\n"
             "inclusion proof, the leaf is this bid's event), then prove that their checkpoint is\n"
             "a prefix of today's signed checkpoint (GetConsistencyProof): the server has not\n"
             "rewritten history since."},
    {.name = "--bids-dir", .kind = CTL_DIR, .at = offsetof(receipt_opts, bids_dir), .arg = "_DIR_",
     .help = "The bid folder (default *~/.tender/bids*)."},
    {0},
};

const ctl_cmd ctl_bid_receipt_cmd = {
    .name = "receipt",
    .synopsis = "_TENDER_ _BID_ [*--verify*] [*--bids-dir* _DIR_]",
    .summary = "the saved receipt (re-verified with --verify)",
    .about = "The receipt saved when _BID_ was submitted (and the one of its withdrawal, if\n"
             "any): tender, bid, time of receipt, envelope hash, leaf index, checkpoint size.\n"
             "Needs no server unless *--verify*, which verifies them again and proves that their\n"
             "checkpoint is a prefix of today's signed checkpoint. The log key: *--log-key*\n"
             "_VKEY_ or *TENDER_LOG_KEY* (else fetched, with a warning), as for *audit*.\n"
             "*--json* prints {\"tender_id\", \"bid_id\", \"receipt\", \"withdrawal\",\n"
             "\"verified\"}. Exit status 4 when a receipt does not verify.",
    .opts = receipt_optdefs,
    .opts_size = sizeof(receipt_opts),
    .max_pos = 2,
    .run = bid_receipt,
};
