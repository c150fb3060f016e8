/* The opening: committee members submit their Shamir shares of the tender's
 * opening key after the opening time; with k distinct valid shares the
 * server rebuilds the key in memory, checks it against the tender's public
 * key, opens every bid in force and judges it against the tender
 * (tnd_bid_open_record), writes and logs the opening record
 * (publishing the key for auditors), moves the tender to `opened` and
 * wipes the key. Everything happens in one write transaction. */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bids.h"
#include "tender/committee.h"
#include "tender/sealed.h"

/* Bytes of one share of cm's secret (33, or 65 with a documents key). */
static size_t share_len(const tender_tenders_v1_Committee *cm)
{
    return TND_SHAMIR_SHARE_LEN(tnd_committee_secret_len(cm));
}
#define EV(name) tender_events_v1_EventKind_##name

/* The shares stored for the tender, one per person (tender/committee.h:
 * two members with one name or one key are one person): copy the first k
 * into out and their members' keys into members_out; *who receives the
 * index of the member of person's share when person >= 0 and that person
 * already gave one (else -1). Returns the number of people who gave. */
static unsigned read_shares(tnd_wtx *w, const char *tender_id, uint8_t *out, unsigned k,
                            tnd_bytes *members_out, const tender_tenders_v1_Committee *cm,
                            long person, long *who)
{
    MDB_cursor *cur;
    size_t idx[TND_COMMITTEE_MAX], slen = share_len(cm);
    unsigned n = 0;
    if (who)
        *who = -1;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_SHARES),
                        &cur) != 0)
        return 0;
    uint8_t key[80], mi;
    MDB_val k_ = {.mv_size = tnd_key_shares(key, sizeof key, tender_id, 0), .mv_data = key}, v;
    for (int rc = mdb_cursor_get(cur, &k_, &v, MDB_SET_RANGE);
         rc == 0 && tnd_key_shares_parse(k_.mv_data, k_.mv_size, tender_id, &mi);
         rc = mdb_cursor_get(cur, &k_, &v, MDB_NEXT)) {
        size_t m = mi;
        if (m >= cm->n_members || n >= TND_COMMITTEE_MAX || v.mv_size != slen)
            continue;
        if (who && person >= 0 && *who < 0 && tnd_committee_same_person(cm, (size_t)person, m))
            *who = (long)m;
        idx[n] = m;
        if (tnd_committee_people(cm, idx, n + 1) == n)
            continue; /* this person gave a share already */
        if (out && n < k) {
            memcpy(out + (size_t)n * slen, v.mv_data, slen);
            if (members_out)
                members_out[n] = cm->members[m].public_key;
        }
        n++;
    }
    mdb_cursor_close(cur);
    return n;
}

static void set_copy(tnd_arena *a, tnd_bytes *dst, const void *src, size_t len)
{
    dst->data = tnd_arena_memdup(a, src, len);
    dst->len = dst->data ? len : 0;
}

/* The line of sealed bid b appended to rec->bids, which
 * grows in a by doubling (*cap): 0 or TND_ENOMEM. */
static int add_line(tnd_arena *a, tender_bids_v1_OpeningRecord *rec, size_t *cap,
                    const tender_bids_v1_SealedBid *b, const uint8_t sk[32],
                    const tnd_bid_terms *terms)
{
    if (rec->n_bids == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        tender_bids_v1_OpenedBid *nb = tnd_arena_calloc(a, ncap, sizeof *nb);
        if (!nb)
            return TND_ENOMEM;
        if (rec->n_bids)
            memcpy(nb, rec->bids, rec->n_bids * sizeof *nb);
        rec->bids = nb;
        *cap = ncap;
    }
    /* libtender builds the line with malloc; the record keeps a copy. */
    tender_bids_v1_OpenedBid o;
    int rc = tnd_bid_open_record(b, sk, terms, &o);
    if (rc == 0)
        rc = tnd_msg_copy_in(&tender_bids_v1_OpenedBid_desc, a, &o, &rec->bids[rec->n_bids]);
    tender_bids_v1_OpenedBid_free(&o);
    if (rc == 0)
        rec->n_bids++;
    return rc;
}

/* Rebuild the key, open every bid in force, record and log the opening.
 * The record, the bids read and t's changes live in the write's arena, so
 * a piece that cannot be made fails the write before anything is stored. */
