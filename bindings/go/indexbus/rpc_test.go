package indexbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request/response regions (KindRPC): Call, the zero-copy paths on both
// sides, tokens that name one request only, cancel, several clients and
// servers, servers in other processes; the tests of seed 004.

const (
	rpcMaxRequest = 256
	rpcMaxReply   = 512
)

func newRPC(t testing.TB, cells uint32) *Region {
	t.Helper()
	return newRegion(t, Config{Kind: KindRPC, Cells: cells, MaxRequest: rpcMaxRequest, MaxReply: rpcMaxReply})
}

func openClient(t testing.TB, r *Region) *RPCClient {
	t.Helper()
	c, err := r.OpenRPCClient()
	must(t, "OpenRPCClient", err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func openServer(t testing.TB, r *Region) *RPCServer {
	t.Helper()
	s, err := r.OpenRPCServer()
	must(t, "OpenRPCServer", err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// echoReply is the reply of the echo servers: "echo:" and the request,
// cut to the max reply.
func echoReply(req []byte) []byte {
	out := append([]byte("echo:"), req...)
	return out[:min(len(out), rpcMaxReply)]
}

// serveEcho answers requests with echoReply until the server is closed.
func serveEcho(s *RPCServer) {
	for {
		q, err := s.Serve(context.Background())
		if err != nil {
			return
		}
		_ = q.Reply(echoReply(q.Data))
	}
}

func serveOne(t testing.TB, s *RPCServer) *Request {
	t.Helper()
	q, err := s.ServeTimeout(time.Second)
	must(t, "ServeTimeout", err)
	return q
}

func TestRPCCreateInfo(t *testing.T) {
	r := newRPC(t, 5)
	info, err := r.Info()
	must(t, "Info", err)
	if info.Kind != KindRPC || info.Kind.String() != "rpc" || info.LayoutMinor != 1 {
		t.Fatalf("kind/layout: %+v", info)
	}
	if info.Capabilities&CapRPC == 0 || info.Capabilities&CapRPCCells == 0 || info.Capabilities&CapStream != 0 {
		t.Fatalf("capabilities %#x", info.Capabilities)
	}
	if info.RPCCells != 5 || info.RPCCellsFree != 5 || info.MaxRequest != rpcMaxRequest || info.MaxReply != rpcMaxReply {
		t.Fatalf("rpc info: %+v", info)
	}
	def := newRegion(t, Config{Kind: KindRPC})
	info, err = def.Info()
	must(t, "Info", err)
	if info.RPCCells != RPCDefaultCells || info.MaxRequest != RPCDefaultMessage || info.MaxReply != RPCDefaultMessage {
		t.Fatalf("default rpc info: %+v", info)
	}
	for _, cfg := range []Config{
		{Kind: KindRPC, SlotCount: 8},
		{Kind: KindRPC, ByteCapacity: 4096},
		{Kind: KindRPC, MaxRequest: RPCMinMessage - 1},
		{Kind: KindRPC, MaxReply: RPCMaxMessage + 1},
		{Kind: KindRPC, Cells: RPCMaxCells + 1},
		{Kind: KindEvents, Cells: 4},
		{Kind: KindLog, MaxReply: 64},
	} {
		_, err := Create(testName(t), cfg)
		wantErr(t, fmt.Sprintf("Create(%+v)", cfg), err, ErrInvalidArgument)
	}
	_, err = r.OpenProducer(MPSC)
	wantErr(t, "producer on rpc", err, ErrWrongKind)
	_, err = r.OpenStreamWriter()
	wantErr(t, "stream writer on rpc", err, ErrWrongKind)
	ev := newRegion(t, Config{})
	_, err = ev.OpenRPCClient()
	wantErr(t, "client on events", err, ErrWrongKind)
	_, err = ev.OpenRPCServer()
	wantErr(t, "server on events", err, ErrWrongKind)
}

// Call with every request length, the zero-copy paths on both sides, and
// the limits.
func TestRPCRoundTrips(t *testing.T) {
	r := newRPC(t, 4)
	c := openClient(t, r)
	s := openServer(t, r)
	go serveEcho(s)
	for _, n := range []int{0, 1, 7, 8, 100, rpcMaxRequest} {
		req := pattern(11, n, n)
		got, err := c.CallTimeout(req, hangGuard)
		must(t, fmt.Sprintf("Call(%d bytes)", n), err)
		if !bytes.Equal(got, echoReply(req)) {
			t.Fatalf("Call(%d bytes) = %q", n, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	got, err := c.Call(ctx, []byte("ctx"))
	if err != nil || string(got) != "echo:ctx" {
		t.Fatalf("Call(ctx) = %q, %v", got, err)
	}
	_, err = c.CallTimeout(make([]byte, rpcMaxRequest+1), time.Second)
	wantErr(t, "Call too large", err, ErrTooLarge)
	_, err = c.Request(make([]byte, rpcMaxRequest+1))
	wantErr(t, "Request too large", err, ErrTooLarge)
	_, err = c.Claim(rpcMaxRequest + 1)
	wantErr(t, "Claim too large", err, ErrTooLarge)

	// zero copy: Claim + Send, Wait borrows the reply until ReplyDone
	buf, err := c.Claim(rpcMaxRequest)
	must(t, "Claim", err)
	if len(buf) != rpcMaxRequest {
		t.Fatalf("Claim gave %d bytes", len(buf))
	}
	_, err = c.Claim(1)
	wantErr(t, "second Claim", err, ErrBadState)
	must(t, "Abort", c.Abort()) // the claim given back unsent
	wantErr(t, "Abort without a claim", c.Abort(), ErrBadState)
	if _, err := s.TryServe(); err == nil {
		t.Fatal("a server took an aborted claim")
	}
	buf, err = c.Claim(rpcMaxRequest)
	must(t, "Claim", err)
	copy(buf, "zero copy")
	tok, err := c.Send(9)
	must(t, "Send", err)
	reply, err := c.WaitTimeout(tok, hangGuard)
	must(t, "Wait", err)
	if string(reply) != "echo:zero copy" {
		t.Fatalf("Wait = %q", reply)
	}
	again, err := c.WaitTimeout(tok, 0) // still borrowed: the same reply
	if err != nil || string(again) != "echo:zero copy" {
		t.Fatalf("Wait again = %q, %v", again, err)
	}
	must(t, "ReplyDone", c.ReplyDone(tok))
	wantErr(t, "ReplyDone twice", c.ReplyDone(tok), ErrNotFound)
	_, err = c.Send(1)
	wantErr(t, "Send without a claim", err, ErrBadState)
}

// The server's zero-copy reply and its limits, on a server that holds
// several requests at once.
func TestRPCServerZeroCopy(t *testing.T) {
	r := newRPC(t, 4)
	c := openClient(t, r)
	s := openServer(t, r)
	t1, err := c.Request([]byte("one"))
	must(t, "Request", err)
	t2, err := c.Request([]byte("two"))
	must(t, "Request", err)
	q1, q2 := serveOne(t, s), serveOne(t, s)
	if q1.Token != t1 || q2.Token != t2 || string(q1.Data) != "one" || string(q2.Data) != "two" {
		t.Fatalf("served %v %q, %v %q; sent %v, %v", q1.Token, q1.Data, q2.Token, q2.Data, t1, t2)
	}
	if _, err := s.TryServe(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryServe on nothing: %v", err)
	}
	if _, err := s.ServeTimeout(time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("ServeTimeout on nothing: %v", err)
	}
	rb, err := q2.ReplyBuffer()
	must(t, "ReplyBuffer", err)
	if len(rb) != rpcMaxReply {
		t.Fatalf("ReplyBuffer has %d bytes, want %d", len(rb), rpcMaxReply)
	}
	wantErr(t, "Commit too large", q2.Commit(rpcMaxReply+1), ErrTooLarge)
	wantErr(t, "Reply too large", q1.Reply(make([]byte, rpcMaxReply+1)), ErrTooLarge)
	copy(rb, "TWO")
	must(t, "Commit", q2.Commit(3))
	must(t, "Reply", q1.Reply(nil)) // an empty reply
	got, err := c.WaitTimeout(t2, time.Second)
	if err != nil || string(got) != "TWO" {
		t.Fatalf("reply 2 = %q, %v", got, err)
	}
	must(t, "ReplyDone", c.ReplyDone(t2))
	got, err = c.WaitTimeout(t1, time.Second)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("reply 1 = %q (nil %v), %v; want an empty reply", got, got == nil, err)
	}
	must(t, "ReplyDone", c.ReplyDone(t1))
}

// Tokens name one request only: a second reply, a stale token and forged
// ones give ErrNotFound, and never touch another request.
func TestRPCTokens(t *testing.T) {
	r := newRPC(t, 2)
	c := openClient(t, r)
	s := openServer(t, r)
	t1, err := c.Request([]byte("a"))
	must(t, "Request", err)
	q := serveOne(t, s)
	must(t, "Reply", q.Reply([]byte("A")))
	err = q.Reply([]byte("again"))
	wantErr(t, "second Reply", err, ErrNotFound)
	var e *Error
	if !errors.As(err, &e) || StatusName(e.Code) != "INDEXBUS_NOT_FOUND" {
		t.Fatalf("status name of %v", err)
	}
	got, err := c.WaitTimeout(t1, time.Second)
	if err != nil || string(got) != "A" {
		t.Fatalf("Wait = %q, %v", got, err)
	}
	must(t, "ReplyDone", c.ReplyDone(t1))
	t2, err := c.Request([]byte("b")) // recycles t1's cell: a new generation
	must(t, "Request", err)
	if t2.Cell() != t1.Cell() || t2.Generation() == t1.Generation() || t2 == t1 {
		t.Fatalf("tokens %v then %v: want the same cell, a new generation", t1, t2)
	}
	q2 := serveOne(t, s)
	wantErr(t, "Reply to the stale token", s.Reply(t1, []byte("X")), ErrNotFound)
	_, err = s.ReplyBuffer(t1)
	wantErr(t, "ReplyBuffer of the stale token", err, ErrNotFound)
	_, err = c.WaitTimeout(t1, 0)
	wantErr(t, "Wait on the stale token", err, ErrNotFound)
	wantErr(t, "Cancel of the stale token", c.Cancel(t1), ErrNotFound)
	for _, forged := range []Token{Token(uint64(t2.Generation()+7)<<32 | uint64(t2.Cell())), Token(1<<32 | 9999), ^Token(0)} {
		wantErr(t, "Reply to "+forged.String(), s.Reply(forged, []byte("X")), ErrNotFound)
		wantErr(t, "ReplyCommit to "+forged.String(), s.ReplyCommit(forged, 0), ErrNotFound)
		_, err = c.WaitTimeout(forged, 0)
		wantErr(t, "Wait on "+forged.String(), err, ErrNotFound)
		wantErr(t, "ReplyDone of "+forged.String(), c.ReplyDone(forged), ErrNotFound)
	}
	// another client's token is not this client's; another server's not this one's
	c2 := openClient(t, r)
	s2 := openServer(t, r)
	_, err = c2.WaitTimeout(t2, 0)
	wantErr(t, "Wait on another client's token", err, ErrNotFound)
	wantErr(t, "Reply from another server", s2.Reply(t2, []byte("Y")), ErrNotFound)
	must(t, "Reply", q2.Reply([]byte("B")))
	got, err = c.WaitTimeout(t2, time.Second)
	if err != nil || string(got) != "B" {
		t.Fatalf("Wait = %q, %v: the forged replies touched the request", got, err)
	}
	must(t, "ReplyDone", c.ReplyDone(t2))
}

// Cancel before a server took the request, while it holds it, and after
// the reply came; a timed-out Wait leaves the request outstanding.
func TestRPCCancelAndTimeouts(t *testing.T) {
	r := newRPC(t, 4)
	c := openClient(t, r)
	s := openServer(t, r)
	tok, err := c.Request([]byte("a"))
	must(t, "Request", err)
	must(t, "Cancel", c.Cancel(tok))
	wantErr(t, "Cancel twice", c.Cancel(tok), ErrNotFound)
	if _, err := s.TryServe(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryServe after the cancel: %v", err)
	}
	// held by the server: its reply is dropped and counted
	tok, err = c.Request([]byte("b"))
	must(t, "Request", err)
	q := serveOne(t, s)
	_, err = c.WaitTimeout(tok, 5*time.Millisecond)
	wantErr(t, "WaitTimeout while served", err, ErrTimeout)
	must(t, "Cancel", c.Cancel(tok))
	must(t, "Reply to a cancelled request", q.Reply([]byte("B")))
	// a Wait that times out leaves the request for a later Wait
	tok, err = c.Request([]byte("c"))
	must(t, "Request", err)
	_, err = c.WaitTimeout(tok, 2*time.Millisecond)
	wantErr(t, "WaitTimeout", err, ErrTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
	_, err = c.Wait(ctx, tok)
	cancel()
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past the context deadline: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.Wait(ctx, tok)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context: %v", err)
	}
	must(t, "Reply", serveOne(t, s).Reply([]byte("C")))
	got, err := c.WaitTimeout(tok, time.Second)
	if err != nil || string(got) != "C" {
		t.Fatalf("Wait after the timeouts = %q, %v", got, err)
	}
	must(t, "ReplyDone", c.ReplyDone(tok))
	// CallTimeout with nobody serving: ErrTimeout, and the request is
	// withdrawn (no server takes it any more)
	_, err = c.CallTimeout([]byte("late"), 5*time.Millisecond)
	wantErr(t, "CallTimeout", err, ErrTimeout)
	if _, err := s.TryServe(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryServe after the timed-out call: %v", err)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.RPCRepliesAbandoned != 1 || info.RPCRequestsFailed != 0 || info.RPCCellsFree < 3 {
		t.Fatalf("abandoned %d, failed %d, free %d; want 1, 0, >= 3", info.RPCRepliesAbandoned,
			info.RPCRequestsFailed, info.RPCCellsFree)
	}
}

// Seed 004, "a value sent once never blocks the sender": the server's
// reply returns at once, before the client waits; the reply is there when
// it does.
func TestRPCSeedSendNeverBlocks(t *testing.T) {
	r := newRPC(t, 1)
	c := openClient(t, r)
	s := openServer(t, r)
	tok, err := c.Request([]byte("42?"))
	must(t, "Request", err)
	q := serveOne(t, s)
	must(t, "Reply with no client waiting", q.Reply([]byte("42")))
	got, err := c.WaitTimeout(tok, 0)
	if err != nil || string(got) != "42" {
		t.Fatalf("Wait = %q, %v; want \"42\"", got, err)
	}
	must(t, "ReplyDone", c.ReplyDone(tok))
}

// Seed 004, "a sender dropped unsent makes the receive fail": a request
// the server drops unanswered (Fail) fails the client's wait with
// ErrDisconnected, the cell recycled for the next request.
func TestRPCSeedDroppedSenderFailsReceive(t *testing.T) {
	r := newRPC(t, 1)
	c := openClient(t, r)
	s := openServer(t, r)
	for round := 0; round < 3; round++ {
		tok, err := c.Request([]byte("x"))
		must(t, "Request", err)
		q := serveOne(t, s)
		must(t, "Fail", q.Fail())
		wantErr(t, "second Fail", q.Fail(), ErrNotFound)
		wantErr(t, "Reply after Fail", q.Reply([]byte("late")), ErrNotFound)
		_, err = c.WaitTimeout(tok, hangGuard)
		wantErr(t, "Wait on a dropped request", err, ErrDisconnected)
		_, err = c.WaitTimeout(tok, 0)
		wantErr(t, "Wait again", err, ErrNotFound)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.RPCRequestsFailed != 3 {
		t.Fatalf("RPCRequestsFailed = %d, want 3", info.RPCRequestsFailed)
	}
	wantErr(t, "Fail of a forged token", s.Fail(Token(5<<32)), ErrNotFound)
}

// Seed 004, the same with the sender's owner gone: a server that closes
// holding the request gives the waiting client ErrDisconnected, and a new
// server takes over.
func TestRPCSeedServerClosesHoldingRequest(t *testing.T) {
	r := newRPC(t, 1)
	c := openClient(t, r)
	s, err := r.OpenRPCServer()
	must(t, "OpenRPCServer", err)
	tok, err := c.Request([]byte("x"))
	must(t, "Request", err)
	_ = serveOne(t, s)
	done := make(chan error, 1)
	go func() {
		_, err := c.WaitTimeout(tok, hangGuard)
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	must(t, "server Close", s.Close()) // drops the reply unsent
	err = <-done
	wantErr(t, "Wait after the server dropped the request", err, ErrDisconnected)
	var e *Error
	if !errors.As(err, &e) || StatusName(e.Code) != "INDEXBUS_DISCONNECTED" {
		t.Fatalf("status name of %v", err)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.RPCRequestsFailed != 1 {
		t.Fatalf("RPCRequestsFailed = %d, want 1", info.RPCRequestsFailed)
	}
	// a new server takes over; the one cell was recycled
	s2 := openServer(t, r)
	go serveEcho(s2)
	got, err := c.CallTimeout([]byte("again"), hangGuard)
	if err != nil || string(got) != "echo:again" {
		t.Fatalf("Call after the takeover = %q, %v", got, err)
	}
}

// Seed 004, "recycling is guaranteed once the previous value was read": a
// region of one cell serves round after round without ErrFull, and the
// cell is not recycled while its reply is unread.
func TestRPCSeedRecycling(t *testing.T) {
	r := newRPC(t, 1)
	c := openClient(t, r)
	s := openServer(t, r)
	var last Token
	for i := 0; i < 100; i++ {
		tok, err := c.Request([]byte{byte(i)})
		must(t, fmt.Sprintf("Request %d", i), err)
		if tok.Cell() != 0 || (i > 0 && tok.Generation() == last.Generation()) {
			t.Fatalf("round %d: token %v after %v", i, tok, last)
		}
		q := serveOne(t, s)
		must(t, "Reply", q.Reply([]byte{byte(i), 'r'}))
		// the reply unread: the only cell is taken
		_, err = c.Request([]byte("more"))
		wantErr(t, "Request while the reply is unread", err, ErrFull)
		got, err := c.WaitTimeout(tok, time.Second)
		if err != nil || !bytes.Equal(got, []byte{byte(i), 'r'}) {
			t.Fatalf("round %d: %q, %v", i, got, err)
		}
		must(t, "ReplyDone", c.ReplyDone(tok))
		last = tok
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.RPCCellsFree != 0 { // the client keeps its cell for the next request
		t.Fatalf("RPCCellsFree = %d with the client's kept cell", info.RPCCellsFree)
	}
	must(t, "client Close", c.Close())
	info, err = r.Info()
	must(t, "Info", err)
	if info.RPCCellsFree != 1 {
		t.Fatalf("RPCCellsFree = %d after the client closed, want 1", info.RPCCellsFree)
	}
}

// Several clients in goroutines, two servers as a work queue: every
// request answered exactly once, with its own reply.
func TestRPCWorkQueue(t *testing.T) {
	r := newRPC(t, 8)
	var served [2]int
	var wg sync.WaitGroup
	servers := []*RPCServer{openServer(t, r), openServer(t, r)}
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				q, err := s.Serve(context.Background())
				if err != nil {
					return
				}
				served[i]++
				_ = q.Reply(echoReply(q.Data))
			}
		}()
	}
	const clients, calls = 4, 200
	errs := make(chan error, clients)
	for k := 0; k < clients; k++ {
		c := openClient(t, r)
		go func() {
			for i := 0; i < calls; i++ {
				req := []byte(fmt.Sprintf("client %d call %d", k, i))
				got, err := c.CallTimeout(req, hangGuard)
				if err == nil && !bytes.Equal(got, echoReply(req)) {
					err = fmt.Errorf("reply %q to %q", got, req)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for k := 0; k < clients; k++ {
		must(t, "client", <-errs)
	}
	for _, s := range servers {
		must(t, "server Close", s.Close())
	}
	wg.Wait()
	if served[0]+served[1] != clients*calls {
		t.Fatalf("served %d + %d, want %d", served[0], served[1], clients*calls)
	}
}

// A server in another process: calls across processes; a server process
// that dies holding a request gives the waiting client ErrDisconnected
// (once recovered), and the client's next request says no server is left.
func TestRPCMultiProcess(t *testing.T) {
	for _, role := range []string{"rpc-server", "rpc-server-dies"} {
		t.Run(role, func(t *testing.T) {
			r := newRPC(t, 4)
			c := openClient(t, r)
			exe, err := os.Executable()
			must(t, "os.Executable", err)
			var stderr bytes.Buffer
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"="+role, envRegion+"="+r.Name())
			cmd.Stderr = &stderr
			must(t, "start child", cmd.Start())
			if role == "rpc-server" {
				for i := 0; i < 100; i++ {
					req := pattern(13, i, i%rpcMaxRequest)
					got, err := c.CallTimeout(req, hangGuard)
					if err != nil || !bytes.Equal(got, echoReply(req)) {
						t.Fatalf("call %d: %q, %v (child: %s)", i, got, err, stderr.String())
					}
				}
				got, err := c.CallTimeout([]byte("quit"), hangGuard)
				if err != nil || string(got) != "bye" {
					t.Fatalf("quit: %q, %v", got, err)
				}
				must(t, "child", cmd.Wait())
				return
			}
			_, err = c.CallTimeout([]byte("die"), hangGuard)
			wantErr(t, "Call to a server that dies holding it", err, ErrDisconnected)
			if werr := cmd.Wait(); werr == nil || !strings.Contains(werr.Error(), "exit status 3") {
				t.Fatalf("child: %v (%s)", werr, stderr.String())
			}
			_, err = c.Request([]byte("anyone?"))
			wantErr(t, "Request with no server left", err, ErrDisconnected)
		})
	}
}

// runRPCChild is the request/response server child: it echoes requests
// (echoReply) until "quit" (replied "bye"); with role rpc-server-dies it
// exits with status 3 on the first request, holding it unreplied.
func runRPCChild(role string) error {
	region, err := Open(os.Getenv(envRegion))
	if err != nil {
		return err
	}
	s, err := region.OpenRPCServer()
	if err != nil {
		return err
	}
	for {
		q, err := s.ServeTimeout(hangGuard)
		if err != nil {
			return err
		}
		if role == "rpc-server-dies" {
			os.Exit(3)
		}
		if string(q.Data) == "quit" {
			if err := q.Reply([]byte("bye")); err != nil {
				return err
			}
			return s.Close()
		}
		if err := q.Reply(echoReply(q.Data)); err != nil {
			return err
		}
	}
}
