package indexbus

import (
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// Kind is the kind of a region.
type Kind uint32

const (
	// KindEvents: SPSC and MPSC producers feed one consumer (index 0).
	KindEvents Kind = Kind(swig.INDEXBUS_KIND_EVENTS)
	// KindFanout: producers feed a router that broadcasts to, or
	// load-balances across, up to 64 consumer queues.
	KindFanout Kind = Kind(swig.INDEXBUS_KIND_FANOUT)
	// KindLog (layout 1.1): a byte log. Records of any length up to
	// Config.MaxRecord are stored inline in a byte ring of
	// Config.ByteCapacity bytes; one SPSC producer or any number of MPSC
	// producers (not both at once: ErrBusy) feed one consumer (index 0).
	KindLog Kind = Kind(swig.INDEXBUS_KIND_LOG)
	// KindStream (layout 1.1): a byte stream, a pipe in shared memory on
	// a byte ring of Config.ByteCapacity bytes. Any number of writers
	// (OpenStreamWriter), one reader (OpenStreamReader); end of stream and
	// reader-gone are latched in the region.
	KindStream Kind = Kind(swig.INDEXBUS_KIND_STREAM)
	// KindRPC (layout 1.1): request/response through Config.Cells reusable
	// reply cells. Any number of clients (OpenRPCClient) and servers
	// (OpenRPCServer, a work queue).
	KindRPC Kind = Kind(swig.INDEXBUS_KIND_RPC)
)

// String returns "events", "fanout", "log", "stream", "rpc" or "Kind(n)".
func (k Kind) String() string {
	switch k {
	case KindEvents:
		return "events"
	case KindFanout:
		return "fanout"
	case KindLog:
		return "log"
	case KindStream:
		return "stream"
	case KindRPC:
		return "rpc"
	}
	return fmt.Sprintf("Kind(%d)", uint32(k))
}

// Capability bits of a region (Info.Capabilities).
const (
	CapEvents       = swig.INDEXBUS_CAP_EVENTS
	CapFanout       = swig.INDEXBUS_CAP_FANOUT
	CapMPSC         = swig.INDEXBUS_CAP_MPSC
	CapBlocking     = swig.INDEXBUS_CAP_BLOCKING
	CapCounters     = swig.INDEXBUS_CAP_COUNTERS
	CapParticipants = swig.INDEXBUS_CAP_PARTICIPANTS
	CapSPSCRecycle  = swig.INDEXBUS_CAP_SPSC_RECYCLE // SPSC slots recycle through their queue cells
	CapLog          = swig.INDEXBUS_CAP_LOG          // a byte log (compat bit, informational)
	CapByteLog      = swig.INDEXBUS_CAP_BYTE_LOG     // a byte log (incompat bit: 1.0 readers refuse it)
	CapStream       = swig.INDEXBUS_CAP_STREAM       // a byte stream (compat bit, informational)
	CapByteStream   = swig.INDEXBUS_CAP_BYTE_STREAM  // a byte stream (incompat bit)
	CapRPC          = swig.INDEXBUS_CAP_RPC          // request/response (compat bit, informational)
	CapRPCCells     = swig.INDEXBUS_CAP_RPC_CELLS    // request/response (incompat bit)
	// Layout 1.3 (incompat bits): set by Config.Recycle and Config.MPSCBatch.
	CapFanoutRecycle = swig.INDEXBUS_CAP_FANOUT_RECYCLE // fanout slots recycle through queue cells
	CapMPSCBatch     = swig.INDEXBUS_CAP_MPSC_BATCH     // MPSC batches reserve their cells at once
	CapMPSCRecycle   = swig.INDEXBUS_CAP_MPSC_RECYCLE   // events: MPSC slots recycle through MPSC cells
)

// Request/response limits: Config.MaxRequest and Config.MaxReply are in
// [RPCMinMessage, RPCMaxMessage], RPCDefaultMessage when 0; Config.Cells
// is at most RPCMaxCells, RPCDefaultCells when 0.
const (
	RPCMinMessage     = uint32(swig.INDEXBUS_RPC_MIN_MESSAGE)
	RPCMaxMessage     = uint32(swig.INDEXBUS_RPC_MAX_MESSAGE)
	RPCDefaultMessage = uint32(swig.INDEXBUS_RPC_DEFAULT_MAX_MESSAGE)
	RPCMaxCells       = uint32(swig.INDEXBUS_RPC_MAX_CELLS)
	RPCDefaultCells   = uint32(swig.INDEXBUS_RPC_DEFAULT_CELLS)
)

// Byte-log limits: ByteCapacity is a power of two in
// [LogMinBytes, LogMaxBytes], LogDefaultBytes when 0.
const (
	LogMinBytes     = uint64(swig.INDEXBUS_LOG_MIN_BYTES)
	LogMaxBytes     = uint64(swig.INDEXBUS_LOG_MAX_BYTES)
	LogDefaultBytes = uint64(swig.INDEXBUS_LOG_DEFAULT_BYTES)
)

// Config describes a region for Create. The zero value is a default events
// region; every zero field takes the library default.
//
// A byte log (KindLog) or byte stream (KindStream) has no slots: leave
// SlotCount, SlotDataSize and QueueCapacity 0 (ConsumerCount 0 or 1) and
// size it with ByteCapacity and MaxRecord, which in turn apply to byte logs
// and streams only (ErrInvalidArgument otherwise). A request/response
// region (KindRPC) is sized with Cells, MaxRequest and MaxReply only, which
// apply to it alone.
type Config struct {
	Kind          Kind        // KindEvents (also for 0), KindFanout, KindLog, KindStream or KindRPC
	SlotCount     uint32      // power of two, 2..1Mi; 0 = 2048 (events) or 1024 (fanout)
	SlotDataSize  uint32      // bytes per message, multiple of 8, 64..1 MiB; 0 = 256
	QueueCapacity uint32      // power of two; 0 = SlotCount if set, else 1024 (events: SPSC slots recycle)
	ConsumerCount uint32      // events: 1; fanout: 1..64; 0 = 1 (events) or 4 (fanout)
	Mode          fs.FileMode // permission bits of the shm object or file; 0 = 0600
	Prefault      bool        // touch every page at creation
	// Events and fanout: recycle slots through the queue cells instead of
	// the slot pool (layout 1.3): fanout consumers' slots go back to the
	// SPSC producer through the router (CapFanoutRecycle), events MPSC slots
	// through the MPSC cells (CapMPSCRecycle). Needs SlotCount at least
	// twice QueueCapacity; other kinds refuse it (ErrInvalidArgument).
	Recycle bool
	// Events and fanout: MPSC producers reserve the queue cells of a whole
	// batch at once (layout 1.3, CapMPSCBatch); other kinds refuse it
	// (ErrInvalidArgument).
	MPSCBatch bool
	// Byte logs and streams: ring bytes, a power of two, 4 KiB..1 GiB;
	// 0 = 1 MiB.
	ByteCapacity uint64
	// Byte logs and streams: the largest record payload, at most
	// ByteCapacity/2 - 8; 0 = 64 KiB, or ByteCapacity/2 - 8 if that is
	// less. A stream splits a write into records of at most this, and
	// keeps one write of at most this many bytes in one piece.
	MaxRecord uint32
	// Request/response: reply cells, 1..4096 (any count); 0 = 64. At most
	// this many requests are outstanding at once.
	Cells uint32
	// Request/response: the largest request and the largest reply,
	// 8 bytes..16 MiB each; 0 = 4096.
	MaxRequest uint32
	MaxReply   uint32
}

// Region is an open IndexBus region. Open producers, consumers and a router
// on it; they keep the mapping alive even after the Region is closed.
//
// A Region is safe for concurrent use; its calls are serialised.
type Region struct {
	mu   sync.Mutex
	h    swig.Region // 0 once closed
	name string
	out  *regionOut // out-parameters (see callOut), guarded by mu
}

// regionOut holds a Region's out-parameters; pointer-free, see callOut.
type regionOut struct {
	info    swig.Info
	stats   swig.ConsumerStats
	flags   uint32 // StreamState
	aborted uint32
}

// checkName rejects names C would see differently: a Go string may hold NUL
// bytes, a C string ends at the first one.
func checkName(op, name string) error {
	if strings.IndexByte(name, 0) >= 0 {
		return &Error{Code: StatusInvalidArgument, Op: op, Detail: "name contains a NUL byte"}
	}
	return nil
}

// Create creates the region name exclusively (ErrExists if the name is
// taken) and maps it. A name with no '/' after its first character
// ("orders", "/orders") is POSIX shared memory; anything else is a file
// path.
func Create(name string, cfg Config) (*Region, error) {
	const op = "create"
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	if err := checkName(op, name); err != nil {
		return nil, err
	}
	kind := cfg.Kind
	if kind == 0 {
		kind = KindEvents
	}
	if kind != KindLog && kind != KindStream && (cfg.ByteCapacity != 0 || cfg.MaxRecord != 0) {
		return nil, &Error{Code: StatusInvalidArgument, Op: op,
			Detail: "ByteCapacity and MaxRecord apply to byte logs and streams only"}
	}
	if kind != KindRPC && (cfg.Cells != 0 || cfg.MaxRequest != 0 || cfg.MaxReply != 0) {
		return nil, &Error{Code: StatusInvalidArgument, Op: op,
			Detail: "Cells, MaxRequest and MaxReply apply to request/response regions (KindRPC) only"}
	}
	if kind == KindRPC && (cfg.SlotCount != 0 || cfg.SlotDataSize != 0) {
		return nil, &Error{Code: StatusInvalidArgument, Op: op,
			Detail: "a request/response region is sized by Cells, MaxRequest and MaxReply"}
	}
	// For events and fanout the library fills in the 1.0 struct (Size 32),
	// so it reads no byte-log fields; for a byte log the whole struct.
	var c swig.RegionConfig
	if err := check(op, swig.Indexbus_region_config_init(&c, uint32(kind))); err != nil {
		return nil, err
	}
	if cfg.SlotCount != 0 {
		c.SlotCount = cfg.SlotCount
		c.QueueCapacity = 0 // the library then follows the slot count
	}
	if cfg.SlotDataSize != 0 {
		c.SlotDataSize = cfg.SlotDataSize
	}
	if cfg.QueueCapacity != 0 {
		c.QueueCapacity = cfg.QueueCapacity
	}
	if cfg.ConsumerCount != 0 {
		c.ConsumerCount = cfg.ConsumerCount
	}
	if cfg.Mode != 0 {
		c.Mode = uint32(cfg.Mode) // non-permission bits make the library refuse it
	}
	if cfg.Prefault {
		c.Flags |= uint32(swig.INDEXBUS_CREATE_PREFAULT)
	}
	if cfg.Recycle {
		c.Flags |= uint32(swig.INDEXBUS_CREATE_RECYCLE)
	}
	if cfg.MPSCBatch {
		c.Flags |= uint32(swig.INDEXBUS_CREATE_MPSC_BATCH)
	}
	if cfg.ByteCapacity != 0 {
		c.ByteCapacity = cfg.ByteCapacity
	}
	if cfg.MaxRecord != 0 {
		c.MaxRecord = cfg.MaxRecord
	}
	// request/response: the C config's slot count, slot data size and
	// max record are the cells, the largest request and the largest reply
	if cfg.Cells != 0 {
		c.SlotCount = cfg.Cells
	}
	if cfg.MaxRequest != 0 {
		c.SlotDataSize = cfg.MaxRequest
	}
	if cfg.MaxReply != 0 {
		c.MaxRecord = cfg.MaxReply
	}
	var h swig.Region
	if err := check(op, swig.Indexbus_region_create(name, &c, &h)); err != nil {
		return nil, err
	}
	return &Region{h: h, name: name, out: new(regionOut)}, nil
}

// OpenOption configures Open.
type OpenOption func(*openOptions)

type openOptions struct {
	readyTimeout time.Duration
	set          bool
}

// WithReadyTimeout sets how long Open waits for a creator that has not
// finished initialising the region (ErrNotReady after that). The default is
// one second.
func WithReadyTimeout(d time.Duration) OpenOption {
	return func(o *openOptions) {
		o.readyTimeout = max(d, 0)
		o.set = true
	}
}

// Open opens and validates an existing region: ErrNotFound if there is
// none, ErrIncompatible if it is not an IndexBus region or has a layout this
// library cannot read, ErrCorrupt if its header is inconsistent.
func Open(name string, opts ...OpenOption) (*Region, error) {
	const op = "open"
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	if err := checkName(op, name); err != nil {
		return nil, err
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	var cfg *swig.OpenConfig // nil: library defaults
	if o.set {
		cfg = &swig.OpenConfig{Size: swig.OpenConfigSize, ReadyTimeoutNs: uint64(o.readyTimeout)}
	}
	var h swig.Region
	if err := check(op, swig.Indexbus_region_open(name, cfg, &h)); err != nil {
		return nil, err
	}
	return &Region{h: h, name: name, out: new(regionOut)}, nil
}

// Unlink removes the region's name. Processes that have it mapped keep
// working; the memory goes away with the last of them.
func Unlink(name string) error {
	const op = "unlink"
	if err := checkName(op, name); err != nil {
		return err
	}
	return check(op, swig.Indexbus_region_unlink(name))
}

// Name returns the name the region was created or opened with.
func (r *Region) Name() string { return r.name }

// Close drops this handle. Producers, consumers and routers opened on the
// region stay usable until they are closed themselves. Closing twice
// returns ErrClosed.
func (r *Region) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return closedError("region close")
	}
	h := r.h
	r.h = 0
	return check("region close", swig.Indexbus_region_close(h))
}

