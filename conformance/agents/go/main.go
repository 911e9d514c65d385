// Command indexbus-conformance-agent is the Go conformance agent: a thin
// user of the Go binding's public package indexbus, speaking the agent
// protocol of conformance/PROTOCOL.md.
//
//	indexbus-conformance-agent <command> --region NAME [options]   (golden: then its op list)
//
// JSON lines on stdout, free text on stderr; exit 0 when the command did
// what was asked, 1 when it failed (after an {"ev":"fail",...} line), 2 on a
// usage error.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

const (
	fullBound       = 20 * time.Second // publish: longest time without progress while FULL
	waitConsumers   = 10 * time.Second // produce --wait-consumers bound
	defaultRecvMs   = 10000            // consume --timeout-ms default
	notReadyTimeout = 50 * time.Millisecond
	errTimeout      = 50 * time.Millisecond
)

var out = bufio.NewWriterSize(os.Stdout, 1<<16)

// ---- output -------------------------------------------------------------------

// kv is one field of a JSON line, in order.
type kv struct {
	k string
	v any
}

// emit writes one JSON object per line, fields in the given order.
func emit(fields ...kv) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			v = []byte("null")
		}
		b.Write(v)
	}
	b.WriteString("}\n")
	out.WriteString(b.String())
}

// emitMsg writes a msg line; hex-encodes without going through reflection.
func emitMsg(msg []byte) {
	out.WriteString(`{"ev":"msg","len":`)
	out.WriteString(strconv.Itoa(len(msg)))
	out.WriteString(`,"hex":"`)
	var tmp [512]byte
	for len(msg) > 0 {
		n := min(len(msg), len(tmp)/2)
		hex.Encode(tmp[:], msg[:n])
		out.Write(tmp[:2*n])
		msg = msg[n:]
	}
	out.WriteString("\"}\n")
}

// statusName recovers the C status name from a binding error.
func statusName(err error) (string, bool) {
	var e *indexbus.Error
	if errors.As(err, &e) {
		return indexbus.StatusName(e.Code), true
	}
	return "", false
}

// fail prints the fail line for a failed operation and returns exit status 1:
// {"ev":"fail","status":NAME,"what":"OP: TEXT",...} (status only for binding errors).
func fail(op string, err error, extra ...kv) int {
	fields := []kv{{"ev", "fail"}}
	if name, ok := statusName(err); ok {
		fields = append(fields, kv{"status", name})
	}
	fields = append(fields, kv{"what", op + ": " + err.Error()})
	fields = append(fields, extra...)
	emit(fields...)
	fmt.Fprintf(os.Stderr, "go agent: %s: %v\n", op, err)
	return 1
}

// failStatus prints a fail line with an explicit status name (none if "").
func failStatus(op, status, msg string, extra ...kv) int {
	fields := []kv{{"ev", "fail"}}
	if status != "" {
		fields = append(fields, kv{"status", status})
	}
	fields = append(fields, kv{"what", op + ": " + msg})
	fields = append(fields, extra...)
	emit(fields...)
	fmt.Fprintf(os.Stderr, "go agent: %s: %s (%s)\n", op, msg, status)
	return 1
}

// ---- options ------------------------------------------------------------------

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// options holds the parsed --key value options of one command or golden op.
type options struct {
	vals  map[string]string
	flags map[string]bool
	rest  []string // the arguments after the options
}

// spec: option name -> takes a value (false: a flag).
var specs = map[string]map[string]bool{
	"create":       {"region": true, "kind": true, "slots": true, "slot-size": true, "queue": true, "consumers": true, "bytes": true, "max-record": true, "cells": true, "max-request": true, "max-reply": true},
	"produce":      {"region": true, "type": true, "producer": true, "count": true, "sizes": true, "zero-copy": false, "batch": true, "wait": false, "wait-consumers": true},
	"route":        {"region": true, "mode": true, "source": true},
	"consume":      {"region": true, "index": true, "borrow": false, "batch": true, "timeout-ms": true, "count": true, "delay-ms": true},
	"stream-write": {"region": true, "writer": true, "bytes": true, "chunk": true, "count": true, "sizes": true, "mode": true, "wait-reader": false, "hold": false},
	"stream-read":  {"region": true, "read-size": true, "timeout-ms": true, "max-bytes": true, "release": false, "hold": false, "hex": false},
	"serve":        {"region": true, "count": true, "zero-copy": false, "timeout-ms": true, "hold": false},
	"request":      {"region": true, "client": true, "count": true, "sizes": true, "mode": true, "timeout-ms": true, "retry-disconnected": false},
	"error":        {"region": true, "case": true},
	"golden":       {"region": true},
	"unlink":       {"region": true},
	// the ops of the golden command's list
	"golden create":   {"kind": true, "slots": true, "slot-size": true, "queue": true, "consumers": true, "bytes": true, "max-record": true, "cells": true, "max-request": true, "max-reply": true},
	"golden writer":   {"name": true},
	"golden reader":   {"name": true},
	"golden write":    {"name": true, "writer": true, "from": true, "bytes": true, "chunk": true, "mode": true},
	"golden read":     {"name": true, "bytes": true, "read-size": true},
	"golden release":  {"name": true},
	"golden client":   {"name": true},
	"golden server":   {"name": true},
	"golden request":  {"name": true, "client": true, "from": true, "count": true, "sizes": true, "zero-copy": false},
	"golden serve":    {"name": true, "count": true, "zero-copy": false, "hold": false},
	"golden reply":    {"name": true, "count": true, "zero-copy": false},
	"golden wait":     {"name": true, "count": true},
	"golden cancel":   {"name": true, "count": true},
	"golden producer": {"name": true, "type": true},
	"golden router":   {"name": true},
	"golden consumer": {"name": true, "index": true},
	"golden publish":  {"name": true, "producer": true, "from": true, "count": true, "sizes": true, "zero-copy": false, "batch": true},
	"golden route":    {"name": true, "count": true, "mode": true, "source": true},
	"golden recv":     {"name": true, "count": true, "borrow": false},
	"golden close":    {"name": true},
}

var required = map[string][]string{
	"create":       {"region", "kind"},
	"produce":      {"region", "type", "producer", "count", "sizes"},
	"route":        {"region", "mode"},
	"consume":      {"region", "index"},
	"stream-write": {"region"},
	"stream-read":  {"region"},
	"serve":        {"region", "count"},
	"request":      {"region", "count", "sizes"},
	"error":        {"region", "case"},
	"golden":       {"region"},
	"unlink":       {"region"},

	"golden create":   {"kind"},
	"golden producer": {"name", "type"},
	"golden router":   {"name"},
	"golden consumer": {"name", "index"},
	"golden publish":  {"name", "producer", "count", "sizes"},
	"golden route":    {"name", "count"},
	"golden recv":     {"name", "count"},
	"golden close":    {"name"},
	"golden writer":   {"name"},
	"golden reader":   {"name"},
	"golden write":    {"name", "bytes"},
	"golden read":     {"name", "bytes"},
	"golden release":  {"name"},
	"golden client":   {"name"},
	"golden server":   {"name"},
	"golden request":  {"name", "count", "sizes"},
	"golden serve":    {"name", "count"},
	"golden reply":    {"name", "count"},
	"golden wait":     {"name", "count"},
	"golden cancel":   {"name", "count"},
}

