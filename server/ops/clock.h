/* The server's wall clock. Production reads the real time (a NULL clock);
 * tests hand the server a manual clock that moves only when they move it,
 * so a deadline or a standstill passes without sleeping. Everything that
 * dates or times a tender reads one clock: the store's writer (the time of
 * a batch, hence of every event and of the outage rule), the deadline
 * scheduler, the idempotency pruner and the log lines. Connection timeouts
 * are not wall time: they follow the event loop's own clock. */
#ifndef TND_SERVER_CLOCK_H
#define TND_SERVER_CLOCK_H

#include <stdint.h>

typedef struct tnd_clock {
    _Atomic int64_t ms; /* the manual time, milliseconds since the epoch */
} tnd_clock;

/** Milliseconds since the epoch: CLOCK_REALTIME for NULL, else the manual
 * time. Any thread. */
int64_t tnd_clock_ms(const tnd_clock *c);

/** Set a manual clock to ms (0: the real time now). */
void tnd_clock_set(tnd_clock *c, int64_t ms);

/** Move a manual clock forward by ms. */
void tnd_clock_advance(tnd_clock *c, int64_t ms);

#endif
