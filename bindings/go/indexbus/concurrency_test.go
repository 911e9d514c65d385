package indexbus

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Several goroutines, each with its own MPSC producer, publish into one
// consumer; every producer's messages arrive complete and in order.
func TestConcurrentMPSCProducers(t *testing.T) {
	const producers, perProducer = 4, 3000
	r := newRegion(t, Config{SlotCount: 64, SlotDataSize: 64})
	rx := openConsumer(t, r, 0)
	var txs []*Producer
	for i := 0; i < producers; i++ {
		txs = append(txs, openProducer(t, r, MPSC))
	}

	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for id, tx := range txs {
		wg.Add(1)
		go func(id int, tx *Producer) {
			defer wg.Done()
			msg := make([]byte, 16)
			for seq := 0; seq < perProducer; seq++ {
				binary.LittleEndian.PutUint64(msg, uint64(id))
				binary.LittleEndian.PutUint64(msg[8:], uint64(seq))
				for {
					err := tx.Publish(msg[:8+1+seq%8]) // length varies too
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						errs <- err
						return
					}
					runtime.Gosched()
				}
			}
		}(id, tx)
	}

	next := make([]uint64, producers)
	buf := make([]byte, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for got := 0; got < producers*perProducer; got++ {
		n, err := rx.Recv(ctx, buf)
		if err != nil {
			t.Fatalf("Recv after %d messages: %v", got, err)
		}
		id := binary.LittleEndian.Uint64(buf)
		if id >= producers || n < 9 {
			t.Fatalf("bad message %x", buf[:n])
		}
		seq := next[id]
		full := make([]byte, 16)
		binary.LittleEndian.PutUint64(full, id)
		binary.LittleEndian.PutUint64(full[8:], seq)
		if want := full[:8+1+int(seq)%8]; string(buf[:n]) != string(want) {
			t.Fatalf("producer %d: got %x, want message %d = %x", id, buf[:n], seq, want)
		}
		next[id]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, err := rx.TryRecv(buf)
	wantErr(t, "TryRecv after all messages", err, ErrEmpty)
}

// One handle shared by goroutines: calls are serialised, and a Close racing
// with them makes the late ones fail with ErrClosed, never crash.
func TestSharedHandleAndRacingClose(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 256})
	rx := openConsumer(t, r, 0)
	tx, err := r.OpenProducer(MPSC)
	must(t, "OpenProducer", err)

	var wg sync.WaitGroup
	var mu sync.Mutex
	published := 0
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				err := tx.Publish([]byte("shared"))
				switch {
				case err == nil:
					mu.Lock()
					published++
					mu.Unlock()
				case errors.Is(err, ErrClosed):
					return
				case errors.Is(err, ErrFull):
				default:
					t.Errorf("Publish: %v", err)
					return
				}
				if n, err := tx.PublishBatch([][]byte{[]byte("batch")}); n == 1 {
					mu.Lock()
					published++
					mu.Unlock()
				} else if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFull) {
					t.Errorf("PublishBatch: %v", err)
					return
				}
				if n, err := tx.PublishPacked([]byte("packed"), []uint32{6}); n == 1 {
					mu.Lock()
					published++
					mu.Unlock()
				} else if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFull) {
					t.Errorf("PublishPacked: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	must(t, "Close", tx.Close())
	wg.Wait()
	got := 0
	for {
		if _, err := rx.TryRecv(make([]byte, 8)); err != nil {
			break
		}
		got++
	}
	if got != published {
		t.Fatalf("received %d, published %d", got, published)
	}
}
