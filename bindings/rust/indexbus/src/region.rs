//! [`Region`]: create, open, inspect and unlink a shared-memory region, and
//! open handles on it.

use std::ffi::CString;
use std::mem::size_of;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use indexbus_sys as sys;

use crate::consumer::Consumer;
use crate::error::{check, Error, Result};
use crate::producer::{Producer, ProducerKind};
use crate::router::Router;
use crate::rpc::{RpcClient, RpcServer};
use crate::stream::{StreamReader, StreamState, StreamWriter};
use crate::version::ensure_compatible;

/// What a region carries.
///
/// Non-exhaustive: a later layout may add kinds (1.1 added [`Kind::Log`],
/// [`Kind::Stream`] and [`Kind::Rpc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `INDEXBUS_KIND_EVENTS`: SPSC/MPSC producers to one consumer (index 0).
    Events,
    /// `INDEXBUS_KIND_FANOUT`: producers to a router to N consumers.
    Fanout,
    /// `INDEXBUS_KIND_LOG` (layout 1.1): a byte log. Records of any length
    /// up to [`Config::max_record`] stored inline in a ring of
    /// [`Config::byte_capacity`] bytes; one SPSC producer or any number of
    /// MPSC producers (not both at once), one consumer (index 0).
    Log,
    /// `INDEXBUS_KIND_STREAM` (layout 1.1): a byte stream on a byte-log
    /// ring, sized like a log ([`Config::stream`]). Any number of
    /// [`StreamWriter`]s, one [`StreamReader`].
    Stream,
    /// `INDEXBUS_KIND_RPC` (layout 1.1): request/response through reusable
    /// reply cells ([`Config::rpc`]). Any number of [`RpcClient`]s and
    /// [`RpcServer`]s.
    Rpc,
    /// A kind value this crate does not know (read from a newer region, or
    /// passed on purpose: the library rejects it with `InvalidArgument`).
    Other(u32),
}

impl Kind {
    /// The `INDEXBUS_KIND_*` value.
    pub fn to_raw(self) -> u32 {
        match self {
            Kind::Events => sys::INDEXBUS_KIND_EVENTS,
            Kind::Fanout => sys::INDEXBUS_KIND_FANOUT,
            Kind::Log => sys::INDEXBUS_KIND_LOG,
            Kind::Stream => sys::INDEXBUS_KIND_STREAM,
            Kind::Rpc => sys::INDEXBUS_KIND_RPC,
            Kind::Other(v) => v,
        }
    }
    /// From an `INDEXBUS_KIND_*` value; unknown values become `Other`.
    pub fn from_raw(v: u32) -> Kind {
        match v {
            sys::INDEXBUS_KIND_EVENTS => Kind::Events,
            sys::INDEXBUS_KIND_FANOUT => Kind::Fanout,
            sys::INDEXBUS_KIND_LOG => Kind::Log,
            sys::INDEXBUS_KIND_STREAM => Kind::Stream,
            sys::INDEXBUS_KIND_RPC => Kind::Rpc,
            other => Kind::Other(other),
        }
    }
}