// parse reads the options of cmd from args up to the first word that is not an
// option; o.rest is what follows.
func parse(cmd string, args []string) (options, error) {
	spec, ok := specs[cmd]
	if !ok {
		return options{}, usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	o := options{vals: map[string]string{}, flags: map[string]bool{}}
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "--"); i++ {
		name := args[i][2:]
		takesValue, known := spec[name]
		if !known {
			return o, usageError{fmt.Sprintf("unknown option --%s for %s", name, cmd)}
		}
		if !takesValue {
			o.flags[name] = true
			continue
		}
		if i+1 >= len(args) {
			return o, usageError{fmt.Sprintf("--%s needs a value", name)}
		}
		i++
		o.vals[name] = args[i]
	}
	o.rest = args[i:]
	for _, r := range required[cmd] {
		if _, ok := o.vals[r]; !ok {
			return o, usageError{fmt.Sprintf("%s needs --%s", cmd, r)}
		}
	}
	return o, nil
}

func (o options) str(name string) string { return o.vals[name] }

// num is a non-negative integer option (def when absent).
func (o options) num(name string, def uint64) (uint64, error) {
	s, ok := o.vals[name]
	if !ok {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, usageError{fmt.Sprintf("--%s: not a number: %q", name, s)}
	}
	return v, nil
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 31)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--sizes: bad size %q", f)}
		}
		sizes = append(sizes, int(v))
	}
	if len(sizes) == 0 {
		return nil, usageError{"--sizes: empty"}
	}
	return sizes, nil
}

// ---- payload rule -------------------------------------------------------------

// fill writes message k of producer p (size len(b)) into b.
func fill(b []byte, p, k uint32) {
	for j := range b {
		switch {
		case j < 4:
			b[j] = byte(p >> (8 * j))
		case j < 8:
			b[j] = byte(k >> (8 * (j - 4)))
		default:
			b[j] = byte((uint64(p)*31 + uint64(k)*17 + uint64(j)*7) % 256)
		}
	}
}

func payload(p, k uint32, size int) []byte {
	b := make([]byte, size)
	fill(b, p, k)
	return b
}

// ---- enums --------------------------------------------------------------------

func producerType(s string) (indexbus.ProducerType, error) {
	switch s {
	case "spsc":
		return indexbus.SPSC, nil
	case "mpsc":
		return indexbus.MPSC, nil
	}
	return 0, usageError{fmt.Sprintf("bad producer type %q", s)}
}

func routeMode(s string) (indexbus.Mode, error) {
	switch s {
	case "", "broadcast":
		return indexbus.Broadcast, nil
	case "work-queue":
		return indexbus.WorkQueue, nil
	}
	return 0, usageError{fmt.Sprintf("bad mode %q", s)}
}

func routeSource(s string) (indexbus.Source, error) {
	switch s {
	case "", "any":
		return indexbus.SourceAny, nil
	case "spsc":
		return indexbus.SourceSPSC, nil
	case "mpsc":
		return indexbus.SourceMPSC, nil
	}
	return 0, usageError{fmt.Sprintf("bad source %q", s)}
}

func regionKind(s string) (indexbus.Kind, error) {
	switch s {
	case "events":
		return indexbus.KindEvents, nil
	case "fanout":
		return indexbus.KindFanout, nil
	case "log":
		return indexbus.KindLog, nil
	case "stream":
		return indexbus.KindStream, nil
	case "rpc":
		return indexbus.KindRPC, nil
	}
	return 0, usageError{fmt.Sprintf("bad kind %q", s)}
}

// osYield gives the CPU to another process (sched_yield), as C agents do.
func osYield() {
	syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
}

// ---- commands -----------------------------------------------------------------

// regionConfig is the region of create's options (and the golden create op's).
func regionConfig(o options) (indexbus.Config, error) {
	kind, err := regionKind(o.str("kind"))
	if err != nil {
		return indexbus.Config{}, err
	}
	// option i belongs to group 0 (slot geometry), 1 (ring) or 2 (request/response)
	group := 0
	switch kind {
	case indexbus.KindLog, indexbus.KindStream:
		group = 1
	case indexbus.KindRPC:
		group = 2
	}
	optGroup := func(i int) int {
		switch {
		case i < 4:
			return 0
		case i < 6:
			return 1
		}
		return 2
	}
	var n [9]uint64
	for i, name := range []string{"slots", "slot-size", "queue", "consumers", "bytes", "max-record",
		"cells", "max-request", "max-reply"} {
		if n[i], err = o.num(name, 0); err != nil {
			return indexbus.Config{}, err
		}
		_, given := o.vals[name]
		if given && group != optGroup(i) {
			return indexbus.Config{}, usageError{fmt.Sprintf("--%s is not for a %s region", name, kind)}
		}
	}
	return indexbus.Config{
		Kind:          kind,
		SlotCount:     uint32(n[0]),
		SlotDataSize:  uint32(n[1]),
		QueueCapacity: uint32(n[2]),
		ConsumerCount: uint32(n[3]),
		ByteCapacity:  n[4],
		MaxRecord:     uint32(n[5]),
		Cells:         uint32(n[6]),
		MaxRequest:    uint32(n[7]),
		MaxReply:      uint32(n[8]),
	}, nil
}

// maxMessage is the largest message a region takes: a slot's data, or a byte
// log's largest record.
func maxMessage(info indexbus.Info) int {
	if info.Kind == indexbus.KindLog {
		return int(info.MaxRecord)
	}
	return int(info.SlotDataSize)
}

// pubMode is how messages are published: produce's flags, or a golden publish op's.
type pubMode struct {
	zeroCopy bool // claim, fill in place, commit (exactly the length on a byte log)
	wait     bool // the blocking publish / claim instead of retrying on ErrFull
	batch    int  // the batch publish, or with zeroCopy the batch claim (byte logs)
	isLog    bool
	retry    bool // ErrFull: yield and try again (fullBound without progress); else fail
}

