package indexbus

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Byte-log regions (KindLog): records of any length stored inline in a
// byte ring, variable-length claims, blocking producers, the in-place
// batch claim and the free space.

const (
	logRing   = 4096
	logMaxRec = logRing/2 - 8 // the default max record of a 4 KiB ring
	hangGuard = 60 * time.Second
)

// pattern is the payload of record (tag, seq): n bytes that depend on all three.
func pattern(tag, seq, n int) []byte {
	b := make([]byte, n)
	fillPattern(b, tag, seq)
	return b
}

func fillPattern(b []byte, tag, seq int) {
	for j := range b {
		b[j] = byte(tag*31 + seq*7 + j*13 + j>>8)
	}
}

func newLog(t testing.TB, cfg Config) *Region {
	t.Helper()
	cfg.Kind = KindLog
	return newRegion(t, cfg)
}

func space(t testing.TB, p *Producer) uint64 {
	t.Helper()
	s, err := p.Space()
	must(t, "Space", err)
	return s
}

func TestLogCreateInfo(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: 8192, MaxRecord: 1000})
	info, err := r.Info()
	must(t, "Info", err)
	if info.Kind != KindLog || info.Kind.String() != "log" || info.LayoutMajor != 1 || info.LayoutMinor != 1 {
		t.Fatalf("kind/layout: %+v", info)
	}
	if info.Capabilities&CapLog == 0 || info.Capabilities&CapByteLog == 0 || info.Capabilities&CapEvents != 0 {
		t.Fatalf("capabilities %#x", info.Capabilities)
	}
	if info.ByteCapacity != 8192 || info.MaxRecord != 1000 || info.BytesUsed != 0 ||
		info.BytesFree != 8192 || info.BytesPadding != 0 || info.RecordsWaiting != 0 {
		t.Fatalf("byte-log fields: %+v", info)
	}
	if info.SlotCount != 0 || info.SlotDataSize != 0 || info.QueueCapacity != 0 || info.ConsumerCount != 1 {
		t.Fatalf("slot geometry of a byte log: %+v", info)
	}

	// defaults: 1 MiB, 64 KiB records
	d := newLog(t, Config{})
	info, err = d.Info()
	must(t, "Info", err)
	if info.ByteCapacity != LogDefaultBytes || LogDefaultBytes != 1<<20 || info.MaxRecord != 65536 {
		t.Fatalf("default byte log: %+v", info)
	}
	// a small ring caps the default max record at half of it, minus the header
	s := newLog(t, Config{ByteCapacity: logRing})
	info, err = s.Info()
	must(t, "Info", err)
	if info.MaxRecord != logMaxRec {
		t.Fatalf("max record of a 4 KiB ring: %d", info.MaxRecord)
	}

	// events and fanout regions report none of it
	e := newRegion(t, Config{SlotCount: 8})
	info, err = e.Info()
	must(t, "Info", err)
	if info.ByteCapacity != 0 || info.MaxRecord != 0 || info.BytesFree != 0 || info.LayoutMinor != 0 {
		t.Fatalf("events region with byte-log fields: %+v", info)
	}

	// a byte log reopened by name is the same
	o, err := Open(r.Name())
	must(t, "Open", err)
	defer o.Close()
	info, err = o.Info()
	must(t, "Info", err)
	if info.Kind != KindLog || info.ByteCapacity != 8192 || info.MaxRecord != 1000 {
		t.Fatalf("reopened: %+v", info)
	}
}

