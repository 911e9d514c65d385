package indexbus

import (
	"bytes"
	"errors"
	"testing"
)

// recvAll takes everything waiting, with RecvBatch, as separate messages.
func recvAll(t *testing.T, rx *Consumer) [][]byte {
	t.Helper()
	buf := make([]byte, 4096)
	lens := make([]uint32, 64)
	var got [][]byte
	for {
		k, err := rx.RecvBatch(buf, lens)
		if errors.Is(err, ErrEmpty) {
			return got
		}
		must(t, "RecvBatch", err)
		off := 0
		for _, l := range lens[:k] {
			got = append(got, bytes.Clone(buf[off:off+int(l)]))
			off += int(l)
		}
	}
}

func wantMessages(t *testing.T, what string, got [][]byte, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: received %d messages %q, want %d %q", what, len(got), got, len(want), want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("%s: message %d is %q, want %q", what, i, got[i], want[i])
		}
	}
}

func TestPublishPacked(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8, SlotDataSize: 64})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)

	for _, data := range [][]byte{nil, []byte("abc")} {
		n, err := tx.PublishPacked(data, nil)
		if n != 0 || err != nil {
			t.Fatalf("PublishPacked(%q, nil) = %d, %v", data, n, err)
		}
	}

	// exact bytes and lengths; bytes past the lengths are not sent
	data := []byte("oneTWO-3\x00\xff!trailing")
	lens := []uint32{3, 5, 0, 2, 1}
	n, err := tx.PublishPacked(data, lens)
	if n != 5 || err != nil {
		t.Fatalf("PublishPacked = %d, %v", n, err)
	}
	buf := make([]byte, 64)
	rlens := make([]uint32, 8)
	k, err := rx.RecvBatch(buf, rlens)
	if err != nil || k != 5 {
		t.Fatalf("RecvBatch = %d, %v", k, err)
	}
	for i, l := range lens {
		if rlens[i] != l {
			t.Fatalf("received lengths %v, want %v", rlens[:k], lens)
		}
	}
	if got := string(buf[:11]); got != "oneTWO-3\x00\xff!" {
		t.Fatalf("received bytes %q", got)
	}
	if !bytes.Equal(data, []byte("oneTWO-3\x00\xff!trailing")) {
		t.Fatalf("PublishPacked changed its input: %q", data)
	}

	// only empty messages, with or without a buffer
	for _, data := range [][]byte{nil, {}, []byte("x")} {
		n, err = tx.PublishPacked(data, []uint32{0, 0, 0})
		if n != 3 || err != nil {
			t.Fatalf("PublishPacked(%q, 3 empties) = %d, %v", data, n, err)
		}
		wantMessages(t, "empties", recvAll(t, rx), "", "", "")
	}
	// and a full slot
	full := bytes.Repeat([]byte{0x5a}, 64)
	n, err = tx.PublishPacked(full, []uint32{64})
	if n != 1 || err != nil {
		t.Fatalf("PublishPacked(64 bytes) = %d, %v", n, err)
	}
	wantMessages(t, "a full slot", recvAll(t, rx), string(full))
}

