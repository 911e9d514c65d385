/* go.i - Go-only part of the SWIG interface, %included by indexbus.i before
 * the declarations so everything here applies to them.
 *
 * The generated package (bindings/go/internal/swig) is a raw layer: one Go
 * function per C function, status codes returned as int. The idiomatic API
 * is bindings/go/indexbus. Rules this file enforces:
 *
 *  - Payloads are (pointer, length) with no copy: a Go []byte (or []uint32
 *    for length arrays) travels to C as a slice header, valid only for the
 *    duration of the call. C never keeps a Go pointer.
 *  - Handles are plain uintptr-based Go types; `T **out` becomes `*T`.
 *  - Memory the library hands back (a claimed slot, a borrowed message) comes
 *    back as a Span: a pointer into C (shared) memory plus a length. A Span
 *    holds no Go pointer, so it may itself be passed to C.
 *  - The size-prefixed structs are Go mirror types, passed by pointer (C
 *    reads/writes them in Go memory during the call). Every size and field
 *    offset is checked against the C header at compile time.
 *  - Status codes and other enum values are true Go constants whose values
 *    cgo takes from the header at compile time.
 *  - A bare `void **` out-parameter (claim_len, claim_wait) is a
 *    *unsafe.Pointer, and claim_batch's `void **bufs` a []unsafe.Pointer:
 *    C stores addresses of claimed (shared) memory there, never Go pointers.
 *  - The 1.1 stream and request/response handles are uintptr-based types
 *    too; the borrowed request of rpc_serve, the borrowed reply of rpc_wait
 *    and the buffer of rpc_reply_buffer come back as Spans.
 *  - The hot path (publish, try_recv, publish_batch, recv_batch,
 *    publish_wait, and the stream writes and reads) also has hand-written
 *    Go functions (PublishDirect, ...)
 *    calling static inline
 *    helpers in the cgo preamble: payloads as typed pointers to pointer-free
 *    memory, which cgo need not check at run time, and results by value. */

/* ---- cgo preamble: the header for compile-time checks; link flags -------- */

/* The header and the library come from pkg-config: an install's indexbus.pc
 * (PKG_CONFIG_PATH=<prefix>/lib/pkgconfig), or in the tree the uninstalled
 * one go.mk writes to $(B)/pkgconfig. */
%insert(cgo_comment_typedefs) %{
#cgo pkg-config: indexbus
#include <string.h>
#include <indexbus/indexbus.h>
// the Go Span type, as ib_go_span in the wrapper; no block comments here
typedef struct { void *data; long long len; } ib_go_span_t;
// The hot-path helpers behind PublishBatchDirect & co (see there): the
// handle as an integer, payloads as uint8_t pointers, the status and count
// returned by value. A NULL batch payload means every length is 0 (the Go
// side checks the lengths against the slice); the library wants a non-NULL
// pointer even then.
typedef struct { int status; size_t n; } ib_go_result;
static inline ib_go_result ib_go_publish_batch(uintptr_t p, const uint8_t *data,
                                               const uint32_t *lens, size_t count) {
	ib_go_result r = {0, 0};
	const void *d = data != NULL ? (const void *)data : "";
	r.status = indexbus_publish_batch((indexbus_producer *)p, d, lens, count, &r.n);
	return r;
}
static inline ib_go_result ib_go_recv_batch(uintptr_t c, uint8_t *buf, size_t cap,
                                            uint32_t *lens, size_t max_msgs) {
	ib_go_result r = {0, 0};
	r.status = indexbus_recv_batch((indexbus_consumer *)c, buf, cap, lens, max_msgs, &r.n);
	return r;
}
static inline int ib_go_publish(uintptr_t p, const uint8_t *data, size_t len) {
	return indexbus_publish((indexbus_producer *)p, data, len);
}
static inline int ib_go_publish_wait(uintptr_t p, const uint8_t *data, size_t len,
                                     uint64_t timeout_ns) {
	const void *d = data != NULL ? (const void *)data : "";
	return indexbus_publish_wait((indexbus_producer *)p, d, len, timeout_ns);
}
static inline ib_go_result ib_go_try_recv(uintptr_t c, uint8_t *buf, size_t cap) {
	ib_go_result r = {0, 0};
	r.status = indexbus_try_recv((indexbus_consumer *)c, buf, cap, &r.n);
	return r;
}
// 1.1 streams: n is the bytes written (also on TIMEOUT and DISCONNECTED
// for write_all) or read. Empty payloads pass "" (the library wants a
// non-NULL pointer).
static inline ib_go_result ib_go_stream_write(uintptr_t w, const uint8_t *data, size_t len) {
	ib_go_result r = {0, 0};
	const void *d = data != NULL ? (const void *)data : "";
	r.status = indexbus_stream_write((indexbus_stream_writer *)w, d, len, &r.n);
	return r;
}
static inline ib_go_result ib_go_stream_write_all(uintptr_t w, const uint8_t *data, size_t len,
                                                  uint64_t timeout_ns) {
	ib_go_result r = {0, 0};
	const void *d = data != NULL ? (const void *)data : "";
	r.status = indexbus_stream_write_all((indexbus_stream_writer *)w, d, len, timeout_ns, &r.n);
	return r;
}
static inline ib_go_result ib_go_stream_read(uintptr_t rd, uint8_t *buf, size_t cap,
                                             uint64_t timeout_ns) {
	ib_go_result r = {0, 0};
	r.status = indexbus_stream_read((indexbus_stream_reader *)rd, buf, cap, &r.n, timeout_ns);
	return r;
}
%}

