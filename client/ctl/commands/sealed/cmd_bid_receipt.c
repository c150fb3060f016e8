/* The supplier's local record of its bids and the proof that the server
 * logged them: bid files (DIR/TENDER/BID.bid), receipt verification against
 * the transparency log (include/tender/audit.h), and `tenderctl bid receipt`.
 *
 * A bid file is text, one "KEY VALUE" a line:
 *   tender T-2026-000001
 *   bid B-<32 hex>
 *   nonce <base64 of 32 bytes>     the owner nonce: proves the bid is yours
 *   replaces B-<32 hex>            (optional) the bid this one replaced
 *   receipt <base64>               (optional) the Receipt of BID_RECEIVED, encoded
 *   withdrawal <base64>            (optional) the Receipt of BID_WITHDRAWN
 */
#include <stddef.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bid_cmd.h"
#include "tender/receipt.h"

#define BID_FILE_MAX (1u << 20)

bool bid_id_ok(const char *id)
{
    return tnd_bid_id_valid(id);
}

bool bid_tender_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    return n > 0 && n <= 64 && id[0] != '.' && !strchr(id, '/');
}

int bid_dir(const char *opt, char *out, size_t len)
{
    const char *home = getenv("HOME");
    int n;
    if (opt)
        n = snprintf(out, len, "%s", opt);
    else if (home && *home)
        n = snprintf(out, len, "%s/.tender/bids", home);
    else {
        ctl_err("no bid folder: HOME is not set; give --bids-dir DIR");
        return CTL_EXIT_USAGE;
    }
    if (n <= 0 || (size_t)n >= len) {
        ctl_err("the bid folder's path is empty or too long");
        return CTL_EXIT_USAGE;
    }
    return 0;
}

static int file_path(const char *dir, const char *tender, const char *bid, char *out, size_t len)
{
    int n = bid ? snprintf(out, len, "%s/%s/%s.bid", dir, tender, bid)
                : snprintf(out, len, "%s/%s", dir, tender);
    if (n <= 0 || (size_t)n >= len) {
        ctl_err("the bid folder's path is too long");
        return CTL_EXIT_USAGE;
    }
    return 0;
}

void bid_file_free(bid_file *f)
{
    OPENSSL_cleanse(f->nonce, sizeof f->nonce);
    tender_bids_v1_Receipt_free(&f->receipt);
    tender_bids_v1_Receipt_free(&f->withdrawal);
}

/* Append "key base64(encoded receipt)\n" to the text at *buf. */
static int put_receipt(char **buf, size_t *len, const char *key, const tender_bids_v1_Receipt *r)
{
    uint8_t *enc;
    size_t el;
    if (tender_bids_v1_Receipt_encode(r, &enc, &el, NULL) != 0)
        return -1;
    size_t need = *len + strlen(key) + 1 + 4 * ((el + 2) / 3) + 2;
    char *nb = realloc(*buf, need + 1);
    if (!nb) {
        free(enc);
        return -1;
    }
    *buf = nb;
    *len += (size_t)sprintf(nb + *len, "%s ", key);
    ctl_base64_encode(enc, el, nb + *len);
    *len += strlen(nb + *len);
    nb[(*len)++] = '\n';
    nb[*len] = '\0';
    free(enc);
    return 0;
}

int bid_file_save(const char *dir, const bid_file *f, char *path, size_t len)
{
    char folder[4096], nonce[48];
    int rc;
    if ((rc = file_path(dir, f->tender_id, NULL, folder, sizeof folder)) != 0 ||
        (rc = file_path(dir, f->tender_id, f->bid_id, path, len)) != 0 ||
        (rc = ctl_dir_private(folder)) != 0)
        return rc;
    size_t cap = 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    ctl_base64_encode(f->nonce, 32, nonce);
    n = (size_t)snprintf(buf, cap,
                         "# tenderctl bid file: keep it private; the nonce proves that the bid "
                         "is yours\ntender %s\nbid %s\nnonce %s\n",
                         f->tender_id, f->bid_id, nonce);
    OPENSSL_cleanse(nonce, sizeof nonce);
    if (f->replaces[0])
        n += (size_t)snprintf(buf + n, cap - n, "replaces %s\n", f->replaces);
    rc = 0;
    if ((f->has_receipt && put_receipt(&buf, &n, "receipt", &f->receipt) != 0) ||
        (f->has_withdrawal && put_receipt(&buf, &n, "withdrawal", &f->withdrawal) != 0)) {
        ctl_err("out of memory");
        rc = CTL_EXIT_FAIL;
    }
    if (rc == 0)
        rc = ctl_file_write(path, buf, n, 0600, true);
    OPENSSL_cleanse(buf, n);
    free(buf);
    return rc;
}

void bid_file_remove(const char *dir, const char *tender, const char *bid)
{
    char p[4096];
    if (file_path(dir, tender, bid, p, sizeof p) == 0)
        unlink(p);
}