func TestLogCreateErrors(t *testing.T) {
	for _, tc := range []struct {
		what string
		cfg  Config
	}{
		{"ring not a power of two", Config{Kind: KindLog, ByteCapacity: 5000}},
		{"ring below 4 KiB", Config{Kind: KindLog, ByteCapacity: 2048}},
		{"ring above 1 GiB", Config{Kind: KindLog, ByteCapacity: 1 << 31}},
		{"max record above half the ring", Config{Kind: KindLog, ByteCapacity: logRing, MaxRecord: logMaxRec + 1}},
		{"slots in a byte log", Config{Kind: KindLog, SlotCount: 8}},
		{"two consumers in a byte log", Config{Kind: KindLog, ConsumerCount: 2}},
		{"ByteCapacity on events", Config{ByteCapacity: logRing}},
		{"MaxRecord on fanout", Config{Kind: KindFanout, MaxRecord: 100}},
	} {
		_, err := Create(testName(t), tc.cfg)
		wantErr(t, tc.what, err, ErrInvalidArgument)
	}
	r := newLog(t, Config{ByteCapacity: logRing, MaxRecord: logMaxRec, ConsumerCount: 1})
	_, err := r.OpenRouter()
	wantErr(t, "OpenRouter on a byte log", err, ErrWrongKind)
	_, err = r.OpenConsumer(1)
	wantErr(t, "OpenConsumer(1) on a byte log", err, ErrOutOfRange)
	// one SPSC producer or MPSC producers, not both
	sp := openProducer(t, r, SPSC)
	_, err = r.OpenProducer(MPSC)
	wantErr(t, "MPSC next to SPSC", err, ErrBusy)
	must(t, "Close SPSC", sp.Close())
	openProducer(t, r, MPSC)
	_, err = r.OpenProducer(SPSC)
	wantErr(t, "SPSC next to MPSC", err, ErrBusy)
}

// Every length 0..max record, in a 4 KiB ring: the records wrap around the
// ring hundreds of times, through Publish, ClaimLen and PublishWait, read by
// TryRecv, RecvBegin and RecvBatch, byte for byte.
func TestLogRoundTripEveryLength(t *testing.T) {
	for _, typ := range []ProducerType{SPSC, MPSC} {
		t.Run(typ.String(), func(t *testing.T) {
			r := newLog(t, Config{ByteCapacity: logRing})
			tx := openProducer(t, r, typ)
			rx := openConsumer(t, r, 0)
			buf := make([]byte, logMaxRec)
			lens := make([]uint32, 4)
			var ring uint64 // bytes reserved so far
			for n := 0; n <= logMaxRec; n++ {
				want := pattern(1, n, n)
				switch n % 3 {
				case 0:
					must(t, "Publish", tx.Publish(want))
				case 1:
					b, err := tx.ClaimLen(n)
					must(t, "ClaimLen", err)
					if len(b) != n || cap(b) != n {
						t.Fatalf("ClaimLen(%d): len %d cap %d", n, len(b), cap(b))
					}
					copy(b, want)
					must(t, "Commit", tx.Commit(n))
				case 2:
					must(t, "PublishWait", tx.PublishWait(want, time.Second))
				}
				ring += uint64(8+n+7) &^ 7
				var got []byte
				switch n % 4 {
				case 0, 3:
					k, err := rx.TryRecv(buf)
					must(t, "TryRecv", err)
					got = buf[:k]
				case 1:
					b, err := rx.RecvBegin()
					must(t, "RecvBegin", err)
					got = append([]byte(nil), b...)
					must(t, "RecvEnd", rx.RecvEnd())
				case 2:
					k, err := rx.RecvBatch(buf, lens)
					must(t, "RecvBatch", err)
					if k != 1 {
						t.Fatalf("RecvBatch took %d records", k)
					}
					got = buf[:lens[0]]
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("record of %d bytes came back as %d bytes, or different", n, len(got))
				}
			}
			if ring < 100*logRing {
				t.Fatalf("only %d bytes went through the ring", ring)
			}
			_, err := rx.TryRecv(buf)
			wantErr(t, "TryRecv drained", err, ErrEmpty)
			info, err := r.Info()
			must(t, "Info", err)
			if info.Published != logMaxRec+1 || info.RecordsWaiting != 0 {
				t.Fatalf("after the round trips: %+v", info)
			}
		})
	}
}

