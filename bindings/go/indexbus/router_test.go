package indexbus

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A router broadcasting in a goroutine: every consumer gets every message,
// in order.
func TestBroadcastRun(t *testing.T) {
	const consumers, count = 3, 500
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 64, ConsumerCount: consumers})
	rt := openRouter(t, r)
	tx := openProducer(t, r, MPSC)
	var rx []*Consumer
	for i := 0; i < consumers; i++ {
		rx = append(rx, openConsumer(t, r, i))
	}

	type result struct {
		routed uint64
		err    error
	}
	ran := make(chan result, 1)
	go func() {
		n, err := rt.Run(RunConfig{Mode: Broadcast})
		ran <- result{n, err}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, consumers)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, c := range rx {
		wg.Add(1)
		go func(i int, c *Consumer) {
			defer wg.Done()
			buf := make([]byte, 64)
			for k := 0; k < count; k++ {
				n, err := c.Recv(ctx, buf)
				if err != nil {
					errs <- fmt.Errorf("consumer %d, message %d: %w", i, k, err)
					return
				}
				if want := fmt.Sprintf("broadcast %d", k); string(buf[:n]) != want {
					errs <- fmt.Errorf("consumer %d: got %q, want %q", i, buf[:n], want)
					return
				}
			}
		}(i, c)
	}
	for k := 0; k < count; k++ {
		msg := []byte(fmt.Sprintf("broadcast %d", k))
		for {
			err := tx.Publish(msg)
			if err == nil {
				break
			}
			if !errorsIsFull(err) {
				t.Fatalf("Publish: %v", err)
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	must(t, "Stop", rt.Stop())
	select {
	case res := <-ran:
		if res.err != nil || res.routed != count {
			t.Fatalf("Run = %d, %v; want %d, nil", res.routed, res.err, count)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Stop")
	}
	for i := 0; i < consumers; i++ {
		st, err := r.ConsumerStats(i)
		must(t, "ConsumerStats", err)
		if st.Delivered != count || st.Depth != 0 || !st.Attached {
			t.Fatalf("consumer %d stats %+v", i, st)
		}
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.Routed != count || info.Published != count || info.RoutersLive != 1 {
		t.Fatalf("Info %+v", info)
	}
}

func errorsIsFull(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == StatusFull
}

func TestRouteOnceWorkQueue(t *testing.T) {
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 16, ConsumerCount: 3})
	rt := openRouter(t, r)
	tx := openProducer(t, r, SPSC)
	rx := []*Consumer{openConsumer(t, r, 0), openConsumer(t, r, 1), openConsumer(t, r, 2)}
	wantErr(t, "RouteOnce with nothing queued", rt.RouteOnce(SourceAny, WorkQueue), ErrEmpty)
	for k := 0; k < 6; k++ {
		must(t, "Publish", tx.Publish([]byte{byte(k)}))
	}
	for k := 0; k < 6; k++ {
		must(t, "RouteOnce", rt.RouteOnce(SourceSPSC, WorkQueue))
	}
	wantErr(t, "RouteOnce drained", rt.RouteOnce(SourceSPSC, WorkQueue), ErrEmpty)
	// round robin: consumer i gets messages i and i+3
	for i, c := range rx {
		for _, want := range []byte{byte(i), byte(i + 3)} {
			if got := recvString(t, c); got != string([]byte{want}) {
				t.Fatalf("consumer %d got %v, want %d", i, []byte(got), want)
			}
		}
	}
	wantErr(t, "RouteOnce bad source", rt.RouteOnce(Source(9), Broadcast), ErrInvalidArgument)
	wantErr(t, "RouteOnce bad mode", rt.RouteOnce(SourceAny, Mode(9)), ErrInvalidArgument)
	if Broadcast.String() != "broadcast" || WorkQueue.String() != "work-queue" || Mode(9).String() != "Mode(9)" {
		t.Fatal("Mode.String")
	}
}

func TestRouteOnceStatsAndCredit(t *testing.T) {
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 16, QueueCapacity: 2, ConsumerCount: 2})
	rt := openRouter(t, r)
	tx := openProducer(t, r, MPSC)
	rx0 := openConsumer(t, r, 0)
	rx1 := openConsumer(t, r, 1)

	res, err := rt.RouteOnceStats(SourceMPSC, Broadcast)
	wantErr(t, "RouteOnceStats with nothing queued", err, ErrEmpty)
	if res.Routed {
		t.Fatalf("empty step routed: %+v", res)
	}

	must(t, "Publish", tx.Publish([]byte("to both")))
	res, err = rt.RouteOnceStats(SourceMPSC, Broadcast)
	must(t, "RouteOnceStats", err)
	if !res.Routed || res.Delivered != 2 || res.DeliveredMask != 0b11 || res.DroppedFull != 0 || res.DroppedNoCredit != 0 {
		t.Fatalf("broadcast step %+v", res)
	}

	// consumer 1 is not eligible: it counts as no-credit
	must(t, "Publish", tx.Publish([]byte("to zero")))
	res, err = rt.RouteOnceCredit(SourceMPSC, Broadcast, 0b01, 0, 0)
	must(t, "RouteOnceCredit", err)
	if !res.Routed || res.DeliveredMask != 0b01 || res.DroppedNoCredit != 1 || res.DroppedNoCreditMask != 0b10 {
		t.Fatalf("credit step %+v", res)
	}
	// consumer 0 has no credit, consumer 1 is marked full
	must(t, "Publish", tx.Publish([]byte("to nobody")))
	res, err = rt.RouteOnceCredit(SourceMPSC, Broadcast, ^uint64(0), 0b01, 0b10)
	wantErr(t, "RouteOnceCredit with no candidate", err, ErrFull)
	if res.Routed {
		t.Fatalf("nobody could take it, yet %+v", res)
	}
	st1, err := r.ConsumerStats(1)
	must(t, "ConsumerStats", err)
	if st1.DroppedNoCredit != 1 || st1.Delivered != 1 {
		t.Fatalf("consumer 1 stats %+v", st1)
	}

	// consumer 0's queue (capacity 2) is full now; consumer 1 gets it
	res, err = rt.RouteOnceStats(SourceMPSC, Broadcast)
	must(t, "RouteOnceStats", err)
	if res.DeliveredMask != 0b10 || res.DroppedFull != 1 || res.DroppedFullMask != 0b01 {
		t.Fatalf("step with consumer 0 full %+v", res)
	}
	// both full: the message stays queued
	must(t, "Publish", tx.Publish([]byte("waits")))
	wantErr(t, "RouteOnce with every queue full", rt.RouteOnce(SourceAny, Broadcast), ErrFull)
	info, err := r.Info()
	must(t, "Info", err)
	if info.MPSCDepth != 1 || info.RouteNoSpace == 0 {
		t.Fatalf("message not kept: %+v", info)
	}
	for _, want := range []string{"to both", "to zero"} {
		if got := recvString(t, rx0); got != want {
			t.Fatalf("consumer 0 got %q, want %q", got, want)
		}
	}
	for _, want := range []string{"to both", "to nobody"} {
		if got := recvString(t, rx1); got != want {
			t.Fatalf("consumer 1 got %q, want %q", got, want)
		}
	}
	must(t, "RouteOnce after draining", rt.RouteOnce(SourceAny, Broadcast))
	if got := recvString(t, rx0); got != "waits" {
		t.Fatalf("got %q", got)
	}
}