/// Geometry and options for [`Region::create`]. Zero fields mean "library
/// default" (slots of 256 bytes: events 2048, fanout 1024; a queue of 1024,
/// or as deep as `slot_count` when that is set (events regions with twice
/// as many slots as queue cells recycle SPSC slots); fanout: 4 consumers;
/// byte logs: a ring of 1 MiB and records of up to 64 KiB; mode 0600).
///
/// ```
/// use indexbus::{Config, Kind};
/// let cfg = Config::fanout(3).slot_count(64).slot_data_size(128);
/// assert_eq!(cfg.kind, Kind::Fanout);
/// assert_eq!(cfg.consumer_count, 3);
/// ```
///
/// A byte log has no slots: it is sized in bytes ([`Config::log`]), and
/// the slot fields must stay 0 ([`Error::InvalidArgument`] otherwise).
/// So is a byte stream ([`Config::stream`]).
///
/// ```
/// use indexbus::{Config, Kind};
/// let cfg = Config::log().byte_capacity(64 * 1024).max_record(1000);
/// assert_eq!(cfg.kind, Kind::Log);
/// assert_eq!((cfg.byte_capacity, cfg.max_record), (65536, 1000));
/// ```
///
/// A request/response region ([`Config::rpc`]) is sized in reply cells
/// and message bounds, kept in the slot fields and `max_record`:
///
/// ```
/// use indexbus::{Config, Kind};
/// let cfg = Config::rpc().cells(8).max_request(256).max_reply(1024);
/// assert_eq!(cfg.kind, Kind::Rpc);
/// assert_eq!((cfg.slot_count, cfg.slot_data_size, cfg.max_record), (8, 256, 1024));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Region kind.
    pub kind: Kind,
    /// Power of two, 2..=1Mi; 0 = 1024. Byte logs and streams: 0.
    /// Request/response: reply cells, any count 1..=4096; 0 = 64.
    pub slot_count: u32,
    /// Bytes per message, multiple of 8, 64..=1 MiB; 0 = 256. Byte logs
    /// and streams: 0. Request/response: the largest request, 8..=16 MiB;
    /// 0 = 4096.
    pub slot_data_size: u32,
    /// Power of two; 0 = slot_count. Byte logs: 0.
    pub queue_capacity: u32,
    /// Events and byte logs: 1; fanout: 1..=64; 0 = default (1 or 4).
    pub consumer_count: u32,
    /// File mode bits (e.g. `0o660`); 0 = `0o600`.
    pub mode: u32,
    /// Touch every page at creation (`INDEXBUS_CREATE_PREFAULT`).
    pub prefault: bool,
    /// Events and fanout: recycle slots through the queue cells instead of
    /// the slot pool (`INDEXBUS_CREATE_RECYCLE`, layout 1.3): in a fanout
    /// region the consumers' slots go back to the SPSC producer through the
    /// router ([`Info::fanout_recycle`]), in an events region MPSC slots
    /// recycle through the MPSC cells ([`Info::mpsc_recycle`]). Needs
    /// `slot_count` at least twice `queue_capacity`; the other kinds refuse
    /// it with [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub recycle: bool,
    /// Events and fanout: MPSC producers reserve the queue cells of a whole
    /// batch in one step (`INDEXBUS_CREATE_MPSC_BATCH`, layout 1.3); the
    /// other kinds refuse it with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub mpsc_batch: bool,
    /// Byte logs and streams: ring bytes, a power of two, 4 KiB..=1 GiB;
    /// 0 = 1 MiB. Request/response: 0. Ignored by the other kinds.
    pub byte_capacity: u64,
    /// Byte logs and streams: the largest record payload in bytes (a
    /// stream splits a write into records of at most this), at most
    /// `byte_capacity / 2 - 8`; 0 = 64 KiB, or that bound if it is
    /// smaller. Request/response: the largest reply, 8..=16 MiB; 0 = 4096.
    /// Ignored by the other kinds.
    pub max_record: u32,
}

