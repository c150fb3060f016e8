/* Test support: a tender with lots and an opening with per-lot lines,
 * written straight into a stopped server's database, so that award tests
 * pin the award rules on exactly the opening they describe. */
#ifndef TND_TEST_LOTFIX_H
#define TND_TEST_LOTFIX_H

#include <stdint.h>

/* One bid's line for one lot. */
typedef struct lotfix_line {
    const char *lot;     /* NULL: no more lines for this bid */
    int64_t price;       /* KRW minor units */
    const char *failure; /* NULL: valid for the lot */
} lotfix_line;

/** In the database folder db (no server running on it): give tender id
 * lots "L1" and "L2" (North roads, South roads: 500000 KRW each, lowest
 * price) in its current fields and every stored version when it has none,
 * every lot state ACTIVE, and rewrite its opening record: bid ids[i] valid
 * as a bid, without a bid-level price, answering lines[i] (up to two).
 * Fails the test on any error. */
void lotfix_write(const char *db, const char *id, const char *const ids[2],
                  const lotfix_line lines[2][2]);

#endif