// A record that would straddle the ring's end goes to its start behind a
// pad, and comes back whole.
func TestLogWrapPadding(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	buf := make([]byte, logMaxRec)
	// three 1008-byte records (0..3024), read: all space back
	for i := 0; i < 3; i++ {
		must(t, "Publish", tx.Publish(pattern(2, i, 1000)))
	}
	for i := 0; i < 3; i++ {
		n, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
		if !bytes.Equal(buf[:n], pattern(2, i, 1000)) {
			t.Fatalf("record %d differs", i)
		}
	}
	_, err := rx.TryRecv(buf)
	wantErr(t, "TryRecv", err, ErrEmpty)
	// 3024..4032 fits; the next 1008 bytes would straddle: a 64-byte pad, then offset 0
	must(t, "Publish", tx.Publish(pattern(3, 0, 1000)))
	b, err := tx.ClaimLen(1000)
	must(t, "ClaimLen", err)
	fillPattern(b, 3, 1)
	must(t, "Commit", tx.Commit(1000))
	info, err := r.Info()
	must(t, "Info", err)
	if info.BytesPadding != 64 || info.RecordsWaiting != 2 || info.BytesUsed != 1008+64+1008 ||
		info.BytesFree != logRing-(1008+64+1008) {
		t.Fatalf("after the wrap: %+v", info)
	}
	for i := 0; i < 2; i++ {
		n, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
		if !bytes.Equal(buf[:n], pattern(3, i, 1000)) {
			t.Fatalf("wrapped record %d differs", i)
		}
	}
}

// Claim (no length) on a byte log claims MaxRecord bytes; a shorter Commit
// publishes what it says, Abort publishes nothing.
func TestLogClaimCommitAbort(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	b, err := tx.Claim()
	must(t, "Claim", err)
	if len(b) != logMaxRec {
		t.Fatalf("Claim on a byte log: %d bytes", len(b))
	}
	copy(b, "hello, log")
	wantErr(t, "Commit past the claim", tx.Commit(logMaxRec+1), ErrTooLarge)
	must(t, "Commit 5", tx.Commit(5))
	b, err = tx.ClaimLen(100)
	must(t, "ClaimLen", err)
	_, err = tx.ClaimLen(1)
	wantErr(t, "ClaimLen while a claim is pending", err, ErrBadState)
	copy(b, "never seen")
	must(t, "Abort", tx.Abort())
	wantErr(t, "Abort twice", tx.Abort(), ErrBadState)
	wantErr(t, "Commit without a claim", tx.Commit(0), ErrBadState)
	b, err = tx.ClaimLen(0)
	must(t, "ClaimLen(0)", err)
	if len(b) != 0 {
		t.Fatalf("ClaimLen(0) gave %d bytes", len(b))
	}
	must(t, "Commit(0)", tx.Commit(0))
	_, err = tx.ClaimLen(-1)
	wantErr(t, "ClaimLen(-1)", err, ErrInvalidArgument)

	if got := recvString(t, rx); got != "hello" {
		t.Fatalf("first record %q", got)
	}
	if got := recvString(t, rx); got != "" {
		t.Fatalf("second record %q, want the empty one", got)
	}
	_, err = rx.TryRecv(make([]byte, 16))
	wantErr(t, "TryRecv", err, ErrEmpty)
}

