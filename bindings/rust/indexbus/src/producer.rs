//! [`Producer`]: copy publish, batch publish, zero-copy claim/commit,
//! blocking publish/claim and the byte-log batch claim.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Index, IndexMut};
use std::ptr::{self, NonNull};
use std::slice;
use std::time::Duration;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};
use crate::region::nanos;

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
    /// publish_batch packing buffers, reused across calls; `lens` also
    /// holds the record lengths of a pending [`BatchClaim`]
    pack: Vec<u8>,
    lens: Vec<u32>,
    /// the record buffers of a pending [`BatchClaim`], reused across calls
    bufs: Vec<*mut c_void>,
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
            bufs: Vec::new(),
        })
    }

    /// SPSC or MPSC.
    #[inline]
    pub fn kind(&self) -> ProducerKind {
        self.kind
    }

    /// Copy `data` into a slot (a byte log: into the ring) and publish it
    /// (empty messages are fine).
    ///
    /// [`Error::TooLarge`] past the slot data size (byte logs: past
    /// `max_record`), [`Error::Full`] when no slot, queue or ring space is
    /// free (retry later, or use [`publish_wait`](Producer::publish_wait)),
    /// [`Error::Disconnected`] once every consumer that attached has closed.
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

    /// Copy `data` in and publish it, waiting up to `timeout` for room.
    ///
    /// As [`publish`](Producer::publish), but when the region is full the
    /// producer spins, then parks until the consumer (fanout: the router)
    /// frees space, for every region kind. [`Error::Timeout`] when no room
    /// came within `timeout` (nothing is published);
    /// [`Error::Disconnected`] when the consumer is gone, also while
    /// waiting (a consumer that leaves or dies wakes parked producers);
    /// [`Error::TooLarge`] at once for a message that can never fit.
    ///
    /// ```
    /// use indexbus::{Config, ProducerKind, Region};
    /// use std::time::Duration;
    /// let name = format!("/ib-doc-publish-wait-{}", std::process::id());
    /// let region = Region::create(&name, &Config::log().byte_capacity(4096))?;
    /// let mut consumer = region.consumer(0)?;
    /// let mut producer = region.producer(ProducerKind::Spsc)?;
    /// // 64 records of 56 bytes (64 with their headers) fill the 4 KiB ring
    /// for _ in 0..64 {
    ///     producer.publish_wait(&[7u8; 56], Duration::from_secs(1))?;
    /// }
    /// let err = producer.publish_wait(&[7u8; 56], Duration::from_millis(10));
    /// assert!(err.unwrap_err().is_timeout());
    /// # Region::unlink(&name)?;
    /// # Ok::<(), indexbus::Error>(())
    /// ```
    #[inline]
    pub fn publish_wait(&mut self, data: &[u8], timeout: Duration) -> Result<()> {
        // SAFETY: exclusive handle; data valid for len bytes (NULL never passed).
        check(unsafe {
            sys::indexbus_publish_wait(
                self.raw.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                nanos(timeout),
            )
        })
    }

    /// Reserve a slot for zero-copy writing (a byte log: `max_record`
    /// bytes of the ring; [`claim_len`](Producer::claim_len) reserves only
    /// what a record needs).
    ///
    /// The returned [`Claim`] dereferences to the slot's whole data area
    /// (`&mut [u8]` of [`capacity`](Claim::capacity) bytes, with whatever
    /// an earlier message left there). Call [`Claim::commit`] with the
    /// message length to publish it; dropping the guard without committing
    /// gives the slot back (`indexbus_abort`; in a byte log the space
    /// becomes padding the consumer skips).
    #[inline]
    pub fn claim(&mut self) -> Result<Claim<'_>> {
        let mut buf = ptr::null_mut();
        let mut cap = 0usize;
        // SAFETY: exclusive handle, valid out-pointers. No claim is pending:
        // a pending claim would hold `&mut self`.
        check(unsafe { sys::indexbus_claim(self.raw.as_ptr(), &mut buf, &mut cap) })?;
        Ok(Claim::new(self, buf, cap))
    }

    /// Reserve exactly `len` bytes for zero-copy writing (`len` may be 0).
    ///
    /// The [`Claim`] dereferences to `&mut [u8]` of exactly `len` bytes
    /// ([`capacity`](Claim::capacity) is `len`). [`Claim::commit`]`(n)`
    /// publishes the first `n <= len` of them (a shorter commit leaves the
    /// rest as padding in a byte log); dropping the guard aborts. In a byte
    /// log this takes `8 + len` bytes of the ring, rounded up to 8, instead
    /// of the `max_record` bytes [`claim`](Producer::claim) reserves; in an
    /// events or fanout region it is a slot, seen `len` bytes long.
    ///
    /// [`Error::TooLarge`] if `len` exceeds the region's `max_record`
    /// (events and fanout: the slot data size), [`Error::Full`] if there is
    /// no room now (or wait for it with
    /// [`claim_wait`](Producer::claim_wait)), [`Error::Disconnected`] once
    /// the consumer has closed.
    ///
    /// ```
    /// use indexbus::{Config, ProducerKind, Region};
    /// let name = format!("/ib-doc-claim-len-{}", std::process::id());
    /// let region = Region::create(&name, &Config::log().byte_capacity(64 * 1024))?;
    /// let mut consumer = region.consumer(0)?;
    /// let mut producer = region.producer(ProducerKind::Mpsc)?;
    ///
    /// let mut claim = producer.claim_len(11)?;
    /// assert_eq!(claim.len(), 11);
    /// claim.copy_from_slice(b"hello world");
    /// claim.commit(11)?;
    ///
    /// let mut claim = producer.claim_len(100)?;
    /// claim[..5].copy_from_slice(b"short");
    /// claim.commit(5)?; // the other 95 bytes become padding
    ///
    /// assert_eq!(&*consumer.try_recv_borrow()?, b"hello world");
    /// assert_eq!(&*consumer.try_recv_borrow()?, b"short");
    /// # Region::unlink(&name)?;
    /// # Ok::<(), indexbus::Error>(())
    /// ```
    #[inline]
    pub fn claim_len(&mut self, len: usize) -> Result<Claim<'_>> {
        let mut buf = ptr::null_mut();
        // SAFETY: exclusive handle, valid out-pointer; no claim is pending
        // (a pending claim would hold `&mut self`).
        check(unsafe { sys::indexbus_claim_len(self.raw.as_ptr(), len, &mut buf) })?;
        Ok(Claim::new(self, buf, len))
    }

    /// As [`claim_len`](Producer::claim_len), waiting up to `timeout` for
    /// room when the region is full (spin, then park until the consumer or
    /// router frees space; every region kind).
    ///
    /// [`Error::Timeout`] when no room came within `timeout`;
    /// [`Error::Disconnected`] when the consumer is gone, also while
    /// waiting; [`Error::TooLarge`] at once when `len` can never fit.
    #[inline]
    pub fn claim_wait(&mut self, len: usize, timeout: Duration) -> Result<Claim<'_>> {
        let mut buf = ptr::null_mut();
        // SAFETY: as in claim_len.
        check(unsafe {
            sys::indexbus_claim_wait(self.raw.as_ptr(), len, &mut buf, nanos(timeout))
        })?;
        Ok(Claim::new(self, buf, len))
    }

    /// Reserve several records of `lens[i]` bytes in a byte log with one
    /// reservation, to fill in place and publish with one store
    /// ([`BatchClaim::commit`]).
    ///
    /// Nothing is visible to the consumer until the commit, which publishes
    /// the first `n` records; the rest, or all of them if the guard is
    /// dropped uncommitted, become padding the consumer skips.
    ///
    /// [`Error::WrongKind`] on events and fanout regions (use
    /// [`publish_batch`](Producer::publish_batch) there);
    /// [`Error::TooLarge`] if a record exceeds `max_record` or the batch
    /// (`8 + len` bytes per record, rounded up to 8) exceeds half the ring;
    /// [`Error::Full`] if the whole batch does not fit now;
    /// [`Error::InvalidArgument`] for an empty `lens`;
    /// [`Error::Disconnected`] once the consumer has closed.
    ///
    /// ```
    /// use indexbus::{Config, ProducerKind, Region};
    /// let name = format!("/ib-doc-claim-batch-{}", std::process::id());
    /// let region = Region::create(&name, &Config::log().byte_capacity(64 * 1024))?;
    /// let mut consumer = region.consumer(0)?;
    /// let mut producer = region.producer(ProducerKind::Spsc)?;
    ///
    /// let mut batch = producer.claim_batch(&[3, 0, 5])?;
    /// batch[0].copy_from_slice(b"one");
    /// batch[2].copy_from_slice(b"three");
    /// batch.commit_all()?; // all three, with one store
    ///
    /// let (mut buf, mut lens) = ([0u8; 64], [0u32; 8]);
    /// let got = consumer.recv_batch(&mut buf, &mut lens)?;
    /// assert_eq!(got.iter().collect::<Vec<_>>(), [&b"one"[..], b"", b"three"]);
    /// # Region::unlink(&name)?;
    /// # Ok::<(), indexbus::Error>(())
    /// ```
    pub fn claim_batch(&mut self, lens: &[u32]) -> Result<BatchClaim<'_>> {
        self.bufs.clear();
        self.bufs.resize(lens.len(), ptr::null_mut());
        // SAFETY: exclusive handle; lens has lens.len() entries and bufs
        // room for as many pointers; no claim is pending (it would hold
        // `&mut self`). The library copies the lengths it keeps.
        check(unsafe {
            sys::indexbus_claim_batch(
                self.raw.as_ptr(),
                lens.as_ptr(),
                lens.len(),
                self.bufs.as_mut_ptr(),
            )
        })?;
        self.lens.clear();
        self.lens.extend_from_slice(lens);
        Ok(BatchClaim { producer: self })
    }

    /// The free space as this producer sees it now.
    ///
    /// Byte logs: free ring bytes. A record of `len` bytes takes `8 + len`
    /// rounded up to a multiple of 8, plus padding when it would straddle
    /// the ring's end; the consumer gives read space back in batches (a
    /// quarter of the ring, or when it has read everything). Events and
    /// fanout regions: how many messages it could publish now without
    /// [`Error::Full`] (the free cells of its producer queue).
    ///
    /// ```
    /// use indexbus::{Config, ProducerKind, Region};
    /// let name = format!("/ib-doc-space-{}", std::process::id());
    /// let region = Region::create(&name, &Config::log().byte_capacity(4096))?;
    /// let _consumer = region.consumer(0)?;
    /// let mut producer = region.producer(ProducerKind::Spsc)?;
    /// assert_eq!(producer.space()?, 4096);
    /// producer.publish(b"12345")?; // 8-byte header + 5 bytes, rounded up to 16
    /// assert_eq!(producer.space()?, 4096 - 16);
    /// # Region::unlink(&name)?;
    /// # Ok::<(), indexbus::Error>(())
    /// ```
    #[inline]
    pub fn space(&mut self) -> Result<u64> {
        let mut space = 0u64;
        // SAFETY: exclusive handle, valid out-pointer.
        check(unsafe { sys::indexbus_producer_space(self.raw.as_ptr(), &mut space) })?;
        Ok(space)
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

impl<'a> Claim<'a> {
    /// The guard for a claim the library just granted: `buf` is valid for
    /// `cap` bytes (any non-NULL pointer for `cap == 0`).
    #[inline]
    fn new(producer: &'a mut Producer, buf: *mut c_void, cap: usize) -> Claim<'a> {
        let buf = match NonNull::new(buf.cast()) {
            Some(b) => b,
            None if cap == 0 => NonNull::dangling(),
            None => panic!("libindexbus returned OK with a NULL claim"),
        };
        Claim { producer, buf, cap }
    }
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
    /// The longest message this claim can commit: the slot data size
    /// ([`Producer::claim`]; a byte log's `max_record`), or exactly the
    /// length asked for ([`Producer::claim_len`], [`Producer::claim_wait`]).
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Publish the first `len` bytes of the claim.
    ///
    /// On failure ([`Error::Full`]: the MPSC queue is full; [`Error::TooLarge`]:
    /// `len > capacity()`) the claim stays pending and comes back inside
    /// the [`CommitError`]: retry with [`CommitError::into_claim`], or let it
    /// drop to abort. `?` converts a `CommitError` into an [`Error`] (and
    /// aborts the claim).
    pub fn commit(self, len: usize) -> Result<(), CommitError<'a>> {
        if len > self.cap {
            // the library would allow a whole slot after claim_len on an
            // events region; the guard only ever exposed cap bytes
            return Err(CommitError {
                error: Error::TooLarge,
                claim: self,
            });
        }
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

    /// Give the slot back without publishing (what dropping does; in a byte
    /// log the reserved bytes become padding).
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

/// Records claimed together in a byte log ([`Producer::claim_batch`]):
/// fill them in place, then [`commit`](BatchClaim::commit) the first `n`
/// with one store. Dropped without a commit, nothing is published: the
/// whole reservation becomes padding the consumer skips.
///
/// Index it (`batch[i]`, [`get_mut`](BatchClaim::get_mut)) or iterate
/// ([`iter_mut`](BatchClaim::iter_mut)) to get record `i`'s buffer, a
/// `&mut [u8]` of exactly the length asked for. Like [`Claim`], it
/// borrows the producer mutably while it lives.
///
/// ```
/// use indexbus::{Config, ProducerKind, Region};
/// let name = format!("/ib-doc-batch-claim-{}", std::process::id());
/// let region = Region::create(&name, &Config::log().byte_capacity(64 * 1024))?;
/// let mut consumer = region.consumer(0)?;
/// let mut producer = region.producer(ProducerKind::Mpsc)?;
///
/// let mut batch = producer.claim_batch(&[2, 2, 2])?;
/// for (i, rec) in batch.iter_mut().enumerate() {
///     rec.copy_from_slice(&[b'a' + i as u8; 2]);
/// }
/// batch.commit(2)?; // "aa" and "bb"; "cc" becomes padding
///
/// drop(producer.claim_batch(&[10])?); // dropped: nothing is published
///
/// let mut buf = [0u8; 16];
/// assert_eq!(consumer.try_recv(&mut buf)?, 2);
/// assert_eq!(&buf[..2], b"aa");
/// assert_eq!(consumer.try_recv(&mut buf)?, 2);
/// assert_eq!(&buf[..2], b"bb");
/// assert!(consumer.try_recv(&mut buf).unwrap_err().is_empty());
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
///
/// While the batch is pending the producer can do nothing else:
///
/// ```compile_fail,E0499
/// # use indexbus::{Config, ProducerKind, Region};
/// # let region = Region::create("/ib-doc-never-created", &Config::log())?;
/// let mut producer = region.producer(ProducerKind::Spsc)?;
/// let batch = producer.claim_batch(&[1])?;
/// producer.publish(b"x")?;        // error[E0499]: producer already borrowed
/// batch.commit_all()?;
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct BatchClaim<'a> {
    /// holds the record buffers (`bufs`) and lengths (`lens`) while the
    /// claim is pending
    producer: &'a mut Producer,
}

impl fmt::Debug for BatchClaim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchClaim")
            .field("lens", &self.producer.lens)
            .finish_non_exhaustive()
    }
}

