package indexbus

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// Source selects the producer queue(s) a router takes messages from.
type Source uint32

const (
	// SourceAny alternates between the SPSC and MPSC queues.
	SourceAny Source = Source(swig.INDEXBUS_SOURCE_ANY)
	// SourceSPSC takes from the SPSC producer queue only.
	SourceSPSC Source = Source(swig.INDEXBUS_SOURCE_SPSC)
	// SourceMPSC takes from the MPSC producer queue only.
	SourceMPSC Source = Source(swig.INDEXBUS_SOURCE_MPSC)
)

// Mode is a routing mode.
type Mode uint32

const (
	// Broadcast delivers every message to every consumer that has room.
	Broadcast Mode = Mode(swig.INDEXBUS_MODE_BROADCAST)
	// WorkQueue delivers each message to one consumer, round robin,
	// skipping consumers whose queue is full.
	WorkQueue Mode = Mode(swig.INDEXBUS_MODE_WORK_QUEUE)
)

// String returns "broadcast", "work-queue" or "Mode(n)".
func (m Mode) String() string {
	switch m {
	case Broadcast:
		return "broadcast"
	case WorkQueue:
		return "work-queue"
	}
	return fmt.Sprintf("Mode(%d)", uint32(m))
}

// RouteResult is the per-consumer outcome of one routing step. Bit i of a
// mask stands for consumer i.
type RouteResult struct {
	Routed              bool // a message left the source queue
	Delivered           int  // consumer queues it went into
	DroppedFull         int  // consumers skipped: queue full
	DroppedNoCredit     int  // consumers skipped: no credit or not eligible
	DeliveredMask       uint64
	DroppedFullMask     uint64
	DroppedNoCreditMask uint64
}

// RunConfig configures Router.Run. The zero value routes from SourceAny in
// Broadcast mode with the library's idle strategy.
type RunConfig struct {
	Source Source // 0 = SourceAny
	Mode   Mode   // 0 = Broadcast
	// ExitOnDisconnect makes Run return ErrDisconnected once every producer
	// has closed and the source queues are drained.
	ExitOnDisconnect bool
	SpinIters        uint32        // idle: busy polls before yielding; 0 = default
	YieldIters       uint32        // idle: yields before parking; 0 = default
	Park             time.Duration // idle: longest park between stop checks; 0 = default
}

// Router moves messages from a fanout region's producer queues to its
// consumer queues, one step at a time (RouteOnce*) or in a loop (Run).
//
// A Router is safe for concurrent use. Routing calls are serialised; Stop
// may be called while Run is running, from any goroutine.
type Router struct {
	state   sync.RWMutex // read: any use of h; write: Close
	use     sync.Mutex   // serialises the routing calls
	h       swig.Router  // 0 once closed; guarded by state
	closing atomic.Bool
	out     *routerOut // out-parameters (see callOut), guarded by use
}

// routerOut holds a Router's out-parameters; pointer-free, see callOut.
type routerOut struct {
	res  swig.RouteResult
	loop swig.RouterLoopConfig
}

// Close stops a running Run, waits for it to return and detaches the
// router. Closing twice returns ErrClosed.
func (r *Router) Close() error {
	const op = "router close"
	r.closing.Store(true)
	r.state.RLock()
	if r.h != 0 {
		swig.Indexbus_router_stop(r.h) // Run returns promptly, even if it has not started yet
	}
	r.state.RUnlock()
	r.state.Lock()
	defer r.state.Unlock()
	if r.h == 0 {
		return closedError(op)
	}
	h := r.h
	r.h = 0
	return check(op, swig.Indexbus_router_close(h))
}

// acquire takes the handle for a routing call; release undoes it.
func (r *Router) acquire(op string) error {
	r.state.RLock()
	if r.h == 0 || r.closing.Load() {
		r.state.RUnlock()
		return closedError(op)
	}
	r.use.Lock()
	return nil
}

func (r *Router) release() {
	r.use.Unlock()
	r.state.RUnlock()
}

// RouteOnce routes one message. nil: routed; ErrEmpty: nothing waiting;
// ErrFull: no consumer could take it, so it stays queued.
func (r *Router) RouteOnce(src Source, mode Mode) error {
	const op = "route once"
	if err := r.acquire(op); err != nil {
		return err
	}
	defer r.release()
	return check(op, swig.Indexbus_route_once(r.h, uint32(src), uint32(mode)))
}

// RouteOnceStats is RouteOnce, also reporting what happened per consumer.
func (r *Router) RouteOnceStats(src Source, mode Mode) (RouteResult, error) {
	const op = "route once stats"
	if err := r.acquire(op); err != nil {
		return RouteResult{}, err
	}
	defer r.release()
	r.out.res = swig.RouteResult{Size: swig.RouteResultSize}
	st := swig.Indexbus_route_once_stats(r.h, uint32(src), uint32(mode), &r.out.res)
	return routeResult(&r.out.res), check(op, st)
}

// RouteOnceCredit is a credit-aware routing step: only consumers in
// eligible, not in noCredit and not in full are candidates; the others count
// as dropped (no credit, or full).
func (r *Router) RouteOnceCredit(src Source, mode Mode, eligible, noCredit, full uint64) (RouteResult, error) {
	const op = "route once credit"
	if err := r.acquire(op); err != nil {
		return RouteResult{}, err
	}
	defer r.release()
	r.out.res = swig.RouteResult{Size: swig.RouteResultSize}
	st := swig.Indexbus_route_once_credit(r.h, uint32(src), uint32(mode), eligible, noCredit, full, &r.out.res)
	return routeResult(&r.out.res), check(op, st)
}

func routeResult(c *swig.RouteResult) RouteResult {
	return RouteResult{
		Routed:              c.Routed != 0,
		Delivered:           int(c.Delivered),
		DroppedFull:         int(c.DroppedFull),
		DroppedNoCredit:     int(c.DroppedNoCredit),
		DeliveredMask:       c.DeliveredMask,
		DroppedFullMask:     c.DroppedFullMask,
		DroppedNoCreditMask: c.DroppedNoCreditMask,
	}
}

// Run routes until Stop or Close (returning nil) or, with
// ExitOnDisconnect, until the producers are gone and drained (returning
// ErrDisconnected). It returns how many messages it routed. A Stop that
// comes while Run is not running makes the next Run return at once.
func (r *Router) Run(cfg RunConfig) (routed uint64, err error) {
	const op = "router run"
	if err := r.acquire(op); err != nil {
		return 0, err
	}
	defer r.release()
	r.out.loop = swig.RouterLoopConfig{
		Size:       swig.RouterLoopConfigSize,
		Source:     uint32(cfg.Source),
		Mode:       uint32(cfg.Mode),
		SpinIters:  cfg.SpinIters,
		YieldIters: cfg.YieldIters,
		ParkNs:     uint64(max(cfg.Park, 0)),
	}
	if cfg.ExitOnDisconnect {
		r.out.loop.Flags |= uint32(swig.INDEXBUS_ROUTER_EXIT_ON_DISCONNECT)
	}
	st := swig.Indexbus_router_run(r.h, &r.out.loop)
	return r.out.loop.Routed, check(op, st)
}

// Stop asks a running Run to return. It is safe from any goroutine.
func (r *Router) Stop() error {
	const op = "router stop"
	r.state.RLock()
	defer r.state.RUnlock()
	if r.h == 0 {
		return closedError(op)
	}
	return check(op, swig.Indexbus_router_stop(r.h))
}
