package indexbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The multi-process tests re-execute the test binary as a child; these
// variables tell TestMain what to do instead of running the tests.
const (
	envChild  = "INDEXBUS_GO_TEST_CHILD" // role: "producer", "log-producer", "stream-writer", "rpc-server", ...
	envRegion = "INDEXBUS_GO_TEST_REGION"
	envCount  = "INDEXBUS_GO_TEST_COUNT"
	envType   = "INDEXBUS_GO_TEST_TYPE" // "spsc" or "mpsc"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(envChild); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the child process: it opens the region by name and publishes
// count messages (childMessage(i), in order), retrying while the bus is full.
func runChild(role string) error {
	switch role {
	case "log-producer":
		return runLogChild()
	case "stream-writer", "stream-writer-dies":
		return runStreamChild(role)
	case "rpc-server", "rpc-server-dies":
		return runRPCChild(role)
	}
	if role != "producer" {
		return fmt.Errorf("unknown role %q", role)
	}
	count, err := strconv.Atoi(os.Getenv(envCount))
	if err != nil {
		return err
	}
	typ := SPSC
	if os.Getenv(envType) == "mpsc" {
		typ = MPSC
	}
	region, err := Open(os.Getenv(envRegion))
	if err != nil {
		return err
	}
	defer region.Close()
	tx, err := region.OpenProducer(typ)
	if err != nil {
		return err
	}
	defer tx.Close()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < count; i++ {
		msg := childMessage(i)
		for {
			err := tx.Publish(msg)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrFull) || time.Now().After(deadline) {
				return fmt.Errorf("message %d: %w", i, err)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	return nil
}

// childMessage is message i of the multi-process test: 8..107 bytes, the
// index first, then a pattern that depends on it.
func childMessage(i int) []byte {
	msg := make([]byte, 8+i%100)
	binary.LittleEndian.PutUint64(msg, uint64(i))
	for j := 8; j < len(msg); j++ {
		msg[j] = byte(i*7 + j)
	}
	return msg
}

// runLogChild is the byte-log child: it opens the log by name and sends
// count records (logChildRecord(i), in order, of every length up to the
// region's max record) with PublishWait, so it parks whenever the ring is
// full until the parent, in another process, reads.
func runLogChild() error {
	count, err := strconv.Atoi(os.Getenv(envCount))
	if err != nil {
		return err
	}
	typ := SPSC
	if os.Getenv(envType) == "mpsc" {
		typ = MPSC
	}
	region, err := Open(os.Getenv(envRegion))
	if err != nil {
		return err
	}
	defer region.Close()
	info, err := region.Info()
	if err != nil {
		return err
	}
	tx, err := region.OpenProducer(typ)
	if err != nil {
		return err
	}
	defer tx.Close()
	for i := 0; i < count; i++ {
		if err := tx.PublishWait(logChildRecord(i, int(info.MaxRecord)), 60*time.Second); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return nil
}

// logChildRecord is record i of the byte-log multi-process test: i%(max+1)
// bytes of a pattern that depends on i.
func logChildRecord(i, maxRecord int) []byte {
	msg := make([]byte, (i*7)%(maxRecord+1))
	for j := range msg {
		msg[j] = byte(i*5 + j*3 + j>>8)
	}
	return msg
}

var nameSeq atomic.Int64

// testName returns a fresh POSIX shm name for t and unlinks it at the end.
func testName(t testing.TB) string {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '#' {
			return '_'
		}
		return r
	}, t.Name())
	if len(clean) > 80 {
		clean = clean[:80]
	}
	name := fmt.Sprintf("/ibgo-%d-%d-%s", os.Getpid(), nameSeq.Add(1), clean)
	t.Cleanup(func() { _ = Unlink(name) })
	return name
}

// newRegion creates a region for t; it is closed and unlinked at the end.
func newRegion(t testing.TB, cfg Config) *Region {
	t.Helper()
	r, err := Create(testName(t), cfg)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func openProducer(t testing.TB, r *Region, typ ProducerType) *Producer {
	t.Helper()
	p, err := r.OpenProducer(typ)
	if err != nil {
		t.Fatalf("OpenProducer(%v): %v", typ, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func openConsumer(t testing.TB, r *Region, index int) *Consumer {
	t.Helper()
	c, err := r.OpenConsumer(index)
	if err != nil {
		t.Fatalf("OpenConsumer(%d): %v", index, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func openRouter(t testing.TB, r *Region) *Router {
	t.Helper()
	rt, err := r.OpenRouter()
	if err != nil {
		t.Fatalf("OpenRouter: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// wantErr fails t unless errors.Is(err, target).
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// recvString receives one message within a second.
func recvString(t testing.TB, c *Consumer) string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := c.RecvTimeout(buf, time.Second)
	must(t, "RecvTimeout", err)
	return string(buf[:n])
}
