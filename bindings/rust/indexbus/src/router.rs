//! [`Router`] (fanout regions): move messages from the producer queues to
//! the consumer queues, one step at a time or in a loop, and
//! [`RouterStopper`] to end that loop from another thread.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Weak};
use std::time::Duration;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};
use crate::region::nanos;

/// Which producer queue to route from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Source {
    /// The SPSC producer queue only.
    Spsc,
    /// The MPSC producer queue only.
    Mpsc,
    /// Alternate between the two.
    #[default]
    Any,
}

impl Source {
    fn to_raw(self) -> u32 {
        match self {
            Source::Spsc => sys::INDEXBUS_SOURCE_SPSC,
            Source::Mpsc => sys::INDEXBUS_SOURCE_MPSC,
            Source::Any => sys::INDEXBUS_SOURCE_ANY,
        }
    }
}

/// Where a routed message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Every consumer gets every message (consumers with a full queue are
    /// skipped and counted as dropped).
    #[default]
    Broadcast,
    /// One consumer per message, round robin, skipping full ones.
    WorkQueue,
}

impl Mode {
    fn to_raw(self) -> u32 {
        match self {
            Mode::Broadcast => sys::INDEXBUS_MODE_BROADCAST,
            Mode::WorkQueue => sys::INDEXBUS_MODE_WORK_QUEUE,
        }
    }
}

/// Per-consumer outcome of one routing step (bit `i` of a mask = consumer `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RouteResult {
    /// A message left the source queue.
    pub routed: bool,
    /// Consumer queues it went into.
    pub delivered: u32,
    /// Consumers skipped because their queue was full.
    pub dropped_full: u32,
    /// Consumers skipped for lack of credit or eligibility.
    pub dropped_no_credit: u32,
    /// Which consumers got it.
    pub delivered_mask: u64,
    /// Which were skipped as full.
    pub dropped_full_mask: u64,
    /// Which were skipped for credit.
    pub dropped_no_credit_mask: u64,
}

impl RouteResult {
    fn from_raw(r: &sys::indexbus_route_result) -> RouteResult {
        RouteResult {
            routed: r.routed != 0,
            delivered: r.delivered,
            dropped_full: r.dropped_full,
            dropped_no_credit: r.dropped_no_credit,
            delivered_mask: r.delivered_mask,
            dropped_full_mask: r.dropped_full_mask,
            dropped_no_credit_mask: r.dropped_no_credit_mask,
        }
    }
}

/// Settings for [`Router::run`]. Zero values mean library defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RunConfig {
    /// Queue(s) to route from (default: [`Source::Any`]).
    pub source: Source,
    /// Broadcast or work queue (default: [`Mode::Broadcast`]).
    pub mode: Mode,
    /// Return with [`ExitReason::Disconnected`] once every producer has
    /// closed and the source queues are drained.
    pub exit_on_disconnect: bool,
    /// Idle busy polls before yielding (0 = default).
    pub spin_iters: u32,
    /// Idle `sched_yield` polls before parking (0 = default).
    pub yield_iters: u32,
    /// Longest park before re-checking stop (zero = default, 10 ms).
    pub park: Duration,
}

impl RunConfig {
    /// Defaults: any source, broadcast, run until stopped.
    pub fn new() -> RunConfig {
        RunConfig::default()
    }
    /// Set [`source`](RunConfig::source).
    pub fn source(mut self, source: Source) -> RunConfig {
        self.source = source;
        self
    }
    /// Set [`mode`](RunConfig::mode).
    pub fn mode(mut self, mode: Mode) -> RunConfig {
        self.mode = mode;
        self
    }
    /// Set [`exit_on_disconnect`](RunConfig::exit_on_disconnect).
    pub fn exit_on_disconnect(mut self, on: bool) -> RunConfig {
        self.exit_on_disconnect = on;
        self
    }
    /// Set the idle strategy.
    pub fn idle(mut self, spin_iters: u32, yield_iters: u32, park: Duration) -> RunConfig {
        self.spin_iters = spin_iters;
        self.yield_iters = yield_iters;
        self.park = park;
        self
    }
}