// publishRange publishes messages k = from..from+count-1 of producer id by the
// payload rule. It returns how many went out, and on failure the operation and
// its error.
func publishRange(prod *indexbus.Producer, id uint32, from, count uint64, sizes []int,
	m pubMode) (uint64, string, error) {
	sizeOf := func(k uint64) int { return sizes[k%uint64(len(sizes))] }
	progress := time.Now()
	// again reports whether to retry after err (ErrFull, within the bound).
	again := func(err error) bool {
		if !m.retry || !errors.Is(err, indexbus.ErrFull) || time.Since(progress) > fullBound {
			return false
		}
		osYield()
		return true
	}
	k, end, n := from, from+count, uint64(m.batch)
	for k < end {
		switch {
		case m.batch > 0 && m.zeroCopy:
			n = min(n, end-k)
			lens := make([]uint32, n)
			for i := range lens {
				lens[i] = uint32(sizeOf(k + uint64(i)))
			}
			b, err := prod.ClaimBatch(lens)
			if err != nil {
				if errors.Is(err, indexbus.ErrTooLarge) && n > 1 {
					n /= 2 // more than half the ring: a smaller batch
					continue
				}
				if again(err) {
					continue
				}
				return k - from, "claim batch", err
			}
			for i, buf := range b.Bufs() {
				fill(buf, id, uint32(k)+uint32(i))
			}
			if err := b.Commit(int(n)); err != nil {
				return k - from, "commit batch", err
			}
			k += n
			n = uint64(m.batch)
			progress = time.Now()
		case m.batch > 0:
			last := min(k+n, end)
			msgs := make([][]byte, 0, last-k)
			for i := k; i < last; i++ {
				msgs = append(msgs, payload(id, uint32(i), sizeOf(i)))
			}
			got, err := prod.PublishBatch(msgs)
			k += uint64(got)
			if got > 0 {
				progress = time.Now()
			}
			if err != nil && !(m.retry && got > 0) && !again(err) {
				return k - from, "publish batch", err
			}
		case m.zeroCopy:
			s := sizeOf(k)
			var buf []byte
			var err error
			switch {
			case m.wait:
				buf, err = prod.ClaimWait(s, fullBound)
			case m.isLog:
				buf, err = prod.ClaimLen(s)
			default:
				buf, err = prod.Claim()
			}
			if err != nil {
				if again(err) {
					continue
				}
				return k - from, "claim", err
			}
			fill(buf[:min(s, len(buf))], id, uint32(k))
			for {
				err = prod.Commit(s)
				if err == nil || !again(err) {
					break
				}
			}
			if err != nil {
				prod.Abort()
				return k - from, "commit", err
			}
			k++
			progress = time.Now()
		default:
			msg := payload(id, uint32(k), sizeOf(k))
			var err error
			if m.wait {
				err = prod.PublishWait(msg, fullBound)
			} else {
				err = prod.Publish(msg)
			}
			if err != nil {
				if again(err) {
					continue
				}
				return k - from, "publish", err
			}
			k++
			progress = time.Now()
		}
	}
	return count, "", nil
}

func cmdCreate(o options) (int, error) {
	cfg, err := regionConfig(o)
	if err != nil {
		return 0, err
	}
	region, err := indexbus.Create(o.str("region"), cfg)
	if err != nil {
		return fail("create", err), nil
	}
	if err := region.Close(); err != nil {
		return fail("region close", err), nil
	}
	emit(kv{"ev", "created"})
	return 0, nil
}

func cmdProduce(o options) (int, error) {
	typ, err := producerType(o.str("type"))
	if err != nil {
		return 0, err
	}
	pid, err := o.num("producer", 0)
	if err != nil {
		return 0, err
	}
	count, err := o.num("count", 0)
	if err != nil {
		return 0, err
	}
	sizes, err := parseSizes(o.str("sizes"))
	if err != nil {
		return 0, err
	}
	batch, err := o.num("batch", 0)
	if err != nil {
		return 0, err
	}
	wait, err := o.num("wait-consumers", 0)
	if err != nil {
		return 0, err
	}
	if _, given := o.vals["batch"]; given && batch == 0 {
		return 0, usageError{"--batch must be at least 1"}
	}
	m := pubMode{zeroCopy: o.flags["zero-copy"], wait: o.flags["wait"], batch: int(batch), retry: !o.flags["wait"]}
	if m.wait && batch > 0 {
		return 0, usageError{"--wait and --batch do not combine"}
	}

	region, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer region.Close()
	info, err := region.Info()
	if err != nil {
		return fail("info", err), nil
	}
	m.isLog = info.Kind == indexbus.KindLog
	if m.zeroCopy && batch > 0 && !m.isLog {
		return 0, usageError{"--zero-copy with --batch (the batch claim) is for byte logs only"}
	}
	for _, s := range sizes {
		if s > maxMessage(info) {
			return 0, usageError{fmt.Sprintf("size %d > the largest message, %d", s, maxMessage(info))}
		}
	}
	prod, err := region.OpenProducer(typ)
	if err != nil {
		return fail("producer open", err), nil
	}
	defer prod.Close()

	if wait > 0 {
		deadline := time.Now().Add(waitConsumers)
		for {
			info, err := region.Info()
			if err != nil {
				return fail("info", err), nil
			}
			if uint64(info.ConsumersLive) >= wait {
				break
			}
			if time.Now().After(deadline) {
				return failStatus("wait consumers", "INDEXBUS_TIMEOUT",
					fmt.Sprintf("%d of %d consumers attached after %v", info.ConsumersLive, wait, waitConsumers)), nil
			}
			time.Sleep(time.Millisecond)
		}
	}

	if k, op, err := publishRange(prod, uint32(pid), 0, count, sizes, m); err != nil {
		if errors.Is(err, indexbus.ErrFull) {
			return failStatus(op, "INDEXBUS_TIMEOUT", fmt.Sprintf("FULL for %v", fullBound), kv{"published", k}), nil
		}
		return fail(op, err, kv{"published", k}), nil
	}
	if err := prod.Close(); err != nil {
		return fail("producer close", err), nil
	}
	emit(kv{"ev", "done"}, kv{"published", count})
	return 0, nil
}

func cmdRoute(o options) (int, error) {
	mode, err := routeMode(o.str("mode"))
	if err != nil {
		return 0, err
	}
	src, err := routeSource(o.str("source"))
	if err != nil {
		return 0, err
	}
	region, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer region.Close()
	router, err := region.OpenRouter()
	if err != nil {
		return fail("router open", err), nil
	}
	defer router.Close()
	routed, err := router.Run(indexbus.RunConfig{Source: src, Mode: mode, ExitOnDisconnect: true})
	if err != nil && !errors.Is(err, indexbus.ErrDisconnected) {
		return fail("router run", err, kv{"routed", routed}), nil
	}
	if err := router.Close(); err != nil {
		return fail("router close", err), nil
	}
	emit(kv{"ev", "done"}, kv{"routed", routed})
	return 0, nil
}