static int open_bids(tnd_wtx *w, tnd_op *op, tnd_tender *t)
{
    tnd_arena *a = tnd_wtx_arena(w);
    const tender_tenders_v1_Committee *cm = t->fields->committee;
    unsigned k = cm->threshold;
    size_t slen = share_len(cm), secret = tnd_committee_secret_len(cm);
    /* sk: the opening private key, then the documents private key (if any). */
    uint8_t *shares = calloc(k, slen), sk[64], pk[32];
    tnd_bytes *members = calloc(k, sizeof *members);
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    int st = 0;
    if (!shares || !members) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        goto out;
    }
    if (read_shares(w, t->id, shares, k, members, cm, -1, NULL) < k) {
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s has shares of fewer than %u committee members", t->id, k);
        goto out;
    }
    if (tnd_shamir_combine(shares, k, secret, sk) != 0 || tnd_x25519_public(sk, pk) != 0 ||
        memcmp(pk, cm->opening_public_key.data, 32) != 0 ||
        (secret == 64 && (tnd_x25519_public(sk + 32, pk) != 0 ||
                          memcmp(pk, cm->documents_public_key.data, 32) != 0))) {
        st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS,
                          "the shares do not rebuild tender %s's opening and documents keys", t->id);
        goto out;
    }
    rec.tender_id = tnd_arena_strdup(a, t->id);
    rec.opened = tnd_ts_in(a, tnd_wtx_now_ms(w));
    rec.share_members = tnd_arena_calloc(a, k, sizeof *rec.share_members);
    for (unsigned i = 0; rec.share_members && i < k; i++)
        if (members[i].len == 32)
            set_copy(a, &rec.share_members[rec.n_share_members++], members[i].data, 32);
    set_copy(a, &rec.opening_private_key, sk, 32);
    /* Every bid in force, in key order (bid id order), against the tender as
     * it stood at its deadline: amendments end there, so t is that version. */
    tnd_bid_terms terms = tnd_bid_terms_of(t);
    /* Who bid is checked against the CA and revocation list tenderd has now. */
    tnd_bid_trust trust = {0};
    char err[300];
    const tnd_config *cfg = &op->srv->cfg;
    if (tnd_bid_trust_load(&trust, cfg->ca, cfg->crl, err, sizeof err) != 0) {
        st = tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE,
                          "cannot open the bids: %s; fix it and give the share again", err);
        goto out;
    }
    terms.trust = &trust;
    /* The documents are checked against their list here, and never published. */
    terms.documents_sk = secret == 64 ? sk + 32 : NULL;
    MDB_cursor *cur;
    bool oom = false;
    size_t cap = 0;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_BIDS), &cur) ==
        0) {
        uint8_t key[80];
        const uint8_t *bid_id;
        size_t bl;
        MDB_val kk = {.mv_size = tnd_key_bids(key, sizeof key, t->id, ""), .mv_data = key}, v;
        for (int rc = mdb_cursor_get(cur, &kk, &v, MDB_SET_RANGE);
             !oom && rc == 0 && tnd_key_bids_parse(kk.mv_data, kk.mv_size, t->id, &bid_id, &bl);
             rc = mdb_cursor_get(cur, &kk, &v, MDB_NEXT)) {
            /* The envelope is only read, one at a time, and freed at once:
             * all of a tender's envelopes at once could outgrow the arena. */
            tender_bids_v1_SealedBid b;
            tender_bids_v1_SealedBid_init(&b);
            int rc2 = tnd_msg_decode(&tender_bids_v1_SealedBid_desc, v.mv_data, v.mv_size, &b,
                                     NULL);
            if (rc2 == TND_ENOMEM)
                oom = true;
            else if (rc2 == 0 && b.state == tender_bids_v1_BidState_SUBMITTED)
                oom = add_line(a, &rec, &cap, &b, sk, &terms) != 0;
            tender_bids_v1_SealedBid_free(&b);
        }
        mdb_cursor_close(cur);
    }
    tnd_bid_trust_free(&trust);
    if (oom) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        goto out;
    }
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    if (tnd_wtx_put_msg(w, TND_TABLE_OPENINGS, key, tnd_key_openings(key, t->id),
                        &tender_bids_v1_OpeningRecord_desc, &rec) != 0) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store the opening record");
        goto out;
    }
    t->status = tender_tenders_v1_TenderStatus_OPENED;
    t->updated = tnd_ts_in(a, tnd_wtx_now_ms(w));
    if (tnd_arena_failed(a)) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        goto out;
    }
    if (tnd_wtx_put_msg(w, TND_TABLE_TENDERS, key, tnd_key_tenders(key, t->id),
                        &tender_tenders_v1_Tender_desc, t) != 0) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store tender %s", t->id);
        goto out;
    }
    st = tnd_tender_event(w, EV(BIDS_OPENED), t, &op->peer, t->id,
                          &tender_bids_v1_OpeningRecord_desc, &rec, NULL);
