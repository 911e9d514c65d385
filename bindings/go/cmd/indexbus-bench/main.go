// Command indexbus-bench is the Go side of the binding benchmarks that
// `make bench` runs (tools/bench/langs.c defines the protocol; the C twin is
// tools/bench/lang_c.c):
//
//	indexbus-bench NAME SIZE BATCH WARMUP COUNT
//
// One process creates events region NAME (SIZE-byte slots, at least 64,
// default slot count), opens an SPSC producer and the consumer, then
// alternates: publish BATCH messages of SIZE bytes (Publish when BATCH is 1,
// else one PublishPacked of a packed buffer and its lengths, as the C twin
// does), then receive them (TryRecv, or RecvBatch of up to BATCH until all
// BATCH are in). WARMUP messages first, untimed; then COUNT timed, in 5
// equal segments, each on the wall clock and on the CPU clock of the thread
// that runs the loop (the goroutine is locked to it; time spent preempted by
// other load does not count there, nor do the runtime's other threads, idle
// here since the loop allocates nothing). It prints one JSON line,
// msgs_per_cpu_s being the fastest segment's:
//
//	{"lang":"go","size":64,"batch":32,"msgs":N,"segments":5,"secs":S,"cpu_secs":C,
//	 "msgs_per_s":N/S,"msgs_per_cpu_s_all":N/C,"msgs_per_cpu_s":R}
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

const usage = "usage: indexbus-bench NAME SIZE BATCH WARMUP COUNT"

// segments is how many equal parts the timed messages are run in.
const segments = 5

type bench struct {
	tx    *indexbus.Producer
	rx    *indexbus.Consumer
	msg   []byte   // one message (batch 1)
	msgs  []byte   // BATCH messages packed back to back
	lens  []uint32 // their lengths, all SIZE
	buf   []byte
	rlens []uint32
	size  int
	batch int
}

// run publishes and receives `rounds` batches.
func (b *bench) run(rounds int) error {
	for r := 0; r < rounds; r++ {
		if b.batch == 1 {
			if err := b.tx.Publish(b.msg); err != nil {
				return err
			}
			n, err := b.rx.TryRecv(b.buf)
			if err != nil {
				return err
			}
			if n != b.size {
				return fmt.Errorf("received %d bytes, sent %d", n, b.size)
			}
			continue
		}
		// nil error: all of them went out
		if _, err := b.tx.PublishPacked(b.msgs, b.lens); err != nil {
			return err
		}
		for got := 0; got < b.batch; {
			k, err := b.rx.RecvBatch(b.buf, b.rlens[:b.batch-got])
			if err != nil {
				return err
			}
			got += k
		}
	}
	return nil
}

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// cpuSeconds is the CPU time of the calling OS thread so far (the caller
// has locked its goroutine to it).
func cpuSeconds() float64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}

func main() {
	runtime.LockOSThread() // one OS thread runs the loop: its CPU clock is the measure
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	if len(args) != 5 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	var nums [4]int
	for i := range nums {
		v, err := strconv.Atoi(args[i+1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "indexbus-bench: bad number %q\n%s\n", args[i+1], usage)
			return 2
		}
		nums[i] = v
	}
	name, size, batch, warmup, count := args[0], nums[0], nums[1], nums[2], nums[3]
	if size == 0 || batch == 0 || batch > 1024 || count < batch*segments {
		fmt.Fprintln(os.Stderr, "indexbus-bench: bad arguments")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "indexbus-bench: %v\n", err)
		return 1
	}

	slot := max(64, (size+7)&^7)
	_ = indexbus.Unlink(name)
	region, err := indexbus.Create(name, indexbus.Config{SlotDataSize: uint32(slot), Prefault: true})
	if err != nil {
		return fail(err)
	}
	defer func() { _ = indexbus.Unlink(name) }()
	defer region.Close()
	tx, err := region.OpenProducer(indexbus.SPSC)
	if err != nil {
		return fail(err)
	}
	defer tx.Close()
	rx, err := region.OpenConsumer(0)
	if err != nil {
		return fail(err)
	}
	defer rx.Close()

	packed := make([]byte, batch*size)
	for i := range packed {
		packed[i] = 0x42
	}
	b := &bench{tx: tx, rx: rx, msg: packed[:size], msgs: packed, lens: make([]uint32, batch),
		buf: make([]byte, batch*slot), rlens: make([]uint32, batch), size: size, batch: batch}
	for i := range b.lens {
		b.lens[i] = uint32(size)
	}

	if err := b.run(warmup / batch); err != nil {
		return fail(err)
	}
	rounds := count / batch / segments
	var secs, cpu, best float64
	for seg := 0; seg < segments; seg++ {
		t0, c0 := time.Now(), cpuSeconds()
		if err := b.run(rounds); err != nil {
			return fail(err)
		}
		dc := cpuSeconds() - c0
		secs += time.Since(t0).Seconds()
		cpu += dc
		best = max(best, float64(rounds*batch)/dc)
	}
	n := rounds * batch * segments
	fmt.Printf("{\"lang\":\"go\",\"size\":%d,\"batch\":%d,\"msgs\":%d,\"segments\":%d,\"secs\":%.6f,"+
		"\"cpu_secs\":%.6f,\"msgs_per_s\":%.0f,\"msgs_per_cpu_s_all\":%.0f,\"msgs_per_cpu_s\":%.0f}\n",
		size, batch, n, segments, secs, cpu, float64(n)/secs, float64(n)/cpu, best)
	return 0
}
