/* locks.c - the two lock bytes of each participant entry (LAYOUT.md 5.13):
 * an OFD write lock on the liveness byte for as long as the participant
 * lives (the kernel drops it when the process dies, whatever kills it), and
 * the recovery byte a recoverer holds. Taking and freeing an entry. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../common/atomics.h"
#include "liveness.h"

uint64_t ib_entry_offset(const ib_view *v, uint32_t slot)
{
    return (uint64_t)((const uint8_t *)&v->parts->entries[slot] - v->base);
}

static struct flock entry_byte(const ib_view *v, uint32_t slot, uint32_t byte, short type)
{
    struct flock fl = {0};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)(ib_entry_offset(v, slot) + byte);
    fl.l_len = 1;
    return fl;
}

int ib_lock_entry(int fd, const ib_view *v, uint32_t slot, uint32_t byte, short type)
{
    struct flock fl = entry_byte(v, slot, byte, type);
    return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

/* 1 if another open file description locks that byte, 0 if not, -2 if we
 * cannot tell. */
static int byte_locked(indexbus_region *r, uint32_t slot, uint32_t byte)
{
    int fd = ib_open_probe(r);
    if (fd < 0)
        return -2;
    struct flock fl = entry_byte(&r->v, slot, byte, F_WRLCK);
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        return -2;
    return fl.l_type != F_UNLCK;
}

/* Claim bit `slot` of the process-local map of entries we hold; 0 if a
 * handle of ours already does (our OFD would not see its lock). */
static int claim_mine(indexbus_region *r, uint32_t slot)
{
    uint64_t bit = 1ull << (slot % 64);
    /* process-local; pairs with the fetch_and in drop_mine (the thread that
     * dropped the entry is done with it) */
    return !(ib_fetch_or_acq_rel(&r->mine[slot / 64], bit) & bit);
}

static void drop_mine(indexbus_region *r, uint32_t slot)
{
    /* process-local; pairs with the fetch_or in claim_mine */
    ib_fetch_and_acq_rel(&r->mine[slot / 64], ~(1ull << (slot % 64)));
}

int ib_is_mine(indexbus_region *r, uint32_t slot)
{
    /* process-local; pairs with the fetch_or in claim_mine */
    return (ib_load_acquire(&r->mine[slot / 64]) >> (slot % 64)) & 1;
}

/* Take a free entry: its liveness lock first, then the state word, so an
 * ACTIVE entry is never unlocked while its owner lives. */
uint32_t ib_take_entry(indexbus_region *r)
{
    ib_view *v = &r->v;
    indexbus_participant *e = v->parts->entries;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        if (ib_load_relaxed(&e[i].state) != INDEXBUS_PARTICIPANT_FREE || !claim_mine(r, i))
            continue;
        if (ib_lock_entry(r->fd, v, i, INDEXBUS_LOCK_LIVENESS, F_WRLCK)) {
            uint32_t expect = INDEXBUS_PARTICIPANT_FREE;
            /* pairs with detach's and recovery's release store of FREE: the
             * previous owner's clearing of the entry is visible */
            if (ib_cas_acq_rel(&e[i].state, &expect, INDEXBUS_PARTICIPANT_ACTIVE))
                return i;
            ib_lock_entry(r->fd, v, i, INDEXBUS_LOCK_LIVENESS, F_UNLCK); /* a dead entry awaiting recovery */
        }
        drop_mine(r, i);
    }
    return INDEXBUS_MAX_PARTICIPANTS;
}

void ib_release_entry(indexbus_region *r, uint32_t slot)
{
    /* pairs with the acquire CAS in ib_take_entry and the acquire loads of
     * state by probers (ib_participant_alive, recover_if_dead) */
    ib_store_release(&r->v.parts->entries[slot].state, INDEXBUS_PARTICIPANT_FREE);
    ib_lock_entry(r->fd, &r->v, slot, INDEXBUS_LOCK_LIVENESS, F_UNLCK);
    drop_mine(r, slot);
}

int ib_open_probe(indexbus_region *r)
{
    int fd = ib_load_acquire(&r->probe_fd); /* process-local; pairs with the CAS below */
    if (fd >= 0)
        return fd;
    /* /proc/self/fd re-opens the same file as a new open file description */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", r->fd);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int expect = -1;
    /* process-local; pairs with the acquire load above in another thread */
    if (!ib_cas_acq_rel(&r->probe_fd, &expect, fd)) {
        close(fd);
        fd = expect;
    }
    return fd;
}

int ib_participant_alive(indexbus_region *r, uint32_t slot)
{
    /* pairs with the release CAS in ib_take_entry and release_entry's store */
    if (ib_load_acquire(&r->v.parts->entries[slot].state) != INDEXBUS_PARTICIPANT_ACTIVE)
        return -1;
    if (ib_is_mine(r, slot))
        return 1;
    return byte_locked(r, slot, INDEXBUS_LOCK_LIVENESS);
}

int ib_being_recovered(indexbus_region *r, uint32_t slot)
{
    return byte_locked(r, slot, INDEXBUS_LOCK_RECOVERY) == 1;
}
