/* tenderctl open / opening show: the opening of sealed bids
 * (docs/SEALED.md). A committee member decrypts its share of the tender's
 * opening key here, with its own X25519 key, checks it against the share's
 * published commitment and gives it to the server; with k shares the server
 * opens every bid. opening show prints the opening record. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tender/bid.h"
#include "tender/pages.h"
#include "tender/committee.h"
#include "tender/sealed.h"
#include "bid_cmd.h"
#include "commands/tender/tender_cmd.h"

/* The longest share: of the opening and the documents keys. */
#define SHARE_LEN TND_SHAMIR_SHARE_LEN(2 * TND_X25519_LEN)

static int verify_fail(const char *tender, const char *what)
{
    fflush(stdout);
    ctl_err("verification failed: your share of %s %s", tender, what);
    return CTL_EXIT_VERIFY;
}

/* Find the member whose key is pk and open its sealed share into share.
 * Returns 0 or an exit code; *idx is the member's index. */
static int open_share(const char *tender, const tender_tenders_v1_Committee *cm,
                      const uint8_t sk[32], const uint8_t pk[32], uint8_t share[SHARE_LEN],
                      size_t *idx, size_t *share_len)
{
    size_t sealed_len = tnd_committee_sealed_share_len(cm);
    *share_len = TND_SHAMIR_SHARE_LEN(tnd_committee_secret_len(cm));
    uint8_t fp[32], info[TND_SEALED_SHARE_INFO_LEN], aad[TND_SEALED_SHARE_AAD_LEN];
    size_t i = 0;
    while (i < cm->n_members && (cm->members[i].public_key.len != 32 ||
                                 CRYPTO_memcmp(cm->members[i].public_key.data, pk, 32) != 0))
        i++;
    if (i == cm->n_members) {
        ctl_err("open: your key is not a member's key in the committee of %s", tender);
        return CTL_EXIT_FAIL;
    }
    const tender_tenders_v1_CommitteeMember *m = &cm->members[i];
    *idx = i;
    if (cm->opening_public_key.len != 32 || m->encrypted_share.len != sealed_len ||
        m->share_hash.len != 32) {
        ctl_err("open: tender %s has no sealed share for %s (no opening key, sealed share or "
                "share hash)",
                tender, m->name ? m->name : "you");
        return CTL_EXIT_FAIL;
    }
    if (tnd_opening_key_fingerprint(cm->opening_public_key.data, fp) != 0 ||
        tnd_sealed_share_info(fp, info) != 0 ||
        tnd_sealed_share_aad(cm->threshold, (unsigned)cm->n_members, aad) != 0) {
        ctl_err("open: the committee of %s is malformed (threshold %u of %zu)", tender,
                cm->threshold, cm->n_members);
        return CTL_EXIT_FAIL;
    }
    const uint8_t *sealed = m->encrypted_share.data;
    uint8_t h[32];
    if (tnd_hpke_open(TND_SEALED_AEAD, sk, sealed, info, sizeof info, aad, sizeof aad,
                      sealed + TND_HPKE_ENC_LEN, sealed_len - TND_HPKE_ENC_LEN, share) != 0)
        return verify_fail(tender, "does not decrypt with your key (it was sealed for another "
                                   "key, or altered)");
    if (share[0] != i + 1 || tnd_share_hash(share, *share_len, h) != 0 ||
        CRYPTO_memcmp(h, m->share_hash.data, 32) != 0) {
        OPENSSL_cleanse(share, SHARE_LEN);
        return verify_fail(tender, "does not match its published hash: it would not open the "
                                   "tender");
    }
    return 0;
}

typedef struct open_opts {
    const char *key;
} open_opts;

