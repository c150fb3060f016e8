/* The derived indexes (docs/STORE.md): tables that say nothing their
 * source tables do not, kept so that a hot path reads a few keys instead of
 * decoding a whole table.
 *
 *   tender_events          tender id 0x00 seq u64   one per log event that
 *                                                   names the tender
 *   suspending_complaints  tender id 0x00 seq u32   one per complaint whose
 *                                                   acceptance stopped the
 *                                                   tender's deadline
 *                                                   (tnd_complaint_suspends_by_acceptance:
 *                                                   once in, in for good)
 *
 * They are derived, never recorded: the writer derives each entry when it
 * writes the source record (tnd_wtx_append_event, tnd_wtx_put_msg), a node
 * applying a change set derives them from the records the set puts, and
 * opening a format-6 database builds them from its tables. Change sets carry
 * no entry of theirs, and a node that replays old batches gets the same
 * indexes as the writer that wrote them. Log events and complaints are
 * never deleted, so neither is an entry. */
#ifndef TND_SERVER_STORE_DERIVED_H
#define TND_SERVER_STORE_DERIVED_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The entries that msg, the record just put at key in table t (a
 * tender.events.v1.Event in EVENTS, a Complaint in COMPLAINTS), derives;
 * nothing for other tables. 0, or an LMDB error (MDB_BAD_VALSIZE: a key
 * that cannot be an index's). */
int tnd__derived_put(MDB_txn *txn, const MDB_dbi *dbi, tnd_table t, const void *key, size_t klen,
                     const void *msg);

/* The same from the record as stored (val, vlen); MDB_CORRUPTED when it
 * does not decode, or when an event's seq is not its key's. */
int tnd__derived_put_encoded(MDB_txn *txn, const MDB_dbi *dbi, tnd_table t, const void *key,
                             size_t klen, const void *val, size_t vlen);

/* Build every derived index from its source tables (converting a format-6
 * database). 0 and the records read in *n, or an LMDB error with *n the
 * records read before the one that failed. */
int tnd__derived_build(MDB_txn *txn, const MDB_dbi *dbi, uint64_t *n);

#endif