impl Config {
    /// Defaults for `kind`.
    pub fn new(kind: Kind) -> Config {
        Config {
            kind,
            slot_count: 0,
            slot_data_size: 0,
            queue_capacity: 0,
            consumer_count: 0,
            mode: 0,
            prefault: false,
            recycle: false,
            mpsc_batch: false,
            byte_capacity: 0,
            max_record: 0,
        }
    }
    /// An events region (one consumer) with default geometry.
    pub fn events() -> Config {
        Config::new(Kind::Events)
    }
    /// A fanout region with `consumers` consumer queues.
    pub fn fanout(consumers: u32) -> Config {
        Config::new(Kind::Fanout).consumer_count(consumers)
    }
    /// A byte log (one consumer) with the default ring (1 MiB) and record
    /// bound (64 KiB); set them with [`byte_capacity`](Config::byte_capacity)
    /// and [`max_record`](Config::max_record).
    pub fn log() -> Config {
        Config::new(Kind::Log)
    }
    /// A byte stream with the default ring (1 MiB) and record bound (64
    /// KiB); set them with [`byte_capacity`](Config::byte_capacity) and
    /// [`max_record`](Config::max_record).
    pub fn stream() -> Config {
        Config::new(Kind::Stream)
    }
    /// A request/response region with 64 reply cells and requests and
    /// replies of up to 4096 bytes; set them with [`cells`](Config::cells),
    /// [`max_request`](Config::max_request) and
    /// [`max_reply`](Config::max_reply).
    pub fn rpc() -> Config {
        Config::new(Kind::Rpc)
    }
    /// Request/response: reply cells, 1..=4096 (at most that many requests
    /// outstanding at once). Sets [`slot_count`](Config::slot_count).
    pub fn cells(self, n: u32) -> Config {
        self.slot_count(n)
    }
    /// Request/response: the largest request in bytes, 8..=16 MiB. Sets
    /// [`slot_data_size`](Config::slot_data_size).
    pub fn max_request(self, bytes: u32) -> Config {
        self.slot_data_size(bytes)
    }
    /// Request/response: the largest reply in bytes, 8..=16 MiB. Sets
    /// [`max_record`](Config::max_record).
    pub fn max_reply(self, bytes: u32) -> Config {
        self.max_record(bytes)
    }
    /// Set [`byte_capacity`](Config::byte_capacity) (byte logs).
    pub fn byte_capacity(mut self, bytes: u64) -> Config {
        self.byte_capacity = bytes;
        self
    }
    /// Set [`max_record`](Config::max_record) (byte logs).
    pub fn max_record(mut self, bytes: u32) -> Config {
        self.max_record = bytes;
        self
    }
    /// Set [`slot_count`](Config::slot_count).
    pub fn slot_count(mut self, n: u32) -> Config {
        self.slot_count = n;
        self
    }
    /// Set [`slot_data_size`](Config::slot_data_size).
    pub fn slot_data_size(mut self, bytes: u32) -> Config {
        self.slot_data_size = bytes;
        self
    }
    /// Set [`queue_capacity`](Config::queue_capacity).
    pub fn queue_capacity(mut self, n: u32) -> Config {
        self.queue_capacity = n;
        self
    }
    /// Set [`consumer_count`](Config::consumer_count).
    pub fn consumer_count(mut self, n: u32) -> Config {
        self.consumer_count = n;
        self
    }
    /// Set [`mode`](Config::mode).
    pub fn mode(mut self, mode: u32) -> Config {
        self.mode = mode;
        self
    }
    /// Set [`prefault`](Config::prefault).
    pub fn prefault(mut self, on: bool) -> Config {
        self.prefault = on;
        self
    }

    /// Set [`recycle`](Config::recycle).
    ///
    /// ```
    /// use indexbus::Config;
    /// let cfg = Config::fanout(2).slot_count(32).queue_capacity(16).recycle(true);
    /// assert!(cfg.recycle && !cfg.mpsc_batch);
    /// ```
    pub fn recycle(mut self, on: bool) -> Config {
        self.recycle = on;
        self
    }
    /// Set [`mpsc_batch`](Config::mpsc_batch).
    pub fn mpsc_batch(mut self, on: bool) -> Config {
        self.mpsc_batch = on;
        self
    }

    fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.prefault {
            flags |= sys::INDEXBUS_CREATE_PREFAULT;
        }
        if self.recycle {
            flags |= sys::INDEXBUS_CREATE_RECYCLE;
        }
        if self.mpsc_batch {
            flags |= sys::INDEXBUS_CREATE_MPSC_BATCH;
        }
        flags
    }

    fn to_raw(&self) -> sys::indexbus_region_config {
        sys::indexbus_region_config {
            size: size_of::<sys::indexbus_region_config>() as u32,
            kind: self.kind.to_raw(),
            slot_count: self.slot_count,
            slot_data_size: self.slot_data_size,
            queue_capacity: self.queue_capacity,
            consumer_count: self.consumer_count,
            mode: self.mode,
            flags: self.flags(),
            max_record: self.max_record,
            reserved: 0,
            byte_capacity: self.byte_capacity,
        }
    }
}

