/* Fetching one tender's public record for an audit (tender/verify.h):
 * public calls only, nothing checked here beyond what is needed to ask the
 * next question. tnd_tender_record_verify does the checking. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "client_internal.h"
#include "record_verify.h"
#include "tender/blind.h"
#include "tender/pages.h"

#define EV(name) tender_events_v1_EventKind_##name

static int oom(tnd_status_info *st)
{
    return tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
}

/* Copy a list of 32-byte hashes out of a proof message. */
static int copy_hashes(const tnd_bytes *h, size_t n, uint8_t (**out)[32], size_t *n_out,
                       tnd_status_info *st)
{
    if (n > TND_MERKLE_MAX_PROOF)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS, "a proof of %zu hashes (at most %d)", n,
                                TND_MERKLE_MAX_PROOF);
    *out = calloc(n ? n : 1, 32);
    if (!*out)
        return oom(st);
    for (size_t i = 0; i < n; i++) {
        if (h[i].len != 32)
            return tnd__status_fail(st, TND_STATUS_DATA_LOSS, "hash %zu of a proof is not 32 bytes",
                                    i);
        memcpy((*out)[i], h[i].data, 32);
    }
    *n_out = n;
    return 0;
}

static int fetch_checkpoint(tnd_client *c, tnd_tender_record *r, bool witnessed,
                            tnd_status_info *st)
{
    tender_common_v1_Empty req;
    tender_common_v1_Empty_init(&req);
    tender_log_v1_Checkpoint cp;
    tnd_arena a; /* the reply; the record keeps a copy of its note */
    tnd_arena_init(&a, 0);
    int code = witnessed ? tender_log_v1_Log_GetWitnessedCheckpoint_in(c, &a, &req, &cp, NULL, st)
                         : tender_log_v1_Log_GetCheckpoint_in(c, &a, &req, &cp, NULL, st);
    if (code) {
        tnd_arena_free(&a);
        return code;
    }
    /* Size and root as the server states them, to ask for proofs; verify
     * checks the signed note says the same. */
    if (!cp.note || cp.root.len != 32)
        code = tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                "the server sent a checkpoint without a root");
    else if (!(r->checkpoint_note = strdup(cp.note)))
        code = oom(st);
    if (code == 0) {
        r->checkpoint.size = cp.size;
        memcpy(r->checkpoint.root, cp.root.data, 32);
    }
    tnd_arena_free(&a);
    return code;
}

static int fetch_consistency(tnd_client *c, tnd_tender_record *r, const tnd_checkpoint *saved,
                             tnd_status_info *st)
{
    r->saved_size = saved->size;
    if (saved->size == 0 || saved->size >= r->checkpoint.size)
        return 0; /* nothing to prove, or verify reports the shrunken log */
    tender_log_v1_ConsistencyProofRequest req = {.first = saved->size,
                                                 .second = r->checkpoint.size};
    tender_log_v1_ConsistencyProof p;
    int code =
        tnd_client_unary(c, tender_log_v1_Log_GetConsistencyProof_method, &req, &p, NULL, st);
    if (code)
        return code;
    code = copy_hashes(p.hashes, p.n_hashes, &r->consistency, &r->n_consistency, st);
    tender_log_v1_ConsistencyProof_free(&p);
    return code;
}

static int add_event(tnd_tender_record *r, tender_log_v1_Leaf *leaf, tnd_status_info *st)
{
    if (r->n_events > 0 && leaf->index <= r->events[r->n_events - 1].index)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS, "the server sent leaf %llu out of order",
                                (unsigned long long)leaf->index);
    if (leaf->index >= r->checkpoint.size)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                "the server sent leaf %llu beyond the checkpoint",
                                (unsigned long long)leaf->index);
    tnd_record_event *ne = realloc(r->events, (r->n_events + 1) * sizeof *ne);
    if (!ne)
        return oom(st);
    r->events = ne;
    tnd_record_event *e = &r->events[r->n_events++];
    memset(e, 0, sizeof *e);
    tender_events_v1_Event_init(&e->ev);
    e->index = leaf->index;
    e->leaf = leaf->data;
    leaf->data = (tnd_bytes){0};
    e->decoded =
        e->leaf.data && tender_events_v1_Event_decode(&e->ev, e->leaf.data, e->leaf.len, NULL) == 0;
    return 0;
}

/* Close a GetLeaves stream read with code so far. Events missing from the
 * server's store (DATA_LOSS) are not a failure of the fetch: verify reports
 * them, from r->events_error. */
