/* The tender_events index (docs/STORE.md): one key per log event that names
 * a tender, so that a tender's events are found without a pass over the log.
 *
 * It is derived, never recorded: the writer indexes each event it appends,
 * a node applying a change set indexes each event the set puts into the
 * log, and opening a format-6 database indexes its whole log. Change sets
 * therefore carry no index entries, and a node that replays old batches
 * gets the same index as the writer that wrote them. */
#ifndef TND_SERVER_STORE_EVENT_INDEX_H
#define TND_SERVER_STORE_EVENT_INDEX_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* Index event seq of tender_id in txn (nothing when tender_id is NULL or
 * empty: a bid's event names no tender). 0, or an LMDB error; MDB_BAD_VALSIZE
 * for an id longer than a tender id can be. */
int tnd__event_index_put(MDB_txn *txn, MDB_dbi index, const char *tender_id, uint64_t seq);

/* The same from an event as the log stores it (a tender.events.v1.Event);
 * MDB_CORRUPTED when it does not decode or its seq is not seq. */
int tnd__event_index_put_encoded(MDB_txn *txn, MDB_dbi index, const void *event, size_t len,
                                 uint64_t seq);

#endif
