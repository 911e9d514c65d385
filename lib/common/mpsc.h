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

/* A cell's seq against the position pos a producer would write there:
 * 0 free for pos, < 0 still holds (or skips) the previous lap, > 0 ahead. */
static inline int64_t ib_mpsc_cell_dif(uint64_t seq, uint64_t pos, uint32_t mask)
{
    int64_t dif = (int64_t)(seq - pos);
    /* a skipped cell of the previous lap reads as that lap's pos + 1 */
    int64_t skipped = (int64_t)((seq & ~INDEXBUS_MPSC_SKIP) - pos);
    if ((seq & INDEXBUS_MPSC_SKIP) && skipped <= 0 && skipped >= -(int64_t)mask - 1)
        dif = skipped;
    return dif;
}

/* Reserve one cell: its position in *pos. *journal (the producer's
 * participant entry) holds position + 1 while a cell may be ours, so a
 * recoverer can skip it if we die; cleared here on FULL / CORRUPT, else by
 * the caller once the cell is filled or skipped. */
static inline int ib_mpsc_reserve1(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *journal,
                                   uint64_t *pos_out)
{
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(ctl + 1);
    uint64_t pos = ib_load_relaxed(&ctl->tail);
    for (;;) {
        /* pairs with the release store of seq in ib_mpsc_advance (cell freed) */
        int64_t dif = ib_mpsc_cell_dif(ib_load_acquire(&cells[pos & mask].seq), pos, mask);
        if (dif == 0) {
            ib_store_relaxed(journal, pos + 1); /* before the reservation */
            if (ib_cas_relaxed(&ctl->tail, &pos, pos + 1)) {
                *pos_out = pos;
                return INDEXBUS_OK;
            }
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
}

/* Publish idx in our reserved cell pos: 0 if a recoverer that took us for
 * dead has skipped it meanwhile (the message is still ours to push). */
static inline int ib_mpsc_fill(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t pos, uint32_t idx)
{
    indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[pos & mask];
    ib_store_relaxed(&cell->value, idx);
    uint64_t expect = pos;
    /* release pairs with the acquire load of seq in ib_mpsc_peek */
    return ib_cas_release(&cell->seq, &expect, pos + 1);
}

/* Push idx: reserve, fill; a cell skipped under us is reserved again. */
static inline int ib_mpsc_push(indexbus_mpsc_ctl *ctl, uint32_t mask, uint32_t idx,
                               uint64_t *journal)
{
    for (;;) {
        uint64_t pos;
        int st = ib_mpsc_reserve1(ctl, mask, journal, &pos);
        if (st != INDEXBUS_OK)
            return st;
        int ok = ib_mpsc_fill(ctl, mask, pos, idx);
        ib_store_relaxed(journal, 0);
        if (ok)
            return INDEXBUS_OK;
        /* a recoverer took us for dead and skipped the cell: reserve again */
    }
}

/* ---- batch reservation (1.3, INDEXBUS_CAP_MPSC_BATCH, LAYOUT.md 5.4.1) ----
 * One CAS on tail reserves up to `want` consecutive free cells; the
 * producer then fills each with ib_mpsc_fill, in order. The journal is the
 * entry's mpsc_reserve (position + 1 of the first cell) and reserved (how
 * many): reserved is stored first and cleared last, so whenever
 * mpsc_reserve names a position, reserved is the count that goes with it
 * (a kill is precise: what a dead writer leaves is a prefix of its stores). */
/* The most cells one reservation covers: a recoverer clamps a dead
 * producer's count to this (LAYOUT.md 5.4.1). */
#define IB_MPSC_BATCH_MAX 64u

typedef struct ib_mpsc_journal {
    uint64_t *reserve; /* participant mpsc_reserve (+40) */
    uint32_t *count;   /* participant reserved (+60) */
} ib_mpsc_journal;

static inline void ib_mpsc_journal_clear(ib_mpsc_journal j)
{
    ib_store_relaxed(j.reserve, 0); /* first: a count without a position names nothing */
    ib_store_relaxed(j.count, 0);
}

/* Free cells from pos on, up to want: stop at the first that is not. */
static inline uint32_t ib_mpsc_free_run(indexbus_mpsc_cell *cells, uint32_t mask, uint64_t pos,
                                        uint32_t want)
{
    uint32_t n = 1; /* the caller found cell pos free */
    /* pairs with the release store of seq in ib_mpsc_advance (cell freed) */
    while (n < want && ib_mpsc_cell_dif(ib_load_acquire(&cells[(pos + n) & mask].seq), pos + n,
                                        mask) == 0)
        n++;
    return n;
}

/* Reserve 1..want cells (want <= 64) with one CAS: the count (> 0) and
 * *first, or -FULL / -CORRUPT with the journal cleared. Only cells free
 * for their own position are taken, so a reservation never covers a cell
 * the reader has not freed; a cell read free stays free while tail is
 * still pos (only the writer of its position, which needs tail past it,
 * or a recoverer, which skips only below tail, changes a free cell). */
static inline int ib_mpsc_reserve_n(indexbus_mpsc_ctl *ctl, uint32_t mask, uint32_t want,
                                    ib_mpsc_journal j, uint64_t *first)
{
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(ctl + 1);
    uint64_t pos = ib_load_relaxed(&ctl->tail);
    if (want > IB_MPSC_BATCH_MAX)
        want = IB_MPSC_BATCH_MAX;
    if (want > mask + 1)
        want = mask + 1;
    for (;;) {
        /* pairs with the release store of seq in ib_mpsc_advance (cell freed) */
        int64_t dif = ib_mpsc_cell_dif(ib_load_acquire(&cells[pos & mask].seq), pos, mask);
        if (dif == 0) {
            uint32_t n = ib_mpsc_free_run(cells, mask, pos, want);
            ib_store_relaxed(j.count, n); /* before the position: see above */
            ib_store_relaxed(j.reserve, pos + 1); /* before the reservation */
            if (ib_cas_relaxed(&ctl->tail, &pos, pos + n)) {
                *first = pos;
                return (int)n;
            }
            /* failed: pos now holds the current tail; retry */
        } else if (dif < 0) {
            ib_mpsc_journal_clear(j);
            return -INDEXBUS_FULL;
        } else {
            uint64_t t = ib_load_relaxed(&ctl->tail);
            if (t == pos) {
                ib_mpsc_journal_clear(j);
                return -INDEXBUS_CORRUPT; /* seq ahead of every reservation */
            }
            pos = t;
        }
    }
}

/* Give up our reserved cell pos unfilled, as a recoverer would: the reader
 * passes over it. Fails harmlessly if a recoverer skipped it first. */
static inline void ib_mpsc_skip_own(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t pos)
{
    uint64_t expect = pos;
    /* release pairs with the acquire load of seq in ib_mpsc_peek (no data:
     * the reader only passes over it) */
    (void)ib_cas_release(&((indexbus_mpsc_cell *)(ctl + 1))[pos & mask].seq, &expect,
                         (pos + 1) | INDEXBUS_MPSC_SKIP);
}

static inline void ib_mpsc_advance(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *pos)
{
    indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[*pos & mask];
    /* pairs with the acquire load of seq in ib_mpsc_reserve1 (and _reserve_n): free for pos + cap */
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
        /* pairs with the release CAS of seq in ib_mpsc_fill */
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
