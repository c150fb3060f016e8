/* After the surge (untimed): every receipt is checked as a supplier's
 * tenderctl checks it (docs/SEALED.md, tenderctl bid submit), with the
 * libtender audit functions; every receipt's checkpoint must be a prefix of
 * the latest signed checkpoint (consistency proofs); and the server's own
 * listing of the tender's leaves must hold every acknowledged bid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "surge.h"
#include "tender/audit.h"
#include "tender/blind.h"

typedef struct cp_seen {
    uint64_t size;
    uint8_t root[32];
} cp_seen;

typedef struct acked {
    uint64_t leaf_index;
    size_t sup;
} acked;

static void problem(surge_check *out, const char *fmt, const char *a, const char *b)
{
    if (!out->first_problem[0])
        snprintf(out->first_problem, sizeof out->first_problem, fmt, a, b);
}

static int get_verifier(surge *g, tnd_client *c, tnd_note_verifier *v)
{
    if (g->o.log_key)
        return tnd_note_verifier_parse(g->o.log_key, v) == 0 ? 0 : -1;
    tender_common_v1_Empty e = {0};
    tender_log_v1_VerifierKey k;
    tnd_status_info st;
    if (tender_log_v1_Log_GetVerifierKey(c, &e, &k, NULL, &st) != 0) {
        fprintf(stderr, "surge: Log/GetVerifierKey: %s\n", st.message);
        return -1;
    }
    fprintf(stderr, "surge: warning: the log key was fetched from the server itself; give "
                    "--log-key to check against a key known in advance\n");
    int rc = k.verifier_key && tnd_note_verifier_parse(k.verifier_key, v) == 0 ? 0 : -1;
    tender_log_v1_VerifierKey_free(&k);
    return rc;
}

/* One receipt, as bid_receipt_verify in tenderctl does it. */
static bool receipt_ok(surge *g, supplier *s, const tnd_note_verifier *v, cp_seen *cp_out,
                       uint64_t *leaf_index, surge_check *out)
{
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    tnd_checkpoint cp;
    uint8_t leaf[32], proof[TND_MERKLE_MAX_PROOF][32], h[32];
    bool ok = false;
    if (tender_bids_v1_Receipt_decode(&r, s->receipt, s->receipt_len, NULL) != 0 ||
        !r.checkpoint || r.envelope_hash.len != 32 || r.n_proof > TND_MERKLE_MAX_PROOF) {
        problem(out, "%s: the receipt is incomplete%s", s->name, "");
        goto done;
    }
    if (tnd_checkpoint_verify(r.checkpoint, strlen(r.checkpoint), v, &cp) != 0) {
        problem(out, "%s: the receipt's checkpoint is not signed by the log key%s", s->name, "");
        goto done;
    }
    for (size_t i = 0; i < r.n_proof; i++) {
        if (r.proof[i].len != 32) {
            problem(out, "%s: a proof hash is not 32 bytes%s", s->name, "");
            goto done;
        }
        memcpy(proof[i], r.proof[i].data, 32);
    }
    if (tnd_merkle_leaf_hash(r.leaf.data, r.leaf.len, leaf) != 0 || r.leaf_index >= cp.size ||
        tnd_merkle_verify_inclusion(r.leaf_index, cp.size, leaf, (const uint8_t(*)[32])proof,
                                    r.n_proof, cp.root) != 0) {
        problem(out, "%s: the inclusion proof does not verify%s", s->name, "");
        goto done;
    }
    if (tender_events_v1_Event_decode(&ev, r.leaf.data, r.leaf.len, NULL) != 0 ||
        ev.kind != tender_events_v1_EventKind_BID_RECEIVED ||
        !tnd_blind_proves(&ev, g->tender_id, r.tag_secret.data, r.tag_secret.len) ||
        !ev.object_id ||
        strcmp(ev.object_id, s->bid.bid_id) != 0) {
        problem(out, "%s: the leaf is not the BID_RECEIVED event of bid %s", s->name,
                s->bid.bid_id);
        goto done;
    }
    if (surge_stored_hash(&s->bid, &r, h) != 0 || ev.object_hash.len != 32 ||
        memcmp(ev.object_hash.data, h, 32) != 0 || memcmp(r.envelope_hash.data, h, 32) != 0) {
        problem(out, "%s: the logged envelope hash is not that of the bid sent%s", s->name, "");
        goto done;
    }
    cp_out->size = cp.size;
    memcpy(cp_out->root, cp.root, 32);
    *leaf_index = r.leaf_index;
    ok = true;
done:
    tender_events_v1_Event_free(&ev);
    tender_bids_v1_Receipt_free(&r);
    return ok;
}

static int by_size(const void *a, const void *b)
{
    const cp_seen *x = a, *y = b;
    return x->size < y->size ? -1 : x->size > y->size;
}

static int by_leaf(const void *a, const void *b)
{
    const acked *x = a, *y = b;
    return x->leaf_index < y->leaf_index ? -1 : x->leaf_index > y->leaf_index;
}

/* Each distinct receipt checkpoint against the latest: same root at the same
 * size, or a consistency proof. cps is sorted by size. */
