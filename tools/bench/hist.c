/* hist.c - a log-linear histogram of nanosecond values: exact below 64 ns,
 * then 2^HIST_SUB_BITS buckets per power of two (about 3% wide), up to
 * 2^46 ns. Fixed size, no allocation, so it lives in shared memory and
 * merges by adding counts. Percentiles report the bucket's midpoint. */
#include <string.h>

#include "bench.h"

#define SUB (1u << HIST_SUB_BITS)

static uint32_t index_of(uint64_t v)
{
    if (v < 64)
        return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v); /* 2^e <= v, e >= 6 */
    if (e > 45)
        return HIST_BUCKETS - 1;
    uint32_t sub = (uint32_t)(v >> (e - HIST_SUB_BITS)) & (SUB - 1);
    return 64u + (e - 6u) * SUB + sub;
}

/* Midpoint of bucket i. */
static uint64_t value_of(uint32_t i)
{
    if (i < 64)
        return i;
    uint32_t e = (i - 64u) / SUB + 6u, sub = (i - 64u) % SUB;
    uint64_t width = 1ull << (e - HIST_SUB_BITS);
    return (1ull << e) + sub * width + width / 2;
}

void hist_init(hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void hist_add(hist *h, uint64_t v)
{
    h->bucket[index_of(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_merge(hist *into, const hist *from)
{
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_pct(const hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    if (pct >= 100.0)
        return h->max;
    /* the smallest value with at least pct% of the samples at or below it */
    uint64_t want = (uint64_t)((double)h->count * pct / 100.0 + 0.999999);
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want) {
            uint64_t v = value_of(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}
