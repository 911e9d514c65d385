//! [`Producer`]: copy publish, batch publish and zero-copy claim/commit.

use std::ffi::c_int;
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
    #[inline]
    pub fn kind(&self) -> ProducerKind {
        self.kind
    }

    /// Copy `data` into a slot and publish it (empty messages are fine).
    ///
    /// [`Error::TooLarge`] past the slot data size, [`Error::Full`] when no
    /// slot or queue space is free (retry later), [`Error::Disconnected`]
    /// once every consumer that attached has closed.
    #[inline]
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
    ///
    /// When the messages already sit back to back in one buffer,
    /// [`publish_packed`](Producer::publish_packed) publishes them without
    /// this copy.
    pub fn publish_batch<M: AsRef<[u8]>>(&mut self, msgs: &[M]) -> Result<usize> {
        self.pack.clear();
        self.lens.clear();
        self.lens.reserve(msgs.len());
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
        // SAFETY: pack holds exactly sum(lens) bytes, built just above.
        unsafe { publish_batch_raw(self.raw, self.pack.as_ptr(), &self.lens) }
    }

    /// Publish messages that are already packed back to back in `data`,
    /// message `i` being `lens[i]` bytes, in one call and without copying
    /// them first: `data` and `lens` go to `indexbus_publish_batch` as they
    /// are (the zero-copy form of [`publish_batch`](Producer::publish_batch),
    /// and the fastest way to publish a batch).
    ///
    /// The results are those of `publish_batch`: `Ok(n)` with how many went
    /// out (`n < lens.len()` if the batch stopped early after at least one;
    /// retry with the rest), `Err` with the reason if the first message
    /// could not go ([`Error::Full`], [`Error::TooLarge`],
    /// [`Error::Disconnected`], ...); empty `lens` gives `Ok(0)`. Bytes of
    /// `data` past the last message are ignored. If the lengths add up to
    /// more than `data.len()`, nothing is published and the result is
    /// [`Error::InvalidArgument`].
    ///
    /// ```
    /// use indexbus::{Config, ProducerKind, Region};
    /// let name = format!("/ib-doc-packed-{}", std::process::id());
    /// let region = Region::create(&name, &Config::events())?;
    /// let mut consumer = region.consumer(0)?;
    /// let mut producer = region.producer(ProducerKind::Spsc)?;
    ///
    /// assert_eq!(producer.publish_packed(b"onetwothree", &[3, 3, 5])?, 3);
    ///
    /// let (mut buf, mut lens) = ([0u8; 256], [0u32; 8]);
    /// let batch = consumer.recv_batch(&mut buf, &mut lens)?;
    /// assert_eq!(batch.iter().collect::<Vec<_>>(), [&b"one"[..], b"two", b"three"]);
    /// # Region::unlink(&name)?;
    /// # Ok::<(), indexbus::Error>(())
    /// ```
    #[inline]
    pub fn publish_packed(&mut self, data: &[u8], lens: &[u32]) -> Result<usize> {
        // The C library cannot see data's length: it reads lens[i] bytes for
        // each message it publishes. Make sure all of them are in `data`.
        if !packed_fits(data.len(), lens) {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: data holds at least sum(lens) bytes (checked above).
        unsafe { publish_batch_raw(self.raw, data.as_ptr(), lens) }
    }

    /// Reserve a slot for zero-copy writing.
    ///
    /// The returned [`Claim`] dereferences to the slot's whole data area
    /// (`&mut [u8]` of [`capacity`](Claim::capacity) bytes, with whatever
    /// an earlier message left there). Call [`Claim::commit`] with the
    /// message length to publish it; dropping the guard without committing
    /// gives the slot back (`indexbus_abort`).
    #[inline]
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
    #[inline]
    pub fn as_ptr(&self) -> *mut sys::indexbus_producer {
        self.raw.as_ptr()
    }
}

/// Do messages of `lens` bytes, back to back, fit in `data_len` bytes?
#[inline]
fn packed_fits(data_len: usize, lens: &[u32]) -> bool {
    if lens.len() <= u32::MAX as usize {
        // at most 2^32 - 1 lengths below 2^32 each: the u64 sum cannot
        // overflow, and this loop vectorises
        lens.iter().map(|&l| u64::from(l)).sum::<u64>() <= data_len as u64
    } else {
        lens.iter()
            .try_fold(0u64, |sum, &l| sum.checked_add(u64::from(l)))
            .is_some_and(|sum| sum <= data_len as u64)
    }
}

/// `indexbus_publish_batch` with the binding's result convention: `Ok(n)`
/// if at least one message went out, else the reason.
///
/// # Safety
///
/// `raw` is a live producer handle used by no other thread, and `data` is
/// valid for reads of `sum(lens)` bytes.
#[inline]
unsafe fn publish_batch_raw(
    raw: NonNull<sys::indexbus_producer>,
    data: *const u8,
    lens: &[u32],
) -> Result<usize> {
    let mut published = 0usize;
    // SAFETY: the caller's guarantees; lens has lens.len() entries and
    // published is a valid out-pointer. A pending claim would hold
    // `&mut Producer`, so there is none (the library checks anyway).
    let st = unsafe {
        sys::indexbus_publish_batch(
            raw.as_ptr(),
            data.cast(),
            lens.as_ptr(),
            lens.len(),
            &mut published,
        )
    };
    if st == sys::INDEXBUS_OK as c_int || published > 0 {
        Ok(published)
    } else {
        Err(Error::from_status(st))
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