// Info is a snapshot of a region's geometry, counters and participants.
type Info struct {
	Kind             Kind
	LayoutMajor      uint32
	LayoutMinor      uint32
	Capabilities     uint64 // Cap* bits
	TotalBytes       uint64 // layout size
	SlotCount        uint32
	SlotDataSize     uint32 // largest message
	QueueCapacity    uint32
	ConsumerCount    uint32
	CreatorPID       int
	FreeSlots        uint32 // exact only when the region is quiet
	CreationTime     time.Time
	Published        uint64 // by SPSC and MPSC producers
	Routed           uint64
	RouteNoSpace     uint64 // routing steps that found no room
	ProducersLive    uint32
	ConsumersLive    uint32
	RoutersLive      uint32
	ParticipantsLive uint32
	SPSCDepth        uint64 // messages waiting in the SPSC producer queue
	MPSCDepth        uint64 // messages waiting in the MPSC producer queue

	// Byte logs only (0 for events and fanout regions); like the
	// counters above, exact only when the region is quiet.
	ByteCapacity   uint64 // ring bytes
	MaxRecord      uint32 // largest record payload
	BytesUsed      uint64 // reserved and not yet given back by the consumer
	BytesFree      uint64 // ByteCapacity - BytesUsed
	BytesPadding   uint64 // of the unread bytes, padding (the wrap, aborts, dead writers)
	RecordsWaiting uint64 // committed records not yet received

	// Byte streams only (0 for other kinds).
	StreamFlags     StreamFlags // the latched state (see StreamState)
	StreamWriters   uint32      // writers attached now
	WritersAborted  uint32      // writers that died (recovered) or aborted, saturating at 4095
	StreamBytesRead uint64      // bytes the reader has taken

	// Request/response only (0 for other kinds).
	RPCCells            uint32 // reply cells
	RPCCellsFree        uint32 // a snapshot
	MaxRequest          uint32 // largest request
	MaxReply            uint32 // largest reply
	RPCRepliesAbandoned uint64 // replies whose client had given up or died
	RPCRequestsFailed   uint64 // requests failed because their server closed or died
}

