//! [`Consumer`]: copy, borrow, batch and blocking receive.

use std::ffi::c_int;
use std::fmt;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::slice;
use std::time::Duration;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};
use crate::region::nanos;

/// A consumer handle, opened with [`Region::consumer`](crate::Region::consumer).
///
/// Like [`Producer`](crate::Producer) it owns a share of the region's
/// mapping (no lifetime), is `Send` but not `Sync`, and closes on drop.
/// A [`Borrowed`] message borrows the consumer mutably, so no other receive
/// can run (the C library's `BAD_STATE` case) while a message is borrowed.
///
/// Receives report [`Error::Empty`] (try variants) or [`Error::Timeout`]
/// (blocking variants) when nothing is waiting, and [`Error::Disconnected`]
/// once every producer has closed and everything is drained.
///
/// ```
/// use indexbus::{Config, ProducerKind, Region};
/// use std::time::Duration;
/// let name = format!("/ib-doc-consumer-{}", std::process::id());
/// let region = Region::create(&name, &Config::events())?;
/// let mut consumer = region.consumer(0)?;
/// let mut producer = region.producer(ProducerKind::Mpsc)?;
/// for m in [&b"one"[..], b"two", b"three"] {
///     producer.publish(m)?;
/// }
/// let mut buf = [0u8; 256];
/// let mut lens = [0u32; 8];
/// let batch = consumer.recv_batch(&mut buf, &mut lens)?;
/// let got: Vec<&[u8]> = batch.iter().collect();
/// assert_eq!(got, [&b"one"[..], b"two", b"three"]);
///
/// drop(producer); // the only producer is gone and the queue is drained
/// assert!(consumer.try_recv(&mut buf).unwrap_err().is_disconnected());
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
///
/// A borrowed message cannot outlive its consumer:
///
/// ```compile_fail,E0505
/// # use indexbus::{Config, Region};
/// # let region = Region::create("/ib-doc-never-created", &Config::events())?;
/// let mut consumer = region.consumer(0)?;
/// let msg = consumer.try_recv_borrow()?;
/// drop(consumer);                 // error[E0505]: move out while borrowed
/// println!("{}", msg.len());
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct Consumer {
    raw: NonNull<sys::indexbus_consumer>,
    index: u32,
}

