/* Every table's key layout (keys.h). */
#include "keys.h"

#include <string.h>

#include "be.h"
#include "tender/receipt.h"

_Static_assert(TND_KEY_BID_ID_MAX == TND_BID_ID_LEN, "a bid id's key holds the whole id");

/* The bytes of an id of 1 to max bytes, or 0. */
static size_t id_key(uint8_t *key, size_t max, const char *id)
{
    size_t il = id ? strnlen(id, max + 1) : 0;
    if (il == 0 || il > max)
        return 0;
    memcpy(key, id, il);
    return il;
}

size_t tnd_key_tenders(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id)
{
    return id_key(key, TND_KEY_TENDER_ID_MAX, tender_id);
}

size_t tnd_key_openings(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id)
{
    return id_key(key, TND_KEY_TENDER_ID_MAX, tender_id);
}

size_t tnd_key_bid_tag_keys(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id)
{
    return id_key(key, TND_KEY_TENDER_ID_MAX, tender_id);
}

bool tnd_key_tenders_parse(const void *key, size_t len, char id[TND_KEY_TENDER_ID_MAX + 1])
{
    if (len == 0 || len > TND_KEY_TENDER_ID_MAX || memchr(key, 0, len))
        return false;
    memcpy(id, key, len);
    id[len] = '\0';
    return true;
}

size_t tnd_key_documents(uint8_t key[TND_KEY_DOCUMENT_ID_MAX], const char *document_id)
{
    return id_key(key, TND_KEY_DOCUMENT_ID_MAX, document_id);
}

size_t tnd_key_bid_ids(uint8_t key[TND_KEY_BID_ID_MAX], const char *bid_id)
{
    return id_key(key, TND_KEY_BID_ID_MAX, bid_id);
}

size_t tnd_key_opening_keys(uint8_t key[TND_KEY_OPENING_KEYS_LEN], const uint8_t public_key[32])
{
    memcpy(key, public_key, TND_KEY_OPENING_KEYS_LEN);
    return TND_KEY_OPENING_KEYS_LEN;
}

/* id 0x00 then n bytes of suffix. */
static size_t id_then(uint8_t *key, size_t cap, const char *id, size_t n)
{
    size_t il = strlen(id);
    if (il + 1 + n > cap)
        return 0;
    memcpy(key, id, il + 1);
    return il + 1;
}

/* Whether key starts with id 0x00; then *rest is what follows. */
static bool of_id(const void *key, size_t len, const char *id, size_t *rest)
{
    size_t il = strlen(id);
    if (len < il + 1 || memcmp(key, id, il + 1) != 0)
        return false;
    *rest = len - il - 1;
    return true;
}

size_t tnd_key_events(uint8_t key[TND_KEY_EVENTS_LEN], uint64_t seq)
{
    tnd_be64_put(key, seq);
    return TND_KEY_EVENTS_LEN;
}

bool tnd_key_events_parse(const void *key, size_t len, uint64_t *seq)
{
    if (len != TND_KEY_EVENTS_LEN)
        return false;
    *seq = tnd_be64_get(key);
    return true;
}

size_t tnd_key_idempotency(uint8_t *key, size_t cap, const char *org, const char *name,
                           const void *idem_key, size_t idem_key_len)
{
    size_t ol = strlen(org), nl = strlen(name);
    if (ol + 1 + nl + 1 > cap || idem_key_len > cap - (ol + 1 + nl + 1))
        return 0;
    memcpy(key, org, ol + 1);
    memcpy(key + ol + 1, name, nl + 1);
    memcpy(key + ol + 1 + nl + 1, idem_key, idem_key_len);
    return ol + 1 + nl + 1 + idem_key_len;
}

bool tnd_key_idempotency_parse(const void *key, size_t len, const uint8_t **idem_key,
                               size_t *idem_key_len)
{
    const uint8_t *p = key, *end = p + len;
    for (int part = 0; part < 2; part++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul)
            return false;
        p = nul + 1;
    }
    *idem_key = p;
    *idem_key_len = (size_t)(end - p);
    return true;
}

size_t tnd_key_tender_versions(uint8_t *key, size_t cap, const char *tender_id, uint32_t version)
{
    size_t at = id_then(key, cap, tender_id, 4);
    if (!at)
        return 0;
    tnd_be32_put(key + at, version);
    return at + 4;
}

size_t tnd_key_schedule(uint8_t *key, size_t cap, int64_t due_ms, const char *tender_id)
{
    size_t il = strlen(tender_id);
    if (il + 8 > cap)
        return 0;
    tnd_be64_put(key, (uint64_t)due_ms);
    memcpy(key + 8, tender_id, il);
    return 8 + il;
}

bool tnd_key_schedule_parse(const void *key, size_t len, int64_t *due_ms, const uint8_t **id,
                            size_t *id_len)
{
    if (len < 8)
        return false;
    *due_ms = (int64_t)tnd_be64_get(key);
    *id = (const uint8_t *)key + 8;
    *id_len = len - 8;
    return true;
}

size_t tnd_key_tender_events(uint8_t *key, size_t cap, const char *tender_id, uint64_t seq)
{
    size_t at = id_then(key, cap, tender_id, 8);
    if (!at)
        return 0;
    tnd_be64_put(key + at, seq);
    return at + 8;
}