func TestPublishPackedErrors(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8, SlotDataSize: 64})
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)

	// lengths beyond the data: refused before anything is published
	for _, c := range []struct {
		data []byte
		lens []uint32
	}{
		{nil, []uint32{1}},
		{[]byte("abcd"), []uint32{2, 3}},
		{[]byte("abcd"), []uint32{0, 0, 5}},
		{make([]byte, 8), []uint32{8, 0xffffffff}},
		{make([]byte, 8), []uint32{0xffffffff, 0xffffffff, 0xffffffff, 2}},
	} {
		n, err := tx.PublishPacked(c.data, c.lens)
		wantErr(t, "PublishPacked with short data", err, ErrInvalidArgument)
		var e *Error
		if n != 0 || !errors.As(err, &e) || e.Op != "publish batch" || e.Detail == "" {
			t.Fatalf("PublishPacked(%d bytes, %v) = %d, %#v", len(c.data), c.lens, n, err)
		}
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.Published != 0 || info.FreeSlots != 8 {
		t.Fatalf("refused batches published something: %+v", info)
	}

	// more than fits: a prefix goes out, then the reason
	data := []byte("0123456789")
	lens := []uint32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	n, err := tx.PublishPacked(data, lens)
	wantErr(t, "PublishPacked beyond capacity", err, ErrFull)
	if n != 8 {
		t.Fatalf("PublishPacked published %d of 10 into 8 slots", n)
	}
	wantMessages(t, "beyond capacity", recvAll(t, rx), "0", "1", "2", "3", "4", "5", "6", "7")

	// a message that is too large stops the batch there
	data = append([]byte("ok"), make([]byte, 65)...)
	data = append(data, "never"...)
	n, err = tx.PublishPacked(data, []uint32{2, 65, 5})
	wantErr(t, "PublishPacked with a too-large message", err, ErrTooLarge)
	if n != 1 {
		t.Fatalf("PublishPacked published %d before the too-large message", n)
	}
	wantMessages(t, "too large", recvAll(t, rx), "ok")

	// while a claim is pending
	_, err = tx.Claim()
	must(t, "Claim", err)
	n, err = tx.PublishPacked([]byte("x"), []uint32{1})
	wantErr(t, "PublishPacked while claiming", err, ErrBadState)
	if n != 0 {
		t.Fatalf("PublishPacked while claiming published %d", n)
	}
	must(t, "Abort", tx.Abort())

	// once the consumer has gone
	must(t, "consumer Close", rx.Close())
	n, err = tx.PublishPacked([]byte("x"), []uint32{1})
	wantErr(t, "PublishPacked after the consumer left", err, ErrDisconnected)
	if n != 0 {
		t.Fatalf("PublishPacked after the consumer left published %d", n)
	}
}

// PublishBatch reads messages that lie back to back in place, and packs the
// others: either way the bytes that arrive are the messages'.
func TestPublishBatchLayouts(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 16, SlotDataSize: 64})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)

	one := []byte("alphabetagammadelta")
	cases := []struct {
		name string
		msgs [][]byte
		want []string
	}{
		{"slices of one buffer", [][]byte{one[0:5], one[5:9], one[9:14], one[14:19]},
			[]string{"alpha", "beta", "gamma", "delta"}},
		{"a prefix of one buffer", [][]byte{one[0:5], one[5:9]}, []string{"alpha", "beta"}},
		{"empty ones between", [][]byte{one[0:5], nil, one[5:9], one[9:9], {}, one[9:14]},
			[]string{"alpha", "", "beta", "", "", "gamma"}},
		{"an empty first one", [][]byte{one[0:0], one[0:5], one[5:9]}, []string{"", "alpha", "beta"}},
		{"a nil first one", [][]byte{nil, one[0:5]}, []string{"", "alpha"}},
		{"out of order", [][]byte{one[5:9], one[0:5]}, []string{"beta", "alpha"}},
		{"with a gap", [][]byte{one[0:5], one[9:14]}, []string{"alpha", "gamma"}},
		{"overlapping", [][]byte{one[0:5], one[3:9]}, []string{"alpha", "habeta"}},
		{"the same twice", [][]byte{one[0:5], one[0:5]}, []string{"alpha", "alpha"}},
		{"first capped short", [][]byte{one[0:5:5], one[5:9]}, []string{"alpha", "beta"}},
		{"separate buffers", [][]byte{[]byte("one"), []byte("two")}, []string{"one", "two"}},
		{"only empties", [][]byte{{}, nil}, []string{"", ""}},
	}
	for _, c := range cases {
		n, err := tx.PublishBatch(c.msgs)
		if n != len(c.msgs) || err != nil {
			t.Fatalf("%s: PublishBatch = %d, %v", c.name, n, err)
		}
		wantMessages(t, c.name, recvAll(t, rx), c.want...)
	}
	if string(one) != "alphabetagammadelta" {
		t.Fatalf("PublishBatch changed its input: %q", one)
	}
}

