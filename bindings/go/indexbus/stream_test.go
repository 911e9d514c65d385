package indexbus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Byte streams (KindStream): io.Writer / io.Reader / io.Closer ends with
// back-pressure, end of stream as io.EOF, reader-gone as ErrDisconnected,
// several writers, the read end handed over; the tests of seed 003.

const (
	streamRing  = 4096
	streamChunk = streamRing/2 - 8 // the default max record of a 4 KiB ring: two fill it
)

func newStream(t testing.TB, cfg Config) *Region {
	t.Helper()
	cfg.Kind = KindStream
	if cfg.ByteCapacity == 0 {
		cfg.ByteCapacity = streamRing
	}
	return newRegion(t, cfg)
}

func openWriter(t testing.TB, r *Region) *StreamWriter {
	t.Helper()
	w, err := r.OpenStreamWriter()
	must(t, "OpenStreamWriter", err)
	t.Cleanup(func() { _ = w.Close() })
	must(t, "SetWriteDeadline", w.SetWriteDeadline(time.Now().Add(hangGuard))) // fail, not hang
	return w
}

func openReader(t testing.TB, r *Region) *StreamReader {
	t.Helper()
	rd, err := r.OpenStreamReader()
	must(t, "OpenStreamReader", err)
	t.Cleanup(func() { _ = rd.Close() })
	must(t, "SetReadDeadline", rd.SetReadDeadline(time.Now().Add(hangGuard))) // fail, not hang
	return rd
}

func streamState(t testing.TB, r *Region) StreamState {
	t.Helper()
	s, err := r.StreamState()
	must(t, "StreamState", err)
	return s
}

// readN reads exactly n bytes (each Read within a second).
func readN(t testing.TB, rd *StreamReader, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	for got := 0; got < n; {
		k, err := rd.ReadTimeout(buf[got:], time.Second)
		must(t, "ReadTimeout", err)
		got += k
	}
	return buf
}

func TestStreamCreateInfo(t *testing.T) {
	r := newStream(t, Config{ByteCapacity: 8192, MaxRecord: 1000})
	info, err := r.Info()
	must(t, "Info", err)
	if info.Kind != KindStream || info.Kind.String() != "stream" || info.LayoutMinor != 1 {
		t.Fatalf("kind/layout: %+v", info)
	}
	if info.Capabilities&CapStream == 0 || info.Capabilities&CapByteStream == 0 || info.Capabilities&CapRPC != 0 {
		t.Fatalf("capabilities %#x", info.Capabilities)
	}
	if info.ByteCapacity != 8192 || info.MaxRecord != 1000 || info.StreamFlags != 0 || info.StreamWriters != 0 {
		t.Fatalf("stream info: %+v", info)
	}
	if s := streamState(t, r); s != (StreamState{}) || s.Flags.String() != "none" {
		t.Fatalf("fresh state %+v (%v)", s, s.Flags)
	}
	_, err = Create(testName(t), Config{Kind: KindStream, SlotCount: 8})
	wantErr(t, "stream with slots", err, ErrInvalidArgument)
	_, err = Create(testName(t), Config{Kind: KindStream, Cells: 8})
	wantErr(t, "stream with cells", err, ErrInvalidArgument)

	// streams only: the other calls say WRONG_KIND, and a stream's calls elsewhere too
	_, err = r.OpenProducer(MPSC)
	wantErr(t, "producer on a stream", err, ErrWrongKind)
	_, err = r.OpenConsumer(0)
	wantErr(t, "consumer on a stream", err, ErrWrongKind)
	ev := newRegion(t, Config{})
	_, err = ev.OpenStreamWriter()
	wantErr(t, "stream writer on events", err, ErrWrongKind)
	_, err = ev.OpenStreamReader()
	wantErr(t, "stream reader on events", err, ErrWrongKind)
	_, err = ev.StreamState()
	wantErr(t, "stream state on events", err, ErrWrongKind)
	var e *Error
	if !errors.As(err, &e) || StatusName(e.Code) != "INDEXBUS_WRONG_KIND" {
		t.Fatalf("status name of %v", err)
	}
}