func TestLogTooLarge(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing, MaxRecord: 100})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	big := make([]byte, 101)
	wantErr(t, "Publish 101", tx.Publish(big), ErrTooLarge)
	wantErr(t, "PublishWait 101", tx.PublishWait(big, time.Second), ErrTooLarge)
	_, err := tx.ClaimLen(101)
	wantErr(t, "ClaimLen 101", err, ErrTooLarge)
	_, err = tx.ClaimWait(101, time.Second)
	wantErr(t, "ClaimWait 101", err, ErrTooLarge)
	_, err = tx.ClaimBatch([]uint32{1, 101})
	wantErr(t, "ClaimBatch with a 101-byte record", err, ErrTooLarge)
	// 100-byte records take 112 bytes: 19 of them are more than half the ring
	many := make([]uint32, 19)
	for i := range many {
		many[i] = 100
	}
	_, err = tx.ClaimBatch(many)
	wantErr(t, "ClaimBatch over half the ring", err, ErrTooLarge)
	must(t, "Publish 100", tx.Publish(big[:100]))
	if n, err := rx.TryRecv(make([]byte, 200)); err != nil || n != 100 {
		t.Fatalf("TryRecv = %d, %v", n, err)
	}
	// on events regions the slot is the bound
	e := newRegion(t, Config{SlotCount: 8, SlotDataSize: 64})
	etx := openProducer(t, e, SPSC)
	_, err = etx.ClaimLen(65)
	wantErr(t, "ClaimLen 65 on 64-byte slots", err, ErrTooLarge)
	b, err := etx.ClaimLen(10)
	must(t, "ClaimLen 10 on events", err)
	if len(b) != 10 || cap(b) != 10 {
		t.Fatalf("ClaimLen(10) on events: len %d cap %d", len(b), cap(b))
	}
	must(t, "Abort", etx.Abort())
}

// The free space, to the byte: full at exactly the ring, given back a
// quarter of the ring at a time and when the ring runs empty.
func TestLogSpace(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	if s := space(t, tx); s != logRing {
		t.Fatalf("empty ring: space %d", s)
	}
	must(t, "Publish 10", tx.Publish(make([]byte, 10))) // 24 bytes
	if s := space(t, tx); s != logRing-24 {
		t.Fatalf("after 24 bytes: space %d", s)
	}
	buf := make([]byte, 64)
	_, err := rx.TryRecv(buf)
	must(t, "TryRecv", err)
	_, err = rx.TryRecv(buf) // finds the ring empty: gives everything back
	wantErr(t, "TryRecv", err, ErrEmpty)
	if s := space(t, tx); s != logRing {
		t.Fatalf("drained: space %d", s)
	}
	// 56-byte payloads take 64 bytes: from offset 24, 63 of them reach
	// offset 4056. The 64 bytes left are not enough for the next one: it
	// would straddle the end and need a 40-byte pad first.
	n := 0
	for ; n < 100; n++ {
		err := tx.Publish(pattern(4, n, 56))
		if err != nil {
			wantErr(t, "Publish into a full ring", err, ErrFull)
			break
		}
	}
	info, err := r.Info()
	must(t, "Info", err)
	if s := space(t, tx); s != logRing-uint64(info.BytesUsed) {
		t.Fatalf("space %d, used %d", s, info.BytesUsed)
	}
	if n != 63 || info.RecordsWaiting != 63 || info.BytesUsed != 63*64 || info.BytesFree != 64 ||
		info.BytesPadding != 0 {
		t.Fatalf("%d records filled the ring: %+v", n, info)
	}
	// reading three gives nothing back yet; a quarter of the ring does
	for i := 0; i < 3; i++ {
		_, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
	}
	if s := space(t, tx); s != 64 {
		t.Fatalf("after 3 reads: space %d", s)
	}
	for i := 3; i < 16; i++ {
		_, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
	}
	if s := space(t, tx); s != 64+logRing/4 {
		t.Fatalf("after a quarter of the ring read: space %d", s)
	}
	for i := 16; i < n; i++ {
		k, err := rx.TryRecv(buf)
		must(t, "TryRecv", err)
		if !bytes.Equal(buf[:k], pattern(4, i, 56)) {
			t.Fatalf("record %d differs", i)
		}
	}
	_, err = rx.TryRecv(buf)
	wantErr(t, "TryRecv", err, ErrEmpty)
	if s := space(t, tx); s != logRing {
		t.Fatalf("drained again: space %d", s)
	}

	// events: the messages the producer could publish now
	e := newRegion(t, Config{SlotCount: 8})
	etx := openProducer(t, e, SPSC)
	if s := space(t, etx); s != 8 {
		t.Fatalf("events: space %d", s)
	}
	for i := 0; i < 3; i++ {
		must(t, "Publish", etx.Publish([]byte{byte(i)}))
	}
	if s := space(t, etx); s != 5 {
		t.Fatalf("events after 3: space %d", s)
	}
	must(t, "Close", etx.Close())
	_, err = etx.Space()
	wantErr(t, "Space on a closed producer", err, ErrClosed)
}