out:
    OPENSSL_cleanse(sk, sizeof sk);
    if (shares)
        OPENSSL_cleanse(shares, (size_t)k * slen);
    if (rec.opening_private_key.data)
        OPENSSL_cleanse(rec.opening_private_key.data, rec.opening_private_key.len);
    free(shares);
    free(members);
    return st;
}

int tnd__share_submit_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_bids_v1_SubmitShareRequest *req = op->req;
    tender_bids_v1_ShareAccepted *resp = op->resp;
    int64_t now = tnd_wtx_now_ms(w);
    char a[32];
    tnd_tender t; /* in the write's arena, as what open_bids changes in it */
    int st = 0;
    uint8_t tkey[TND_KEY_TENDER_ID_MAX];
    size_t tkl = tnd_key_tenders(tkey, req->tender_id);
    if (!tkl ||
        tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, tkey, tkl, &tender_tenders_v1_Tender_desc, &t) !=
            0 ||
        !tnd_tender_published(&t) || !t.fields || !t.fields->committee) {
        st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", req->tender_id);
        goto out;
    }
    const tender_tenders_v1_Committee *cm = t.fields->committee;
    int64_t opening = tnd_ts_ms(t.fields->opening_time);
    long idx = tnd_committee_member(cm, &req->member_key);
    /* The member named in the tender, and no one else, gives its share. */
    if (idx < 0 || !cm->members[idx].name || strcmp(cm->members[idx].name, op->peer.name) != 0) {
        st = tnd_wtx_fail(w, TND_STATUS_PERMISSION_DENIED,
                          "%s is not a member of the opening committee of %s with this key",
                          op->peer.name, t.id);
        goto out;
    }
    if (t.status == tender_tenders_v1_TenderStatus_OPENED) {
        st = tnd_wtx_fail(w, TND_STATUS_ALREADY_EXISTS, "tender %s is already opened", t.id);
        goto out;
    }
    if (t.status != tender_tenders_v1_TenderStatus_CLOSED || now < opening) {
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s opens at %s (it is %s); shares are taken from then on", t.id,
                          tnd_ms_text(opening, a, sizeof a), tnd_tender_status_name(t.status));
        goto out;
    }
    uint8_t key[80], h[32], mi = (uint8_t)idx;
    size_t kl = tnd_key_shares(key, sizeof key, t.id, mi);
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    long given;
    read_shares(w, t.id, NULL, 0, NULL, cm, idx, &given);
    if (mdb_get(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_SHARES), &k, &v) == 0 ||
        given >= 0) {
        /* One person, one share: also when an old committee lists them twice. */
        st = tnd_wtx_fail(w, TND_STATUS_ALREADY_EXISTS, "%s already gave a share for %s%s",
                          op->peer.name, t.id,
                          given >= 0 && given != idx
                              ? " (as another member with the same name or key: each person "
                                "gives one share)"
                              : "");
        goto out;
    }
    bool fits = req->share.len == share_len(cm) && cm->members[idx].share_hash.len == 32 &&
                tnd_share_hash(req->share.data, req->share.len, h) == 0 &&
                memcmp(h, cm->members[idx].share_hash.data, 32) == 0;
    char member[32];
    snprintf(member, sizeof member, "member %ld", idx);
    /* A share that does not fit is refused, and the attempt is recorded. */
    st = tnd_tender_event(w, EV(SHARE_RECEIVED), &t, &op->peer, member, NULL, NULL,
                          fits ? NULL : "rejected: the share does not fit");
    if (st)
        goto out;
    if (!fits) {
        op->post_status = TND_STATUS_INVALID_ARGUMENT;
        snprintf(op->post_msg, sizeof op->post_msg,
                 "the share does not fit %s's commitment for tender %s (decrypted with the "
                 "right key?); the attempt is recorded",
                 member, t.id);
        goto out;
    }
    if (tnd_wtx_put_raw(w, TND_TABLE_SHARES, key, kl, req->share.data, req->share.len) != 0) {
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store the share");
        goto out;
    }
    resp->received = read_shares(w, t.id, NULL, 0, NULL, cm, -1, NULL);
    resp->threshold = cm->threshold;
    if (resp->received >= cm->threshold) {
        st = open_bids(w, op, &t);
        resp->opened = st == 0;
    }
