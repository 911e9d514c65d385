/* state.c - a byte stream's writer seats and latched state (LAYOUT.md
 * 5.18). One u64 holds a bit per seat, the latched flags and the count of
 * writers that died, so joining, leaving, ending and counting an abort are
 * each one CAS. A seat's owner word names the entry that holds it: it is
 * taken (CAS) before the seat bit is set and freed after the bit is
 * cleared, so recovery always knows whose bit it clears, and clears it at
 * most once. */
#include "../common/atomics.h"
#include "../common/wake.h"
#include "../region/region.h"
#include "stream.h"

#define SEATS INDEXBUS_STREAM_SEAT_MASK
#define ABORTS_MAX 4095u
/* CAS attempts on the state word before giving up: honest peers change it
 * a few times per join or leave; a word that keeps changing is forged */
#define CAS_TRIES 4096u

/* CAS the state word from s to n; s gets the current value on failure. */
static int cas_state(ib_view *v, uint64_t *s, uint64_t n)
{
    /* acq_rel: pairs with the other CASes of the word and with the
     * reader's acquire load in ib_stream_load */
    return ib_cas_acq_rel(&v->stream->state, s, n);
}

static void free_seat(ib_view *v, uint32_t i)
{
    /* after the bit: pairs with the acquire CAS of the next taker (join) */
    ib_store_release(&v->stream->seat_owner[i], 0);
}

int ib_stream_join(ib_view *v, uint32_t part, uint32_t *seat)
{
    uint32_t me = part + 1, i;
    for (i = 0; i < INDEXBUS_STREAM_SEATS; i++) {
        uint32_t free_ = 0;
        /* pairs with the release store of 0 in free_seat */
        if (ib_cas_acq_rel(&v->stream->seat_owner[i], &free_, me))
            break;
    }
    if (i == INDEXBUS_STREAM_SEATS)
        return INDEXBUS_BUSY;
    uint64_t s = ib_stream_load(v), bit = 1ull << i;
    int st = INDEXBUS_CORRUPT; /* a word that never stops changing */
    for (uint32_t tries = 0; tries < CAS_TRIES; tries++) {
        st = s & (INDEXBUS_STREAM_ST_ENDED | INDEXBUS_STREAM_ST_READER_GONE) ? INDEXBUS_DISCONNECTED
             : s & bit ? INDEXBUS_CORRUPT /* a free seat's bit is clear (5.18) */
                       : INDEXBUS_OK;
        if (st != INDEXBUS_OK || cas_state(v, &s, s | bit))
            break;
        st = INDEXBUS_CORRUPT;
    }
    if (st != INDEXBUS_OK) {
        free_seat(v, i);
        return st;
    }
    *seat = i;
    return INDEXBUS_OK;
}

/* Clear seat i's bit if it is still set (its holder has not left); the
 * last seat out ends the stream. Returns 1 if this call cleared it. */
static int clear_seat(ib_view *v, uint32_t i, int aborted)
{
    uint64_t s = ib_stream_load(v), bit = 1ull << i;
    for (uint32_t tries = 0; tries < CAS_TRIES; tries++) {
        if (!(s & bit))
            return 0; /* left already (a recoverer dying after the CAS) */
        uint64_t n = s & ~bit;
        if (!(n & SEATS))
            n |= INDEXBUS_STREAM_ST_ENDED;
        if (aborted) {
            uint64_t k = s >> INDEXBUS_STREAM_ST_ABORTS_SHIFT;
            n |= INDEXBUS_STREAM_ST_ABORTED;
            if (k < ABORTS_MAX)
                n += 1ull << INDEXBUS_STREAM_ST_ABORTS_SHIFT;
        }
        if (cas_state(v, &s, n))
            return 1;
    }
    return 0; /* a word that never stops changing: a peer rewriting it */
}

void ib_stream_leave(ib_view *v, uint32_t seat, int aborted)
{
    /* the seat is ours: we took it and nobody frees a live one */
    clear_seat(v, seat, aborted);
    free_seat(v, seat);
    ib_wake_all(v); /* the reader may be waiting for the end */
}

void ib_stream_latch(ib_view *v, uint64_t flag)
{
    uint64_t s = ib_stream_load(v);
    for (uint32_t tries = 0; tries < CAS_TRIES && !(s & flag); tries++)
        if (cas_state(v, &s, s | flag))
            break;
    ib_wake_all(v); /* writers parked for room see DISCONNECTED */
}

void ib_stream_recover_entry(ib_view *v, uint32_t slot, int was_reader)
{
    for (uint32_t i = 0; i < INDEXBUS_STREAM_SEATS; i++) {
        /* pairs with the taker's acquire CAS in join (read once, compared only) */
        if (ib_load_acquire(&v->stream->seat_owner[i]) != slot + 1)
            continue;
        clear_seat(v, i, 1);
        free_seat(v, i);
    }
    if (was_reader)
        ib_stream_latch(v, INDEXBUS_STREAM_ST_READER_GONE);
    else
        ib_wake_all(v);
}

INDEXBUS_API int indexbus_stream_state(const indexbus_region *region, uint32_t *flags,
                                       uint32_t *writers_aborted)
{
    if (region == NULL || flags == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = &region->v;
    if (v->stream == NULL)
        return INDEXBUS_WRONG_KIND;
    uint32_t writers, aborted;
    ib_stream_decode(ib_stream_load(v), flags, &writers, &aborted);
    if (writers_aborted != NULL)
        *writers_aborted = aborted;
    return INDEXBUS_OK;
}