static int leaves_close(tnd_client_stream *s, tnd_tender_record *r, int code, tnd_status_info *st)
{
    tnd_client_stream_close(s);
    if (code == 0 && st->code == TND_STATUS_DATA_LOSS) {
        snprintf(r->events_error, sizeof r->events_error, "%s", st->message);
        memset(st, 0, sizeof *st);
    }
    return code ? code : st->code;
}

static int fetch_events(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    tender_log_v1_LeavesRequest req = {
        .start = 0, .end = r->checkpoint.size, .tender_id = r->tender_id};
    if (r->checkpoint.size == 0)
        return 0;
    tnd_client_stream *s;
    int code = tnd_client_stream_open(c, tender_log_v1_Log_GetLeaves_method, &req, NULL, &s, st);
    if (code)
        return code;
    tender_log_v1_Leaf leaf;
    while (code == 0 && tnd_client_stream_next(s, &leaf, st) == 1) {
        code = add_event(r, &leaf, st);
        tender_log_v1_Leaf_free(&leaf);
    }
    return leaves_close(s, r, code, st);
}

/* The auditor's own linking: every bid event between the tender's first
 * event and the one that published its bid tag key whose tag the key gives
 * (include/tender/blind.h). Those the tender filter left out are added,
 * marked unlisted, for verify to report: the count of bids does not rest on
 * the server's word. */
static int fetch_linked(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    const uint8_t *k = tnd__vbid_key(r, NULL);
    if (!k || r->n_events == 0)
        return 0;
    uint8_t key[32];
    memcpy(key, k, 32); /* r->events moves as events are added */
    uint64_t end = 0;
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].ev.bid_tag_key.len == 32 && r->events[i].index > end)
            end = r->events[i].index;
    tender_log_v1_LeavesRequest req = {.start = r->events[0].index, .end = end};
    tnd_client_stream *s;
    int code = tnd_client_stream_open(c, tender_log_v1_Log_GetLeaves_method, &req, NULL, &s, st);
    if (code)
        return code;
    tender_log_v1_Leaf leaf;
    size_t at = 0; /* r->events[at] is the first event at or after the leaf */
    while (code == 0 && tnd_client_stream_next(s, &leaf, st) == 1) {
        while (at < r->n_events && r->events[at].index < leaf.index)
            at++;
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if ((at == r->n_events || r->events[at].index != leaf.index) &&
            tender_events_v1_Event_decode(&ev, leaf.data.data, leaf.data.len, NULL) == 0 &&
            tnd_blind_links(&ev, r->tender_id, key)) {
            tnd_record_event *ne = realloc(r->events, (r->n_events + 1) * sizeof *ne);
            if (!ne) {
                code = oom(st);
            } else {
                r->events = ne;
                memmove(&ne[at + 1], &ne[at], (r->n_events - at) * sizeof *ne);
                r->n_events++;
                tnd_record_event *e = &ne[at];
                memset(e, 0, sizeof *e);
                e->index = leaf.index;
                e->leaf = leaf.data;
                leaf.data = (tnd_bytes){0};
                e->ev = ev;
                tender_events_v1_Event_init(&ev);
                e->decoded = true;
                e->unlisted = true;
            }
        }
        tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&leaf);
    }
    return leaves_close(s, r, code, st);
}

static int fetch_proofs(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    for (size_t i = 0; i < r->n_events; i++) {
        tnd_record_event *e = &r->events[i];
        tender_log_v1_InclusionProofRequest req = {.index = e->index,
                                                   .tree_size = r->checkpoint.size};
        tender_log_v1_InclusionProof p;
        int code =
            tnd_client_unary(c, tender_log_v1_Log_GetInclusionProof_method, &req, &p, NULL, st);
        if (code)
            return code;
        if (p.index != e->index || p.tree_size != r->checkpoint.size)
            code = tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                    "the server answered with a proof of leaf %llu for size %llu",
                                    (unsigned long long)p.index, (unsigned long long)p.tree_size);
        else
            code = copy_hashes(p.hashes, p.n_hashes, &e->proof, &e->n_proof, st);
        tender_log_v1_InclusionProof_free(&p);
        if (code)
            return code;
    }
    return 0;
}

