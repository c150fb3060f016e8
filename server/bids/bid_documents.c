/* Bids/GetBidDocuments: one opened bid's documents, for those who may read
 * them (docs/SEALED.md, "Bid documents"): auditors, the review body
 * (docs/COMPLAINTS.md), officers of the tender's buyer, and committee
 * members who gave their share. The documents key is
 * rebuilt for each call from the committee's stored shares, used and wiped:
 * the store holds no second copy of it and no plaintext document. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "bids.h"
#include "svc/svc.h"
#include "tender/committee.h"
#include "tender/sealed.h"

#define DOC_PIECE TENDER_BIDS_V1_BIDDOCUMENTPIECE_CHUNK_MAX_LEN

typedef struct docs_stream {
    tender_bids_v1_BidContent content;           /* the list: names, hashes, sizes */
    tender_bids_v1_BidDocumentContents contents; /* decrypted */
    size_t doc, off;                             /* next piece: document, offset */
    bool started;                                /* the first piece of doc went */
} docs_stream;

static void docs_free(docs_stream *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->contents.n_contents; i++)
        if (ds->contents.contents[i].data)
            OPENSSL_cleanse(ds->contents.contents[i].data, ds->contents.contents[i].len);
    tender_bids_v1_BidDocumentContents_free(&ds->contents);
    tender_bids_v1_BidContent_free(&ds->content);
    free(ds);
}

/* May the caller read tender t's bid documents? A committee member counts
 * once it gave its share (its name on a certificate alone proves little). */
static bool may_read(MDB_txn *txn, tnd_store *s, const tnd_tender *t, const tnd_peer_identity *p)
{
    if (!p->authenticated)
        return false;
    /* The reviewer reads what a complaint about the tender concerns. */
    if (p->role == TND_ROLE_AUDITOR || p->role == TND_ROLE_REVIEWER || tnd_tender_owner(t, p))
        return true;
    const tender_tenders_v1_Committee *cm = t->fields ? t->fields->committee : NULL;
    for (size_t i = 0; cm && i < cm->n_members && i < TND_COMMITTEE_MAX; i++) {
        if (!cm->members[i].name || strcmp(cm->members[i].name, p->name) != 0)
            continue;
        uint8_t key[80], mi = (uint8_t)i;
        size_t kl = tnd_key_shares(key, sizeof key, t->id, mi);
        MDB_val k = {.mv_size = kl, .mv_data = key}, v;
        if (mdb_get(txn, tnd_store_dbi(s, TND_TABLE_SHARES), &k, &v) == 0)
            return true;
    }
    return false;
}

/* The documents private key from k stored shares of different people, as
 * the opening rebuilt it; checked against the committee's public key. */
static int documents_key(MDB_txn *txn, tnd_store *s, const tnd_tender *t, uint8_t sk[32])
{
    const tender_tenders_v1_Committee *cm = t->fields->committee;
    size_t slen = TND_SHAMIR_SHARE_LEN(64), idx[TND_COMMITTEE_MAX];
    unsigned k = cm->threshold, n = 0;
    if (cm->documents_public_key.len != 32 || k == 0 || k > TND_COMMITTEE_MAX)
        return TND_EINVAL;
    uint8_t *shares = calloc(k, slen), secret[64], pk[32];
    MDB_cursor *cur;
    if (!shares || mdb_cursor_open(txn, tnd_store_dbi(s, TND_TABLE_SHARES), &cur) != 0) {
        free(shares);
        return TND_ENOMEM;
    }
    uint8_t key[80], mi;
    MDB_val k_ = {.mv_size = tnd_key_shares(key, sizeof key, t->id, 0), .mv_data = key}, v;
    for (int rc = mdb_cursor_get(cur, &k_, &v, MDB_SET_RANGE);
         rc == 0 && n < k && tnd_key_shares_parse(k_.mv_data, k_.mv_size, t->id, &mi);
         rc = mdb_cursor_get(cur, &k_, &v, MDB_NEXT)) {
        size_t m = mi;
        if (m >= cm->n_members || v.mv_size != slen)
            continue;
        idx[n] = m;
        if (tnd_committee_people(cm, idx, n + 1) == n)
            continue; /* one person, one share */
        memcpy(shares + (size_t)n * slen, v.mv_data, slen);
        n++;
    }
    mdb_cursor_close(cur);
    int rc = n == k && tnd_shamir_combine(shares, k, 64, secret) == 0 &&
                     tnd_x25519_public(secret + 32, pk) == 0 &&
                     CRYPTO_memcmp(pk, cm->documents_public_key.data, 32) == 0
                 ? 0
                 : TND_ECRYPTO;
    if (rc == 0)
        memcpy(sk, secret + 32, 32);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(shares, (size_t)k * slen);
    free(shares);
    return rc;
}

static void docs_pump(tnd_call *call)
{
    docs_stream *ds = tnd_call_user(call);
    if (!ds)
        return;
    while (ds->doc < ds->contents.n_contents) {
        const tnd_bytes *c = &ds->contents.contents[ds->doc];
        const tender_bids_v1_BidDocument *d = &ds->content.documents[ds->doc];
        size_t n = c->len - ds->off, room = tnd_call_max_message(call);
        room = room > 1024 ? room - 1024 : 1; /* the fields beside the chunk */
        if (n > DOC_PIECE)
            n = DOC_PIECE;
        if (n > room)
            n = room;
        tender_bids_v1_BidDocumentPiece p;
        tender_bids_v1_BidDocumentPiece_init(&p);
        p.index = (uint32_t)ds->doc;
        if (!ds->started) {
            p.name = d->name;
            p.media_type = d->media_type;
            p.sha256 = d->sha256;
            p.size = d->size;
        }
        p.chunk = (tnd_bytes){c->data ? c->data + ds->off : NULL, n};
        int st = tnd_call_send(call, &p);
        if (st == TND_EAGAIN)
            return; /* on_writable resumes */
        if (st != 0)
            goto done;
        ds->started = true;
        ds->off += n;
        if (ds->off >= c->len) {
            ds->doc++;
            ds->off = 0;
            ds->started = false;
        }
    }
    tnd_call_finish(call, TND_STATUS_OK, NULL);
done:
    tnd_call_set_user(call, NULL);
    docs_free(ds);
}