// SAFETY: the C consumer handle may be used from any thread, one at a time;
// `Consumer` is not `Sync` (raw pointer field) and receives need `&mut self`.
unsafe impl Send for Consumer {}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    pub(crate) fn open(region: NonNull<sys::indexbus_region>, index: u32) -> Result<Consumer> {
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer; attach is atomic.
        check(unsafe { sys::indexbus_consumer_open(region.as_ptr(), index, &mut out) })?;
        Ok(Consumer {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL consumer"),
            index,
        })
    }

    /// This consumer's index.
    #[inline]
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Copy the next message into `buf` and return its length, without
    /// waiting. [`Error::BufferTooSmall`] (with the length needed) leaves
    /// the message in place.
    #[inline]
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut len = 0usize;
        // SAFETY: exclusive handle, buf valid for buf.len() bytes, out-pointer.
        let st = unsafe {
            sys::indexbus_try_recv(
                self.raw.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut len,
            )
        };
        too_small_len(st, len)
    }

    /// As [`try_recv`](Consumer::try_recv), waiting up to `timeout`
    /// ([`Error::Timeout`]).
    #[inline]
    pub fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        let mut len = 0usize;
        // SAFETY: as in try_recv.
        let st = unsafe {
            sys::indexbus_recv(
                self.raw.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut len,
                nanos(timeout),
            )
        };
        too_small_len(st, len)
    }

    /// Wait up to `timeout` until a message is ready, without taking it.
    #[inline]
    pub fn wait(&mut self, timeout: Duration) -> Result<()> {
        // SAFETY: exclusive handle.
        check(unsafe { sys::indexbus_wait(self.raw.as_ptr(), nanos(timeout)) })
    }

    /// Borrow the next message in place (zero-copy), without waiting. The
    /// guard derefs to the message bytes and releases the slot on drop
    /// (`indexbus_recv_end`).
    #[inline]
    pub fn try_recv_borrow(&mut self) -> Result<Borrowed<'_>> {
        let mut data = ptr::null();
        let mut len = 0usize;
        // SAFETY: exclusive handle, valid out-pointers; no borrow is pending
        // (a pending one would hold `&mut self`).
        check(unsafe { sys::indexbus_recv_begin(self.raw.as_ptr(), &mut data, &mut len) })?;
        let data = if len == 0 {
            NonNull::dangling()
        } else {
            NonNull::new(data.cast_mut().cast()).expect("libindexbus returned a NULL message")
        };
        Ok(Borrowed {
            consumer: self,
            data,
            len,
        })
    }

    /// As [`try_recv_borrow`](Consumer::try_recv_borrow), waiting up to
    /// `timeout` ([`Error::Timeout`]).
    #[inline]
    pub fn recv_borrow(&mut self, timeout: Duration) -> Result<Borrowed<'_>> {
        self.wait(timeout)?;
        self.try_recv_borrow()
    }

    /// Receive up to `lens.len()` messages packed back to back into `buf`,
    /// without waiting. `Ok` if at least one arrived; iterate the returned
    /// [`Batch`] to split them. [`Error::BufferTooSmall`] (with the first
    /// message's length) if even the first does not fit;
    /// [`Error::InvalidArgument`] if `lens` is empty.
    ///
    /// `buf` and `lens` go to `indexbus_recv_batch` as they are, and the
    /// [`Batch`] only borrows them: reuse the same two buffers for every
    /// call, nothing is allocated or copied beyond what the library does.
    #[inline]
    pub fn recv_batch<'b>(&mut self, buf: &'b mut [u8], lens: &'b mut [u32]) -> Result<Batch<'b>> {
        let mut count = 0usize;
        // SAFETY: exclusive handle; buf valid for buf.len() bytes; lens for
        // lens.len() entries; count is a valid out-pointer. No borrow is
        // pending (a pending one would hold `&mut self`).
        let st = unsafe {
            sys::indexbus_recv_batch(
                self.raw.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                lens.as_mut_ptr(),
                lens.len(),
                &mut count,
            )
        };
        if st == sys::INDEXBUS_OK as c_int {
            // The messages are the first sum(lens[..count]) bytes of buf.
            // Batch keeps all of buf and splits it as it is iterated, so no
            // pass over the lengths is needed here.
            let lens: &'b [u32] = &lens[..count.min(lens.len())];
            Ok(Batch { data: buf, lens })
        } else {
            Err(batch_error(st, lens))
        }
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it or use it from another thread.
    #[inline]
    pub fn as_ptr(&self) -> *mut sys::indexbus_consumer {
        self.raw.as_ptr()
    }
}

#[inline]
fn too_small_len(st: c_int, len: usize) -> Result<usize> {
    if st == sys::INDEXBUS_OK as c_int {
        Ok(len)
    } else {
        Err(with_needed(Error::from_status(st), len))
    }
}

/// A failed `indexbus_recv_batch`: on `BUFFER_TOO_SMALL` the library put
/// the first message's length in `lens[0]`.
#[cold]
fn batch_error(st: c_int, lens: &[u32]) -> Error {
    with_needed(
        Error::from_status(st),
        lens.first().map_or(0, |&l| l as usize),
    )
}

/// `BufferTooSmall` with the waiting message's length filled in.
#[cold]
fn with_needed(e: Error, needed: usize) -> Error {
    match e {
        Error::BufferTooSmall { .. } => Error::BufferTooSmall { needed },
        e => e,
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // SAFETY: we own the handle; nothing borrows it any more.
        unsafe { sys::indexbus_consumer_close(self.raw.as_ptr()) };
    }
}

