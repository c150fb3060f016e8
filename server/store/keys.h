/* The key of every table of TND_TABLE_MAP (store.h): each layout is built
 * and read here and nowhere else; docs/STORE.md, "Tables and keys", states
 * the same layouts (tests/test_store_keys.c holds the bytes of each).
 *
 * Integers are big-endian (common/be.h), so LMDB's byte order is numeric
 * order. An id followed by more is ended by 0x00, which ids never hold, so
 * the keys of one id sort together and no id's keys fall among another's.
 *
 * Builders write into key (cap bytes) and return the key's length, or 0 when
 * it does not fit. Parsers take a key read back from the table and return
 * false when it is not one of that table's (a foreign or damaged key); the
 * parts they hand back point into the key.
 *
 * Tables keyed by an id alone hold the id's bytes, no terminator. Their
 * builders take the id's length bound from here: an id that is empty or
 * longer gives 0, as no such key is ever stored (a lookup then finds
 * nothing, and a caller answers NOT_FOUND).
 */
#ifndef TND_SERVER_STORE_KEYS_H
#define TND_SERVER_STORE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* META: a name. The values of these are big-endian counters: u32 format,
 * u64 for the others. */
#define TND_META_FORMAT "format"                 /* u32: TND_STORE_FORMAT */
#define TND_META_NEXT_EVENT_SEQ "next_event_seq" /* u64: the next EVENTS seq */
#define TND_META_ALIVE_MS "alive_ms"             /* u64: the server's last sign of life */
#define TND_META_TENDER_SEQ "tender_seq"         /* u64: the last tender number given */
#define TND_META_BATCH_SEQ "batch_seq" /* u64: the last recorded batch (changeset.h) */

/* EVENTS: seq (u64). */
#define TND_KEY_EVENTS_LEN 8
size_t tnd_key_events(uint8_t key[TND_KEY_EVENTS_LEN], uint64_t seq);
bool tnd_key_events_parse(const void *key, size_t len, uint64_t *seq);

/* IDEMPOTENCY: org 0x00 name 0x00 idempotency key. The caller's key part
 * (org and name) is the services' (svc/svc.c); the layout is here. */
size_t tnd_key_idempotency(uint8_t *key, size_t cap, const char *org, const char *name,
                           const void *idem_key, size_t idem_key_len);
/* Where the idempotency key starts in an IDEMPOTENCY key (after org and
 * name), or false when the key has not got both terminators. */
bool tnd_key_idempotency_parse(const void *key, size_t len, const uint8_t **idem_key,
                               size_t *idem_key_len);

/* The longest ids: a tender id is "T-" year "-" number (tenders/
 * tender_write.c gives them); a document id is its tender's id, "-D" and
 * its number (at most 100 a tender); a bid id is "B-" and 32 hex digits
 * (TND_BID_ID_LEN, tender/receipt.h). */
#define TND_KEY_TENDER_ID_MAX 63
#define TND_KEY_DOCUMENT_ID_MAX (TND_KEY_TENDER_ID_MAX + 8)
#define TND_KEY_BID_ID_MAX 34

/* TENDERS, OPENINGS, BID_TAG_KEYS: the tender id. */
size_t tnd_key_tenders(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id);
size_t tnd_key_openings(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id);
size_t tnd_key_bid_tag_keys(uint8_t key[TND_KEY_TENDER_ID_MAX], const char *tender_id);
/* The tender id of a TENDERS key into id (NUL-terminated), or false when
 * the key cannot be one. */
bool tnd_key_tenders_parse(const void *key, size_t len, char id[TND_KEY_TENDER_ID_MAX + 1]);

/* DOCUMENTS: the document id. */
size_t tnd_key_documents(uint8_t key[TND_KEY_DOCUMENT_ID_MAX], const char *document_id);

/* BID_IDS: the bid id. */
size_t tnd_key_bid_ids(uint8_t key[TND_KEY_BID_ID_MAX], const char *bid_id);

/* OPENING_KEYS: the opening public key (32 bytes). */
#define TND_KEY_OPENING_KEYS_LEN 32
size_t tnd_key_opening_keys(uint8_t key[TND_KEY_OPENING_KEYS_LEN], const uint8_t public_key[32]);

/* TENDER_VERSIONS: tender id 0x00 version (u32). */
size_t tnd_key_tender_versions(uint8_t *key, size_t cap, const char *tender_id, uint32_t version);

/* SCHEDULE: due time in ms since the epoch (u64) then the tender id (no
 * terminator). Parse gives the due time and the id's bytes. */
size_t tnd_key_schedule(uint8_t *key, size_t cap, int64_t due_ms, const char *tender_id);
bool tnd_key_schedule_parse(const void *key, size_t len, int64_t *due_ms, const uint8_t **id,
                            size_t *id_len);

/* TENDER_EVENTS: tender id 0x00 seq (u64), one key per event that names the
 * tender (Event.tender_id), so that a tender's events are read without a
 * pass over the whole log. Parse is true for a key of tender_id only. */