out:
    return st;
}

/* The record whole when it fits in one frame to the caller; else, for a
 * caller that asked for pieces, a page of its bids from the cursor (the
 * index of the first bid) with every other field, and the next cursor. */
static void send_opening(tnd_call *call, const tender_tenders_v1_TenderRef *r,
                         tender_bids_v1_OpeningRecord *rec)
{
    size_t max = tnd_call_max_message(call), size = 0, from = 0;
    char tail;
    unsigned u = 0;
    if (tnd_msg_size(&tender_bids_v1_OpeningRecord_desc, rec, &size) == 0 && size <= max) {
        if (tnd_call_send(call, rec) == 0)
            tnd_call_finish(call, TND_STATUS_OK, NULL);
        return;
    }
    if (!r->pieces) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the opening record of %s is %zu bytes, more than one frame to this "
                        "client holds (%zu); a client that sets pieces in its request receives "
                        "it in pages",
                        r->id, size, max);
        return;
    }
    if (r->cursor && *r->cursor) {
        if (sscanf(r->cursor, "%u%c", &u, &tail) != 1 || u == 0 || u >= rec->n_bids) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "cursor: not a cursor this server issued; start without one");
            return;
        }
        from = u;
    }
    /* Every field but the bids, then as many bids as fit (at least one). */
    tender_bids_v1_OpeningRecord page = *rec;
    char next[24] = "0000000000";
    page.n_bids = 0;
    page.next_cursor = next;
    size_t used = 0, to = from;
    if (tnd_msg_size(&tender_bids_v1_OpeningRecord_desc, &page, &used) != 0)
        used = max;
    used += 5; /* the array header */
    for (; to < rec->n_bids; to++) {
        size_t b = 0;
        if (tnd_msg_size(&tender_bids_v1_OpenedBid_desc, &rec->bids[to], &b) != 0)
            b = max;
        if (to > from && used + b > max)
            break;
        used += b;
    }
    page.bids = rec->bids + from;
    page.n_bids = to - from;
    if (to < rec->n_bids)
        snprintf(next, sizeof next, "%zu", to);
    else
        page.next_cursor = NULL;
    if (tnd_call_send(call, &page) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

/* GetOpening: the record, for everyone, once the tender is opened. */
static void on_get_opening(tnd_call *call, void *request)
{
    const tender_tenders_v1_TenderRef *r = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_store_read_begin(srv->store, &txn) != 0) {
        tnd_call_finish(call, TND_STATUS_UNAVAILABLE, "the store cannot be read");
        return;
    }
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    /* The caller may not know the tender (a draft of another buyer): then it
     * does not exist, as everywhere else. */
    int seen = tnd_tender_read_visible(srv->store, txn, r->id, tnd_call_peer(call), &t);
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = seen == 0 ? tnd_key_openings(key, r->id) : 0;
    int rc = kl == 0 ? TND_ENOTFOUND
                     : tnd_store_get_msg(srv->store, txn, TND_TABLE_OPENINGS, key, kl,
                                         &tender_bids_v1_OpeningRecord_desc, &rec);
    tnd_store_read_end(srv->store, txn);
    if (seen != 0)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "tender %s not found", r->id);
    else if (rc == TND_ENOTFOUND)
        tnd_call_finish(call, TND_STATUS_NOT_FOUND,
                        "tender %s has not been opened (it is %s); its opening record is "
                        "published at the opening",
                        r->id, tnd_tender_status_name(t.status));
    else if (rc != 0)
        tnd_call_finish(call, TND_STATUS_DATA_LOSS, "the opening record of %s is unreadable",
                        r->id);
    else
        send_opening(call, r, &rec);
    tender_bids_v1_OpeningRecord_free(&rec);
    tender_tenders_v1_Tender_free(&t);
}

