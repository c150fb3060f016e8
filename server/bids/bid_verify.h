/* Checking the signatures of submitted bids in libuv's thread pool, the
 * bids of one turn of the event loop together.
 *
 * At a deadline thousands of bids arrive within a few turns of the loop.
 * Handing each to the pool as a job of its own costs the loop a lock and,
 * while a worker sleeps, a futex call to wake it, and costs each worker a
 * wake-up of the loop when it is done. The verifier collects the bids a
 * turn brings and hands them to the pool at the start of the next turn (a
 * uv_idle handle: the loop does not wait for I/O while bids wait), in a few
 * jobs: as many as the pool has workers, of at most VERIFY_JOB_MAX bids
 * each. */
#ifndef TND_SERVER_BID_VERIFY_H
#define TND_SERVER_BID_VERIFY_H

#include "svc/svc.h"

typedef struct tnd_bid_verifier tnd_bid_verifier;

/** Check the signature of op's SubmitBidRequest by the caller's key, then
 * tnd_op_submit(op), or fail it: INVALID_ARGUMENT for a bad signature,
 * UNAVAILABLE when the check could not run. The server's verifier is made
 * on first use (srv->bid_verifier). Loop thread. */
void tnd_bid_verify_submit(tnd_server *srv, tnd_op *op);

/** How many jobs srv's verifier has handed to the pool so far (tests). */
size_t tnd_bid_verifier_jobs(const tnd_server *srv);

/** Stop srv's verifier (services' shutdown): bids not yet handed to the
 * pool fail with UNAVAILABLE; jobs in the pool finish and end their ops as
 * usual, and the verifier is freed after the last. */
void tnd_bid_verifier_stop(tnd_server *srv);

#endif
