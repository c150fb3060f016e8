/* The load generator's latency histogram: see hist.h. */
#include "hist.h"

#include <string.h>

void bench_hist_init(bench_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

/* The bucket of v: exact below HIST_SUB, then HIST_SUB / 2 per octave. */
static unsigned bucket_of(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS */
    unsigned shift = msb - (HIST_SUB_BITS - 1);        /* >= 1 */
    unsigned top = (unsigned)(v >> shift);             /* in [HIST_SUB / 2, HIST_SUB) */
    return HIST_SUB + (shift - 1) * (HIST_SUB / 2) + (top - HIST_SUB / 2);
}

/* The highest value that falls into bucket b. */
static uint64_t bucket_top(unsigned b)
{
    if (b < HIST_SUB)
        return b;
    unsigned shift = (b - HIST_SUB) / (HIST_SUB / 2) + 1;
    uint64_t top = (b - HIST_SUB) % (HIST_SUB / 2) + HIST_SUB / 2;
    uint64_t low = top << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

void bench_hist_record(bench_hist *h, uint64_t v)
{
    h->buckets[bucket_of(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void bench_hist_merge(bench_hist *dst, const bench_hist *src)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t bench_hist_percentile(const bench_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    double want = p / 100.0 * (double)h->count;
    uint64_t rank = want <= 0.0 ? 0 : (uint64_t)want;
    if ((double)rank < want)
        rank++; /* the ceiling, without libm */
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t v = bucket_top(b);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double bench_hist_mean(const bench_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