impl Info {
    /// The region recycles fanout slots through its queue cells (capability
    /// bit 37, `INDEXBUS_CAP_FANOUT_RECYCLE`; created with
    /// [`Config::recycle`]; layout 1.3).
    pub fn fanout_recycle(&self) -> bool {
        self.capabilities & sys::INDEXBUS_CAP_FANOUT_RECYCLE != 0
    }
    /// MPSC producers reserve a whole batch's queue cells at once
    /// (capability bit 38, `INDEXBUS_CAP_MPSC_BATCH`; created with
    /// [`Config::mpsc_batch`]; layout 1.3).
    pub fn mpsc_batch(&self) -> bool {
        self.capabilities & sys::INDEXBUS_CAP_MPSC_BATCH != 0
    }
    /// The events region recycles MPSC slots through its MPSC cells
    /// (capability bit 39, `INDEXBUS_CAP_MPSC_RECYCLE`; created with
    /// [`Config::recycle`]; layout 1.3).
    pub fn mpsc_recycle(&self) -> bool {
        self.capabilities & sys::INDEXBUS_CAP_MPSC_RECYCLE != 0
    }
}

/// A snapshot of a region's geometry and counters ([`Region::info`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Info {
    /// Region kind.
    pub kind: Kind,
    /// Layout version of the region (major).
    pub layout_major: u32,
    /// Layout version of the region (minor).
    pub layout_minor: u32,
    /// `INDEXBUS_CAP_*` bits.
    pub capabilities: u64,
    /// Layout size in bytes.
    pub total_bytes: u64,
    /// Number of message slots.
    pub slot_count: u32,
    /// Largest message in bytes.
    pub slot_data_size: u32,
    /// Queue capacity.
    pub queue_capacity: u32,
    /// Number of consumer indexes.
    pub consumer_count: u32,
    /// PID of the creating process.
    pub creator_pid: u32,
    /// Free slots (exact only when the region is quiet).
    pub free_slots: u32,
    /// CLOCK_REALTIME of creation, ns.
    pub creation_time_ns: u64,
    /// Messages published (SPSC + MPSC).
    pub published: u64,
    /// Messages routed (fanout).
    pub routed: u64,
    /// Router steps that found no consumer space.
    pub route_no_space: u64,
    /// Attached producers.
    pub producers_live: u32,
    /// Attached consumers.
    pub consumers_live: u32,
    /// Attached routers.
    pub routers_live: u32,
    /// Active participant-table entries.
    pub participants_live: u32,
    /// Messages waiting in the SPSC producer queue.
    pub spsc_depth: u64,
    /// Messages waiting in the MPSC producer queue.
    pub mpsc_depth: u64,
    /// Byte logs: ring bytes (0 for the other kinds, as are the fields
    /// below).
    pub byte_capacity: u64,
    /// Byte logs: the largest record payload in bytes.
    pub max_record: u32,
    /// Byte logs: bytes reserved by producers and not yet given back by the
    /// consumer (it gives read space back in batches).
    pub bytes_used: u64,
    /// Byte logs: `byte_capacity - bytes_used`.
    pub bytes_free: u64,
    /// Byte logs: of the unread bytes, how many are padding (the wrap,
    /// aborted claims, shorter commits, dead writers).
    pub bytes_padding: u64,
    /// Byte logs: committed records not yet read.
    pub records_waiting: u64,
    /// Byte streams: the latched `INDEXBUS_STREAM_*` flags (0 for the
    /// other kinds, as are the stream and rpc fields below); see
    /// [`Region::stream_state`].
    pub stream_flags: u32,
    /// Byte streams: writers attached now.
    pub stream_writers: u32,
    /// Byte streams: writers that died (recovered) or aborted, saturating
    /// at 4095.
    pub writers_aborted: u32,
    /// Byte streams: bytes the reader has taken.
    pub stream_bytes_read: u64,
    /// Request/response: reply cells.
    pub rpc_cells: u32,
    /// Request/response: free cells (a snapshot; a client keeps the cell
    /// of its last request for the next one).
    pub rpc_cells_free: u32,
    /// Request/response: the largest request in bytes.
    pub max_request: u32,
    /// Request/response: the largest reply in bytes.
    pub max_reply: u32,
    /// Request/response: replies whose client had given up or died.
    pub rpc_replies_abandoned: u64,
    /// Request/response: requests failed unanswered: dropped by their
    /// server ([`Request`](crate::Request) dropped, `fail`), or their server
    /// closed or died holding them.
    pub rpc_requests_failed: u64,
}