#define TND_KEY_TENDER_EVENTS_MAX (TND_KEY_TENDER_ID_MAX + 1 + 8)
size_t tnd_key_tender_events(uint8_t *key, size_t cap, const char *tender_id, uint64_t seq);
bool tnd_key_tender_events_parse(const void *key, size_t len, const char *tender_id,
                                 uint64_t *seq);

/* QUESTIONS: tender id 0x00 seq (u32). Parse is true for a question key of
 * tender_id only (a scan uses it to stop at the next tender's). */
size_t tnd_key_questions(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq);
bool tnd_key_questions_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq);

/* LOG, the transparency log's own layout (docs/LOG.md):
 *   "n" level (1 byte) index (u64) -> hash of that complete subtree
 *   "h" leaf hash (32)             -> the leaf's index (u64)
 *   "size"                         -> the tree size (u64)
 *   "cp"                           -> the latest signed checkpoint note
 *   "c" size (u64)                 -> the checkpoint note signed at that size
 * and the witnesses' cosignatures (docs/LOG.md, "Witnesses"; none in a
 * database older than them, which is read as "nothing cosigned yet"):
 *   "w" size (u64)                 -> the cosignature lines held for "c" size
 *   "ws"                           -> the latest size whose cosignatures meet
 *                                     the quorum (u64)
 *   "v" key id (u32) name          -> what that witness last cosigned: size
 *                                     (u64) then the cosignature's time in
 *                                     seconds (u64) */
#define TND_KEY_LOG_SIZE "size"
#define TND_KEY_LOG_LATEST "cp"
#define TND_KEY_LOG_NODE_LEN 10
#define TND_KEY_LOG_LEAF_LEN 33
#define TND_KEY_LOG_CHECKPOINT_LEN 9
#define TND_KEY_LOG_WITNESSED "ws"
#define TND_KEY_LOG_COSIGS_LEN 9
/* "v", key id, a name of at most TND_NOTE_MAX_NAME (255) bytes */
#define TND_KEY_LOG_WITNESS_MAX (1 + 4 + 255)
size_t tnd_key_log_node(uint8_t key[TND_KEY_LOG_NODE_LEN], unsigned level, uint64_t index);
size_t tnd_key_log_leaf(uint8_t key[TND_KEY_LOG_LEAF_LEN], const uint8_t hash[32]);
size_t tnd_key_log_checkpoint(uint8_t key[TND_KEY_LOG_CHECKPOINT_LEN], uint64_t size);
size_t tnd_key_log_cosigs(uint8_t key[TND_KEY_LOG_COSIGS_LEN], uint64_t size);
/* 0 for an empty name or one longer than 255 bytes. */
size_t tnd_key_log_witness(uint8_t key[TND_KEY_LOG_WITNESS_MAX], uint32_t key_id,
                           const char *name);

/* BIDS: tender id 0x00 bid id. An empty bid id gives the tender's prefix.
 * Parse is true for a bid key of tender_id only, and gives the bid id's
 * bytes. */
size_t tnd_key_bids(uint8_t *key, size_t cap, const char *tender_id, const char *bid_id);
bool tnd_key_bids_parse(const void *key, size_t len, const char *tender_id, const uint8_t **bid_id,
                        size_t *bid_id_len);

/* BID_OWNERS: tender id 0x00 owner tag (32 bytes). */
size_t tnd_key_bid_owners(uint8_t *key, size_t cap, const char *tender_id, const uint8_t tag[32]);

/* SHARES: tender id 0x00 member index (1 byte). Parse is true for a share
 * key of tender_id only. */
size_t tnd_key_shares(uint8_t *key, size_t cap, const char *tender_id, uint8_t member);
bool tnd_key_shares_parse(const void *key, size_t len, const char *tender_id, uint8_t *member);

/* AWARDS: tender id 0x00 seq (u32). Parse is true for an award key of
 * tender_id only. */
size_t tnd_key_awards(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq);
bool tnd_key_awards_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq);

/* COMPLAINTS: tender id 0x00 seq (u32). Parse is true for a complaint key
 * of tender_id only. */
size_t tnd_key_complaints(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq);
bool tnd_key_complaints_parse(const void *key, size_t len, const char *tender_id, uint32_t *seq);

/* COMPLAINT_DOCUMENTS: the document id, "<tender id>-C<n>-D<m>" (at most
 * 100 complaints a tender, 20 documents a complaint). */
#define TND_KEY_COMPLAINT_DOCUMENT_ID_MAX (TND_KEY_TENDER_ID_MAX + 16)
size_t tnd_key_complaint_documents(uint8_t key[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX],
                                   const char *document_id);

/* IDEM_EXPIRY: expiry time in ms (u64) then the IDEMPOTENCY key. Parse
 * gives both; the record's key points into the key. */
size_t tnd_key_idem_expiry(uint8_t *key, size_t cap, uint64_t due_ms, const void *record,
                           size_t record_len);
bool tnd_key_idem_expiry_parse(const void *key, size_t len, uint64_t *due_ms,
                               const uint8_t **record, size_t *record_len);

#endif
