package indexbus

import (
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// Producer publishes messages into a region.
//
// A Producer is safe for concurrent use, but its calls are serialised: for
// parallel publishing open one MPSC producer per goroutine.
type Producer struct {
	mu   sync.Mutex
	h    swig.Producer // 0 once closed
	typ  ProducerType
	out  *callOut // out-parameters, guarded by mu
	buf  []byte   // PublishBatch packing buffer (when needed), guarded by mu
	lens []uint32 // PublishBatch lengths, guarded by mu
	// ClaimBatch: the buffer addresses C fills in (C memory only, so no Go
	// pointers), and the batch pending, if any; guarded by mu
	bufs  []unsafe.Pointer
	batch *BatchClaim
}

// callOut holds a handle's out-parameters. cgo treats a pointer to a struct
// field as a pointer to the whole struct, which must then hold no Go
// pointers: hence this separate, pointer-free allocation (Span.Data only
// ever holds C memory), made once per handle so calls do not allocate.
type callOut struct {
	n     int
	span  swig.Span
	ptr   unsafe.Pointer // ClaimLen, ClaimWait: C memory only
	space uint64
}

// Type returns SPSC or MPSC.
func (p *Producer) Type() ProducerType { return p.typ }

// Close detaches the producer, aborting a pending claim. Closing twice
// returns ErrClosed.
func (p *Producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return closedError("producer close")
	}
	h := p.h
	p.h, p.out.span, p.out.ptr, p.batch = 0, swig.Span{}, nil, nil
	return check("producer close", swig.Indexbus_producer_close(h))
}

// Publish copies msg into a free slot and publishes it. ErrFull: no free
// slot or queue space, retry later; ErrTooLarge: longer than the slot data
// size; ErrDisconnected: every consumer has gone. The library reads msg in
// place: the only copy is into shared memory.
func (p *Producer) Publish(msg []byte) error {
	const op = "publish"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return closedError(op)
	}
	return check(op, swig.PublishDirect(p.h, msg))
}

// PublishPacked publishes len(lens) messages packed back to back in data,
// message i being the next lens[i] bytes, in one library call that reads
// data and lens in place: the only copy is into shared memory. It is the
// fastest way to publish a batch, and never allocates. It returns how many
// went out, in order; if not all did, the error says why the first of the
// rest did not (e.g. ErrFull, ErrTooLarge). ErrInvalidArgument, with
// nothing published, if data is shorter than the lengths add up to; bytes
// past them are ignored.
func (p *Producer) PublishPacked(data []byte, lens []uint32) (int, error) {
	const op = "publish batch"
	if len(lens) == 0 {
		return 0, nil
	}
	left := uint64(len(data))
	for _, n := range lens {
		if uint64(n) > left {
			return 0, &Error{Code: StatusInvalidArgument, Op: op,
				Detail: "lens add up to more than len(data)"}
		}
		left -= uint64(n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return 0, closedError(op)
	}
	st, n := swig.PublishBatchDirect(p.h, data, lens)
	return n, check(op, st)
}

// PublishBatch publishes msgs in order in a single library call. Messages
// that already lie back to back in memory (slices of one buffer, in order)
// are read in place; otherwise they are first packed into a buffer the
// Producer keeps for the next call. It returns how many went out; if not all
// did, the error says why the first of the rest did not (e.g. ErrFull).
func (p *Producer) PublishBatch(msgs [][]byte) (int, error) {
	const op = "publish batch"
	if len(msgs) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return 0, closedError(op)
	}
	p.lens = p.lens[:0]
	total := 0
	for _, m := range msgs {
		if uint64(len(m)) > math.MaxUint32 {
			return 0, &Error{Code: StatusTooLarge, Op: op}
		}
		p.lens = append(p.lens, uint32(len(m)))
		total += len(m)
	}
	data, ok := adjacent(msgs, total)
	if !ok {
		if cap(p.buf) < total {
			p.buf = make([]byte, 0, total)
		}
		p.buf = p.buf[:0]
		for _, m := range msgs {
			p.buf = append(p.buf, m...)
		}
		data = p.buf
	}
	st, n := swig.PublishBatchDirect(p.h, data, p.lens)
	return n, check(op, st)
}

// adjacent returns msgs as one slice of their total length when each one
// starts where the previous one ends, all within the array behind msgs[0]
// (so nothing needs packing), and ok = false otherwise.
func adjacent(msgs [][]byte, total int) (data []byte, ok bool) {
	if total == 0 {
		return nil, true
	}
	if cap(msgs[0]) < total {
		return nil, false
	}
	data = msgs[0][:total]
	off := 0
	for _, m := range msgs {
		if len(m) > 0 && &m[0] != &data[off] {
			return nil, false
		}
		off += len(m)
	}
	return data, true
}

// Claim reserves a free slot and returns its buffer, which is the slot
// itself in shared memory (len = the slot data size; on a byte log, a
// record of MaxRecord bytes). Write the message into it and Commit its
// length, or Abort. ClaimLen claims exactly the length you need.
//
// The slice is valid only until Commit, Abort or Close: after that the slot
// belongs to the bus again (and, once every handle on the region is closed,
// the memory is unmapped). Never keep it or slices of it.
func (p *Producer) Claim() ([]byte, error) {
	const op = "claim"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return nil, closedError(op)
	}
	if err := check(op, swig.Indexbus_claim(p.h, &p.out.span)); err != nil {
		return nil, err
	}
	return p.out.span.Bytes(), nil
}