// The in-place batch claim: invisible until Commit, which publishes exactly
// the first k records; Abort publishes none.
func TestLogBatchClaim(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	buf := make([]byte, 1024)
	lens := []uint32{0, 1, 7, 8, 300}

	for k := 0; k <= len(lens); k++ {
		b, err := tx.ClaimBatch(lens)
		must(t, "ClaimBatch", err)
		if b.Len() != len(lens) {
			t.Fatalf("Len %d", b.Len())
		}
		for i, w := range b.Bufs() {
			if len(w) != int(lens[i]) || cap(w) != int(lens[i]) {
				t.Fatalf("buffer %d: len %d cap %d, want %d", i, len(w), cap(w), lens[i])
			}
			fillPattern(w, 10+k, i)
		}
		_, err = rx.TryRecv(buf)
		wantErr(t, "TryRecv before Commit", err, ErrEmpty)
		_, err = tx.ClaimLen(1)
		wantErr(t, "ClaimLen during a batch", err, ErrBadState)
		wantErr(t, "Commit (single) during a batch", tx.Commit(1), ErrBadState)
		wantErr(t, "Commit past Len", b.Commit(len(lens)+1), ErrInvalidArgument)
		must(t, "Commit", b.Commit(k))
		if b.Bufs() != nil || b.Len() != 0 {
			t.Fatal("buffers still there after Commit")
		}
		wantErr(t, "Commit twice", b.Commit(0), ErrBadState)
		wantErr(t, "Abort after Commit", b.Abort(), ErrBadState)
		for i := 0; i < k; i++ {
			n, err := rx.TryRecv(buf)
			must(t, "TryRecv", err)
			if !bytes.Equal(buf[:n], pattern(10+k, i, int(lens[i]))) {
				t.Fatalf("Commit(%d): record %d differs", k, i)
			}
		}
		_, err = rx.TryRecv(buf)
		wantErr(t, fmt.Sprintf("TryRecv after the %d committed", k), err, ErrEmpty)
	}

	b, err := tx.ClaimBatch(lens)
	must(t, "ClaimBatch", err)
	for i, w := range b.Bufs() {
		fillPattern(w, 20, i)
	}
	must(t, "Abort", b.Abort())
	wantErr(t, "Commit after Abort", b.Commit(1), ErrBadState)
	_, err = rx.TryRecv(buf)
	wantErr(t, "TryRecv after Abort", err, ErrEmpty)
	if s := space(t, tx); s != logRing {
		t.Fatalf("space after the aborted batch was skipped: %d", s)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.Published != 0+1+2+3+4+5 {
		t.Fatalf("published %d", info.Published)
	}

	// a batch ended by the producer's Abort, or Close, is over
	b, err = tx.ClaimBatch([]uint32{4})
	must(t, "ClaimBatch", err)
	must(t, "Producer.Abort", tx.Abort())
	wantErr(t, "Commit after Producer.Abort", b.Commit(1), ErrBadState)
	b, err = tx.ClaimBatch([]uint32{4})
	must(t, "ClaimBatch", err)
	must(t, "Close", tx.Close())
	wantErr(t, "Commit after Close", b.Commit(1), ErrClosed)
	_, err = rx.TryRecv(buf)
	wantErr(t, "TryRecv", err, ErrDisconnected)

	// no lengths; and events regions have no batch claim
	tx2 := openProducer(t, r, MPSC)
	_, err = tx2.ClaimBatch(nil)
	wantErr(t, "ClaimBatch(nil)", err, ErrInvalidArgument)
	e := newRegion(t, Config{SlotCount: 8})
	etx := openProducer(t, e, SPSC)
	_, err = etx.ClaimBatch([]uint32{1})
	wantErr(t, "ClaimBatch on events", err, ErrWrongKind)
	f := newRegion(t, Config{Kind: KindFanout, SlotCount: 8, ConsumerCount: 2})
	ftx := openProducer(t, f, MPSC)
	_, err = ftx.ClaimBatch([]uint32{1})
	wantErr(t, "ClaimBatch on fanout", err, ErrWrongKind)
}

// A batch that does not fit now reserves nothing (ErrFull).
func TestLogBatchFull(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	for i := 0; i < 3; i++ { // 3 * 1008 = 3024 used, 1072 free
		must(t, "Publish", tx.Publish(make([]byte, 1000)))
	}
	_, err := tx.ClaimBatch([]uint32{1000, 100})
	wantErr(t, "ClaimBatch of 1120 bytes into 1072", err, ErrFull)
	if s := space(t, tx); s != logRing-3024 {
		t.Fatalf("space after the refused batch: %d", s)
	}
	b, err := tx.ClaimBatch([]uint32{1000, 50}) // 1008 + 64 = 1072: exactly the rest
	must(t, "ClaimBatch of 1072 bytes", err)
	must(t, "Commit", b.Commit(2))
	if s := space(t, tx); s != 0 {
		t.Fatalf("space after filling the ring: %d", s)
	}
	for i := 0; i < 5; i++ {
		_, err := rx.TryRecv(make([]byte, 1000))
		must(t, "TryRecv", err)
	}
}

// Four goroutines, each with its own MPSC producer and a blocking publish,
// send records of many lengths through a small ring; each sender's records
// arrive complete and in order.
func TestLogMultipleSenders(t *testing.T) {
	const senders, perSender = 4, 5000
	r := newLog(t, Config{ByteCapacity: 64 << 10})
	rx := openConsumer(t, r, 0)
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for id := 0; id < senders; id++ {
		tx := openProducer(t, r, MPSC)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tx.Close()
			for seq := 0; seq < perSender; seq++ {
				msg := pattern(id, seq, 12+(seq*37+id)%500)
				binary.LittleEndian.PutUint32(msg, uint32(id))
				binary.LittleEndian.PutUint64(msg[4:], uint64(seq))
				var err error
				if seq%2 == 0 {
					err = tx.PublishWait(msg, hangGuard)
				} else {
					var b []byte
					if b, err = tx.ClaimWait(len(msg), hangGuard); err == nil {
						copy(b, msg)
						err = tx.Commit(len(msg))
					}
				}
				if err != nil {
					errs <- fmt.Errorf("sender %d record %d: %w", id, seq, err)
					return
				}
			}
		}()
	}
	next := make([]int, senders)
	buf := make([]byte, 1024)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	for got := 0; got < senders*perSender; got++ {
		n, err := rx.Recv(ctx, buf)
		if err != nil {
			select {
			case e := <-errs:
				t.Fatalf("Recv after %d records: %v (%v)", got, err, e)
			default:
			}
			t.Fatalf("Recv after %d records: %v", got, err)
		}
		if n < 12 {
			t.Fatalf("short record %x", buf[:n])
		}
		id := int(binary.LittleEndian.Uint32(buf))
		if id >= senders {
			t.Fatalf("bad sender %d", id)
		}
		seq := next[id]
		want := pattern(id, seq, 12+(seq*37+id)%500)
		binary.LittleEndian.PutUint32(want, uint32(id))
		binary.LittleEndian.PutUint64(want[4:], uint64(seq))
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("sender %d: got record %d (%d bytes), want record %d",
				id, binary.LittleEndian.Uint64(buf[4:]), n, seq)
		}
		next[id]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// every sender closed and everything is read
	_, err := rx.TryRecv(buf)
	wantErr(t, "TryRecv after the senders closed", err, ErrDisconnected)
}

