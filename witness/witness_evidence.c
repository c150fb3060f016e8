/* Evidence of a log's misbehaviour (witness.h): a correctly signed
 * checkpoint that contradicts the one the witness cosigned is never
 * cosigned, and both are kept in DIR/evidence, so that anyone can later show
 * the two conflicting checkpoints, each signed by the log.
 *
 * A file, docs/WITNESS.md:
 *   tenderwitness evidence v1
 *   origin ORIGIN
 *   time 2026-12-06T01:23:45Z
 *   reason WHY
 *   peer ADDRESS        the address the request came from
 *   witness VKEY
 *   (empty line)
 *   request N
 *   the N bytes of the refused add-checkpoint body, as received
 *   cosigned M
 *   the M bytes of the latest cosigned checkpoint (GET /HEX/checkpoint)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_write.h"
#include "ops/logging.h"
#include "tender/audit.h"
#include "witness.h"

void wit_evidence(wit *w, wit_log *l, const char *reason, const char *body, size_t len,
                  const char *peer)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (l->evidence_minute != now / 60) {
        l->evidence_minute = now / 60;
        l->evidence_count = 0;
    }
    if (l->evidence_count >= WIT_EVIDENCE_PER_MINUTE) {
        tnd_log(TND_LOG_ERROR,
                "EVIDENCE not kept: more than 10 evidence files a minute for this log", "origin",
                l->origin, "reason", reason, "peer", peer, NULL);
        return;
    }
    char vkey[TND_NOTE_VKEY_MAX] = "?";
    (void)wit_vkey(w, vkey, sizeof vkey);
    size_t cap = 1024 + (peer ? strlen(peer) : 0) + strlen(l->origin) + strlen(reason) +
                 strlen(vkey) + len + l->note_len;
    char *buf = malloc(cap);
    if (!buf) {
        tnd_log(TND_LOG_ERROR, "EVIDENCE not kept: out of memory", "origin", l->origin, "reason",
                reason, NULL);
        return;
    }
    int n = snprintf(buf, cap,
                     "tenderwitness evidence v1\norigin %s\ntime %04d-%02d-%02dT%02d:%02d:%02dZ\n"
                     "reason %s\npeer %s\nwitness %s\n\nrequest %zu\n",
                     l->origin, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, reason, peer ? peer : "?", vkey, len);
    size_t at = (size_t)n;
    memcpy(buf + at, body, len);
    at += len;
    at += (size_t)snprintf(buf + at, cap - at, "cosigned %zu\n", l->note_len);
    memcpy(buf + at, l->note, l->note_len);
    at += l->note_len;

    /* A new name each time: an earlier file is never replaced. */
    char name[128];
    int rc = -1;
    for (unsigned seq = 0; seq < 1000 && rc != 0; seq++) {
        snprintf(name, sizeof name, "%04d%02d%02dT%02d%02d%02dZ-%.16s-%u.txt", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, l->hash_hex, seq);
        rc = tnd_file_write_at(w->evfd, name, buf, at, 0644, false);
        if (rc != 0 && errno != EEXIST)
            break;
    }
    int e = errno;
    free(buf);
    if (rc == 0 && fsync(w->evfd) != 0)
        rc = -1, e = errno;
    if (rc != 0) {
        tnd_log(TND_LOG_ERROR, "EVIDENCE not kept: cannot write it", "origin", l->origin, "reason",
                reason, "error", strerror(e), NULL);
        return;
    }
    l->evidence_count++;
    char path[4300];
    snprintf(path, sizeof path, "%s/evidence/%s", w->dir, name);
    tnd_log(TND_LOG_ERROR,
            "EVIDENCE: the log signed a checkpoint that contradicts the one this witness cosigned",
            "origin", l->origin, "reason", reason, "peer", peer, "file", path, NULL);
}
