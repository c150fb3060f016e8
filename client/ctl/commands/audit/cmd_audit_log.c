/* tenderctl audit prove / log: the events of the transparency log. prove
 * checks one event against a verified checkpoint with an inclusion proof;
 * log lists events as the server streams them (GetLeaves). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_cmd.h"
#include "tender/blind.h"

#define PROGRESS_EVERY 1000 /* leaves between progress lines on a terminal */

/* Print untrusted text on one line: control characters (C0, DEL, C1) are
 * escaped so that a note cannot break lines or drive the terminal. */
static void put_text(const char *s)
{
    if (!s || !*s) {
        fputs("-", stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            printf("\\u%04x", p[1]);
            p++;
        } else
            fputc(*p, stdout);
    }
}

static void put_actor(const tender_common_v1_Actor *a)
{
    if (!a || ((!a->role || !*a->role) && (!a->organisation || !*a->organisation) &&
               (!a->name || !*a->name))) {
        fputs("server", stdout);
        return;
    }
    put_text(a->role);
    fputc('/', stdout);
    put_text(a->organisation);
    fputc('/', stdout);
    put_text(a->name);
}

static const char *ev_time(const tender_events_v1_Event *ev, char *buf, size_t len)
{
    return ev->time ? ctl_time_text(ev->time->seconds, ev->time->nanos, buf, len) : "-";
}

static const char *ev_kind(const tender_events_v1_Event *ev, char *buf, size_t len)
{
    return ctl_enum_lower(&tender_events_v1_EventKind_desc, ev->kind, buf, len);
}

/* Decode leaf bytes as an event; its seq must be the leaf's index. */
static int decode_event(uint64_t index, const tnd_bytes *data, tender_events_v1_Event *ev)
{
    tender_events_v1_Event_init(ev);
    if (tender_events_v1_Event_decode(ev, data->data, data->len, NULL) != 0)
        return audit_fail("leaf %llu is not an event", (unsigned long long)index);
    if (ev->seq != index) {
        unsigned long long seq = ev->seq;
        tender_events_v1_Event_free(ev);
        return audit_fail("leaf %llu holds event %llu", (unsigned long long)index, seq);
    }
    return 0;
}

/* ---- prove ---- */