func TestRunExitOnDisconnect(t *testing.T) {
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 32, ConsumerCount: 1})
	rt := openRouter(t, r)
	rx := openConsumer(t, r, 0)
	tx, err := r.OpenProducer(SPSC)
	must(t, "OpenProducer", err)
	for k := 0; k < 10; k++ {
		must(t, "Publish", tx.Publish([]byte{byte(k)}))
	}
	must(t, "producer Close", tx.Close())
	n, err := rt.Run(RunConfig{Source: SourceAny, Mode: WorkQueue, ExitOnDisconnect: true,
		SpinIters: 10, YieldIters: 10, Park: time.Millisecond})
	wantErr(t, "Run until disconnect", err, ErrDisconnected)
	if n != 10 {
		t.Fatalf("Run routed %d, want 10", n)
	}
	for k := 0; k < 10; k++ {
		if got := recvString(t, rx); got != string([]byte{byte(k)}) {
			t.Fatalf("message %d: %v", k, []byte(got))
		}
	}
	_, err = rx.TryRecv(make([]byte, 8))
	wantErr(t, "TryRecv after everything is drained", err, ErrDisconnected)
}

func TestRouterStopAndClose(t *testing.T) {
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 8, ConsumerCount: 1})
	rt, err := r.OpenRouter()
	must(t, "OpenRouter", err)

	// a Stop with no Run in progress makes the next Run return at once
	must(t, "Stop", rt.Stop())
	n, err := rt.Run(RunConfig{})
	if n != 0 || err != nil {
		t.Fatalf("Run after Stop = %d, %v", n, err)
	}

	// Close stops a running Run
	ran := make(chan error, 1)
	go func() {
		_, err := rt.Run(RunConfig{Park: time.Millisecond})
		ran <- err
	}()
	time.Sleep(20 * time.Millisecond)
	must(t, "Close", rt.Close())
	select {
	case err := <-ran:
		if err != nil && !errorsIsClosed(err) {
			t.Fatalf("Run ended by Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running after Close")
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.RoutersLive != 0 {
		t.Fatalf("router still attached after Close: %+v", info)
	}
	// a new router can attach now
	openRouter(t, r)
}

func errorsIsClosed(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == StatusClosed
}
