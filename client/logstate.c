/* The trusted state of the transparency log and its one way forward
 * (tender/logstate.h): checkpoints verified against the pinned key, and
 * consistency proved before a newer checkpoint is trusted. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "client_internal.h"
#include "tender/encoding.h"
#include "tender/logstate.h"
#include "tender_schema.h"

#define VERIFY_FAIL(st, ...)                                                                       \
    (tnd__status_fail((st), TND_STATUS_DATA_LOSS, __VA_ARGS__), TND_ECRYPTO)

static int oom(tnd_status_info *st)
{
    tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
    return TND_ENOMEM;
}

static void ok(tnd_status_info *st)
{
    st->code = TND_STATUS_OK;
    st->message[0] = '\0';
    st->details_len = 0;
}

int tnd_log_state_init(tnd_log_state *ls, const char *vkey)
{
    if (!ls || !vkey)
        return TND_EINVAL;
    memset(ls, 0, sizeof *ls);
    if (strlen(vkey) >= sizeof ls->vkey || tnd_note_verifier_parse(vkey, &ls->v) != 0) {
        memset(ls, 0, sizeof *ls);
        return TND_EMALFORMED;
    }
    memcpy(ls->vkey, vkey, strlen(vkey) + 1);
    return 0;
}

int tnd_log_state_fetch_key(tnd_log_state *ls, tnd_client *c, tnd_status_info *st)
{
    if (!ls || !c || !st)
        return TND_EINVAL;
    memset(ls, 0, sizeof *ls);
    tender_common_v1_Empty req = {0};
    tender_log_v1_VerifierKey vk;
    int code = tender_log_v1_Log_GetVerifierKey(c, &req, &vk, NULL, st);
    if (code != 0)
        return code;
    int rc = vk.verifier_key && tnd_log_state_init(ls, vk.verifier_key) == 0
                 ? 0
                 : VERIFY_FAIL(st, "the server's verifier key is not a verifier key");
    tender_log_v1_VerifierKey_free(&vk);
    if (rc == 0)
        ok(st);
    return rc;
}

void tnd_log_state_free(tnd_log_state *ls)
{
    if (!ls)
        return;
    free(ls->note);
    ls->note = NULL;
    ls->has_checkpoint = false;
}

int tnd_log_verify_note(const tnd_log_state *ls, const char *what, const char *note, size_t len,
                        tnd_checkpoint *cp, tnd_status_info *st)
{
    if (!ls || !what || !note || !cp || !st)
        return TND_EINVAL;
    switch (tnd_checkpoint_verify(note, len, &ls->v, cp)) {
    case 0:
        break;
    case TND_ECRYPTO:
        return VERIFY_FAIL(st, "%s: the signature is bad (it does not verify with the log key %s)",
                           what, ls->vkey);
    case TND_ENOTFOUND:
        return VERIFY_FAIL(st,
                           "%s is not signed by the log key %s (a wrong --log-key, or another "
                           "log?)",
                           what, ls->vkey);
    case TND_ENOMEM:
        return oom(st);
    default:
        return VERIFY_FAIL(st, "%s is not a well-formed signed checkpoint", what);
    }
    if (strcmp(cp->origin, ls->v.name) != 0)
        return VERIFY_FAIL(st,
                           "%s is a checkpoint of the log \"%s\", not of \"%s\" (the key's name)",
                           what, cp->origin, ls->v.name);
    ok(st);
    return 0;
}

void tnd_log_state_set_policy(tnd_log_state *ls, const tnd_policy *p)
{
    if (ls)
        ls->policy = p;
}

static bool needs_witnesses(const tnd_log_state *ls)
{
    return ls->policy && !tnd_policy_is_none(ls->policy);
}

int tnd_log_check_witnessed(const tnd_log_state *ls, const char *what, const char *note,
                            size_t len, tnd_status_info *st)
{
    if (!ls || !what || !note || !st)
        return TND_EINVAL;
    if (!needs_witnesses(ls))
        return 0;
    char why[sizeof st->message];
    switch (tnd_policy_check(ls->policy, note, len, NULL, NULL, why, sizeof why)) {
    case 0:
        return 0;
    case TND_EQUORUM:
        tnd__status_fail(st, TND_STATUS_FAILED_PRECONDITION,
                         "%s lacks the witness cosignatures the policy needs: %s", what, why);
        return TND_EQUORUM;
    case TND_ENOMEM:
        return oom(st);
    default:
        return VERIFY_FAIL(st, "%s is not a well-formed signed checkpoint", what);
    }
}

/* Make (cp, note[0..len)) ls's trusted checkpoint. */
static int trust(tnd_log_state *ls, const tnd_checkpoint *cp, const char *note, size_t len,
                 tnd_status_info *st)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return oom(st);
    memcpy(copy, note, len);
    copy[len] = '\0';
    free(ls->note);
    ls->note = copy;
    ls->cp = *cp;
    ls->has_checkpoint = true;
    return 0;
}