/// Per-consumer counters ([`Region::consumer_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// A consumer handle holds this index.
    pub attached: bool,
    /// Messages delivered to this consumer.
    pub delivered: u64,
    /// Broadcasts skipped because its queue was full.
    pub dropped_full: u64,
    /// Broadcasts skipped for lack of credit / eligibility.
    pub dropped_no_credit: u64,
    /// Messages waiting for it (byte logs: committed records not yet read).
    pub depth: u64,
}

/// What [`Region::recover`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoverReport {
    /// Dead participants cleaned up.
    pub dead: u32,
    /// Claimed, held or unaccounted slots back in the pool.
    pub slots_reclaimed: u32,
    /// MPSC cells a dead producer reserved but never filled.
    pub cells_skipped: u32,
    /// Messages discarded with a dead fanout consumer's queue.
    pub dropped: u64,
    /// How long recovery took.
    pub elapsed: Duration,
}

/// An IndexBus region mapped into this process.
///
/// Names with no `/` after the first character (`"orders"`, `"/orders"`)
/// are POSIX shared memory; anything else (`"/tmp/x.region"`, `"./x"`) is a
/// file path. Dropping the `Region` closes this process's reference (once
/// the [`StreamWriter`]s opened from it are gone too: they keep it to open
/// their clones); the mapping lives on while [`Producer`]s, [`Consumer`]s,
/// [`Router`]s or other handles opened from it are alive (the C library
/// refcounts it), so those handles own their share of the region and carry
/// no lifetime. The name stays
/// until [`Region::unlink`].
///
/// # Thread safety
///
/// `Region` is `Send + Sync`. Every method taking `&self` is thread-safe in
/// C: [`info`](Region::info) and [`consumer_stats`](Region::consumer_stats)
/// only read (atomics and the immutable header), and opening a handle
/// attaches through atomic compare-and-swap in the shared participant table
/// plus an atomic refcount increment. Closing needs `self` by value, so no
/// other thread can be using it. Share a region with `&Region` in scoped
/// threads or with `Arc<Region>`; the handles it opens are `Send` but not
/// `Sync` (one thread at a time, as the C contract says).
///
/// ```
/// use indexbus::{Config, Region};
/// let name = format!("/ib-doc-region-{}", std::process::id());
/// let region = Region::create(&name, &Config::events().slot_count(16))?;
/// let info = region.info()?;
/// assert_eq!(info.slot_count, 16);
/// let again = Region::open(&name)?; // a second mapping, e.g. in another process
/// assert_eq!(again.info()?.creator_pid, std::process::id());
/// Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
#[derive(Debug)]
pub struct Region {
    handle: Arc<RegionHandle>,
    name: String,
}

/// The caller's reference to a C region, closed when the last owner drops:
/// the [`Region`], or a [`StreamWriter`] opened from it (which opens its
/// clones on the same region).
#[derive(Debug)]
pub(crate) struct RegionHandle {
    raw: NonNull<sys::indexbus_region>,
}

impl RegionHandle {
    pub(crate) fn as_ptr(&self) -> *mut sys::indexbus_region {
        self.raw.as_ptr()
    }
    pub(crate) fn raw(&self) -> NonNull<sys::indexbus_region> {
        self.raw
    }
    /// The raw info struct.
    pub(crate) fn info_raw(&self) -> Result<sys::indexbus_info> {
        let mut i = sys::indexbus_info {
            size: size_of::<sys::indexbus_info>() as u32,
            ..Default::default()
        };
        // SAFETY: live region, struct with size set; read-only and thread-safe in C.
        check(unsafe { sys::indexbus_region_info(self.raw.as_ptr(), &mut i) })?;
        Ok(i)
    }
}

// SAFETY: see "Thread safety" above. The handle has no thread affinity (no
// thread-local state in the library), and every operation through `&Region`
// is safe to run concurrently per the C implementation (read-only atomics,
// atomic attach and refcount).
unsafe impl Send for RegionHandle {}
// SAFETY: as above.
unsafe impl Sync for RegionHandle {}

impl Drop for RegionHandle {
    fn drop(&mut self) {
        // SAFETY: the last owner of this reference; handles opened from it
        // hold their own.
        unsafe { sys::indexbus_region_close(self.raw.as_ptr()) };
    }
}

