#!/usr/bin/env python3
"""make_corpus.py DIR - write the seed corpus of fuzz_region (reproducibly).

Each seed is one input in the format fuzz_region.c describes:
  byte 0 variant, byte 1 flags, bytes 2-3 truncation size / 16, then records
  (patch: tag >= 0x80 with u16 offset and data; mutation: tag 0x60-0x7f,
  queued for the mutator thread to write while the next call runs; call:
  op byte < 0x60 + 2 args).
Offsets come from the v1 layout rules (abi/LAYOUT.md section 3), recomputed
here for the baseline geometries the harness builds; keep VARIANTS and OPS in
step with fuzz_region.c. Files are named after what they exercise; existing
seed-*.bin files are replaced, anything else in DIR (e.g. regression
reproducers) is left alone. Seeds that reproduce a library bug not fixed
yet (PENDING) go to DIR/../pending instead, so that the smoke run does not
start from them; once the library is fixed, drop them from PENDING.
"""
import os
import struct
import sys

EVENTS, FANOUT, LOG, STREAM, RPC = 1, 2, 3, 4, 5
FRESH, TRAFFIC, CRASHED = 0, 1, 2
# byte-log states (fuzz_region.c build_log_variant)
LS_FRESH, LS_TRAFFIC, LS_WRAP, LS_CRASHED, LS_CRASHED_WRAP, LS_CRASHED_SPSC = range(6)
# byte-stream and request/response states (build_stream_variant, build_rpc_variant)
SS_FRESH, SS_ENDED, SS_CRASHED = range(3)
RS_FRESH, RS_TRAFFIC, RS_CRASHED, RS_STALE = range(4)
# durable states and journals (build_durable_variant)
DS_FRESH, DS_HELD, DS_CRASHED = range(3)
PJ_NONE, PJ_PUBLISHED, PJ_UNPUBLISHED, PJ_MARK_SET = range(4)
NVARIANTS = 48
# 1.3 create flags and the hostile touches of variants 40-47 (fuzz13.h)
RCY, BAT = 0x4, 0x8
H13_NONE, H13_PARK_POS, H13_FORGED_OWNER, H13_BATCH, H13_BAD_RESERVED = range(5)

# ops, in fuzz_region.c order
(TRY_RECV, RECV_BEGIN, RECV_END, RECV_BATCH, RECV_TIMEOUT0, WAIT0, PUBLISH, PUBLISH_BATCH,
 CLAIM, COMMIT, ABORT, ROUTE, ROUTE_STATS, ROUTE_CREDIT, INFO, REOPEN_CONSUMER,
 REOPEN_PRODUCER, REOPEN_ROUTER, RECOVER, ROUTER_RUN_STOPPED,
 # 1.1
 CLAIM_LEN, CLAIM_BATCH, COMMIT_BATCH, PUBLISH_WAIT0, CLAIM_WAIT0, PRODUCER_SPACE,
 # 1.1 byte streams and request/response
 STREAM_WRITE, STREAM_WRITE_ALL0, STREAM_READ, STREAM_WRITER, STREAM_READER, STREAM_STATE,
 RPC_REQUEST, RPC_CLAIM, RPC_SEND, RPC_WAIT0, RPC_DONE, RPC_CANCEL, RPC_CALL0, RPC_SERVE0,
 RPC_REPLY, RPC_REPLY_BUFFER, RPC_CLIENT, RPC_SERVER,
 # 1.2
 STREAM_WRITER_ABORT, RPC_ABORT, RPC_FAIL,
 # 1.2 durable state
 HOLD_REOPEN, RECV_HELD, RELEASE, PUBLISH_MARKED, PRODUCER_MARK, BRIDGE_COUNTERS,
 REGION_ID,
 # 1.3 (fuzz13_ops.h)
 RECYCLE_CYCLE, MPSC_BATCH64, RECYCLE_STARVE) = range(57)

F_TRUNCATE, F_READY_WAIT, F_EARLY_CLOSE, F_OTHER_KIND, F_NO_HOLD, F_HOLD = 1, 2, 4, 8, 0x10, 0x20

# section kinds; also the selectors of mutation records (0 = the whole file)
S_PARTS, S_COUNTERS, S_WAKE, S_ROUTER, S_SPSC, S_MPSC, S_CQ, S_POOL, S_LOG = range(1, 10)
SEL_FILE = 0
# the 1.1 kinds' sections past 9, by the selectors their kind does not use
# (fuzz_region.c note_sections): STREAM_CTL / RPC_CTL as 4, RPC_CELLS as 9
S_CTL11, S_CELLS = S_ROUTER, S_LOG
# 1.2: the DURABLE section (kind 13), reached through selector 9 on events
# and fanout (no LOG_RING), 4 on byte logs (no ROUTER); its fields
S_DUR = 13
DUR = {'mark': 0, 'pend_mark': 8, 'pend_pos': 16, 'region_id': 64, 'hold_mask': 128,
       'counters': 192}

# byte-log record types (layout.h INDEXBUS_LOG_*) and journal flags
T_EMPTY, T_RECORD, T_PAD, T_CLAIMED = 0, 1, 2, 3
RESERVING, RESERVED = 1, 2

# mutation records (fuzz_region.c, TAG_MUTATE): how the target value is made
MV_SET, MV_XOR, MV_ADD, MV_STEP = range(4)
HAMMER = 0  # rep 0: rewrite it for as long as the call runs


GEOMS = [  # kind, slots, data, queue, consumers (fuzz_region.c geoms[])
    (EVENTS, 16, 64, 16, 1), (FANOUT, 16, 64, 16, 2), (EVENTS, 8, 128, 4, 1),
    (FANOUT, 8, 128, 4, 3), (EVENTS, 2, 64, 2, 1), (FANOUT, 4, 64, 2, 64),
]


LOG_GEOMS = [  # bytes, max_record (0: default), MPSC producers, state (fuzz_region.c log_geoms[])
    (4096, 0, 0, LS_FRESH), (4096, 0, 1, LS_TRAFFIC), (4096, 0, 0, LS_WRAP),
    (4096, 0, 1, LS_CRASHED), (4096, 0, 1, LS_CRASHED_WRAP), (4096, 0, 0, LS_CRASHED_SPSC),
    (8192, 256, 1, LS_FRESH), (8192, 256, 0, LS_TRAFFIC),
]


NEW_GEOMS = [  # kind, ring bytes or cells, max_record (stream) or max_reply, max_request, state
    (STREAM, 4096, 0, 0, SS_FRESH), (STREAM, 8192, 256, 0, SS_FRESH),
    (STREAM, 4096, 0, 0, SS_ENDED), (STREAM, 8192, 256, 0, SS_CRASHED),
    (RPC, 4, 64, 64, RS_FRESH), (RPC, 4, 64, 64, RS_TRAFFIC),
    (RPC, 8, 64, 128, RS_CRASHED), (RPC, 130, 8, 8, RS_STALE),
]


DURABLE_GEOMS = [  # kind, slots or ring bytes, data or max_record, queue, consumers, state, journal
    (EVENTS, 16, 64, 16, 1, DS_HELD, PJ_PUBLISHED), (EVENTS, 8, 128, 4, 1, DS_CRASHED, PJ_UNPUBLISHED),
    (FANOUT, 16, 64, 16, 2, DS_HELD, PJ_PUBLISHED), (FANOUT, 8, 128, 4, 3, DS_CRASHED, PJ_UNPUBLISHED),
    (LOG, 4096, 0, 0, 1, DS_HELD, PJ_PUBLISHED), (LOG, 4096, 0, 0, 1, DS_CRASHED, PJ_UNPUBLISHED),
    (LOG, 8192, 256, 0, 1, DS_FRESH, PJ_NONE), (FANOUT, 4, 64, 2, 64, DS_HELD, PJ_MARK_SET),
]


L13_GEOMS = [  # kind, slots, data, queue, consumers, flags, state, hostile (fuzz13.h geoms13[])
    (FANOUT, 16, 64, 4, 2, RCY, TRAFFIC, H13_NONE), (FANOUT, 16, 128, 4, 3, RCY, CRASHED, H13_NONE),
    (FANOUT, 16, 64, 4, 2, RCY | BAT, TRAFFIC, H13_PARK_POS),
    (FANOUT, 16, 64, 4, 2, RCY, TRAFFIC, H13_FORGED_OWNER),
    (EVENTS, 16, 64, 8, 1, RCY | BAT, TRAFFIC, H13_PARK_POS),  # bit 39: MPSC recycling
    (EVENTS, 16, 64, 8, 1, BAT, CRASHED, H13_BATCH),
    (EVENTS, 16, 64, 8, 1, BAT, CRASHED, H13_BAD_RESERVED),
    (FANOUT, 16, 64, 4, 3, RCY | BAT, CRASHED, H13_BATCH),
]