// fillLog publishes 56-byte records until the ring is full; returns how many.
func fillLog(t testing.TB, tx *Producer) int {
	t.Helper()
	for n := 0; ; n++ {
		if err := tx.Publish(pattern(5, n, 56)); err != nil {
			wantErr(t, "Publish", err, ErrFull)
			return n
		}
	}
}

// A producer blocked on a full ring is woken by a consumer goroutine that
// frees room; another one times out with nothing published.
func TestLogBlockingProducer(t *testing.T) {
	for _, claim := range []bool{false, true} {
		t.Run(fmt.Sprintf("claim=%v", claim), func(t *testing.T) {
			r := newLog(t, Config{ByteCapacity: logRing})
			tx := openProducer(t, r, SPSC)
			rx := openConsumer(t, r, 0)
			n := fillLog(t, tx)
			if n != logRing/64 {
				t.Fatalf("%d records filled the ring", n)
			}

			// times out: nothing is published
			if claim {
				_, err := tx.ClaimWait(56, 20*time.Millisecond)
				wantErr(t, "ClaimWait on a full ring", err, ErrTimeout)
			} else {
				wantErr(t, "PublishWait on a full ring", tx.PublishWait(pattern(6, 0, 56),
					20*time.Millisecond), ErrTimeout)
			}
			_, err := tx.ClaimWait(56, 0)
			wantErr(t, "ClaimWait with no time", err, ErrTimeout)
			info, err := r.Info()
			must(t, "Info", err)
			if info.RecordsWaiting != uint64(n) || info.Published != uint64(n) {
				t.Fatalf("after the timeouts: %+v", info)
			}

			// blocks until the consumer goroutine drains the ring
			done := make(chan error, 1)
			go func() {
				want := pattern(6, 1, 56)
				if !claim {
					done <- tx.PublishWait(want, hangGuard)
					return
				}
				b, err := tx.ClaimWait(56, hangGuard)
				if err == nil {
					copy(b, want)
					err = tx.Commit(56)
				}
				done <- err
			}()
			select {
			case err := <-done:
				t.Fatalf("the blocked producer returned (%v) before anything was read", err)
			case <-time.After(50 * time.Millisecond):
			}
			drained := make(chan error, 1)
			go func() {
				buf := make([]byte, 64)
				for i := 0; i < n; i++ {
					k, err := rx.RecvTimeout(buf, hangGuard)
					if err == nil && !bytes.Equal(buf[:k], pattern(5, i, 56)) {
						err = fmt.Errorf("record %d differs", i)
					}
					if err != nil {
						drained <- err
						return
					}
				}
				drained <- nil
			}()
			select {
			case err := <-done:
				must(t, "blocked producer", err)
			case <-time.After(hangGuard):
				t.Fatal("the blocked producer was never woken")
			}
			must(t, "consumer goroutine", <-drained)
			// the consumer goroutine read the n older records; this one is next
			buf := make([]byte, 64)
			k, err := rx.RecvTimeout(buf, hangGuard)
			must(t, "RecvTimeout", err)
			if !bytes.Equal(buf[:k], pattern(6, 1, 56)) {
				t.Fatalf("the woken producer's record differs: %x", buf[:k])
			}
		})
	}
}