static int open_tender(ctl_global *g, const ctl_call *call)
{
    const open_opts *opt = call->opts;
    const char *key = opt->key, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1 || !key || !*key) {
        ctl_err("open: give TENDER and --key FILE, your X25519 member key (see tenderctl open "
                "--help)");
        return CTL_EXIT_USAGE;
    }
    uint8_t sk[32], pk[32], share[SHARE_LEN];
    if ((rc = ctl_x25519_key_read("open", key, sk, pk)) != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        goto out_key;
    tender_tenders_v1_Tender t;
    if ((rc = ctl_tender_get(c, call->arena, pos[0], 0, &t)) != 0)
        goto out_client;
    size_t idx = 0, share_len = 0;
    const tender_tenders_v1_Committee *cm = t.fields ? t.fields->committee : NULL;
    if (!cm) {
        ctl_err("open: tender %s has no opening committee", pos[0]);
        rc = CTL_EXIT_FAIL;
    } else {
        rc = open_share(pos[0], cm, sk, pk, share, &idx, &share_len);
    }
    OPENSSL_cleanse(sk, sizeof sk);
    if (rc != 0)
        goto out_tender;
    tender_bids_v1_SubmitShareRequest req = {
        .tender_id = ctl_str(call, pos[0]), .member_key = {pk, 32}, .share = {share, share_len}};
    tender_bids_v1_ShareAccepted acc;
    tnd_status_info st;
    ctl_idem k = {0};
    int code = req.tender_id ? tender_bids_v1_Bids_SubmitShare_in(c, call->arena, &req, &acc,
                                                                  ctl_idem_next(&k), &st)
                             : -1;
    OPENSSL_cleanse(share, sizeof share);
    if (code < 0) {
        rc = ctl_oom();
    } else if (code != 0) {
        rc = ctl_reply_fail(call->arena, &st);
    } else if (g->json) {
        ctl_json_print(json_pack("{s:o,s:I,s:I,s:I,s:b}", "tender_id", ctl_json_str(pos[0]),
                                 "member", (json_int_t)idx, "received", (json_int_t)acc.received,
                                 "threshold", (json_int_t)acc.threshold, "opened", acc.opened));
    } else if (acc.opened) {
        printf("share accepted (%u of %u)\ntender opened\n", acc.received, acc.threshold);
    } else {
        printf("share accepted (%u of %u)\n", acc.received, acc.threshold);
    }
out_tender:
out_client:
    tnd_client_free(c);
out_key:
    OPENSSL_cleanse(sk, sizeof sk);
    OPENSSL_cleanse(share, sizeof share);
    return rc;
}

static const ctl_optdef open_optdefs[] = {
    {.name = "--key", .kind = CTL_FILE, .at = offsetof(open_opts, key), .arg = "_FILE_",
     .help = "The member's X25519 private key from *keys gen* (after *open*; the TLS key goes\n"
             "before it)."},
    {0},
};

const ctl_cmd ctl_cmd_open = {
    .name = "open",
    .synopsis = "_TENDER_ *--key* _FILE_",
    .summary = "give your committee share: open the bids",
    .about = "Give your share of the tender's opening key after the opening time, as a member of\n"
             "its committee: your TLS certificate (*--cert* and *--key* before *open*, or\n"
             "*TENDER_CERT* and *TENDER_KEY*) must have the member's name as CN; the *--key*\n"
             "_FILE_ after *open* is the member's X25519 key from *keys gen*. tenderctl finds\n"
             "your entry in the committee by the public key of _FILE_; the share is decrypted\n"
             "locally (HPKE), checked against its published hash, sent and wiped. Prints \"share\n"
             "accepted (2 of 3)\", or \"tender opened\" when this share completed the threshold.\n"
             "*--json* prints {\"tender_id\", \"received\", \"threshold\", \"opened\"}. Exit\n"
             "status 4 when the sealed share does not decrypt with _FILE_ or does not match its\n"
             "hash; 19 (FAILED_PRECONDITION) before the opening time; 16 (ALREADY_EXISTS) when\n"
             "the tender is already opened or your share was already given.",
    .opts = open_optdefs,
    .opts_size = sizeof(open_opts),
    .max_pos = 1,
    .run = open_tender,
};

/* ---- opening show ---- */

