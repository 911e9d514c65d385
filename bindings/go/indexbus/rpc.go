package indexbus

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// Token names one request of a request/response region: the generation of
// its reply cell (high 32 bits) and the cell (low 32 bits). A token names
// its request only: a stale or forged one gives ErrNotFound, never another
// request's reply.
type Token uint64

// Cell returns the reply cell the token names.
func (t Token) Cell() uint32 { return uint32(t) }

// Generation returns the cell's generation the token names.
func (t Token) Generation() uint32 { return uint32(t >> 32) }

// String returns "cell/generation", e.g. "3/17".
func (t Token) String() string { return fmt.Sprintf("%d/%d", t.Cell(), t.Generation()) }

// rpcOut holds an RPC handle's out-parameters; pointer-free, see callOut.
type rpcOut struct {
	token uint64
	span  swig.Span
	ptr   unsafe.Pointer // Claim: C memory only
}

// OpenRPCClient attaches a request/response client (any number of them;
// ErrWrongKind if the region is not KindRPC).
func (r *Region) OpenRPCClient() (*RPCClient, error) {
	const op = "rpc client open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.RPCClient
	if err := check(op, swig.Indexbus_rpc_client_open(r.h, &h)); err != nil {
		return nil, err
	}
	return &RPCClient{h: h, out: new(rpcOut)}, nil
}

// OpenRPCServer attaches a request/response server. Several servers share
// the requests as a work queue; ErrWrongKind if the region is not KindRPC.
func (r *Region) OpenRPCServer() (*RPCServer, error) {
	const op = "rpc server open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.RPCServer
	if err := check(op, swig.Indexbus_rpc_server_open(r.h, &h)); err != nil {
		return nil, err
	}
	return &RPCServer{h: h, out: new(rpcOut)}, nil
}

// RPCClient sends requests to the servers of a request/response region.
// Each outstanding request holds one reply cell, which is recycled for the
// client's next request once its reply has been read (ReplyDone): no
// allocation in shared memory.
//
// Call is the whole round trip with copies. The zero-copy path is
// Request (or Claim + Send), then Wait, which borrows the reply in place
// until ReplyDone.
//
// An RPCClient is safe for concurrent use, but its calls are serialised
// (a blocked Wait releases the handle every few milliseconds, so Close
// from another goroutine ends it with ErrClosed); for parallel requests
// open one client per goroutine.
type RPCClient struct {
	mu  sync.Mutex
	h   swig.RPCClient // 0 once closed
	out *rpcOut        // out-parameters, guarded by mu
}

// Close gives up the client's outstanding requests and frees its cells.
// Closing twice returns ErrClosed.
func (c *RPCClient) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError("rpc client close")
	}
	h := c.h
	c.h, c.out.span, c.out.ptr = 0, swig.Span{}, nil
	return check("rpc client close", swig.Indexbus_rpc_client_close(h))
}

// Request copies req into a free reply cell and sends it; the token names
// it for Wait or Cancel. It never waits: ErrFull if every cell is taken,
// ErrTooLarge if req is longer than the region's MaxRequest,
// ErrDisconnected if the servers that were attached have all gone.
func (c *RPCClient) Request(req []byte) (Token, error) {
	const op = "rpc request"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return 0, closedError(op)
	}
	c.out.token = 0
	if err := check(op, swig.Indexbus_rpc_request(c.h, req, &c.out.token)); err != nil {
		return 0, err
	}
	return Token(c.out.token), nil
}

// Claim is the zero-copy request: it takes a free reply cell and returns
// its request buffer of n bytes, in shared memory. Write the request into
// it and Send it. One claim at a time (ErrBadState); ErrTooLarge beyond
// the region's MaxRequest, ErrFull if every cell is taken. The slice is
// valid only until Send or Close.
func (c *RPCClient) Claim(n int) ([]byte, error) {
	const op = "rpc claim"
	if n < 0 {
		return nil, &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return nil, closedError(op)
	}
	if err := check(op, swig.Indexbus_rpc_claim(c.h, int64(n), &c.out.ptr)); err != nil {
		c.out.ptr = nil
		return nil, err
	}
	return unsafe.Slice((*byte)(c.out.ptr), n), nil
}

// Abort gives the claimed cell back unsent (ErrBadState without a claim);
// the client keeps it for its next request.
func (c *RPCClient) Abort() error {
	const op = "rpc abort"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError(op)
	}
	err := check(op, swig.Indexbus_rpc_abort(c.h))
	if err == nil {
		c.out.ptr = nil
	}
	return err
}

// Send sends the first n bytes of the claimed request buffer (ErrBadState
// without a claim).
func (c *RPCClient) Send(n int) (Token, error) {
	const op = "rpc send"
	if n < 0 {
		return 0, &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return 0, closedError(op)
	}
	c.out.token = 0
	if err := check(op, swig.Indexbus_rpc_send(c.h, int64(n), &c.out.token)); err != nil {
		return 0, err
	}
	c.out.ptr = nil
	return Token(c.out.token), nil
}

