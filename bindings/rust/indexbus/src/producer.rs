//! [`Producer`]: copy publish, batch publish and zero-copy claim/commit.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};
use std::slice;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};

/// Which producer queue a [`Producer`] writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProducerKind {
    /// `INDEXBUS_PRODUCER_SPSC`: exclusive, one per region, lowest overhead.
    Spsc,
    /// `INDEXBUS_PRODUCER_MPSC`: any number, from any thread or process;
    /// open one per thread.
    Mpsc,
}

impl ProducerKind {
    fn to_raw(self) -> u32 {
        match self {
            ProducerKind::Spsc => sys::INDEXBUS_PRODUCER_SPSC,
            ProducerKind::Mpsc => sys::INDEXBUS_PRODUCER_MPSC,
        }
    }
}

/// A producer handle, opened with [`Region::producer`](crate::Region::producer).
///
/// It owns a reference to the region's mapping (the C library refcounts
/// it), so it may outlive the [`Region`](crate::Region) value it came from.
/// Dropping it closes the handle (aborting a pending claim, which the
/// [`Claim`] guard's borrow rules out anyway).
///
/// `Producer` is `Send` (the C handle has no thread affinity) but not
/// `Sync`: the C contract forbids using one handle from two threads at
/// once. All methods take `&mut self`, and a [`Claim`] borrows the producer
/// mutably, so "publish while a claim is pending" cannot be written.
///
/// ```
/// use indexbus::{Config, ProducerKind, Region};
/// use std::time::Duration;
/// let name = format!("/ib-doc-producer-{}", std::process::id());
/// let region = Region::create(&name, &Config::events())?;
/// let mut consumer = region.consumer(0)?;
/// let mut producer = region.producer(ProducerKind::Spsc)?;
///
/// producer.publish(b"copied")?;
/// let mut claim = producer.claim()?;          // zero-copy: write into the slot
/// claim[..8].copy_from_slice(b"in-place");
/// claim.commit(8)?;
/// assert_eq!(producer.publish_batch(&[&b"a"[..], b"bc"])?, 2);
///
/// let mut buf = [0u8; 64];
/// let n = consumer.recv(&mut buf, Duration::from_secs(1))?;
/// assert_eq!(&buf[..n], b"copied");
/// assert_eq!(&*consumer.recv_borrow(Duration::from_secs(1))?, b"in-place");
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
///
/// Using a producer after it was dropped (closed) does not compile, so the
/// C library's "closed handle" case cannot happen:
///
/// ```compile_fail,E0382
/// # use indexbus::{Config, ProducerKind, Region};
/// # let region = Region::create("/ib-doc-never-created", &Config::events())?;
/// let mut producer = region.producer(ProducerKind::Mpsc)?;
/// drop(producer);                 // indexbus_producer_close
/// producer.publish(b"late")?;     // error[E0382]: borrow of moved value
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct Producer {
    raw: NonNull<sys::indexbus_producer>,
    kind: ProducerKind,
    /// publish_batch packing buffers, reused across calls
    pack: Vec<u8>,
    lens: Vec<u32>,
}

// SAFETY: the C producer handle may be used from any thread as long as only
// one thread uses it at a time; `Producer` is not `Sync` (the raw pointer
// field keeps it `!Sync`) and every operation needs `&mut self`.
unsafe impl Send for Producer {}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Producer {
    pub(crate) fn open(
        region: NonNull<sys::indexbus_region>,
        kind: ProducerKind,
    ) -> Result<Producer> {
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer; attach is atomic.
        check(unsafe { sys::indexbus_producer_open(region.as_ptr(), kind.to_raw(), &mut out) })?;
        Ok(Producer {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL producer"),
            kind,
            pack: Vec::new(),
            lens: Vec::new(),
        })
    }

    /// SPSC or MPSC.
    pub fn kind(&self) -> ProducerKind {
        self.kind
    }

    /// Copy `data` into a slot and publish it (empty messages are fine).
    ///
    /// [`Error::TooLarge`] past the slot data size, [`Error::Full`] when no
    /// slot or queue space is free (retry later), [`Error::Disconnected`]
    /// once every consumer that attached has closed.
    pub fn publish(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: exclusive handle; data valid for len bytes (NULL never passed).
        check(unsafe { sys::indexbus_publish(self.raw.as_ptr(), data.as_ptr().cast(), data.len()) })
    }

    /// Publish several messages in one call, in order.
    ///
    /// The messages are packed back to back into one reused buffer for
    /// `indexbus_publish_batch`. Returns how many went out. Like
    /// [`std::io::Write::write`], a batch that stops early after publishing
    /// at least one message returns `Ok(n)` with `n < msgs.len()`: retry
    /// with `&msgs[n..]`, which reports the reason as `Err` if the first
    /// message still cannot go (e.g. [`Error::Full`] or
    /// [`Error::TooLarge`]). An empty batch returns `Ok(0)`.
    pub fn publish_batch<M: AsRef<[u8]>>(&mut self, msgs: &[M]) -> Result<usize> {
        self.pack.clear();
        self.lens.clear();
        for m in msgs {
            let m = m.as_ref();
            // longer than u32: cannot fit any slot; stop the batch there
            let Ok(len) = u32::try_from(m.len()) else {
                break;
            };
            self.pack.extend_from_slice(m);
            self.lens.push(len);
        }
        if self.lens.len() < msgs.len() && self.lens.is_empty() {
            return Err(Error::TooLarge);
        }
        let mut published = 0usize;
        // SAFETY: exclusive handle; pack holds sum(lens) bytes; lens has
        // lens.len() entries; published is a valid out-pointer.
        let st = unsafe {
            sys::indexbus_publish_batch(
                self.raw.as_ptr(),
                self.pack.as_ptr().cast(),
                self.lens.as_ptr(),
                self.lens.len(),
                &mut published,
            )
        };
        match check(st) {
            Ok(()) => Ok(published),
            Err(_) if published > 0 => Ok(published),
            Err(e) => Err(e),
        }
    }

