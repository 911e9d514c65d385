package swig

import (
	"fmt"
	"os"
	"testing"
)

// The hot-path calls on their edge cases: empty slices go to C as NULL,
// with the library's own argument checks.
func TestDirectCalls(t *testing.T) {
	name := fmt.Sprintf("/ibgo-swig-%d", os.Getpid())
	var cfg RegionConfig
	var r Region
	var p Producer
	var c Consumer
	if st := Indexbus_region_config_init(&cfg, uint32(INDEXBUS_KIND_EVENTS)); st != INDEXBUS_OK {
		t.Fatalf("config init: %d", st)
	}
	cfg.SlotCount = 8
	_ = Indexbus_region_unlink(name)
	if st := Indexbus_region_create(name, &cfg, &r); st != INDEXBUS_OK {
		t.Fatalf("create: %d", st)
	}
	defer Indexbus_region_unlink(name)
	defer Indexbus_region_close(r)
	if st := Indexbus_producer_open(r, uint32(INDEXBUS_PRODUCER_SPSC), &p); st != INDEXBUS_OK {
		t.Fatalf("producer open: %d", st)
	}
	defer Indexbus_producer_close(p)
	if st := Indexbus_consumer_open(r, 0, &c); st != INDEXBUS_OK {
		t.Fatalf("consumer open: %d", st)
	}
	defer Indexbus_consumer_close(c)

	want := func(what string, st, n, wantSt, wantN int) {
		t.Helper()
		if st != wantSt || n != wantN {
			t.Fatalf("%s = %s, %d; want %s, %d", what, Indexbus_status_name(st), n,
				Indexbus_status_name(wantSt), wantN)
		}
	}
	lens := make([]uint32, 4)
	buf := make([]byte, 16)

	st, n := PublishBatchDirect(p, []byte("x"), nil)
	want("PublishBatchDirect without lens", st, n, INDEXBUS_INVALID_ARGUMENT, 0)
	st, n = RecvBatchDirect(c, buf, nil)
	want("RecvBatchDirect without lens", st, n, INDEXBUS_INVALID_ARGUMENT, 0)
	st, n = RecvBatchDirect(c, buf, lens)
	want("RecvBatchDirect on nothing", st, n, INDEXBUS_EMPTY, 0)
	st, n = TryRecvDirect(c, buf)
	want("TryRecvDirect on nothing", st, n, INDEXBUS_EMPTY, 0)

	// no payload bytes at all: NULL data is fine for empty messages
	st, n = PublishBatchDirect(p, nil, []uint32{0, 0})
	want("PublishBatchDirect(nil, 2 empties)", st, n, INDEXBUS_OK, 2)
	want("PublishDirect(nil)", PublishDirect(p, nil), 0, INDEXBUS_OK, 0)
	st, n = RecvBatchDirect(c, nil, lens[:1])
	want("RecvBatchDirect(nil) of an empty message", st, n, INDEXBUS_OK, 1)
	st, n = TryRecvDirect(c, nil)
	want("TryRecvDirect(nil) of an empty message", st, n, INDEXBUS_OK, 0)
	st, n = RecvBatchDirect(c, buf, lens)
	want("RecvBatchDirect of an empty message", st, n, INDEXBUS_OK, 1)
	if lens[0] != 0 {
		t.Fatalf("empty message received as %d bytes", lens[0])
	}

	// payloads, and buffers that are too small
	st, n = PublishBatchDirect(p, []byte("abcdefgh"), []uint32{3, 5})
	want("PublishBatchDirect", st, n, INDEXBUS_OK, 2)
	want("PublishDirect", PublishDirect(p, []byte("xyz")), 0, INDEXBUS_OK, 0)
	st, n = RecvBatchDirect(c, nil, lens)
	want("RecvBatchDirect(nil)", st, n, INDEXBUS_BUFFER_TOO_SMALL, 0)
	if lens[0] != 3 {
		t.Fatalf("RecvBatchDirect(nil) reported length %d, want 3", lens[0])
	}
	st, n = TryRecvDirect(c, buf[:2])
	want("TryRecvDirect into 2 bytes", st, n, INDEXBUS_BUFFER_TOO_SMALL, 3)
	st, n = RecvBatchDirect(c, buf[:3], lens)
	want("RecvBatchDirect into 3 bytes", st, n, INDEXBUS_OK, 1)
	st, n = RecvBatchDirect(c, buf[3:], lens[1:2])
	want("RecvBatchDirect", st, n, INDEXBUS_OK, 1)
	if string(buf[:8]) != "abcdefgh" || lens[0] != 3 || lens[1] != 5 {
		t.Fatalf("received %q, lengths %v", buf[:8], lens[:2])
	}
	st, n = TryRecvDirect(c, buf)
	want("TryRecvDirect", st, n, INDEXBUS_OK, 3)
	if string(buf[:3]) != "xyz" {
		t.Fatalf("received %q", buf[:3])
	}
}
