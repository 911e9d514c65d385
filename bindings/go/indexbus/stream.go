package indexbus

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// StreamFlags is the latched state of a byte stream (indexbus_stream_state).
type StreamFlags uint32

const (
	// StreamEnded: every writer has left (closed, or died and was
	// recovered). Once the reader has drained the stream it gets io.EOF,
	// and no writer can join any more.
	StreamEnded = StreamFlags(swig.INDEXBUS_STREAM_ENDED)
	// StreamReaderGone: the reader has closed or died. Every write fails
	// with ErrDisconnected and no reader can attach.
	StreamReaderGone = StreamFlags(swig.INDEXBUS_STREAM_READER_GONE)
	// StreamAborted: at least one writer died or aborted instead of closing.
	StreamAborted = StreamFlags(swig.INDEXBUS_STREAM_ABORTED)
)

// String returns the set flags as "ended|reader-gone|aborted" (in that
// order), or "none".
func (f StreamFlags) String() string {
	var parts []string
	for _, x := range []struct {
		flag StreamFlags
		name string
	}{{StreamEnded, "ended"}, {StreamReaderGone, "reader-gone"}, {StreamAborted, "aborted"}} {
		if f&x.flag != 0 {
			parts = append(parts, x.name)
			f &^= x.flag
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// StreamState is a byte stream's latched state and how many of its writers
// died (see Region.StreamState).
type StreamState struct {
	Flags          StreamFlags
	WritersAborted uint32 // writers that died (recovered) or aborted instead of closing, saturating at 4095
}

// Ended reports whether every writer has left.
func (s StreamState) Ended() bool { return s.Flags&StreamEnded != 0 }

// ReaderGone reports whether the reader has closed or died.
func (s StreamState) ReaderGone() bool { return s.Flags&StreamReaderGone != 0 }

// Aborted reports whether at least one writer died or aborted instead of
// closing.
func (s StreamState) Aborted() bool { return s.Flags&StreamAborted != 0 }

// Clean reports whether the stream ended cleanly: every writer has left
// and none of them died or aborted.
func (s StreamState) Clean() bool { return s.Ended() && !s.Aborted() }

// StreamState returns the latched state of a byte stream (ErrWrongKind for
// another kind of region). A reader that got io.EOF asks it whether the
// stream ended cleanly.
func (r *Region) StreamState() (StreamState, error) {
	const op = "stream state"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return StreamState{}, closedError(op)
	}
	r.out.flags, r.out.aborted = 0, 0
	if err := check(op, swig.Indexbus_stream_state(r.h, &r.out.flags, &r.out.aborted)); err != nil {
		return StreamState{}, err
	}
	return StreamState{Flags: StreamFlags(r.out.flags), WritersAborted: r.out.aborted}, nil
}

// OpenStreamWriter joins a byte stream as a writer (up to 48 at once:
// ErrBusy beyond). ErrDisconnected if the stream has ended or its reader
// is gone; ErrWrongKind if the region is not a stream.
func (r *Region) OpenStreamWriter() (*StreamWriter, error) {
	const op = "stream writer open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.StreamWriter
	if err := check(op, swig.Indexbus_stream_writer_open(r.h, &h)); err != nil {
		return nil, err
	}
	return &StreamWriter{h: h, region: r}, nil
}

// OpenStreamReader takes the read end of a byte stream. ErrBusy if a
// reader holds it, ErrDisconnected if a reader closed it; ErrWrongKind if
// the region is not a stream. A reader that attaches before any writer
// waits for one.
func (r *Region) OpenStreamReader() (*StreamReader, error) {
	const op = "stream reader open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.StreamReader
	if err := check(op, swig.Indexbus_stream_reader_open(r.h, &h)); err != nil {
		return nil, err
	}
	return &StreamReader{h: h, name: r.name}, nil
}

// deadline is a time.Time kept as Unix nanoseconds (0: none) so it can be
// set while a call waits.
type deadline struct{ ns atomic.Int64 }

func (d *deadline) set(t time.Time) {
	if t.IsZero() {
		d.ns.Store(0)
	} else {
		d.ns.Store(t.UnixNano())
	}
}

func (d *deadline) get() time.Time {
	if ns := d.ns.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// deadlineError is ErrTimeout for op, a deadline set with SetDeadline &
// co: it also matches os.ErrDeadlineExceeded, as net.Conn's does.
func deadlineError(op string) error {
	return &Error{Code: StatusTimeout, Op: op, Err: os.ErrDeadlineExceeded}
}

// nextSlice is how long the next library call of a wait that ends at
// until (zero: never) may block, and whether it is the last one.
func nextSlice(until time.Time) (slice time.Duration, last bool) {
	slice = waitSlice
	if !until.IsZero() {
		if left := time.Until(until); left <= slice {
			return max(left, 0), true // at least one attempt
		}
	}
	return slice, false
}

// StreamWriter is the write end of a byte stream: an io.WriteCloser with
// back-pressure. Several writers may feed one stream (Clone opens
// another); the bytes of one Write of at most the region's MaxRecord stay
// contiguous, all of them or none. The stream ends once every writer has
// closed (or died and was recovered) and the reader has drained it.
//
// A StreamWriter is safe for concurrent use, but its calls are serialised.
// A blocked Write releases the handle every few milliseconds, so Close or
// SetWriteDeadline from another goroutine ends it.
type StreamWriter struct {
	mu       sync.Mutex
	h        swig.StreamWriter // 0 once closed
	region   *Region           // for Clone
	deadline deadline
}

// String returns "StreamWriter(<region name>)".
func (w *StreamWriter) String() string { return "StreamWriter(" + w.region.name + ")" }

// Write writes all of p, waiting for room while the stream is full (the
// reader has not read yet) until the write deadline, if one is set: the
// io.Writer of a pipe. It returns how many bytes went in, all of p unless
// there is an error: ErrDisconnected once the reader is gone; on the
// deadline an error matching ErrTimeout and os.ErrDeadlineExceeded. The
// bytes written are always a complete prefix of p; a p of at most the
// region's MaxRecord goes in whole or not at all.
func (w *StreamWriter) Write(p []byte) (int, error) {
	return w.writeLoop("stream write", p, w.deadline.get(), true)
}

// WriteTimeout is Write with a timeout instead of the deadline:
// ErrTimeout once it has passed (a timeout of 0 or less still tries once).
// n says how many bytes went in, as for Write.
func (w *StreamWriter) WriteTimeout(p []byte, timeout time.Duration) (n int, err error) {
	return w.writeLoop("stream write", p, time.Now().Add(max(timeout, 0)), false)
}

// SetWriteDeadline sets the deadline for Write, also for a Write that is
// waiting now; the zero time (the default) means none.
func (w *StreamWriter) SetWriteDeadline(t time.Time) error {
	w.deadline.set(t)
	return nil
}

// writeLoop runs indexbus_stream_write_all in slices of at most waitSlice
// until p is written, an error, or until (zero: never).
func (w *StreamWriter) writeLoop(op string, p []byte, until time.Time, fromDeadline bool) (int, error) {
	total := 0
	for {
		slice, last := nextSlice(until)
		st, n, err := w.writeOnce(op, p[total:], slice)
		total += n
		if st != StatusTimeout && st != StatusFull {
			return total, err
		}
		if last {
			if fromDeadline {
				return total, deadlineError(op)
			}
			return total, &Error{Code: StatusTimeout, Op: op}
		}
	}
}

func (w *StreamWriter) writeOnce(op string, p []byte, slice time.Duration) (int, int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == 0 {
		return StatusClosed, 0, closedError(op)
	}
	st, n := swig.StreamWriteAllDirect(w.h, p, uint64(slice))
	return st, n, check(op, st)
}

// TryWrite writes what fits of p now, without waiting, in one contiguous
// run, and returns how many bytes that was: (0, ErrFull) when nothing
// fits; ErrDisconnected once the reader is gone.
func (w *StreamWriter) TryWrite(p []byte) (int, error) {
	const op = "stream try write"
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == 0 {
		return 0, closedError(op)
	}
	st, n := swig.StreamWriteDirect(w.h, p)
	return n, check(op, st)
}

// Clone joins the same stream as another writer: the stream ends only
// once every writer has closed. It opens the writer through the Region the
// writer came from, so that must still be open (ErrClosed otherwise).
func (w *StreamWriter) Clone() (*StreamWriter, error) {
	return w.region.OpenStreamWriter()
}

// Close leaves the stream cleanly; the last writer to leave ends it.
// Closing twice returns ErrClosed.
func (w *StreamWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == 0 {
		return closedError("stream writer close")
	}
	h := w.h
	w.h = 0
	return check("stream writer close", swig.Indexbus_stream_writer_close(h))
}

// Abort leaves the stream as a writer that failed: it counts as an
// aborted writer, exactly as if it had died, but at once, so the reader
// can tell (StreamState.Aborted; if it was the last writer the stream
// ends aborted). What it wrote stays readable. The writer is closed by it
// (later calls, Close too, return ErrClosed).
func (w *StreamWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == 0 {
		return closedError("stream writer abort")
	}
	h := w.h
	w.h = 0
	return check("stream writer abort", swig.Indexbus_stream_writer_abort(h))
}

// StreamReader is the read end of a byte stream: an io.ReadCloser. Read
// returns io.EOF once every writer has left and everything is read.
// There is one read end: Close closes it for good (writers then get
// ErrDisconnected), Release hands it to the next OpenStreamReader, in any
// process, which continues at the very next byte.
//
// A StreamReader is safe for concurrent use, but its calls are
// serialised. A blocked Read releases the handle every few milliseconds,
// so Close or SetReadDeadline from another goroutine ends it.
type StreamReader struct {
	mu       sync.Mutex
	h        swig.StreamReader // 0 once closed or released
	name     string
	deadline deadline
}

// String returns "StreamReader(<region name>)".
func (r *StreamReader) String() string { return "StreamReader(" + r.name + ")" }

// Read reads up to len(p) bytes, waiting for the first one until the read
// deadline, if one is set: the io.Reader of a pipe. It returns io.EOF at
// the end of the stream (every writer gone and everything read); on the
// deadline an error matching ErrTimeout and os.ErrDeadlineExceeded.
func (r *StreamReader) Read(p []byte) (int, error) {
	return r.readLoop("stream read", p, r.deadline.get(), true)
}

// ReadTimeout is Read with a timeout instead of the deadline: ErrTimeout
// when nothing came in time (a timeout of 0 or less still tries once).
func (r *StreamReader) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	return r.readLoop("stream read", p, time.Now().Add(max(timeout, 0)), false)
}

// TryRead reads what is there, up to len(p) bytes, without waiting:
// (0, ErrEmpty) when nothing is; io.EOF at the end of the stream.
func (r *StreamReader) TryRead(p []byte) (int, error) {
	const op = "stream try read"
	if len(p) == 0 {
		return 0, nil
	}
	st, n, err := r.readOnce(op, p, 0)
	if st == StatusOK {
		return n, nil
	}
	return 0, err
}

// SetReadDeadline sets the deadline for Read, also for a Read that is
// waiting now; the zero time (the default) means none.
func (r *StreamReader) SetReadDeadline(t time.Time) error {
	r.deadline.set(t)
	return nil
}

func (r *StreamReader) readLoop(op string, p []byte, until time.Time, fromDeadline bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		slice, last := nextSlice(until)
		st, n, err := r.readOnce(op, p, slice)
		if st != StatusTimeout && st != StatusEmpty {
			return n, err
		}
		if last {
			if fromDeadline {
				return 0, deadlineError(op)
			}
			return 0, &Error{Code: StatusTimeout, Op: op}
		}
	}
}

// readOnce is one indexbus_stream_read of at most slice; the end of the
// stream is io.EOF.
func (r *StreamReader) readOnce(op string, p []byte, slice time.Duration) (int, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return StatusClosed, 0, closedError(op)
	}
	st, n := swig.StreamReadDirect(r.h, p, uint64(slice))
	switch st {
	case StatusOK:
		return st, n, nil
	case StatusDisconnected:
		return st, 0, io.EOF
	}
	return st, 0, check(op, st)
}

// Close closes the read end for good: writers get ErrDisconnected from
// then on, and no reader can attach. Closing twice (or after Release)
// returns ErrClosed.
func (r *StreamReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return closedError("stream reader close")
	}
	h := r.h
	r.h = 0
	return check("stream reader close", swig.Indexbus_stream_reader_close(h))
}

// Release hands the read end over without closing the stream: the next
// OpenStreamReader on the region, in this or any process, continues at the
// very next byte. The StreamReader is closed by it (later calls return
// ErrClosed).
func (r *StreamReader) Release() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return closedError("stream reader release")
	}
	h := r.h
	r.h = 0
	return check("stream reader release", swig.Indexbus_stream_reader_release(h))
}

// Interface checks.
var (
	_ io.WriteCloser = (*StreamWriter)(nil)
	_ io.ReadCloser  = (*StreamReader)(nil)
)
