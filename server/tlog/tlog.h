/* The transparency log on the server: the Merkle tree kept in the store's
 * LOG table, one signed checkpoint per group commit, the log's signing key,
 * and the check at start-up that the stored tree matches its last
 * checkpoint. docs/LOG.md specifies the formats. */
#ifndef TND_SERVER_TLOG_H
#define TND_SERVER_TLOG_H

#include <openssl/evp.h>

#include "transport/server.h"
#include "store/store.h"
#include "tender/audit.h"

typedef struct tnd_tlog tnd_tlog;

/** Load (or create, mode 0600) DIR/log.key and the log's name. */
int tnd_tlog_key_load(const char *db_dir, const char *origin, EVP_PKEY **key, char *name,
                      size_t name_len, char *err, size_t err_len);

/** The verifier key text of a log key: name+keyid+base64(0x01||pub). */
int tnd_tlog_verifier_key(EVP_PKEY *key, const char *name, char *out, size_t cap);

/** Attach the log to the server's store: check the stored tree against the
 * last checkpoint (refusing a mismatch), install the batch hook that
 * appends every new event and signs one checkpoint per batch, and start
 * collecting cosignatures from --witness-policy's witnesses. */
int tnd_tlog_open(tnd_server *srv, char *err, size_t err_len);
void tnd_tlog_close(tnd_server *srv);

/** The witnesses' collector (tlog/witnesses.h), NULL without a policy. */
struct tnd_witnesses *tnd_tlog_witnesses(const tnd_server *srv);

/** The verifier key text of the running log. */
const char *tnd_tlog_vkey(const tnd_server *srv);

/* Reading the tree in a read transaction (loop thread). */
typedef struct tnd_tlog_reader {
    tnd_store *store;
    MDB_txn *txn;
} tnd_tlog_reader;

int tnd_tlog_node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

/* The loop thread's reader for proofs: as tnd_tlog_node_get, but nodes of
 * TND_TLOG_CACHE_LEVEL and above (subtrees of 256 leaves or more, which
 * every proof shares) come from a cache the log keeps in memory, filled
 * from committed read transactions. A stored node is the hash of a complete
 * subtree: once committed it never changes, so a cached one is never stale.
 * Only for read transactions on the loop thread (never the writer's, whose
 * nodes may still roll back). log may be NULL (no cache). */
#define TND_TLOG_CACHE_LEVEL 8
typedef struct tnd_tlog_cached_reader {
    tnd_tlog_reader r;
    tnd_tlog *log;
} tnd_tlog_cached_reader;

int tnd_tlog_node_get_cached(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

/** Cache lookups so far that found their node / had to read it (tests, tuning). */
void tnd_tlog_cache_stats(const tnd_tlog *log, uint64_t *hits, uint64_t *misses);

/** The latest checkpoint note (malloc'd) and its size; TND_ENOTFOUND for an empty log.
 * With note NULL, the size alone (one read, no copy). */
int tnd_tlog_latest(tnd_store *s, MDB_txn *txn, char **note, uint64_t *size);

/** A copy of the LOG table's value at key, NUL-terminated (malloc'd), its
 * length in *len when len is not NULL.
 * @return 0; TND_ENOTFOUND; TND_EIO; TND_ENOMEM. */
int tnd__tlog_text(tnd_store *s, MDB_txn *txn, const void *key, size_t klen, char **out,
                   size_t *len);

/** The leaf index of a leaf hash. */
int tnd__tlog_index_of(tnd_store *s, MDB_txn *txn, const uint8_t hash[32], uint64_t *index);

int tnd_tlog_service_register(tnd_server *srv);

#endif