// Info returns a snapshot of the region's state.
func (r *Region) Info() (Info, error) {
	const op = "info"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return Info{}, closedError(op)
	}
	r.out.info = swig.Info{Size: swig.InfoSize}
	if err := check(op, swig.Indexbus_region_info(r.h, &r.out.info)); err != nil {
		return Info{}, err
	}
	c := &r.out.info
	return Info{
		Kind:             Kind(c.Kind),
		LayoutMajor:      c.LayoutMajor,
		LayoutMinor:      c.LayoutMinor,
		Capabilities:     c.Capabilities,
		TotalBytes:       c.TotalBytes,
		SlotCount:        c.SlotCount,
		SlotDataSize:     c.SlotDataSize,
		QueueCapacity:    c.QueueCapacity,
		ConsumerCount:    c.ConsumerCount,
		CreatorPID:       int(c.CreatorPid),
		FreeSlots:        c.FreeSlots,
		CreationTime:     time.Unix(0, int64(c.CreationTimeNs)),
		Published:        c.Published,
		Routed:           c.Routed,
		RouteNoSpace:     c.RouteNoSpace,
		ProducersLive:    c.ProducersLive,
		ConsumersLive:    c.ConsumersLive,
		RoutersLive:      c.RoutersLive,
		ParticipantsLive: c.ParticipantsLive,
		SPSCDepth:        c.SpscDepth,
		MPSCDepth:        c.MpscDepth,
		ByteCapacity:     c.ByteCapacity,
		MaxRecord:        c.MaxRecord,
		BytesUsed:        c.BytesUsed,
		BytesFree:        c.BytesFree,
		BytesPadding:     c.BytesPadding,
		RecordsWaiting:   c.RecordsWaiting,

		StreamFlags:     StreamFlags(c.StreamFlags),
		StreamWriters:   c.StreamWriters,
		WritersAborted:  c.WritersAborted,
		StreamBytesRead: c.StreamBytesRead,

		RPCCells:            c.RpcCells,
		RPCCellsFree:        c.RpcCellsFree,
		MaxRequest:          c.MaxRequest,
		MaxReply:            c.MaxReply,
		RPCRepliesAbandoned: c.RpcRepliesAbandoned,
		RPCRequestsFailed:   c.RpcRequestsFailed,
	}, nil
}