impl<'a> BatchClaim<'a> {
    /// Number of records claimed.
    #[inline]
    pub fn len(&self) -> usize {
        self.producer.lens.len()
    }

    /// Never true: an empty batch claim is [`Error::InvalidArgument`].
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.producer.lens.is_empty()
    }

    /// The record lengths, as given to [`Producer::claim_batch`].
    #[inline]
    pub fn lens(&self) -> &[u32] {
        &self.producer.lens
    }

    /// Record `i`'s buffer, or `None` past the last record.
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        let len = *self.producer.lens.get(i)? as usize;
        let buf = self.producer.bufs[i];
        // SAFETY: record i's payload, len bytes of the reservation owned by
        // this claim; records do not overlap, and &mut self makes the
        // access exclusive.
        Some(unsafe { record_mut(buf, len) })
    }

    /// Every record's buffer, in order (disjoint `&mut [u8]`s).
    #[inline]
    pub fn iter_mut(&mut self) -> BatchClaimIterMut<'_> {
        BatchClaimIterMut {
            bufs: &self.producer.bufs,
            lens: &self.producer.lens,
            _records: PhantomData,
        }
    }

    /// Publish the first `n` records with one store; the rest become
    /// padding. `n` may be 0 (all padding).
    ///
    /// On an error nothing is published and the whole batch becomes
    /// padding: [`Error::InvalidArgument`] if `n > len()`,
    /// [`Error::NoMemory`] if the library could not allocate its header
    /// list (only for batches of more than 64 records).
    pub fn commit(self, n: usize) -> Result<()> {
        if n > self.len() {
            return Err(Error::InvalidArgument); // dropping pads the batch
        }
        // SAFETY: exclusive handle with a pending batch claim.
        check(unsafe { sys::indexbus_commit_batch(self.producer.raw.as_ptr(), n) })?;
        // published: nothing left to abort
        std::mem::forget(self);
        Ok(())
    }

    /// Publish every record ([`commit`](BatchClaim::commit)`(len())`).
    pub fn commit_all(self) -> Result<()> {
        let n = self.len();
        self.commit(n)
    }

    /// Publish nothing: the reserved bytes become padding (what dropping
    /// does).
    pub fn abort(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: exclusive handle with a pending batch claim.
        check(unsafe { sys::indexbus_abort(this.producer.raw.as_ptr()) })
    }
}