int tnd_log_state_set(tnd_log_state *ls, const char *what, const char *note, size_t len,
                      tnd_status_info *st)
{
    tnd_checkpoint cp;
    int rc = tnd_log_verify_note(ls, what, note, len, &cp, st);
    return rc ? rc : trust(ls, &cp, note, len, st);
}

int tnd_log_fetch_checkpoint(const tnd_log_state *ls, tnd_client *c, char **note,
                             tnd_checkpoint *cp, tnd_status_info *st)
{
    if (!ls || !c || !note || !cp || !st)
        return TND_EINVAL;
    *note = NULL;
    tender_common_v1_Empty req = {0};
    tender_log_v1_Checkpoint r;
    tnd_arena a; /* the reply; *note is a copy of its note */
    tnd_arena_init(&a, 0);
    bool witnessed = needs_witnesses(ls);
    const char *what = witnessed ? "the latest witnessed checkpoint" : "the latest checkpoint";
    int code = witnessed ? tender_log_v1_Log_GetWitnessedCheckpoint_in(c, &a, &req, &r, NULL, st)
                         : tender_log_v1_Log_GetCheckpoint_in(c, &a, &req, &r, NULL, st);
    if (code != 0) {
        tnd_arena_free(&a);
        return code;
    }
    const char *text = r.note ? r.note : "";
    int rc = tnd_log_verify_note(ls, what, text, strlen(text), cp, st);
    if (rc == 0)
        rc = tnd_log_check_witnessed(ls, what, text, strlen(text), st);
    /* The convenience fields must say what the signed note says. */
    if (rc == 0 && (r.size != cp->size ||
                    (r.root.len && (r.root.len != 32 || memcmp(r.root.data, cp->root, 32)))))
        rc = VERIFY_FAIL(st,
                         "the server's checkpoint fields (size %llu) disagree with its signed "
                         "note (size %llu)",
                         (unsigned long long)r.size, (unsigned long long)cp->size);
    if (rc == 0 && !(*note = strdup(text)))
        rc = TND_ENOMEM;
    tnd_arena_free(&a);
    return rc;
}

int tnd_log_check_consistency(const tnd_checkpoint *old, const tnd_checkpoint *cur,
                              const uint8_t (*proof)[TND_MERKLE_HASH_LEN], size_t n_proof,
                              char *msg, size_t len)
{
    char r1[TND_BASE64_LEN(32) + 1], r2[TND_BASE64_LEN(32) + 1], dummy[1];
    if (!msg) {
        msg = dummy;
        len = sizeof dummy;
    }
    if (!old || !cur) {
        snprintf(msg, len, "no checkpoint to compare");
        return TND_EINVAL;
    }
    if (cur->size < old->size) {
        snprintf(msg, len,
                 "the log shrank: a checkpoint of size %llu was signed before this one of size "
                 "%llu",
                 (unsigned long long)old->size, (unsigned long long)cur->size);
        return TND_ECRYPTO;
    }
    if (cur->size == old->size) {
        if (memcmp(old->root, cur->root, 32) == 0)
            return 0;
        snprintf(msg, len,
                 "the log forked: two signed checkpoints of size %llu have different roots (%s "
                 "and %s)",
                 (unsigned long long)cur->size, tnd_base64_encode(old->root, 32, r1),
                 tnd_base64_encode(cur->root, 32, r2));
        return TND_ECRYPTO;
    }
    if (old->size == 0) /* every tree extends the empty one */
        return 0;
    if (tnd_merkle_verify_consistency(old->size, cur->size, old->root, cur->root, proof, n_proof) !=
        0) {
        snprintf(msg, len,
                 "the consistency proof from size %llu to %llu does not verify: the log was not "
                 "only appended to",
                 (unsigned long long)old->size, (unsigned long long)cur->size);
        return TND_ECRYPTO;
    }
    return 0;
}

/* The evidence of a failed check: the checkpoints and a copy of the proof. */
static int keep_evidence(tnd_log_evidence *ev, const tnd_checkpoint *old, const tnd_checkpoint *cur,
                         const uint8_t (*proof)[32], size_t n)
{
    memset(ev, 0, sizeof *ev);
    ev->old_cp = *old;
    ev->new_cp = *cur;
    if (n == 0)
        return 0;
    if (!(ev->proof = malloc(n * sizeof *ev->proof)))
        return TND_ENOMEM;
    memcpy(ev->proof, proof, n * sizeof *ev->proof);
    ev->n_proof = n;
    return 0;
}

