/* tenderctl bid ...: sealed bids from the supplier's side (docs/SEALED.md).
 * submit and replace build the bid content, seal it to the tender's opening
 * key with the supplier's certificate key (tnd_bid_seal), send it with
 * Bids/Submit in 1 MiB chunks, verify the receipt at once and keep it with
 * the owner nonce in the bid folder; withdraw and status prove ownership
 * with that nonce. The bid files are libtender's (tender/custody.h);
 * cmd_bid_receipt.c reports on them and has `bid receipt`. */
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bid_cmd.h"
#include "tender/bid.h"
#include "tender/identity.h"
#include "tender/receipt.h"
#include "commands/tender/tender_cmd.h"

/* The schema's limits (tender_schema.h). */
#define MAX_DOCS TENDER_BIDS_V1_BIDCONTENT_DOCUMENTS_MAX_COUNT
#define MAX_DOC_BYTES TENDER_BIDS_V1_BIDDOCUMENT_CONTENT_MAX_LEN
#define MAX_LOTS TENDER_BIDS_V1_BIDCONTENT_LOT_PRICES_MAX_COUNT

typedef struct bid_flags {
    const char *currency, *notes, *bids_dir;
    ctl_money price;
    ctl_time valid_until;
    ctl_list docs;
    ctl_list lot_prices; /* LOT=AMOUNT */
} bid_flags;

