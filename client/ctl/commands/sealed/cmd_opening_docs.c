/* tenderctl opening documents: fetch opened bids' documents
 * (Bids/GetBidDocuments, for the buyer's officers, the committee and
 * auditors) and check each against the public opening record's size and
 * SHA-256 before it is written. */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/pages.h"
#include "bid_cmd.h"

/* Fetch one bid's documents, check them against its line o, write them. */
static int fetch_bid(ctl_global *g, tnd_client *c, tnd_arena *arena, const char *tender,
                     const tender_bids_v1_OpenedBid *o, const char *dir, json_t *list)
{
    tender_bids_v1_BidDocumentsRequest req = {.tender_id = tnd_arena_strdup(arena, tender),
                                              .bid_id = o->bid_id};
    tnd_status_info st;
    if (!req.tender_id)
        return ctl_oom();
    tnd_client_stream *s;
    if (tnd_client_stream_open(c, tender_bids_v1_Bids_GetBidDocuments_method, &req, NULL, &s,
                               &st) != 0)
        return ctl_status_fail(&st);
    size_t n = o->n_documents, got = 0;
    tnd_bytes *docs = calloc(n ? n : 1, sizeof *docs);
    int rc = docs ? 0 : CTL_EXIT_FAIL;
    tender_bids_v1_BidDocumentPiece p;
    while (rc == 0 && tnd_client_stream_next(s, &p, &st) == 1) {
        tnd_bytes *d = p.index < n ? &docs[p.index] : NULL;
        if (!d || p.chunk.len > o->documents[p.index].size - d->len) {
            ctl_err("opening documents: the server sent more of bid %s than its record lists",
                    o->bid_id);
            rc = CTL_EXIT_VERIFY;
        } else if (p.chunk.len) {
            uint8_t *nd = realloc(d->data, d->len + p.chunk.len);
            if (!nd) {
                rc = CTL_EXIT_FAIL;
            } else {
                memcpy(nd + d->len, p.chunk.data, p.chunk.len);
                d->data = nd;
                d->len += p.chunk.len;
            }
        }
        got = d && p.index + 1 > got ? p.index + 1 : got;
        tender_bids_v1_BidDocumentPiece_free(&p);
    }
    tnd_client_stream_close(s);
    if (rc == 0 && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    if (rc == 0 && got != n) {
        ctl_err("opening documents: the server sent %zu of bid %s's %zu documents", got,
                o->bid_id, n);
        rc = CTL_EXIT_VERIFY;
    }
    char bdir[4096], path[4400], name[300], hex[65];
    if (rc == 0 && n) {
        snprintf(bdir, sizeof bdir, "%s/%s", dir, o->bid_id);
        rc = ctl_dir_private(bdir);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const tender_bids_v1_BidDocumentHash *h = &o->documents[i];
        uint8_t sum[32];
        SHA256(docs[i].data ? docs[i].data : (const uint8_t *)"", docs[i].len, sum);
        if (docs[i].len != h->size || h->sha256.len != 32 ||
            CRYPTO_memcmp(sum, h->sha256.data, 32) != 0) {
            ctl_err("verification failed: document %zu of bid %s does not match the size and "
                    "SHA-256 of the opening record; not written",
                    i, o->bid_id);
            rc = CTL_EXIT_VERIFY;
            break;
        }
        ctl_doc_file_name(h->name, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", bdir, name);
        if ((rc = ctl_file_write(path, docs[i].data ? docs[i].data : (const uint8_t *)"",
                                 docs[i].len, 0600, false)) != 0)
            break;
        ctl_hex(sum, 32, hex);
        if (g->json)
            json_array_append_new(list, json_pack("{s:o,s:o,s:I,s:s,s:s}", "bid_id",
                                                  ctl_json_str(o->bid_id), "name",
                                                  ctl_json_str(h->name), "size",
                                                  (json_int_t)docs[i].len, "sha256", hex,
                                                  "path", path));
        else
            printf("%s  %s  %zu bytes  sha256 %s  ok\n", o->bid_id, path, docs[i].len, hex);
    }
    for (size_t i = 0; docs && i < n; i++) {
        if (docs[i].data)
            OPENSSL_cleanse(docs[i].data, docs[i].len);
        free(docs[i].data);
    }
    free(docs);
    return rc;
}

typedef struct documents_opts {
    const char *out;
} documents_opts;

static int opening_documents(ctl_global *g, const ctl_call *call)
{
    const documents_opts *opt = call->opts;
    const char *out = opt->out, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos < 1 || !out || !*out) {
        ctl_err("opening documents: give TENDER and --out DIR (see tenderctl opening documents "
                "--help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_bids_v1_OpeningRecord rec;
    tnd_status_info st;
    if (tnd_opening_fetch(c, pos[0], &rec, &st) != 0) {
        rc = ctl_status_fail(&st);
        tnd_client_free(c);
        return rc;
    }
    json_t *list = g->json ? json_array() : NULL;
    bool found = n_pos < 2;
    if ((rc = ctl_dir_private(out)) == 0)
        for (size_t i = 0; rc == 0 && i < rec.n_bids; i++) {
            const tender_bids_v1_OpenedBid *o = &rec.bids[i];
            if (!o->bid_id || (n_pos == 2 && strcmp(o->bid_id, pos[1]) != 0))
                continue;
            found = true;
            if (o->n_documents)
                rc = fetch_bid(g, c, call->arena, pos[0], o, out, list);
        }
    if (rc == 0 && !found) {
        ctl_err("opening documents: the opening record of %s lists no bid %s", pos[0], pos[1]);
        rc = CTL_EXIT_FAIL;
    }
    if (list && rc == 0)
        ctl_json_print(list);
    else
        json_decref(list);
    tender_bids_v1_OpeningRecord_free(&rec);
    tnd_client_free(c);
    return rc;
}

static const ctl_optdef documents_optdefs[] = {
    {.name = "--out", .kind = CTL_DIR, .at = offsetof(documents_opts, out), .arg = "_DIR_",
     .help = "Where to write the documents, as _DIR_/_BID_/_N_-_NAME_."},
    {0},
};

const ctl_cmd ctl_opening_documents_cmd = {
    .name = "documents",
    .synopsis = "_TENDER_ [_BID_] *--out* _DIR_",
    .summary = "their documents, checked against the record (the buyer's officers, the committee, "
               "auditors)",
    .about = "The documents of the tender's opened bids (or of _BID_), for the buyer's officers,\n"
             "the committee members who gave their share and auditors; anyone else is refused\n"
             "(PERMISSION_DENIED, exit 17; anonymous: exit 26) and sees only each document's\n"
             "name, size and SHA-256 in the opening record. Each document is checked against the\n"
             "size and SHA-256 the public opening record lists (exit 4 when it does not match,\n"
             "and nothing is written for it), then written to _DIR_/_BID_/_N_-_NAME_ (0600,\n"
             "folders 0700; _N_ its place in the bid's list from 0; an existing file is never\n"
             "overwritten). Prints one line a document: bid, name, size, \"ok\"; *--json* prints\n"
             "[{\"bid_id\", \"name\", \"size\", \"sha256\", \"path\"}].",
    .opts = documents_optdefs,
    .opts_size = sizeof(documents_opts),
    .max_pos = 2,
    .run = opening_documents,
};