/* Decode "base64 of an encoded Receipt" into r. */
static int get_receipt(const char *b64, tender_bids_v1_Receipt *r)
{
    size_t cap = strlen(b64) / 4 * 3 + 3;
    uint8_t *raw = malloc(cap);
    long n = raw ? ctl_base64_decode(b64, raw, cap) : -1;
    int rc = n < 0 ? -1 : tender_bids_v1_Receipt_decode(r, raw, (size_t)n, NULL);
    free(raw);
    return rc;
}

/* Parse the text of a bid file into f; the line of the first problem into *bad_line. */
static int parse_file(char *text, bid_file *f, int *bad_line)
{
    bool have_nonce = false;
    int ln = 0;
    for (char *line = text, *next; line && *line; line = next) {
        ln++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *v = strchr(line, ' ');
        *bad_line = ln;
        if (!v)
            return -1;
        *v++ = '\0';
        if (strcmp(line, "tender") == 0 && bid_tender_id_ok(v)) {
            snprintf(f->tender_id, sizeof f->tender_id, "%s", v);
        } else if (strcmp(line, "bid") == 0 && bid_id_ok(v)) {
            snprintf(f->bid_id, sizeof f->bid_id, "%s", v);
        } else if (strcmp(line, "replaces") == 0 && bid_id_ok(v)) {
            snprintf(f->replaces, sizeof f->replaces, "%s", v);
        } else if (strcmp(line, "nonce") == 0) {
            if (ctl_base64_decode(v, f->nonce, sizeof f->nonce) != 32)
                return -1;
            have_nonce = true;
        } else if (strcmp(line, "receipt") == 0 && !f->has_receipt) {
            if (get_receipt(v, &f->receipt) != 0)
                return -1;
            f->has_receipt = true;
        } else if (strcmp(line, "withdrawal") == 0 && !f->has_withdrawal) {
            if (get_receipt(v, &f->withdrawal) != 0)
                return -1;
            f->has_withdrawal = true;
        } else {
            return -1;
        }
    }
    *bad_line = 0;
    return have_nonce && f->tender_id[0] && f->bid_id[0] ? 0 : -1;
}

int bid_file_load(const char *cmd, const char *dir, const char *tender, const char *bid,
                  bid_file *f)
{
    char p[4096], *text;
    memset(f, 0, sizeof *f);
    tender_bids_v1_Receipt_init(&f->receipt);
    tender_bids_v1_Receipt_init(&f->withdrawal);
    if (!bid_tender_id_ok(tender) || !bid_id_ok(bid)) {
        ctl_err("%s: expected a tender id and a bid id (B- and 32 lowercase hex digits)", cmd);
        return CTL_EXIT_USAGE;
    }
    int rc = file_path(dir, tender, bid, p, sizeof p);
    if (rc != 0)
        return rc;
    long n = ctl_file_read(p, &text, BID_FILE_MAX);
    if (n < 0) {
        ctl_err("%s: %s: %s%s", cmd, p, strerror(errno),
                errno == ENOENT ? " (bids are found in the bid folder of the tenderctl that "
                                  "submitted them; --bids-dir DIR)"
                                : "");
        return CTL_EXIT_FAIL;
    }
    int bad;
    rc = parse_file(text, f, &bad);
    OPENSSL_cleanse(text, (size_t)n);
    free(text);
    if (rc != 0 || strcmp(f->tender_id, tender) != 0 || strcmp(f->bid_id, bid) != 0) {
        if (bad)
            ctl_err("%s: %s:%d: not a line of a bid file", cmd, p, bad);
        else
            ctl_err("%s: %s is not the bid file of %s in %s", cmd, p, bid, tender);
        bid_file_free(f);
        return CTL_EXIT_FAIL;
    }
    return 0;
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
    bid_file f;
    if ((rc = bid_dir(dir_opt, dir, sizeof dir)) != 0 ||
        (rc = bid_file_load("bid receipt", dir, pos[0], pos[1], &f)) != 0)
        return rc;
    if (!f.has_receipt) {
        ctl_err("bid receipt: no receipt was saved for %s (the submission did not finish; "
                "`tenderctl bid status %s %s` asks the server)",
                f.bid_id, f.tender_id, f.bid_id);
        bid_file_free(&f);
        return CTL_EXIT_FAIL;
    }
    tnd_checkpoint cps[2];
    audit_ctx a;
    audit_cp now = {0};
    int n_cp = 0;
    if (verify && (rc = audit_open(g, &a)) == 0) {
        rc = bid_receipt_verify(&a, &f.receipt, tender_events_v1_EventKind_BID_RECEIVED,
                                f.tender_id, f.bid_id, NULL, &cps[n_cp++]);
        if (rc == 0 && f.has_withdrawal)
            rc = bid_receipt_verify(&a, &f.withdrawal, tender_events_v1_EventKind_BID_WITHDRAWN,
                                    f.tender_id, f.bid_id, NULL, &cps[n_cp++]);
        if (rc == 0)
            rc = audit_latest(&a, &now);
        for (int i = 0; rc == 0 && i < n_cp; i++)
            rc = audit_consistent(&a, &cps[i], &now.cp);
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
        if (verify)
            printf("receipt verified; its checkpoint is a prefix of today's (size %llu): OK\n",
                   (unsigned long long)now.cp.size);
    }
    bid_file_free(&f);
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
