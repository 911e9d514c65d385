/*
 * mpsc.h - the bounded MPSC index queue with per-cell sequence numbers
 * (LAYOUT.md 5.4). Values read from the region are checked before use
 * (LAYOUT.md 7): a bad one gives INDEXBUS_CORRUPT.
 */
#ifndef IB_MPSC_H
#define IB_MPSC_H

#include "atomics.h"
#include "view.h"

/* ---- MPSC index queue (bounded, per-cell sequence) ---------------------------
 * cell.seq == pos: free for the writer of pos; == pos + 1: holds pos's value. */

/* Push idx. *journal (the producer's participant entry) holds position + 1
 * while a cell may be ours, so a recoverer can skip it if we die. */
static inline int ib_mpsc_push(indexbus_mpsc_ctl *ctl, uint32_t mask, uint32_t idx,
                               uint64_t *journal)
{
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(ctl + 1);
    for (;;) {
        uint64_t pos = ib_load_relaxed(&ctl->tail);
        indexbus_mpsc_cell *cell;
        for (;;) {
            cell = &cells[pos & mask];
            /* pairs with the release store of seq in ib_mpsc_advance (cell freed) */
            uint64_t seq = ib_load_acquire(&cell->seq);
            int64_t dif = (int64_t)(seq - pos);
            /* a skipped cell of the previous lap reads as that lap's pos + 1 */
            int64_t skipped = (int64_t)((seq & ~INDEXBUS_MPSC_SKIP) - pos);
            if ((seq & INDEXBUS_MPSC_SKIP) && skipped <= 0 && skipped >= -(int64_t)mask - 1)
                dif = skipped;
            if (dif == 0) {
                ib_store_relaxed(journal, pos + 1); /* before the reservation */
                if (ib_cas_relaxed(&ctl->tail, &pos, pos + 1))
                    break;
            } else if (dif < 0) {
                ib_store_relaxed(journal, 0);
                return INDEXBUS_FULL;
            } else {
                uint64_t t = ib_load_relaxed(&ctl->tail);
                if (t == pos) {
                    ib_store_relaxed(journal, 0);
                    return INDEXBUS_CORRUPT; /* seq ahead of every reservation */
                }
                pos = t;
            }
        }
        ib_store_relaxed(&cell->value, idx);
        uint64_t expect = pos;
        /* release pairs with the acquire load of seq in ib_mpsc_peek */
        int ok = ib_cas_release(&cell->seq, &expect, pos + 1);
        ib_store_relaxed(journal, 0);
        if (ok)
            return INDEXBUS_OK;
        /* a recoverer took us for dead and skipped the cell: reserve again */
    }
}

static inline void ib_mpsc_advance(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *pos)
{
    indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[*pos & mask];
    /* pairs with the acquire load of seq in ib_mpsc_push: free for pos + cap */
    ib_store_release(&cell->seq, *pos + mask + 1);
    (*pos)++;
    /* pairs with acquire loads of head by observers (depth, disconnect) */
    ib_store_release(&ctl->head, *pos);
}

/* Reader: the next index without consuming it; passes over skipped cells. */
static inline int ib_mpsc_peek(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *pos, uint32_t *idx)
{
    for (uint32_t n = 0; n <= mask; n++) {
        indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[*pos & mask];
        /* pairs with the release CAS of seq in ib_mpsc_push */
        uint64_t seq = ib_load_acquire(&cell->seq);
        if (seq == *pos + 1) {
            *idx = ib_load_relaxed(&cell->value);
            return INDEXBUS_OK;
        }
        if (seq == *pos)
            return INDEXBUS_EMPTY;
        if (seq != ((*pos + 1) | INDEXBUS_MPSC_SKIP))
            return INDEXBUS_CORRUPT;
        ib_mpsc_advance(ctl, mask, pos); /* a dead producer's empty cell */
    }
    return INDEXBUS_EMPTY;
}

static inline uint64_t ib_mpsc_depth(const indexbus_mpsc_ctl *ctl, uint32_t cap)
{
    /* head pairs with ib_mpsc_advance's release; tail carries no data (5.2) */
    uint64_t h = ib_load_acquire(&ctl->head), t = ib_load_acquire(&ctl->tail);
    return t - h > cap ? cap : t - h;
}

/* A reader that died between freeing an MPSC cell and moving head leaves
 * head on a cell already marked free for the next lap: finish the move
 * (recovery and the sweep, LAYOUT.md 5.14). */
static inline void ib_mpsc_settle_head(indexbus_mpsc_ctl *ctl, uint32_t mask)
{
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(ctl + 1);
    uint64_t h = ib_load_acquire(&ctl->head); /* pairs with ib_mpsc_advance's release */
    /* pairs with the release store of seq in ib_mpsc_advance (or a
     * producer's publishing CAS, for a refilled cell) */
    uint64_t seq = ib_load_acquire(&cells[h & mask].seq);
    /* freed for the next lap, and maybe already refilled or skipped there */
    if ((seq & ~INDEXBUS_MPSC_SKIP) - h >= (uint64_t)mask + 1)
        ib_store_release(&ctl->head, h + 1); /* as ib_mpsc_advance: pairs with observers' acquire */
}

#endif /* IB_MPSC_H */