static int fetch_versions(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    tender_tenders_v1_TenderRef ref = {.id = r->tender_id};
    int code =
        tnd_client_unary(c, tender_tenders_v1_Tenders_Get_method, &ref, &r->current, NULL, st);
    /* Unknown, or a draft: nothing to audit. Published by the log yet not
     * served: verify reports it. */
    if (code && tnd__vlast(r, EV(TENDER_PUBLISHED), NULL) < 0)
        return code;
    if (code)
        return tnd__fetch_missing(st, r->versions_error, sizeof r->versions_error);
    uint32_t n = r->current.version;
    /* Every version leaves at least one event; more versions than events is a lie. */
    if (n > r->n_events)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                "tender %s claims %u versions but the log has %zu events",
                                r->tender_id, n, r->n_events);
    r->versions = calloc(n ? n : 1, sizeof *r->versions);
    if (!r->versions)
        return oom(st);
    for (uint32_t v = 1; v <= n; v++) {
        ref.version = v;
        code = tnd_client_unary(c, tender_tenders_v1_Tenders_Get_method, &ref, &r->versions[v - 1],
                                NULL, st);
        char why[200];
        if (code && (code = tnd__fetch_missing(st, why, sizeof why)) == 0)
            snprintf(r->versions_error, sizeof r->versions_error, "version %u is not served: %s", v,
                     why);
        if (code || r->versions_error[0])
            return code;
        r->n_versions = v;
    }
    return 0;
}

/* GetSealedBids in pieces (docs/PROTOCOL.md, "Large answers"): a message
 * without a bid id carries the next piece of the previous envelope's
 * ciphertext, never more in all than the schema allows one ciphertext. */
static int add_piece(tnd_tender_record *r, const tnd_bytes *piece, tnd_status_info *st)
{
    const size_t max = TENDER_BIDS_V1_SEALEDBID_CIPHERTEXT_MAX_LEN;
    if (r->n_bids == 0)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                "the server sent a piece of a sealed bid before its envelope");
    tnd_bytes *ct = &r->bids[r->n_bids - 1].ciphertext;
    if (piece->len > max || ct->len > max - piece->len)
        return tnd__status_fail(
            st, TND_STATUS_DATA_LOSS,
            "the server sent sealed bid %s in pieces larger than a ciphertext may be",
            r->bids[r->n_bids - 1].bid_id);
    if (piece->len == 0)
        return 0;
    uint8_t *nd = realloc(ct->data, ct->len + piece->len);
    if (!nd)
        return oom(st);
    memcpy(nd + ct->len, piece->data, piece->len);
    ct->data = nd;
    ct->len += piece->len;
    return 0;
}

static int fetch_bids(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    tender_tenders_v1_TenderRef ref = {.id = r->tender_id, .pieces = true};
    int code = tnd_opening_fetch(c, r->tender_id, &r->opening, st);
    if (code && (code = tnd__fetch_missing(st, r->opening_error, sizeof r->opening_error)) != 0)
        return code;
    r->has_opening = !r->opening_error[0];
    tnd_client_stream *s;
    code = tnd_client_stream_open(c, tender_bids_v1_Bids_GetSealedBids_method, &ref, NULL, &s, st);
    if (code)
        return code;
    r->has_bids = true;
    tender_bids_v1_SealedBid b;
    while (code == 0 && tnd_client_stream_next(s, &b, st) == 1) {
        if (!b.bid_id || !*b.bid_id) { /* the next piece of the last envelope's ciphertext */
            code = add_piece(r, &b.ciphertext, st);
            tender_bids_v1_SealedBid_free(&b);
            continue;
        }
        tender_bids_v1_SealedBid *nb = realloc(r->bids, (r->n_bids + 1) * sizeof *nb);
        if (!nb) {
            tender_bids_v1_SealedBid_free(&b);
            code = oom(st);
            break;
        }
        r->bids = nb;
        r->bids[r->n_bids++] = b;
    }
    tnd_client_stream_close(s);
    return code ? code : st->code;
}

