/*
 * fuzz13_ops.h - layout 1.3 ops of fuzz_region (54-56, do_op13; included
 * by fuzz_region.c after its handles and ops): a recycling cycle (SPSC
 * publish, route, every consumer receives: park, take-back, hand-back,
 * LAYOUT.md 5.21), an MPSC publish_batch of 1..64 (one reservation, 5.4.1),
 * and a starved SPSC producer (publish until FULL, route the empty source:
 * the router's idle refill). Variants 40-47 are in fuzz13.h.
 */
#ifndef IB_FUZZ13_OPS_H
#define IB_FUZZ13_OPS_H

/* Every open consumer takes up to two messages (a release parks the slot). */
static void recv_all13(fz *f)
{
    for (uint32_t i = 0; i < f->nc; i++) {
        size_t len;
        for (int j = 0; j < 2 && f->c[i] != NULL; j++) {
            int st = CK(indexbus_try_recv(f->c[i], rxbuf, sizeof rxbuf, &len));
            if (st != INDEXBUS_OK)
                break;
            EXPECT(len <= sizeof rxbuf);
        }
    }
}

static void do_op13(fz *f, uint32_t opc, uint8_t a, uint8_t b)
{
    uint32_t mode = a & 8 ? INDEXBUS_MODE_WORK_QUEUE : INDEXBUS_MODE_BROADCAST;
    switch (opc) {
    case OP_RECYCLE_CYCLE: /* 1..8 laps of publish, route, receive: park, take back, hand back */
        for (uint32_t k = 0, n = 1 + a % 8; k < n; k++) {
            CK(indexbus_publish(f->p[P_SPSC], payload, b % 64));
            CK(indexbus_route_once(f->rt, INDEXBUS_SOURCE_ANY, mode));
            recv_all13(f);
        }
        break;
    case OP_MPSC_BATCH64: { /* one reservation of 1..64 cells (5.4.1) */
        uint32_t lens[64];
        size_t n = 1 + b % 64, done = 99;
        for (size_t i = 0; i < n; i++)
            lens[i] = (uint32_t)((b * (i + 1) * 13u + a) % 64u);
        int st = CK(indexbus_publish_batch(f->p[a & 1 ? P_MPSC2 : P_MPSC1], payload, lens, n, &done));
        EXPECT(done <= n);
        if (st == INDEXBUS_OK)
            EXPECT(done == n);
        break;
    }
    default: { /* OP_RECYCLE_STARVE: publish until FULL, route the empty source, again */
        int st = INDEXBUS_OK;
        for (uint32_t k = 0; k < 64 && st == INDEXBUS_OK; k++)
            st = CK(indexbus_publish(f->p[P_SPSC], payload, b % 64));
        for (uint32_t k = 0; k < 1 + a % 4u; k++)
            CK(indexbus_route_once(f->rt, INDEXBUS_SOURCE_ANY, mode));
        recv_all13(f);
        CK(indexbus_route_once(f->rt, INDEXBUS_SOURCE_ANY, mode));
        CK(indexbus_publish(f->p[P_SPSC], payload, b % 64));
        break;
    }
    }
}

#endif