    /// Reserve a slot for zero-copy writing.
    ///
    /// The returned [`Claim`] dereferences to the slot's whole data area
    /// (`&mut [u8]` of [`capacity`](Claim::capacity) bytes, with whatever
    /// an earlier message left there). Call [`Claim::commit`] with the
    /// message length to publish it; dropping the guard without committing
    /// gives the slot back (`indexbus_abort`).
    pub fn claim(&mut self) -> Result<Claim<'_>> {
        let mut buf = ptr::null_mut();
        let mut cap = 0usize;
        // SAFETY: exclusive handle, valid out-pointers. No claim is pending:
        // a pending claim would hold `&mut self`.
        check(unsafe { sys::indexbus_claim(self.raw.as_ptr(), &mut buf, &mut cap) })?;
        Ok(Claim {
            producer: self,
            buf: NonNull::new(buf.cast()).expect("libindexbus returned OK with a NULL slot"),
            cap,
        })
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it or use it from another thread.
    pub fn as_ptr(&self) -> *mut sys::indexbus_producer {
        self.raw.as_ptr()
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // SAFETY: we own the handle; nothing borrows it any more.
        unsafe { sys::indexbus_producer_close(self.raw.as_ptr()) };
    }
}

/// A claimed slot ([`Producer::claim`]): write the message into it, then
/// [`commit`](Claim::commit). Dropped without a successful commit, it
/// aborts (the slot goes back unpublished).
///
/// It dereferences to the slot's data area in the shared mapping. The slot
/// belongs to this producer until commit or abort; other processes that
/// follow the protocol do not touch it.
///
/// While the claim lives the producer is mutably borrowed, so it can
/// neither publish nor be dropped:
///
/// ```compile_fail,E0499
/// # use indexbus::{Config, ProducerKind, Region};
/// # let region = Region::create("/ib-doc-never-created", &Config::events())?;
/// let mut producer = region.producer(ProducerKind::Spsc)?;
/// let mut claim = producer.claim()?;
/// producer.publish(b"x")?;        // error[E0499]: producer already borrowed
/// claim.commit(1)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct Claim<'a> {
    producer: &'a mut Producer,
    buf: NonNull<u8>,
    cap: usize,
}

// SAFETY: a claim is a `&mut Producer` (Send) plus a pointer into the
// mapping that the producer keeps alive; moving it to another thread moves
// the exclusive use of the producer with it.
unsafe impl Send for Claim<'_> {}

impl fmt::Debug for Claim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("capacity", &self.cap)
            .finish_non_exhaustive()
    }
}

impl<'a> Claim<'a> {
    /// The slot data size: the longest message this claim can commit.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Publish the first `len` bytes of the slot.
    ///
    /// On failure ([`Error::Full`]: the MPSC queue is full; [`Error::TooLarge`]:
    /// `len > capacity()`) the claim stays pending and comes back inside
    /// the [`CommitError`]: retry with [`CommitError::into_claim`], or let it
    /// drop to abort. `?` converts a `CommitError` into an [`Error`] (and
    /// aborts the claim).
    pub fn commit(self, len: usize) -> Result<(), CommitError<'a>> {
        // SAFETY: exclusive handle with a pending claim.
        match check(unsafe { sys::indexbus_commit(self.producer.raw.as_ptr(), len) }) {
            Ok(()) => {
                // published: nothing left to abort, and the guard owns nothing else
                std::mem::forget(self);
                Ok(())
            }
            Err(error) => Err(CommitError { error, claim: self }),
        }
    }

    /// Give the slot back without publishing (what dropping does).
    pub fn abort(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: exclusive handle with a pending claim.
        check(unsafe { sys::indexbus_abort(this.producer.raw.as_ptr()) })
    }
}

impl Deref for Claim<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the claimed slot's data area, cap bytes, mapped while the
        // producer lives and owned by this claim until commit/abort.
        unsafe { slice::from_raw_parts(self.buf.as_ptr(), self.cap) }
    }
}

impl DerefMut for Claim<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref; &mut self makes the access exclusive.
        unsafe { slice::from_raw_parts_mut(self.buf.as_ptr(), self.cap) }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // SAFETY: exclusive handle with a pending claim (commit forgets the guard).
        unsafe { sys::indexbus_abort(self.producer.raw.as_ptr()) };
    }
}

/// A failed [`Claim::commit`]: the error and the still-pending claim.
pub struct CommitError<'a> {
    error: Error,
    claim: Claim<'a>,
}

impl<'a> CommitError<'a> {
    /// Why the commit failed.
    pub fn error(&self) -> Error {
        self.error
    }
    /// The claim, still pending, to retry the commit.
    pub fn into_claim(self) -> Claim<'a> {
        self.claim
    }
}

impl fmt::Debug for CommitError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for CommitError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "commit failed, claim still pending: {}", self.error)
    }
}

impl std::error::Error for CommitError<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<CommitError<'_>> for Error {
    /// Keep the error; the claim is dropped, which aborts it.
    fn from(e: CommitError<'_>) -> Error {
        e.error
    }
}