/* keep: also each document's bytes (a bundle). */
static int fetch(tnd_client *c, const char *tender_id, const tnd_checkpoint *saved,
                 const tnd_policy *policy, bool keep, tnd_tender_record *r, tnd_status_info *st)
{
    memset(r, 0, sizeof *r);
    tender_tenders_v1_Tender_init(&r->current);
    tender_bids_v1_OpeningRecord_init(&r->opening);
    tender_awards_v1_Award_init(&r->award);
    tender_awards_v1_AwardList_init(&r->awards);
    tender_tenders_v1_ListQuestionsResponse_init(&r->questions);
    tender_complaints_v1_ComplaintList_init(&r->complaints);
    memset(st, 0, sizeof *st);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    r->fetched_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (!c || !tender_id || !*tender_id || strlen(tender_id) >= sizeof r->tender_id)
        return tnd__status_fail(st, TND_STATUS_INVALID_ARGUMENT,
                                "a tender id of 1 to 64 bytes is needed");
    strcpy(r->tender_id, tender_id);
    r->policy = policy;
    int code = fetch_checkpoint(c, r, policy && !tnd_policy_is_none(policy), st);
    if (!code && saved)
        code = fetch_consistency(c, r, saved, st);
    if (!code)
        code = fetch_events(c, r, st);
    if (!code)
        code = fetch_linked(c, r, st);
    if (!code)
        code = fetch_proofs(c, r, st);
    if (!code)
        code = fetch_versions(c, r, st);
    if (!code && r->n_versions)
        code = tnd__fetch_questions(c, r, st);
    if (!code && r->n_versions)
        code = tnd__fetch_complaints(c, r, st);
    if (!code)
        code = tnd__fetch_documents(c, r, keep, st);
    /* The opening and the award are public once logged; asking earlier
     * would only be refused. */
    if (!code && tnd__vlast(r, EV(BIDS_OPENED), NULL) >= 0)
        code = fetch_bids(c, r, st);
    if (!code && (tnd__vlast(r, EV(AWARD_RECORDED), NULL) >= 0 ||
                  tnd__vlast(r, EV(TENDER_UNSUCCESSFUL), NULL) >= 0)) {
        tender_tenders_v1_TenderRef ref = {.id = r->tender_id};
        code = tnd_client_unary(c, tender_awards_v1_Awards_Get_method, &ref, &r->award, NULL, st);
        r->has_award = code == 0;
        if (code)
            code = tnd__fetch_missing(st, r->award_error, sizeof r->award_error);
        if (!code && r->has_award)
            code = tnd__fetch_earlier_awards(c, r, st);
    }
    /* With lots, each lot's latest decision. */
    if (!code && r->current.fields && r->current.fields->n_lots &&
        (tnd__vlast(r, EV(AWARD_RECORDED), NULL) >= 0 ||
         tnd__vlast(r, EV(LOT_UNSUCCESSFUL), NULL) >= 0)) {
        tender_tenders_v1_TenderRef ref = {.id = r->tender_id};
        code = tnd_client_unary(c, tender_awards_v1_Awards_List_method, &ref, &r->awards, NULL, st);
        r->has_awards = code == 0;
        if (code)
            code = tnd__fetch_missing(st, r->awards_error, sizeof r->awards_error);
    }
    return code;
}

int tnd_tender_record_fetch(tnd_client *c, const char *tender_id, const tnd_checkpoint *saved,
                            tnd_tender_record *r, tnd_status_info *st)
{
    return fetch(c, tender_id, saved, NULL, false, r, st);
}

int tnd_tender_record_fetch_witnessed(tnd_client *c, const char *tender_id,
                                      const tnd_checkpoint *saved, const tnd_policy *policy,
                                      tnd_tender_record *r, tnd_status_info *st)
{
    return fetch(c, tender_id, saved, policy, false, r, st);
}

int tnd_tender_record_fetch_all(tnd_client *c, const char *tender_id, const tnd_checkpoint *saved,
                                const tnd_policy *policy, tnd_tender_record *r, tnd_status_info *st)
{
    return fetch(c, tender_id, saved, policy, true, r, st);
}

void tnd_tender_record_free(tnd_tender_record *r)
{
    if (!r)
        return;
    free(r->checkpoint_note);
    free(r->consistency);
    for (size_t i = 0; i < r->n_events; i++) {
        free(r->events[i].leaf.data);
        free(r->events[i].proof);
        tender_events_v1_Event_free(&r->events[i].ev);
    }
    free(r->events);
    tender_tenders_v1_Tender_free(&r->current);
    for (size_t i = 0; i < r->n_versions; i++)
        tender_tenders_v1_Tender_free(&r->versions[i]);
    free(r->versions);
    for (size_t i = 0; i < r->n_bids; i++)
        tender_bids_v1_SealedBid_free(&r->bids[i]);
    free(r->bids);
    tender_bids_v1_OpeningRecord_free(&r->opening);
    tender_awards_v1_Award_free(&r->award);
    for (size_t i = 0; i < r->n_earlier_awards; i++)
        tender_awards_v1_Award_free(&r->earlier_awards[i]);
    free(r->earlier_awards);
    tender_awards_v1_AwardList_free(&r->awards);
    tender_tenders_v1_ListQuestionsResponse_free(&r->questions);
    tender_complaints_v1_ComplaintList_free(&r->complaints);
    for (size_t i = 0; i < r->n_documents; i++)
        free(r->documents[i].content.data);
    free(r->documents);
    memset(r, 0, sizeof *r);
}