/// Why [`Router::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// A [`RouterStopper::stop`] asked it to.
    Stopped,
    /// `exit_on_disconnect` was set and every producer is gone and drained.
    Disconnected,
}

/// What [`Router::run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunExit {
    /// Messages routed by this run.
    pub routed: u64,
    /// Why it returned.
    pub reason: ExitReason,
}

/// Owner of the C router handle, shared by the [`Router`] and (weakly) its
/// [`RouterStopper`]s. Closes the handle when the last strong reference goes.
struct RawRouter(NonNull<sys::indexbus_router>);

// SAFETY: through a shared `&RawRouter` the only call made is
// `indexbus_router_stop`, which the C contract declares safe from another
// thread (it stores an atomic flag and bumps a futex word; the fields it
// reads are fixed at open). Every other call goes through `Router`, which
// is `!Sync` and needs `&mut Router`, so at most one thread does those.
// Closing happens in `Drop`, when no other reference exists.
unsafe impl Send for RawRouter {}
// SAFETY: as above.
unsafe impl Sync for RawRouter {}

impl Drop for RawRouter {
    fn drop(&mut self) {
        // SAFETY: last reference: nobody routes or stops any more.
        unsafe { sys::indexbus_router_close(self.0.as_ptr()) };
    }
}

/// The router of a fanout region ([`Region::router`](crate::Region::router)),
/// exclusive per region.
///
/// Like the other handles it owns a share of the region mapping, is `Send`
/// but not `Sync`, and closes on drop. Routing needs `&mut self`. To end a
/// blocking [`run`](Router::run) from another thread, take a
/// [`RouterStopper`] first.
///
/// ```
/// use indexbus::{Config, ExitReason, ProducerKind, Region, RunConfig};
/// use std::time::Duration;
/// let name = format!("/ib-doc-router-{}", std::process::id());
/// let region = Region::create(&name, &Config::fanout(2))?;
/// let mut consumers = [region.consumer(0)?, region.consumer(1)?];
/// let mut router = region.router()?;
/// let stopper = router.stopper();
/// let mut producer = region.producer(ProducerKind::Spsc)?;
///
/// std::thread::scope(|s| -> indexbus::Result<()> {
///     let running = s.spawn(move || router.run(&RunConfig::new()));
///     producer.publish(b"to everyone")?;
///     for c in &mut consumers {
///         assert_eq!(&*c.recv_borrow(Duration::from_secs(5))?, b"to everyone");
///     }
///     stopper.stop()?; // from this thread, while run() blocks the other
///     let exit = running.join().unwrap()?;
///     assert_eq!((exit.routed, exit.reason), (1, ExitReason::Stopped));
///     Ok(())
/// })?;
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct Router {
    raw: Arc<RawRouter>,
    /// `Arc<RawRouter>` is Send + Sync; this keeps `Router` itself !Sync.
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    pub(crate) fn open(region: NonNull<sys::indexbus_region>) -> Result<Router> {
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer; attach is atomic.
        check(unsafe { sys::indexbus_router_open(region.as_ptr(), &mut out) })?;
        let raw = NonNull::new(out).expect("libindexbus returned OK with a NULL router");
        Ok(Router {
            raw: Arc::new(RawRouter(raw)),
            _not_sync: PhantomData,
        })
    }

    fn ptr(&self) -> *mut sys::indexbus_router {
        self.raw.0.as_ptr()
    }

    /// Route one message. `Ok` if one was routed, [`Error::Empty`] if none
    /// was waiting, [`Error::Full`] if no consumer could take it (it stays
    /// queued).
    pub fn route_once(&mut self, source: Source, mode: Mode) -> Result<()> {
        // SAFETY: exclusive use of the handle (&mut self).
        check(unsafe { sys::indexbus_route_once(self.ptr(), source.to_raw(), mode.to_raw()) })
    }

    /// As [`route_once`](Router::route_once), reporting per-consumer outcomes.
    pub fn route_once_stats(&mut self, source: Source, mode: Mode) -> Result<RouteResult> {
        let mut r = route_result();
        // SAFETY: exclusive use of the handle; result struct with size set.
        check(unsafe {
            sys::indexbus_route_once_stats(self.ptr(), source.to_raw(), mode.to_raw(), &mut r)
        })?;
        Ok(RouteResult::from_raw(&r))
    }

    /// Credit-aware step: only consumers in `eligible_mask`, not in
    /// `no_credit_mask` and not in `full_mask` are candidates.
    pub fn route_once_credit(
        &mut self,
        source: Source,
        mode: Mode,
        eligible_mask: u64,
        no_credit_mask: u64,
        full_mask: u64,
    ) -> Result<RouteResult> {
        let mut r = route_result();
        // SAFETY: exclusive use of the handle; result struct with size set.
        check(unsafe {
            sys::indexbus_route_once_credit(
                self.ptr(),
                source.to_raw(),
                mode.to_raw(),
                eligible_mask,
                no_credit_mask,
                full_mask,
                &mut r,
            )
        })?;
        Ok(RouteResult::from_raw(&r))
    }

    /// Route until a [`RouterStopper`] stops it ([`ExitReason::Stopped`]) or,
    /// with [`RunConfig::exit_on_disconnect`], until every producer is gone
    /// and drained ([`ExitReason::Disconnected`]). Blocks this thread.
    ///
    /// A stop requested while no `run` is in progress makes the next `run`
    /// return at once (the C library keeps the request until a run sees it).
    pub fn run(&mut self, cfg: &RunConfig) -> Result<RunExit> {
        let mut c = sys::indexbus_router_loop_config {
            size: size_of::<sys::indexbus_router_loop_config>() as u32,
            source: cfg.source.to_raw(),
            mode: cfg.mode.to_raw(),
            flags: if cfg.exit_on_disconnect {
                sys::INDEXBUS_ROUTER_EXIT_ON_DISCONNECT
            } else {
                0
            },
            spin_iters: cfg.spin_iters,
            yield_iters: cfg.yield_iters,
            park_ns: nanos(cfg.park),
            routed: 0,
        };
        // SAFETY: exclusive use of the handle (&mut self); a concurrent
        // indexbus_router_stop from a RouterStopper is allowed by the contract.
        let st = unsafe { sys::indexbus_router_run(self.ptr(), &mut c) };
        let reason = match check(st) {
            Ok(()) => ExitReason::Stopped,
            Err(Error::Disconnected) if cfg.exit_on_disconnect => ExitReason::Disconnected,
            Err(e) => return Err(e),
        };
        Ok(RunExit {
            routed: c.routed,
            reason,
        })
    }

    /// A handle that can stop [`run`](Router::run) from any thread.
    pub fn stopper(&self) -> RouterStopper {
        RouterStopper {
            raw: Arc::downgrade(&self.raw),
        }
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it or route from another thread.
    pub fn as_ptr(&self) -> *mut sys::indexbus_router {
        self.ptr()
    }
}

fn route_result() -> sys::indexbus_route_result {
    sys::indexbus_route_result {
        size: size_of::<sys::indexbus_route_result>() as u32,
        ..Default::default()
    }
}

/// Stops a [`Router::run`] from another thread (or the same one, before it
/// runs). `Send + Sync + Clone`.
///
/// Safety argument: `indexbus_router_stop` is the one router call the C
/// contract allows concurrently with the others (an atomic store plus a
/// futex wake). The stopper holds a weak reference to the handle, so it
/// never keeps a dropped router attached, and never calls into a closed
/// one: [`stop`](RouterStopper::stop) first upgrades the reference (the
/// handle then cannot be closed until the call returns) and does nothing
/// if the router is already gone.
#[derive(Clone)]
pub struct RouterStopper {
    raw: Weak<RawRouter>,
}

impl fmt::Debug for RouterStopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterStopper")
            .field("router_open", &(self.raw.strong_count() > 0))
            .finish()
    }
}

impl RouterStopper {
    /// Ask the router's `run` to return. `Ok(())` also when the router has
    /// already been dropped (nothing left to stop).
    pub fn stop(&self) -> Result<()> {
        match self.raw.upgrade() {
            // SAFETY: the strong reference keeps the handle open for the
            // call; stop is thread-safe per the C contract.
            Some(raw) => check(unsafe { sys::indexbus_router_stop(raw.0.as_ptr()) }),
            None => Ok(()),
        }
    }
}
