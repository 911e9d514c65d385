package indexbus

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// every status code, its C name and its sentinel
var statusTable = []struct {
	code     int
	name     string
	sentinel error
}{
	{StatusOK, "INDEXBUS_OK", nil},
	{StatusFull, "INDEXBUS_FULL", ErrFull},
	{StatusEmpty, "INDEXBUS_EMPTY", ErrEmpty},
	{StatusTooLarge, "INDEXBUS_TOO_LARGE", ErrTooLarge},
	{StatusBufferTooSmall, "INDEXBUS_BUFFER_TOO_SMALL", ErrBufferTooSmall},
	{StatusIncompatible, "INDEXBUS_INCOMPATIBLE", ErrIncompatible},
	{StatusNotReady, "INDEXBUS_NOT_READY", ErrNotReady},
	{StatusInvalidArgument, "INDEXBUS_INVALID_ARGUMENT", ErrInvalidArgument},
	{StatusWrongKind, "INDEXBUS_WRONG_KIND", ErrWrongKind},
	{StatusTimeout, "INDEXBUS_TIMEOUT", ErrTimeout},
	{StatusDisconnected, "INDEXBUS_DISCONNECTED", ErrDisconnected},
	{StatusCorrupt, "INDEXBUS_CORRUPT", ErrCorrupt},
	{StatusPermission, "INDEXBUS_PERMISSION", ErrPermission},
	{StatusExists, "INDEXBUS_EXISTS", ErrExists},
	{StatusNotFound, "INDEXBUS_NOT_FOUND", ErrNotFound},
	{StatusIO, "INDEXBUS_IO", ErrIO},
	{StatusBusy, "INDEXBUS_BUSY", ErrBusy},
	{StatusNoMemory, "INDEXBUS_NO_MEMORY", ErrNoMemory},
	{StatusOutOfRange, "INDEXBUS_OUT_OF_RANGE", ErrOutOfRange},
	{StatusBadState, "INDEXBUS_BAD_STATE", ErrBadState},
}

// The Go constants are the library's codes, and there is one per code.
func TestStatusConstantsMatchLibrary(t *testing.T) {
	if len(statusTable) != swig.INDEXBUS_STATUS_COUNT {
		t.Fatalf("%d status constants, the header has %d", len(statusTable), swig.INDEXBUS_STATUS_COUNT)
	}
	for i, s := range statusTable {
		if s.code != i {
			t.Errorf("%s = %d, want %d", s.name, s.code, i)
		}
		if got := StatusName(s.code); got != s.name {
			t.Errorf("StatusName(%d) = %q, want %q", s.code, got, s.name)
		}
		if got, want := StatusText(s.code), swig.Indexbus_strerror(s.code); got != want || got == "" {
			t.Errorf("StatusText(%d) = %q, want %q", s.code, got, want)
		}
	}
	if StatusName(StatusClosed) == "" || StatusText(StatusClosed) != "use of closed handle" {
		t.Errorf("StatusClosed: name %q text %q", StatusName(StatusClosed), StatusText(StatusClosed))
	}
	if got := StatusText(99); got != "unknown status" {
		t.Errorf("StatusText(99) = %q", got)
	}
}

// Every code maps to exactly its sentinel, with op and the library's text
// in the message.
func TestErrorMapping(t *testing.T) {
	if err := check("op", StatusOK); err != nil {
		t.Fatalf("check(OK) = %v", err)
	}
	all := []error{ErrClosed}
	for _, s := range statusTable[1:] {
		all = append(all, s.sentinel)
	}
	for _, s := range statusTable[1:] {
		err := check("publish", s.code)
		var e *Error
		if !errors.As(err, &e) || e.Code != s.code || e.Op != "publish" {
			t.Fatalf("check(%s) = %#v", s.name, err)
		}
		for _, other := range all {
			if got, want := errors.Is(err, other), other == s.sentinel; got != want {
				t.Errorf("errors.Is(%s, %v) = %v", s.name, other, got)
			}
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "indexbus: publish: ") || !strings.Contains(msg, swig.Indexbus_strerror(s.code)) {
			t.Errorf("%s message %q", s.name, msg)
		}
		if !strings.Contains(s.sentinel.Error(), swig.Indexbus_strerror(s.code)) {
			t.Errorf("sentinel %s message %q", s.name, s.sentinel.Error())
		}
	}
	closed := closedError("recv")
	for _, other := range all {
		if got, want := errors.Is(closed, other), other == ErrClosed; got != want {
			t.Errorf("errors.Is(closed, %v) = %v", other, got)
		}
	}
	if msg := closed.Error(); msg != "indexbus: recv: use of closed handle" {
		t.Errorf("closed message %q", msg)
	}
	unknown := check("op", 99)
	for _, other := range all {
		if errors.Is(unknown, other) {
			t.Errorf("unknown status matches %v", other)
		}
	}
	if !strings.Contains(unknown.Error(), "unknown status") {
		t.Errorf("unknown status message %q", unknown.Error())
	}
}

func TestErrorDetailAndCause(t *testing.T) {
	err := timeoutError("recv", true)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline error %v does not match both ErrTimeout and DeadlineExceeded", err)
	}
	if errors.Is(timeoutError("recv", false), context.DeadlineExceeded) {
		t.Fatal("plain timeout matches DeadlineExceeded")
	}
	if got := ctxError("recv", context.Canceled); got != context.Canceled {
		t.Fatalf("ctxError(Canceled) = %v", got)
	}
	e := &Error{Code: StatusIncompatible, Op: "open", Detail: "why"}
	if got, want := e.Error(), "indexbus: open: "+StatusText(StatusIncompatible)+" (why)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