static void check_consistency(tnd_client *c, cp_seen *cps, size_t n, const tnd_checkpoint *latest,
                              surge_check *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cps[i].size == cps[i - 1].size) {
            if (memcmp(cps[i].root, cps[i - 1].root, 32) != 0) {
                out->inconsistent++;
                problem(out, "two receipt checkpoints of one size have different roots%s%s", "",
                        "");
            }
            continue;
        }
        out->checkpoints++;
        bool ok;
        if (cps[i].size == latest->size) {
            ok = memcmp(cps[i].root, latest->root, 32) == 0;
        } else {
            tender_log_v1_ConsistencyProofRequest q = {.first = cps[i].size,
                                                       .second = latest->size};
            tender_log_v1_ConsistencyProof p;
            tnd_status_info st;
            uint8_t hashes[TND_MERKLE_MAX_PROOF][32];
            ok = tender_log_v1_Log_GetConsistencyProof(c, &q, &p, NULL, &st) == 0 &&
                 p.n_hashes <= TND_MERKLE_MAX_PROOF;
            for (size_t k = 0; ok && k < p.n_hashes; k++) {
                ok = p.hashes[k].len == 32;
                if (ok)
                    memcpy(hashes[k], p.hashes[k].data, 32);
            }
            ok = ok && tnd_merkle_verify_consistency(cps[i].size, latest->size, cps[i].root,
                                                     latest->root, (const uint8_t(*)[32])hashes,
                                                     p.n_hashes) == 0;
            if (st.code == 0)
                tender_log_v1_ConsistencyProof_free(&p);
        }
        if (ok) {
            out->consistent++;
        } else {
            out->inconsistent++;
            problem(out, "a receipt checkpoint is not a prefix of the latest checkpoint%s%s", "",
                    "");
        }
    }
}

/* The server's listing of the tender's leaves must hold every acknowledged
 * bid's leaf, byte for byte; BID_RECEIVED leaves nobody was told about are
 * counted too (a call that failed after its commit). */
static int check_listing(surge *g, tnd_client *c, const acked *ak, size_t n_ak,
                         const tnd_checkpoint *latest, surge_check *out)
{
    /* Every leaf, unfiltered: bid events name no tender, and the tender filter
     * finds them only once the deadline has published the tag key (docs/LOG.md,
     * section 10). The surge's server holds this tender's bids only, and each
     * acknowledged bid is matched by its receipt's leaf. */
    tender_log_v1_LeavesRequest q = {.start = 0, .end = latest->size};
    tnd_client_stream *s;
    tnd_status_info st;
    tnd_call_opts co = {.timeout_ms = 600000};
    if (tnd_client_stream_open(c, tender_log_v1_Log_GetLeaves_method, &q, &co, &s, &st) != 0) {
        fprintf(stderr, "surge: Log/GetLeaves: %s\n", st.message);
        return -1;
    }
    tender_log_v1_Leaf leaf;
    while (tnd_client_stream_next(s, &leaf, &st) == 1) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if (tender_events_v1_Event_decode(&ev, leaf.data.data, leaf.data.len, NULL) == 0 &&
            ev.kind == tender_events_v1_EventKind_BID_RECEIVED) {
            acked key = {.leaf_index = leaf.index};
            const acked *hit = bsearch(&key, ak, n_ak, sizeof *ak, by_leaf);
            tender_bids_v1_Receipt r;
            tender_bids_v1_Receipt_init(&r);
            const supplier *sp = hit ? &g->sup[hit->sup] : NULL;
            if (sp && tender_bids_v1_Receipt_decode(&r, sp->receipt, sp->receipt_len, NULL) == 0 &&
                r.leaf.len == leaf.data.len &&
                memcmp(r.leaf.data, leaf.data.data, leaf.data.len) == 0)
                out->in_log++;
            else
                out->unacknowledged++;
            tender_bids_v1_Receipt_free(&r);
        }
        tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&leaf);
    }
    tnd_client_stream_close(s);
    if (st.code != 0) {
        fprintf(stderr, "surge: Log/GetLeaves ended with %s: %s\n", tnd_status_name(st.code),
                st.message);
        return -1;
    }
    out->missing = n_ak - (out->in_log < n_ak ? out->in_log : n_ak);
    return 0;
}

int surge_verify(surge *g, tnd_client *c, surge_check *out)
{
    memset(out, 0, sizeof *out);
    tnd_note_verifier v;
    if (get_verifier(g, c, &v) != 0) {
        fprintf(stderr, "surge: no usable log verifier key\n");
        return -1;
    }
    cp_seen *cps = calloc(g->n ? g->n : 1, sizeof *cps);
    acked *ak = calloc(g->n ? g->n : 1, sizeof *ak);
    int rc = -1;
    size_t n_cp = 0, n_ak = 0;
    if (!cps || !ak) {
        fprintf(stderr, "surge: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < g->n; i++) {
        supplier *s = &g->sup[i];
        if (s->status != TND_STATUS_OK)
            continue;
        if (receipt_ok(g, s, &v, &cps[n_cp], &ak[n_ak].leaf_index, out)) {
            out->receipts_ok++;
            ak[n_ak++].sup = i;
            n_cp++;
        } else {
            out->receipts_bad++;
        }
    }
    tender_common_v1_Empty e = {0};
    tender_log_v1_Checkpoint lc;
    tnd_status_info st;
    tnd_checkpoint latest;
    if (tender_log_v1_Log_GetCheckpoint(c, &e, &lc, NULL, &st) != 0) {
        fprintf(stderr, "surge: Log/GetCheckpoint: %s\n", st.message);
        goto out;
    }
    int vr = lc.note ? tnd_checkpoint_verify(lc.note, strlen(lc.note), &v, &latest) : -1;
    tender_log_v1_Checkpoint_free(&lc);
    if (vr != 0) {
        fprintf(stderr, "surge: the latest checkpoint is not signed by the log key\n");
        goto out;
    }
    out->log_size = latest.size;
    qsort(cps, n_cp, sizeof *cps, by_size);
    check_consistency(c, cps, n_cp, &latest, out);
    qsort(ak, n_ak, sizeof *ak, by_leaf);
    rc = check_listing(g, c, ak, n_ak, &latest, out);
out:
    free(cps);
    free(ak);
    return rc;
}
