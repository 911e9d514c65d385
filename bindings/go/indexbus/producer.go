package indexbus

import (
	"math"
	"sync"

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
	buf  []byte   // PublishBatch packing buffer, guarded by mu
	lens []uint32 // PublishBatch lengths, guarded by mu
}

// callOut holds a handle's out-parameters. cgo treats a pointer to a struct
// field as a pointer to the whole struct, which must then hold no Go
// pointers: hence this separate, pointer-free allocation (Span.Data only
// ever holds C memory), made once per handle so calls do not allocate.
type callOut struct {
	n    int
	span swig.Span
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
	p.h, p.out.span = 0, swig.Span{}
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
	return check(op, swig.Indexbus_publish(p.h, msg))
}

// PublishBatch publishes msgs in order, packing them into one buffer for a
// single library call. It returns how many went out; if not all did, the
// error says why the first of the rest did not (e.g. ErrFull).
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
	total := 0
	for _, m := range msgs {
		if uint64(len(m)) > math.MaxUint32 {
			return 0, &Error{Code: StatusTooLarge, Op: op}
		}
		total += len(m)
	}
	// at least one byte of capacity: the library wants a non-NULL buffer
	// even when every message is empty
	if cap(p.buf) < max(total, 1) {
		p.buf = make([]byte, 0, max(total, 1))
	}
	p.buf, p.lens = p.buf[:0], p.lens[:0]
	for _, m := range msgs {
		p.buf = append(p.buf, m...)
		p.lens = append(p.lens, uint32(len(m)))
	}
	p.out.n = 0
	st := swig.Indexbus_publish_batch(p.h, p.buf, p.lens, &p.out.n)
	return p.out.n, check(op, st)
}

// Claim reserves a free slot and returns its buffer, which is the slot
// itself in shared memory (len = the slot data size). Write the message
// into it and Commit its length, or Abort.
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
		p.out.span = swig.Span{}
	}
	return err
}

// Abort gives the claimed slot back unpublished (ErrBadState without a
// claim).
func (p *Producer) Abort() error {
	const op = "abort"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return closedError(op)
	}
	err := check(op, swig.Indexbus_abort(p.h))
	if err == nil {
		p.out.span = swig.Span{}
	}
	return err
}
