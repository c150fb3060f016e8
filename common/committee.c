/* The opening committee's rules (tender/committee.h, docs/SEALED.md). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tender/committee.h"

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(msg, len, __VA_ARGS__);                                                           \
        return TND_EINVAL;                                                                         \
    } while (0)

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static bool same_key(const tnd_bytes *a, const tnd_bytes *b)
{
    return a->len == TND_X25519_LEN && b->len == TND_X25519_LEN &&
           memcmp(a->data, b->data, TND_X25519_LEN) == 0;
}

/* Why key (named what) is not a usable X25519 public key, or NULL. */
static const char *key_problem(const tnd_bytes *key)
{
    if (key->len != TND_X25519_LEN)
        return "an X25519 public key of 32 bytes is required";
    if (tnd_x25519_check_public(key->data) != 0)
        return "a key of low order (e.g. all zero): every secret sealed to it is readable; use "
               "a key from `tenderctl keys gen`";
    return NULL;
}

size_t tnd_committee_secret_len(const tender_tenders_v1_Committee *cm)
{
    return cm && cm->documents_public_key.len ? 2 * TND_X25519_LEN : TND_X25519_LEN;
}

size_t tnd_committee_sealed_share_len(const tender_tenders_v1_Committee *cm)
{
    return TND_HPKE_ENC_LEN + TND_SHAMIR_SHARE_LEN(tnd_committee_secret_len(cm)) +
           TND_HPKE_TAG_LEN;
}

int tnd_committee_check(const tender_tenders_v1_Committee *cm, bool complete, char *msg,
                        size_t len)
{
    if (!cm)
        BAD("fields.committee: required");
    size_t n = cm->n_members;
    if (n > TND_COMMITTEE_MAX)
        BAD("fields.committee.members: %zu members; at most %d", n, TND_COMMITTEE_MAX);
    if (cm->threshold < 1 || cm->threshold > n)
        BAD("fields.committee.threshold: need 1 <= k <= n (k = %u, n = %zu): k members must "
            "give their shares to open the bids",
            cm->threshold, n);
    const char *why;
    for (size_t i = 0; i < n; i++) {
        const tender_tenders_v1_CommitteeMember *m = &cm->members[i];
        if (blank(m->name))
            BAD("fields.committee.members[%zu].name: required (the CN of the member's "
                "certificate)",
                i);
        if ((why = key_problem(&m->public_key)) != NULL)
            BAD("fields.committee.members[%zu].public_key: %s", i, why);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cm->members[j].name, m->name) == 0)
                BAD("fields.committee.members[%zu].name: \"%s\" is also member %zu; k of n means "
                    "k different people, and one certificate gives one share: list each person "
                    "once",
                    i, m->name, j);
            if (same_key(&cm->members[j].public_key, &m->public_key))
                BAD("fields.committee.members[%zu].public_key: the same key as member %zu "
                    "(\"%s\"); whoever holds it could give both shares: each member needs "
                    "their own key",
                    i, j, cm->members[j].name);
        }
        size_t want = tnd_committee_sealed_share_len(cm);
        if (m->encrypted_share.len != 0 && m->encrypted_share.len != want)
            BAD("fields.committee.members[%zu].encrypted_share: %zu bytes; a sealed share is "
                "%zu bytes (enc, then the %zu-byte share encrypted with its 16-byte tag)%s",
                i, m->encrypted_share.len, want, TND_SHAMIR_SHARE_LEN(tnd_committee_secret_len(cm)),
                cm->documents_public_key.len ? ", with a documents key" : "");
        if (m->share_hash.len != 0 && m->share_hash.len != 32)
            BAD("fields.committee.members[%zu].share_hash: %zu bytes; a SHA-256 is 32", i,
                m->share_hash.len);
        if (complete && (m->encrypted_share.len == 0 || m->share_hash.len == 0))
            BAD("fields.committee.members[%zu]: a sealed share and its share_hash are required "
                "to publish",
                i);
    }
    const tnd_bytes *ok = &cm->opening_public_key;
    if (ok->len == 0 && complete)
        BAD("fields.committee.opening_public_key: required to publish (tenderctl tender create "
            "--committee makes it)");
    if (ok->len != 0) {
        if ((why = key_problem(ok)) != NULL)
            BAD("fields.committee.opening_public_key: %s", why);
        for (size_t i = 0; i < n; i++)
            if (same_key(ok, &cm->members[i].public_key))
                BAD("fields.committee.opening_public_key: the key of member %zu (\"%s\"), who "
                    "could then open the bids alone; make a new opening key",
                    i, cm->members[i].name);
    }
    const tnd_bytes *dk = &cm->documents_public_key;
    if (dk->len != 0) {
        if ((why = key_problem(dk)) != NULL)
            BAD("fields.committee.documents_public_key: %s", why);
        for (size_t i = 0; i < n; i++)
            if (same_key(dk, &cm->members[i].public_key))
                BAD("fields.committee.documents_public_key: the key of member %zu (\"%s\"), who "
                    "could then read the bid documents alone; make a new documents key",
                    i, cm->members[i].name);
        if (same_key(dk, ok))
            BAD("fields.committee.documents_public_key: the opening key, whose private half "
                "the opening publishes; make a new documents key");
    }
    return 0;
}

long tnd_committee_member(const tender_tenders_v1_Committee *cm, const tnd_bytes *key)
{
    for (size_t i = 0; cm && i < cm->n_members; i++)
        if (same_key(&cm->members[i].public_key, key))
            return (long)i;
    return -1;
}

bool tnd_committee_same_person(const tender_tenders_v1_Committee *cm, size_t i, size_t j)
{
    if (!cm || i >= cm->n_members || j >= cm->n_members)
        return false;
    const tender_tenders_v1_CommitteeMember *a = &cm->members[i], *b = &cm->members[j];
    return i == j || (a->name && b->name && strcmp(a->name, b->name) == 0) ||
           same_key(&a->public_key, &b->public_key);
}

size_t tnd_committee_people(const tender_tenders_v1_Committee *cm, const size_t *idx, size_t n)
{
    size_t people = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = tnd_committee_same_person(cm, idx[i], idx[j]);
        people += !seen && cm && idx[i] < cm->n_members;
    }
    return people;
}