static void docs_cancel(tnd_call *call)
{
    docs_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

static bool opened(int status)
{
    return status == tender_tenders_v1_TenderStatus_OPENED ||
           status == tender_tenders_v1_TenderStatus_AWARDED ||
           status == tender_tenders_v1_TenderStatus_COMPLETE ||
           status == tender_tenders_v1_TenderStatus_UNSUCCESSFUL;
}

static void on_get_documents(tnd_call *call, void *request)
{
    const tender_bids_v1_BidDocumentsRequest *r = request;
    tnd_server *srv = tnd_call_server(call);
    const tnd_peer_identity *p = tnd_call_peer(call);
    if (!r->tender_id || !*r->tender_id || strlen(r->tender_id) >= 64 || !r->bid_id ||
        !tnd__bid_id_ok(r->bid_id)) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "tender_id (T-YYYY-NNNNNN) and bid_id (B- and 32 hex digits) are "
                        "required");
        return;
    }
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    docs_stream *ds = NULL;
    uint8_t dsk[32];
    char why[256];
    tnd_status code = TND_STATUS_OK;
    const char *msg = NULL;
    if (tnd_tender_read_visible(srv->store, txn, r->tender_id, p, &t) != 0) {
        code = TND_STATUS_NOT_FOUND;
        msg = "not found";
        goto out;
    }
    if (!opened(t.status)) {
        code = TND_STATUS_FAILED_PRECONDITION;
        msg = "is not opened: its bids' documents are served after the opening";
        goto out;
    }
    if (!may_read(txn, srv->store, &t, p)) {
        code = TND_STATUS_PERMISSION_DENIED;
        msg = "keeps its bids' documents for the buyer's officers, its committee members who "
              "gave their share, auditors and the review body: the opening record lists each "
              "document's name, size and SHA-256 for everyone";
        goto out;
    }
    uint8_t key[160];
    size_t kl = tnd_key_bids(key, sizeof key, t.id, r->bid_id);
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    if (mdb_get(txn, tnd_store_dbi(srv->store, TND_TABLE_BIDS), &k, &v) != 0 ||
        tnd_msg_decode(&tender_bids_v1_SealedBid_desc, v.mv_data, v.mv_size, &b, NULL) != 0 ||
        b.state != tender_bids_v1_BidState_SUBMITTED) {
        code = TND_STATUS_NOT_FOUND;
        msg = "has no opened bid with this id (replaced and withdrawn bids are not opened)";
        goto out;
    }
    uint8_t okey[TND_KEY_TENDER_ID_MAX];
    size_t okl = tnd_key_openings(okey, t.id);
    if (!okl ||
        tnd_store_get_msg(srv->store, txn, TND_TABLE_OPENINGS, okey, okl,
                          &tender_bids_v1_OpeningRecord_desc, &rec) != 0 ||
        rec.opening_private_key.len != 32 || !(ds = calloc(1, sizeof *ds))) {
        code = TND_STATUS_DATA_LOSS;
        msg = "has no readable opening record";
        goto out;
    }
    if (tnd_bid_open(&b, rec.opening_private_key.data, &ds->content, why, sizeof why) != 0) {
        code = TND_STATUS_FAILED_PRECONDITION;
        msg = "has a bid with this id that did not open (the opening record says why)";
        goto out;
    }
    if (ds->content.n_documents == 0)
        goto out; /* no documents: an empty stream */
    if (documents_key(txn, srv->store, &t, dsk) != 0) {
        code = TND_STATUS_DATA_LOSS;
        msg = "has no documents key the stored shares rebuild";
        goto out;
    }
    int rc = tnd_bid_open_documents(&b, &ds->content, dsk, &ds->contents, why, sizeof why);
    OPENSSL_cleanse(dsk, sizeof dsk);
    if (rc != 0) {
        code = TND_STATUS_FAILED_PRECONDITION;
        msg = why; /* the opening judged the bid invalid for it */
    }
out:
    tnd_store_read_end(srv->store, txn);
    if (code != TND_STATUS_OK) {
        tnd_call_finish(call, code, "tender %s %s%s%s", r->tender_id, msg,
                        msg == why ? ": bid " : "", msg == why ? r->bid_id : "");
        docs_free(ds);
    } else {
        tnd_call_set_user(call, ds);
        docs_pump(call);
    }
    tender_bids_v1_SealedBid_free(&b);
    if (rec.opening_private_key.data)
        OPENSSL_cleanse(rec.opening_private_key.data, rec.opening_private_key.len);
    tender_bids_v1_OpeningRecord_free(&rec);
    tender_tenders_v1_Tender_free(&t);
}

const tnd_handler tnd_bid_documents_handler = {
    .method = tender_bids_v1_Bids_GetBidDocuments_method,
    .on_message = on_get_documents,
    .on_cancel = docs_cancel,
    .on_writable = docs_pump,
};