// Commit publishes the first n bytes of the claimed buffer. ErrBadState
// without a claim. On ErrFull or ErrTooLarge the claim stays pending: retry,
// or Abort.
func (p *Producer) Commit(n int) error {
	const op = "commit"
	if n < 0 {
		return &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return closedError(op)
	}
	err := check(op, swig.Indexbus_commit(p.h, int64(n)))
	if err == nil {
		p.out.span, p.out.ptr = swig.Span{}, nil
	}
	return err
}

// Abort gives the claimed slot back unpublished (ErrBadState without a
// claim). On a byte log the claimed bytes (of a ClaimLen, ClaimWait or
// ClaimBatch too) become padding the consumer skips.
func (p *Producer) Abort() error {
	const op = "abort"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return closedError(op)
	}
	err := check(op, swig.Indexbus_abort(p.h))
	if err == nil {
		p.out.span, p.out.ptr, p.batch = swig.Span{}, nil, nil
	}
	return err
}

// ClaimLen reserves exactly n bytes (0 allowed) and returns them: a slice
// of length and capacity n over shared memory. Write the record into it
// and Commit(n) (or fewer bytes: on a byte log the rest becomes padding),
// or Abort. It is the zero-copy claim of a byte log, where n may be up to
// the region's MaxRecord; on events and fanout regions it claims a slot
// and n may be up to the slot data size. ErrTooLarge beyond that, ErrFull
// when there is no room now, ErrDisconnected when the consumer has gone.
//
// The slice is valid only until Commit, Abort or Close, as for Claim.
func (p *Producer) ClaimLen(n int) ([]byte, error) {
	const op = "claim len"
	if n < 0 {
		return nil, &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return nil, closedError(op)
	}
	return p.claimed(op, n, swig.Indexbus_claim_len(p.h, int64(n), &p.out.ptr))
}

// claimed turns a claim_len or claim_wait result into the n bytes claimed.
func (p *Producer) claimed(op string, n, st int) ([]byte, error) {
	if st != StatusOK {
		p.out.ptr = nil
		return nil, check(op, st)
	}
	return unsafe.Slice((*byte)(p.out.ptr), n), nil
}

// ClaimWait is ClaimLen for a blocking producer: when the region is full
// it waits (spinning, then parked) until the consumer frees room, for up
// to timeout (ErrTimeout after that; a timeout of 0 or less still tries
// once). ErrDisconnected if the consumer leaves or dies meanwhile. It
// works on every region kind.
func (p *Producer) ClaimWait(n int, timeout time.Duration) ([]byte, error) {
	const op = "claim wait"
	if n < 0 {
		return nil, &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	var buf []byte
	err := p.waitLoop(op, timeout, func(slice uint64) (int, error) {
		st := swig.Indexbus_claim_wait(p.h, int64(n), &p.out.ptr, slice)
		var err error
		buf, err = p.claimed(op, n, st)
		return st, err
	})
	return buf, err
}

// PublishWait is Publish for a blocking producer: when the region is full
// it waits (spinning, then parked) until the consumer frees room, for up
// to timeout (ErrTimeout after that; a timeout of 0 or less still tries
// once). ErrDisconnected if the consumer leaves or dies meanwhile. It
// works on every region kind.
func (p *Producer) PublishWait(msg []byte, timeout time.Duration) error {
	const op = "publish wait"
	return p.waitLoop(op, timeout, func(slice uint64) (int, error) {
		st := swig.PublishWaitDirect(p.h, msg, slice)
		return st, check(op, st)
	})
}

// waitLoop runs a blocking producer call in slices of at most waitSlice,
// releasing the handle in between (so Close from another goroutine ends
// the wait with ErrClosed), until it returns anything but a timeout or
// timeout has passed. call runs with p.mu held and p open.
func (p *Producer) waitLoop(op string, timeout time.Duration, call func(slice uint64) (int, error)) error {
	deadline := time.Now().Add(max(timeout, 0))
	for {
		slice, last := waitSlice, false
		if left := time.Until(deadline); left <= slice {
			slice, last = max(left, 0), true // at least one attempt
		}
		st, err := p.waitOnce(op, call, uint64(slice))
		if st != StatusTimeout {
			return err
		}
		if last {
			return &Error{Code: StatusTimeout, Op: op}
		}
	}
}

func (p *Producer) waitOnce(op string, call func(slice uint64) (int, error), slice uint64) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return StatusClosed, closedError(op)
	}
	return call(slice)
}

// Space returns the free space as this producer sees it now: on a byte
// log the free ring bytes (a record of n bytes takes 8 + n rounded up to a
// multiple of 8, plus padding where it would straddle the ring's end); on
// events and fanout regions how many messages it could publish now
// without ErrFull.
func (p *Producer) Space() (uint64, error) {
	const op = "producer space"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return 0, closedError(op)
	}
	p.out.space = 0
	if err := check(op, swig.Indexbus_producer_space(p.h, &p.out.space)); err != nil {
		return 0, err
	}
	return p.out.space, nil
}