bool tnd_key_tender_events_parse(const void *key, size_t len, const char *tender_id,
                                 uint64_t *seq)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest != 8)
        return false;
    *seq = tnd_be64_get((const uint8_t *)key + len - 8);
    return true;
}

size_t tnd_key_questions(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq)
{
    size_t at = id_then(key, cap, tender_id, 4);
    if (!at)
        return 0;
    tnd_be32_put(key + at, seq);
    return at + 4;
}

bool tnd_key_questions_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest != 4)
        return false;
    *seq = tnd_be32_get((const uint8_t *)key + len - 4);
    return true;
}

size_t tnd_key_log_node(uint8_t key[TND_KEY_LOG_NODE_LEN], unsigned level, uint64_t index)
{
    key[0] = 'n';
    key[1] = (uint8_t)level;
    tnd_be64_put(key + 2, index);
    return TND_KEY_LOG_NODE_LEN;
}

size_t tnd_key_log_leaf(uint8_t key[TND_KEY_LOG_LEAF_LEN], const uint8_t hash[32])
{
    key[0] = 'h';
    memcpy(key + 1, hash, 32);
    return TND_KEY_LOG_LEAF_LEN;
}

size_t tnd_key_log_checkpoint(uint8_t key[TND_KEY_LOG_CHECKPOINT_LEN], uint64_t size)
{
    key[0] = 'c';
    tnd_be64_put(key + 1, size);
    return TND_KEY_LOG_CHECKPOINT_LEN;
}

size_t tnd_key_log_cosigs(uint8_t key[TND_KEY_LOG_COSIGS_LEN], uint64_t size)
{
    key[0] = 'w';
    tnd_be64_put(key + 1, size);
    return TND_KEY_LOG_COSIGS_LEN;
}

size_t tnd_key_log_witness(uint8_t key[TND_KEY_LOG_WITNESS_MAX], uint32_t key_id,
                           const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TND_KEY_LOG_WITNESS_MAX - 5)
        return 0;
    key[0] = 'v';
    tnd_be32_put(key + 1, key_id);
    memcpy(key + 5, name, n);
    return 5 + n;
}

size_t tnd_key_bids(uint8_t *key, size_t cap, const char *tender_id, const char *bid_id)
{
    size_t bl = strlen(bid_id), at = id_then(key, cap, tender_id, bl);
    if (!at)
        return 0;
    memcpy(key + at, bid_id, bl);
    return at + bl;
}

bool tnd_key_bids_parse(const void *key, size_t len, const char *tender_id, const uint8_t **bid_id,
                        size_t *bid_id_len)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest == 0)
        return false;
    *bid_id = (const uint8_t *)key + len - rest;
    *bid_id_len = rest;
    return true;
}

size_t tnd_key_bid_owners(uint8_t *key, size_t cap, const char *tender_id, const uint8_t tag[32])
{
    size_t at = id_then(key, cap, tender_id, 32);
    if (!at)
        return 0;
    memcpy(key + at, tag, 32);
    return at + 32;
}

size_t tnd_key_shares(uint8_t *key, size_t cap, const char *tender_id, uint8_t member)
{
    size_t at = id_then(key, cap, tender_id, 1);
    if (!at)
        return 0;
    key[at] = member;
    return at + 1;
}

bool tnd_key_shares_parse(const void *key, size_t len, const char *tender_id, uint8_t *member)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest != 1)
        return false;
    *member = ((const uint8_t *)key)[len - 1];
    return true;
}

size_t tnd_key_awards(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq)
{
    size_t at = id_then(key, cap, tender_id, 4);
    if (!at)
        return 0;
    tnd_be32_put(key + at, seq);
    return at + 4;
}

bool tnd_key_awards_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest != 4)
        return false;
    *seq = tnd_be32_get((const uint8_t *)key + len - 4);
    return true;
}

size_t tnd_key_complaints(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq)
{
    size_t at = id_then(key, cap, tender_id, 4);
    if (!at)
        return 0;
    tnd_be32_put(key + at, seq);
    return at + 4;
}

bool tnd_key_complaints_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq)
{
    size_t rest;
    if (!of_id(key, len, tender_id, &rest) || rest != 4)
        return false;
    *seq = tnd_be32_get((const uint8_t *)key + len - 4);
    return true;
}

size_t tnd_key_complaint_documents(uint8_t key[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX],
                                   const char *document_id)
{
    return id_key(key, TND_KEY_COMPLAINT_DOCUMENT_ID_MAX, document_id);
}

size_t tnd_key_idem_expiry(uint8_t *key, size_t cap, uint64_t due_ms, const void *record,
                           size_t record_len)
{
    if (record_len > cap || 8 > cap - record_len)
        return 0;
    tnd_be64_put(key, due_ms);
    memcpy(key + 8, record, record_len);
    return 8 + record_len;
}

bool tnd_key_idem_expiry_parse(const void *key, size_t len, uint64_t *due_ms,
                               const uint8_t **record, size_t *record_len)
{
    if (len < 8)
        return false;
    *due_ms = tnd_be64_get(key);
    *record = (const uint8_t *)key + 8;
    *record_len = len - 8;
    return true;
}
