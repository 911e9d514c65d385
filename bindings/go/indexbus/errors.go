package indexbus

import (
	"strings"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// Status codes of the C library (enum indexbus_status). Their values are
// frozen by the ABI and come from the C header at compile time.
const (
	StatusOK              = swig.INDEXBUS_OK
	StatusFull            = swig.INDEXBUS_FULL
	StatusEmpty           = swig.INDEXBUS_EMPTY
	StatusTooLarge        = swig.INDEXBUS_TOO_LARGE
	StatusBufferTooSmall  = swig.INDEXBUS_BUFFER_TOO_SMALL
	StatusIncompatible    = swig.INDEXBUS_INCOMPATIBLE
	StatusNotReady        = swig.INDEXBUS_NOT_READY
	StatusInvalidArgument = swig.INDEXBUS_INVALID_ARGUMENT
	StatusWrongKind       = swig.INDEXBUS_WRONG_KIND
	StatusTimeout         = swig.INDEXBUS_TIMEOUT
	StatusDisconnected    = swig.INDEXBUS_DISCONNECTED
	StatusCorrupt         = swig.INDEXBUS_CORRUPT
	StatusPermission      = swig.INDEXBUS_PERMISSION
	StatusExists          = swig.INDEXBUS_EXISTS
	StatusNotFound        = swig.INDEXBUS_NOT_FOUND
	StatusIO              = swig.INDEXBUS_IO
	StatusBusy            = swig.INDEXBUS_BUSY
	StatusNoMemory        = swig.INDEXBUS_NO_MEMORY
	StatusOutOfRange      = swig.INDEXBUS_OUT_OF_RANGE
	StatusBadState        = swig.INDEXBUS_BAD_STATE

	// StatusClosed is not a C status: it is the Code of ErrClosed, for a
	// call on a handle that was already closed.
	StatusClosed = -1
)

// Error is the error every failing IndexBus call returns.
//
// Compare with the sentinel values using errors.Is: an *Error matches the
// sentinel with the same Code, whatever its Op.
type Error struct {
	Code   int    // a Status* constant
	Op     string // the failing operation, e.g. "publish"; empty in sentinels
	Detail string // optional context, e.g. the versions of a version mismatch
	Err    error  // optional cause, e.g. context.DeadlineExceeded
}

// Error returns "indexbus: <op>: <indexbus_strerror text> (<detail>)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("indexbus: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(StatusText(e.Code))
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Sentinel errors, one per status code, for errors.Is.
var (
	ErrFull            = &Error{Code: StatusFull}
	ErrEmpty           = &Error{Code: StatusEmpty}
	ErrTooLarge        = &Error{Code: StatusTooLarge}
	ErrBufferTooSmall  = &Error{Code: StatusBufferTooSmall}
	ErrIncompatible    = &Error{Code: StatusIncompatible}
	ErrNotReady        = &Error{Code: StatusNotReady}
	ErrInvalidArgument = &Error{Code: StatusInvalidArgument}
	ErrWrongKind       = &Error{Code: StatusWrongKind}
	ErrTimeout         = &Error{Code: StatusTimeout}
	ErrDisconnected    = &Error{Code: StatusDisconnected}
	ErrCorrupt         = &Error{Code: StatusCorrupt}
	ErrPermission      = &Error{Code: StatusPermission}
	ErrExists          = &Error{Code: StatusExists}
	ErrNotFound        = &Error{Code: StatusNotFound}
	ErrIO              = &Error{Code: StatusIO}
	ErrBusy            = &Error{Code: StatusBusy}
	ErrNoMemory        = &Error{Code: StatusNoMemory}
	ErrOutOfRange      = &Error{Code: StatusOutOfRange}
	ErrBadState        = &Error{Code: StatusBadState}

	// ErrClosed is returned for any call on a closed handle.
	ErrClosed = &Error{Code: StatusClosed}
)

// StatusText describes a status code, as indexbus_strerror does.
func StatusText(code int) string {
	if code == StatusClosed {
		return "use of closed handle"
	}
	return swig.Indexbus_strerror(code)
}

// StatusName is the symbolic name of a status code, e.g. "INDEXBUS_FULL".
func StatusName(code int) string {
	if code == StatusClosed {
		return "INDEXBUS_GO_CLOSED"
	}
	return swig.Indexbus_status_name(code)
}

// check turns a C status into nil or an *Error for op.
func check(op string, st int) error {
	if st == StatusOK {
		return nil
	}
	return &Error{Code: st, Op: op}
}

// closedError is ErrClosed for op.
func closedError(op string) error {
	return &Error{Code: StatusClosed, Op: op}
}
