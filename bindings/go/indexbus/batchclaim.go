package indexbus

import (
	"unsafe"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// BatchClaim is an in-place batch claim on a byte log (Producer.ClaimBatch):
// room for several records reserved at once, filled where they lie, and
// published with a single store by Commit.
//
// Its buffers are valid only until Commit, Abort or the producer's Close;
// never keep them or slices of them. Use it from the goroutine that made
// it, like the Producer's other calls.
type BatchClaim struct {
	p    *Producer
	bufs [][]byte // nil once committed or aborted
}

// ClaimBatch reserves room for len(lens) records of lens[i] bytes with one
// reservation, in a byte log only (ErrWrongKind on events and fanout
// regions: use PublishBatch there). Nothing is visible to the consumer
// until Commit. ErrTooLarge if a record exceeds the region's MaxRecord or
// the whole batch half the ring; ErrFull if the batch does not fit now
// (nothing is reserved); ErrBadState while another claim is pending;
// ErrInvalidArgument for an empty lens. The library copies lens.
func (p *Producer) ClaimBatch(lens []uint32) (*BatchClaim, error) {
	const op = "claim batch"
	if len(lens) == 0 {
		return nil, &Error{Code: StatusInvalidArgument, Op: op, Detail: "no lengths"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		return nil, closedError(op)
	}
	if cap(p.bufs) < len(lens) {
		p.bufs = make([]unsafe.Pointer, len(lens))
	}
	addrs := p.bufs[:len(lens)]
	if err := check(op, swig.Indexbus_claim_batch(p.h, lens, addrs)); err != nil {
		clear(addrs)
		return nil, err
	}
	b := &BatchClaim{p: p, bufs: make([][]byte, len(lens))}
	for i, n := range lens {
		b.bufs[i] = unsafe.Slice((*byte)(addrs[i]), int(n))
	}
	clear(addrs)
	p.batch = b
	return b, nil
}

// Bufs returns the record buffers: Bufs()[i] is exactly lens[i] bytes of
// shared memory, in the order the records will be received. nil once the
// batch is committed or aborted.
func (b *BatchClaim) Bufs() [][]byte { return b.bufs }

// Len returns how many records the batch holds (0 once it has ended).
func (b *BatchClaim) Len() int { return len(b.bufs) }

// Commit publishes the first n records (0 <= n <= Len) with one store; the
// rest become padding the consumer skips. ErrBadState if the batch has
// ended already (committed, aborted, or the producer's pending claim was
// aborted); ErrClosed if the producer is closed (which aborted it).
func (b *BatchClaim) Commit(n int) error {
	const op = "commit batch"
	if n < 0 || (b.bufs != nil && n > len(b.bufs)) {
		return &Error{Code: StatusInvalidArgument, Op: op, Detail: "n outside 0..Len()"}
	}
	return b.end(op, func(h swig.Producer) int { return swig.Indexbus_commit_batch(h, int64(n)) })
}

// Abort publishes none of the records: the whole reservation becomes
// padding. ErrBadState or ErrClosed as Commit.
func (b *BatchClaim) Abort() error {
	return b.end("abort batch", swig.Indexbus_abort)
}

// end runs the call that ends the batch, if it is still the producer's
// pending claim.
func (b *BatchClaim) end(op string, call func(swig.Producer) int) error {
	p := b.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == 0 {
		b.bufs = nil
		return closedError(op)
	}
	if p.batch != b {
		b.bufs = nil
		return &Error{Code: StatusBadState, Op: op, Detail: "the batch has ended"}
	}
	if err := check(op, call(p.h)); err != nil {
		return err
	}
	b.bufs, p.batch = nil, nil
	return nil
}