static int oom(void)
{
    ctl_err("out of memory");
    return CTL_EXIT_FAIL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Read the supplier's certificate and key (tnd_identity_load): the subject
 * and the certificate file's certificates into c, the key into *key. */
static int supplier_identity(const char *cmd, const ctl_global *g, tender_bids_v1_BidContent *c,
                             EVP_PKEY **key)
{
    *key = NULL;
    if (!g->cert || !g->key) {
        ctl_err("%s: a supplier certificate is needed: --cert FILE --key FILE (or TENDER_CERT "
                "and TENDER_KEY)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    tnd_identity id;
    char err[600];
    int rc = tnd_identity_load(&id, g->cert, g->key, err, sizeof err);
    if (rc != 0) {
        ctl_err("%s: %s", cmd, err);
        return CTL_EXIT_FAIL;
    }
    if (!(c->supplier_org = strdup(id.org)) || !(c->supplier_name = strdup(id.name)) ||
        tnd_identity_put_certificates(&id, c) != 0) {
        rc = oom();
    } else {
        *key = id.key;
        id.key = NULL;
    }
    tnd_identity_free(&id);
    return rc;
}

/* The prices per lot of --lot-price LOT=AMOUNT (in --currency), each lot once. */
static int build_lot_prices(const char *cmd, const bid_flags *bf, tender_bids_v1_BidContent *c)
{
    if (!(c->lot_prices = calloc(bf->lot_prices.n, sizeof *c->lot_prices)))
        return oom();
    for (size_t i = 0; i < bf->lot_prices.n; i++) {
        const char *arg = bf->lot_prices.v[i], *eq = strchr(arg, '=');
        size_t idl = eq ? (size_t)(eq - arg) : 0;
        if (!eq || idl == 0 || idl > TENDER_BIDS_V1_LOTPRICE_LOT_ID_MAX_LEN || !eq[1]) {
            ctl_err("%s: --lot-price %s: give LOT=AMOUNT, the lot's id and your price for it "
                    "(--lot-price LOT-1=1500000)",
                    cmd, arg);
            return CTL_EXIT_USAGE;
        }
        for (size_t j = 0; j < c->n_lot_prices; j++)
            if (strlen(c->lot_prices[j].lot_id) == idl &&
                memcmp(c->lot_prices[j].lot_id, arg, idl) == 0) {
                ctl_err("%s: --lot-price: lot %.*s is priced twice; give each lot once", cmd,
                        (int)idl, arg);
                return CTL_EXIT_USAGE;
            }
        ctl_money m = {.text = eq + 1};
        int64_t minor;
        char code[4], opt[100];
        snprintf(opt, sizeof opt, "--lot-price for %.*s:", (int)idl, arg);
        int rc = ctl_money_in(cmd, opt, &m, bf->currency, &minor, code);
        if (rc != 0)
            return rc;
        tender_bids_v1_LotPrice *lp = &c->lot_prices[c->n_lot_prices++];
        if (!(lp->lot_id = strndup(arg, idl)) || !(lp->price = calloc(1, sizeof *lp->price)) ||
            !(lp->price->currency = strdup(code)))
            return oom();
        lp->price->minor_units = minor;
    }
    return 0;
}

/* Fill the content from the flags: price (or prices per lot), documents,
 * validity, notes. */
static int build_content(const char *cmd, const bid_flags *bf, tender_bids_v1_BidContent *c)
{
    int rc;
    if (bf->price.text && bf->lot_prices.n) {
        ctl_err("%s: --price and --lot-price do not mix: a tender with lots takes a price per "
                "lot you bid for (--lot-price LOT=AMOUNT, repeatable), one without lots one "
                "--price",
                cmd);
        return CTL_EXIT_USAGE;
    }
    if (bf->lot_prices.n && !bf->currency) {
        ctl_err("%s: --lot-price LOT=AMOUNT needs --currency CODE (see tenderctl %s --help)",
                cmd, cmd);
        return CTL_EXIT_USAGE;
    }
    if (bf->lot_prices.n) {
        if ((rc = build_lot_prices(cmd, bf, c)) != 0)
            return rc;
    } else if (!bf->price.text || !bf->currency) {
        ctl_err("%s: --price AMOUNT and --currency CODE are required (see tenderctl %s --help)",
                cmd, cmd);
        return CTL_EXIT_USAGE;
    } else {
        if (!(c->price = calloc(1, sizeof *c->price)) ||
            !(c->price->currency = strdup(bf->price.code)))
            return oom();
        c->price->minor_units = bf->price.minor;
    }
    if (bf->valid_until.text) {
        if (!(c->valid_until = calloc(1, sizeof *c->valid_until)))
            return oom();
        c->valid_until->seconds = bf->valid_until.seconds;
        c->valid_until->nanos = bf->valid_until.nanos;
    }
    if (bf->notes && *bf->notes && !(c->notes = strdup(bf->notes)))
        return oom();
    if (bf->docs.n && !(c->documents = calloc(bf->docs.n, sizeof *c->documents)))
        return oom();
    for (size_t i = 0; i < bf->docs.n; i++) {
        if ((rc = ctl_doc_check(cmd, bf->docs.v[i])) != 0)
            return rc;
        tender_bids_v1_BidDocument *d = &c->documents[c->n_documents++];
        char *data;
        long n = ctl_file_read(bf->docs.v[i], &data, MAX_DOC_BYTES);
        if (n < 0) {
            ctl_err("%s: --doc %s: %s", cmd, bf->docs.v[i],
                    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
            return CTL_EXIT_FAIL;
        }
        d->content = (tnd_bytes){(uint8_t *)data, (size_t)n};
        if (!(d->name = strdup(base_name(bf->docs.v[i]))) ||
            !(d->media_type = strdup(ctl_media_type(bf->docs.v[i]))))
            return oom();
    }
    return 0;
}

/* The plaintext of a bid is secret until the opening: wipe it before it is freed. */
static void content_free(tender_bids_v1_BidContent *c)
{
    for (size_t i = 0; i < c->n_documents; i++)
        if (c->documents[i].content.data)
            OPENSSL_cleanse(c->documents[i].content.data, c->documents[i].content.len);
    if (c->price)
        OPENSSL_cleanse(&c->price->minor_units, sizeof c->price->minor_units);
    for (size_t i = 0; i < c->n_lot_prices; i++)
        if (c->lot_prices[i].price)
            OPENSSL_cleanse(&c->lot_prices[i].price->minor_units,
                            sizeof c->lot_prices[i].price->minor_units);
    if (c->notes)
        OPENSSL_cleanse(c->notes, strlen(c->notes));
    tender_bids_v1_BidContent_free(c);
}

/* The lots of the bid against the tender's (tnd_bid_terms): a bid priced
 * per lot for a tender without lots, or the reverse, or for a lot the
 * tender does not have, is refused here, before anything is sealed; the
 * opening judges what gets through (docs/SEALED.md). Returns 0 or an exit
 * code (message printed). */
static int check_lots(const char *cmd, const char *tender, const tnd_bid_terms *terms,
                      const tender_bids_v1_BidContent *content)
{
    if (!terms->n_lots && content->n_lot_prices) {
        ctl_err("%s: tender %s has no lots: give one --price for the whole tender", cmd, tender);
        return CTL_EXIT_USAGE;
    }
    if (terms->n_lots && !content->n_lot_prices) {
        char ids[700] = "";
        size_t n = 0;
        for (size_t i = 0; i < terms->n_lots && n < sizeof ids - 80; i++)
            n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%s", i ? ", " : "",
                                  terms->lots[i].id ? terms->lots[i].id : "");
        ctl_err("%s: tender %s has lots (%s): give --lot-price LOT=AMOUNT for each lot you bid "
                "for, instead of --price",
                cmd, tender, ids);
        return CTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < content->n_lot_prices; i++) {
        const char *id = content->lot_prices[i].lot_id;
        size_t j = 0;
        while (j < terms->n_lots && (!terms->lots[j].id || strcmp(terms->lots[j].id, id) != 0))
            j++;
        if (j == terms->n_lots) {
            ctl_err("%s: tender %s has no lot %s (tenderctl tender show %s lists its lots)",
                    cmd, tender, id, tender);
            return CTL_EXIT_USAGE;
        }
    }
    return 0;
}

/* The tender's opening key, from the tender as the server has it, and the
 * version the bid answers: the one in force now (a later amendment needs a
 * `bid replace`). A bid that would open invalid is sent, with a warning:
 * the opening judges it (docs/SEALED.md), and the supplier may know better. */
static int tender_terms(const char *cmd, tnd_client *c, tnd_arena *arena, const char *tender,
                        uint8_t pk[32], uint8_t dpk[32], tender_bids_v1_BidContent *content)
{
    tender_tenders_v1_Tender t;
    int rc = ctl_tender_get(c, arena, tender, 0, &t);
    if (rc != 0)
        return rc;
    const tender_tenders_v1_Committee *cm = t.fields ? t.fields->committee : NULL;
    if (!cm || cm->opening_public_key.len != 32) {
        ctl_err("%s: tender %s has no opening key: it cannot take sealed bids", cmd, tender);
        rc = CTL_EXIT_FAIL;
    } else {
        memcpy(pk, cm->opening_public_key.data, 32);
        if (content->n_documents && cm->documents_public_key.len != 32) {
            ctl_err("%s: tender %s has no documents key: its bids carry no documents (send the "
                    "bid without --doc, or ask the buyer)",
                    cmd, tender);
            rc = CTL_EXIT_FAIL;
        } else if (content->n_documents) {
            memcpy(dpk, cm->documents_public_key.data, 32);
        }
        tnd_bid_terms terms = tnd_bid_terms_of(&t);
        content->tender_version = terms.version; /* after a postponement, the one it moved */
        char why[256];
        if ((rc = check_lots(cmd, tender, &terms, content)) != 0)
            return rc;
        if (tnd_bid_check_terms(content, &terms, why, sizeof why) != 0)
            ctl_err("%s: warning: this bid will open invalid: %s", cmd, why);
        for (size_t i = 0; i < content->n_lot_prices; i++)
            if (tnd_bid_check_lot(content, i, &terms, why, sizeof why) != 0)
                ctl_err("%s: warning: this bid will open invalid for lot %s: %s", cmd,
                        content->lot_prices[i].lot_id, why);
    }
    return rc;
}

static void print_sent(const ctl_global *g, const tnd_bid_custody *f, const char *path,
                       const tnd_checkpoint *cp, bool verified)
{
    if (g->json) {
        ctl_json_print(json_pack("{s:o,s:o,s:o,s:o,s:b,s:o}", "tender_id",
                                 ctl_json_str(f->tender_id), "bid_id", ctl_json_str(f->bid_id),
                                 "replaces",
                                 f->replaces[0] ? ctl_json_str(f->replaces) : json_null(),
                                 "receipt", ctl_json_msg(&tender_bids_v1_Receipt_desc, &f->receipt),
                                 "verified", verified, "file", ctl_json_str(path)));
        return;
    }
    printf("%s\n", f->bid_id);
    if (verified)
        printf("receipt verified (leaf %llu in the signed checkpoint of size %llu)\n",
               (unsigned long long)f->receipt.leaf_index, (unsigned long long)cp->size);
    printf("saved to %s\n", path);
}

/* submit and replace. */
static int bid_send(ctl_global *g, const ctl_call *call, bool replace)
{
    const char *cmd = replace ? "bid replace" : "bid submit";
    const bid_flags bf = *(const bid_flags *)call->opts;
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != (replace ? 2 : 1) || !tnd_custody_tender_id_valid(pos[0]) ||
        (replace && !tnd_bid_id_valid(pos[1]))) {
        ctl_err("%s: give %s (see tenderctl %s --help)", cmd,
                replace ? "TENDER and BID (B- and 32 lowercase hex digits)" : "TENDER", cmd);
        return CTL_EXIT_USAGE;
    }
    char dir[4096], path[4096];
    tnd_bid_custody old, f;
    tnd_custody_init(&old);
    tnd_custody_init(&f);
    if ((rc = bid_dir(bf.bids_dir, dir, sizeof dir)) != 0)
        return rc;
    if (replace && (rc = bid_file_load(cmd, dir, pos[0], pos[1], &old)) != 0)
        return rc;
    tender_bids_v1_BidContent content;
    tender_bids_v1_BidContent_init(&content);
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    EVP_PKEY *key = NULL;
    audit_ctx a = {0};
    uint8_t opk[32], dpk[32], h[32], nonce[32], pub[32];
    size_t publen = 32;
    tnd_checkpoint cp = {0};
    if ((rc = build_content(cmd, &bf, &content)) != 0 ||
        (rc = supplier_identity(cmd, g, &content, &key)) != 0 || (rc = audit_open(g, &a)) != 0)
        goto out;
    if ((rc = tender_terms(cmd, a.c, call->arena, pos[0], opk, dpk, &content)) != 0)
        goto out_audit;
    snprintf(f.tender_id, sizeof f.tender_id, "%s", pos[0]);
    (void)tnd_bid_id_new(f.bid_id); /* without randomness the seal below fails */
    if (replace)
        snprintf(f.replaces, sizeof f.replaces, "%s", old.bid_id);
    /* The nonce first: the documents are bound to the bid's owner tag. */
    if (replace)
        memcpy(nonce, old.nonce, 32);
    if ((!replace && RAND_priv_bytes(nonce, 32) != 1) ||
        EVP_PKEY_get_raw_public_key(key, pub, &publen) != 1 || publen != 32 ||
        (content.n_documents &&
         tnd_bid_seal_documents(&content, f.tender_id, f.bid_id, nonce, pub, dpk) != 0) ||
        tnd_bid_seal(&content, f.tender_id, f.bid_id, opk, key, nonce, &b, f.nonce) != 0) {
        ctl_err("%s: cannot seal the bid (OpenSSL failed, or the content breaks the schema's "
                "limits)",
                cmd);
        rc = CTL_EXIT_FAIL;
        goto out_audit;
    }
    /* The nonce is kept before the bid leaves: whatever happens to the
     * answer, the bid stays the supplier's to withdraw or replace. */
    if ((rc = bid_file_save(dir, &f, path, sizeof path)) != 0)
        goto out_audit;
    ctl_idem k = {0};
    tnd_status_info st;
    bool unknown;
    if (tnd_bid_submit(a.c, ctl_idem_next(&k), &b, f.nonce, replace ? old.bid_id : NULL,
                       &f.receipt, &unknown, &st) != 0) {
        rc = ctl_status_fail(&st);
        if (unknown) {
            ctl_err("%s: the bid may have arrived: it is kept in %s; `tenderctl bid status %s "
                    "%s` asks the server",
                    cmd, path, f.tender_id, f.bid_id);
        } else {
            /* Surely refused: its nonce proves nothing. A file left behind is harmless. */
            int gone = tnd_custody_remove(dir, f.tender_id, f.bid_id, NULL, 0);
            (void)gone;
        }
        goto out_audit;
    }
    f.has_receipt = true;
    if ((rc = bid_file_save(dir, &f, path, sizeof path)) != 0)
        goto out_audit;
    if (tnd_bid_stored_hash(&b, &f.receipt, replace ? old.bid_id : NULL, h) != 0)
        rc = oom();
    else
        rc = bid_receipt_verify(&a, &f.receipt, tender_events_v1_EventKind_BID_RECEIVED,
                                f.tender_id, f.bid_id, h, &cp);
    if (rc == 0 || rc == CTL_EXIT_VERIFY)
        print_sent(g, &f, path, &cp, rc == 0);
out_audit:
    audit_close(&a);
out:
    OPENSSL_cleanse(nonce, sizeof nonce);
    EVP_PKEY_free(key);
    content_free(&content);
    tender_bids_v1_SealedBid_free(&b);
    tnd_custody_free(&f);
    tnd_custody_free(&old);
    return rc;
}

static int bid_submit(ctl_global *g, const ctl_call *call)
{
    return bid_send(g, call, false);
}

static int bid_replace(ctl_global *g, const ctl_call *call)
{
    return bid_send(g, call, true);
}

typedef struct ref_opts {
    const char *bids_dir;
} ref_opts;

/* withdraw and status: TENDER BID [--bids-dir DIR], the bid file loaded. Returns 0
 * or an exit code. */
static int ref_load(const ctl_call *call, const char *cmd, char *dir, size_t dir_len,
                    tnd_bid_custody *f)
{
    const char *bids_dir = ((const ref_opts *)call->opts)->bids_dir, *const *pos = call->pos;
    int rc;
    if (call->n_pos != 2) {
        ctl_err("%s: give TENDER and BID (see tenderctl %s --help)", cmd, cmd);
        return CTL_EXIT_USAGE;
    }
    if ((rc = bid_dir(bids_dir, dir, dir_len)) != 0)
        return rc;
    return bid_file_load(cmd, dir, pos[0], pos[1], f);
}

static int bid_withdraw(ctl_global *g, const ctl_call *call)
{
    char dir[4096], path[4096];
    tnd_bid_custody f;
    int rc = ref_load(call, "bid withdraw", dir, sizeof dir, &f);
    if (rc != 0)
        return rc;
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0)
        goto out;
    tender_bids_v1_BidRef ref = {
        .tender_id = f.tender_id, .bid_id = f.bid_id, .owner_nonce = {f.nonce, 32}};
    ctl_idem k = {0};
    tnd_status_info st;
    tender_bids_v1_Receipt_free(&f.withdrawal);
    if (tender_bids_v1_Bids_Withdraw(a.c, &ref, &f.withdrawal, ctl_idem_next(&k), &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out_audit;
    }
    f.has_withdrawal = true;
    tnd_checkpoint cp;
    if ((rc = bid_file_save(dir, &f, path, sizeof path)) == 0)
        rc = bid_receipt_verify(&a, &f.withdrawal, tender_events_v1_EventKind_BID_WITHDRAWN,
                                f.tender_id, f.bid_id, NULL, &cp);
    if (rc == 0 && g->json) {
        ctl_json_print(json_pack("{s:o,s:o,s:b,s:o,s:b}", "tender_id", ctl_json_str(f.tender_id),
                                 "bid_id", ctl_json_str(f.bid_id), "withdrawn", 1, "receipt",
                                 ctl_json_msg(&tender_bids_v1_Receipt_desc, &f.withdrawal),
                                 "verified", 1));
    } else if (rc == 0) {
        printf("%s withdrawn\nreceipt verified (leaf %llu in the signed checkpoint of size "
               "%llu)\n",
               f.bid_id, (unsigned long long)f.withdrawal.leaf_index, (unsigned long long)cp.size);
    }
out_audit:
    audit_close(&a);
out:
    tnd_custody_free(&f);
    return rc;
}

static int bid_status(ctl_global *g, const ctl_call *call)
{
    char dir[4096];
    tnd_bid_custody f;
    int rc = ref_load(call, "bid status", dir, sizeof dir, &f);
    if (rc != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        goto out;
    tender_bids_v1_BidRef ref = {
        .tender_id = f.tender_id, .bid_id = f.bid_id, .owner_nonce = {f.nonce, 32}};
    tender_bids_v1_BidStatus s;
    tnd_status_info st;
    if (tender_bids_v1_Bids_Status(c, &ref, &s, NULL, &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        if (g->json) {
            ctl_json_print(ctl_json_msg(&tender_bids_v1_BidStatus_desc, &s));
        } else {
            char state[32], t[64] = "-", h[65] = "-";
            if (s.received)
                ctl_time_text(s.received->seconds, s.received->nanos, t, sizeof t);
            if (s.envelope_hash.len == 32)
                ctl_hex(s.envelope_hash.data, 32, h);
            printf("bid:            %s\nstate:          %s\nreceived:       %s\n"
                   "envelope hash:  %s\n",
                   s.bid_id ? s.bid_id : f.bid_id,
                   ctl_enum_lower(&tender_bids_v1_BidState_desc, s.state, state, sizeof state), t,
                   h);
        }
        tender_bids_v1_BidStatus_free(&s);
    }
    tnd_client_free(c);
out:
    tnd_custody_free(&f);
    return rc;
}

#define BID_OPT(n, k, f, a, h, ...)                                                                \
    {.name = n, .kind = k, .at = offsetof(bid_flags, f), .arg = a, .help = h, __VA_ARGS__}

static const ctl_optdef send_optdefs[] = {
    BID_OPT("--price", CTL_MONEY, price, "_AMOUNT_",
            "The price, a decimal number (1500000, 1234.56) stored exactly in the currency's\n"
            "minor units (no more decimals than it has).",
            .pair = "--currency"),
    BID_OPT("--lot-price", CTL_LIST, lot_prices, "_LOT_=_AMOUNT_",
            "Your price for one lot of a tender with lots, in *--currency* (repeatable, each lot\n"
            "once, at most 100; instead of *--price*).",
            .max = MAX_LOTS),
    BID_OPT("--currency", CTL_STRING, currency, "_CODE_", "ISO 4217 code (KRW, EUR, ...)."),
    BID_OPT("--doc", CTL_LIST, docs, "_FILE_",
            "A document of the bid (repeatable, at most 100, 16 MiB each; the media type comes\n"
            "from the extension).",
            .max = MAX_DOCS, .files = true),
    BID_OPT("--valid-until", CTL_TIME, valid_until, "_TIME_",
            "How long the offer stands, RFC 3339."),
    BID_OPT("--notes", CTL_STRING, notes, "_TEXT_", "Free text for the committee."),
    BID_OPT("--bids-dir", CTL_DIR, bids_dir, "_DIR_",
            "The bid folder (default *~/.tender/bids*)."),
    {0},
};

static const ctl_cmd submit_cmd = {
    .name = "submit",
    .synopsis = "_TENDER_ *--price* _AMOUNT_ | *--lot-price* _LOT_=_AMOUNT_... *--currency* _CODE_ "
                "[*--doc* _FILE_]... [*--valid-until* _TIME_] [*--notes* _TEXT_] "
                "[*--bids-dir* _DIR_]",
    .summary = "seal and send a bid; prints its id",
    .about =
        "Seal a bid to the tender's opening key, signed with your certificate's key (supplier),\n"
        "and send it before the deadline. The receipt is verified at once: the checkpoint's\n"
        "signature (log key of *--log-key* or *TENDER_LOG_KEY*, else fetched with a warning, as\n"
        "for *audit*), the leaf's inclusion proof, and that the leaf is this bid's BID_RECEIVED\n"
        "event with the hash of the envelope sent and this tender's blinded tag. Prints the bid\n"
        "id and \"receipt verified\". *--json* prints {\"tender_id\", \"bid_id\", \"replaces\",\n"
        "\"receipt\", \"verified\", \"file\"}. Exit status 4 when the receipt does not verify\n"
        "(the bid file is kept all the same). *--doc* is repeatable (at most 100, 16 MiB each);\n"
        "*--valid-until* is how long the offer stands; *--notes* is free text for the committee.\n"
        "The documents' contents are sealed apart, to the tender's documents key: after the\n"
        "opening everyone sees each document's name, size and SHA-256, and only the buyer's\n"
        "officers, the committee and auditors read them (*opening documents*). The certificates\n"
        "of *--cert* (yours, then any intermediates) are sealed with the bid: the opening names\n"
        "the bidder from yours, checked against tenderd's CA at the time of receipt. The bid\n"
        "seals the tender's version in force now: after an amendment it opens invalid unless\n"
        "replaced. A bid that would open invalid (another currency than the tender's, a price\n"
        "not above zero, or above the tender's value when its price cap is on) is sent with a\n"
        "warning on stderr.\n"
        "\n"
        "A tender with lots takes a price for each lot you bid for, any of its lots:\n"
        "*--lot-price* _LOT_=_AMOUNT_, repeatable, instead of *--price* (*--lot-price LOT-1=900000\n"
        "--lot-price LOT-2=450000 --currency KRW*). Every price is sealed in the one bid. A lot\n"
        "the tender does not have, *--price* for a tender with lots or *--lot-price* for one\n"
        "without is refused before anything is sealed (exit status 2); a price above its lot's\n"
        "value (with the price cap on) or for a cancelled lot is sent with a warning, and the\n"
        "opening judges each lot's price on its own.",
    .opts = send_optdefs,
    .opts_size = sizeof(bid_flags),
    .max_pos = 1,
    .run = bid_submit,
};

static const ctl_cmd replace_cmd = {
    .name = "replace",
    .synopsis = "_TENDER_ _BID_ *--price* _AMOUNT_ | *--lot-price* _LOT_=_AMOUNT_... "
                "*--currency* _CODE_ [as *submit*]",
    .summary = "a new bid in place of BID",
    .about = "A new bid, with _BID_'s owner nonce, in place of _BID_, which is then no longer in\n"
             "force; only the new bid is opened. It answers the tender's version in force now:\n"
             "how a supplier answers an amendment. The new bid carries every price anew: for a\n"
             "tender with lots, a *--lot-price* for each lot it bids for. Options, output and\n"
             "exit status as for *submit*.",
    .opts = send_optdefs,
    .opts_size = sizeof(bid_flags),
    .max_pos = 2,
    .run = bid_replace,
};

static const ctl_optdef ref_optdefs[] = {
    {.name = "--bids-dir", .kind = CTL_DIR, .at = offsetof(ref_opts, bids_dir), .arg = "_DIR_",
     .help = "The bid folder (default *~/.tender/bids*)."},
    {0},
};

static const ctl_cmd withdraw_cmd = {
    .name = "withdraw",
    .synopsis = "_TENDER_ _BID_ [*--bids-dir* _DIR_]",
    .summary = "withdraw a bid",
    .about = "Withdraw _BID_ before the deadline: it will not be opened. The withdrawal's\n"
             "receipt (the BID_WITHDRAWN event) is verified as for *submit* and saved in the bid\n"
             "file. Prints \"BID withdrawn\" and \"receipt verified\". Exit status 4 when the\n"
             "receipt does not verify.",
    .opts = ref_optdefs,
    .opts_size = sizeof(ref_opts),
    .max_pos = 2,
    .run = bid_withdraw,
};

static const ctl_cmd status_cmd = {
    .name = "status",
    .synopsis = "_TENDER_ _BID_ [*--bids-dir* _DIR_]",
    .summary = "the server's state of your bid",
    .about = "The server's record of your bid: state (submitted, replaced, withdrawn), time of\n"
             "receipt and envelope hash (SHA-256 of the stored envelope, hex). Only the supplier\n"
             "that submitted it can ask (with the nonce in its bid file); to anyone else the bid\n"
             "does not exist. *--json* prints the BidStatus object.",
    .opts = ref_optdefs,
    .opts_size = sizeof(ref_opts),
    .max_pos = 2,
    .run = bid_status,
};

const ctl_cmd ctl_cmd_bid = {
    .name = "bid",
    .summary = "sealed bids and their receipts (see tenderctl bid --help)",
    .about = "Sealed bids (supplier certificate): the bid is encrypted here to the tender's\n"
             "opening key and signed with your certificate's key; nobody, the server included,\n"
             "can read it before the committee opens the tender.\n"
             "\n"
             "Each bid is kept in the bid folder (*~/.tender/bids*, or *--bids-dir* _DIR_; 0700)\n"
             "as _TENDER_/_BID_.bid (0600): its receipt and its owner nonce, which proves that\n"
             "the bid is yours. Keep it private and keep it: *replace*, *withdraw* and *status*\n"
             "need it.",
    .subs = (const ctl_cmd *const[]){&submit_cmd, &replace_cmd, &withdraw_cmd, &status_cmd,
                                     &ctl_bid_receipt_cmd, NULL},
};