def variant(i):
    if i >= 40:
        k, n, d, q, cc, fl, st, h = L13_GEOMS[i - 40]
        return dict(kind=k, slots=n, data=d, queue=q, consumers=cc, state=st, flags13=fl, hostile=h)
    if i >= 32:
        k, n, d, q, cc, st, pj = DURABLE_GEOMS[i - 32]
        if k == LOG:
            m = d or min(65536, n // 2 - 8)
            return dict(kind=k, slots=0, data=m, queue=0, consumers=1, state=st, log_bytes=n,
                        max_record=m, mpsc=0, durable=1, pend=pj)
        return dict(kind=k, slots=n, data=d, queue=q, consumers=cc, state=st, durable=1, pend=pj)
    if i >= 24:
        k, n, m, req, st = NEW_GEOMS[i - 24]
        if k == STREAM:
            m = m or min(65536, n // 2 - 8)
            return dict(kind=k, slots=0, data=m, queue=0, consumers=1, state=st, log_bytes=n,
                        max_record=m, mpsc=1)
        return dict(kind=k, slots=n, data=req, queue=0, consumers=1, state=st, log_bytes=0,
                    max_record=m, mpsc=0)
    if i >= 16:
        b, m, mpsc, st = LOG_GEOMS[i - 16]
        return dict(kind=LOG, slots=0, data=m or min(65536, b // 2 - 8), queue=0, consumers=1,
                    state=st, log_bytes=b, max_record=m or min(65536, b // 2 - 8), mpsc=mpsc)
    g = GEOMS[i % 4] if i < 12 else GEOMS[4 + (i - 12) % 2]
    return dict(kind=g[0], slots=g[1], data=g[2], queue=g[3], consumers=g[4],
                state=i // 4 if i < 12 else (i - 12) // 2)


def log_stride(n):
    return (8 + n + 7) & ~7


def log_positions(v):
    """Where a byte-log baseline's read position and first waiting record
    are (ring offsets), replaying build_log_variant's arithmetic: the
    traffic publishes and reads records of known lengths from position 0."""
    if v['state'] == LS_FRESH:
        return 0
    L, m, t, k = v['log_bytes'], v['max_record'], 0, 0
    while t < 3 * L:
        t += log_stride(m if k % 11 == 0 else (k * 37) % (m + 1 if m < 300 else 300))
        k += 1
    if v['state'] in (LS_WRAP, LS_CRASHED_WRAP):
        gap = (L - 64 - (t & (L - 1))) & (L - 1)
        if gap % 64:
            t += gap % 64
        while t & (L - 1) != L - 64:
            t += 64
    return t & (L - 1)


def align(x, a):
    return (x + a - 1) & ~(a - 1)


def layout(v):
    """Section offsets/lengths, slot stride and total size, as geometry.c;
    a durable region's DURABLE section after all of them (LAYOUT.md 3.9)."""
    l = layout0(v)
    if v.get('durable'):
        off = l['total']
        n = 192 + 64 * (1 + v['consumers'])
        l['secs'][S_DUR] = (off, n)
        l['section_order'].append(S_DUR)
        l['total'] = align(off + n, 4096)
    return l


def layout0(v):
    if v['kind'] == LOG:
        secs = {S_PARTS: (1024, 320 + 64 * 256), S_COUNTERS: (17728, 256), S_WAKE: (17984, 128),
                S_LOG: (20480, 256 + v['log_bytes'])}
        return dict(secs=secs, stride=0, total=align(20480 + 256 + v['log_bytes'], 4096),
                    spsc_bytes=0, section_order=list(secs))
    if v['kind'] == STREAM:  # LAYOUT.md 3.7
        secs = {S_PARTS: (1024, 320 + 64 * 256), S_COUNTERS: (17728, 256), S_WAKE: (17984, 128),
                S_CTL11: (18112, 320), S_LOG: (20480, 256 + v['log_bytes'])}
        return dict(secs=secs, stride=0, total=align(20480 + 256 + v['log_bytes'], 4096),
                    spsc_bytes=0, section_order=list(secs))
    if v['kind'] == RPC:  # LAYOUT.md 3.8
        stride = 128 + align(v['data'], 64) + align(v['max_record'], 64)
        secs = {S_PARTS: (1024, 320 + 64 * 256), S_COUNTERS: (17728, 256), S_WAKE: (17984, 128),
                S_CTL11: (18112, 640), S_CELLS: (20480, v['slots'] * stride)}
        return dict(secs=secs, stride=stride, total=align(20480 + v['slots'] * stride, 4096),
                    spsc_bytes=0, section_order=list(secs))
    q, cc = v['queue'], v['consumers']
    spsc_bytes = 128 + align(q * 4, 64)
    secs, off = {}, 1024

    def add(kind, length, al=64):
        nonlocal off
        off = align(off, al)
        secs[kind] = (off, length)
        off += length

    add(S_PARTS, 320 + 64 * 256)
    add(S_COUNTERS, 192 + cc * 64)
    add(S_WAKE, (cc + 1) * 64)
    if v['kind'] == FANOUT:
        add(S_ROUTER, 64)
    add(S_SPSC, spsc_bytes)
    add(S_MPSC, 128 + q * 16)
    if v['kind'] == FANOUT:
        add(S_CQ, cc * spsc_bytes)
    stride = align(16 + v['data'], 64)
    add(S_POOL, 64 + v['slots'] * stride, 4096)
    return dict(secs=secs, stride=stride, total=align(off, 4096), spsc_bytes=spsc_bytes,
                section_order=list(secs))


def u16(x):
    return struct.pack('<H', x & 0xffff)


def u32(x):
    return struct.pack('<I', x & 0xffffffff)


def u64(x):
    return struct.pack('<Q', x & 0xffffffffffffffff)


def patch(off, data, live=False, xor=False):
    assert 1 <= len(data) <= 32 and 0 <= off < 65536
    tag = 0x80 | (0x40 if live else 0) | (0x20 if xor else 0) | (len(data) - 1)
    return bytes([tag]) + u16(off) + data


def mut(r, addr, value, width=4, how=MV_SET, flicker=False, rep=HAMMER, lead=False, words=1,
        delay=0):
    """Queue a write of `words` consecutive words of `width` bytes at absolute
    offset addr (in variant r's layout) for the mutator thread, to land while
    the next call runs; addressed relative to the section holding addr."""
    assert width in (1, 2, 4, 8) and 1 <= words <= 64 and 0 <= rep < 128 and 0 <= delay < 4
    sel, off = r.locate(addr)
    tag = 0x60 | (0x10 if flicker else 0) | (how << 2) | (1, 2, 4, 8).index(width)
    return (bytes([tag, sel]) + u16(off) + bytes([rep | (0x80 if lead else 0),
                                                  (words - 1) | (delay << 6)]) +
            (value & ((1 << (8 * width)) - 1)).to_bytes(width, 'little'))


def op(code, a=0, b=0):
    return bytes([code, a & 0xff, b & 0xff])


def head(vi, flags=0, tsize=0):
    return bytes([vi, flags]) + u16(tsize)


class Region:
    """Addresses of interesting fields for variant vi."""

    def __init__(self, vi):
        self.vi = vi
        self.v = variant(vi)
        self.l = layout(self.v)

    def sec(self, kind):
        return self.l['secs'][kind][0]

    def locate(self, addr):
        """(selector, offset) of an absolute offset: its section, or the file."""
        for kind, (o, n) in self.l['secs'].items():
            if o <= addr < o + n:
                if kind == S_DUR:
                    return (S_ROUTER if self.v['kind'] == LOG else S_LOG), addr - o
                return kind, addr - o
        return SEL_FILE, addr

    def router(self, field):  # indexbus_router_section
        return self.sec(S_ROUTER) + {'rr_next': 0, 'seen_epoch': 4, 'step_slot': 8,
                                     'step_source': 12, 'step_pos': 16, 'step_targets': 24,
                                     'step_full': 32, 'step_no_credit': 40,
                                     'step_cursor': 48}[field]

    def entry_field(self, i, field):  # indexbus_participant
        return self.entry(i, {'state': 0, 'role': 4, 'index': 8, 'pid': 12, 'held_slot': 24,
                              'held_src': 28, 'held_pos': 32, 'mpsc_reserve': 40,
                              'log_reserve': 48, 'log_size': 56, 'reserved': 60}[field])

    def log_ctl(self, field):  # indexbus_log_ctl: tail +0, head +64, read +128
        return self.sec(S_LOG) + {'tail': 0, 'head': 64, 'read': 128}[field]

    def ring(self, off):  # byte offset `off` of the ring (taken modulo its size)
        return self.sec(S_LOG) + 256 + off % self.v['log_bytes']

    def log_read(self):  # ring offset of the record the consumer reads next
        return log_positions(self.v)

    def parts_ctl(self, field):  # indexbus_participants_ctl, u32 fields
        names = ['producers_live', 'producers_ever', 'consumers_live', 'consumers_ever',
                 'routers_live', 'routers_ever', 'spsc_owner', 'router_owner', 'consumer_epoch']
        return self.sec(S_PARTS) + 4 * names.index(field)

    def consumer_owner(self, i):
        return self.sec(S_PARTS) + 64 + 4 * i

    def entry(self, i, field=0):
        return self.sec(S_PARTS) + 320 + 64 * i + field

    def spsc(self, field):  # head +0, tail +64, cells +128
        return self.sec(S_SPSC) + {'head': 0, 'tail': 64, 'cells': 128}[field]

    def mpsc(self, field):  # tail +0, head +64, cells +128 (16 bytes each)
        return self.sec(S_MPSC) + {'tail': 0, 'head': 64, 'cells': 128}[field]

    def cq(self, i, field):
        return self.sec(S_CQ) + i * self.l['spsc_bytes'] + {'head': 0, 'tail': 64, 'cells': 128}[field]

    def pool_head(self):
        return self.sec(S_POOL)

    def slot(self, idx, field):  # len, refcount, owner, next_free
        return self.sec(S_POOL) + 64 + idx * self.l['stride'] + \
            {'len': 0, 'refcount': 4, 'owner': 8, 'next_free': 12}[field]

    def rr_next(self):
        return self.sec(S_ROUTER)

    def seen_epoch(self):
        return self.sec(S_ROUTER) + 4

    def wake(self, i, field):
        return self.sec(S_WAKE) + 64 * i + (4 if field == 'waiters' else 0)

    def counters(self, off):
        return self.sec(S_COUNTERS) + off

    # byte streams (LAYOUT.md 4.10): state +0, seat_owner[48] +64, read_skip +256, bytes_read +264
    def stream(self, field, i=0):
        return self.sec(S_CTL11) + {'state': 0, 'seat_owner': 64 + 4 * i, 'read_skip': 256,
                                    'bytes_read': 264}[field]

    # request/response (LAYOUT.md 4.11): RPC_CTL and cell i's fields
    def rpc(self, field, i=0):
        return self.sec(S_CTL11) + {'wake_seq': 0, 'wake_waiters': 4, 'pending': 64 + 8 * i,
                                    'abandoned': 576, 'failed': 584}[field]

    def cell(self, i, field):
        return self.sec(S_CELLS) + i * self.l['stride'] + \
            {'state': 0, 'request_len': 8, 'reply_len': 12, 'wake_seq': 64, 'wake_waiters': 68,
             'request': 128, 'reply': 128 + align(self.v['data'], 64)}[field]

    def dur(self, field, i=0):  # indexbus_durable_ctl; counters line i (+8 * word)
        return self.sec(S_DUR) + DUR[field] + (64 * i if field == 'counters' else 0)

    def dir_entry(self, kind_index, field):  # directory entry j: kind, flags, offset, length
        return 128 + 32 * kind_index + {'kind': 0, 'flags': 4, 'offset': 8, 'length': 16,
                                        'reserved': 24}[field]


def traffic_ops(r):
    """A little of every call, for the region's kind."""
    s = b''
    s += op(PUBLISH, 0, 5) + op(PUBLISH, 1, 0) + op(PUBLISH, 2, r.v['data'])
    if r.v['kind'] == FANOUT:
        s += op(ROUTE, 3, 1) + op(ROUTE, 3, 2) + op(ROUTE_STATS, 1, 1) + op(ROUTE_STATS, 2, 2)
    s += op(TRY_RECV, 0, 7) + op(RECV_BEGIN, 0, 0) + op(TRY_RECV, 0, 7) + op(RECV_END, 0)
    s += op(RECV_BATCH, 0, 0x3f) + op(RECV_TIMEOUT0, 0, 7) + op(WAIT0, 0)
    if r.v['kind'] == FANOUT:
        for i in range(r.v['consumers']):
            s += op(TRY_RECV, i, 7) + op(RECV_BATCH, i, 0x3f)
    return s


def prod(r):
    """The index (fuzz_region.c P_*) of a producer that opens on variant r:
    in a byte log only the kind opened first (MPSC in MPSC variants)."""
    return 1 if r.v['kind'] == LOG and r.v['mpsc'] else 0


def log_ops(r):
    """The 1.1 calls: claim_len around every bound, claim_batch and partial
    commit_batch, the waits with timeout 0, the free space; then receives."""
    k = prod(r)
    s = op(CLAIM_LEN, k, 4) + op(COMMIT, k, 9) + op(CLAIM_LEN, k, 1) + op(ABORT, k)
    s += op(CLAIM_LEN, k, 2) + op(CLAIM_LEN, k, 0) + op(COMMIT, k, 0)
    s += op(CLAIM_BATCH, k, 0x23) + op(COMMIT_BATCH, k, 2) + op(CLAIM_BATCH, k, 0x0d) + op(COMMIT_BATCH, k, 0)
    s += op(CLAIM_BATCH, k, 0x31) + op(ABORT, k) + op(CLAIM_BATCH, k, 0x05) + op(COMMIT_BATCH, k, 7)
    s += op(PUBLISH_WAIT0, k, 7) + op(CLAIM_WAIT0, k, 4) + op(COMMIT, k, 3) + op(PRODUCER_SPACE, k)
    s += op(PUBLISH_BATCH, k, 200) + op(PUBLISH_BATCH, k, 47) + op(PRODUCER_SPACE, k)
    s += op(TRY_RECV, 0, 7) + op(RECV_BEGIN, 0, 0) + op(RECV_END, 0) + op(RECV_BATCH, 0, 0x3f)
    s += op(RECV_TIMEOUT0, 0, 7) + op(WAIT0, 0) + op(INFO)
    return s


def seeds():
    out = {}

    def add(name, data):
        assert name not in out, name
        out[name] = data

    add('empty', b'')
    for vi in range(NVARIANTS):
        add('variant-%02d' % vi, bytes([vi]))

    # every call, on every variant
    for vi in range(NVARIANTS):
        r = Region(vi)
        s = head(vi) + traffic_ops(r)
        s += op(CLAIM, 1) + op(COMMIT, 1, 17) + op(CLAIM, 0) + op(ABORT, 0)
        s += op(CLAIM, 2) + op(COMMIT, 2, 255) + op(ABORT, 2)
        s += op(PUBLISH_BATCH, 0, 5) + op(PUBLISH_BATCH, 1, 200)
        s += op(ROUTE_CREDIT, 0x13, 0x05) + op(ROUTE_CREDIT, 0x76, 0xaa)
        s += op(INFO) + op(REOPEN_CONSUMER, 0, 3) + op(REOPEN_PRODUCER, 0, 1)
        s += op(REOPEN_ROUTER, 0, 1) + op(RECOVER) + op(ROUTER_RUN_STOPPED, 0x80, 1)
        s += traffic_ops(r)
        add('calls-v%02d' % vi, s)

    # the 1.1 calls on every variant (claim_len, the waits and space work on
    # every kind; claim_batch / commit_batch are WRONG_KIND outside byte logs)
    for vi in range(NVARIANTS):
        r = Region(vi)
        add('calls11-v%02d' % vi, head(vi) + log_ops(r) + traffic_ops(r) + log_ops(r) + op(RECOVER) +
            log_ops(r))
    # byte logs with the other producer kind opened first
    for vi in range(16, 24):
        add('other-kind-v%02d' % vi, head(vi, F_OTHER_KIND) + log_ops(Region(vi)) + op(REOPEN_PRODUCER, 0, 1) +
            op(REOPEN_PRODUCER, 1, 1) + op(REOPEN_PRODUCER, 2, 1) + log_ops(Region(vi)))

    log_seeds(add)
    stream_seeds(add)
    rpc_seeds(add)
    durable_seeds(add)
    l13_seeds(add)

    # flags: truncation (shorter, one byte short of a page, longer), ready wait, early close
    for vi, cases in ((1, ('zero', 'header-only', 'short-header', 'one-page', 'minus-page',
                           'minus-16', 'plus-page')), (0, ('zero', 'minus-page'))):
        total = Region(vi).l['total']
        sizes = {'zero': 0, 'header-only': 1024, 'short-header': 512, 'one-page': 4096,
                 'minus-page': total - 4096, 'minus-16': total - 16, 'plus-page': total + 4096}
        for name in cases:
            add('truncate-%s-v%02d' % (name, vi), head(vi, F_TRUNCATE, sizes[name] // 16))
    add('ready-wait-v00', head(0, F_READY_WAIT) + patch(72, u32(0)))
    add('early-close-v05', head(5, F_EARLY_CLOSE) + traffic_ops(Region(5)))

    # header fields, alternating events / fanout
    hdr = [('magic', 0, lambda r: u32(0x53554248)), ('major', 4, lambda r: u16(2)),
           ('minor', 6, lambda r: u16(1)), ('header-bytes', 8, lambda r: u32(2048)),
           ('kind-0', 12, lambda r: u32(0)), ('kind-9', 12, lambda r: u32(9)),
           ('kind-swap', 12, lambda r: u32(FANOUT if r.v['kind'] == EVENTS else EVENTS)),
           ('caps-incompat', 16, lambda r: u64(1 << 40)),
           ('caps-compat', 16, lambda r: u64(0xffffffff)),
           ('total-small', 24, lambda r: u64(r.l['total'] - 4096)),
           ('total-big', 24, lambda r: u64(r.l['total'] + 4096)),
           ('total-huge', 24, lambda r: u64(1 << 62)), ('slots-3', 32, lambda r: u32(3)),
           ('slots-half', 32, lambda r: u32(r.v['slots'] // 2)),
           ('slots-max', 32, lambda r: u32(1 << 21)), ('data-odd', 36, lambda r: u32(65)),
           ('data-double', 36, lambda r: u32(r.v['data'] * 2)),
           ('stride', 40, lambda r: u32(r.l['stride'] + 64)), ('queue-3', 44, lambda r: u32(3)),
           ('queue-half', 44, lambda r: u32(r.v['queue'] // 2)),
           ('consumers-0', 48, lambda r: u32(0)), ('consumers-65', 48, lambda r: u32(65)),
           ('consumers-2', 48, lambda r: u32(2)), ('sections-17', 52, lambda r: u32(17)),
           ('sections-less', 52, lambda r: u32(3)), ('sections-more', 52, lambda r: u32(16)),
           ('ready-0', 72, lambda r: u32(0)), ('ready-2', 72, lambda r: u32(2)),
           ('creator', 56, lambda r: u32(1))]
    for k, (name, off, val) in enumerate(hdr):
        vi = k % 2
        add('hdr-%s-v%02d' % (name, vi), head(vi) + patch(off, val(Region(vi))))
    # a newer minor with a bigger total (legal), the file grown to match
    r = Region(1)
    add('hdr-newer-minor-v01', head(1, F_TRUNCATE, (r.l['total'] + 8192) // 16) +
        patch(6, u16(1)) + patch(24, u64(r.l['total'] + 8192)) + traffic_ops(r))

    # directory entries: offset, length, kind, an appended unknown section
    n = len(r.l['section_order'])
    for j in (0, 3, n - 1):
        add('dir-%d-offset-v01' % j, head(1) + patch(r.dir_entry(j, 'offset'), u64(64), xor=True))
    add('dir-1-length-v01', head(1) + patch(r.dir_entry(1, 'length'), u64(1 << 40)))
    add('dir-kind-swap-v01', head(1) + patch(r.dir_entry(0, 'kind'), u32(S_POOL)) +
        patch(r.dir_entry(n - 1, 'kind'), u32(S_PARTS)))
    add('dir-appended-v01', head(1) + patch(52, u32(n + 1)) + patch(6, u16(1)) +
        patch(r.dir_entry(n, 'kind'), u32(9)) + patch(r.dir_entry(n, 'offset'), u64(r.l['total'] - 64)) +
        patch(r.dir_entry(n, 'length'), u64(64)) + traffic_ops(r))
    add('dir-appended-outside-v01', head(1) + patch(52, u32(n + 1)) +
        patch(r.dir_entry(n, 'kind'), u32(9)) + patch(r.dir_entry(n, 'offset'), u64(r.l['total'])) +
        patch(r.dir_entry(n, 'length'), u64(64)))

    # queues, pool, slots, participants: each value once, on a wrapped (traffic)
    # image, by turns events / fanout / small events / small fanout, and by
    # turns patched before open / by the rogue writer while handles are open
    generic = [
        ('spsc-tail-far', lambda r: (r.spsc('tail'), u64(1 << 40))),
        ('spsc-tail-back', lambda r: (r.spsc('tail'), u64(0))),
        ('spsc-head-far', lambda r: (r.spsc('head'), u64(1 << 40))),
        ('spsc-head-ahead', lambda r: (r.spsc('head'), u64(r.v['queue'] * 100))),
        ('spsc-cells-nil', lambda r: (r.spsc('cells'), u32(0xffffffff) * min(r.v['queue'], 8))),
        ('spsc-cells-big', lambda r: (r.spsc('cells'), u32(r.v['slots']) * min(r.v['queue'], 8))),
        ('mpsc-tail-far', lambda r: (r.mpsc('tail'), u64(1 << 50))),
        ('mpsc-head-far', lambda r: (r.mpsc('head'), u64(12345))),
        ('mpsc-seq-ahead', lambda r: (r.mpsc('cells'), u64(1 << 33))),
        ('mpsc-seq-zero', lambda r: (r.mpsc('cells') + 16 * (r.v['queue'] - 1), u64(0))),
        ('mpsc-value-big', lambda r: (r.mpsc('cells') + 8, u32(0x7fffffff))),
        ('pool-nil', lambda r: (r.pool_head(), u64(0xffffffff))),
        ('pool-big', lambda r: (r.pool_head(), u64(r.v['slots']))),
        ('pool-tag', lambda r: (r.pool_head(), u64(0xffffffff00000003))),
        ('slot-next-loop', lambda r: (r.slot(0, 'next_free'), u32(0))),
        ('slot-next-big', lambda r: (r.slot(1, 'next_free'), u32(0x10000))),
        ('slot-len-big', lambda r: (r.slot(2, 'len'), u32(r.v['data'] + 1))),
        ('slot-len-max', lambda r: (r.slot(3, 'len'), u32(0xffffffff))),
        ('slot-ref-zero', lambda r: (r.slot(2, 'refcount'), u32(0))),
        ('slot-ref-big', lambda r: (r.slot(3, 'refcount'), u32(65))),
        ('slot-owner', lambda r: (r.slot(4, 'owner'), u32(7))),
        ('producers-live', lambda r: (r.parts_ctl('producers_live'), u32(0xffffffff))),
        ('consumers-ever', lambda r: (r.parts_ctl('consumers_ever'), u32(1) + u32(0))),
        ('spsc-owner', lambda r: (r.parts_ctl('spsc_owner'), u32(200))),
        ('consumer-owner', lambda r: (r.consumer_owner(0), u32(0x80000001))),
        ('entry-state', lambda r: (r.entry(0), u32(2))),
        ('wake-waiters', lambda r: (r.wake(0, 'waiters'), u32(5))),
        ('wake-seq', lambda r: (r.wake(0, 'seq'), u32(0xffffffff))),
        ('counters', lambda r: (r.counters(0), u64(0xffffffffffffffff))),
    ]
    fanout_only = [
        ('cq-tail-far', lambda r: (r.cq(0, 'tail'), u64(1 << 40))),
        ('cq-head-far', lambda r: (r.cq(1, 'head'), u64(1 << 40))),
        ('cq-head-ahead', lambda r: (r.cq(0, 'head'), u64(r.v['queue'] * 3))),
        ('cq-cells-nil', lambda r: (r.cq(0, 'cells'), u32(0xffffffff) * min(r.v['queue'], 8))),
        ('cq-last-tail', lambda r: (r.cq(r.v['consumers'] - 1, 'tail'), u64(r.v['queue'] + 1))),
        ('rr-next', lambda r: (r.rr_next(), u32(0xffffffff))),
        ('seen-epoch', lambda r: (r.seen_epoch(), u32(0x80000000))),
        ('routers-live', lambda r: (r.parts_ctl('routers_live'), u32(1))),
        ('router-owner', lambda r: (r.parts_ctl('router_owner'), u32(0))),
        ('consumer-epoch', lambda r: (r.parts_ctl('consumer_epoch'), u32(0x7fffffff))),
    ]
    cases = [(name, fn, (4, 5, 6, 7)[k % 4]) for k, (name, fn) in enumerate(generic)]
    cases += [(name, fn, (5, 7)[k % 2]) for k, (name, fn) in enumerate(fanout_only)]
    for k, (name, fn, vi) in enumerate(cases):
        r = Region(vi)
        off, data = fn(r)
        t = traffic_ops(r)
        if (k // 4) % 2 == 0:
            add('pre-%s-v%02d' % (name, vi), head(vi) + patch(off, data[:32]) + t)
        else:
            add('live-%s-v%02d' % (name, vi), head(vi) + op(PUBLISH, 0, 3) + op(PUBLISH, 1, 4) +
                patch(off, data[:32], live=True) + t + t)

    # the limits: 64 consumers (full-width masks), fewest slots and queue cells
    r = Region(15)
    t = traffic_ops(r)
    add('limits-cq63-tail-v15', head(15) + patch(r.cq(63, 'tail'), u64(1 << 40)) + t)
    add('limits-rr-next-v15', head(15) + op(PUBLISH, 1, 9) + patch(r.rr_next(), u32(63), live=True) +
        op(ROUTE, 2, 2) + op(ROUTE_STATS, 3, 2) + t)
    add('limits-credit-v15', head(15) + op(PUBLISH, 0, 1) + op(ROUTE_CREDIT, 0x70, 0xff) +
        op(PUBLISH, 0, 2) + op(ROUTE_CREDIT, 0x31, 0x80) + t)
    r = Region(14)
    add('limits-pool-loop-v14', head(14) + patch(r.slot(1, 'next_free'), u32(1), live=True) +
        traffic_ops(r) + traffic_ops(r))

    # crashed images: roles held by the dead, a borrowed and a claimed slot
    for vi in (8, 9, 10, 11):
        add('crashed-calls-v%02d' % vi, head(vi) + traffic_ops(Region(vi)) + op(RECOVER) +
            traffic_ops(Region(vi)))
    r = Region(9)
    add('crashed-free-roles-v09', head(9) + patch(r.parts_ctl('spsc_owner'), u32(0) + u32(0)) +
        patch(r.consumer_owner(0), u32(0) * r.v['consumers']) + traffic_ops(r))

    races(add)

    # xor noise over the queues of a live region
    r = Region(5)
    add('xor-live-queues-v05', head(5) + traffic_ops(r) +
        patch(r.spsc('cells'), bytes(range(1, 17)), live=True, xor=True) +
        patch(r.cq(0, 'cells'), bytes(range(3, 19)), live=True, xor=True) +
        patch(r.mpsc('cells'), bytes(range(5, 37)), live=True, xor=True) + traffic_ops(r))
    return out


def log_seeds(add):
    """Byte logs (variants 16-23): hostile control words, record headers at
    the place the consumer reads next, forged journals in the crashed
    images (pre-open patches, then live patches while handles are open),
    and mutations that land while the ring's calls run."""
    def hdrv(length, typ):  # a record header word
        return length | typ << 32

    def hdr(length, typ):
        return u64(hdrv(length, typ))

    L = 4096
    ctl = [  # (name, field, value from the variant's read offset o)
        ('tail-far', 'tail', lambda o: 1 << 40), ('tail-odd', 'tail', lambda o: o + 4),
        ('tail-back', 'tail', lambda o: 0), ('head-ahead', 'head', lambda o: o + 3 * L + 8),
        ('head-odd', 'head', lambda o: o + 1), ('read-ahead', 'read', lambda o: o + 2 * L),
        ('read-behind', 'read', lambda o: (o - 64) & 0xffffffffffffffff), ('read-odd', 'read', lambda o: o + 12),
        ('head-max', 'head', lambda o: 0xfffffffffffffff8),
    ]
    headers = [  # (name, header word at the next read position o)
        ('pad-0', lambda o: hdr(0, T_PAD)), ('pad-odd', lambda o: hdr(12, T_PAD)),
        ('pad-lap', lambda o: hdr(L - o % L if o % L else L, T_PAD)),
        ('pad-past-end', lambda o: hdr(L - o % L + 8, T_PAD)), ('pad-huge', lambda o: hdr(0xfffffff8, T_PAD)),
        ('record-over-max', lambda o: hdr(2041, T_RECORD)), ('record-max', lambda o: hdr(2040, T_RECORD)),
        ('record-straddle', lambda o: hdr(L - o % L, T_RECORD)), ('record-huge', lambda o: hdr(0xffffffff, T_RECORD)),
        ('claimed-other', lambda o: u64(64 | (T_CLAIMED | 200 << 8) << 32)),
        ('type-7', lambda o: hdr(8, 7)), ('type-high', lambda o: u64(16 | 0x80000001 << 32)),
    ]
    for k, (name, field, val) in enumerate(ctl):
        for vi in (16, 17, 18):
            r = Region(vi)
            o = r.log_read()
            pre = (k + vi) % 2 == 0
            data = u64(val(o))
            if pre:
                add('log-ctl-%s-v%02d' % (name, vi), head(vi) + patch(r.log_ctl(field), data) + log_ops(r) +
                    traffic_ops(r))
            else:
                add('log-live-ctl-%s-v%02d' % (name, vi), head(vi) + log_ops(r) +
                    patch(r.log_ctl(field), data, live=True) + log_ops(r) + op(RECOVER) + log_ops(r))
    for k, (name, val) in enumerate(headers):
        for vi in (17, 18, 23):
            r = Region(vi)
            o = r.log_read()
            if r.v['max_record'] != 2040 and name.startswith('record-'):
                continue
            add('log-hdr-%s-v%02d' % (name, vi), head(vi) + patch(r.ring(o), val(o)) + op(TRY_RECV, 0, 7) +
                op(RECV_BATCH, 0, 0x3f) + op(INFO) + log_ops(r) + traffic_ops(r))
        # fresh: published first, then the header rewritten under the open handles
        r = Region(16)
        add('log-live-hdr-%s-v16' % name, head(16) + op(PUBLISH, 0, 40) + op(PUBLISH, 0, 9) +
            patch(r.ring(0), val(0), live=True) + op(RECV_BEGIN, 0, 0) + op(RECV_END, 0) +
            op(TRY_RECV, 0, 7) + log_ops(r) + op(RECOVER) + log_ops(r))
    # the PAD that laps the ring from offset 0 and the same at the wrap
    r = Region(16)
    add('log-pad-chain-v16', head(16) + patch(r.ring(0), hdr(L, T_PAD)) + op(TRY_RECV, 0, 7) +
        op(PUBLISH, 0, 9) + op(PRODUCER_SPACE, 0) + op(TRY_RECV, 0, 7) + log_ops(r))
    # crashed images: journals forged before recovery runs at open and later
    journals = [  # (name, entry, log_reserve from the read offset o, log_size)
        ('reserved-far', 1, lambda o: (1 << 40) | RESERVED, 64),
        ('reserving-here', 2, lambda o: (o + 3 * L) | RESERVING, 192),
        ('reserving-wrap', 2, lambda o: (o + 3 * L - 16) | RESERVING, 128),
        ('reserved-odd', 1, lambda o: (o + 3 * L + 4) | RESERVED, 64),
        ('size-0', 1, lambda o: (o + 3 * L) | RESERVED, 0), ('size-odd', 1, lambda o: (o + 3 * L) | RESERVED, 13),
        ('size-huge', 2, lambda o: (o + 3 * L) | RESERVING, 0xfffffff8),
        ('flag-7', 1, lambda o: (o + 3 * L) | 7, 64), ('free-entry', 9, lambda o: (o + 3 * L) | RESERVING, 64),
    ]
    for k, (name, e, resv, size) in enumerate(journals):
        vi = (19, 20, 21)[k % 3]
        r = Region(vi)
        o = r.log_read()
        add('log-journal-%s-v%02d' % (name, vi), head(vi) +
            patch(r.entry_field(e, 'log_reserve'), u64(resv(o))) +
            patch(r.entry_field(e, 'log_size'), u32(size)) + log_ops(r) + op(RECOVER) + traffic_ops(r))
    for vi in (19, 20, 21):
        r = Region(vi)
        add('log-crashed-calls-v%02d' % vi, head(vi) + log_ops(r) + op(RECOVER) + traffic_ops(r) + log_ops(r))

    # mutations while the ring's calls run
    r = Region(17)
    o = r.log_read()
    add('race-log-ctl-v17', head(17) +
        mut(r, r.log_ctl('head'), 3 * L + 8, width=8, how=MV_ADD, flicker=True) + op(PUBLISH, 1, 40) +
        mut(r, r.log_ctl('tail'), 1 << 40, width=8, how=MV_XOR, flicker=True) + op(CLAIM_BATCH, 1, 0x23) +
        op(COMMIT_BATCH, 1, 3) +
        mut(r, r.log_ctl('read'), 8, width=8, how=MV_ADD, flicker=True) + op(RECV_BATCH, 0, 0x3f) +
        mut(r, r.log_ctl('head'), 0, width=8, words=3, flicker=True) + op(TRY_RECV, 0, 7) +
        mut(r, r.log_ctl('tail'), 4, width=8, how=MV_ADD) + op(PRODUCER_SPACE, 1) + op(INFO) + log_ops(r))
    add('race-log-headers-v17', head(17) +
        mut(r, r.ring(o), hdrv(L, T_PAD), width=8, flicker=True) + op(TRY_RECV, 0, 7) +
        mut(r, r.ring(o), hdrv(0xfffffff8, T_RECORD), width=8, flicker=True, lead=True) + op(RECV_BEGIN, 0, 0) +
        op(RECV_END, 0) +
        mut(r, r.ring(o + 8), 0x0000000100000001, width=8, how=MV_STEP, words=32) + op(RECV_BATCH, 0, 0x3f) +
        mut(r, r.ring(0), hdrv(8, T_PAD), width=8, words=64, flicker=True) + op(PUBLISH_BATCH, 1, 200) +
        op(INFO) + log_ops(r))
    r = Region(20)
    o = r.log_read()
    add('race-log-journal-v20', head(20) +
        mut(r, r.entry_field(1, 'log_reserve'), 1 << 40, width=8, how=MV_XOR, flicker=True) +
        mut(r, r.entry_field(2, 'log_size'), 0xfffffff8, flicker=True) + op(RECOVER) +
        mut(r, r.ring(o + 16), hdrv(112, T_CLAIMED | 9 << 8), width=8, flicker=True) + op(RECOVER) +
        mut(r, r.log_ctl('read'), L, width=8, how=MV_ADD, flicker=True) + op(RECOVER) + log_ops(r) +
        traffic_ops(r))
    r = Region(16)
    add('race-log-claims-v16', head(16) + op(PUBLISH, 0, 40) +
        mut(r, r.ring(0), 0, width=8, words=64) + op(CLAIM_LEN, 0, 4) + op(COMMIT, 0, 9) +
        mut(r, r.ring(0), hdrv(0, T_PAD), width=8, words=8, flicker=True) + op(CLAIM_BATCH, 0, 0x23) +
        op(COMMIT_BATCH, 0, 1) +
        mut(r, r.log_ctl('tail'), 8, width=8, how=MV_ADD, flicker=True) + op(PUBLISH_WAIT0, 0, 7) +
        mut(r, r.log_ctl('head'), 8, width=8, how=MV_ADD, flicker=True) + op(CLAIM_WAIT0, 0, 4) +
        op(ABORT, 0) + log_ops(r))


def hdrv(length, typ):  # a byte-log record header word (len | type << 32)
    return length | typ << 32


def stream_ops(r, k=0):
    """The byte-stream calls: writes around every bound (len_of), write_all
    with timeout 0, reads of every capacity, the state, a writer closed and
    reopened, the read end released and taken again."""
    s = b''
    for b in (3, 4, 1, 0, 5, 7, 2, 6):
        s += op(STREAM_WRITE, k, b) + op(STREAM_READ, 0, b)
    s += op(STREAM_WRITE_ALL0, k, 1) + op(STREAM_WRITE_ALL0, k ^ 1, 6) + op(STREAM_STATE)
    s += op(STREAM_READ, 0, 7) + op(STREAM_READ, 0, 1) + op(STREAM_READER, 0, 0) + op(STREAM_READER, 0, 2)
    s += op(STREAM_READ, 0, 7) + op(STREAM_WRITER, k, 1) + op(STREAM_WRITE, k, 4) + op(STREAM_READ, 0, 6)
    s += op(STREAM_WRITER_ABORT, k ^ 1) + op(STREAM_STATE) + op(STREAM_WRITER, k ^ 1, 1) + op(STREAM_WRITE, k ^ 1, 3)
    s += op(INFO) + op(STREAM_STATE)
    return s


def rpc_ops(r, k=0):
    """The request/response calls: requests around every bound, a claim and a
    send, serves and replies by copy and in place, waits, done, cancel, a
    call, and forged tokens (b >= 0x80)."""
    j = k ^ 1
    s = op(RPC_REQUEST, k, 3) + op(RPC_REQUEST, j, 1) + op(RPC_REQUEST, k, 2) + op(RPC_CLAIM, k, 5)
    s += op(RPC_SEND, k, 4) + op(RPC_SEND, k, 0) + op(RPC_SERVE0, k) + op(RPC_SERVE0, j)
    s += op(RPC_REPLY, k, 0x10) + op(RPC_REPLY_BUFFER, j, 0x03) + op(RPC_SERVE0, k)
    s += op(RPC_WAIT0, k, 0) + op(RPC_DONE, k, 0) + op(RPC_WAIT0, j, 0) + op(RPC_DONE, j, 0)
    s += op(RPC_WAIT0, k, 1) + op(RPC_CANCEL, k, 1) + op(RPC_REPLY, k, 0x11) + op(RPC_REPLY, k, 0x01)
    s += op(RPC_CALL0, k, 3) + op(RPC_CALL0, j, 7)
    s += op(RPC_CLAIM, k, 3) + op(RPC_ABORT, k) + op(RPC_ABORT, k) + op(RPC_REQUEST, j, 3) + op(RPC_SERVE0, k)
    s += op(RPC_FAIL, k, 0) + op(RPC_FAIL, k, 0) + op(RPC_WAIT0, j, 0) + op(RPC_FAIL, j, 0x83)
    for b in (0x80, 0x81, 0x82, 0x83, 0x84, 0x85):
        s += op(RPC_WAIT0, k, b) + op(RPC_DONE, j, b) + op(RPC_CANCEL, k, b) + op(RPC_REPLY, j, b)
        s += op(RPC_REPLY_BUFFER, k, b)
    s += op(RPC_SERVER, k, 1) + op(RPC_CLIENT, j, 1) + op(RPC_REQUEST, j, 3) + op(RPC_SERVE0, k)
    s += op(RPC_REPLY, k, 0) + op(RPC_WAIT0, j, 0) + op(INFO) + op(RECOVER)
    return s


def stream_seeds(add):
    """Byte streams (variants 24-27): the calls, and hostile STREAM_CTL words
    (the state word: every seat, the latched flags set and cleared, the abort
    count; seat owners naming no entry, a free entry or ours; read_skip past
    the record and just inside it) before open and while handles are open."""
    for vi in range(24, 28):
        r = Region(vi)
        add('stream-calls-v%02d' % vi, head(vi) + stream_ops(r) + op(RECOVER) + stream_ops(r, 1) +
            op(STREAM_WRITER, 0, 0) + op(STREAM_WRITER, 1, 0) + op(STREAM_READ, 0, 7) + op(STREAM_STATE))
    seats = (1 << 48) - 1
    values = [
        ('state-all-seats', lambda r: (r.stream('state'), u64(seats))),
        ('state-ended', lambda r: (r.stream('state'), u64(1 << 48))),
        ('state-gone', lambda r: (r.stream('state'), u64(1 << 49))),
        ('state-aborts-max', lambda r: (r.stream('state'), u64(0xfff << 52 | 1 << 50))),
        ('state-ones', lambda r: (r.stream('state'), u64(0xffffffffffffffff))),
        ('state-seat-3', lambda r: (r.stream('state'), u64(1 << 3))),
        ('owner-nil', lambda r: (r.stream('seat_owner'), u32(0xffffffff) * 8)),
        ('owner-257', lambda r: (r.stream('seat_owner', 1), u32(257))),
        ('owner-free-entry', lambda r: (r.stream('seat_owner', 2), u32(200))),
        ('owner-entry-1', lambda r: (r.stream('seat_owner', 0), u32(1) * 8)),
        ('skip-huge', lambda r: (r.stream('read_skip'), u64(1 << 40))),
        ('skip-4', lambda r: (r.stream('read_skip'), u64(4))),
        ('bytes-read', lambda r: (r.stream('bytes_read'), u64(0xffffffffffffffff))),
    ]
    for k, (name, fn) in enumerate(values):
        vi = 24 + k % 4
        r = Region(vi)
        off, data = fn(r)
        t = stream_ops(r)
        if k % 2 == 0:
            add('stream-pre-%s-v%02d' % (name, vi), head(vi) + patch(off, data[:32]) + t + op(RECOVER) + t)
        else:
            add('stream-live-%s-v%02d' % (name, vi), head(vi) + op(STREAM_WRITE, 0, 3) +
                patch(off, data[:32], live=True) + t + op(RECOVER) + t)
    # mutations while the calls run: the state word flickers under writes,
    # joins and the end; read_skip and the ring under reads and hand-overs
    r = Region(25)
    add('race-stream-state-v25', head(25) +
        mut(r, r.stream('state'), 1 << 48, width=8, how=MV_XOR, flicker=True) + op(STREAM_WRITE, 0, 4) +
        mut(r, r.stream('state'), 1 << 49, width=8, how=MV_XOR, flicker=True) + op(STREAM_WRITE_ALL0, 1, 1) +
        mut(r, r.stream('state'), seats, width=8, flicker=True) + op(STREAM_WRITER, 0, 1) +
        mut(r, r.stream('seat_owner'), 0, words=48, flicker=True) + op(STREAM_WRITER, 1, 1) +
        mut(r, r.stream('state'), 0, width=8, lead=True) + op(STREAM_READ, 0, 7) + op(RECOVER) +
        stream_ops(r))
    r = Region(27)
    o = 0
    add('race-stream-read-v27', head(27) +
        mut(r, r.stream('read_skip'), 1, width=8, how=MV_ADD, flicker=True) + op(STREAM_READER, 0, 2) +
        op(STREAM_READ, 0, 3) +
        mut(r, r.log_ctl('read'), 8, width=8, how=MV_ADD, flicker=True) + op(STREAM_READ, 0, 7) +
        mut(r, r.ring(o), hdrv(0xfffffff8, T_RECORD), width=8, words=64, flicker=True) + op(STREAM_READ, 0, 6) +
        mut(r, r.stream('read_skip'), 1 << 40, width=8) + op(STREAM_READER, 0, 0) + op(STREAM_READER, 0, 2) +
        op(STREAM_READ, 0, 7) + mut(r, r.log_ctl('tail'), 8, width=8, how=MV_ADD, flicker=True) +
        op(STREAM_WRITE, 0, 4) + op(RECOVER) + stream_ops(r))


def rpc_seeds(add):
    """Request/response (variants 28-31): the calls, and hostile cells (state
    words with bad states, entries past the table, reserved bits, generation
    0; request and reply lengths past the maximum) and RPC_CTL words
    (every pending bit, bits past the table, the counters), before open and
    while handles are open."""
    for vi in range(28, 32):
        r = Region(vi)
        add('rpc-calls-v%02d' % vi, head(vi) + rpc_ops(r) + op(RECOVER) + rpc_ops(r, 1) + op(INFO))

    def word(gen, server1, client1, state):
        return gen << 32 | server1 << 17 | client1 << 8 | state
    values = [
        ('cell-state-7', lambda r: (r.cell(0, 'state'), u64(word(3, 0, 1, 7)))),
        ('cell-client-511', lambda r: (r.cell(1, 'state'), u64(word(3, 0, 511, 2)))),
        ('cell-server-300', lambda r: (r.cell(2, 'state'), u64(word(3, 300, 1, 3)))),
        ('cell-reserved-bits', lambda r: (r.cell(0, 'state'), u64(word(3, 1, 1, 3) | 0xfc000000))),
        ('cell-gen-0', lambda r: (r.cell(1, 'state'), u64(word(0, 0, 1, 4)))),
        ('cell-requested-nobody', lambda r: (r.cell(3, 'state'), u64(word(9, 0, 0, 2)))),
        ('cell-serving-dead', lambda r: (r.cell(2, 'state'), u64(word(9, 200, 1, 3)))),
        ('cell-replied-other', lambda r: (r.cell(0, 'state'), u64(word(1, 0, 2, 4)))),
        ('request-len-huge', lambda r: (r.cell(0, 'request_len'), u32(0xffffffff))),
        ('reply-len-past', lambda r: (r.cell(1, 'reply_len'), u32(r.v['max_record'] + 1))),
        ('pending-all', lambda r: (r.rpc('pending'), u64(0xffffffffffffffff) * 3)),
        ('pending-past', lambda r: (r.rpc('pending', 2), u64(0xfffffffffffffff0))),
        ('wake-waiters', lambda r: (r.rpc('wake_waiters'), u32(0xffffffff))),
        ('cell-wake', lambda r: (r.cell(0, 'wake_waiters'), u32(7))),
        ('counters', lambda r: (r.rpc('abandoned'), u64(0xffffffffffffffff) * 2)),
        ('cells-ones', lambda r: (r.cell(0, 'state'), b'\xff' * 16)),
    ]
    for k, (name, fn) in enumerate(values):
        vi = 28 + k % 4
        r = Region(vi)
        off, data = fn(r)
        t = rpc_ops(r)
        if k % 2 == 0:
            add('rpc-pre-%s-v%02d' % (name, vi), head(vi) + patch(off, data[:32]) + t + op(RECOVER) + t)
        else:
            add('rpc-live-%s-v%02d' % (name, vi), head(vi) + op(RPC_REQUEST, 0, 3) + op(RPC_SERVE0, 0) +
                patch(off, data[:32], live=True) + t + op(RECOVER) + t)
    # mutations while the calls run: a cell's word flickers under send,
    # serve, reply, wait and cancel; the pending bits under serve; the
    # lengths under the copies
    r = Region(29)
    add('race-rpc-cell-v29', head(29) +
        mut(r, r.cell(0, 'state'), 1 << 32, width=8, how=MV_ADD, flicker=True) + op(RPC_REQUEST, 0, 3) +
        mut(r, r.rpc('pending'), 0xf, width=8, flicker=True) + op(RPC_SERVE0, 0) +
        mut(r, r.cell(0, 'state'), word(1, 0, 0, 5), width=8, how=MV_XOR, flicker=True) + op(RPC_REPLY, 0, 0x10) +
        mut(r, r.cell(0, 'reply_len'), 0xffff, flicker=True, words=2) + op(RPC_WAIT0, 0, 0) +
        mut(r, r.cell(1, 'state'), 0, width=8, words=16, flicker=True) + op(RPC_CANCEL, 0, 1) +
        mut(r, r.cell(0, 'request_len'), 1 << 20, flicker=True) + op(RPC_SERVE0, 1) + op(RPC_CALL0, 1, 3) +
        rpc_ops(r))
    r = Region(30)
    add('race-rpc-crashed-v30', head(30) +
        mut(r, r.cell(1, 'state'), 1 << 17, width=8, how=MV_XOR, flicker=True) + op(RECOVER) +
        mut(r, r.cell(2, 'state'), 3, width=8, how=MV_STEP, words=8, flicker=True) + op(RECOVER) +
        mut(r, r.rpc('pending'), 0xff, width=8, flicker=True, lead=True) + op(RPC_SERVE0, 0) +
        mut(r, r.cell(3, 'state'), word(2, 0, 1, 2), width=8, flicker=True) + op(RPC_CLIENT, 0, 1) +
        op(RPC_SERVER, 1, 1) + rpc_ops(r))
    r = Region(31)
    add('race-rpc-stale-v31', head(31) +
        mut(r, r.rpc('pending'), 0xffffffffffffffff, width=8, words=3, flicker=True) + op(RPC_SERVE0, 0) +
        op(RPC_SERVE0, 1) + mut(r, r.rpc('pending', 3), 0xffffffffffffffff, width=8, words=8) +
        op(RPC_SERVE0, 0) + rpc_ops(r))


def races(add):
    """Mutations that land WHILE a call runs (the mutator thread), one group
    per section. HAMMER rewrites the words for the whole call; flicker
    alternates the hostile value with the one found at release; lead makes
    the call wait until the first round of writes is in place."""
    q = 0xFFFFFFF0  # a slot index far out of every pool
    # PUBLISH_BATCH b = 47: six messages of 9..54 bytes, all within 64

    # the SPSC cells rewritten under publish_batch: flush() used to read the
    # slot indices back from the cells and write through them (fixed in
    # b2fd60d; test/hostile-reread.c is the deterministic twin of this)
    for vi in (0, 4, 1, 2):
        r = Region(vi)
        cells = mut(r, r.spsc('cells'), q, words=64)  # clipped to the section: every cell
        s = head(vi)
        for k in range(4):
            s += (mut(r, r.spsc('cells'), q, words=64, lead=True) if k % 2 == 0 else cells)
            s += op(PUBLISH_BATCH, 0, 47)
            s += op(TRY_RECV, 0, 7) + op(RECV_BATCH, 0, 0x3f)
            if r.v['kind'] == FANOUT:
                s += op(ROUTE, 1, 1)
        add('race-spsc-cells-batch-v%02d' % vi, s)

    # header: geometry words and ready flicker under calls that only use the
    # view validated at open
    r = Region(1)
    t = traffic_ops(r)
    add('race-hdr-geometry-v01', head(1) +
        mut(r, 32, 0xffffffff, flicker=True) + mut(r, 44, 3, flicker=True) +
        mut(r, 48, 65, flicker=True) + op(INFO) +
        mut(r, 72, 0, flicker=True) + mut(r, 12, EVENTS, flicker=True) + op(REOPEN_CONSUMER, 1, 3) +
        mut(r, 0, 0, width=8, lead=True) + op(REOPEN_PRODUCER, 0, 1) +
        mut(r, 128, 0, width=8, words=16, flicker=True) + op(REOPEN_ROUTER, 0, 1) + t +
        mut(r, 36, 1 << 20, flicker=True) + op(PUBLISH, 2, 64) + op(TRY_RECV, 1, 7))

    # participants: role owners and entries while roles change hands
    r = Region(5)
    add('race-parts-owners-v05', head(5) + op(PUBLISH, 0, 3) +
        mut(r, r.parts_ctl('spsc_owner'), 0, flicker=True) + op(REOPEN_PRODUCER, 0, 1) +
        mut(r, r.consumer_owner(0), 0x80000001, flicker=True, words=2) + op(REOPEN_CONSUMER, 0, 3) +
        mut(r, r.parts_ctl('consumer_epoch'), 1, how=MV_ADD) + op(ROUTE, 1, 1) +
        mut(r, r.parts_ctl('router_owner'), 0, flicker=True) + op(REOPEN_ROUTER, 0, 1) +
        mut(r, r.parts_ctl('producers_live'), 0, words=6, flicker=True) + op(REOPEN_PRODUCER, 1, 1) +
        mut(r, r.entry_field(0, 'state'), 0, flicker=True) + op(RECOVER) + traffic_ops(r))
    r = Region(9)
    add('race-parts-crashed-v09', head(9) +
        mut(r, r.entry_field(0, 'held_slot'), q, flicker=True) +
        mut(r, r.entry_field(0, 'held_src'), 7, flicker=True) +
        mut(r, r.entry_field(0, 'held_pos'), 1 << 40, width=8, how=MV_XOR, flicker=True) +
        mut(r, r.entry_field(1, 'state'), 0, flicker=True) + op(RECOVER) +
        mut(r, r.entry_field(4, 'mpsc_reserve'), 1 << 40, width=8, flicker=True) +
        mut(r, r.entry_field(3, 'role'), 9, flicker=True) + op(RECOVER) +
        mut(r, r.entry_field(0, 'state'), 1, words=5, lead=True) + op(REOPEN_CONSUMER, 0, 1) +
        traffic_ops(r))

    # counters: moved forward under the calls that count
    r = Region(5)
    c = r.sec(S_COUNTERS)
    add('race-counters-v05', head(5) +
        mut(r, c, 1 << 40, width=8, how=MV_ADD) + mut(r, c + 64, 0xffff, width=8, how=MV_ADD) +
        op(PUBLISH_BATCH, 0, 47) +
        mut(r, c + 128, ~0, width=8, words=2) + mut(r, c + 192, 1 << 63, width=8, words=24,
                                                   how=MV_XOR) +
        op(ROUTE_STATS, 3, 1) + op(INFO) + traffic_ops(r))

    # wake entries: waiters and seq flicker under wait and publish
    r = Region(4)
    add('race-wake-v04', head(4) +
        mut(r, r.wake(0, 'waiters'), 5, flicker=True) + mut(r, r.wake(0, 'seq'), 1, how=MV_ADD,
                                                              flicker=True) +
        op(WAIT0, 0) + mut(r, r.wake(0, 'seq'), 1, how=MV_ADD) + op(RECV_TIMEOUT0, 0, 7) +
        mut(r, r.wake(0, 'waiters'), 0xffffffff, words=2) + op(PUBLISH, 0, 9) + op(PUBLISH, 1, 9) +
        traffic_ops(r))

    # router step journal: a crashed router's open step, rewritten while it
    # is recovered, and while a live router journals its own steps
    for vi in (9, 11):
        r = Region(vi)
        add('race-step-journal-v%02d' % vi, head(vi) +
            mut(r, r.router('step_slot'), q, flicker=True) +
            mut(r, r.router('step_pos'), 1, width=8, how=MV_XOR, flicker=True) +
            mut(r, r.router('step_targets'), ~0, width=8, flicker=True) + op(RECOVER) +
            mut(r, r.router('step_cursor'), (5 << 40) | (63 << 32) | 7, width=8, flicker=True) +
            mut(r, r.router('step_source'), 1, flicker=True) + op(REOPEN_ROUTER, 0, 1) +
            op(PUBLISH, 0, 3) + op(PUBLISH, 1, 4) +
            mut(r, r.router('step_slot'), 0, words=2, flicker=True) +
            mut(r, r.router('step_full'), ~0, width=8, words=3) + op(ROUTE_STATS, 3, 1) +
            mut(r, r.router('step_cursor'), 1 << 40, width=8, how=MV_ADD) + op(ROUTE_STATS, 3, 2) +
            mut(r, r.router('step_slot'), 1, how=MV_STEP, flicker=True) + op(RECOVER) +
            traffic_ops(r))
    r = Region(15)
    add('race-router-rr-v15', head(15) + op(PUBLISH, 1, 9) + op(PUBLISH, 0, 9) +
        mut(r, r.router('rr_next'), 63, flicker=True) + op(ROUTE, 2, 2) +
        mut(r, r.router('rr_next'), 0xffffffff) + mut(r, r.router('seen_epoch'), 1, how=MV_ADD,
                                                      flicker=True) +
        op(ROUTE_STATS, 3, 2) + traffic_ops(r))

    # SPSC control words: head and tail pushed around under publish / recv
    r = Region(4)
    add('race-spsc-ctl-v04', head(4) +
        mut(r, r.spsc('head'), 1 << 40, width=8, flicker=True) + op(PUBLISH, 0, 5) +
        mut(r, r.spsc('tail'), 3, width=8, how=MV_ADD, flicker=True) + op(TRY_RECV, 0, 7) +
        mut(r, r.spsc('tail'), r.v['queue'] + 1, width=8, how=MV_ADD) + op(RECV_BATCH, 0, 0x3f) +
        mut(r, r.spsc('head'), 1, width=8, how=MV_ADD, flicker=True) + op(PUBLISH_BATCH, 0, 3) +
        traffic_ops(r))

    # MPSC: cell sequence numbers, values and the tail under push / pop
    r = Region(6)
    cells = r.mpsc('cells')
    add('race-mpsc-v06', head(6) +
        mut(r, cells, 1, width=8, how=MV_ADD, flicker=True, words=1) +
        mut(r, cells + 16, 1 << 63, width=8, how=MV_XOR, flicker=True) + op(PUBLISH, 1, 5) +
        mut(r, r.mpsc('tail'), 1, width=8, how=MV_ADD, flicker=True) + op(PUBLISH_BATCH, 1, 3) +
        mut(r, cells + 8, q, flicker=True) + mut(r, cells + 24, q) + op(TRY_RECV, 0, 7) +
        mut(r, r.mpsc('head'), 2, width=8, how=MV_ADD, flicker=True) + op(RECV_BATCH, 0, 0x3f) +
        mut(r, cells, 0, width=8, words=4, flicker=True) + op(CLAIM, 2) + op(COMMIT, 2, 9) +
        traffic_ops(r))

    # consumer queues: cells and control words under route and recv
    r = Region(5)
    add('race-cq-v05', head(5) + op(PUBLISH, 0, 3) + op(PUBLISH, 1, 4) +
        mut(r, r.cq(0, 'cells'), q, words=64) + mut(r, r.cq(1, 'tail'), 1 << 40, width=8,
                                                    flicker=True) +
        op(ROUTE_STATS, 3, 1) +
        mut(r, r.cq(0, 'cells'), 0, how=MV_STEP, words=16, flicker=True) + op(TRY_RECV, 0, 7) +
        mut(r, r.cq(1, 'tail'), 1, width=8, how=MV_ADD, flicker=True) + op(RECV_BATCH, 1, 0x3f) +
        mut(r, r.cq(0, 'head'), r.v['queue'] * 3, width=8, how=MV_ADD, flicker=True) +
        op(ROUTE, 3, 1) + op(RECV_BEGIN, 0, 0) + traffic_ops(r))

    # slot pool: free_head under claim / abort, slot headers under recv
    r = Region(4)
    add('race-pool-v04', head(4) +
        mut(r, r.pool_head(), 0xffffffff00000003, width=8, flicker=True) + op(CLAIM, 1) +
        op(ABORT, 1) + mut(r, r.pool_head(), 1 << 32, width=8, how=MV_ADD, flicker=True) +
        op(PUBLISH_BATCH, 2, 47) +
        mut(r, r.slot(0, 'next_free'), 1, how=MV_STEP, words=1, flicker=True) +
        mut(r, r.slot(1, 'next_free'), 1) + op(CLAIM, 0) + op(COMMIT, 0, 9) +
        mut(r, r.slot(2, 'len'), 0xffffffff, flicker=True) + op(TRY_RECV, 0, 7) +
        mut(r, r.slot(3, 'refcount'), 0, flicker=True) + op(RECV_BEGIN, 0, 1) +
        mut(r, r.slot(4, 'owner'), 7, flicker=True) + op(RECV_END, 0) + traffic_ops(r))
    r = Region(14)
    add('race-pool-limits-v14', head(14) + op(PUBLISH, 0, 1) +
        mut(r, r.slot(0, 'refcount'), 2, flicker=True) + mut(r, r.slot(1, 'len'), 65) +
        op(ROUTE, 3, 1) + mut(r, r.pool_head(), 0xffffffff, width=4, flicker=True) +
        op(PUBLISH_BATCH, 0, 47) + traffic_ops(r))

    # one-shot writes at the four delays, and xor over the whole file
    r = Region(5)
    add('race-delayed-v05', head(5) + op(PUBLISH, 0, 3) +
        mut(r, r.spsc('cells'), q, rep=1, delay=1, words=16) + op(ROUTE, 1, 1) +
        mut(r, r.cq(0, 'cells'), q, rep=1, delay=2, words=16) + op(TRY_RECV, 0, 7) +
        mut(r, r.pool_head(), 0xffffffff, width=8, rep=3, delay=3, flicker=True) +
        op(PUBLISH_BATCH, 1, 47) +
        mut(r, r.slot(0, 'len'), 0x5a5a, how=MV_XOR, rep=2, delay=1, words=64) + op(RECV_BATCH, 1, 0x3f) +
        traffic_ops(r))
    r = Region(3)
    add('race-file-xor-v03', head(3) + traffic_ops(r) +
        mut(r, 0x4000, 0x0101010101010101, width=8, how=MV_XOR, words=64, flicker=True) +
        op(PUBLISH_BATCH, 0, 4) +
        mut(Region(3), 0, 0x8000000000000001, width=8, how=MV_XOR, words=64, flicker=True) +
        traffic_ops(r))
    # queued after the last call: they run while the fixed tail does
    r = Region(7)
    add('race-tail-v07', head(7) + op(PUBLISH, 0, 2) +
        mut(r, r.spsc('cells'), q, words=64) + mut(r, r.cq(0, 'cells'), q, words=64) +
        mut(r, r.mpsc('cells'), 0, width=8, words=8, flicker=True))


def durable_ops(r):
    """The 1.2 calls on a region: held receive into every capacity, release
    of what is held, of more (OUT_OF_RANGE) and of nothing; marked publish
    (valid, forged marks, on the MPSC producer); the mark; every bridge
    counter line and past them; the region id; a holder reopened with
    every max_held and a bad config; the SPSC producer reopened (the
    journal settles at open); recovery."""
    s = op(REGION_ID) + op(PRODUCER_MARK, 0) + op(PRODUCER_MARK, 1)
    s += op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 0) + op(RECV_HELD, 0, 3) + op(RECV_HELD, 0, 7)
    s += op(RELEASE, 0, 1) + op(RELEASE, 0, 0x81) + op(RELEASE, 0, 0) + op(RELEASE, 0, 0xff)
    s += op(PUBLISH_MARKED, 0, 5) + op(PUBLISH_MARKED, 1, 0x85) + op(PUBLISH_MARKED, 2, 0x83)
    s += op(PUBLISH_MARKED, 0, 0x84) + op(PUBLISH_MARKED, 1, 2) + op(PRODUCER_MARK, 0)
    for w in (0, 1, 2, 3, 4, 5):
        s += op(BRIDGE_COUNTERS, w, 1) + op(BRIDGE_COUNTERS, w, 0)
    for k in range(4):
        s += op(BRIDGE_COUNTERS, 0, 4 | (k << 3)) + op(BRIDGE_COUNTERS, 0, 5 | (k << 3))
    if r.v['kind'] == FANOUT:
        s += op(ROUTE, 3, 1) + op(ROUTE, 3, 2) + op(ROUTE_STATS, 1, 1)
    s += op(RECV_HELD, 0, 7) + op(RECV_HELD, 1, 7) + op(TRY_RECV, 1, 7)
    s += op(HOLD_REOPEN, 0, 0x80) + op(HOLD_REOPEN, 0, 0xc0) + op(HOLD_REOPEN, 0, 1 | (7 << 1))
    s += op(HOLD_REOPEN, 0, 1 | (1 << 1)) + op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 7)
    s += op(RELEASE, 0, 1) + op(HOLD_REOPEN, 0, 1 | (6 << 1)) + op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 7)
    s += op(REOPEN_PRODUCER, 0, 1) + op(PRODUCER_MARK, 0) + op(PUBLISH_MARKED, 0, 4)
    s += op(RECOVER) + op(HOLD_REOPEN, 0, 0) + op(TRY_RECV, 0, 7) + op(HOLD_REOPEN, 0, 1)
    s += op(RECV_HELD, 0, 7) + op(INFO)
    return s


def dmut(r, field, value, width=8, i=0, **kw):
    """A mutation of a DURABLE field of variant r (mut, addressed there)."""
    return mut(r, r.dur(field, i), value, width=width, **kw)


def durable_seeds(add):
    """Durable regions (1.2, variants 32-39) and held receive elsewhere."""
    for vi in range(NVARIANTS):
        r = Region(vi)
        add('durable-calls-v%02d' % vi, head(vi) + durable_ops(r) + traffic_ops(r) + durable_ops(r))
    # held receive on regions without durable state: events and byte logs
    # hold; a fanout holder is refused (BAD_STATE)
    for vi in (0, 1, 2, 3, 4, 8, 16, 17, 18, 19, 21):
        r = Region(vi)
        add('hold-v%02d' % vi, head(vi, F_HOLD) + durable_ops(r) + traffic_ops(r) + op(RECOVER) +
            op(RECV_HELD, 0, 7))
    # durable variants with no holder at first: a plain consumer drains a
    # held fanout queue and clears its bit; a holder comes later
    for vi in range(32, 40):
        r = Region(vi)
        add('durable-nohold-v%02d' % vi, head(vi, F_NO_HOLD) + traffic_ops(r) + op(HOLD_REOPEN, 0, 1) +
            durable_ops(r))

    # forged mark journals, settled by the SPSC producer's open (reopen) and
    # by recovery; values set before the call (lead, one round)
    one = dict(rep=1, lead=True)
    for vi in range(32, 40):
        r = Region(vi)
        log = r.v['kind'] == LOG
        cases = {
            'pend-huge': [('pend_mark', (1 << 64) - 1), ('pend_pos', 1 << 62)],
            'pend-ahead': [('pend_mark', 1 << 40), ('pend_pos', 1 << 20)],
            'pend-far-behind': [('pend_mark', 1 << 40), ('pend_pos', 0)],
            'pend-below-mark': [('mark', 1 << 50), ('pend_mark', 7), ('pend_pos', 3)],
            'pend-misaligned': [('pend_mark', 99), ('pend_pos', 4093)],
            'mark-huge': [('mark', (1 << 64) - 2)],
            'mark-zero-pend': [('mark', 0), ('pend_mark', 1), ('pend_pos', (1 << 64) - 8)],
        }
        for name, writes in cases.items():
            pre = b''.join(dmut(r, f, v, **one) for f, v in writes)
            s = head(vi) + pre + op(REOPEN_PRODUCER, 0, 1) + op(PRODUCER_MARK, 0)
            s += op(PUBLISH_MARKED, 0, 3) + op(PUBLISH_MARKED, 0, 5)
            s += b''.join(dmut(r, f, v, **one) for f, v in writes) + op(RECOVER)
            s += op(REOPEN_PRODUCER, 0, 1) + op(PUBLISH_MARKED, 0, 2) + op(INFO)
            add('durable-journal-%s-v%02d' % (name, vi), s)
        # the journal rewritten while a marked publish runs and while the
        # producer opens (hammered and flickering)
        s = head(vi) + dmut(r, 'pend_mark', 0, words=3, flicker=True) + op(PUBLISH_MARKED, 0, 5)
        s += dmut(r, 'pend_pos', 1 << 33, flicker=True) + dmut(r, 'pend_mark', 1 << 60) + \
            op(REOPEN_PRODUCER, 0, 1)
        s += dmut(r, 'mark', 1, how=MV_ADD) + op(PUBLISH_MARKED, 0, 4) + op(PRODUCER_MARK, 0)
        s += dmut(r, 'pend_mark', 5, how=MV_XOR, flicker=True) + op(RECOVER)
        add('race-durable-journal-v%02d' % vi, s)
        # hold_mask: every bit, none, flipped, under route, recovery,
        # consumer close/open (drain or keep), held receive and release
        s = head(vi)
        for v, how in ((2**64 - 1, MV_SET), (0, MV_SET), (0x5555555555555555, MV_XOR)):
            s += dmut(r, 'hold_mask', v, how=how, **one) + op(REOPEN_CONSUMER, 1, 1)
            s += op(ROUTE, 3, 1) + op(RECV_HELD, 0, 7) + op(RELEASE, 0, 1) + op(RECOVER)
            s += op(HOLD_REOPEN, 0, 1) + op(HOLD_REOPEN, 1, 0) + op(REOPEN_ROUTER, 0, 1)
        s += dmut(r, 'hold_mask', 0, flicker=True) + op(HOLD_REOPEN, 0, 0)
        s += dmut(r, 'hold_mask', 1, how=MV_XOR, flicker=True) + op(RECOVER)
        s += dmut(r, 'hold_mask', 2**64 - 1) + op(ROUTE_STATS, 1, 1)
        add('durable-hold-mask-v%02d' % vi, s)
        # bridge counters and region id rewritten (statistics: any value)
        s = head(vi) + dmut(r, 'counters', 2**64 - 1, words=40) + op(BRIDGE_COUNTERS, 0, 1)
        s += op(BRIDGE_COUNTERS, 1, 0) + dmut(r, 'region_id', 0, words=2) + op(REGION_ID)
        s += dmut(r, 'counters', 1, how=MV_ADD, words=64) + op(BRIDGE_COUNTERS, 0, 5) + op(INFO)
        add('durable-counters-v%02d' % vi, s)
        # the held queues rewritten under held receive and release
        if log:
            s = head(vi) + mut(r, r.log_ctl('read'), 8, how=MV_ADD, width=8, rep=1, lead=True)
            s += op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 7)
            s += mut(r, r.log_ctl('head'), 4096, how=MV_ADD, width=8, flicker=True) + op(RELEASE, 0, 2)
            s += mut(r, r.log_ctl('tail'), 0, width=8, flicker=True) + op(RECV_HELD, 0, 7)
            s += mut(r, r.ring(r.log_read()), (3 << 32) | 40, width=8, rep=1, lead=True)
            s += op(RECV_HELD, 0, 7) + op(RELEASE, 0, 1) + op(HOLD_REOPEN, 0, 1) + op(RECV_HELD, 0, 7)
        else:
            q = r.cq(0, 'head') if r.v['kind'] == FANOUT else r.spsc('head')
            cells = r.cq(0, 'cells') if r.v['kind'] == FANOUT else r.spsc('cells')
            s = head(vi) + mut(r, cells, 0xFFFFFFF0, words=64, rep=1, lead=True)
            s += op(RECV_HELD, 0, 7) + op(RECV_HELD, 0, 7) + op(RELEASE, 0, 1)
            s += mut(r, q, 1, how=MV_ADD, width=8, flicker=True) + op(RELEASE, 0, 1)
            s += mut(r, q + 64, 3, how=MV_ADD, width=8, rep=1, lead=True) + op(RECV_HELD, 0, 7)
            s += mut(r, r.slot(0, 'len'), 0x7fffffff, words=16, rep=1, lead=True) + op(RECV_HELD, 0, 7)
            s += mut(r, r.mpsc('cells'), 0, width=8, words=8, flicker=True) + op(RECV_HELD, 0, 7)
            s += op(RELEASE, 0, 0x83) + op(RELEASE, 0, 2) + op(HOLD_REOPEN, 0, 1) + op(RECV_HELD, 0, 7)
            s += op(RECOVER) + op(RECV_HELD, 0, 7)
        add('race-durable-held-v%02d' % vi, s)


def l13_ops(r):
    """The 1.3 calls: recycling cycles in both modes (park, take-back,
    hand-back), MPSC batches of 1, 7, 64 (one reservation each), a starved
    SPSC producer and the idle refill, consumers and the router reopened
    (a parked slot in a left queue), recovery, the info counts."""
    s = op(RECYCLE_CYCLE, 7, 5) + op(RECYCLE_CYCLE, 8 | 3, 40) + op(MPSC_BATCH64, 0, 0)
    s += op(MPSC_BATCH64, 1, 6) + op(MPSC_BATCH64, 0, 63) + op(ROUTE, 3, 1) + op(ROUTE, 3, 2)
    s += op(RECYCLE_STARVE, 1, 9) + op(RECYCLE_STARVE, 8 | 2, 63) + op(INFO)
    if r.v['kind'] == FANOUT:
        s += op(REOPEN_CONSUMER, 1, 1) + op(RECYCLE_CYCLE, 5, 1) + op(REOPEN_CONSUMER, 0, 3)
        s += op(REOPEN_ROUTER, 0, 1) + op(RECYCLE_CYCLE, 8 | 7, 2)
    s += op(RECOVER) + op(RECYCLE_CYCLE, 2, 17) + op(MPSC_BATCH64, 1, 33) + op(INFO)
    return s


def l13_seeds(add):
    """Layout 1.3 (variants 40-47), and the 1.3 ops on every other variant."""
    for vi in range(NVARIANTS):
        r = Region(vi)
        add('l13-calls-v%02d' % vi, head(vi) + l13_ops(r) + traffic_ops(r) + l13_ops(r))
    one = dict(rep=1, lead=True)
    for vi in range(40, 48):
        r = Region(vi)
        v, Q, S = r.v, r.v['queue'], r.v['slots']
        fan = v['kind'] == FANOUT
        # forged parks written before the call that would take them: every
        # slot PARKED_CONSUMER(0) / of a queue past the count / PARKED, with
        # next_free the checked position, a lap off, an index
        for name, owner, nf in (('c0', 0xffffff00, 0), ('c63', 0xffffff3f, 4), ('spsc', 0xffffffff, 0),
                                ('base-1', 0xfffffeff, 0), ('lap', 0xffffff01, Q)):
            s = head(vi) + mut(r, r.slot(0, 'owner'), owner, words=1, **one)
            s += mut(r, r.slot(1, 'owner'), owner, **one) + mut(r, r.slot(1, 'next_free'), nf, **one)
            s += op(RECYCLE_CYCLE, 3, 7) + op(PUBLISH, 0, 3) + op(RECYCLE_CYCLE, 8 | 3, 7)
            s += mut(r, r.slot(0, 'owner'), owner, words=min(S, 64), **one)
            s += op(RECOVER) + op(RECYCLE_STARVE, 0, 1) + op(INFO)
            add('l13-forged-park-%s-v%02d' % (name, vi), s)
        # the cells the router rewrites next and the SPSC source cells,
        # rewritten while a cycle runs (hammered, flickering)
        cells = r.cq(0, 'cells') if fan else r.spsc('cells')
        s = head(vi) + mut(r, cells, 0, words=Q, flicker=True) + op(RECYCLE_CYCLE, 4, 9)
        s += mut(r, r.spsc('cells'), S - 1, words=Q) + op(RECYCLE_CYCLE, 8 | 4, 9)
        s += mut(r, r.slot(0, 'owner'), 0xffffff00, words=min(S, 64), flicker=True) + op(RECYCLE_CYCLE, 2, 3)
        s += mut(r, r.slot(0, 'next_free'), 1, how=MV_ADD, words=min(S, 64), flicker=True)
        s += op(RECYCLE_STARVE, 3, 5) + mut(r, r.pool_head(), 0xffffffff, width=8, flicker=True)
        s += op(RECYCLE_CYCLE, 1, 1) + op(RECOVER) + op(INFO)
        add('race-l13-cells-v%02d' % vi, s)
        # the MPSC reservation journal: reserved counts and starts forged in
        # every entry a producer may hold, under recovery and a batch
        for name, cnt, start in (('zero', 0, 1), ('one', 1, 1), ('queue', Q, 1), ('past', Q + 1, 1),
                                 ('huge', 0xffffffff, 1), ('behind', 3, 0), ('far', 7, 1 << 40)):
            s = head(vi)
            for e in range(4):
                s += mut(r, r.entry_field(e, 'reserved'), cnt, **one)
                s += mut(r, r.entry_field(e, 'mpsc_reserve'), start, width=8, **one)
            s += mut(r, r.mpsc('tail'), 3, how=MV_ADD, width=8, **one) + op(RECOVER)
            s += op(MPSC_BATCH64, 0, 40) + op(TRY_RECV, 0, 7) + op(RECV_BATCH, 0, 0x3f)
            s += op(REOPEN_PRODUCER, 1, 1) + op(MPSC_BATCH64, 1, 63) + op(RECOVER) + op(INFO)
            add('l13-reserved-%s-v%02d' % (name, vi), s)
        # the tail and cells inside a reservation rewritten while batches run
        s = head(vi) + mut(r, r.mpsc('tail'), 1, how=MV_ADD, width=8, flicker=True)
        s += op(MPSC_BATCH64, 0, 63) + mut(r, r.mpsc('cells'), 0, width=8, words=2 * Q, flicker=True)
        s += op(MPSC_BATCH64, 1, 30) + mut(r, r.entry_field(1, 'reserved'), 64, flicker=True)
        s += op(RECOVER) + op(ROUTE, 3, 1) + op(TRY_RECV, 0, 7) + op(INFO)
        add('race-l13-batch-v%02d' % vi, s)


# Seeds that reproduce a library bug not fixed yet: written to ../pending,
# not to the corpus the smoke run starts from (names as in seeds()). Empty:
# the three byte-log seeds that hung ib_log_reserve (head past tail) are
# back in the corpus since 4520797 fixed it.
PENDING = set()


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    pend = os.path.join(os.path.dirname(os.path.abspath(d)), 'pending')
    os.makedirs(d, exist_ok=True)
    if PENDING:
        os.makedirs(pend, exist_ok=True)
    for x in (d, pend):
        for f in os.listdir(x) if os.path.isdir(x) else []:
            if f.startswith('seed-') and f.endswith('.bin'):
                os.remove(os.path.join(x, f))
    s = seeds()
    assert PENDING <= set(s), PENDING - set(s)
    for name, data in sorted(s.items()):
        with open(os.path.join(pend if name in PENDING else d, 'seed-%s.bin' % name), 'wb') as fh:
            fh.write(data)
    print('make_corpus: %d seeds in %s, %d pending (a library bug) in %s' %
          (len(s) - len(PENDING), d, len(PENDING), pend))


if __name__ == '__main__':
    main()