/* GetSealedBids: stream every envelope of an opened tender, paced by flow
 * control; one short read transaction per batch. An envelope too large for
 * one frame goes, for a caller that asked for pieces, as the envelope with
 * an empty ciphertext and then messages holding only the next piece of the
 * ciphertext (docs/PROTOCOL.md, "Large answers"). */
#define SEALED_PIECE (1u << 20)

typedef struct sealed_stream {
    char tender_id[80];
    char after[80];  /* last bid id sent (or being sent in pieces) */
    bool pieces;     /* the caller reassembles pieces */
    tnd_arena arena; /* the envelope being sent: reset when it is gone */
    tnd_bytes rest;  /* its ciphertext (in arena) while it goes in pieces */
    size_t off;      /* of rest, sent so far */
} sealed_stream;

/* An envelope is as large as the store holds (max-bid-bytes when it came),
 * and it was read from the store whole: the arena does not bound it again. */
#define SEALED_ARENA_CAP (SIZE_MAX / 2)

static void sealed_free(sealed_stream *ss)
{
    if (ss)
        tnd_arena_free(&ss->arena);
    free(ss);
}

/* Send what is left of the bid in pieces: 0 when done, else TND_EAGAIN (wait
 * for on_writable) or the error that ended the call. */
static int sealed_send_rest(tnd_call *call, sealed_stream *ss)
{
    while (ss->off < ss->rest.len) {
        size_t room = tnd_call_max_message(call), n = ss->rest.len - ss->off;
        /* A message holding only a ciphertext piece: map, key, bin header. */
        room = room > 7 ? room - 7 : 1;
        if (n > SEALED_PIECE)
            n = SEALED_PIECE;
        if (n > room)
            n = room;
        tender_bids_v1_SealedBid m;
        tender_bids_v1_SealedBid_init(&m);
        m.ciphertext = (tnd_bytes){ss->rest.data + ss->off, n};
        int st = tnd_call_send(call, &m);
        if (st != 0)
            return st;
        ss->off += n;
    }
    ss->rest = (tnd_bytes){0};
    ss->off = 0;
    tnd_arena_reset(&ss->arena);
    return 0;
}

/* Send one stored envelope b (size bytes encoded, in ss->arena): whole when
 * it fits, else in pieces (its ciphertext stays in ss->arena until sent) or
 * refused. Returns as tnd_call_send. */
static int sealed_send(tnd_call *call, sealed_stream *ss, const tender_bids_v1_SealedBid *b,
                       size_t size)
{
    size_t max = tnd_call_max_message(call);
    if (size <= max)
        return tnd_call_send(call, b);
    if (!ss->pieces) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "sealed bid %s is %zu bytes, more than one frame to this client holds "
                        "(%zu); a client that sets pieces in its request receives it in pieces",
                        b->bid_id, size, max);
        return TND_ELIMIT;
    }
    tender_bids_v1_SealedBid head = *b; /* a view: the envelope without its ciphertext */
    head.ciphertext = (tnd_bytes){0};
    int st = tnd_call_send(call, &head);
    if (st != 0)
        return st;
    ss->rest = b->ciphertext;
    ss->off = 0;
    return 0;
}