// Many times the ring through io.Copy on both ends: every byte in order,
// the end as io.EOF, a clean end, the counters.
func TestStreamCopy(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	const total = 300_000 // 73 rings
	src := pattern(1, 2, total)
	done := make(chan error, 1)
	go func() {
		n, err := io.Copy(w, bytes.NewReader(src))
		if err == nil && n != total {
			err = fmt.Errorf("copied %d", n)
		}
		if cerr := w.Close(); err == nil { // also on failure: the reader then ends
			err = cerr
		}
		done <- err
	}()
	var got bytes.Buffer
	n, err := io.Copy(&got, rd) // io.Copy stops at io.EOF without an error
	must(t, "io.Copy from the reader", err)
	must(t, "writer", <-done)
	if n != total || !bytes.Equal(got.Bytes(), src) {
		t.Fatalf("read %d bytes, equal %v", n, bytes.Equal(got.Bytes(), src))
	}
	k, err := rd.Read(make([]byte, 10))
	if k != 0 || err != io.EOF {
		t.Fatalf("Read after the end = %d, %v; want 0, io.EOF", k, err)
	}
	s := streamState(t, r)
	if !s.Clean() || !s.Ended() || s.Aborted() || s.ReaderGone() || s.WritersAborted != 0 || s.Flags.String() != "ended" {
		t.Fatalf("state %+v (%v)", s, s.Flags)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.StreamBytesRead != total || info.StreamWriters != 0 || info.StreamFlags != StreamEnded || info.BytesUsed != 0 {
		t.Fatalf("info after the end: %+v", info)
	}
	// a late writer cannot reopen an ended stream
	_, err = r.OpenStreamWriter()
	wantErr(t, "writer after the end", err, ErrDisconnected)
}

// Write takes all of p or fails; TryWrite what fits; TryRead what is there.
func TestStreamNonBlocking(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	buf := make([]byte, streamRing)
	n, err := rd.TryRead(buf)
	if n != 0 || !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryRead on nothing = %d, %v", n, err)
	}
	n, err = w.TryWrite(nil)
	if n != 0 || err != nil {
		t.Fatalf("TryWrite(nil) = %d, %v", n, err)
	}
	// one TryWrite is one record of at most the max record
	src := pattern(3, 0, 3*streamChunk)
	n, err = w.TryWrite(src)
	if n != streamChunk || err != nil {
		t.Fatalf("TryWrite(3 chunks) = %d, %v; want %d", n, err, streamChunk)
	}
	m, err := w.TryWrite(src[n:])
	if err != nil || m <= 0 || m > streamChunk {
		t.Fatalf("second TryWrite = %d, %v", m, err)
	}
	n += m
	if k, err := w.TryWrite(src[n:]); k != 0 || !errors.Is(err, ErrFull) {
		t.Fatalf("TryWrite on a full stream = %d, %v; want 0, ErrFull", k, err)
	}
	// a Write of at most the max record is all or nothing: on the deadline nothing went in
	k, err := w.WriteTimeout(src[n:n+100], 20*time.Millisecond)
	if k != 0 || !errors.Is(err, ErrTimeout) {
		t.Fatalf("WriteTimeout on a full stream = %d, %v", k, err)
	}
	must(t, "SetWriteDeadline", w.SetWriteDeadline(time.Now().Add(10*time.Millisecond)))
	k, err = w.Write(src[n : n+100])
	if k != 0 || !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past the deadline = %d, %v", k, err)
	}
	must(t, "SetWriteDeadline", w.SetWriteDeadline(time.Time{})) // none
	got := make([]byte, 0, n)
	for len(got) < n {
		k, err := rd.TryRead(buf)
		must(t, "TryRead", err)
		got = append(got, buf[:k]...)
	}
	if !bytes.Equal(got, src[:n]) {
		t.Fatal("TryRead bytes differ")
	}
	// read deadline: nothing there
	must(t, "SetReadDeadline", rd.SetReadDeadline(time.Now().Add(10*time.Millisecond)))
	k, err = rd.Read(buf)
	if k != 0 || !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline = %d, %v", k, err)
	}
	must(t, "SetReadDeadline", rd.SetReadDeadline(time.Time{})) // none
	k, err = rd.ReadTimeout(buf, 0)
	if k != 0 || !errors.Is(err, ErrTimeout) {
		t.Fatalf("ReadTimeout(0) = %d, %v", k, err)
	}
	if k, err := rd.Read(nil); k != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", k, err)
	}
}