// ConsumerStats are one consumer index's counters.
type ConsumerStats struct {
	Attached        bool   // a consumer handle holds this index
	Delivered       uint64 // messages put in its queue (fanout) or taken (events)
	DroppedFull     uint64 // broadcasts skipped because its queue was full
	DroppedNoCredit uint64 // broadcasts skipped for want of credit or eligibility
	Depth           uint64 // messages waiting for it
}

// ConsumerStats returns the counters of consumer index (ErrOutOfRange if
// index >= the consumer count).
func (r *Region) ConsumerStats(index int) (ConsumerStats, error) {
	const op = "consumer stats"
	if index < 0 || uint64(index) > math.MaxUint32 {
		return ConsumerStats{}, &Error{Code: StatusOutOfRange, Op: op}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return ConsumerStats{}, closedError(op)
	}
	r.out.stats = swig.ConsumerStats{Size: swig.ConsumerStatsSize}
	if err := check(op, swig.Indexbus_region_consumer_stats(r.h, uint32(index), &r.out.stats)); err != nil {
		return ConsumerStats{}, err
	}
	s := &r.out.stats
	return ConsumerStats{
		Attached:        s.Attached != 0,
		Delivered:       s.Delivered,
		DroppedFull:     s.DroppedFull,
		DroppedNoCredit: s.DroppedNoCredit,
		Depth:           s.Depth,
	}, nil
}