// Wait waits for the reply to t until ctx is done and borrows it in
// place: the slice is the reply in shared memory, valid only until
// ReplyDone(t) (or Close), which recycles the cell; never keep it. When
// ctx is done the request stays outstanding: wait again, or Cancel it.
// ErrDisconnected if its server left or died before replying, or no server
// is attached any more (the cell is recycled); ErrNotFound if t is not an
// outstanding request of this client. The errors for ctx are those of
// Consumer.Recv.
func (c *RPCClient) Wait(ctx context.Context, t Token) ([]byte, error) {
	return c.waitLoop(ctx, "rpc wait", time.Time{}, t)
}

// WaitTimeout is Wait with a timeout instead of a context: ErrTimeout when
// no reply came within d.
func (c *RPCClient) WaitTimeout(t Token, d time.Duration) ([]byte, error) {
	return c.waitLoop(context.Background(), "rpc wait", time.Now().Add(max(d, 0)), t)
}

func (c *RPCClient) waitLoop(ctx context.Context, op string, until time.Time, t Token) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(op, err)
	}
	fromCtx := false
	if d, ok := ctx.Deadline(); ok && (until.IsZero() || d.Before(until)) {
		until, fromCtx = d, true
	}
	for {
		slice, last := nextSlice(until)
		reply, st, err := c.waitOnce(op, t, slice)
		if st != StatusTimeout {
			return reply, err
		}
		if last {
			return nil, timeoutError(op, fromCtx)
		}
		select {
		case <-ctx.Done():
			return nil, ctxError(op, ctx.Err())
		default:
		}
	}
}

func (c *RPCClient) waitOnce(op string, t Token, slice time.Duration) ([]byte, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return nil, StatusClosed, closedError(op)
	}
	c.out.span = swig.Span{}
	st := swig.Indexbus_rpc_wait(c.h, uint64(t), &c.out.span, uint64(slice))
	if st != StatusOK {
		return nil, st, check(op, st)
	}
	reply := c.out.span.Bytes()
	if reply == nil {
		reply = []byte{} // an empty reply is not nil
	}
	c.out.span = swig.Span{}
	return reply, st, nil
}

// ReplyDone ends the borrow of t's reply and recycles its cell for the
// next request (ErrNotFound if t has no reply borrowed).
func (c *RPCClient) ReplyDone(t Token) error {
	const op = "rpc reply done"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_rpc_reply_done(c.h, uint64(t)))
}

// Cancel gives up the outstanding request t: a late reply is dropped and
// counted (Info.RPCRepliesAbandoned). ErrNotFound if t is not an
// outstanding request of this client.
func (c *RPCClient) Cancel(t Token) error {
	const op = "rpc cancel"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_rpc_cancel(c.h, uint64(t)))
}

// Call sends req and waits for its reply until ctx is done, returning a
// copy of the reply. When ctx is done first the request is cancelled.
// The errors are those of Request and Wait.
func (c *RPCClient) Call(ctx context.Context, req []byte) ([]byte, error) {
	return c.call(ctx, time.Time{}, req)
}

// CallTimeout is Call with a timeout instead of a context: ErrTimeout
// (the request cancelled) when no reply came within d.
func (c *RPCClient) CallTimeout(req []byte, d time.Duration) ([]byte, error) {
	return c.call(context.Background(), time.Now().Add(max(d, 0)), req)
}

func (c *RPCClient) call(ctx context.Context, until time.Time, req []byte) ([]byte, error) {
	const op = "rpc call"
	if err := ctx.Err(); err != nil {
		return nil, ctxError(op, err)
	}
	t, err := c.Request(req)
	if err != nil {
		return nil, err
	}
	reply, err := c.waitLoop(ctx, op, until, t)
	if err != nil {
		if !isCode(err, StatusDisconnected) && !isCode(err, StatusClosed) {
			_ = c.Cancel(t) // a timeout or cancellation: give the request up
		}
		return nil, err
	}
	out := append([]byte{}, reply...)
	if err := c.ReplyDone(t); err != nil {
		return nil, err
	}
	return out, nil
}

// isCode reports whether err is an *Error with this code.
func isCode(err error, code int) bool {
	e, ok := err.(*Error)
	return ok && e.Code == code
}

// RPCServer takes requests from a request/response region and replies to
// each exactly once. Several servers (in any processes) share the requests
// as a work queue. A server that closes or dies fails the requests it
// holds: their clients get ErrDisconnected.
//
// An RPCServer is safe for concurrent use, but its calls are serialised;
// a blocked Serve releases the handle every few milliseconds, so Close
// from another goroutine ends it with ErrClosed.
type RPCServer struct {
	mu  sync.Mutex
	h   swig.RPCServer // 0 once closed
	out *rpcOut        // out-parameters, guarded by mu
}

// Request is a request an RPCServer took. Data is the request in shared
// memory, borrowed in place until the reply to Token (or the server's
// Close); never keep it. A server may hold many requests at once.
type Request struct {
	Token  Token
	Data   []byte
	server *RPCServer
}

