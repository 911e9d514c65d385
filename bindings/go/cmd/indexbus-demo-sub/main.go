// Command indexbus-demo-sub is the Go consumer of `make demo`
// (tools/demo.sh): a small user of package indexbus.
//
//	indexbus-demo-sub NAME INDEX [EXPECTED]
//
// It opens region NAME, attaches consumer INDEX and receives until every
// producer is gone and everything is drained (ErrDisconnected), checking
// that the 8-byte little-endian sequence numbers at the start of each
// message are 0, 1, 2, ... It then prints one summary line on stdout, in the
// format of `indexbus sub --check-seq` with the language in front:
//
//	go consumer 1: 100000 messages, 6400000 bytes in 0.081 s (1.23M msg/s); seq order ok, 0 gaps
//
// (the time is from the first to the last message). It exits 1 if a
// message was missing, out of order or shorter than 8 bytes, if EXPECTED
// was given and a different number arrived, or on any error; 2 on a usage
// error.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

const usage = "usage: indexbus-demo-sub NAME INDEX [EXPECTED]"

// seqCheck follows the sequence numbers the way `indexbus sub --check-seq`
// does: numbers skipped relative to 0, 1, 2, ... are gaps, a number not
// above the highest seen so far is out of order.
type seqCheck struct {
	expect, gaps, missing, outOfOrder, tooShort uint64
}

func (q *seqCheck) observe(msg []byte) {
	if len(msg) < 8 {
		q.tooShort++
		return
	}
	seq := binary.LittleEndian.Uint64(msg)
	switch {
	case seq < q.expect:
		q.outOfOrder++
		return
	case seq > q.expect:
		q.gaps++
		q.missing += seq - q.expect
	}
	q.expect = seq + 1
}

func (q *seqCheck) ok() bool { return q.gaps == 0 && q.outOfOrder == 0 && q.tooShort == 0 }

func (q *seqCheck) String() string {
	s := "seq order ok"
	if q.outOfOrder != 0 {
		s = fmt.Sprintf("seq %d out of order", q.outOfOrder)
	}
	s += fmt.Sprintf(", %d gaps", q.gaps)
	if q.gaps != 0 {
		s += fmt.Sprintf(" (%d missing)", q.missing)
	}
	if q.tooShort != 0 {
		s += fmt.Sprintf(", %d shorter than 8 bytes", q.tooShort)
	}
	return s
}

// rate formats n per secs like the CLI: "812.3k", "1.25M", "n/a".
func rate(n uint64, secs float64) string {
	if secs <= 0 {
		return "n/a"
	}
	r := float64(n) / secs
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.1f", r)
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) < 2 || len(args) > 3 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	name := args[0]
	index, err := strconv.Atoi(args[1])
	if err != nil || index < 0 {
		fmt.Fprintf(os.Stderr, "indexbus-demo-sub: bad consumer index %q\n%s\n", args[1], usage)
		return 2
	}
	expected := int64(-1)
	if len(args) == 3 {
		if expected, err = strconv.ParseInt(args[2], 10, 64); err != nil || expected < 0 {
			fmt.Fprintf(os.Stderr, "indexbus-demo-sub: bad expected count %q\n%s\n", args[2], usage)
			return 2
		}
	}
	who := fmt.Sprintf("go consumer %d", index)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "%s: "+format+"\n", append([]any{who}, a...)...)
		return 1
	}

	region, err := indexbus.Open(name)
	if err != nil {
		return fail("%v", err)
	}
	defer region.Close()
	info, err := region.Info()
	if err != nil {
		return fail("%v", err)
	}
	consumer, err := region.OpenConsumer(index)
	if err != nil {
		return fail("%v", err)
	}
	defer consumer.Close()

	// SIGINT / SIGTERM end the receive loop, so the consumer is closed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	buf := make([]byte, info.SlotDataSize)
	var msgs, bytes uint64
	var first, last time.Time
	var seq seqCheck
	var recvErr error
	for {
		n, err := consumer.Recv(ctx, buf)
		if errors.Is(err, indexbus.ErrDisconnected) {
			break // producers gone, everything received
		}
		if err != nil {
			recvErr = err // interrupted, or a real failure
			break
		}
		last = time.Now()
		if msgs == 0 {
			first = last
		}
		msgs++
		bytes += uint64(n)
		seq.observe(buf[:n])
	}

	secs := last.Sub(first).Seconds()
	plural := "s"
	if msgs == 1 {
		plural = ""
	}
	fmt.Printf("%s: %d message%s, %d bytes in %.3f s (%s msg/s); %s\n",
		who, msgs, plural, bytes, secs, rate(msgs, secs), &seq)
	switch {
	case recvErr != nil:
		return fail("%v", recvErr)
	case !seq.ok():
		return fail("sequence check failed")
	case expected >= 0 && msgs != uint64(expected):
		return fail("got %d of %d messages", msgs, expected)
	}
	return 0
}