/// A message borrowed in place ([`Consumer::try_recv_borrow`]); derefs to
/// its bytes and hands the slot back on drop.
///
/// The bytes live in the shared mapping; the slot is reserved for this
/// consumer until the guard drops, so cooperating producers do not reuse
/// it meanwhile.
pub struct Borrowed<'a> {
    consumer: &'a mut Consumer,
    data: NonNull<u8>,
    len: usize,
}

// SAFETY: a `&mut Consumer` (Send) plus a pointer into the mapping the
// consumer keeps alive; moving it moves the exclusive use with it.
unsafe impl Send for Borrowed<'_> {}

impl fmt::Debug for Borrowed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Borrowed")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Deref for Borrowed<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the borrowed slot's first len bytes (len <= slot data size,
        // checked by the library), valid until recv_end in drop.
        unsafe { slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl AsRef<[u8]> for Borrowed<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Drop for Borrowed<'_> {
    fn drop(&mut self) {
        // SAFETY: exclusive handle with a pending borrow.
        unsafe { sys::indexbus_recv_end(self.consumer.raw.as_ptr()) };
    }
}

/// Messages received by [`Consumer::recv_batch`], packed in the caller's
/// buffer. Iterate to get each message as a slice.
///
/// It borrows the `buf` and `lens` given to `recv_batch` and splits the
/// buffer lazily as it is iterated. [`data`](Batch::data) and
/// [`lens`](Batch::lens) are the packed form that
/// [`Producer::publish_packed`](crate::Producer::publish_packed) takes, so a
/// batch can be passed on without being unpacked.
#[derive(Clone, Copy)]
pub struct Batch<'b> {
    /// the whole receive buffer; the messages are its first
    /// sum(lens) bytes
    data: &'b [u8],
    lens: &'b [u32],
}

impl<'b> Batch<'b> {
    /// Number of messages.
    #[inline]
    pub fn len(&self) -> usize {
        self.lens.len()
    }
    /// Never true for a batch returned by `recv_batch` (it reports
    /// [`Error::Empty`] instead).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }
    /// Message lengths.
    #[inline]
    pub fn lens(&self) -> &'b [u32] {
        self.lens
    }
    /// The messages' bytes, back to back (`sum(lens())` bytes; this adds up
    /// the lengths).
    #[inline]
    pub fn data(&self) -> &'b [u8] {
        let total: u64 = self.lens.iter().map(|&l| u64::from(l)).sum();
        let total = usize::try_from(total).map_or(self.data.len(), |t| t.min(self.data.len()));
        &self.data[..total]
    }
    /// The messages, in order.
    #[inline]
    pub fn iter(&self) -> BatchIter<'b> {
        BatchIter {
            data: self.data,
            lens: self.lens,
        }
    }
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("lens", &self.lens)
            .field("data", &self.data())
            .finish()
    }
}

impl<'b> IntoIterator for Batch<'b> {
    type Item = &'b [u8];
    type IntoIter = BatchIter<'b>;
    #[inline]
    fn into_iter(self) -> BatchIter<'b> {
        self.iter()
    }
}

impl<'b> IntoIterator for &Batch<'b> {
    type Item = &'b [u8];
    type IntoIter = BatchIter<'b>;
    #[inline]
    fn into_iter(self) -> BatchIter<'b> {
        self.iter()
    }
}

/// Iterator over a [`Batch`].
#[derive(Clone)]
pub struct BatchIter<'b> {
    data: &'b [u8],
    lens: &'b [u32],
}

impl fmt::Debug for BatchIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIter")
            .field("remaining", &self.lens.len())
            .finish_non_exhaustive()
    }
}

impl<'b> Iterator for BatchIter<'b> {
    type Item = &'b [u8];
    #[inline]
    fn next(&mut self) -> Option<&'b [u8]> {
        let (&len, rest) = self.lens.split_first()?;
        let (msg, data) = self.data.split_at((len as usize).min(self.data.len()));
        self.lens = rest;
        self.data = data;
        Some(msg)
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.lens.len(), Some(self.lens.len()))
    }
}

impl ExactSizeIterator for BatchIter<'_> {}