// Reply copies data into the reply cell and sends it: once per request
// (a second reply gives ErrNotFound). ErrTooLarge if data is longer than
// the region's MaxReply (the request stays held). If the client has given
// up meanwhile, the reply is dropped and counted, and Reply returns nil.
func (q *Request) Reply(data []byte) error { return q.server.Reply(q.Token, data) }

// ReplyBuffer is the zero-copy reply: the cell's reply buffer in shared
// memory (MaxReply bytes). Write the reply into it and Commit its length.
func (q *Request) ReplyBuffer() ([]byte, error) { return q.server.ReplyBuffer(q.Token) }

// Commit replies with the first n bytes of the reply buffer, as Reply.
func (q *Request) Commit(n int) error { return q.server.ReplyCommit(q.Token, n) }

// Fail drops the request unanswered: its client's wait gets
// ErrDisconnected (counted in Info.RPCRequestsFailed), as when a one-shot
// sender is dropped unsent. Like Reply, once per request.
func (q *Request) Fail() error { return q.server.Fail(q.Token) }

// Close fails the requests the server holds (their clients get
// ErrDisconnected) and detaches it. Closing twice returns ErrClosed.
func (s *RPCServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return closedError("rpc server close")
	}
	h := s.h
	s.h, s.out.span = 0, swig.Span{}
	return check("rpc server close", swig.Indexbus_rpc_server_close(h))
}

// Serve takes the next request, waiting for one until ctx is done (with
// the errors of Consumer.Recv).
func (s *RPCServer) Serve(ctx context.Context) (*Request, error) {
	return s.serveLoop(ctx, time.Time{})
}

// ServeTimeout is Serve with a timeout instead of a context: ErrTimeout
// when no request came within d.
func (s *RPCServer) ServeTimeout(d time.Duration) (*Request, error) {
	return s.serveLoop(context.Background(), time.Now().Add(max(d, 0)))
}

// TryServe takes the next request without waiting: ErrEmpty if none is
// waiting.
func (s *RPCServer) TryServe() (*Request, error) {
	q, _, err := s.serveOnce("rpc serve", 0)
	return q, err
}

func (s *RPCServer) serveLoop(ctx context.Context, until time.Time) (*Request, error) {
	const op = "rpc serve"
	if err := ctx.Err(); err != nil {
		return nil, ctxError(op, err)
	}
	fromCtx := false
	if d, ok := ctx.Deadline(); ok && (until.IsZero() || d.Before(until)) {
		until, fromCtx = d, true
	}
	for {
		slice, last := nextSlice(until)
		q, st, err := s.serveOnce(op, slice)
		if st != StatusTimeout && st != StatusEmpty {
			return q, err
		}
		if last {
			return nil, timeoutError(op, fromCtx)
		}
		select {
		case <-ctx.Done():
			return nil, ctxError(op, ctx.Err())
		default:
		}
	}
}

func (s *RPCServer) serveOnce(op string, slice time.Duration) (*Request, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return nil, StatusClosed, closedError(op)
	}
	s.out.token, s.out.span = 0, swig.Span{}
	st := swig.Indexbus_rpc_serve(s.h, &s.out.token, &s.out.span, uint64(slice))
	if st != StatusOK {
		return nil, st, check(op, st)
	}
	data := s.out.span.Bytes()
	if data == nil {
		data = []byte{}
	}
	s.out.span = swig.Span{}
	return &Request{Token: Token(s.out.token), Data: data, server: s}, st, nil
}

// Reply replies to the request t with a copy of data: once per token.
// ErrNotFound for a token this server does not hold (stale, already
// replied, forged); ErrTooLarge beyond the region's MaxReply (the request
// stays held). If the client has given up meanwhile, the reply is dropped
// and counted, and Reply returns nil.
func (s *RPCServer) Reply(t Token, data []byte) error {
	const op = "rpc reply"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_rpc_reply(s.h, uint64(t), data))
}

// Fail drops the request t unanswered: its client's wait gets
// ErrDisconnected. ErrNotFound for a token this server does not hold.
func (s *RPCServer) Fail(t Token) error {
	const op = "rpc fail"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_rpc_fail(s.h, uint64(t)))
}

// ReplyBuffer returns the reply buffer of the request t, in shared memory
// (MaxReply bytes), for a zero-copy reply with ReplyCommit; ErrNotFound
// for a token this server does not hold. The slice is valid only until
// the reply (or Close).
func (s *RPCServer) ReplyBuffer(t Token) ([]byte, error) {
	const op = "rpc reply buffer"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return nil, closedError(op)
	}
	s.out.span = swig.Span{}
	if err := check(op, swig.Indexbus_rpc_reply_buffer(s.h, uint64(t), &s.out.span)); err != nil {
		return nil, err
	}
	buf := s.out.span.Bytes()
	s.out.span = swig.Span{}
	return buf, nil
}

// ReplyCommit replies to t with the first n bytes of its reply buffer,
// with the errors of Reply.
func (s *RPCServer) ReplyCommit(t Token, n int) error {
	const op = "rpc reply commit"
	if n < 0 {
		return &Error{Code: StatusInvalidArgument, Op: op, Detail: "negative length"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_rpc_reply_commit(s.h, uint64(t), int64(n)))
}
