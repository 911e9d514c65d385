package indexbus

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

func TestPublishTryRecv(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 16, SlotDataSize: 64})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	buf := make([]byte, 64)
	_, err := rx.TryRecv(buf)
	wantErr(t, "TryRecv empty", err, ErrEmpty)

	msgs := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte{0xAB}, 64), {0, 1, 2, 0, 255}}
	for _, m := range msgs {
		must(t, "Publish", tx.Publish(m))
	}
	must(t, "Publish nil", tx.Publish(nil))
	for i, want := range append(msgs, nil) {
		n, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("message %d: got %x, want %x", i, buf[:n], want)
		}
	}
	_, err = rx.TryRecv(buf)
	wantErr(t, "TryRecv drained", err, ErrEmpty)
}

func TestTooLarge(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8, SlotDataSize: 64})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	wantErr(t, "Publish 65 bytes", tx.Publish(make([]byte, 65)), ErrTooLarge)
	must(t, "Publish 64 bytes", tx.Publish(make([]byte, 64)))
	n, err := rx.TryRecv(make([]byte, 64))
	if err != nil || n != 64 {
		t.Fatalf("TryRecv = %d, %v", n, err)
	}
}

func TestFull(t *testing.T) {
	for _, typ := range []ProducerType{SPSC, MPSC} {
		t.Run(typ.String(), func(t *testing.T) {
			r := newRegion(t, Config{SlotCount: 4})
			tx := openProducer(t, r, typ)
			rx := openConsumer(t, r, 0)
			for i := 0; i < 4; i++ {
				must(t, "Publish", tx.Publish([]byte{byte(i)}))
			}
			wantErr(t, "Publish into a full region", tx.Publish([]byte{4}), ErrFull)
			_, err := tx.Claim()
			wantErr(t, "Claim in a full region", err, ErrFull)
			info, err := r.Info()
			must(t, "Info", err)
			if info.FreeSlots != 0 || info.Published != 4 {
				t.Fatalf("full region info %+v", info)
			}
			if got := recvString(t, rx); got != "\x00" {
				t.Fatalf("got %q", got)
			}
			must(t, "Publish after a receive", tx.Publish([]byte{4}))
		})
	}
}

func TestBufferTooSmall(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	must(t, "Publish", tx.Publish([]byte("twelve bytes")))
	n, err := rx.TryRecv(make([]byte, 4))
	wantErr(t, "TryRecv into 4 bytes", err, ErrBufferTooSmall)
	if n != 12 {
		t.Fatalf("TryRecv reported length %d, want 12", n)
	}
	n, err = rx.TryRecv(nil)
	wantErr(t, "TryRecv into nil", err, ErrBufferTooSmall)
	if n != 12 {
		t.Fatalf("TryRecv(nil) reported length %d, want 12", n)
	}
	n, err = rx.RecvTimeout(make([]byte, 11), 0)
	wantErr(t, "RecvTimeout into 11 bytes", err, ErrBufferTooSmall)
	if n != 12 {
		t.Fatalf("RecvTimeout reported length %d, want 12", n)
	}
	// the message stayed queued
	if got := recvString(t, rx); got != "twelve bytes" {
		t.Fatalf("got %q", got)
	}
}

func TestClaimCommit(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8, SlotDataSize: 128})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)

	wantErr(t, "Commit without a claim", tx.Commit(1), ErrBadState)
	wantErr(t, "Abort without a claim", tx.Abort(), ErrBadState)

	buf, err := tx.Claim()
	must(t, "Claim", err)
	if len(buf) != 128 || cap(buf) != 128 {
		t.Fatalf("claimed buffer len %d cap %d, want the slot data size 128", len(buf), cap(buf))
	}
	_, err = tx.Claim()
	wantErr(t, "second Claim", err, ErrBadState)
	wantErr(t, "Publish while claiming", tx.Publish([]byte("x")), ErrBadState)
	n := copy(buf, "zero-copy claim")
	wantErr(t, "Commit beyond the slot", tx.Commit(129), ErrTooLarge)
	wantErr(t, "Commit negative", tx.Commit(-1), ErrInvalidArgument)
	must(t, "Commit after TooLarge (claim kept)", tx.Commit(n))
	if got := recvString(t, rx); got != "zero-copy claim" {
		t.Fatalf("got %q", got)
	}

	// a full-size claim, borrowed back zero-copy
	buf, err = tx.Claim()
	must(t, "Claim", err)
	for i := range buf {
		buf[i] = byte(i * 3)
	}
	must(t, "Commit", tx.Commit(len(buf)))
	got, err := rx.RecvBegin()
	must(t, "RecvBegin", err)
	if len(got) != 128 {
		t.Fatalf("borrowed %d bytes", len(got))
	}
	for i, b := range got {
		if b != byte(i*3) {
			t.Fatalf("byte %d = %d", i, b)
		}
	}
	must(t, "RecvEnd", rx.RecvEnd())

	// abort: nothing is published and the slot comes back
	buf, err = tx.Claim()
	must(t, "Claim", err)
	copy(buf, "never sent")
	must(t, "Abort", tx.Abort())
	_, err = rx.TryRecv(make([]byte, 128))
	wantErr(t, "TryRecv after Abort", err, ErrEmpty)
	info, err := r.Info()
	must(t, "Info", err)
	if info.FreeSlots != 8 || info.Published != 2 {
		t.Fatalf("after abort: %+v", info)
	}

	// closing a producer aborts its claim
	tx2 := openProducer(t, r, MPSC)
	_, err = tx2.Claim()
	must(t, "Claim", err)
	must(t, "Close with a pending claim", tx2.Close())
	info, err = r.Info()
	must(t, "Info", err)
	if info.FreeSlots != 8 {
		t.Fatalf("claim not returned on close: %d free", info.FreeSlots)
	}
}

