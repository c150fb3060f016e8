/* An HDR-style log-linear histogram of latencies for the load generator.
 *
 * Values (nanoseconds, or any unsigned unit) below 2^HIST_SUB_BITS are
 * counted exactly; above that every power of two is split into
 * 2^(HIST_SUB_BITS - 1) equal buckets, so a reported percentile is at most
 * 1/128 (0.8 %) above the true value. The whole 64-bit range fits in a fixed
 * array: recording never allocates and never fails.
 */
#ifndef TND_BENCH_HIST_H
#define TND_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 8
#define HIST_SUB (1u << HIST_SUB_BITS)
/* HIST_SUB exact buckets, then HIST_SUB / 2 per power of two from 2^HIST_SUB_BITS to 2^63 */
#define HIST_BUCKETS (HIST_SUB + (64 - HIST_SUB_BITS) * (HIST_SUB / 2))

typedef struct bench_hist {
    uint64_t count;
    uint64_t min, max;
    double sum; /* for the mean */
    uint64_t buckets[HIST_BUCKETS];
} bench_hist;

/** Empty the histogram. */
void bench_hist_init(bench_hist *h);

/** Count one value. */
void bench_hist_record(bench_hist *h, uint64_t v);

/** Add every count of src to dst. */
void bench_hist_merge(bench_hist *dst, const bench_hist *src);

/** The value at percentile p (0..100): the highest value of the bucket that
 * holds the ceil(p% of count)-th smallest value, never above the maximum
 * recorded. 0 when the histogram is empty. */
uint64_t bench_hist_percentile(const bench_hist *h, double p);

/** The mean of the recorded values; 0 when empty. */
double bench_hist_mean(const bench_hist *h);

#endif