%{
#include <string.h>
%}

%go_import("strings")

/* ---- what is not wrapped ------------------------------------------------- */

/* Structs: the layout.h region structs are the shared-memory format, which
 * Go code never touches; the API structs are replaced by mirrors below. */
%rename("$ignore", %$isclass) "";
/* (a field named `type` is a Go keyword: SWIG warns about it even in an
 * ignored struct unless it is renamed) */
%rename(Xtype) indexbus_log_header::type;
/* Enum items, and macros whose value is an expression, would become
 * variables initialised by a C call at package init; they are emitted as
 * constants below instead. */
%rename("$ignore", %$isenumitem) "";
%ignore INDEXBUS_VERSION_NUMBER;
/* 1.3 marked publish: SWIG's uint64_t (unsigned long long) does not match
 * the C header's marks array type; the Go API has no durable delivery yet */
%ignore indexbus_publish_batch_marked;
%ignore INDEXBUS_CAP_EVENTS;
%ignore INDEXBUS_CAP_FANOUT;
%ignore INDEXBUS_CAP_MPSC;
%ignore INDEXBUS_CAP_BLOCKING;
%ignore INDEXBUS_CAP_COUNTERS;
%ignore INDEXBUS_CAP_PARTICIPANTS;
%ignore INDEXBUS_CAP_SPSC_RECYCLE;
%ignore INDEXBUS_CAP_KNOWN_INCOMPAT;
%ignore INDEXBUS_CAP_LOG;
%ignore INDEXBUS_CAP_BYTE_LOG;
%ignore INDEXBUS_LOG_MAX_BYTES;
%ignore INDEXBUS_LOG_DEFAULT_BYTES;
%ignore INDEXBUS_MAX_SLOTS;
%ignore INDEXBUS_MAX_SLOT_DATA;
%ignore INDEXBUS_MAX_QUEUE;
%ignore INDEXBUS_CAP_STREAM;
%ignore INDEXBUS_CAP_RPC;
%ignore INDEXBUS_CAP_BYTE_STREAM;
%ignore INDEXBUS_CAP_RPC_CELLS;
%ignore INDEXBUS_CAP_FANOUT_RECYCLE;
%ignore INDEXBUS_CAP_MPSC_BATCH;
%ignore INDEXBUS_CAP_MPSC_RECYCLE;
%ignore INDEXBUS_RPC_MAX_MESSAGE;
/* the stream's shared state word (LAYOUT.md 5.18): the region format, which
 * Go code never touches (indexbus_stream_state reports it) */
%ignore INDEXBUS_STREAM_SEAT_MASK;
%ignore INDEXBUS_STREAM_ST_ENDED;
%ignore INDEXBUS_STREAM_ST_READER_GONE;
%ignore INDEXBUS_STREAM_ST_ABORTED;

/* ---- scalars ------------------------------------------------------------- */

%typemap(gotype) uint32_t, const uint32_t "uint32"

/* ---- strings the library returns are static: copy once, free nothing ----- */

%typemap(out) const char * %{
  $result.p = (char *)$1;
  $result.n = $1 ? (intgo)strlen($1) : 0;
%}
%typemap(goout) const char * %{ $result = strings.Clone($1) %}

/* ---- opaque handles ------------------------------------------------------ */

%define IB_GO_HANDLE(CTYPE, GOTYPE)
%typemap(gotype) CTYPE *, const CTYPE * "GOTYPE"
%typemap(imtype) CTYPE *, const CTYPE * "uintptr"
%typemap(goin) CTYPE *, const CTYPE * "$result = uintptr($input)"
%typemap(in) CTYPE *, const CTYPE * %{ $1 = ($1_ltype)$input; %}
/* out-parameter: C stores the new handle straight into the Go variable */
%typemap(gotype) CTYPE **out "*GOTYPE"
%typemap(in) CTYPE **out %{ $1 = ($1_ltype)$input; %}
%enddef

IB_GO_HANDLE(indexbus_region, Region)
IB_GO_HANDLE(indexbus_producer, Producer)
IB_GO_HANDLE(indexbus_router, Router)
IB_GO_HANDLE(indexbus_consumer, Consumer)
IB_GO_HANDLE(indexbus_stream_writer, StreamWriter)
IB_GO_HANDLE(indexbus_stream_reader, StreamReader)
IB_GO_HANDLE(indexbus_rpc_client, RPCClient)
IB_GO_HANDLE(indexbus_rpc_server, RPCServer)

