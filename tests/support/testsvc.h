/* Test support: handlers for tender.test.v1.Sample (tests/schema/sample.schema),
 * a service with one method of each call kind, served by the in-process
 * server. Counters let tests observe what the handlers saw. */
#ifndef TND_TEST_TESTSVC_H
#define TND_TEST_TESTSVC_H

#include <stdatomic.h>

#include "transport/server.h"
#include "test_schema.h"

/* Sample/ServerStream request: u32 = how many messages to stream; i32 = bytes
 * of padding per message (in field s); d = delay in ms before finishing
 * (with u32 == 0); s == "forever": never finish. */
extern _Atomic int testsvc_cancelled; /* on_cancel calls seen */
extern _Atomic int testsvc_produced;  /* ServerStream messages handed to the transport */
extern _Atomic int testsvc_finished;  /* calls the handlers finished themselves */

/** Register the test schema and the Sample handlers on srv. */
void testsvc_setup(tnd_server *srv);

void testsvc_reset(void);

#endif
