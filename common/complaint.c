/* Complaints and review decisions: the rules of tender/complaint.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "tender/codec.h"
#include "ed25519.h"
#include "tender/complaint.h"

#define CS TND_COMPLAINT_STATE
#define SUB TND_COMPLAINT_SUBJECT
#define OUT TND_REVIEW_OUTCOME
#define EV(x) tender_events_v1_EventKind_##x

static const char *s_or(const char *s)
{
    return s ? s : "";
}

const char *tnd_complaint_subject_note(const tender_complaints_v1_Complaint *c, char *buf,
                                       size_t cap)
{
    const char *lot = s_or(c->lot_id), *award = s_or(c->award_id);
    int n;
    switch ((int)c->subject) {
    case SUB(CONDITIONS):
        n = *lot ? snprintf(buf, cap, "conditions of lot %s", lot)
                 : snprintf(buf, cap, "conditions");
        break;
    case SUB(AWARD):
        n = snprintf(buf, cap, "award %s", award);
        break;
    case SUB(CANCELLATION):
        n = *award ? snprintf(buf, cap, "cancellation of award %s", award)
            : *lot ? snprintf(buf, cap, "cancellation of lot %s", lot)
                   : snprintf(buf, cap, "cancellation of the tender");
        break;
    default:
        return NULL;
    }
    return n >= 0 && (size_t)n < cap ? buf : NULL;
}

/* note = prefix then a non-empty id without spaces: the id into id. */
static bool after(const char *note, const char *prefix, char *id, size_t cap)
{
    size_t pl = strlen(prefix);
    if (strncmp(note, prefix, pl) != 0)
        return false;
    const char *rest = note + pl;
    size_t rl = strlen(rest);
    if (rl == 0 || rl >= cap || strchr(rest, ' '))
        return false;
    memcpy(id, rest, rl + 1);
    return true;
}

bool tnd_complaint_subject_note_parse(const char *note, int *subject, char *id, size_t cap)
{
    if (!note || !cap)
        return false;
    id[0] = '\0';
    if (strcmp(note, "conditions") == 0 || strcmp(note, "cancellation of the tender") == 0) {
        *subject = note[0] == 'c' && note[1] == 'o' ? SUB(CONDITIONS) : SUB(CANCELLATION);
        return true;
    }
    if (after(note, "conditions of lot ", id, cap)) {
        *subject = SUB(CONDITIONS);
        return true;
    }
    if (after(note, "award ", id, cap) || after(note, "cancellation of award ", id, cap) ||
        after(note, "cancellation of lot ", id, cap)) {
        *subject = note[0] == 'a' ? SUB(AWARD) : SUB(CANCELLATION);
        return true;
    }
    id[0] = '\0';
    return false;
}

void tnd_complaint_tag(const uint8_t salt[32], const uint8_t key[32], uint8_t out[32])
{
    static const char dom[] = "tender/1 complainant";
    uint8_t buf[sizeof dom - 1 + 64];
    memcpy(buf, dom, sizeof dom - 1);
    memcpy(buf + sizeof dom - 1, salt, 32);
    memcpy(buf + sizeof dom - 1 + 32, key, 32);
    SHA256(buf, sizeof buf, out);
}

void tnd_complaint_public(const tender_complaints_v1_Complaint *c,
                          tender_complaints_v1_Complaint *out)
{
    *out = *c;
    out->complainant = NULL;
}

int tnd_complaint_hash(const tender_complaints_v1_Complaint *c, uint8_t out[32])
{
    tender_complaints_v1_Complaint pub;
    tnd_complaint_public(c, &pub);
    tnd_bytes h = {0};
    int rc = tnd_msg_hash(&tender_complaints_v1_Complaint_desc, &pub, &h);
    if (rc == 0)
        memcpy(out, h.data, 32);
    free(h.data);
    return rc;
}

int tnd_review_signed_bytes(const tender_complaints_v1_ReviewDecision *d, uint8_t **out,
                            size_t *len)
{
    uint8_t *enc = NULL;
    size_t el = 0;
    int rc = tnd_msg_encode(&tender_complaints_v1_ReviewDecision_desc, d, &enc, &el, NULL);
    if (rc)
        return rc;
    size_t pl = sizeof TND_REVIEW_SIGNING_PREFIX - 1;
    uint8_t *buf = malloc(pl + el);
    if (!buf) {
        free(enc);
        return TND_ENOMEM;
    }
    memcpy(buf, TND_REVIEW_SIGNING_PREFIX, pl);
    memcpy(buf + pl, enc, el);
    free(enc);
    *out = buf;
    *len = pl + el;
    return 0;
}

