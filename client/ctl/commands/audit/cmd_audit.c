/* tenderctl audit ...: verify the transparency log (docs/LOG.md) with the
 * offline verifier of include/tender/audit.h. This file: dispatch, the
 * log's key (pinned or trusted on first use), fetching and verifying
 * checkpoints, and the checkpoint, consistency and watch commands;
 * cmd_audit_log.c has prove and log. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_cmd.h"
#include "file_write.h"

int audit_fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("tenderctl: verification failed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CTL_EXIT_VERIFY;
}

int audit_result(int rc, const tnd_status_info *st)
{
    if (rc == 0)
        return 0;
    if (rc > 0)
        return ctl_status_fail(st);
    if (rc == TND_ECRYPTO || rc == TND_EQUORUM)
        return audit_fail("%s", st->message);
    if (rc == TND_EAGAIN) {
        ctl_err("%s", st->message);
        return CTL_EXIT_STATUS + TND_STATUS_UNAVAILABLE;
    }
    ctl_err("%s", rc == TND_ENOMEM ? "out of memory" : st->message);
    return CTL_EXIT_FAIL;
}

const char *audit_b64(const uint8_t h[32], char out[45])
{
    ctl_base64_encode(h, 32, out);
    return out;
}

int audit_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

void audit_cp_free(audit_cp *cp)
{
    free(cp->note);
    cp->note = NULL;
}

/* ---- the key ---- */

int audit_open(const ctl_global *g, audit_ctx *a)
{
    memset(a, 0, sizeof *a);
    if (g->log_key && tnd_log_state_init(&a->ls, g->log_key) != 0) {
        ctl_err("--log-key: \"%.80s\" is not a verifier key (NAME+KEYID+BASE64, as "
                "`tenderd --print-log-key` prints it)",
                g->log_key);
        return CTL_EXIT_USAGE;
    }
    int rc = ctl_witness_policy(g, &a->policy);
    if (rc == 0)
        rc = ctl_connect(g, &a->c);
    if (rc != 0) {
        audit_close(a);
        return rc;
    }
    tnd_log_state_set_policy(&a->ls, a->policy);
    if (g->log_key)
        return 0;
    tnd_status_info st;
    rc = audit_result(tnd_log_state_fetch_key(&a->ls, a->c, &st), &st);
    tnd_log_state_set_policy(&a->ls, a->policy);
    if (rc == 0)
        ctl_err("warning: trusting the log key %s as the server sent it (trust on first use); "
                "pin it with --log-key (or TENDER_LOG_KEY)",
                a->ls.vkey);
    else
        audit_close(a);
    return rc;
}

void audit_close(audit_ctx *a)
{
    tnd_client_free(a->c);
    a->c = NULL;
    tnd_log_state_free(&a->ls);
    free(a->policy);
    a->policy = NULL;
}

/* ---- checkpoints ---- */

int audit_verify_note(const audit_ctx *a, const char *what, const char *note, size_t len,
                      tnd_checkpoint *cp)
{
    tnd_status_info st;
    return audit_result(tnd_log_verify_note(&a->ls, what, note, len, cp, &st), &st);
}

int audit_latest(audit_ctx *a, audit_cp *out)
{
    tnd_status_info st;
    return audit_result(tnd_log_fetch_checkpoint(&a->ls, a->c, &out->note, &out->cp, &st), &st);
}