/* GetLeaves [index, index + 1): exactly that one leaf, into *out. */
static int fetch_leaf(audit_ctx *a, uint64_t index, tnd_bytes *out)
{
    tender_log_v1_LeavesRequest req = {.start = index, .end = index + 1};
    tnd_client_stream *s;
    tnd_status_info st;
    *out = (tnd_bytes){0};
    if (tnd_client_stream_open(a->c, tender_log_v1_Log_GetLeaves_method, &req, NULL, &s, &st) != 0)
        return ctl_status_fail(&st);
    tender_log_v1_Leaf leaf;
    int extra = 0;
    while (tnd_client_stream_next(s, &leaf, &st) == 1) {
        if (!out->data && leaf.index == index && leaf.data.data) {
            *out = leaf.data;
            leaf.data = (tnd_bytes){0};
        } else {
            extra = 1;
        }
        tender_log_v1_Leaf_free(&leaf);
    }
    tnd_client_stream_close(s);
    int rc = 0;
    if (st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    else if (!out->data)
        rc = audit_fail("the server sent no leaf %llu", (unsigned long long)index);
    else if (extra)
        rc = audit_fail("the server sent leaves other than %llu", (unsigned long long)index);
    if (rc != 0) {
        free(out->data);
        *out = (tnd_bytes){0};
    }
    return rc;
}

/* Fetch the inclusion proof of index for cp's size and check it, with the
 * leaf's own bytes, against cp's root. leaf_hash receives the leaf's hash. */
static int check_inclusion(audit_ctx *a, uint64_t index, const tnd_checkpoint *cp,
                           const tnd_bytes *data, uint8_t leaf_hash[32])
{
    tender_log_v1_InclusionProofRequest req = {.index = index, .tree_size = cp->size};
    tender_log_v1_InclusionProof p;
    tnd_status_info st;
    if (tnd_client_unary(a->c, tender_log_v1_Log_GetInclusionProof_method, &req, &p, NULL, &st) !=
        0)
        return ctl_status_fail(&st);
    uint8_t proof[TND_MERKLE_MAX_PROOF][32];
    char root[45];
    int rc = 0;
    if (p.index != index || p.tree_size != cp->size || p.leaf_hash.len != 32 ||
        p.n_hashes > TND_MERKLE_MAX_PROOF)
        rc = audit_fail("the server answered with a proof of another leaf or size (leaf %llu, "
                        "size %llu)",
                        (unsigned long long)p.index, (unsigned long long)p.tree_size);
    for (size_t i = 0; rc == 0 && i < p.n_hashes; i++) {
        if (p.hashes[i].len != 32)
            rc = audit_fail("hash %zu of the inclusion proof is not 32 bytes", i);
        else
            memcpy(proof[i], p.hashes[i].data, 32);
    }
    if (rc == 0 && tnd_merkle_leaf_hash(data->data, data->len, leaf_hash) != 0)
        rc = audit_fail("cannot hash leaf %llu", (unsigned long long)index);
    if (rc == 0 && memcmp(leaf_hash, p.leaf_hash.data, 32) != 0)
        rc = audit_fail("leaf %llu as the server sent it does not hash to the proof's leaf hash",
                        (unsigned long long)index);
    if (rc == 0 &&
        tnd_merkle_verify_inclusion(index, cp->size, leaf_hash, (const uint8_t(*)[32])proof,
                                    p.n_hashes, cp->root) != 0)
        rc = audit_fail("the inclusion proof of leaf %llu does not lead to the root %s of the "
                        "checkpoint of size %llu",
                        (unsigned long long)index, audit_b64(cp->root, root),
                        (unsigned long long)cp->size);
    tender_log_v1_InclusionProof_free(&p);
    return rc;
}

static void print_proved(const ctl_global *g, const tender_events_v1_Event *ev,
                         const tnd_checkpoint *cp, const uint8_t leaf_hash[32])
{
    char hex[65], root[45], a[64];
    ctl_hex(leaf_hash, 32, hex);
    audit_b64(cp->root, root);
    if (g->json) {
        ctl_json_print(json_pack("{s:I,s:s,s:{s:o,s:I,s:s},s:o,s:b}", "index", (json_int_t)ev->seq,
                                 "leaf_hash", hex, "checkpoint", "origin", ctl_json_str(cp->origin),
                                 "size", (json_int_t)cp->size, "root", root, "event",
                                 ctl_json_msg(&tender_events_v1_Event_desc, ev), "included", 1));
        return;
    }
    printf("leaf:                 %llu\n", (unsigned long long)ev->seq);
    printf("time:                 %s\n", ev_time(ev, a, sizeof a));
    printf("kind:                 %s\n", ev_kind(ev, a, sizeof a));
    fputs("tender:               ", stdout);
    put_text(ev->tender_id);
    printf(" version %u\nactor:                ", ev->tender_version);
    put_actor(ev->actor);
    fputs("\nobject:               ", stdout);
    put_text(ev->object_id);
    if (ev->object_hash.len == 32) {
        char oh[65];
        printf("\nobject hash:          %s", ctl_hex(ev->object_hash.data, 32, oh));
    }
    fputs("\nnote:                 ", stdout);
    put_text(ev->note);
    printf("\nleaf hash:            %s\n", hex);
    printf("included in checkpoint of size %llu: OK\n", (unsigned long long)cp->size);
}

int audit_prove(ctl_global *g, const ctl_call *call)
{
    const prove_opts *opt = call->opts;
    const char *file = opt->checkpoint, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    uint64_t index;
    if (n_pos != 1 || audit_parse_u64(pos[0], &index) != 0) {
        ctl_err("audit prove: give the leaf INDEX, a number from 0 (see tenderctl audit prove "
                "--help)");
        return CTL_EXIT_USAGE;
    }
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0)
        return rc;
    audit_cp cp;
    tnd_bytes data = {0};
    uint8_t leaf_hash[32];
    rc = file ? audit_saved(&a, file, &cp) : audit_latest(&a, &cp);
    if (rc == 0 && index >= cp.cp.size) {
        ctl_err("audit prove: leaf %llu is not in the checkpoint of size %llu",
                (unsigned long long)index, (unsigned long long)cp.cp.size);
        rc = CTL_EXIT_USAGE;
    }
    if (rc == 0)
        rc = fetch_leaf(&a, index, &data);
    if (rc == 0)
        rc = check_inclusion(&a, index, &cp.cp, &data, leaf_hash);
    if (rc == 0) {
        tender_events_v1_Event ev;
        if ((rc = decode_event(index, &data, &ev)) == 0) {
            print_proved(g, &ev, &cp.cp, leaf_hash);
            tender_events_v1_Event_free(&ev);
        }
    }
    free(data.data);
    audit_cp_free(&cp);
    audit_close(&a);
    return rc;
}

/* ---- log ---- */