static void sealed_pump(tnd_call *call)
{
    sealed_stream *ss = tnd_call_user(call);
    tnd_server *srv = tnd_call_server(call);
    if (!ss || !srv)
        return;
    for (;;) {
        int st = sealed_send_rest(call, ss);
        if (st == TND_EAGAIN)
            return; /* on_writable resumes */
        if (st != 0)
            goto done_free;
        MDB_txn *txn;
        MDB_cursor *cur;
        if (tnd_call_read_begin(call, &txn) != 0)
            goto done_free;
        int sent = 0;
        if (mdb_cursor_open(txn, tnd_store_dbi(srv->store, TND_TABLE_BIDS), &cur) == 0) {
            uint8_t key[160];
            const uint8_t *bid_id;
            size_t il;
            size_t kl = tnd_key_bids(key, sizeof key, ss->tender_id, ss->after);
            MDB_val k = {.mv_size = kl, .mv_data = key}, v;
            for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
                 rc == 0 && tnd_key_bids_parse(k.mv_data, k.mv_size, ss->tender_id, &bid_id, &il) &&
                 sent < 64;
                 rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
                if (il == strlen(ss->after) && memcmp(bid_id, ss->after, il) == 0)
                    continue; /* the one sent last time */
                tender_bids_v1_SealedBid b;
                int drc = tnd_msg_decode_in(&tender_bids_v1_SealedBid_desc, &ss->arena,
                                            v.mv_data, v.mv_size, &b, NULL);
                if (drc == TND_ENOMEM) {
                    tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                                    "server out of memory; ask again later");
                    st = TND_ENOMEM;
                    break;
                }
                if (drc != 0) {
                    tnd_arena_reset(&ss->arena);
                    continue;
                }
                st = sealed_send(call, ss, &b, v.mv_size);
                if (!ss->rest.data) /* sent whole (or not at all): the envelope goes */
                    tnd_arena_reset(&ss->arena);
                if (st == TND_EAGAIN)
                    break;
                if (il < sizeof ss->after) {
                    memcpy(ss->after, bid_id, il);
                    ss->after[il] = '\0';
                }
                sent++;
                if (st != 0 || ss->rest.data)
                    break; /* the call ended, or pieces follow outside the transaction */
            }
            mdb_cursor_close(cur);
        }
        tnd_store_read_end(srv->store, txn);
        if (st == TND_EAGAIN)
            return; /* on_writable resumes */
        if (st != 0 || !tnd_call_active(call))
            goto done_free;
        if (sent == 0)
            break;
    }
    tnd_call_finish(call, TND_STATUS_OK, NULL);
done_free:
    tnd_call_set_user(call, NULL);
    sealed_free(ss);
}

static void sealed_cancel(tnd_call *call)
{
    sealed_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

static void on_get_sealed(tnd_call *call, void *request)
{
    const tender_tenders_v1_TenderRef *r = request;
    tnd_server *srv = tnd_call_server(call);
    if (strlen(r->id) > TND_KEY_TENDER_ID_MAX) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "id: a tender id has at most %d characters (T-YYYY-NNNNNN)",
                        TND_KEY_TENDER_ID_MAX);
        return;
    }
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int rc = tnd_tender_read_visible(srv->store, txn, r->id, tnd_call_peer(call), &t);
    tnd_store_read_end(srv->store, txn);
    int status = t.status;
    tender_tenders_v1_Tender_free(&t);
    if (rc != 0) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "tender %s not found", r->id);
        return;
    }
    if (status != tender_tenders_v1_TenderStatus_OPENED &&
        status != tender_tenders_v1_TenderStatus_AWARDED &&
        status != tender_tenders_v1_TenderStatus_COMPLETE &&
        status != tender_tenders_v1_TenderStatus_UNSUCCESSFUL) {
        tnd_call_finish(call, TND_STATUS_FAILED_PRECONDITION,
                        "the sealed bids of %s are published after the opening (it is %s)", r->id,
                        tnd_tender_status_name(status));
        return;
    }
    sealed_stream *ss = calloc(1, sizeof *ss);
    if (!ss) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    snprintf(ss->tender_id, sizeof ss->tender_id, "%s", r->id);
    ss->pieces = r->pieces;
    tnd_arena_init(&ss->arena, SEALED_ARENA_CAP);
    tnd_call_set_user(call, ss);
    sealed_pump(call);
}

static void on_submit_share(tnd_call *call, void *request)
{
    /* tender_id is there and member_key is 32 bytes: the schema's required and len. */
    tnd_op *op = tnd_op_new(call, request, &tender_bids_v1_ShareAccepted_desc,
                            tnd__share_submit_fn, NULL, 0, NULL);
    if (op)
        tnd_op_submit(op);
}

const tnd_handler tnd_opening_handlers[] = {
    {.method = tender_bids_v1_Bids_SubmitShare_method, .on_message = on_submit_share},
    {.method = tender_bids_v1_Bids_GetOpening_method, .on_message = on_get_opening},
    {.method = tender_bids_v1_Bids_GetSealedBids_method,
     .on_message = on_get_sealed,
     .on_cancel = sealed_cancel,
     .on_writable = sealed_pump},
};
const size_t tnd_opening_handler_count = sizeof tnd_opening_handlers / sizeof *tnd_opening_handlers;
