/* Idempotency records expire: a reply kept so that a retried request gets
 * the first answer is kept for the idempotency window (setting
 * idempotency-window), then pruned, so the table does not grow forever. */
#ifndef TND_SERVER_IDEM_H
#define TND_SERVER_IDEM_H

#include <stddef.h>
#include <stdint.h>

#include "transport/server.h"
#include "store/store.h"

/** Writer thread, with the reply stored under key: note when it expires
 * (the batch time + window_ms). Returns as tnd_wtx_put_raw. */
int tnd__idem_expire_at(tnd_wtx *w, const char *key, size_t klen, uint64_t window_ms);

/** Start pruning expired records on srv's loop; 0 or TND_ENOMEM. */
int tnd_idem_pruner_start(tnd_server *srv);

/** The server's clock jumped (a manual clock): prune what is due now. */
void tnd_idem_pruner_clock_moved(tnd_server *srv);

/** Stop it (before the store closes). */
void tnd_idem_pruner_stop(tnd_server *srv);

#endif