// A write longer than the max record goes in in pieces: on a timeout n is
// exactly the prefix that went in, and the reader gets exactly that.
func TestStreamPartialWriteTimeout(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	src := pattern(4, 0, 5*streamChunk)
	n, err := w.WriteTimeout(src, 20*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || n <= 0 || n >= len(src) {
		t.Fatalf("WriteTimeout(5 chunks) into 2 = %d, %v", n, err)
	}
	if got := readN(t, rd, n); !bytes.Equal(got, src[:n]) {
		t.Fatal("the prefix read differs")
	}
	if k, err := rd.TryRead(make([]byte, 10)); k != 0 || !errors.Is(err, ErrEmpty) {
		t.Fatalf("more than the prefix: %d, %v", k, err)
	}
	// the rest, as the reader drains
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(src[n:])
		done <- err
	}()
	if got := readN(t, rd, len(src)-n); !bytes.Equal(got, src[n:]) {
		t.Fatal("the rest differs")
	}
	must(t, "Write of the rest", <-done)
}

// Seed 003, writer_applies_backpressure_until_the_reader_drains: a stream
// that holds one write (two chunks fill the 4 KiB ring); the second write
// is still pending after 20 ms and completes after a read.
func TestStreamSeedBackpressure(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	ones := bytes.Repeat([]byte{'1'}, 2*streamChunk)
	twos := bytes.Repeat([]byte{'2'}, streamChunk)
	n, err := w.Write(ones) // fills the stream
	if n != len(ones) || err != nil {
		t.Fatalf("first Write = %d, %v", n, err)
	}
	done := make(chan error, 1)
	go func() {
		n, err := w.Write(twos)
		if err == nil && n != len(twos) {
			err = fmt.Errorf("wrote %d", n)
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the second write did not block while the stream was full: %v", err)
	default:
	}
	if got := readN(t, rd, streamChunk); !bytes.Equal(got, ones[:streamChunk]) {
		t.Fatal("first read differs") // drain frees room
	}
	select {
	case err := <-done:
		must(t, "second Write", err)
	case <-time.After(hangGuard):
		t.Fatal("the second write did not complete after a read")
	}
	must(t, "Close", w.Close())
	got, err := io.ReadAll(rd)
	must(t, "ReadAll", err)
	want := append(bytes.Repeat([]byte{'1'}, streamChunk), twos...)
	if !bytes.Equal(got, want) {
		t.Fatalf("rest: %d bytes, want %d", len(got), len(want))
	}
}

// Seed 003, read_returns_none_after_the_writer_drops.
func TestStreamSeedEOFAfterWriterDrops(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	if n, err := w.Write([]byte("x")); n != 1 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	must(t, "Close", w.Close())
	buf := make([]byte, 8)
	n, err := rd.Read(buf)
	if n != 1 || err != nil || buf[0] != 'x' {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	n, err = rd.Read(buf)
	if n != 0 || err != io.EOF {
		t.Fatalf("Read at the end = %d, %v; want 0, io.EOF", n, err)
	}
	if s := streamState(t, r); !s.Clean() {
		t.Fatalf("state %+v", s)
	}
	wantErr(t, "second Close", w.Close(), ErrClosed)
	_, err = w.Write([]byte("x"))
	wantErr(t, "Write after Close", err, ErrClosed)
}

// Seed 003, write_fails_once_the_reader_is_gone: the write is refused
// whole (nothing of it is written).
func TestStreamSeedWriteFailsOnceReaderGone(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd, err := r.OpenStreamReader()
	must(t, "OpenStreamReader", err)
	must(t, "reader Close", rd.Close())
	n, err := w.Write([]byte("x"))
	if n != 0 || !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Write after the reader left = %d, %v; want 0, ErrDisconnected", n, err)
	}
	var e *Error
	if !errors.As(err, &e) || StatusName(e.Code) != "INDEXBUS_DISCONNECTED" || e.Op != "stream write" {
		t.Fatalf("error %#v", err)
	}
	n, err = w.TryWrite([]byte("x"))
	if n != 0 || !errors.Is(err, ErrDisconnected) {
		t.Fatalf("TryWrite after the reader left = %d, %v", n, err)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.BytesUsed != 0 || info.StreamFlags&StreamReaderGone == 0 {
		t.Fatalf("info: %+v", info)
	}
	if s := streamState(t, r); !s.ReaderGone() || s.Ended() {
		t.Fatalf("state %+v", s)
	}
	// the read end is closed for good; a new writer cannot join either
	_, err = r.OpenStreamReader()
	wantErr(t, "reader after the reader closed", err, ErrDisconnected)
	_, err = r.OpenStreamWriter()
	wantErr(t, "writer after the reader closed", err, ErrDisconnected)
}

// Seed 003, a_cloned_writer_fans_into_the_same_stream: end of stream only
// once both writers have dropped.
func TestStreamSeedClonedWriter(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	w2, err := w.Clone()
	must(t, "Clone", err)
	defer w2.Close()
	rd := openReader(t, r)
	if _, err := w.Write([]byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Write([]byte("2")); err != nil {
		t.Fatal(err)
	}
	got := string(readN(t, rd, 2))
	if got != "12" && got != "21" {
		t.Fatalf("read %q, want the two bytes 1 and 2", got)
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.StreamWriters != 2 {
		t.Fatalf("StreamWriters = %d, want 2", info.StreamWriters)
	}
	must(t, "Close", w.Close())
	if n, err := rd.ReadTimeout(make([]byte, 1), 20*time.Millisecond); n != 0 || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Read with the clone still there = %d, %v; want ErrTimeout", n, err)
	}
	must(t, "Close clone", w2.Close())
	if n, err := rd.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read after both dropped = %d, %v; want io.EOF", n, err)
	}
	if s := streamState(t, r); !s.Clean() {
		t.Fatalf("state %+v", s)
	}
}

// Abort: a writer that leaves as failed ends the stream as aborted, at
// once, with what it wrote still readable.
func TestStreamWriterAbort(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	must(t, "Abort", w.Abort())
	wantErr(t, "Close after Abort", w.Close(), ErrClosed)
	got, err := io.ReadAll(rd)
	if err != nil || string(got) != "partial" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	s := streamState(t, r)
	if !s.Ended() || !s.Aborted() || s.Clean() || s.WritersAborted != 1 || s.Flags.String() != "ended|aborted" {
		t.Fatalf("state %+v (%v)", s, s.Flags)
	}
}

// Seed 003 (the Rust-only Debug test): the handles say what they are.
func TestStreamHandlesFormat(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	if s := fmt.Sprint(w); !strings.Contains(s, "StreamWriter") || !strings.Contains(s, r.Name()) {
		t.Fatalf("writer formats as %q", s)
	}
	if s := fmt.Sprint(rd); !strings.Contains(s, "StreamReader") {
		t.Fatalf("reader formats as %q", s)
	}
}

// The read end handed over: the next reader continues at the very next byte.
func TestStreamReleaseHandsOver(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	_, err := r.OpenStreamReader()
	wantErr(t, "second reader", err, ErrBusy)
	src := pattern(5, 0, 1000)
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	first := readN(t, rd, 300)
	must(t, "Release", rd.Release())
	_, err = rd.Read(make([]byte, 1))
	wantErr(t, "Read after Release", err, ErrClosed)
	rd2 := openReader(t, r)
	rest := readN(t, rd2, 700)
	if !bytes.Equal(append(first, rest...), src) {
		t.Fatal("bytes across the hand-over differ")
	}
	must(t, "writer Close", w.Close())
	if n, err := rd2.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("end = %d, %v", n, err)
	}
}

// Close from another goroutine ends a blocked Read and a blocked Write.
func TestStreamCloseEndsBlockedCalls(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	done := make(chan error, 1)
	go func() {
		_, err := rd.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	must(t, "reader Close", rd.Close())
	wantErr(t, "blocked Read", <-done, ErrClosed)

	r2 := newStream(t, Config{})
	w2 := openWriter(t, r2)
	_ = openReader(t, r2)
	if _, err := w2.Write(make([]byte, 2*streamChunk)); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := w2.Write([]byte("more"))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	must(t, "writer Close", w2.Close())
	wantErr(t, "blocked Write", <-done, ErrClosed)
	_ = w
}

// The reader gone while a writer waits for room: the Write fails with
// ErrDisconnected, with the bytes that went in counted.
func TestStreamReaderLeavesWhileWriterWaits(t *testing.T) {
	r := newStream(t, Config{})
	w := openWriter(t, r)
	rd := openReader(t, r)
	if _, err := w.Write(make([]byte, 2*streamChunk)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		n, err := w.Write([]byte("blocked"))
		if n != 0 {
			err = fmt.Errorf("wrote %d", n)
		}
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	must(t, "reader Close", rd.Close())
	wantErr(t, "waiting Write", <-done, ErrDisconnected)
}

// A writer in another process: the bytes arrive in order, the stream ends
// cleanly when it closes; a writer process that dies without closing ends
// the stream as aborted (recovered), which StreamState tells apart.
func TestStreamMultiProcess(t *testing.T) {
	for _, role := range []string{"stream-writer", "stream-writer-dies"} {
		t.Run(role, func(t *testing.T) {
			const total = 200_000
			r := newStream(t, Config{})
			rd := openReader(t, r)
			exe, err := os.Executable()
			must(t, "os.Executable", err)
			var stderr bytes.Buffer
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"="+role, envRegion+"="+r.Name(),
				envCount+"="+strconv.Itoa(total))
			cmd.Stderr = &stderr
			must(t, "start child", cmd.Start())
			got, err := io.ReadAll(rd)
			must(t, "ReadAll", err)
			werr := cmd.Wait()
			if !bytes.Equal(got, pattern(7, 0, total)) {
				t.Fatalf("read %d bytes, want the %d the child wrote", len(got), total)
			}
			s := streamState(t, r)
			if role == "stream-writer" {
				if werr != nil || !s.Clean() || s.WritersAborted != 0 {
					t.Fatalf("child %v (%s), state %+v", werr, stderr.String(), s)
				}
			} else if !s.Ended() || !s.Aborted() || s.Clean() || s.WritersAborted != 1 {
				t.Fatalf("child %v, state %+v: want ended, aborted, 1 writer aborted", werr, s)
			}
		})
	}
}

// runStreamChild is the stream writer child: it writes count bytes of
// pattern(7, 0, count) in writes of 10,000 (blocking while the parent has
// not read), then closes, or with role stream-writer-dies exits with the
// writer still open.
func runStreamChild(role string) error {
	count, err := strconv.Atoi(os.Getenv(envCount))
	if err != nil {
		return err
	}
	region, err := Open(os.Getenv(envRegion))
	if err != nil {
		return err
	}
	w, err := region.OpenStreamWriter()
	if err != nil {
		return err
	}
	must := w.SetWriteDeadline(time.Now().Add(hangGuard))
	if must != nil {
		return must
	}
	src := pattern(7, 0, count)
	for off := 0; off < count; off += 10_000 {
		if _, err := w.Write(src[off:min(off+10_000, count)]); err != nil {
			return err
		}
	}
	if role == "stream-writer-dies" {
		os.Exit(0) // no Close: the writer dies attached
	}
	if err := w.Close(); err != nil {
		return err
	}
	return region.Close()
}