pub(crate) fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error::InvalidArgument)
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Region {
    /// Create a region exclusively ([`Error::Exists`] if the name is taken)
    /// and map it. Checks the library version first (see
    /// [`check_version`](crate::check_version)).
    pub fn create(name: &str, cfg: &Config) -> Result<Region> {
        ensure_compatible()?;
        let cname = c_name(name)?;
        let raw_cfg = cfg.to_raw();
        let mut out = ptr::null_mut();
        // SAFETY: valid NUL-terminated name, config with size set, out-pointer.
        check(unsafe { sys::indexbus_region_create(cname.as_ptr(), &raw_cfg, &mut out) })?;
        Ok(Region::from_raw(out, name))
    }

    /// Open and validate an existing region, waiting up to 1 s for a
    /// creator that is still initialising it.
    pub fn open(name: &str) -> Result<Region> {
        Region::open_raw(name, None)
    }

    /// [`open`](Region::open) with an explicit wait for a racing creator
    /// ([`Error::NotReady`] when it runs out).
    pub fn open_with_timeout(name: &str, ready_timeout: Duration) -> Result<Region> {
        let cfg = sys::indexbus_open_config {
            size: size_of::<sys::indexbus_open_config>() as u32,
            flags: 0,
            ready_timeout_ns: nanos(ready_timeout),
        };
        Region::open_raw(name, Some(&cfg))
    }

    fn open_raw(name: &str, cfg: Option<&sys::indexbus_open_config>) -> Result<Region> {
        ensure_compatible()?;
        let cname = c_name(name)?;
        let cfg_ptr = cfg.map_or(ptr::null(), |c| c as *const _);
        let mut out = ptr::null_mut();
        // SAFETY: valid name, config NULL or valid with size set, out-pointer.
        check(unsafe { sys::indexbus_region_open(cname.as_ptr(), cfg_ptr, &mut out) })?;
        Ok(Region::from_raw(out, name))
    }

    fn from_raw(raw: *mut sys::indexbus_region, name: &str) -> Region {
        Region {
            handle: Arc::new(RegionHandle {
                raw: NonNull::new(raw).expect("libindexbus returned OK with a NULL region"),
            }),
            name: name.to_owned(),
        }
    }

    /// Remove the name. Processes that have the region mapped keep working.
    pub fn unlink(name: &str) -> Result<()> {
        let cname = c_name(name)?;
        // SAFETY: valid NUL-terminated name.
        check(unsafe { sys::indexbus_region_unlink(cname.as_ptr()) })
    }

    /// The name this region was created or opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Geometry and live counters.
    pub fn info(&self) -> Result<Info> {
        let i = self.handle.info_raw()?;
        Ok(Info {
            kind: Kind::from_raw(i.kind),
            layout_major: i.layout_major,
            layout_minor: i.layout_minor,
            capabilities: i.capabilities,
            total_bytes: i.total_bytes,
            slot_count: i.slot_count,
            slot_data_size: i.slot_data_size,
            queue_capacity: i.queue_capacity,
            consumer_count: i.consumer_count,
            creator_pid: i.creator_pid,
            free_slots: i.free_slots,
            creation_time_ns: i.creation_time_ns,
            published: i.published,
            routed: i.routed,
            route_no_space: i.route_no_space,
            producers_live: i.producers_live,
            consumers_live: i.consumers_live,
            routers_live: i.routers_live,
            participants_live: i.participants_live,
            spsc_depth: i.spsc_depth,
            mpsc_depth: i.mpsc_depth,
            byte_capacity: i.byte_capacity,
            max_record: i.max_record,
            bytes_used: i.bytes_used,
            bytes_free: i.bytes_free,
            bytes_padding: i.bytes_padding,
            records_waiting: i.records_waiting,
            stream_flags: i.stream_flags,
            stream_writers: i.stream_writers,
            writers_aborted: i.writers_aborted,
            stream_bytes_read: i.stream_bytes_read,
            rpc_cells: i.rpc_cells,
            rpc_cells_free: i.rpc_cells_free,
            max_request: i.max_request,
            max_reply: i.max_reply,
            rpc_replies_abandoned: i.rpc_replies_abandoned,
            rpc_requests_failed: i.rpc_requests_failed,
        })
    }

    /// Counters of consumer `index` ([`Error::OutOfRange`] past the count).
    pub fn consumer_stats(&self, index: u32) -> Result<ConsumerStats> {
        let mut s = sys::indexbus_consumer_stats {
            size: size_of::<sys::indexbus_consumer_stats>() as u32,
            ..Default::default()
        };
        // SAFETY: live region, struct with size set; read-only and thread-safe in C.
        check(unsafe { sys::indexbus_region_consumer_stats(self.handle.as_ptr(), index, &mut s) })?;
        Ok(ConsumerStats {
            attached: s.attached != 0,
            delivered: s.delivered,
            dropped_full: s.dropped_full,
            dropped_no_credit: s.dropped_no_credit,
            depth: s.depth,
        })
    }

    /// Find dead participants (their processes exited without closing)
    /// and undo what they held: exclusive roles and live counts, claimed
    /// and held slots, reservations; a dead stream writer counts as
    /// aborted (see [`Region::stream_state`]), a dead rpc server fails its
    /// requests and a dead client's cells come back. Safe while others run;
    /// blocking calls also run it now and then by themselves.
    pub fn recover(&self) -> Result<RecoverReport> {
        let mut r = sys::indexbus_recover_report {
            size: size_of::<sys::indexbus_recover_report>() as u32,
            ..Default::default()
        };
        // SAFETY: live region, struct with size set; recovery is safe while
        // others run (C contract).
        check(unsafe { sys::indexbus_region_recover(self.handle.as_ptr(), 0, &mut r) })?;
        Ok(RecoverReport {
            dead: r.dead,
            slots_reclaimed: r.slots_reclaimed,
            cells_skipped: r.cells_skipped,
            dropped: r.dropped,
            elapsed: Duration::from_nanos(r.elapsed_ns),
        })
    }

    /// Open a producer. [`ProducerKind::Spsc`] is exclusive per region
    /// ([`Error::Busy`] otherwise); open one [`ProducerKind::Mpsc`] producer
    /// per thread. A byte log takes one kind at a time: an SPSC producer
    /// while MPSC ones are attached, or the other way round, is
    /// [`Error::Busy`].
    pub fn producer(&self, kind: ProducerKind) -> Result<Producer> {
        Producer::open(self.handle.raw(), kind)
    }

    /// Open consumer `index` (events regions and byte logs: 0 only).
    /// Exclusive per index.
    pub fn consumer(&self, index: u32) -> Result<Consumer> {
        Consumer::open(self.handle.raw(), index)
    }

    /// Open the region's router (fanout only: [`Error::WrongKind`] on an
    /// events region or a byte log; exclusive: [`Error::Busy`]).
    pub fn router(&self) -> Result<Router> {
        Router::open(self.handle.raw())
    }

    /// Join a byte stream as a writer (a seat of its own; up to 48 at
    /// once: [`Error::Busy`]). [`Error::Disconnected`] once the stream has
    /// ended (its last writer left) or its reader is gone;
    /// [`Error::WrongKind`] if the region is not a stream.
    pub fn stream_writer(&self) -> Result<StreamWriter> {
        StreamWriter::open(&self.handle)
    }

    /// Take the read end of a byte stream: [`Error::Busy`] while another
    /// reader holds it, [`Error::Disconnected`] once a reader closed it.
    pub fn stream_reader(&self) -> Result<StreamReader> {
        StreamReader::open(self.handle.raw())
    }

    /// A byte stream's latched state ([`Error::WrongKind`] on other kinds).
    pub fn stream_state(&self) -> Result<StreamState> {
        StreamState::of(self.handle.raw())
    }

    /// Open a request/response client ([`Error::WrongKind`] on other
    /// kinds).
    pub fn rpc_client(&self) -> Result<RpcClient> {
        RpcClient::open(&self.handle)
    }

    /// Open a request/response server; any number may serve at once (a
    /// work queue).
    pub fn rpc_server(&self) -> Result<RpcServer> {
        RpcServer::open(&self.handle)
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_region {
        self.handle.as_ptr()
    }
}
