/* The transparency log over HTTP as C2SP tlog-tiles (https://c2sp.org/tlog-tiles):
 *
 *   /log/checkpoint                      the latest signed checkpoint, with the
 *                                        witnesses' cosignatures held for it
 *   /log/witnessed/checkpoint            the latest one the witness quorum cosigned
 *   /log/tile/<L>/<N>[.p/<W>]            hash tiles
 *   /log/tile/entries/<N>[.p/<W>]        entry bundles (the events, uint16-length-prefixed)
 *
 * Tile L, index N holds the hashes of the complete subtrees at tree level
 * 8*L with indices N*256 .. N*256+W-1, which is exactly what the store keeps
 * as nodes (docs/LOG.md section 1): a tile is 256 (or W) node reads. Only
 * what the signed tree holds is served; anything beyond it is 404. */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "http_internal.h"
#include "tender/audit.h"
#include "json/msg_json.h"
#include "tlog/tlog.h"
#include "tlog/witnesses.h"

#define TILE_W 256u

/* <N>[.p/<W>]: 3-digit elements, all but the last prefixed "x", no leading
 * "x000" element; W 1..255 without leading zeros. Exactly the spec's
 * spelling: every tile has one path. */
static bool parse_index(const char *s, uint64_t *n, unsigned *w)
{
    uint64_t v = 0;
    for (int el = 0;; el++) {
        bool x = *s == 'x';
        if (el == 6) /* 10^18 > any index of a tree of at most 2^63 leaves */
            return false;
        if (x)
            s++;
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
            return false;
        unsigned d =
            (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
        if (x && el == 0 && d == 0)
            return false;
        v = v * 1000 + d;
        s += 3;
        if (x) {
            if (*s++ != '/')
                return false;
            continue;
        }
        break;
    }
    *n = v;
    *w = TILE_W;
    if (*s == '\0')
        return true;
    if (strncmp(s, ".p/", 3) != 0)
        return false;
    s += 3;
    if (*s < '1' || *s > '9')
        return false;
    unsigned ww = 0;
    for (; *s >= '0' && *s <= '9' && ww < 1000; s++)
        ww = ww * 10 + (unsigned)(*s - '0');
    if (*s || ww < 1 || ww > 255)
        return false;
    *w = ww;
    return true;
}

/* The signed tree size in txn (0 for an empty log); 0 or a status. */
static int signed_size(tnd_store *s, MDB_txn *txn, uint64_t *size)
{
    char *note = NULL;
    int rc = tnd_tlog_latest(s, txn, &note, size);
    free(note);
    if (rc == TND_ENOTFOUND) {
        *size = 0;
        return 0;
    }
    return rc ? TND_STATUS_DATA_LOSS : 0;
}

/* The latest checkpoint (witnessed: the latest the quorum cosigned), with
 * its cosignatures. */
static enum MHD_Result checkpoint(tnd_http_req *r, bool witnessed)
{
    if (witnessed && !r->witnesses)
        return tnd__http_error(r, TND_STATUS_NOT_FOUND,
                              "this log has no witnesses configured (tenderd --witness-policy)");
    MDB_txn *txn;
    if (tnd_store_read_begin(r->store, &txn) != 0)
        return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    char *note = NULL;
    uint64_t size = 0;
    int rc;
    if (witnessed) {
        rc = tnd_tlog_witnessed_note(r->store, txn, r->witnesses, &note, &size);
    } else {
        rc = tnd_tlog_latest_cosigned(r->store, txn, &note, &size);
    }
    tnd_store_read_end(r->store, txn);
    if (rc == TND_ENOTFOUND)
        return tnd__http_error(r, TND_STATUS_NOT_FOUND, "%s",
                              witnessed ? "no checkpoint has been cosigned by the witnesses' "
                                          "quorum yet; /api/v1/log/witnesses shows each "
                                          "witness's state"
                                        : "the log is empty: nothing has been signed yet");
    tnd_note_verifier v;
    tnd_checkpoint cp;
    if (rc != 0 || tnd_note_verifier_parse(r->vkey, &v) != 0 ||
        tnd_checkpoint_verify(note, strlen(note), &v, &cp) != 0) {
        free(note);
        return tnd__http_error(r, TND_STATUS_DATA_LOSS,
                              "the checkpoint is unreadable or badly signed");
    }
    return tnd__http_send(r, "text/plain; charset=utf-8", note, strlen(note), TND_HTTP_CHECKPOINT,
                         NULL);
}

enum MHD_Result tnd__http_witnesses(tnd_http_req *r)
{
    tender_log_v1_Witnesses ws;
    int rc = tnd_witnesses_status(r->witnesses, &ws);
    json_t *j = rc == 0 ? tnd_json_msg(&tender_log_v1_Witnesses_desc, &ws) : NULL;
    tender_log_v1_Witnesses_free(&ws);
    if (!j)
        return tnd__http_error(r, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    return tnd__http_json(r, j, TND_HTTP_CHECKPOINT);
}

static enum MHD_Result tile(tnd_http_req *r, unsigned level, uint64_t n, unsigned w)
{
    MDB_txn *txn;
    if (tnd_store_read_begin(r->store, &txn) != 0)
        return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    uint64_t size = 0;
    int st = signed_size(r->store, txn, &size);
    /* Hashes at tree level 8*level that the signed tree completes. */
    uint64_t avail = 8 * level < 64 ? size >> (8 * level) : 0;
    if (!st && (n > avail / TILE_W || n * TILE_W + w > avail))
        st = TND_STATUS_NOT_FOUND;
    char *body = st ? NULL : malloc((size_t)w * 32);
    if (!st && !body)
        st = TND_STATUS_RESOURCE_EXHAUSTED;
    tnd_tlog_reader rd = {r->store, txn};
    for (unsigned i = 0; !st && i < w; i++)
        if (tnd_tlog_node_get(&rd, 8 * level, n * TILE_W + i, (uint8_t *)body + 32 * i) != 0)
            st = TND_STATUS_DATA_LOSS;
    tnd_store_read_end(r->store, txn);
    if (st) {
        free(body);
        if (st == TND_STATUS_NOT_FOUND)
            return tnd__http_error(r, st,
                                  "tile %u/%llu of width %u is beyond the signed log "
                                  "(size %llu)",
                                  level, (unsigned long long)n, w, (unsigned long long)size);
        return tnd__http_error(r, st, "the log tree is unreadable");
    }
    return tnd__http_send(r, "application/octet-stream", body, (size_t)w * 32,
                         w == TILE_W ? TND_HTTP_IMMUTABLE : TND_HTTP_SHORT, NULL);
}

static enum MHD_Result entries(tnd_http_req *r, uint64_t n, unsigned w)
{
    MDB_txn *txn;
    if (tnd_store_read_begin(r->store, &txn) != 0)
        return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    uint64_t size = 0;
    int st = signed_size(r->store, txn, &size);
    if (!st && (n > size / TILE_W || n * TILE_W + w > size))
        st = TND_STATUS_NOT_FOUND;
    char *body = NULL;
    size_t len = 0, cap = 0;
    MDB_cursor *cur = NULL;
    if (!st && mdb_cursor_open(txn, tnd_store_dbi(r->store, TND_TABLE_EVENTS), &cur) != 0)
        st = TND_STATUS_UNAVAILABLE;
    uint8_t k8[TND_KEY_EVENTS_LEN];
    uint64_t first = n * TILE_W, idx;
    MDB_val k = {.mv_size = tnd_key_events(k8, first), .mv_data = k8}, v;
    unsigned got = 0;
    for (int rc = st ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && got < w; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), got++) {
        if (!tnd_key_events_parse(k.mv_data, k.mv_size, &idx) || idx != first + got ||
            v.mv_size > 0xffff) {
            st = TND_STATUS_DATA_LOSS;
            break;
        }
        if (len + 2 + v.mv_size > cap) {
            size_t nc = cap ? cap * 2 : 16384;
            while (nc < len + 2 + v.mv_size)
                nc *= 2;
            char *nb = realloc(body, nc);
            if (!nb) {
                st = TND_STATUS_RESOURCE_EXHAUSTED;
                break;
            }
            body = nb;
            cap = nc;
        }
        tnd_be16_put(body + len, (uint16_t)v.mv_size);
        len += 2;
        memcpy(body + len, v.mv_data, v.mv_size);
        len += v.mv_size;
    }
    if (!st && got != w)
        st = TND_STATUS_DATA_LOSS; /* a signed event is missing: never serve a short bundle */
    if (cur)
        mdb_cursor_close(cur);
    tnd_store_read_end(r->store, txn);
    if (st) {
        free(body);
        if (st == TND_STATUS_NOT_FOUND)
            return tnd__http_error(r, st,
                                  "entry bundle %llu of width %u is beyond the signed "
                                  "log (size %llu)",
                                  (unsigned long long)n, w, (unsigned long long)size);
        return tnd__http_error(r, st, "the log's events are unreadable");
    }
    return tnd__http_send(r, "application/octet-stream", body, len,
                         w == TILE_W ? TND_HTTP_IMMUTABLE : TND_HTTP_SHORT, NULL);
}

enum MHD_Result tnd__http_tlog(tnd_http_req *r, const char *rest)
{
    uint64_t n;
    unsigned w;
    if (strcmp(rest, "/checkpoint") == 0)
        return checkpoint(r, false);
    if (strcmp(rest, "/witnessed/checkpoint") == 0)
        return checkpoint(r, true);
    if (strncmp(rest, "/tile/entries/", 14) == 0) {
        if (parse_index(rest + 14, &n, &w))
            return entries(r, n, w);
    } else if (strncmp(rest, "/tile/", 6) == 0) {
        const char *s = rest + 6;
        unsigned level = 0;
        /* 0..63, no leading zeros */
        if (s[0] >= '0' && s[0] <= '9') {
            level = (unsigned)(s[0] - '0');
            s++;
            if (level != 0 && s[0] >= '0' && s[0] <= '9') {
                level = level * 10 + (unsigned)(s[0] - '0');
                s++;
            }
            if (*s == '/' && level <= 63 && parse_index(s + 1, &n, &w))
                return tile(r, level, n, w);
        }
    }
    return tnd__http_error(r, TND_STATUS_NOT_FOUND,
                          "no such log resource: /log/checkpoint, /log/witnessed/checkpoint, "
                          "/log/tile/<L>/<N>[.p/<W>] or /log/tile/entries/<N>[.p/<W>] (C2SP "
                          "tlog-tiles)");
}