/// # Safety
///
/// `buf` points at `len` bytes of a pending claim that nothing else
/// accesses for `'r` (any non-NULL pointer for `len == 0`).
#[inline]
unsafe fn record_mut<'r>(buf: *mut c_void, len: usize) -> &'r mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: the caller's guarantees.
    unsafe { slice::from_raw_parts_mut(buf.cast(), len) }
}

impl Index<usize> for BatchClaim<'_> {
    type Output = [u8];
    /// Record `i`'s buffer; panics past the last record.
    fn index(&self, i: usize) -> &[u8] {
        let len = self.producer.lens[i] as usize;
        if len == 0 {
            return &[];
        }
        // SAFETY: as in get_mut; &self gives shared access only.
        unsafe { slice::from_raw_parts(self.producer.bufs[i].cast(), len) }
    }
}

impl IndexMut<usize> for BatchClaim<'_> {
    /// Record `i`'s buffer; panics past the last record.
    fn index_mut(&mut self, i: usize) -> &mut [u8] {
        let n = self.len();
        self.get_mut(i)
            .unwrap_or_else(|| panic!("record {i} of a batch claim of {n}"))
    }
}

impl Drop for BatchClaim<'_> {
    fn drop(&mut self) {
        // SAFETY: exclusive handle with a pending batch claim (commit
        // forgets the guard); abort turns the reservation into padding.
        unsafe { sys::indexbus_abort(self.producer.raw.as_ptr()) };
    }
}

/// Iterator over a [`BatchClaim`]'s record buffers
/// ([`BatchClaim::iter_mut`]).
pub struct BatchClaimIterMut<'r> {
    bufs: &'r [*mut c_void],
    lens: &'r [u32],
    /// yields `&'r mut [u8]`s into the reservation the claim owns
    _records: PhantomData<&'r mut [u8]>,
}

impl fmt::Debug for BatchClaimIterMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchClaimIterMut")
            .field("remaining", &self.lens.len())
            .finish_non_exhaustive()
    }
}

impl<'r> Iterator for BatchClaimIterMut<'r> {
    type Item = &'r mut [u8];
    #[inline]
    fn next(&mut self) -> Option<&'r mut [u8]> {
        let (&len, lens) = self.lens.split_first()?;
        let (&buf, bufs) = self.bufs.split_first()?;
        self.lens = lens;
        self.bufs = bufs;
        // SAFETY: each record is yielded once, records do not overlap, and
        // the iterator holds the claim's `&mut` borrow for 'r.
        Some(unsafe { record_mut(buf, len as usize) })
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.lens.len(), Some(self.lens.len()))
    }
}

impl ExactSizeIterator for BatchClaimIterMut<'_> {}