/* ---- payloads: (pointer, length) <- Go slice, no copy --------------------- */

%typemap(gotype) (const void *data, size_t len), (void *buf, size_t cap),
                 (const void *request, size_t request_len), (void *reply, size_t reply_cap) "[]byte"
%typemap(in) (const void *data, size_t len), (void *buf, size_t cap),
             (const void *request, size_t request_len), (void *reply, size_t reply_cap) %{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}

/* publish_batch: the message bytes; their lengths come from lens, and the
 * caller guarantees the slice holds their sum */
%typemap(gotype) const void *data "[]byte"
%typemap(in) const void *data %{ $1 = ($1_ltype)$input.array; %}

%typemap(gotype) (const uint32_t *lens, size_t count), (uint32_t *lens, size_t max_msgs) "[]uint32"
%typemap(in) (const uint32_t *lens, size_t count), (uint32_t *lens, size_t max_msgs) %{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}

/* size_t results: Go int has the width of size_t (checked below) */
%typemap(gotype) size_t *len, size_t *published, size_t *count, size_t *written,
                 size_t *reply_len "*int"
%typemap(in) size_t *len, size_t *published, size_t *count, size_t *written,
             size_t *reply_len %{ $1 = ($1_ltype)$input; %}

/* stream_state's flags and count */
%typemap(gotype) uint32_t *flags, uint32_t *writers_aborted "*uint32"
%typemap(in) uint32_t *flags, uint32_t *writers_aborted %{ $1 = ($1_ltype)$input; %}

/* ---- memory the library hands out: Span --------------------------------- */

%{
/* layout of the Go Span type */
typedef struct { void *data; intgo len; } ib_go_span;
%}

%typemap(gotype) (void **buf, size_t *capacity), (const void **data, size_t *len) "*Span"
%typemap(in) (void **buf, size_t *capacity) (void *tdata = NULL, size_t tlen = 0) %{
  $1 = &tdata;
  $2 = &tlen;
%}
%typemap(in) (const void **data, size_t *len) (const void *tdata = NULL, size_t tlen = 0) %{
  $1 = ($1_ltype)&tdata;
  $2 = &tlen;
%}
/* the Span is always written: the library's pointer, or NULL on failure */
%typemap(argout) (void **buf, size_t *capacity), (const void **data, size_t *len) %{
  ((ib_go_span *)$input)->data = (void *)tdata$argnum;
  ((ib_go_span *)$input)->len = (intgo)tlen$argnum;
%}
/* rpc_reply_buffer's reply buffer; rpc_serve's borrowed request (rpc_wait's
 * borrowed reply is (data, len) above) */
%apply (void **buf, size_t *capacity) { (void **buf, size_t *cap) };
%apply (const void **data, size_t *len) { (const void **request, size_t *len) };

/* claim_len, claim_wait: C stores the claimed buffer's address (of the
 * exactly len bytes asked for) into a Go unsafe.Pointer; NULL on failure */
%typemap(gotype) void **buf "*unsafe.Pointer"
%typemap(in) void **buf %{ $1 = ($1_ltype)$input; %}

/* claim_batch: C stores record i's buffer address into bufs[i], for i below
 * the number of lengths; the caller guarantees len(bufs) >= len(lens) */
%typemap(gotype) void **bufs "[]unsafe.Pointer"
%typemap(in) void **bufs %{ $1 = ($1_ltype)$input.array; %}

/* ---- size-prefixed structs: Go mirrors passed by pointer ------------------ */

%define IB_GO_STRUCT(CTYPE, GOTYPE)
%typemap(gotype) CTYPE *, const CTYPE * "*GOTYPE"
%typemap(in) CTYPE *, const CTYPE * %{ $1 = ($1_ltype)$input; %}
%enddef

IB_GO_STRUCT(indexbus_region_config, RegionConfig)
IB_GO_STRUCT(indexbus_open_config, OpenConfig)
IB_GO_STRUCT(indexbus_info, Info)
IB_GO_STRUCT(indexbus_consumer_stats, ConsumerStats)
IB_GO_STRUCT(indexbus_route_result, RouteResult)
IB_GO_STRUCT(indexbus_router_loop_config, RouterLoopConfig)

/* ---- Go declarations ------------------------------------------------------ */