int tnd_review_verify(const tender_complaints_v1_ReviewDecision *d, const uint8_t *sig,
                      size_t sig_len, const uint8_t key[32])
{
    if (!d || !sig || !key)
        return TND_EINVAL;
    if (sig_len != 64)
        return TND_ECRYPTO;
    uint8_t *buf = NULL;
    size_t blen = 0;
    int rc = tnd_review_signed_bytes(d, &buf, &blen);
    if (rc)
        return rc == TND_ENOMEM ? TND_ENOMEM : TND_ECRYPTO;
    rc = tnd_ed25519_verify(sig, buf, blen, key);
    free(buf);
    return rc;
}

bool tnd_complaint_suspends_by_acceptance(const tender_complaints_v1_Complaint *c)
{
    return c->subject == TND_COMPLAINT_SUBJECT(CONDITIONS) && c->acceptance &&
           c->acceptance->decision &&
           c->acceptance->decision->outcome == TND_REVIEW_OUTCOME(ACCEPT) &&
           c->acceptance->decision->suspend_deadline;
}

int tnd_review_next_state(int state, int outcome)
{
    if (state == CS(SUBMITTED) && outcome == OUT(ACCEPT))
        return CS(ACCEPTED);
    if (state == CS(SUBMITTED) && outcome == OUT(REFUSE))
        return CS(REFUSED);
    if (state == CS(ACCEPTED) && outcome == OUT(SATISFY))
        return CS(SATISFIED);
    if (state == CS(ACCEPTED) && outcome == OUT(REJECT))
        return CS(REJECTED);
    return 0;
}

bool tnd_complaint_final(int state)
{
    return state == CS(REFUSED) || state == CS(SATISFIED) || state == CS(REJECTED) ||
           state == CS(WITHDRAWN);
}

bool tnd_complaint_holds_award(int state)
{
    return state == CS(SUBMITTED) || state == CS(ACCEPTED) || state == CS(SATISFIED);
}

int tnd_complaint_event_kind(int state)
{
    switch (state) {
    case CS(SUBMITTED):
        return EV(COMPLAINT_FILED);
    case CS(ACCEPTED):
        return EV(COMPLAINT_ACCEPTED);
    case CS(REFUSED):
        return EV(COMPLAINT_REFUSED);
    case CS(SATISFIED):
        return EV(COMPLAINT_SATISFIED);
    case CS(REJECTED):
        return EV(COMPLAINT_REJECTED);
    case CS(WITHDRAWN):
        return EV(COMPLAINT_WITHDRAWN);
    default:
        return 0;
    }
}

typedef struct named {
    int value;
    const char *name, *upper;
} named;

static const named states[] = {
    {CS(SUBMITTED), "submitted", "SUBMITTED"}, {CS(ACCEPTED), "accepted", "ACCEPTED"},
    {CS(REFUSED), "refused", "REFUSED"},       {CS(SATISFIED), "satisfied", "SATISFIED"},
    {CS(REJECTED), "rejected", "REJECTED"},    {CS(WITHDRAWN), "withdrawn", "WITHDRAWN"},
    {0, NULL, NULL},
};
static const named subjects[] = {
    {SUB(CONDITIONS), "conditions", "CONDITIONS"},
    {SUB(AWARD), "award", "AWARD"},
    {SUB(CANCELLATION), "cancellation", "CANCELLATION"},
    {0, NULL, NULL},
};
static const named outcomes[] = {
    {OUT(ACCEPT), "accept", "ACCEPT"},   {OUT(REFUSE), "refuse", "REFUSE"},
    {OUT(SATISFY), "satisfy", "SATISFY"}, {OUT(REJECT), "reject", "REJECT"},
    {0, NULL, NULL},
};

static const char *name_of(const named *t, int v)
{
    for (; t->name; t++)
        if (t->value == v)
            return t->name;
    return "unspecified";
}

static int parse(const named *t, const char *s)
{
    for (; s && t->name; t++)
        if (strcmp(s, t->name) == 0 || strcmp(s, t->upper) == 0)
            return t->value;
    return 0;
}

const char *tnd_complaint_state_name(int state)
{
    return name_of(states, state);
}

const char *tnd_complaint_subject_name(int subject)
{
    return name_of(subjects, subject);
}

const char *tnd_review_outcome_name(int outcome)
{
    return name_of(outcomes, outcome);
}

int tnd_complaint_subject_parse(const char *s)
{
    return parse(subjects, s);
}

int tnd_review_outcome_parse(const char *s)
{
    return parse(outcomes, s);
}
