package indexbus

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRecvBeginEnd(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 4, SlotDataSize: 64})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	_, err := rx.RecvBegin()
	wantErr(t, "RecvBegin empty", err, ErrEmpty)
	wantErr(t, "RecvEnd without a borrow", rx.RecvEnd(), ErrBadState)

	must(t, "Publish", tx.Publish([]byte("borrowed in place")))
	must(t, "Publish", tx.Publish(nil))
	msg, err := rx.RecvBegin()
	must(t, "RecvBegin", err)
	if string(msg) != "borrowed in place" {
		t.Fatalf("borrowed %q", msg)
	}
	// while borrowing, the other receive calls are refused
	_, err = rx.TryRecv(make([]byte, 64))
	wantErr(t, "TryRecv while borrowing", err, ErrBadState)
	_, err = rx.RecvBegin()
	wantErr(t, "RecvBegin while borrowing", err, ErrBadState)
	_, err = rx.RecvBatch(make([]byte, 64), make([]uint32, 1))
	wantErr(t, "RecvBatch while borrowing", err, ErrBadState)
	wantErr(t, "Wait while borrowing", rx.Wait(context.Background()), ErrBadState)
	// the borrowed slot is not free until RecvEnd
	info, err := r.Info()
	must(t, "Info", err)
	if info.FreeSlots != 2 {
		t.Fatalf("%d free slots of 4 with one borrowed and one queued, want 2", info.FreeSlots)
	}
	must(t, "RecvEnd", rx.RecvEnd())
	wantErr(t, "RecvEnd twice", rx.RecvEnd(), ErrBadState)

	msg, err = rx.RecvBegin()
	must(t, "RecvBegin empty message", err)
	if len(msg) != 0 {
		t.Fatalf("borrowed %d bytes of an empty message", len(msg))
	}
	// closing the consumer ends the borrow
	must(t, "Close while borrowing", rx.Close())
	info, err = r.Info()
	must(t, "Info", err)
	if info.FreeSlots != 4 {
		t.Fatalf("%d free slots after closing a borrowing consumer", info.FreeSlots)
	}
}

func TestRecvBatchErrors(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	lens := make([]uint32, 4)
	_, err := rx.RecvBatch(make([]byte, 64), lens)
	wantErr(t, "RecvBatch empty", err, ErrEmpty)
	_, err = rx.RecvBatch(make([]byte, 64), nil)
	wantErr(t, "RecvBatch without lens", err, ErrInvalidArgument)

	for _, m := range []string{"0123456789", "abcdefghij", "ABCDEFGHIJ"} {
		must(t, "Publish", tx.Publish([]byte(m)))
	}
	n, err := rx.RecvBatch(make([]byte, 5), lens)
	wantErr(t, "RecvBatch into 5 bytes", err, ErrBufferTooSmall)
	if n != 0 || lens[0] != 10 {
		t.Fatalf("RecvBatch too small: n %d lens[0] %d", n, lens[0])
	}
	// room for two of the three: a partial batch is success
	buf := make([]byte, 25)
	n, err = rx.RecvBatch(buf, lens)
	if err != nil || n != 2 || string(buf[:20]) != "0123456789abcdefghij" {
		t.Fatalf("RecvBatch = %d, %v, %q", n, err, buf[:20])
	}
	// max messages = len(lens)
	must(t, "Publish", tx.Publish([]byte("x")))
	n, err = rx.RecvBatch(buf, lens[:1])
	if err != nil || n != 1 || string(buf[:10]) != "ABCDEFGHIJ" {
		t.Fatalf("RecvBatch(1) = %d, %v, %q", n, err, buf[:10])
	}
	if got := recvString(t, rx); got != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestRecvTimeout(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	openProducer(t, r, MPSC) // a live producer: waiting, not disconnected
	rx := openConsumer(t, r, 0)
	start := time.Now()
	_, err := rx.RecvTimeout(make([]byte, 8), 30*time.Millisecond)
	wantErr(t, "RecvTimeout", err, ErrTimeout)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("a plain timeout matches context.DeadlineExceeded")
	}
	if el := time.Since(start); el < 30*time.Millisecond || el > 2*time.Second {
		t.Fatalf("RecvTimeout(30ms) took %v", el)
	}
	_, err = rx.RecvTimeout(make([]byte, 8), 0)
	wantErr(t, "RecvTimeout(0)", err, ErrTimeout)
}

func TestRecvContext(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	buf := make([]byte, 64)

	t.Run("deadline", func(t *testing.T) {
		start := time.Now() // before the deadline is armed
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
		defer cancel()
		_, err := rx.Recv(ctx, buf)
		wantErr(t, "Recv past the deadline", err, ErrTimeout)
		wantErr(t, "Recv past the deadline", err, context.DeadlineExceeded)
		if el := time.Since(start); el < 40*time.Millisecond || el > 2*time.Second {
			t.Fatalf("Recv with a 40ms deadline took %v", el)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		start := time.Now() // before the timer is armed
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := rx.Recv(ctx, buf)
		wantErr(t, "Recv cancelled", err, context.Canceled)
		if errors.Is(err, ErrTimeout) {
			t.Fatal("cancellation matches ErrTimeout")
		}
		if el := time.Since(start); el < 30*time.Millisecond || el > 2*time.Second {
			t.Fatalf("cancelled after 30ms, returned after %v", el)
		}
	})
	t.Run("already done", func(t *testing.T) {
		must(t, "Publish", tx.Publish([]byte("left alone")))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := rx.Recv(ctx, buf)
		wantErr(t, "Recv with a cancelled context", err, context.Canceled)
		wantErr(t, "Wait with a cancelled context", rx.Wait(ctx), context.Canceled)
		expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel2()
		_, err = rx.Recv(expired, buf)
		wantErr(t, "Recv with an expired context", err, ErrTimeout)
		// the message was not taken
		if got := recvString(t, rx); got != "left alone" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("wakes on publish", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		time.AfterFunc(20*time.Millisecond, func() { _ = tx.Publish([]byte("wake up")) })
		n, err := rx.Recv(ctx, buf)
		must(t, "Recv", err)
		if string(buf[:n]) != "wake up" {
			t.Fatalf("got %q", buf[:n])
		}
	})
	t.Run("wait", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		wantErr(t, "Wait on an empty region", rx.Wait(ctx), ErrTimeout)
		must(t, "Publish", tx.Publish([]byte("ready")))
		must(t, "Wait", rx.Wait(context.Background()))
		msg, err := rx.RecvBegin() // Wait did not take it
		must(t, "RecvBegin", err)
		if string(msg) != "ready" {
			t.Fatalf("got %q", msg)
		}
		must(t, "RecvEnd", rx.RecvEnd())
	})
}

// Close from another goroutine ends a blocked Recv with ErrClosed.
func TestCloseUnblocksRecv(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	openProducer(t, r, MPSC)
	rx, err := r.OpenConsumer(0)
	must(t, "OpenConsumer", err)
	done := make(chan error, 1)
	go func() {
		_, err := rx.Recv(context.Background(), make([]byte, 8))
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	must(t, "Close", rx.Close())
	select {
	case err := <-done:
		wantErr(t, "Recv on a consumer closed meanwhile", err, ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
}