// Disconnect, both ways: the consumer sees ErrDisconnected once every
// producer has gone and the ring is drained; producers see it once the
// consumer has gone, a parked one included (the consumer's close wakes it).
func TestLogDisconnect(t *testing.T) {
	t.Run("producers gone", func(t *testing.T) {
		r := newLog(t, Config{ByteCapacity: logRing})
		rx := openConsumer(t, r, 0)
		a := openProducer(t, r, MPSC)
		b := openProducer(t, r, MPSC)
		must(t, "Publish", a.Publish([]byte("from a")))
		must(t, "Close a", a.Close())
		must(t, "Publish", b.Publish([]byte("from b")))
		must(t, "Close b", b.Close())
		if got := recvString(t, rx); got != "from a" {
			t.Fatalf("got %q", got)
		}
		if got := recvString(t, rx); got != "from b" {
			t.Fatalf("got %q", got)
		}
		_, err := rx.TryRecv(make([]byte, 16))
		wantErr(t, "TryRecv", err, ErrDisconnected)
		_, err = rx.RecvTimeout(make([]byte, 16), hangGuard)
		wantErr(t, "RecvTimeout", err, ErrDisconnected)
	})
	t.Run("consumer gone", func(t *testing.T) {
		r := newLog(t, Config{ByteCapacity: logRing})
		rx := openConsumer(t, r, 0)
		tx := openProducer(t, r, SPSC)
		must(t, "Publish", tx.Publish([]byte("unread")))
		must(t, "Close consumer", rx.Close())
		wantErr(t, "Publish", tx.Publish([]byte("x")), ErrDisconnected)
		wantErr(t, "PublishWait", tx.PublishWait([]byte("x"), hangGuard), ErrDisconnected)
		_, err := tx.ClaimLen(1)
		wantErr(t, "ClaimLen", err, ErrDisconnected)
		_, err = tx.ClaimWait(1, hangGuard)
		wantErr(t, "ClaimWait", err, ErrDisconnected)
		_, err = tx.ClaimBatch([]uint32{1})
		wantErr(t, "ClaimBatch", err, ErrDisconnected)
	})
	t.Run("consumer leaves while a producer is parked", func(t *testing.T) {
		r := newLog(t, Config{ByteCapacity: logRing})
		rx := openConsumer(t, r, 0)
		tx := openProducer(t, r, MPSC)
		fillLog(t, tx)
		done := make(chan error, 1)
		go func() { done <- tx.PublishWait(make([]byte, 56), hangGuard) }()
		select {
		case err := <-done:
			t.Fatalf("PublishWait returned (%v) on a full ring", err)
		case <-time.After(50 * time.Millisecond):
		}
		must(t, "Close consumer", rx.Close())
		select {
		case err := <-done:
			wantErr(t, "parked PublishWait", err, ErrDisconnected)
		case <-time.After(hangGuard):
			t.Fatal("the parked producer was not woken by the consumer's close")
		}
	})
}

