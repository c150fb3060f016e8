/* One method's call-duration histogram from tenderd's /metrics (plain HTTP,
 * --metrics HOST:PORT), for the benchmarks' server-side figures: the time
 * from a call's arrival to its end inside tenderd, without the network and
 * the client (docs/BENCHMARKS.md). */
#ifndef TND_BENCH_SCRAPE_H
#define TND_BENCH_SCRAPE_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SCRAPE_MAX 32

typedef struct bench_scrape {
    size_t n;                       /* buckets, in the order served; +Inf last */
    double le[BENCH_SCRAPE_MAX];    /* upper bounds in seconds; +Inf is INFINITY */
    uint64_t cum[BENCH_SCRAPE_MAX]; /* calls at or below each bound, since tenderd started */
    double sum_s;                   /* their total duration */
    uint64_t count;
} bench_scrape;

/** GET http://HOSTPORT/metrics and read the histogram of method (a full name,
 * "tender.log.v1.Log/GetInclusionProof"). A method not called yet reads as
 * empty (n 0). Returns 0, or -1 with err saying why. */
int bench_scrape_calls(const char *hostport, const char *method, bench_scrape *out, char *err,
                       size_t err_len);

/** The calls between two scrapes of the same server: after - before, bucket
 * by bucket (before may be empty). Returns 0, or -1 when the buckets differ. */
int bench_scrape_diff(const bench_scrape *after, const bench_scrape *before, bench_scrape *out);

/** The smallest bound at or below which pct percent of d's calls ended
 * (INFINITY when only +Inf holds them; 0 when d is empty). */
double bench_scrape_bound(const bench_scrape *d, double pct);

/** The share of d's calls at or below le seconds (le must be one of its
 * bounds; -1 when it is not or d is empty). */
double bench_scrape_share(const bench_scrape *d, double le);

#endif