func TestAdjacent(t *testing.T) {
	b := make([]byte, 16)
	for _, c := range []struct {
		name string
		msgs [][]byte
		ok   bool
		n    int // len(data) when ok
	}{
		{"in order", [][]byte{b[0:4], b[4:8], b[8:16]}, true, 16},
		{"prefix", [][]byte{b[0:1], b[1:2]}, true, 2},
		{"from an offset", [][]byte{b[3:5], b[5:6]}, true, 3},
		{"all empty", [][]byte{nil, {}}, true, 0},
		{"empties between", [][]byte{b[0:2], nil, b[8:8], b[2:4]}, true, 4},
		{"gap", [][]byte{b[0:2], b[3:4]}, false, 0},
		{"reversed", [][]byte{b[2:4], b[0:2]}, false, 0},
		{"repeated", [][]byte{b[0:2], b[0:2]}, false, 0},
		{"capped", [][]byte{b[0:2:2], b[2:4]}, false, 0},
		{"other array", [][]byte{b[0:2], make([]byte, 2)}, false, 0},
	} {
		total := 0
		for _, m := range c.msgs {
			total += len(m)
		}
		data, ok := adjacent(c.msgs, total)
		if ok != c.ok || len(data) != c.n {
			t.Errorf("%s: adjacent = %d bytes, %v; want %d, %v", c.name, len(data), ok, c.n, c.ok)
		}
		if ok && c.n > 0 && &data[0] != &c.msgs[0][0] {
			t.Errorf("%s: adjacent did not return the messages in place", c.name)
		}
	}
}

// The hot path allocates nothing once warm.
func TestHotPathAllocations(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 64, SlotDataSize: 64})
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	const batch = 32
	packed := bytes.Repeat([]byte{0x42}, batch*64)
	lens := make([]uint32, batch)
	msgs := make([][]byte, batch)
	scattered := make([][]byte, batch)
	for i := range lens {
		lens[i] = 64
		msgs[i] = packed[i*64 : (i+1)*64]
		scattered[i] = bytes.Clone(msgs[i])
	}
	buf := make([]byte, batch*64)
	rlens := make([]uint32, batch)
	recv := func() {
		for got := 0; got < batch; {
			k, err := rx.RecvBatch(buf, rlens[:batch-got])
			if err != nil {
				t.Fatalf("RecvBatch: %v", err)
			}
			got += k
		}
	}
	for name, publish := range map[string]func() (int, error){
		"PublishPacked":             func() (int, error) { return tx.PublishPacked(packed, lens) },
		"PublishBatch in place":     func() (int, error) { return tx.PublishBatch(msgs) },
		"PublishBatch with packing": func() (int, error) { return tx.PublishBatch(scattered) },
	} {
		allocs := testing.AllocsPerRun(100, func() {
			if n, err := publish(); n != batch || err != nil {
				t.Fatalf("%s = %d, %v", name, n, err)
			}
			recv()
		})
		if allocs != 0 {
			t.Errorf("%s + RecvBatch: %v allocations per batch", name, allocs)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		must(t, "Publish", tx.Publish(packed[:64]))
		if n, err := rx.TryRecv(buf); n != 64 || err != nil {
			t.Fatalf("TryRecv = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Publish + TryRecv: %v allocations per message", allocs)
	}
}

// BenchmarkPublishRecvBatch is the batch row of `make bench` (64-byte
// messages, 32 a batch) as a Go benchmark: ns/op is per batch.
func BenchmarkPublishRecvBatch(b *testing.B) {
	const batch, size = 32, 64
	r := newRegion(b, Config{SlotDataSize: size, Prefault: true})
	tx := openProducer(b, r, SPSC)
	rx := openConsumer(b, r, 0)
	packed := bytes.Repeat([]byte{0x42}, batch*size)
	lens := make([]uint32, batch)
	msgs := make([][]byte, batch)
	for i := range lens {
		lens[i] = size
		msgs[i] = bytes.Clone(packed[i*size : (i+1)*size])
	}
	buf := make([]byte, batch*size)
	rlens := make([]uint32, batch)
	for _, c := range []struct {
		name    string
		publish func() (int, error)
	}{
		{"PublishPacked", func() (int, error) { return tx.PublishPacked(packed, lens) }},
		{"PublishBatch", func() (int, error) { return tx.PublishBatch(msgs) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(batch * size)
			for i := 0; i < b.N; i++ {
				if _, err := c.publish(); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < batch; {
					k, err := rx.RecvBatch(buf, rlens[:batch-got])
					if err != nil {
						b.Fatal(err)
					}
					got += k
				}
			}
		})
	}
}