// The consumer's receive timeout on an empty log: ErrTimeout, not earlier.
func TestLogRecvTimeout(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	rx := openConsumer(t, r, 0)
	openProducer(t, r, SPSC)
	start := time.Now()
	_, err := rx.RecvTimeout(make([]byte, 16), 50*time.Millisecond)
	wantErr(t, "RecvTimeout on an empty log", err, ErrTimeout)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("RecvTimeout returned after %v, before its 50ms", el)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = rx.Recv(ctx, make([]byte, 16))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv with a deadline: %v", err)
	}
}

// Close from another goroutine ends a blocked PublishWait with ErrClosed.
func TestLogPublishWaitClose(t *testing.T) {
	r := newLog(t, Config{ByteCapacity: logRing})
	openConsumer(t, r, 0)
	tx := openProducer(t, r, SPSC)
	fillLog(t, tx)
	done := make(chan error, 1)
	go func() { done <- tx.PublishWait(make([]byte, 56), hangGuard) }()
	time.Sleep(20 * time.Millisecond)
	must(t, "Close", tx.Close())
	select {
	case err := <-done:
		wantErr(t, "PublishWait after Close", err, ErrClosed)
	case <-time.After(hangGuard):
		t.Fatal("PublishWait did not end on Close")
	}
}

// Blocking producers work on events regions too.
func TestEventsPublishWait(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 4})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	for i := 0; i < 4; i++ {
		must(t, "Publish", tx.Publish([]byte{byte(i)}))
	}
	wantErr(t, "PublishWait on a full events region", tx.PublishWait([]byte{9}, 10*time.Millisecond), ErrTimeout)
	done := make(chan error, 1)
	go func() { done <- tx.PublishWait([]byte{4}, hangGuard) }()
	for i := 0; i < 5; i++ {
		if got := recvString(t, rx); got != string([]byte{byte(i)}) {
			t.Fatalf("message %d: %q", i, got)
		}
	}
	must(t, "PublishWait", <-done)
}