static void print_line(const ctl_global *g, uint64_t index, const tender_events_v1_Event *ev)
{
    char t[64], k[64];
    if (g->json) {
        ctl_json_print(json_pack("{s:I,s:o}", "index", (json_int_t)index, "event",
                                 ctl_json_msg(&tender_events_v1_Event_desc, ev)));
        return;
    }
    printf("%llu  %s  %s  ", (unsigned long long)index, ev_time(ev, t, sizeof t),
           ev_kind(ev, k, sizeof k));
    put_text(ev->tender_id);
    printf(" v%u  ", ev->tender_version);
    put_actor(ev->actor);
    fputs("  ", stdout);
    put_text(ev->object_id);
    fputs("  ", stdout);
    put_text(ev->note);
    fputc('\n', stdout);
}

/* The end of the listing when --to is not given: the latest signed size
 * (0 for an empty log). Only bounds the listing, so it is not verified. */
static int latest_size(tnd_client *c, uint64_t *size)
{
    tender_common_v1_Empty req = {0};
    tender_log_v1_Checkpoint r;
    tnd_status_info st;
    *size = 0;
    if (tnd_client_unary(c, tender_log_v1_Log_GetCheckpoint_method, &req, &r, NULL, &st) != 0)
        return st.code == TND_STATUS_NOT_FOUND ? 0 : ctl_status_fail(&st);
    *size = r.size;
    tender_log_v1_Checkpoint_free(&r);
    return 0;
}

typedef struct progress {
    bool on, lines; /* lines: stdout is the same terminal, so whole lines */
    bool shown;
    uint64_t from, total, next;
} progress;

static void progress_step(progress *p, uint64_t index)
{
    uint64_t done = index + 1 - p->from;
    if (!p->on || done < p->next)
        return;
    fflush(stdout);
    fprintf(stderr, p->lines ? "tenderctl: … %llu/%llu\n" : "\r… %llu/%llu",
            (unsigned long long)done, (unsigned long long)p->total);
    p->shown = true;
    p->next = (done / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
}

static void progress_end(progress *p)
{
    if (p->shown && !p->lines)
        fputc('\n', stderr);
}

int audit_log(ctl_global *g, const ctl_call *call)
{
    const log_opts *opt = call->opts;
    const char *from_s = opt->from, *to_s = opt->to, *tender = opt->tender;
    int rc;
    uint64_t from = 0, to = 0;
    if ((from_s && audit_parse_u64(from_s, &from) != 0) ||
        (to_s && audit_parse_u64(to_s, &to) != 0)) {
        ctl_err("audit log: --from and --to take a leaf index, a number from 0");
        return CTL_EXIT_USAGE;
    }
    if (to_s && from > to) {
        ctl_err("audit log: --from %llu is after --to %llu", (unsigned long long)from,
                (unsigned long long)to);
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    if (!to_s && (rc = latest_size(c, &to)) != 0)
        goto out;
    if (!to_s && from == to) /* nothing more is signed yet */
        goto out;
    tender_log_v1_LeavesRequest req = {
        .start = from, .end = to, .tender_id = ctl_str(call, tender ? tender : "")};
    if (!req.tender_id) {
        rc = ctl_oom();
        goto out;
    }
    tnd_call_opts o = {.timeout_ms = ctl_stream_timeout(g)};
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(c, tender_log_v1_Log_GetLeaves_method, &req, &o, &s, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out;
    }
    progress p = {.on = isatty(2) == 1,
                  .lines = isatty(1) == 1,
                  .from = from,
                  .total = to - from,
                  .next = PROGRESS_EVERY};
    tender_log_v1_Leaf leaf;
    uint64_t next = from;
    while (rc == 0 && tnd_client_stream_next(s, &leaf, &st) == 1) {
        tender_events_v1_Event ev;
        if (leaf.index < next || leaf.index >= to)
            rc = audit_fail("the server sent leaf %llu out of order or outside [%llu, %llu)",
                            (unsigned long long)leaf.index, (unsigned long long)from,
                            (unsigned long long)to);
        else if ((rc = decode_event(leaf.index, &leaf.data, &ev)) == 0) {
            /* Bid events name no tender: the server sends those of this
             * tender once its bid tag key is public (audit verify checks
             * the tags). */
            if (!tender || (ev.tender_id && strcmp(ev.tender_id, tender) == 0) ||
                tnd_blind_kind((int)ev.kind))
                print_line(g, leaf.index, &ev);
            tender_events_v1_Event_free(&ev);
            next = leaf.index + 1;
            progress_step(&p, leaf.index);
        }
        tender_log_v1_Leaf_free(&leaf);
    }
    progress_end(&p);
    tnd_client_stream_close(s);
    if (rc == 0 && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
out:
    tnd_client_free(c);
    return rc;
}