%insert(go_wrapper) %{

// Region is an indexbus_region handle (a C pointer; 0 is NULL).
type Region uintptr

// Producer is an indexbus_producer handle (a C pointer; 0 is NULL).
type Producer uintptr

// Router is an indexbus_router handle (a C pointer; 0 is NULL).
type Router uintptr

// Consumer is an indexbus_consumer handle (a C pointer; 0 is NULL).
type Consumer uintptr

// StreamWriter is an indexbus_stream_writer handle (a C pointer; 0 is NULL).
type StreamWriter uintptr

// StreamReader is an indexbus_stream_reader handle (a C pointer; 0 is NULL).
type StreamReader uintptr

// RPCClient is an indexbus_rpc_client handle (a C pointer; 0 is NULL).
type RPCClient uintptr

// RPCServer is an indexbus_rpc_server handle (a C pointer; 0 is NULL).
type RPCServer uintptr

// Span is memory the library hands out: a claimed slot or a borrowed
// message, in C (shared) memory. It stays valid only until the matching
// Commit/Abort or RecvEnd (or the handle's close).
type Span struct {
	Data unsafe.Pointer // C memory, never a Go pointer
	Len  int
}

// Bytes returns the span as a slice aliasing the C memory (nil if unset).
func (s Span) Bytes() []byte {
	if s.Data == nil {
		return nil
	}
	return unsafe.Slice((*byte)(s.Data), s.Len)
}

// The hot-path calls: each is one cgo call to a small C helper in the
// preamble. Payloads and lengths go to C as typed pointers to their first
// element (*C.uint8_t, *C.uint32_t): memory of a pointer-free type, which
// the cgo rules allow and cgo has no need to check at run time, unlike the
// untyped pointers in the slice headers the generated functions pass, for
// which it looks up the whole Go object. The status and count come back as
// results, so there is no out-parameter either. An empty slice is NULL.

// PublishBatchDirect is Indexbus_publish_batch, returning the status and how
// many were published. The caller guarantees that data holds at least the
// sum of lens (C reads that many bytes); with an empty data every length
// must be 0.
func PublishBatchDirect(h Producer, data []byte, lens []uint32) (status, n int) {
	var r C.ib_go_result
	switch {
	case len(lens) == 0:
		r = C.ib_go_publish_batch(C.uintptr_t(h), nil, nil, 0)
	case len(data) == 0:
		r = C.ib_go_publish_batch(C.uintptr_t(h), nil, (*C.uint32_t)(&lens[0]), C.size_t(len(lens)))
	default:
		r = C.ib_go_publish_batch(C.uintptr_t(h), (*C.uint8_t)(&data[0]),
			(*C.uint32_t)(&lens[0]), C.size_t(len(lens)))
	}
	return int(r.status), int(r.n)
}

// RecvBatchDirect is Indexbus_recv_batch (capacity len(buf), at most
// len(lens) messages), returning the status and how many were received.
func RecvBatchDirect(h Consumer, buf []byte, lens []uint32) (status, n int) {
	var r C.ib_go_result
	switch {
	case len(lens) == 0:
		r = C.ib_go_recv_batch(C.uintptr_t(h), nil, 0, nil, 0)
	case len(buf) == 0:
		r = C.ib_go_recv_batch(C.uintptr_t(h), nil, 0, (*C.uint32_t)(&lens[0]), C.size_t(len(lens)))
	default:
		r = C.ib_go_recv_batch(C.uintptr_t(h), (*C.uint8_t)(&buf[0]), C.size_t(len(buf)),
			(*C.uint32_t)(&lens[0]), C.size_t(len(lens)))
	}
	return int(r.status), int(r.n)
}

// PublishDirect is Indexbus_publish.
func PublishDirect(h Producer, msg []byte) (status int) {
	if len(msg) == 0 {
		return int(C.ib_go_publish(C.uintptr_t(h), nil, 0))
	}
	return int(C.ib_go_publish(C.uintptr_t(h), (*C.uint8_t)(&msg[0]), C.size_t(len(msg))))
}

// PublishWaitDirect is Indexbus_publish_wait, the payload passed as
// PublishDirect passes it.
func PublishWaitDirect(h Producer, msg []byte, timeoutNs uint64) (status int) {
	if len(msg) == 0 {
		return int(C.ib_go_publish_wait(C.uintptr_t(h), nil, 0, C.uint64_t(timeoutNs)))
	}
	return int(C.ib_go_publish_wait(C.uintptr_t(h), (*C.uint8_t)(&msg[0]), C.size_t(len(msg)),
		C.uint64_t(timeoutNs)))
}

// TryRecvDirect is Indexbus_try_recv (capacity len(buf)), returning the
// status and the message length.
func TryRecvDirect(h Consumer, buf []byte) (status, n int) {
	var r C.ib_go_result
	if len(buf) == 0 {
		r = C.ib_go_try_recv(C.uintptr_t(h), nil, 0)
	} else {
		r = C.ib_go_try_recv(C.uintptr_t(h), (*C.uint8_t)(&buf[0]), C.size_t(len(buf)))
	}
	return int(r.status), int(r.n)
}

// StreamWriteDirect is Indexbus_stream_write, returning the status and
// the bytes written; the payload is passed as PublishDirect passes it.
func StreamWriteDirect(h StreamWriter, data []byte) (status, n int) {
	var r C.ib_go_result
	if len(data) == 0 {
		r = C.ib_go_stream_write(C.uintptr_t(h), nil, 0)
	} else {
		r = C.ib_go_stream_write(C.uintptr_t(h), (*C.uint8_t)(&data[0]), C.size_t(len(data)))
	}
	return int(r.status), int(r.n)
}

// StreamWriteAllDirect is Indexbus_stream_write_all, returning the status
// and the bytes written (on TIMEOUT and DISCONNECTED too).
func StreamWriteAllDirect(h StreamWriter, data []byte, timeoutNs uint64) (status, n int) {
	var r C.ib_go_result
	if len(data) == 0 {
		r = C.ib_go_stream_write_all(C.uintptr_t(h), nil, 0, C.uint64_t(timeoutNs))
	} else {
		r = C.ib_go_stream_write_all(C.uintptr_t(h), (*C.uint8_t)(&data[0]), C.size_t(len(data)),
			C.uint64_t(timeoutNs))
	}
	return int(r.status), int(r.n)
}

// StreamReadDirect is Indexbus_stream_read (capacity len(buf)), returning
// the status and the bytes read.
func StreamReadDirect(h StreamReader, buf []byte, timeoutNs uint64) (status, n int) {
	var r C.ib_go_result
	if len(buf) == 0 {
		r = C.ib_go_stream_read(C.uintptr_t(h), nil, 0, C.uint64_t(timeoutNs))
	} else {
		r = C.ib_go_stream_read(C.uintptr_t(h), (*C.uint8_t)(&buf[0]), C.size_t(len(buf)),
			C.uint64_t(timeoutNs))
	}
	return int(r.status), int(r.n)
}

// Status codes (enum indexbus_status); the values are the header's.
const (
	INDEXBUS_OK               = int(C.INDEXBUS_OK)
	INDEXBUS_FULL             = int(C.INDEXBUS_FULL)
	INDEXBUS_EMPTY            = int(C.INDEXBUS_EMPTY)
	INDEXBUS_TOO_LARGE        = int(C.INDEXBUS_TOO_LARGE)
	INDEXBUS_BUFFER_TOO_SMALL = int(C.INDEXBUS_BUFFER_TOO_SMALL)
	INDEXBUS_INCOMPATIBLE     = int(C.INDEXBUS_INCOMPATIBLE)
	INDEXBUS_NOT_READY        = int(C.INDEXBUS_NOT_READY)
	INDEXBUS_INVALID_ARGUMENT = int(C.INDEXBUS_INVALID_ARGUMENT)
	INDEXBUS_WRONG_KIND       = int(C.INDEXBUS_WRONG_KIND)
	INDEXBUS_TIMEOUT          = int(C.INDEXBUS_TIMEOUT)
	INDEXBUS_DISCONNECTED     = int(C.INDEXBUS_DISCONNECTED)
	INDEXBUS_CORRUPT          = int(C.INDEXBUS_CORRUPT)
	INDEXBUS_PERMISSION       = int(C.INDEXBUS_PERMISSION)
	INDEXBUS_EXISTS           = int(C.INDEXBUS_EXISTS)
	INDEXBUS_NOT_FOUND        = int(C.INDEXBUS_NOT_FOUND)
	INDEXBUS_IO               = int(C.INDEXBUS_IO)
	INDEXBUS_BUSY             = int(C.INDEXBUS_BUSY)
	INDEXBUS_NO_MEMORY        = int(C.INDEXBUS_NO_MEMORY)
	INDEXBUS_OUT_OF_RANGE     = int(C.INDEXBUS_OUT_OF_RANGE)
	INDEXBUS_BAD_STATE        = int(C.INDEXBUS_BAD_STATE)
)

// What Indexbus_struct_size measures (enum indexbus_struct); the values are the header's.
const (
	INDEXBUS_STRUCT_REGION_CONFIG      = uint32(C.INDEXBUS_STRUCT_REGION_CONFIG)
	INDEXBUS_STRUCT_OPEN_CONFIG        = uint32(C.INDEXBUS_STRUCT_OPEN_CONFIG)
	INDEXBUS_STRUCT_INFO               = uint32(C.INDEXBUS_STRUCT_INFO)
	INDEXBUS_STRUCT_CONSUMER_STATS     = uint32(C.INDEXBUS_STRUCT_CONSUMER_STATS)
	INDEXBUS_STRUCT_ROUTE_RESULT       = uint32(C.INDEXBUS_STRUCT_ROUTE_RESULT)
	INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG = uint32(C.INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG)
	INDEXBUS_STRUCT_PARTICIPANT_INFO   = uint32(C.INDEXBUS_STRUCT_PARTICIPANT_INFO)
	INDEXBUS_STRUCT_RECOVER_REPORT     = uint32(C.INDEXBUS_STRUCT_RECOVER_REPORT)
)

// Macro values that are expressions in the header.
const (
	INDEXBUS_VERSION_NUMBER   = int(C.INDEXBUS_VERSION_NUMBER)
	INDEXBUS_CAP_EVENTS       = uint64(C.INDEXBUS_CAP_EVENTS)
	INDEXBUS_CAP_FANOUT       = uint64(C.INDEXBUS_CAP_FANOUT)
	INDEXBUS_CAP_MPSC         = uint64(C.INDEXBUS_CAP_MPSC)
	INDEXBUS_CAP_BLOCKING     = uint64(C.INDEXBUS_CAP_BLOCKING)
	INDEXBUS_CAP_COUNTERS     = uint64(C.INDEXBUS_CAP_COUNTERS)
	INDEXBUS_CAP_PARTICIPANTS = uint64(C.INDEXBUS_CAP_PARTICIPANTS)
	INDEXBUS_CAP_SPSC_RECYCLE = uint64(C.INDEXBUS_CAP_SPSC_RECYCLE)
	INDEXBUS_CAP_KNOWN_INCOMPAT = uint64(C.INDEXBUS_CAP_KNOWN_INCOMPAT)
	INDEXBUS_CAP_LOG          = uint64(C.INDEXBUS_CAP_LOG)
	INDEXBUS_CAP_BYTE_LOG     = uint64(C.INDEXBUS_CAP_BYTE_LOG)
	INDEXBUS_CAP_STREAM       = uint64(C.INDEXBUS_CAP_STREAM)
	INDEXBUS_CAP_RPC          = uint64(C.INDEXBUS_CAP_RPC)
	INDEXBUS_CAP_BYTE_STREAM  = uint64(C.INDEXBUS_CAP_BYTE_STREAM)
	INDEXBUS_CAP_RPC_CELLS    = uint64(C.INDEXBUS_CAP_RPC_CELLS)
	INDEXBUS_CAP_FANOUT_RECYCLE = uint64(C.INDEXBUS_CAP_FANOUT_RECYCLE)
	INDEXBUS_CAP_MPSC_BATCH   = uint64(C.INDEXBUS_CAP_MPSC_BATCH)
	INDEXBUS_CAP_MPSC_RECYCLE = uint64(C.INDEXBUS_CAP_MPSC_RECYCLE)
	INDEXBUS_RPC_MAX_MESSAGE  = uint(C.INDEXBUS_RPC_MAX_MESSAGE)
	INDEXBUS_LOG_MAX_BYTES    = uint(C.INDEXBUS_LOG_MAX_BYTES)
	INDEXBUS_LOG_DEFAULT_BYTES = uint(C.INDEXBUS_LOG_DEFAULT_BYTES)
	INDEXBUS_MAX_SLOTS        = uint(C.INDEXBUS_MAX_SLOTS)
	INDEXBUS_MAX_SLOT_DATA    = uint(C.INDEXBUS_MAX_SLOT_DATA)
	INDEXBUS_MAX_QUEUE        = uint(C.INDEXBUS_MAX_QUEUE)
)

// RegionConfig mirrors indexbus_region_config.
type RegionConfig struct {
	Size          uint32
	Kind          uint32
	SlotCount     uint32
	SlotDataSize  uint32
	QueueCapacity uint32
	ConsumerCount uint32
	Mode          uint32
	Flags         uint32
	MaxRecord     uint32 // 1.1
	Reserved      uint32
	ByteCapacity  uint64 // 1.1
}

// OpenConfig mirrors indexbus_open_config.
type OpenConfig struct {
	Size           uint32
	Flags          uint32
	ReadyTimeoutNs uint64
}

// Info mirrors indexbus_info.
type Info struct {
	Size             uint32
	Kind             uint32
	LayoutMajor      uint32
	LayoutMinor      uint32
	Capabilities     uint64
	TotalBytes       uint64
	SlotCount        uint32
	SlotDataSize     uint32
	QueueCapacity    uint32
	ConsumerCount    uint32
	CreatorPid       uint32
	FreeSlots        uint32
	CreationTimeNs   uint64
	Published        uint64
	Routed           uint64
	RouteNoSpace     uint64
	ProducersLive    uint32
	ConsumersLive    uint32
	RoutersLive      uint32
	ParticipantsLive uint32
	SpscDepth        uint64
	MpscDepth        uint64
	ByteCapacity     uint64 // 1.1 from here on
	MaxRecord        uint32
	Reserved         uint32
	BytesUsed        uint64
	BytesFree        uint64
	BytesPadding     uint64
	RecordsWaiting   uint64
	StreamFlags      uint32 // streams and request/response (1.1)
	StreamWriters    uint32
	WritersAborted   uint32
	RpcCells         uint32
	RpcCellsFree     uint32
	MaxRequest       uint32
	MaxReply         uint32
	Reserved2        uint32
	StreamBytesRead  uint64
	RpcRepliesAbandoned uint64
	RpcRequestsFailed   uint64
}

// ConsumerStats mirrors indexbus_consumer_stats.
type ConsumerStats struct {
	Size            uint32
	Attached        uint32
	Delivered       uint64
	DroppedFull     uint64
	DroppedNoCredit uint64
	Depth           uint64
}

// RouteResult mirrors indexbus_route_result.
type RouteResult struct {
	Size                uint32
	Routed              uint32
	Delivered           uint32
	DroppedFull         uint32
	DroppedNoCredit     uint32
	Reserved            uint32
	DeliveredMask       uint64
	DroppedFullMask     uint64
	DroppedNoCreditMask uint64
}

// RouterLoopConfig mirrors indexbus_router_loop_config.
type RouterLoopConfig struct {
	Size       uint32
	Source     uint32
	Mode       uint32
	Flags      uint32
	SpinIters  uint32
	YieldIters uint32
	ParkNs     uint64
	Routed     uint64
}

// Sizes of the C structs, for the mirrors' Size fields.
const (
	RegionConfigSize     = uint32(unsafe.Sizeof(C.indexbus_region_config{}))
	OpenConfigSize       = uint32(unsafe.Sizeof(C.indexbus_open_config{}))
	InfoSize             = uint32(unsafe.Sizeof(C.indexbus_info{}))
	ConsumerStatsSize    = uint32(unsafe.Sizeof(C.indexbus_consumer_stats{}))
	RouteResultSize      = uint32(unsafe.Sizeof(C.indexbus_route_result{}))
	RouterLoopConfigSize = uint32(unsafe.Sizeof(C.indexbus_router_loop_config{}))
)

// Compile-time layout checks: each index is 0 only if the Go and C values
// agree; any difference fails to compile (index out of range or overflow).
var (
	_ = [1]int{}[unsafe.Sizeof(int(0))-unsafe.Sizeof(C.size_t(0))]
	_ = [1]int{}[unsafe.Sizeof(Span{})-unsafe.Sizeof(C.ib_go_span_t{})]
	_ = [1]int{}[unsafe.Offsetof(Span{}.Len)-unsafe.Offsetof(C.ib_go_span_t{}.len)]

	_ = [1]int{}[unsafe.Sizeof(RegionConfig{})-unsafe.Sizeof(C.indexbus_region_config{})]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.Kind)-unsafe.Offsetof(C.indexbus_region_config{}.kind)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.SlotCount)-unsafe.Offsetof(C.indexbus_region_config{}.slot_count)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.SlotDataSize)-unsafe.Offsetof(C.indexbus_region_config{}.slot_data_size)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.QueueCapacity)-unsafe.Offsetof(C.indexbus_region_config{}.queue_capacity)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.ConsumerCount)-unsafe.Offsetof(C.indexbus_region_config{}.consumer_count)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.Mode)-unsafe.Offsetof(C.indexbus_region_config{}.mode)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.Flags)-unsafe.Offsetof(C.indexbus_region_config{}.flags)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.MaxRecord)-unsafe.Offsetof(C.indexbus_region_config{}.max_record)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.Reserved)-unsafe.Offsetof(C.indexbus_region_config{}.reserved)]
	_ = [1]int{}[unsafe.Offsetof(RegionConfig{}.ByteCapacity)-unsafe.Offsetof(C.indexbus_region_config{}.byte_capacity)]

	_ = [1]int{}[unsafe.Sizeof(OpenConfig{})-unsafe.Sizeof(C.indexbus_open_config{})]
	_ = [1]int{}[unsafe.Offsetof(OpenConfig{}.Flags)-unsafe.Offsetof(C.indexbus_open_config{}.flags)]
	_ = [1]int{}[unsafe.Offsetof(OpenConfig{}.ReadyTimeoutNs)-unsafe.Offsetof(C.indexbus_open_config{}.ready_timeout_ns)]

	_ = [1]int{}[unsafe.Sizeof(Info{})-unsafe.Sizeof(C.indexbus_info{})]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Kind)-unsafe.Offsetof(C.indexbus_info{}.kind)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.LayoutMajor)-unsafe.Offsetof(C.indexbus_info{}.layout_major)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.LayoutMinor)-unsafe.Offsetof(C.indexbus_info{}.layout_minor)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Capabilities)-unsafe.Offsetof(C.indexbus_info{}.capabilities)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.TotalBytes)-unsafe.Offsetof(C.indexbus_info{}.total_bytes)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.SlotCount)-unsafe.Offsetof(C.indexbus_info{}.slot_count)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.SlotDataSize)-unsafe.Offsetof(C.indexbus_info{}.slot_data_size)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.QueueCapacity)-unsafe.Offsetof(C.indexbus_info{}.queue_capacity)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.ConsumerCount)-unsafe.Offsetof(C.indexbus_info{}.consumer_count)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.CreatorPid)-unsafe.Offsetof(C.indexbus_info{}.creator_pid)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.FreeSlots)-unsafe.Offsetof(C.indexbus_info{}.free_slots)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.CreationTimeNs)-unsafe.Offsetof(C.indexbus_info{}.creation_time_ns)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Published)-unsafe.Offsetof(C.indexbus_info{}.published)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Routed)-unsafe.Offsetof(C.indexbus_info{}.routed)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RouteNoSpace)-unsafe.Offsetof(C.indexbus_info{}.route_no_space)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.ProducersLive)-unsafe.Offsetof(C.indexbus_info{}.producers_live)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.ConsumersLive)-unsafe.Offsetof(C.indexbus_info{}.consumers_live)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RoutersLive)-unsafe.Offsetof(C.indexbus_info{}.routers_live)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.ParticipantsLive)-unsafe.Offsetof(C.indexbus_info{}.participants_live)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.SpscDepth)-unsafe.Offsetof(C.indexbus_info{}.spsc_depth)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.MpscDepth)-unsafe.Offsetof(C.indexbus_info{}.mpsc_depth)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.ByteCapacity)-unsafe.Offsetof(C.indexbus_info{}.byte_capacity)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.MaxRecord)-unsafe.Offsetof(C.indexbus_info{}.max_record)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Reserved)-unsafe.Offsetof(C.indexbus_info{}.reserved)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.BytesUsed)-unsafe.Offsetof(C.indexbus_info{}.bytes_used)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.BytesFree)-unsafe.Offsetof(C.indexbus_info{}.bytes_free)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.BytesPadding)-unsafe.Offsetof(C.indexbus_info{}.bytes_padding)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RecordsWaiting)-unsafe.Offsetof(C.indexbus_info{}.records_waiting)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.StreamFlags)-unsafe.Offsetof(C.indexbus_info{}.stream_flags)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.StreamWriters)-unsafe.Offsetof(C.indexbus_info{}.stream_writers)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.WritersAborted)-unsafe.Offsetof(C.indexbus_info{}.writers_aborted)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RpcCells)-unsafe.Offsetof(C.indexbus_info{}.rpc_cells)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RpcCellsFree)-unsafe.Offsetof(C.indexbus_info{}.rpc_cells_free)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.MaxRequest)-unsafe.Offsetof(C.indexbus_info{}.max_request)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.MaxReply)-unsafe.Offsetof(C.indexbus_info{}.max_reply)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.Reserved2)-unsafe.Offsetof(C.indexbus_info{}.reserved2)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.StreamBytesRead)-unsafe.Offsetof(C.indexbus_info{}.stream_bytes_read)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RpcRepliesAbandoned)-unsafe.Offsetof(C.indexbus_info{}.rpc_replies_abandoned)]
	_ = [1]int{}[unsafe.Offsetof(Info{}.RpcRequestsFailed)-unsafe.Offsetof(C.indexbus_info{}.rpc_requests_failed)]

	_ = [1]int{}[unsafe.Sizeof(ConsumerStats{})-unsafe.Sizeof(C.indexbus_consumer_stats{})]
	_ = [1]int{}[unsafe.Offsetof(ConsumerStats{}.Attached)-unsafe.Offsetof(C.indexbus_consumer_stats{}.attached)]
	_ = [1]int{}[unsafe.Offsetof(ConsumerStats{}.Delivered)-unsafe.Offsetof(C.indexbus_consumer_stats{}.delivered)]
	_ = [1]int{}[unsafe.Offsetof(ConsumerStats{}.DroppedFull)-unsafe.Offsetof(C.indexbus_consumer_stats{}.dropped_full)]
	_ = [1]int{}[unsafe.Offsetof(ConsumerStats{}.DroppedNoCredit)-unsafe.Offsetof(C.indexbus_consumer_stats{}.dropped_no_credit)]
	_ = [1]int{}[unsafe.Offsetof(ConsumerStats{}.Depth)-unsafe.Offsetof(C.indexbus_consumer_stats{}.depth)]

	_ = [1]int{}[unsafe.Sizeof(RouteResult{})-unsafe.Sizeof(C.indexbus_route_result{})]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.Routed)-unsafe.Offsetof(C.indexbus_route_result{}.routed)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.Delivered)-unsafe.Offsetof(C.indexbus_route_result{}.delivered)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.DroppedFull)-unsafe.Offsetof(C.indexbus_route_result{}.dropped_full)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.DroppedNoCredit)-unsafe.Offsetof(C.indexbus_route_result{}.dropped_no_credit)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.Reserved)-unsafe.Offsetof(C.indexbus_route_result{}.reserved)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.DeliveredMask)-unsafe.Offsetof(C.indexbus_route_result{}.delivered_mask)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.DroppedFullMask)-unsafe.Offsetof(C.indexbus_route_result{}.dropped_full_mask)]
	_ = [1]int{}[unsafe.Offsetof(RouteResult{}.DroppedNoCreditMask)-unsafe.Offsetof(C.indexbus_route_result{}.dropped_no_credit_mask)]

	_ = [1]int{}[unsafe.Sizeof(RouterLoopConfig{})-unsafe.Sizeof(C.indexbus_router_loop_config{})]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.Source)-unsafe.Offsetof(C.indexbus_router_loop_config{}.source)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.Mode)-unsafe.Offsetof(C.indexbus_router_loop_config{}.mode)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.Flags)-unsafe.Offsetof(C.indexbus_router_loop_config{}.flags)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.SpinIters)-unsafe.Offsetof(C.indexbus_router_loop_config{}.spin_iters)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.YieldIters)-unsafe.Offsetof(C.indexbus_router_loop_config{}.yield_iters)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.ParkNs)-unsafe.Offsetof(C.indexbus_router_loop_config{}.park_ns)]
	_ = [1]int{}[unsafe.Offsetof(RouterLoopConfig{}.Routed)-unsafe.Offsetof(C.indexbus_router_loop_config{}.routed)]
)
%}