func TestPublishBatch(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8, SlotDataSize: 64})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)

	n, err := tx.PublishBatch(nil)
	if n != 0 || err != nil {
		t.Fatalf("PublishBatch(nil) = %d, %v", n, err)
	}
	var msgs [][]byte
	for i := 0; i < 5; i++ {
		msgs = append(msgs, []byte(fmt.Sprintf("batch-%d%s", i, bytes.Repeat([]byte("."), i*7))))
	}
	msgs = append(msgs, nil, []byte{})
	n, err = tx.PublishBatch(msgs)
	if n != 7 || err != nil {
		t.Fatalf("PublishBatch = %d, %v", n, err)
	}

	buf := make([]byte, 1024)
	lens := make([]uint32, 16)
	k, err := rx.RecvBatch(buf, lens)
	if err != nil || k != 7 {
		t.Fatalf("RecvBatch = %d, %v", k, err)
	}
	off := 0
	for i := 0; i < k; i++ {
		got := buf[off : off+int(lens[i])]
		off += int(lens[i])
		if !bytes.Equal(got, msgs[i]) {
			t.Fatalf("message %d: %q, want %q", i, got, msgs[i])
		}
	}

	// only empty messages: the packed buffer has no bytes at all
	n, err = tx.PublishBatch([][]byte{{}, {}})
	if n != 2 || err != nil {
		t.Fatalf("PublishBatch(empties) = %d, %v", n, err)
	}
	k, err = rx.RecvBatch(buf, lens)
	if err != nil || k != 2 || lens[0] != 0 || lens[1] != 0 {
		t.Fatalf("RecvBatch(empties) = %d, %v, %v", k, err, lens[:2])
	}

	// more than fits: a prefix goes out, then the reason
	many := make([][]byte, 10)
	for i := range many {
		many[i] = []byte{byte(i)}
	}
	n, err = tx.PublishBatch(many)
	wantErr(t, "PublishBatch beyond capacity", err, ErrFull)
	if n != 8 {
		t.Fatalf("PublishBatch published %d of 10 into 8 slots", n)
	}
	k, err = rx.RecvBatch(buf, lens)
	if err != nil || k != 8 || !bytes.Equal(buf[:8], []byte{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("RecvBatch = %d, %v, %v", k, err, buf[:8])
	}

	// a message that is too large stops the batch there
	n, err = tx.PublishBatch([][]byte{[]byte("ok"), make([]byte, 65), []byte("never")})
	wantErr(t, "PublishBatch with a too-large message", err, ErrTooLarge)
	if n != 1 {
		t.Fatalf("PublishBatch published %d before the too-large message", n)
	}
	if got := recvString(t, rx); got != "ok" {
		t.Fatalf("got %q", got)
	}
}

func TestDisconnected(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	tx, err := r.OpenProducer(SPSC)
	must(t, "OpenProducer", err)
	rx := openConsumer(t, r, 0)
	must(t, "Publish", tx.Publish([]byte("last words")))
	must(t, "producer Close", tx.Close())
	// what was published before the close is still delivered
	if got := recvString(t, rx); got != "last words" {
		t.Fatalf("got %q", got)
	}
	_, err = rx.TryRecv(make([]byte, 16))
	wantErr(t, "TryRecv after the producer left", err, ErrDisconnected)
	_, err = rx.RecvTimeout(make([]byte, 16), 50*time.Millisecond)
	wantErr(t, "RecvTimeout after the producer left", err, ErrDisconnected)
	_, err = rx.RecvBatch(make([]byte, 16), make([]uint32, 2))
	wantErr(t, "RecvBatch after the producer left", err, ErrDisconnected)

	// the other direction: the consumer leaves
	r2 := newRegion(t, Config{SlotCount: 8})
	tx2 := openProducer(t, r2, MPSC)
	rx2, err := r2.OpenConsumer(0)
	must(t, "OpenConsumer", err)
	must(t, "consumer Close", rx2.Close())
	wantErr(t, "Publish after the consumer left", tx2.Publish([]byte("x")), ErrDisconnected)
	_, err = tx2.PublishBatch([][]byte{{1}})
	wantErr(t, "PublishBatch after the consumer left", err, ErrDisconnected)
	_, err = tx2.Claim()
	wantErr(t, "Claim after the consumer left", err, ErrDisconnected)
}