func cmdConsume(o options) (int, error) {
	index, err := o.num("index", 0)
	if err != nil {
		return 0, err
	}
	batch, err := o.num("batch", 0)
	if err != nil {
		return 0, err
	}
	timeoutMs, err := o.num("timeout-ms", defaultRecvMs)
	if err != nil {
		return 0, err
	}
	_, hasCount := o.vals["count"]
	limit, err := o.num("count", 0)
	if err != nil {
		return 0, err
	}
	delayMs, err := o.num("delay-ms", 0)
	if err != nil {
		return 0, err
	}
	borrow := o.flags["borrow"]
	if borrow && batch > 0 {
		return 0, usageError{"--borrow and --batch do not combine"}
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond

	region, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer region.Close()
	info, err := region.Info()
	if err != nil {
		return fail("info", err), nil
	}
	slot := maxMessage(info)
	cons, err := region.OpenConsumer(int(index))
	if err != nil {
		return fail("consumer open", err), nil
	}
	defer cons.Close()
	// attached, reading nothing: producers may fill the region
	time.Sleep(time.Duration(delayMs) * time.Millisecond)

	n := uint64(0)
	end := func(err error) (int, error) {
		if errors.Is(err, indexbus.ErrDisconnected) {
			if err := cons.Close(); err != nil {
				return fail("consumer close", err), nil
			}
			emit(kv{"ev", "end"}, kv{"status", "INDEXBUS_DISCONNECTED"}, kv{"count", n})
			return 0, nil
		}
		op := "recv"
		switch {
		case borrow:
			op = "recv begin"
		case batch > 0:
			op = "recv batch"
		}
		return fail(op, err, kv{"count", n}), nil
	}

	buf := make([]byte, max(slot, 1))
	var bbuf []byte
	var lens []uint32
	if batch > 0 {
		bbuf = make([]byte, int(batch)*slot)
		lens = make([]uint32, batch)
	}
	last := time.Now()
	for !hasCount || n < limit {
		switch {
		case batch > 0:
			m := batch
			if hasCount {
				m = min(m, limit-n)
			}
			got, err := cons.RecvBatch(bbuf, lens[:m])
			if err != nil {
				if errors.Is(err, indexbus.ErrEmpty) {
					if time.Since(last) > timeout {
						return failStatus("recv batch", "INDEXBUS_TIMEOUT",
							fmt.Sprintf("no message in %v", timeout), kv{"count", n}), nil
					}
					osYield()
					continue
				}
				return end(err)
			}
			off := 0
			for _, l := range lens[:got] {
				emitMsg(bbuf[off : off+int(l)])
				off += int(l)
			}
			n += uint64(got)
			last = time.Now()
		case borrow:
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err := cons.Wait(ctx)
			cancel()
			if err != nil {
				return end(err)
			}
			msg, err := cons.RecvBegin()
			if err != nil {
				return end(err)
			}
			emitMsg(msg)
			if err := cons.RecvEnd(); err != nil {
				return fail("recv end", err, kv{"count", n}), nil
			}
			n++
		default:
			got, err := cons.RecvTimeout(buf, timeout)
			if err != nil {
				return end(err)
			}
			emitMsg(buf[:got])
			n++
		}
	}
	if err := cons.Close(); err != nil {
		return fail("consumer close", err), nil
	}
	emit(kv{"ev", "end"}, kv{"status", "INDEXBUS_OK"}, kv{"count", n})
	return 0, nil
}

// ---- byte streams and request/response ------------------------------------------

const (
	retryBound = 20 * time.Second  // stream writes and reads, requests: waits and retry bounds
	holdBound  = 120 * time.Second // --hold: sleep until killed, at most this long
	fnvBasis   = 0xcbf29ce484222325
	fnvPrime   = 0x100000001b3
)

// streamFill writes bytes from..from+len(b)-1 of writer w's stream (the stream rule).
func streamFill(b []byte, w uint32, from uint64) {
	for j := range b {
		x := uint32(from+uint64(j))*2654435761 + w*40503
		b[j] = byte((x >> 24) ^ (x >> 8))
	}
}

func streamBytes(w uint32, from uint64, n int) []byte {
	b := make([]byte, n)
	streamFill(b, w, from)
	return b
}

func fnv(h uint64, data []byte) uint64 {
	for _, b := range data {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// replyFill writes the reply to req (the reply rule) into out, len(req)+4 bytes.
func replyFill(out, req []byte) {
	n := len(req)
	out[0], out[1], out[2], out[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	for j := 0; j < n; j++ {
		out[4+j] = req[n-1-j] ^ 0x5a
	}
}

func replyFor(req []byte) []byte {
	out := make([]byte, len(req)+4)
	replyFill(out, req)
	return out
}

// hold keeps every handle open and sleeps until the runner kills us; after
// holdBound it exits 1 without closing anything.
func hold() {
	out.Flush()
	time.Sleep(holdBound)
	failStatus("hold", "INDEXBUS_TIMEOUT", "held for 120 s and nobody killed us")
	out.Flush()
	os.Exit(1)
}

func someMode(o options) (bool, error) {
	switch o.str("mode") {
	case "", "all":
		return false, nil
	case "some":
		return true, nil
	}
	return false, usageError{fmt.Sprintf("bad --mode %q (all or some)", o.str("mode"))}
}

// streamPut writes one call's bytes: the waiting write-all (timeout), or with some
// writes that take what fits, again for the rest (yielding while nothing fits:
// retryBound without progress, or failing at once unless retry).
func streamPut(w *indexbus.StreamWriter, data []byte, some bool, at uint64,
	timeout time.Duration, retry bool) (string, error) {
	if !some {
		n, err := w.WriteTimeout(data, timeout)
		if err != nil {
			return fmt.Sprintf("write_all of %d bytes at byte %d (%d written)", len(data), at, n), err
		}
		return "", nil
	}
	progress := time.Now()
	for done := 0; done < len(data); {
		n, err := w.TryWrite(data[done:])
		what := fmt.Sprintf("write at byte %d", at+uint64(done))
		switch {
		case err == nil:
			done += n
			progress = time.Now()
		case !errors.Is(err, indexbus.ErrFull) || !retry:
			return what, err
		case time.Since(progress) > retryBound:
			return what + ": FULL for 20 s", &indexbus.Error{Code: indexbus.StatusTimeout}
		default:
			osYield()
		}
	}
	return "", nil
}

func cmdStreamWrite(o options) (int, error) {
	w64, err := o.num("writer", 0)
	if err != nil {
		return 0, err
	}
	w := uint32(w64)
	some, err := someMode(o)
	if err != nil {
		return 0, err
	}
	_, byBytes := o.vals["bytes"]
	_, hasCount := o.vals["count"]
	_, hasSizes := o.vals["sizes"]
	if byBytes == (hasCount || hasSizes) {
		return 0, usageError{"stream-write: either --bytes or --count and --sizes"}
	}
	if !byBytes && !(hasCount && hasSizes) {
		return 0, usageError{"stream-write: --count and --sizes go together"}
	}
	if _, ok := o.vals["chunk"]; ok && !byBytes {
		return 0, usageError{"stream-write: --chunk is for --bytes"}
	}
	var n [3]uint64
	for i, f := range []string{"bytes", "chunk", "count"} {
		def := uint64(0)
		if f == "chunk" {
			def = 4096
		}
		if n[i], err = o.num(f, def); err != nil {
			return 0, err
		}
	}
	total, chunk, count := n[0], n[1], n[2]
	var sizes []int
	if !byBytes {
		if sizes, err = parseSizes(o.str("sizes")); err != nil {
			return 0, err
		}
	}
	if chunk == 0 {
		return 0, usageError{"stream-write: --chunk must be at least 1"}
	}
	r, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return fail("info", err), nil
	}
	for _, s := range sizes {
		if s > int(info.MaxRecord) {
			return 0, usageError{fmt.Sprintf("stream-write: size %d > max_record %d", s, info.MaxRecord)}
		}
	}
	wr, err := r.OpenStreamWriter()
	if err != nil {
		return fail("stream writer open", err), nil
	}
	if o.flags["wait-reader"] {
		start := time.Now()
		for {
			info, err := r.Info()
			if err != nil {
				return fail("info", err), nil
			}
			if info.ConsumersLive >= 1 {
				break
			}
			if time.Since(start) > waitConsumers {
				return failStatus("wait reader", "INDEXBUS_TIMEOUT", "no reader after 10 s"), nil
			}
			time.Sleep(time.Millisecond)
		}
	}
	written := uint64(0)
	if byBytes {
		for written < total {
			k := min(chunk, total-written)
			if what, err := streamPut(wr, streamBytes(w, written, int(k)), some, written, retryBound, true); err != nil {
				return fail(what, err), nil
			}
			written += k
		}
	} else {
		for k := uint64(0); k < count; k++ {
			msg := payload(w, uint32(k), sizes[k%uint64(len(sizes))])
			if what, err := streamPut(wr, msg, some, written, retryBound, true); err != nil {
				return fail(what, err), nil
			}
			written += uint64(len(msg))
		}
	}
	if o.flags["hold"] {
		emit(kv{"ev", "holding"}, kv{"written", written})
		hold()
	}
	if err := wr.Close(); err != nil {
		return fail("stream writer close", err), nil
	}
	emit(kv{"ev", "done"}, kv{"written", written})
	return 0, nil
}

func cmdStreamRead(o options) (int, error) {
	var v [3]uint64
	var err error
	for i, f := range []string{"read-size", "timeout-ms", "max-bytes"} {
		def := map[string]uint64{"read-size": 65536, "timeout-ms": 20000}[f]
		if v[i], err = o.num(f, def); err != nil {
			return 0, err
		}
	}
	rsize, timeout, most := int(v[0]), time.Duration(v[1])*time.Millisecond, v[2]
	_, limited := o.vals["max-bytes"]
	if rsize == 0 {
		return 0, usageError{"stream-read: --read-size must be at least 1"}
	}
	if o.flags["release"] && o.flags["hold"] {
		return 0, usageError{"stream-read: --release and --hold exclude each other"}
	}
	r, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer r.Close()
	rd, err := r.OpenStreamReader()
	if err != nil {
		return fail("stream reader open", err), nil
	}
	buf := make([]byte, rsize)
	total, h, end := uint64(0), uint64(fnvBasis), "INDEXBUS_OK"
	for !limited || total < most {
		cp := rsize
		if limited {
			cp = int(min(uint64(rsize), most-total))
		}
		n, err := rd.ReadTimeout(buf[:cp], timeout)
		if err == io.EOF {
			end = indexbus.StatusName(indexbus.StatusDisconnected) // end of stream
			break
		}
		if err != nil {
			return fail("read", err, kv{"bytes", total}), nil
		}
		if o.flags["hex"] {
			emit(kv{"ev", "data"}, kv{"hex", hex.EncodeToString(buf[:n])})
		}
		h = fnv(h, buf[:n])
		total += uint64(n)
	}
	st, err := r.StreamState()
	if err != nil {
		return fail("stream state", err), nil
	}
	emit(kv{"ev", "end"}, kv{"status", end}, kv{"bytes", total}, kv{"fnv", fmt.Sprintf("%016x", h)},
		kv{"ended", st.Ended()}, kv{"reader_gone", st.ReaderGone()}, kv{"aborted", st.Aborted()},
		kv{"writers_aborted", st.WritersAborted})
	if o.flags["hold"] {
		emit(kv{"ev", "holding"})
		hold()
	}
	if o.flags["release"] {
		err = rd.Release()
	} else {
		err = rd.Close()
	}
	if err != nil {
		return fail("give up the read end", err), nil
	}
	return 0, nil
}

// answer replies to a served request by the reply rule: copied in, or built in place.
func answer(q *indexbus.Request, zeroCopy bool) error {
	if !zeroCopy {
		return q.Reply(replyFor(q.Data))
	}
	buf, err := q.ReplyBuffer()
	if err != nil {
		return err
	}
	n := len(q.Data) + 4
	if len(buf) < n {
		return &indexbus.Error{Code: indexbus.StatusTooLarge}
	}
	replyFill(buf[:n], q.Data)
	return q.Commit(n)
}

func cmdServe(o options) (int, error) {
	count, err := o.num("count", 0)
	if err != nil {
		return 0, err
	}
	ms, err := o.num("timeout-ms", 20000)
	if err != nil {
		return 0, err
	}
	r, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer r.Close()
	sv, err := r.OpenRPCServer()
	if err != nil {
		return fail("server open", err), nil
	}
	for k := uint64(0); k < count; k++ {
		q, err := sv.ServeTimeout(time.Duration(ms) * time.Millisecond)
		if err != nil {
			return fail(fmt.Sprintf("serve request %d", k), err), nil
		}
		if o.flags["hold"] {
			continue // held unanswered
		}
		if err := answer(q, o.flags["zero-copy"]); err != nil {
			return fail(fmt.Sprintf("reply %d", k), err), nil
		}
	}
	if o.flags["hold"] {
		emit(kv{"ev", "holding"}, kv{"count", count})
		hold()
	}
	if err := sv.Close(); err != nil {
		return fail("server close", err), nil
	}
	emit(kv{"ev", "done"}, kv{"served", count})
	return 0, nil
}

// roundTrip is one request in the chosen mode: a copy of its reply.
func roundTrip(c *indexbus.RPCClient, mode string, req []byte, timeout time.Duration) ([]byte, string, error) {
	if mode == "call" {
		reply, err := c.CallTimeout(req, timeout)
		return reply, "call", err
	}
	var t indexbus.Token
	var err error
	if mode == "zero-copy" {
		buf, err := c.Claim(len(req))
		if err != nil {
			return nil, "claim", err
		}
		copy(buf, req) // the request is written in place
		if t, err = c.Send(len(req)); err != nil {
			return nil, "send", err
		}
	} else if t, err = c.Request(req); err != nil {
		return nil, "request", err
	}
	reply, err := c.WaitTimeout(t, timeout)
	if err != nil {
		return nil, "wait", err
	}
	got := append([]byte{}, reply...)
	if err := c.ReplyDone(t); err != nil {
		return nil, "reply done", err
	}
	return got, "", nil
}

func cmdRequest(o options) (int, error) {
	var v [3]uint64
	var err error
	for i, f := range []string{"client", "count", "timeout-ms"} {
		def := map[string]uint64{"timeout-ms": 20000}[f]
		if v[i], err = o.num(f, def); err != nil {
			return 0, err
		}
	}
	p, count, timeout := uint32(v[0]), v[1], time.Duration(v[2])*time.Millisecond
	sizes, err := parseSizes(o.str("sizes"))
	if err != nil {
		return 0, err
	}
	mode := o.str("mode")
	switch mode {
	case "":
		mode = "wait"
	case "call", "wait", "zero-copy":
	default:
		return 0, usageError{fmt.Sprintf("bad --mode %q (call, wait or zero-copy)", mode)}
	}
	r, err := indexbus.Open(o.str("region"))
	if err != nil {
		return fail("open", err), nil
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return fail("info", err), nil
	}
	for _, s := range sizes {
		if s > int(info.MaxRequest) {
			return 0, usageError{fmt.Sprintf("request: size %d > max_request %d", s, info.MaxRequest)}
		}
	}
	c, err := r.OpenRPCClient()
	if err != nil {
		return fail("client open", err), nil
	}
	h, replyBytes := uint64(fnvBasis), uint64(0)
	for k := uint64(0); k < count; k++ {
		req := payload(p, uint32(k), sizes[k%uint64(len(sizes))])
		told := false
		var since time.Time
		var got []byte
		for {
			reply, what, err := roundTrip(c, mode, req, timeout)
			if err == nil {
				got = reply
				break
			}
			if !errors.Is(err, indexbus.ErrDisconnected) || !o.flags["retry-disconnected"] {
				return fail(fmt.Sprintf("%s %d", what, k), err), nil
			}
			if !told {
				emit(kv{"ev", "disconnected"}, kv{"k", k})
				out.Flush()
				told = true
				since = time.Now()
			}
			if time.Since(since) > retryBound {
				return failStatus(fmt.Sprintf("request %d", k), "INDEXBUS_DISCONNECTED",
					"DISCONNECTED for 20 s"), nil
			}
			time.Sleep(time.Millisecond)
		}
		want := replyFor(req)
		if len(got) != len(want) {
			return failStatus("check", "INDEXBUS_CORRUPT",
				fmt.Sprintf("reply %d: %d bytes, want %d", k, len(got), len(want))), nil
		}
		for j := range want {
			if got[j] != want[j] {
				return failStatus("check", "INDEXBUS_CORRUPT",
					fmt.Sprintf("reply %d differs at byte %d: %#02x, want %#02x", k, j, got[j], want[j])), nil
			}
		}
		h = fnv(h, got)
		replyBytes += uint64(len(got))
	}
	if err := c.Close(); err != nil {
		return fail("client close", err), nil
	}
	emit(kv{"ev", "done"}, kv{"requests", count}, kv{"reply_bytes", replyBytes},
		kv{"fnv", fmt.Sprintf("%016x", h)})
	return 0, nil
}

func cmdError(o options) (int, error) {
	name := o.str("region")
	c := o.str("case")
	var err error
	switch c {
	case "too_large":
		err = errTooLarge(name)
	case "buffer_too_small":
		err = errBufferTooSmall(name)
	case "wrong_kind":
		err = withRegion(name, func(r *indexbus.Region) error {
			router, err := r.OpenRouter()
			if err == nil {
				router.Close()
			}
			return err
		})
	case "newer_major":
		err = openClose(name)
	case "not_ready":
		err = openClose(name, indexbus.WithReadyTimeout(notReadyTimeout))
	case "timeout":
		err = withRegion(name, func(r *indexbus.Region) error {
			cons, err := r.OpenConsumer(0)
			if err != nil {
				return setup{"consumer open", err}
			}
			defer cons.Close()
			_, err = cons.RecvTimeout(make([]byte, 256), errTimeout)
			return err
		})
	case "log_too_large":
		err = errTooLarge(name)
	case "log_claim_too_large", "log_busy", "log_wait_timeout":
		err = withProducer(name, func(r *indexbus.Region, p *indexbus.Producer) error {
			switch c {
			case "log_claim_too_large":
				_, err := p.ClaimLen(65)
				return err
			case "log_busy":
				p2, err := r.OpenProducer(indexbus.MPSC)
				if err == nil {
					p2.Close()
				}
				return err
			}
			msg := payload(0, 0, 56)
			for i := 0; ; i++ {
				err := p.Publish(msg)
				if errors.Is(err, indexbus.ErrFull) {
					break
				}
				if err != nil {
					return setup{"filling the byte log", err}
				}
				if i > 1000000 {
					return setup{"filling the byte log", errors.New("it never filled")}
				}
			}
			return p.PublishWait(msg, errTimeout)
		})
	case "stream_reader_busy", "stream_reader_gone", "stream_ended", "stream_read_timeout",
		"stream_write_timeout", "rpc_wrong_kind", "rpc_too_large", "rpc_second_reply",
		"rpc_wait_timeout", "rpc_no_server":
		err = withRegion(name, func(r *indexbus.Region) error { return newKindCase(r, c) })
	default:
		return 0, usageError{fmt.Sprintf("unknown error case %q", c)}
	}
	var s setup
	if errors.As(err, &s) {
		return fail(s.op, s.err), nil
	}
	status := "INDEXBUS_OK"
	if err != nil {
		var ok bool
		if status, ok = statusName(err); !ok {
			return fail(c, err), nil
		}
	}
	emit(kv{"ev", "error"}, kv{"case", c}, kv{"status", status})
	return 0, nil
}

// newKindCase runs one error case on a byte stream or request/response region.
func newKindCase(r *indexbus.Region, c string) error {
	switch c {
	case "stream_reader_busy":
		first, err := r.OpenStreamReader()
		if err != nil {
			return setup{"reader open", err}
		}
		defer first.Release() // hand over: leaves no READER_GONE behind
		second, err := r.OpenStreamReader()
		if err == nil {
			second.Release()
		}
		return err
	case "stream_reader_gone":
		w, err := r.OpenStreamWriter()
		if err != nil {
			return setup{"writer open", err}
		}
		defer w.Close()
		rd, err := r.OpenStreamReader()
		if err != nil {
			return setup{"reader open", err}
		}
		if err := rd.Close(); err != nil {
			return setup{"reader close", err}
		}
		_, err = w.TryWrite(streamBytes(0, 0, 1))
		return err
	case "stream_ended":
		w, err := r.OpenStreamWriter()
		if err != nil {
			return setup{"writer open", err}
		}
		if err := w.Close(); err != nil {
			return setup{"writer close", err}
		}
		w2, err := r.OpenStreamWriter()
		if err == nil {
			w2.Close()
		}
		return err
	case "stream_read_timeout":
		w, err := r.OpenStreamWriter()
		if err != nil {
			return setup{"writer open", err}
		}
		defer w.Close()
		rd, err := r.OpenStreamReader()
		if err != nil {
			return setup{"reader open", err}
		}
		defer rd.Close()
		_, err = rd.ReadTimeout(make([]byte, 1024), errTimeout)
		return err
	case "stream_write_timeout":
		w, err := r.OpenStreamWriter()
		if err != nil {
			return setup{"writer open", err}
		}
		defer w.Close()
		for at := uint64(0); at < 1000000; at += 1000 {
			n, err := w.WriteTimeout(streamBytes(0, at, 1000), errTimeout)
			if err != nil {
				if n != 0 { // at most max_record: all of it or none
					return setup{"write_all", fmt.Errorf("half-written: %d of 1000", n)}
				}
				return err
			}
		}
		return setup{"write_all", errors.New("the stream never filled")}
	case "rpc_wrong_kind":
		cl, err := r.OpenRPCClient()
		if err == nil {
			cl.Close()
		}
		return err
	}
	// request/response: a client, and for some cases a server
	cl, err := r.OpenRPCClient()
	if err != nil {
		return setup{"client open", err}
	}
	defer cl.Close()
	switch c {
	case "rpc_too_large":
		_, err = cl.Request(payload(0, 0, 65))
		return err
	case "rpc_second_reply":
		sv, err := r.OpenRPCServer()
		if err != nil {
			return setup{"server open", err}
		}
		defer sv.Close()
		if _, err := cl.Request(payload(0, 0, 8)); err != nil {
			return setup{"request", err}
		}
		q, err := sv.ServeTimeout(time.Second)
		if err != nil {
			return setup{"serve", err}
		}
		reply := replyFor(q.Data)
		if err := q.Reply(reply); err != nil {
			return setup{"first reply", err}
		}
		return sv.Reply(q.Token, reply)
	case "rpc_wait_timeout":
		t, err := cl.Request(payload(0, 0, 8))
		if err != nil {
			return setup{"request", err}
		}
		_, err = cl.WaitTimeout(t, errTimeout)
		return err
	default: // rpc_no_server
		sv, err := r.OpenRPCServer()
		if err != nil {
			return setup{"server open", err}
		}
		if err := sv.Close(); err != nil {
			return setup{"server close", err}
		}
		_, err = cl.Request(payload(0, 0, 8))
		return err
	}
}

// setup is a failure before the call under test: the case could not run.
type setup struct {
	op  string
	err error
}

func (s setup) Error() string { return s.op + ": " + s.err.Error() }

func withRegion(name string, f func(*indexbus.Region) error) error {
	r, err := indexbus.Open(name)
	if err != nil {
		return setup{"open", err}
	}
	defer r.Close()
	return f(r)
}

func openClose(name string, opts ...indexbus.OpenOption) error {
	r, err := indexbus.Open(name, opts...)
	if err == nil {
		r.Close()
	}
	return err
}

// withProducer runs f with an SPSC producer on region name.
func withProducer(name string, f func(*indexbus.Region, *indexbus.Producer) error) error {
	return withRegion(name, func(r *indexbus.Region) error {
		p, err := r.OpenProducer(indexbus.SPSC)
		if err != nil {
			return setup{"producer open", err}
		}
		defer p.Close()
		return f(r, p)
	})
}

func errTooLarge(name string) error {
	return withRegion(name, func(r *indexbus.Region) error {
		p, err := r.OpenProducer(indexbus.SPSC)
		if err != nil {
			return setup{"producer open", err}
		}
		defer p.Close()
		return p.Publish(payload(0, 0, 65))
	})
}

func errBufferTooSmall(name string) error {
	return withRegion(name, func(r *indexbus.Region) error {
		cons, err := r.OpenConsumer(0)
		if err != nil {
			return setup{"consumer open", err}
		}
		defer cons.Close()
		p, err := r.OpenProducer(indexbus.SPSC)
		if err != nil {
			return setup{"producer open", err}
		}
		defer p.Close()
		if err := p.Publish(payload(0, 0, 10)); err != nil {
			return setup{"publish", err}
		}
		_, err = cons.RecvTimeout(make([]byte, 4), time.Second)
		return err
	})
}

func cmdUnlink(o options) (int, error) {
	if err := indexbus.Unlink(o.str("region")); err != nil {
		return fail("unlink", err), nil
	}
	emit(kv{"ev", "unlinked"})
	return 0, nil
}

// ---- golden -------------------------------------------------------------------

type closer interface{ Close() error }

// cmdGolden runs the op list o.rest: each op a word and its options (PROTOCOL.md).
func cmdGolden(o options) (int, error) {
	path := o.str("region")
	var region *indexbus.Region
	handles := map[string]closer{}
	var order []string // open handles, in opening order
	closeAll := func() {
		for i := len(order) - 1; i >= 0; i-- {
			handles[order[i]].Close()
		}
		order = nil
		if region != nil {
			region.Close()
			region = nil
		}
	}
	defer closeAll()
	slot, isLog := 0, false
	tokens := map[string][]indexbus.Token{} // a client's outstanding requests, oldest first
	type heldReq struct {
		t     indexbus.Token
		reply []byte
	}
	held := map[string][]heldReq{} // a server's held requests, oldest first
	forget := func(name string) {
		delete(handles, name)
		for j, n := range order {
			if n == name {
				order = append(order[:j], order[j+1:]...)
				break
			}
		}
	}
	for i, args := 0, o.rest; len(args) > 0; i++ {
		kind := args[0]
		if _, ok := specs["golden "+kind]; !ok {
			return 0, usageError{fmt.Sprintf("golden: unknown op %q", kind)}
		}
		op, err := parse("golden "+kind, args[1:])
		if err != nil {
			return 0, err
		}
		args = op.rest
		where, name := fmt.Sprintf("op %d (%s)", i, kind), op.str("name")
		var v [4]uint64 // the numbers an op may have (0 when absent)
		for j, f := range []string{"index", "producer", "from", "count"} {
			if v[j], err = op.num(f, 0); err != nil {
				return 0, err
			}
		}
		index, id, from, count := int(v[0]), uint32(v[1]), uint32(v[2]), int(v[3])
		switch kind {
		case "create":
			cfg, err := regionConfig(op)
			if err != nil {
				return 0, err
			}
			if region, err = indexbus.Create(path, cfg); err != nil {
				return fail(where, err), nil
			}
			info, err := region.Info()
			if err != nil {
				return fail(where, err), nil
			}
			slot, isLog = maxMessage(info), info.Kind == indexbus.KindLog
		case "producer", "router", "consumer":
			if region == nil {
				return failStatus(where, "", "no region"), nil
			}
			if _, dup := handles[name]; dup {
				return failStatus(where, "", "handle name in use: "+name), nil
			}
			var h closer
			switch kind {
			case "producer":
				typ, err := producerType(op.str("type"))
				if err != nil {
					return 0, err
				}
				if h, err = region.OpenProducer(typ); err != nil {
					return fail(where, err), nil
				}
			case "router":
				if h, err = region.OpenRouter(); err != nil {
					return fail(where, err), nil
				}
			case "consumer":
				if h, err = region.OpenConsumer(index); err != nil {
					return fail(where, err), nil
				}
			}
			handles[name] = h
			order = append(order, name)
		case "publish":
			sizes, err := parseSizes(op.str("sizes"))
			if err != nil {
				return 0, err
			}
			p, ok := handles[name].(*indexbus.Producer)
			if !ok {
				return failStatus(where, "", "no producer "+name), nil
			}
			batch, err := op.num("batch", 0)
			if err != nil {
				return 0, err
			}
			if _, given := op.vals["batch"]; given && batch == 0 {
				return 0, usageError{"--batch must be at least 1"}
			}
			m := pubMode{zeroCopy: op.flags["zero-copy"], batch: int(batch), isLog: isLog}
			if m.zeroCopy && batch > 0 && !isLog {
				return 0, usageError{"golden: --zero-copy with --batch is for byte logs only"}
			}
			if _, what, err := publishRange(p, id, uint64(from), uint64(count), sizes, m); err != nil {
				return fail(where+" "+what, err), nil
			}
		case "route":
			r, ok := handles[name].(*indexbus.Router)
			if !ok {
				return failStatus(where, "", "no router "+name), nil
			}
			mode, err := routeMode(op.str("mode"))
			if err != nil {
				return 0, err
			}
			src, err := routeSource(op.str("source"))
			if err != nil {
				return 0, err
			}
			for c := 0; c < count; c++ {
				if err := r.RouteOnce(src, mode); err != nil {
					return fail(where, err), nil
				}
			}
		case "recv":
			cons, ok := handles[name].(*indexbus.Consumer)
			if !ok {
				return failStatus(where, "", "no consumer "+name), nil
			}
			buf := make([]byte, max(slot, 1))
			for c := 0; c < count; c++ {
				if op.flags["borrow"] {
					if _, err := cons.RecvBegin(); err != nil {
						return fail(where, err), nil
					}
					if err := cons.RecvEnd(); err != nil {
						return fail(where, err), nil
					}
				} else if _, err := cons.TryRecv(buf); err != nil {
					return fail(where, err), nil
				}
			}
		case "writer", "reader", "client", "server":
			if region == nil {
				return failStatus(where, "", "no region"), nil
			}
			if _, dup := handles[name]; dup {
				return failStatus(where, "", "handle name in use: "+name), nil
			}
			var h closer
			switch kind {
			case "writer":
				h, err = region.OpenStreamWriter()
			case "reader":
				h, err = region.OpenStreamReader()
			case "client":
				h, err = region.OpenRPCClient()
			default:
				h, err = region.OpenRPCServer()
			}
			if err != nil {
				return fail(where, err), nil
			}
			handles[name] = h
			order = append(order, name)
		case "write":
			w, ok := handles[name].(*indexbus.StreamWriter)
			if !ok {
				return failStatus(where, "", "no writer "+name), nil
			}
			var n [3]uint64
			for j, f := range []string{"writer", "bytes", "chunk"} {
				if n[j], err = op.num(f, 0); err != nil {
					return 0, err
				}
			}
			wid, at, end, chunk := uint32(n[0]), uint64(from), uint64(from)+n[1], n[2]
			if _, given := op.vals["chunk"]; !given {
				chunk = max(n[1], 1)
			}
			some, err := someMode(op)
			if err != nil {
				return 0, err
			}
			if chunk == 0 {
				return 0, usageError{"golden: --chunk must be at least 1"}
			}
			for at < end {
				k := min(chunk, end-at)
				if what, err := streamPut(w, streamBytes(wid, at, int(k)), some, at, 0, false); err != nil {
					return fail(where+" "+what, err), nil
				}
				at += k
			}
		case "read":
			rd, ok := handles[name].(*indexbus.StreamReader)
			if !ok {
				return failStatus(where, "", "no reader "+name), nil
			}
			n, err := op.num("bytes", 0)
			if err != nil {
				return 0, err
			}
			rs, err := op.num("read-size", 65536)
			if err != nil {
				return 0, err
			}
			if rs == 0 {
				return 0, usageError{"golden: --read-size must be at least 1"}
			}
			buf := make([]byte, rs)
			for got := uint64(0); got < n; {
				k, err := rd.TryRead(buf[:min(rs, n-got)])
				if err == io.EOF {
					err = &indexbus.Error{Code: indexbus.StatusDisconnected}
				}
				if err != nil {
					return fail(where, err), nil
				}
				got += uint64(k)
			}
		case "release":
			rd, ok := handles[name].(*indexbus.StreamReader)
			if !ok {
				return failStatus(where, "", "no reader "+name), nil
			}
			forget(name)
			if err := rd.Release(); err != nil {
				return fail(where, err), nil
			}
		case "request":
			cl, ok := handles[name].(*indexbus.RPCClient)
			if !ok {
				return failStatus(where, "", "no client "+name), nil
			}
			sizes, err := parseSizes(op.str("sizes"))
			if err != nil {
				return 0, err
			}
			cid, err := op.num("client", 0)
			if err != nil {
				return 0, err
			}
			for k := from; k < from+uint32(count); k++ {
				size := sizes[int(k)%len(sizes)]
				var t indexbus.Token
				if op.flags["zero-copy"] {
					buf, err := cl.Claim(size)
					if err != nil {
						return fail(where, err), nil
					}
					fill(buf, uint32(cid), k) // written in place
					t, err = cl.Send(size)
					if err != nil {
						return fail(where, err), nil
					}
				} else if t, err = cl.Request(payload(uint32(cid), k, size)); err != nil {
					return fail(where, err), nil
				}
				tokens[name] = append(tokens[name], t)
			}
		case "serve", "reply":
			sv, ok := handles[name].(*indexbus.RPCServer)
			if !ok {
				return failStatus(where, "", "no server "+name), nil
			}
			for c := 0; c < count; c++ {
				if kind == "reply" {
					if len(held[name]) == 0 {
						return failStatus(where, "", "no held request"), nil
					}
					h := held[name][0]
					held[name] = held[name][1:]
					if op.flags["zero-copy"] {
						buf, err := sv.ReplyBuffer(h.t)
						if err == nil {
							copy(buf, h.reply)
							err = sv.ReplyCommit(h.t, len(h.reply))
						}
						if err != nil {
							return fail(where, err), nil
						}
					} else if err := sv.Reply(h.t, h.reply); err != nil {
						return fail(where, err), nil
					}
					continue
				}
				q, err := sv.TryServe()
				if err != nil {
					return fail(where, err), nil
				}
				if op.flags["hold"] {
					held[name] = append(held[name], heldReq{q.Token, replyFor(q.Data)})
				} else if err := answer(q, op.flags["zero-copy"]); err != nil {
					return fail(where, err), nil
				}
			}
		case "wait", "cancel":
			cl, ok := handles[name].(*indexbus.RPCClient)
			if !ok {
				return failStatus(where, "", "no client "+name), nil
			}
			for c := 0; c < count; c++ {
				if len(tokens[name]) == 0 {
					return failStatus(where, "", "no outstanding request"), nil
				}
				t := tokens[name][0]
				tokens[name] = tokens[name][1:]
				if kind == "cancel" {
					err = cl.Cancel(t)
				} else if _, err = cl.WaitTimeout(t, 0); err == nil {
					err = cl.ReplyDone(t)
				}
				if err != nil {
					return fail(where, err), nil
				}
			}
		case "close":
			h, ok := handles[name]
			if !ok {
				return failStatus(where, "", "no open handle "+name), nil
			}
			forget(name)
			if err := h.Close(); err != nil {
				return fail(where, err), nil
			}
		}
	}
	closeAll()
	emit(kv{"ev", "done"})
	return 0, nil
}

// ---- main ---------------------------------------------------------------------

const usage = `usage: indexbus-conformance-agent <command> --region NAME [options]
commands: create produce route consume stream-write stream-read serve request error golden
unlink (see conformance/PROTOCOL.md)`

func main() {
	code := run(os.Args[1:])
	out.Flush()
	os.Exit(code)
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	cmd := args[0]
	o, err := parse(cmd, args[1:])
	if err == nil && cmd != "golden" && len(o.rest) > 0 {
		err = usageError{fmt.Sprintf("unexpected argument %q", o.rest[0])}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "go agent: %v\n%s\n", err, usage)
		return 2
	}
	commands := map[string]func(options) (int, error){
		"create":       cmdCreate,
		"produce":      cmdProduce,
		"route":        cmdRoute,
		"consume":      cmdConsume,
		"stream-write": cmdStreamWrite,
		"stream-read":  cmdStreamRead,
		"serve":        cmdServe,
		"request":      cmdRequest,
		"error":        cmdError,
		"golden":       cmdGolden,
		"unlink":       cmdUnlink,
	}
	code, err := commands[cmd](o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go agent: %v\n%s\n", err, usage)
		return 2
	}
	return code
}
