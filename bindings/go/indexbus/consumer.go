package indexbus

import (
	"context"
	"sync"
	"time"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// waitSlice bounds each blocking library call made by Recv and Wait, so
// they notice context cancellation (and Close) within this long.
const waitSlice = 5 * time.Millisecond

// Consumer receives messages from one consumer index of a region.
//
// A Consumer is safe for concurrent use, but its calls are serialised (a
// consumer index has a single reader). Blocking calls release the handle
// every few milliseconds, so Close from another goroutine ends them with
// ErrClosed.
type Consumer struct {
	mu    sync.Mutex
	h     swig.Consumer // 0 once closed
	index int
	out   *callOut // out-parameters, guarded by mu
}

// Index returns the consumer index.
func (c *Consumer) Index() int { return c.index }

// Close detaches the consumer, ending a pending borrow. Closing twice
// returns ErrClosed.
func (c *Consumer) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError("consumer close")
	}
	h := c.h
	c.h, c.out.span = 0, swig.Span{}
	return check("consumer close", swig.Indexbus_consumer_close(h))
}

// TryRecv copies the next message into buf and returns its length, without
// waiting. ErrEmpty: nothing waiting; ErrDisconnected: every producer has
// closed and everything is drained. ErrBufferTooSmall: the message stays
// queued and n is its length.
func (c *Consumer) TryRecv(buf []byte) (n int, err error) {
	const op = "try recv"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return 0, closedError(op)
	}
	st, n := swig.TryRecvDirect(c.h, buf)
	if st != StatusOK && st != StatusBufferTooSmall {
		return 0, check(op, st)
	}
	return n, check(op, st)
}

// Recv waits for the next message and copies it into buf, like TryRecv,
// until ctx is done. On cancellation it returns ctx.Err(); when ctx's
// deadline passes it returns an error matching both ErrTimeout and
// context.DeadlineExceeded.
func (c *Consumer) Recv(ctx context.Context, buf []byte) (int, error) {
	return c.recvLoop(ctx, "recv", time.Time{}, buf, true)
}

// RecvTimeout is Recv with a timeout instead of a context: ErrTimeout when
// no message arrived within d.
func (c *Consumer) RecvTimeout(buf []byte, d time.Duration) (int, error) {
	return c.recvLoop(context.Background(), "recv", time.Now().Add(d), buf, true)
}

// Wait blocks until a message is ready to receive (without taking it) or
// ctx is done, with the errors of Recv. Use it before RecvBegin.
func (c *Consumer) Wait(ctx context.Context) error {
	_, err := c.recvLoop(ctx, "wait", time.Time{}, nil, false)
	return err
}

// recvLoop calls the library's blocking recv (or wait) in slices of at most
// waitSlice, checking ctx and the handle in between. deadline, if set, is
// a plain timeout; ctx's deadline is honoured too.
func (c *Consumer) recvLoop(ctx context.Context, op string, deadline time.Time, buf []byte,
	recv bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, ctxError(op, err)
	}
	fromCtx := false
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline, fromCtx = d, true
	}
	for {
		slice, last := waitSlice, false
		if !deadline.IsZero() {
			if left := time.Until(deadline); left <= slice {
				slice, last = max(left, 0), true // at least one attempt
			}
		}
		n, st, err := c.waitOnce(op, buf, recv, slice)
		if st != StatusTimeout {
			return n, err
		}
		if last {
			return 0, timeoutError(op, fromCtx)
		}
		select {
		case <-ctx.Done():
			return 0, ctxError(op, ctx.Err())
		default:
		}
	}
}

// waitOnce is one library recv/wait call of at most d.
func (c *Consumer) waitOnce(op string, buf []byte, recv bool, d time.Duration) (int, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return 0, StatusClosed, closedError(op)
	}
	timeout := uint64(max(d, 0))
	if !recv {
		st := swig.Indexbus_wait(c.h, timeout)
		return 0, st, check(op, st)
	}
	c.out.n = 0
	st := swig.Indexbus_recv(c.h, buf, &c.out.n, timeout)
	switch st {
	case StatusOK, StatusBufferTooSmall:
		return c.out.n, st, check(op, st)
	}
	return 0, st, check(op, st)
}

// timeoutError is ErrTimeout for op; from a context's deadline it also
// matches context.DeadlineExceeded.
func timeoutError(op string, fromCtx bool) error {
	e := &Error{Code: StatusTimeout, Op: op}
	if fromCtx {
		e.Err = context.DeadlineExceeded
	}
	return e
}

// ctxError reports a done context: a deadline as timeoutError, anything
// else (cancellation) as the context's own error.
func ctxError(op string, err error) error {
	if err == context.DeadlineExceeded {
		return timeoutError(op, true)
	}
	return err
}

// RecvBatch receives up to len(lens) messages packed back to back into buf,
// without waiting, in one library call that writes buf and lens in place
// (the counterpart of Producer.PublishPacked): message i is the next lens[i]
// bytes. It returns how many it took (at least one on success). ErrEmpty /
// ErrDisconnected as TryRecv; ErrBufferTooSmall if the first message does
// not fit, with its length in lens[0].
func (c *Consumer) RecvBatch(buf []byte, lens []uint32) (int, error) {
	const op = "recv batch"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return 0, closedError(op)
	}
	st, n := swig.RecvBatchDirect(c.h, buf, lens)
	return n, check(op, st)
}

// RecvBegin borrows the next message in place, without waiting or copying:
// the returned slice is the message in shared memory (read-only: the same
// slot may be broadcast to other consumers). It is valid only until RecvEnd
// or Close, after which the slot is reused; never keep it or slices of it.
// While borrowing, the other receive calls return ErrBadState.
func (c *Consumer) RecvBegin() ([]byte, error) {
	const op = "recv begin"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return nil, closedError(op)
	}
	if err := check(op, swig.Indexbus_recv_begin(c.h, &c.out.span)); err != nil {
		return nil, err
	}
	return c.out.span.Bytes(), nil
}

// RecvEnd ends the borrow started by RecvBegin (ErrBadState if there is
// none) and releases the slot.
func (c *Consumer) RecvEnd() error {
	const op = "recv end"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError(op)
	}
	err := check(op, swig.Indexbus_recv_end(c.h))
	if err == nil {
		c.out.span = swig.Span{}
	}
	return err
}