int audit_saved(const audit_ctx *a, const char *file, audit_cp *out)
{
    out->note = NULL;
    FILE *f = fopen(file, "rb");
    if (!f) {
        ctl_err("%s: %s", file, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    char *buf = malloc(TND_NOTE_MAX_SIZE + 2);
    if (!buf) {
        fclose(f);
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    size_t n = fread(buf, 1, TND_NOTE_MAX_SIZE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        ctl_err("%s: cannot read it", file);
        return CTL_EXIT_FAIL;
    }
    buf[n] = '\0';
    char what[400];
    snprintf(what, sizeof what, "the saved checkpoint %s", file);
    int rc = n > TND_NOTE_MAX_SIZE ? audit_fail("%s is too large to be a checkpoint", what)
                                   : audit_verify_note(a, what, buf, n, &out->cp);
    if (rc == 0)
        out->note = buf;
    else
        free(buf);
    return rc;
}

/* Write note to file so that a crash never leaves half a checkpoint. */
static int save_note(const char *file, const char *note)
{
    if (tnd_file_write_at(AT_FDCWD, file, note, strlen(note), 0644, true) == 0)
        return 0;
    if (errno == ENAMETOOLONG)
        ctl_err("%s: the path is too long", file);
    else
        ctl_err("cannot save the checkpoint to %s: %s", file, strerror(errno));
    return CTL_EXIT_FAIL;
}

int audit_consistent(audit_ctx *a, const tnd_checkpoint *old, const tnd_checkpoint *cur)
{
    tnd_status_info st;
    return audit_result(tnd_log_prove_consistent(a->c, old, cur, NULL, &st), &st);
}

/* ---- the commands ---- */

typedef struct audit_opts {
    const char *save, *from, *evidence;
    bool update;
} audit_opts;

/* The log is not append-only: keep both signed checkpoints and the proof
 * where the user asked (--evidence), else beside the saved checkpoint
 * (FROM.evidence), else on standard error. An existing file is kept. */
static void keep_evidence(const audit_opts *opt, const tnd_log_evidence *ev, const char *why)
{
    char *text = NULL, path[4096] = "";
    if (tnd_log_evidence_format(ev, why, &text) != 0) {
        ctl_err("out of memory keeping the evidence");
        return;
    }
    if (opt->evidence)
        snprintf(path, sizeof path, "%s", opt->evidence);
    else if (opt->from)
        snprintf(path, sizeof path, "%s.evidence", opt->from);
    if (path[0] && ctl_file_write(path, text, strlen(text), 0644, false) == 0) {
        ctl_err("the evidence (both signed checkpoints and the proof) is kept in %s", path);
    } else {
        ctl_err("the evidence (both signed checkpoints and the proof):");
        fputs(text, stderr);
    }
    free(text);
}

static int audit_checkpoint(ctl_global *g, const ctl_call *call)
{
    const audit_opts *opt = call->opts;
    const char *save = opt->save;
    int rc;
    if (save && !*save) {
        ctl_err("audit checkpoint: --save needs a file name");
        return CTL_EXIT_USAGE;
    }
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0)
        return rc;
    audit_cp cp;
    if ((rc = audit_latest(&a, &cp)) == 0 && save)
        rc = save_note(save, cp.note);
    bool cosigned[TND_POLICY_MAX] = {0};
    uint64_t times[TND_POLICY_MAX] = {0};
    const tnd_policy *p = a.policy && !tnd_policy_is_none(a.policy) ? a.policy : NULL;
    /* Verified already (audit_latest); here only to name who cosigned. */
    if (rc == 0 && p &&
        tnd_policy_check(p, cp.note, strlen(cp.note), cosigned, times, NULL, 0) != 0)
        rc = audit_fail("the witnessed checkpoint lacks its cosignatures");
    if (rc == 0) {
        char root[45], when[64];
        audit_b64(cp.cp.root, root);
        if (g->json) {
            json_t *o =
                json_pack("{s:o,s:I,s:s,s:o,s:s,s:o}", "origin", ctl_json_str(cp.cp.origin), "size",
                          (json_int_t)cp.cp.size, "root", root, "log_key", ctl_json_str(a.ls.vkey),
                          "signature", "OK", "note", ctl_json_str(cp.note));
            json_t *w = p ? json_array() : NULL;
            for (size_t i = 0; w && p && i < p->n_witnesses; i++)
                if (cosigned[i])
                    json_array_append_new(
                        w, json_pack("{s:o,s:s}", "name", ctl_json_str(p->witnesses[i].name),
                                     "time",
                                     ctl_time_text((int64_t)times[i], 0, when, sizeof when)));
            if (o && w)
                json_object_set_new(o, "witnesses", w);
            if (o && save)
                json_object_set_new(o, "saved", ctl_json_str(save));
            ctl_json_print(o);
        } else {
            printf("origin:   %s\nsize:     %llu\nroot:     %s\nlog key:  %s\nsignature OK\n",
                   cp.cp.origin, (unsigned long long)cp.cp.size, root, a.ls.vkey);
            for (size_t i = 0; p && i < p->n_witnesses; i++)
                if (cosigned[i])
                    printf("cosigned by %s at %s\n", p->witnesses[i].name,
                           ctl_time_text((int64_t)times[i], 0, when, sizeof when));
            if (save)
                printf("saved to %s\n", save);
        }
    }
    audit_cp_free(&cp);
    audit_close(&a);
    return rc;
}

static int audit_consistency(ctl_global *g, const ctl_call *call)
{
    const audit_opts *opt = call->opts;
    const char *from = opt->from;
    bool update = opt->update;
    int rc;
    if (!from || !*from) {
        ctl_err("audit consistency: --from FILE is required (a checkpoint saved by audit "
                "checkpoint --save)");
        return CTL_EXIT_USAGE;
    }
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0)
        return rc;
    audit_cp old = {0};
    const tnd_checkpoint *cur = &a.ls.cp;
    tnd_status_info st;
    tnd_log_evidence ev = {0};
    int lrc = 0;
    /* The saved checkpoint is the user's own: its log signature is enough. */
    if ((rc = audit_saved(&a, from, &old)) == 0 &&
        (rc = audit_result(tnd_log_state_set(&a.ls, "the saved checkpoint", old.note,
                                             strlen(old.note), &st),
                           &st)) == 0) {
        lrc = tnd_log_state_update(&a.ls, a.c, &ev, &st);
        if (lrc == TND_ECRYPTO && (ev.old_note || ev.new_note))
            keep_evidence(opt, &ev, st.message);
        rc = audit_result(lrc, &st);
    }
    tnd_log_evidence_free(&ev);
    if (rc == 0 && update)
        rc = save_note(from, a.ls.note);
    if (rc == 0) {
        char r1[45], r2[45];
        if (g->json) {
            json_t *o =
                json_pack("{s:I,s:I,s:s,s:s,s:b}", "first", (json_int_t)old.cp.size, "second",
                          (json_int_t)cur->size, "first_root", audit_b64(old.cp.root, r1),
                          "second_root", audit_b64(cur->root, r2), "consistent", 1);
            if (o && update)
                json_object_set_new(o, "updated", ctl_json_str(from));
            ctl_json_print(o);
        } else {
            printf("checkpoint of size %llu is a prefix of size %llu: OK\n",
                   (unsigned long long)old.cp.size, (unsigned long long)cur->size);
            if (update)
                printf("saved the checkpoint of size %llu to %s\n", (unsigned long long)cur->size,
                       from);
        }
    }
    audit_cp_free(&old);
    audit_close(&a);
    return rc;
}

static void watch_line(const ctl_global *g, const tnd_checkpoint *cp, const tnd_checkpoint *prev)
{
    char root[45];
    audit_b64(cp->root, root);
    if (g->json) {
        json_t *o = json_pack("{s:I,s:s,s:s}", "size", (json_int_t)cp->size, "root", root,
                              "signature", "OK");
        if (o && prev) {
            json_object_set_new(o, "previous", json_integer((json_int_t)prev->size));
            json_object_set_new(o, "consistent", json_true());
        } else if (o) {
            json_object_set_new(o, "previous", json_null());
        }
        ctl_json_print(o);
    } else if (prev) {
        printf("size %llu root %s consistent with %llu: OK\n", (unsigned long long)cp->size, root,
               (unsigned long long)prev->size);
    } else {
        printf("size %llu root %s signature: OK\n", (unsigned long long)cp->size, root);
    }
    fflush(stdout);
}

/* How long watch waits for the witnesses to cosign a new checkpoint. */
#define WITNESS_WAIT_MS 10000
#define WITNESS_POLL_MS 100

static int audit_watch(ctl_global *g, const ctl_call *call)
{
    const audit_opts *opt = call->opts;
    const char *from = opt->from;
    int rc;
    audit_ctx a;
    if ((rc = audit_open(g, &a)) != 0)
        return rc;
    tnd_status_info st;
    bool witnessed = a.policy && !tnd_policy_is_none(a.policy);
    if (from) {
        audit_cp saved;
        if ((rc = audit_saved(&a, from, &saved)) == 0)
            rc = audit_result(tnd_log_state_set(&a.ls, "the saved checkpoint", saved.note,
                                                strlen(saved.note), &st),
                              &st);
        audit_cp_free(&saved);
        if (rc != 0) {
            audit_close(&a);
            return rc;
        }
    }
    tnd_call_opts o = {.timeout_ms = ctl_stream_timeout(g)};
    tender_common_v1_Empty req = {0};
    tnd_client_stream *s;
    if (tnd_client_stream_open(a.c, tender_log_v1_Log_WatchCheckpoints_method, &req, &o, &s, &st) !=
        0) {
        audit_close(&a);
        return ctl_status_fail(&st);
    }
    tender_log_v1_Checkpoint r;
    while (rc == 0 && tnd_client_stream_next(s, &r, &st) == 1) {
        tnd_checkpoint prev = a.ls.cp;
        bool have_prev = a.ls.has_checkpoint;
        const char *note = r.note ? r.note : "";
        char *wnote = NULL;
        tnd_checkpoint wcp;
        tnd_status_info vst;
        tnd_log_evidence ev = {0};
        int lrc = 0;
        /* With witnesses, each new checkpoint is the cue to look for a newer
         * witnessed one; the log's own checkpoints are not trusted alone. */
        if (witnessed) {
            /* The witnesses cosign a moment after the log signs: wait for
             * them to reach the cue's size (the server's word, only a cue),
             * for WITNESS_WAIT_MS at most, then go on with what they did. */
            for (int waited = 0;; waited += WITNESS_POLL_MS) {
                lrc = tnd_log_fetch_checkpoint(&a.ls, a.c, &wnote, &wcp, &vst);
                if (lrc != TND_STATUS_NOT_FOUND && (lrc != 0 || wcp.size >= r.size))
                    break;
                if (waited >= WITNESS_WAIT_MS)
                    break;
                free(wnote);
                wnote = NULL;
                usleep(WITNESS_POLL_MS * 1000);
            }
            note = wnote;
            if (lrc == 0 && have_prev && wcp.size <= prev.size && !memcmp(wcp.root, prev.root, 32))
                note = NULL; /* nothing newer witnessed yet */
        }
        if (lrc == 0 && note)
            lrc = tnd_log_state_advance(&a.ls, a.c, witnessed ? "a witnessed checkpoint"
                                                              : "a watched checkpoint",
                                        note, strlen(note), &ev, &vst);
        if (lrc == TND_ECRYPTO && (ev.old_note || ev.new_note))
            keep_evidence(opt, &ev, vst.message);
        rc = audit_result(lrc, &vst);
        if (rc == 0 && note)
            watch_line(g, &a.ls.cp, have_prev ? &prev : NULL);
        tnd_log_evidence_free(&ev);
        free(wnote);
        tender_log_v1_Checkpoint_free(&r);
    }
    tnd_client_stream_close(s);
    audit_close(&a);
    if (rc != 0)
        return rc;
    /* The stream's end: --timeout is the normal way for a watch to stop. */
    if (st.code == TND_STATUS_OK || (st.code == TND_STATUS_DEADLINE_EXCEEDED && g->timeout.given))
        return CTL_EXIT_OK;
    return ctl_status_fail(&st);
}

static const ctl_optdef checkpoint_optdefs[] = {
    {.name = "--save", .kind = CTL_FILE, .at = offsetof(audit_opts, save), .arg = "_FILE_",
     .help = "Also write the note, byte for byte as signed, to _FILE_ (through a temporary file\n"
             "renamed into place), for *prove --checkpoint* and *consistency --from* later."},
    {0},
};

static const ctl_cmd checkpoint_cmd = {
    .name = "checkpoint",
    .synopsis = "[*--save* _FILE_]",
    .summary = "the latest signed checkpoint",
    .about = "Fetch the latest checkpoint, verify its signature and origin, print origin, size,\n"
             "root and \"signature OK\". *--save* also writes the note, byte for byte as signed,\n"
             "to _FILE_. *--json* prints {\"origin\", \"size\", \"root\", \"log_key\",\n"
             "\"note\"}. With a witness policy: the latest witnessed checkpoint, and a line\n"
             "\"cosigned by NAME at TIME\" for each witness of the policy that cosigned it\n"
             "(*--json*: \"witnesses\"). Exit status 4 when the signature or origin does not\n"
             "verify, or the witnesses' cosignatures do not meet the policy.",
    .opts = checkpoint_optdefs,
    .opts_size = sizeof(audit_opts),
    .run = audit_checkpoint,
};

static const ctl_optdef consistency_optdefs[] = {
    {.name = "--from", .kind = CTL_FILE, .at = offsetof(audit_opts, from), .arg = "_FILE_",
     .help = "A checkpoint saved by *audit checkpoint --save*."},
    {.name = "--update", .kind = CTL_BOOL, .at = offsetof(audit_opts, update),
     .help = "Once verified, replace _FILE_ with the latest checkpoint."},
    {.name = "--evidence", .kind = CTL_FILE, .at = offsetof(audit_opts, evidence),
     .arg = "_OUT_",
     .help = "When the log is not append-only, write the evidence (both signed checkpoints and\n"
             "the proof, docs/AUDIT.md) to _OUT_. Default: _FILE_*.evidence*. An existing file\n"
             "is kept; the evidence then goes to standard error."},
    {0},
};

static const ctl_cmd consistency_cmd = {
    .name = "consistency",
    .synopsis = "*--from* _FILE_ [*--update*] [*--evidence* _OUT_]",
    .summary = "the log still extends a saved checkpoint",
    .about = "Check that the log only grew since the checkpoint saved in _FILE_ (RFC 9162\n"
             "consistency proof; at the same size the roots must be equal). *--update* then\n"
             "replaces _FILE_ with the latest checkpoint. Prints \"checkpoint of size A is a\n"
             "prefix of size B: OK\". Exit status 4 when a signature or the proof does not\n"
             "verify, or when the log shrank or forked (two signed roots for one size); both\n"
             "signed checkpoints and the proof are then kept (*--evidence*). With a witness\n"
             "policy the latest witnessed checkpoint is the one compared.",
    .opts = consistency_optdefs,
    .opts_size = sizeof(audit_opts),
    .run = audit_consistency,
};

static const ctl_optdef watch_optdefs[] = {
    {.name = "--from", .kind = CTL_FILE, .at = offsetof(audit_opts, from), .arg = "_FILE_",
     .help = "A saved checkpoint the first one must extend."},
    {.name = "--evidence", .kind = CTL_FILE, .at = offsetof(audit_opts, evidence),
     .arg = "_OUT_",
     .help = "When the log is not append-only, write the evidence to _OUT_ (default:\n"
             "_FILE_*.evidence* with *--from*, else standard error)."},
    {0},
};

static const ctl_cmd watch_cmd = {
    .name = "watch",
    .synopsis = "[*--from* _FILE_] [*--evidence* _OUT_]",
    .summary = "verify each new checkpoint as it is signed",
    .about = "Verify each new checkpoint as the server signs it, and its consistency with the\n"
             "one before (or with the saved _FILE_). One line a checkpoint: \"size N root R\n"
             "consistent with P: OK\" (NDJSON with *--json*). Runs until interrupted, or for\n"
             "*--timeout* (then exit 0). Exit status 4 at the first checkpoint that does not\n"
             "verify. With a witness policy, each new checkpoint is the cue to fetch the latest\n"
             "witnessed one; a line is printed when it moves.",
    .opts = watch_optdefs,
    .opts_size = sizeof(audit_opts),
    .run = audit_watch,
};

static const ctl_optdef prove_optdefs[] = {
    {.name = "--checkpoint", .kind = CTL_FILE, .at = offsetof(prove_opts, checkpoint),
     .arg = "_FILE_", .help = "Prove against this saved checkpoint, not the latest."},
    {0},
};

static const ctl_cmd prove_cmd = {
    .name = "prove",
    .synopsis = "_INDEX_ [*--checkpoint* _FILE_]",
    .summary = "one event and its inclusion proof",
    .about = "Prove that leaf _INDEX_ (0-based; the event's seq) is in the log of a verified\n"
             "checkpoint (the saved _FILE_ or the latest): the leaf hashes to the proof's leaf\n"
             "hash and the proof leads to the checkpoint's root. Prints the event and \"included\n"
             "in checkpoint of size N: OK\". *--json* prints {\"index\", \"leaf_hash\",\n"
             "\"checkpoint\", \"event\", \"included\"}. Exit status 4 when a signature, the leaf\n"
             "or the proof does not verify; 2 when _INDEX_ is not below the checkpoint's size.",
    .opts = prove_optdefs,
    .opts_size = sizeof(prove_opts),
    .max_pos = 1,
    .run = audit_prove,
};

static const ctl_optdef log_optdefs[] = {
    {.name = "--from", .kind = CTL_STRING, .at = offsetof(log_opts, from), .arg = "_N_",
     .help = "Start at leaf _N_ (default 0)."},
    {.name = "--to", .kind = CTL_STRING, .at = offsetof(log_opts, to), .arg = "_M_",
     .help = "Stop before leaf _M_ (default: the latest checkpoint's size)."},
    {.name = "--tender", .kind = CTL_STRING, .at = offsetof(log_opts, tender), .arg = "_ID_",
     .help = "Only the events of this tender."},
    {0},
};

static const ctl_cmd log_cmd = {
    .name = "log",
    .synopsis = "[*--from* _N_] [*--to* _M_] [*--tender* _ID_]",
    .summary = "the events, one a line",
    .about = "The events in order, one a line: index, time (RFC 3339 UTC), kind, tender and\n"
             "version, actor (role/organisation/name, or \"server\" for the server's timers),\n"
             "object, note. *--from* _N_ starts at leaf _N_ (default 0), *--to* _M_ stops before\n"
             "leaf _M_ (default: the latest checkpoint's size), *--tender* keeps one tender's\n"
             "events. The events are shown as the server sends them; *audit prove* _INDEX_\n"
             "verifies one. On a terminal, long listings show progress on stderr. *--json*\n"
             "prints one {\"index\", \"event\"} object a line (NDJSON). Exit status 4 when a\n"
             "leaf is not an event or comes out of order.",
    .opts = log_optdefs,
    .opts_size = sizeof(log_opts),
    .run = audit_log,
};

static const ctl_optdef verify_optdefs[] = {
    {.name = "--checkpoint", .kind = CTL_FILE, .at = offsetof(verify_opts, checkpoint),
     .arg = "_FILE_",
     .help = "A checkpoint saved earlier (*audit checkpoint --save*): the log must still extend\n"
             "it."},
    {.name = "--crl", .kind = CTL_FILE, .at = offsetof(verify_opts, crl), .arg = "_FILE_",
     .help = "The CA's revocation list (PEM): a bid whose certificate was revoked before it\n"
             "arrived is invalid. Without it no revocation is known, and a record calling a bid\n"
             "revoked fails."},
    {.name = "--bundle", .kind = CTL_FILE, .at = offsetof(verify_opts, bundle), .arg = "_FILE_",
     .help = "Check the evidence bundle _FILE_ (*audit bundle*) instead of the server, with no\n"
             "connection; _TENDER_, when given, must be the one it holds."},
    {0},
};

static const ctl_cmd verify_cmd = {
    .name = "verify",
    .synopsis = "_TENDER_ [*--checkpoint* _FILE_] [*--crl* _FILE_] | [_TENDER_] *--bundle* _FILE_",
    .summary = "every check of one tender, from the log alone",
    .about = "An auditor's check of one tender from public data, one line per check (\"ok\",\n"
             "\"FAIL\" or \"skip\"): the checkpoint's signature, consistency with the saved\n"
             "_FILE_, the inclusion of every event of the tender, each published version against\n"
             "its event, each document (downloaded and hashed) and each answered question\n"
             "against its event, every bid received before the deadline and the tender closed at\n"
             "it, the opening (after the opening time, k distinct shares, the logged record),\n"
             "re-decrypting every logged ciphertext with the published key (with the tender's\n"
             "rules for a valid bid, and each bid's sealed certificate checked against the CA of\n"
             "*--ca* at its time of receipt, and against the revocation list *--crl* _FILE_ when\n"
             "given), the award against its criterion, the suppliers' and the officer's\n"
             "signatures, and the complaints (their events in order, the public ones as logged\n"
             "with their reviews signed, no award completed while held, no closing or bid while\n"
             "the deadline is suspended). A record the log names but the server does not serve\n"
             "fails its check.\n"
             "*--json* prints {\"tender\", \"checks\": [{\"check\", \"result\", \"detail\"}],\n"
             "\"failed\"}. Exit status 4 when any check fails. No certificate is needed; *--ca*\n"
             "must hold the CA that issued the suppliers' certificates.\n"
             "\n"
             "With *--bundle* _FILE_ the record comes from an evidence bundle (*audit bundle*)\n"
             "and nothing connects: the same checks, the deadline by the fetch time it holds.\n"
             "Without *--log-key* the bundle's own log key is used, with a warning to compare it\n"
             "with the published one; likewise its CA certificate and revocation list without\n"
             "*--ca* and *--crl*, and its saved checkpoint without *--checkpoint*. *--json* adds\n"
             "\"bundle\" and \"log_key_from_bundle\". Exit status 2 for a file that is not a\n"
             "bundle, is truncated or damaged, or of another format version.",
    .opts = verify_optdefs,
    .opts_size = sizeof(verify_opts),
    .max_pos = 1,
    .run = audit_verify,
};

const ctl_cmd ctl_cmd_audit = {
    .name = "audit",
    .summary = "verify the transparency log (see tenderctl audit --help)",
    .about = "Verify the server's transparency log: every change is a leaf of a Merkle tree\n"
             "whose checkpoints the server signs (docs/LOG.md). The checks run locally, with the\n"
             "log's verifier key: *--log-key* _VKEY_ or *TENDER_LOG_KEY*, the text *tenderd\n"
             "--print-log-key* prints, obtained from the log's operator out of band. Without it\n"
             "tenderctl asks the server for its key and warns on stderr: that trusts the server\n"
             "on first use.\n"
             "\n"
             "Exit status: 0 verified; 4 verification failed (a bad signature, another key or\n"
             "log, a proof that does not hold, a log that shrank or forked); 1 local failure\n"
             "(files); 2 bad usage; 10 + N when a call ended with gRPC status N.",
    .subs = (const ctl_cmd *const[]){&checkpoint_cmd, &prove_cmd, &consistency_cmd, &log_cmd,
                                     &watch_cmd, &verify_cmd, &audit_bundle_cmd, NULL},
};