// ProducerType selects the producer flavour.
type ProducerType uint32

const (
	// SPSC is the single exclusive producer of a region (ErrBusy for a second).
	SPSC ProducerType = ProducerType(swig.INDEXBUS_PRODUCER_SPSC)
	// MPSC producers: any number, from any processes. Open one per goroutine.
	MPSC ProducerType = ProducerType(swig.INDEXBUS_PRODUCER_MPSC)
)

// String returns "SPSC", "MPSC" or "ProducerType(n)".
func (t ProducerType) String() string {
	switch t {
	case SPSC:
		return "SPSC"
	case MPSC:
		return "MPSC"
	}
	return fmt.Sprintf("ProducerType(%d)", uint32(t))
}

// OpenProducer attaches a producer of type t.
func (r *Region) OpenProducer(t ProducerType) (*Producer, error) {
	const op = "producer open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.Producer // a local: &p.h would expose all of *p to C
	if err := check(op, swig.Indexbus_producer_open(r.h, uint32(t), &h)); err != nil {
		return nil, err
	}
	return &Producer{h: h, typ: t, out: new(callOut)}, nil
}

// OpenConsumer attaches consumer index (events regions and byte logs have only 0; ErrBusy
// if another handle holds the index, ErrOutOfRange if it does not exist).
func (r *Region) OpenConsumer(index int) (*Consumer, error) {
	const op = "consumer open"
	if index < 0 || uint64(index) > math.MaxUint32 {
		return nil, &Error{Code: StatusOutOfRange, Op: op}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.Consumer
	if err := check(op, swig.Indexbus_consumer_open(r.h, uint32(index), &h)); err != nil {
		return nil, err
	}
	return &Consumer{h: h, index: index, out: new(callOut)}, nil
}

// OpenRouter attaches the region's router (fanout regions only:
// ErrWrongKind otherwise; ErrBusy if one is attached already).
func (r *Region) OpenRouter() (*Router, error) {
	const op = "router open"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == 0 {
		return nil, closedError(op)
	}
	var h swig.Router
	if err := check(op, swig.Indexbus_router_open(r.h, &h)); err != nil {
		return nil, err
	}
	return &Router{h: h, out: new(routerOut)}, nil
}
