/* After the surge (untimed): every receipt is checked as a supplier's
 * tenderctl checks it (docs/SEALED.md, tenderctl bid submit), with
 * libtender's tnd_receipt_verify; every receipt's checkpoint must be a prefix of
 * the latest signed checkpoint (consistency proofs); and the server's own
 * listing of the tender's leaves must hold every acknowledged bid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "surge.h"

/* How long the checks wait for the server to serve the newest receipt's
 * checkpoint: 30 s, then they run and report what is missing. */
#define CATCH_UP_TRIES 300
#define CATCH_UP_WAIT_US 100000
#include "tender/logstate.h"
#include "tender/receipt.h"

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

static int get_verifier(surge *g, tnd_client *c, tnd_log_state *ls)
{
    if (g->o.log_key)
        return tnd_log_state_init(ls, g->o.log_key) == 0 ? 0 : -1;
    tnd_status_info st;
    if (tnd_log_state_fetch_key(ls, c, &st) != 0) {
        fprintf(stderr, "surge: Log/GetVerifierKey: %s\n", st.message);
        return -1;
    }
    fprintf(stderr, "surge: warning: the log key was fetched from the server itself; give "
                    "--log-key to check against a key known in advance\n");
    return 0;
}

/* One receipt, as tenderctl checks it (tnd_receipt_verify). */
static bool receipt_ok(surge *g, supplier *s, const tnd_log_state *ls, cp_seen *cp_out,
                       uint64_t *leaf_index, surge_check *out)
{
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    tnd_checkpoint cp;
    tnd_status_info st;
    uint8_t h[32];
    bool ok = false;
    if (tender_bids_v1_Receipt_decode(&r, s->receipt, s->receipt_len, NULL) != 0) {
        problem(out, "%s: the receipt is not a Receipt%s", s->name, "");
    } else if (tnd_bid_stored_hash(&s->bid, &r, NULL, h) != 0) {
        problem(out, "%s: cannot hash the envelope sent%s", s->name, "");
    } else if (tnd_receipt_verify(ls, &r, tender_events_v1_EventKind_BID_RECEIVED, g->tender_id,
                                  s->bid.bid_id, h, &cp, &st) != 0) {
        problem(out, "%s: %.300s", s->name, st.message);
    } else {
        cp_out->size = cp.size;
        memcpy(cp_out->root, cp.root, 32);
        *leaf_index = r.leaf_index;
        ok = true;
    }
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
        tnd_checkpoint old = {.size = cps[i].size};
        memcpy(old.root, cps[i].root, 32);
        tnd_status_info st;
        bool ok = tnd_log_prove_consistent(c, &old, latest, NULL, &st) == 0;
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
    tnd_log_state ls;
    if (get_verifier(g, c, &ls) != 0) {
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
        if (receipt_ok(g, s, &ls, &cps[n_cp], &ak[n_ak].leaf_index, out)) {
            out->receipts_ok++;
            ak[n_ak++].sup = i;
            n_cp++;
        } else {
            out->receipts_bad++;
        }
    }
    tnd_status_info st;
    tnd_checkpoint latest;
    char *note;
    /* The server asked may be a follower a batch or two behind the writer
     * that signed the newest receipt (several servers): its checkpoint must
     * reach that size before the receipts are checked against it. */
    uint64_t newest = 0;
    for (size_t i = 0; i < n_cp; i++)
        if (cps[i].size > newest)
            newest = cps[i].size;
    for (int tries = 0;; tries++) {
        if (tnd_log_fetch_checkpoint(&ls, c, &note, &latest, &st) != 0) {
            fprintf(stderr, "surge: Log/GetCheckpoint: %s\n", st.message);
            goto out;
        }
        free(note);
        if (latest.size >= newest || tries == CATCH_UP_TRIES)
            break;
        usleep(CATCH_UP_WAIT_US);
    }
    out->log_size = latest.size;
    qsort(cps, n_cp, sizeof *cps, by_size);
    check_consistency(c, cps, n_cp, &latest, out);
    qsort(ak, n_ak, sizeof *ak, by_leaf);
    rc = check_listing(g, c, ak, n_ak, &latest, out);
out:
    tnd_log_state_free(&ls);
    free(cps);
    free(ak);
    return rc;
}