/* Print text the suppliers wrote on one line, control characters escaped. */
static void put_text(const char *s)
{
    if (!s || !*s) {
        fputs("-", stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

static void print_record(const tender_bids_v1_OpeningRecord *rec)
{
    char t[64] = "-", money[64];
    size_t valid = 0;
    for (size_t i = 0; i < rec->n_bids; i++)
        valid += rec->bids[i].valid;
    if (rec->opened)
        ctl_time_text(rec->opened->seconds, rec->opened->nanos, t, sizeof t);
    printf("tender %s opened at %s: %zu bid%s, %zu valid\n", rec->tender_id ? rec->tender_id : "-",
           t, rec->n_bids, rec->n_bids == 1 ? "" : "s", valid);
    printf("%-34s  %-24s  %-7s  %20s  %s\n", "BID", "RECEIVED", "RESULT", "PRICE", "SUPPLIER");
    for (size_t i = 0; i < rec->n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &rec->bids[i];
        snprintf(t, sizeof t, "-");
        if (o->received)
            ctl_time_text(o->received->seconds, o->received->nanos, t, sizeof t);
        printf("%-34s  %-24s  ", o->bid_id ? o->bid_id : "-", t);
        if (!o->valid) {
            fputs("failed: ", stdout);
            put_text(o->failure);
            if (o->supplier_key.len) { /* it opened, but breaks a rule of the tender */
                fputs(" (", stdout);
                put_text(o->supplier_org);
                fputs(" / ", stdout);
                put_text(o->supplier_name);
                printf(", %s)", o->price ? ctl_money_text(o->price->minor_units,
                                                          o->price->currency, money, sizeof money)
                                : o->n_lots ? "priced by lot"
                                            : "no price");
            }
            fputc('\n', stdout);
            continue;
        }
        printf("%-7s  %20s  ", "valid",
               o->price
                   ? ctl_money_text(o->price->minor_units, o->price->currency, money, sizeof money)
               : o->n_lots ? "by lot"
                           : "-");
        put_text(o->supplier_org);
        fputs(" / ", stdout);
        put_text(o->supplier_name);
        fputc('\n', stdout);
        for (size_t d = 0; d < o->n_documents; d++) {
            char hex[65] = "-";
            if (o->documents[d].sha256.len == 32)
                ctl_hex(o->documents[d].sha256.data, 32, hex);
            fputs("    document ", stdout);
            put_text(o->documents[d].name);
            printf("  %llu bytes  sha256 %s\n", (unsigned long long)o->documents[d].size, hex);
        }
    }
}

/* One bid's line for one lot: valid with its price, or why not. */
static void print_lot_line(const tender_bids_v1_OpenedBid *o, const tender_bids_v1_OpenedLot *l,
                           bool name_lot)
{
    char money[64];
    const char *price = l->price ? ctl_money_text(l->price->minor_units, l->price->currency,
                                                  money, sizeof money)
                                 : "no price";
    printf("  %-34s  ", o->bid_id ? o->bid_id : "-");
    if (name_lot) {
        fputs("lot ", stdout);
        put_text(l->lot_id);
        fputs(": ", stdout);
    }
    if (l->valid) {
        printf("%-7s  %20s  ", "valid", price);
    } else {
        fputs("failed: ", stdout);
        put_text(l->failure);
        /* The lot's price is sound but its bid is not: say why the bid is not. */
        if (l->failure && strcmp(l->failure, TND_BID_LOT_BID_INVALID) == 0 && o->failure) {
            fputs(": ", stdout);
            put_text(o->failure);
        }
        printf(" (%s, ", price);
    }
    put_text(o->supplier_org);
    fputs(" / ", stdout);
    put_text(o->supplier_name);
    fputs(l->valid ? "\n" : ")\n", stdout);
}

static bool is_lot(const tender_tenders_v1_Lot *lots, size_t n, const char *id)
{
    for (size_t i = 0; id && i < n; i++)
        if (lots[i].id && strcmp(lots[i].id, id) == 0)
            return true;
    return false;
}

/* The opened bids grouped by lot: each lot of the tender with the bids that
 * priced it, then any line for a lot the tender does not have. */
static void print_by_lot(const tender_bids_v1_OpeningRecord *rec, const tender_tenders_v1_Lot *lots,
                         size_t n_lots)
{
    for (size_t k = 0; k < n_lots; k++) {
        const char *id = lots[k].id ? lots[k].id : "";
        size_t n = 0, valid = 0;
        for (size_t i = 0; i < rec->n_bids; i++)
            for (size_t j = 0; j < rec->bids[i].n_lots; j++)
                if (rec->bids[i].lots[j].lot_id && strcmp(rec->bids[i].lots[j].lot_id, id) == 0) {
                    n++;
                    valid += rec->bids[i].lots[j].valid;
                }
        printf("\nlot %s (", id);
        put_text(lots[k].title);
        printf("): %zu bid%s, %zu valid\n", n, n == 1 ? "" : "s", valid);
        for (size_t i = 0; i < rec->n_bids; i++)
            for (size_t j = 0; j < rec->bids[i].n_lots; j++)
                if (rec->bids[i].lots[j].lot_id && strcmp(rec->bids[i].lots[j].lot_id, id) == 0)
                    print_lot_line(&rec->bids[i], &rec->bids[i].lots[j], false);
    }
    bool header = false;
    for (size_t i = 0; i < rec->n_bids; i++)
        for (size_t j = 0; j < rec->bids[i].n_lots; j++) {
            if (is_lot(lots, n_lots, rec->bids[i].lots[j].lot_id))
                continue;
            if (!header)
                printf("\nprices for lots the tender does not have:\n");
            header = true;
            print_lot_line(&rec->bids[i], &rec->bids[i].lots[j], true);
        }
}

/* Whether any opened bid priced lots. */
static bool has_lot_lines(const tender_bids_v1_OpeningRecord *rec)
{
    for (size_t i = 0; i < rec->n_bids; i++)
        if (rec->bids[i].n_lots)
            return true;
    return false;
}

static int opening_show(ctl_global *g, const ctl_call *call)
{
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("opening show: give the tender's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_bids_v1_OpeningRecord rec;
    tnd_status_info st;
    if (tnd_opening_fetch(c, pos[0], &rec, &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        tender_tenders_v1_Tender t;
        if (g->json) {
            ctl_json_print(ctl_json_msg(&tender_bids_v1_OpeningRecord_desc, &rec));
        } else if (!has_lot_lines(&rec)) {
            print_record(&rec);
        } else if ((rc = ctl_tender_get(c, call->arena, pos[0], 0, &t)) == 0) {
            /* The lots, their order and titles: the tender's. */
            print_record(&rec);
            print_by_lot(&rec, t.fields ? t.fields->lots : NULL, t.fields ? t.fields->n_lots : 0);
        }
        tender_bids_v1_OpeningRecord_free(&rec);
    }
    tnd_client_free(c);
    return rc;
}

static const ctl_cmd show_cmd = {
    .name = "show",
    .synopsis = "_TENDER_",
    .summary = "the opened bids of a tender",
    .about = "The opening record (public): each bid in force at the deadline with its time of\n"
             "receipt, valid or failed (and why: it did not open, or it breaks a rule of the\n"
             "tender, such as \"answers version 2; the tender was at version 3 at its\n"
             "deadline\"), price, supplier (organisation / name) and documents (name, size and\n"
             "SHA-256). Replaced and withdrawn bids are not opened. For a tender with lots, the\n"
             "bids follow grouped by lot, in the tender's order: each lot with its title, then\n"
             "each bid that priced it, valid with its price or failed and why (a lot the tender\n"
             "does not have, a cancelled lot, a price above the lot's value, ...; a lot is valid\n"
             "only in a valid bid). *--json* prints the OpeningRecord, including the opening\n"
             "private key the server publishes for auditors; with lots each bid carries its\n"
             "\"lots\" (lot_id, price, valid, failure) and no price of its own.",
    .max_pos = 1,
    .run = opening_show,
};

const ctl_cmd ctl_cmd_opening = {
    .name = "opening",
    .summary = "the opened bids and their documents",
    .subs = (const ctl_cmd *const[]){&show_cmd, &ctl_opening_documents_cmd, NULL},
};
