//! [`Region`]: create, open, inspect and unlink a shared-memory region, and
//! open handles on it.

use std::ffi::CString;
use std::mem::size_of;
use std::ptr::{self, NonNull};
use std::time::Duration;

use indexbus_sys as sys;

use crate::consumer::Consumer;
use crate::error::{check, Error, Result};
use crate::producer::{Producer, ProducerKind};
use crate::router::Router;
use crate::version::ensure_compatible;

/// What a region carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `INDEXBUS_KIND_EVENTS`: SPSC/MPSC producers to one consumer (index 0).
    Events,
    /// `INDEXBUS_KIND_FANOUT`: producers to a router to N consumers.
    Fanout,
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
            Kind::Other(v) => v,
        }
    }
    /// From an `INDEXBUS_KIND_*` value; unknown values become `Other`.
    pub fn from_raw(v: u32) -> Kind {
        match v {
            sys::INDEXBUS_KIND_EVENTS => Kind::Events,
            sys::INDEXBUS_KIND_FANOUT => Kind::Fanout,
            other => Kind::Other(other),
        }
    }
}

/// Geometry and options for [`Region::create`]. Zero fields mean "library
/// default" (slots of 256 bytes: events 2048, fanout 1024; a queue of 1024,
/// or as deep as `slot_count` when that is set (events regions with twice
/// as many slots as queue cells recycle SPSC slots); fanout: 4 consumers;
/// mode 0600).
///
/// ```
/// use indexbus::{Config, Kind};
/// let cfg = Config::fanout(3).slot_count(64).slot_data_size(128);
/// assert_eq!(cfg.kind, Kind::Fanout);
/// assert_eq!(cfg.consumer_count, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Region kind.
    pub kind: Kind,
    /// Power of two, 2..=1Mi; 0 = 1024.
    pub slot_count: u32,
    /// Bytes per message, multiple of 8, 64..=1 MiB; 0 = 256.
    pub slot_data_size: u32,
    /// Power of two; 0 = slot_count.
    pub queue_capacity: u32,
    /// Events: 1; fanout: 1..=64; 0 = default (1 or 4).
    pub consumer_count: u32,
    /// File mode bits (e.g. `0o660`); 0 = `0o600`.
    pub mode: u32,
    /// Touch every page at creation (`INDEXBUS_CREATE_PREFAULT`).
    pub prefault: bool,
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

    fn to_raw(&self) -> sys::indexbus_region_config {
        sys::indexbus_region_config {
            size: size_of::<sys::indexbus_region_config>() as u32,
            kind: self.kind.to_raw(),
            slot_count: self.slot_count,
            slot_data_size: self.slot_data_size,
            queue_capacity: self.queue_capacity,
            consumer_count: self.consumer_count,
            mode: self.mode,
            flags: if self.prefault {
                sys::INDEXBUS_CREATE_PREFAULT
            } else {
                0
            },
        }
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
    /// Messages waiting for it.
    pub depth: u64,
}

/// An IndexBus region mapped into this process.
///
/// Names with no `/` after the first character (`"orders"`, `"/orders"`)
/// are POSIX shared memory; anything else (`"/tmp/x.region"`, `"./x"`) is a
/// file path. Dropping the `Region` closes this process's reference; the
/// mapping lives on while [`Producer`]s, [`Consumer`]s or [`Router`]s
/// opened from it are alive (the C library refcounts it), so those handles
/// own their share of the region and carry no lifetime. The name stays
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
    raw: NonNull<sys::indexbus_region>,
    name: String,
}

// SAFETY: see "Thread safety" above. The handle has no thread affinity (no
// thread-local state in the library), and every operation through `&Region`
// is safe to run concurrently per the C implementation (read-only atomics,
// atomic attach and refcount).
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

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
            raw: NonNull::new(raw).expect("libindexbus returned OK with a NULL region"),
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
        let mut i = sys::indexbus_info {
            size: size_of::<sys::indexbus_info>() as u32,
            ..Default::default()
        };
        // SAFETY: live region, struct with size set; read-only and thread-safe in C.
        check(unsafe { sys::indexbus_region_info(self.raw.as_ptr(), &mut i) })?;
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
        })
    }

    /// Counters of consumer `index` ([`Error::OutOfRange`] past the count).
    pub fn consumer_stats(&self, index: u32) -> Result<ConsumerStats> {
        let mut s = sys::indexbus_consumer_stats {
            size: size_of::<sys::indexbus_consumer_stats>() as u32,
            ..Default::default()
        };
        // SAFETY: live region, struct with size set; read-only and thread-safe in C.
        check(unsafe { sys::indexbus_region_consumer_stats(self.raw.as_ptr(), index, &mut s) })?;
        Ok(ConsumerStats {
            attached: s.attached != 0,
            delivered: s.delivered,
            dropped_full: s.dropped_full,
            dropped_no_credit: s.dropped_no_credit,
            depth: s.depth,
        })
    }

    /// Open a producer. [`ProducerKind::Spsc`] is exclusive per region
    /// ([`Error::Busy`] otherwise); open one [`ProducerKind::Mpsc`] producer
    /// per thread.
    pub fn producer(&self, kind: ProducerKind) -> Result<Producer> {
        Producer::open(self.raw, kind)
    }

    /// Open consumer `index` (events regions: 0 only). Exclusive per index.
    pub fn consumer(&self, index: u32) -> Result<Consumer> {
        Consumer::open(self.raw, index)
    }

    /// Open the region's router (fanout only: [`Error::WrongKind`] on an
    /// events region; exclusive: [`Error::Busy`]).
    pub fn router(&self) -> Result<Router> {
        Router::open(self.raw)
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_region {
        self.raw.as_ptr()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: we own this reference; handles opened from it hold their own.
        unsafe { sys::indexbus_region_close(self.raw.as_ptr()) };
    }
}