int tnd_log_prove_consistent(tnd_client *c, const tnd_checkpoint *old, const tnd_checkpoint *cur,
                             tnd_log_evidence *ev, tnd_status_info *st)
{
    if (!c || !old || !cur || !st)
        return TND_EINVAL;
    if (ev)
        memset(ev, 0, sizeof *ev);
    uint8_t proof[TND_MERKLE_MAX_PROOF][32];
    size_t n = 0;
    int rc = 0;
    /* A proof is needed only between two different non-empty trees. */
    if (old->size > 0 && old->size < cur->size) {
        tender_log_v1_ConsistencyProofRequest req = {.first = old->size, .second = cur->size};
        tender_log_v1_ConsistencyProof p;
        int code = tender_log_v1_Log_GetConsistencyProof(c, &req, &p, NULL, st);
        if (code != 0)
            return code;
        if (p.first != old->size || p.second != cur->size || p.n_hashes > TND_MERKLE_MAX_PROOF)
            rc = VERIFY_FAIL(st, "the server answered with a proof for other sizes (%llu -> %llu)",
                             (unsigned long long)p.first, (unsigned long long)p.second);
        for (size_t i = 0; rc == 0 && i < p.n_hashes; i++) {
            if (p.hashes[i].len != 32)
                rc = VERIFY_FAIL(st, "hash %zu of the consistency proof is not 32 bytes", i);
            else
                memcpy(proof[n++], p.hashes[i].data, 32);
        }
        tender_log_v1_ConsistencyProof_free(&p);
    }
    if (rc == 0) {
        char why[sizeof st->message];
        rc = tnd_log_check_consistency(old, cur, (const uint8_t(*)[32])proof, n, why, sizeof why);
        if (rc != 0)
            rc = VERIFY_FAIL(st, "%s", why);
    }
    if (rc == 0)
        ok(st);
    else if (rc == TND_ECRYPTO && ev && keep_evidence(ev, old, cur, (const uint8_t(*)[32])proof, n))
        rc = oom(st);
    return rc;
}

int tnd_log_state_advance(tnd_log_state *ls, tnd_client *c, const char *what, const char *note,
                          size_t len, tnd_log_evidence *ev, tnd_status_info *st)
{
    if (!ls || !c || !what || !note || !st)
        return TND_EINVAL;
    if (ev)
        memset(ev, 0, sizeof *ev);
    tnd_checkpoint cp;
    int rc = tnd_log_verify_note(ls, what, note, len, &cp, st);
    if (rc == 0)
        rc = tnd_log_check_witnessed(ls, what, note, len, st);
    if (rc == 0 && ls->has_checkpoint) {
        rc = tnd_log_prove_consistent(c, &ls->cp, &cp, ev, st);
        /* The notes make the evidence checkable by anyone with the key. */
        if (rc == TND_ECRYPTO && ev &&
            (!(ev->old_note = strdup(ls->note)) || !(ev->new_note = strndup(note, len)))) {
            tnd_log_evidence_free(ev);
            rc = oom(st);
        }
    }
    if (rc == 0)
        rc = trust(ls, &cp, note, len, st);
    return rc;
}

int tnd_log_state_update(tnd_log_state *ls, tnd_client *c, tnd_log_evidence *ev,
                         tnd_status_info *st)
{
    if (!ls || !c || !st)
        return TND_EINVAL;
    if (ev)
        memset(ev, 0, sizeof *ev);
    char *note;
    tnd_checkpoint cp;
    int rc = tnd_log_fetch_checkpoint(ls, c, &note, &cp, st);
    if (rc == 0)
        rc = tnd_log_state_advance(ls, c, "the latest checkpoint", note, strlen(note), ev, st);
    free(note);
    return rc;
}

void tnd_log_evidence_free(tnd_log_evidence *ev)
{
    if (!ev)
        return;
    free(ev->old_note);
    free(ev->new_note);
    free(ev->proof);
    memset(ev, 0, sizeof *ev);
}

int tnd_log_evidence_format(const tnd_log_evidence *ev, const char *reason, char **out)
{
    if (!ev || !reason || !out)
        return TND_EINVAL;
    *out = NULL;
    const char *old_note = ev->old_note ? ev->old_note : "(not known)\n";
    const char *new_note = ev->new_note ? ev->new_note : "(not known)\n";
    size_t cap = 256 + strlen(reason) + strlen(old_note) + strlen(new_note) +
                 ev->n_proof * (TND_BASE64_LEN(32) + 1);
    char *s = malloc(cap);
    if (!s)
        return TND_ENOMEM;
    size_t n = (size_t)snprintf(s, cap,
                                "tender log evidence v1\n%s\n\n-- trusted checkpoint %llu\n%s"
                                "-- conflicting checkpoint %llu\n%s-- consistency proof %llu %llu\n",
                                reason, (unsigned long long)ev->old_cp.size, old_note,
                                (unsigned long long)ev->new_cp.size, new_note,
                                (unsigned long long)ev->old_cp.size,
                                (unsigned long long)ev->new_cp.size);
    for (size_t i = 0; i < ev->n_proof && n + TND_BASE64_LEN(32) + 2 <= cap; i++) {
        tnd_base64_encode(ev->proof[i], 32, s + n);
        n += TND_BASE64_LEN(32);
        s[n++] = '\n';
        s[n] = '\0';
    }
    *out = s;
    return 0;
}
