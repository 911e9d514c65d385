//! Byte streams (layout 1.1): [`StreamWriter`] ([`std::io::Write`]),
//! [`StreamReader`] ([`std::io::Read`]) and the latched [`StreamState`].

use std::fmt;
use std::io;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};
use crate::region::{nanos, RegionHandle};

/// No limit, as the C API spells it.
const FOREVER: u64 = u64::MAX;

/// A writer of a byte stream ([`Region::stream_writer`](crate::Region::stream_writer)).
///
/// A stream has no message boundaries. Any number of writers feed it, each
/// on a seat of its own ([`try_clone`](StreamWriter::try_clone) opens
/// another); the bytes of one [`try_write`](StreamWriter::try_write), and of
/// a [`write_all_wait`](StreamWriter::write_all_wait) of at most
/// `max_record` bytes, stay contiguous. Dropping (or
/// [`close`](StreamWriter::close)) leaves cleanly: when the last writer has
/// left, the stream has ended, the reader gets end of stream once it has
/// read everything, and no writer can join any more. A writer that stops
/// short (its input failed, it gave up) leaves with
/// [`abort`](StreamWriter::abort) instead, so the end is not a clean one.
///
/// It implements [`io::Write`]: `write` takes what fits now, or, when the
/// stream is full, waits (up to [`timeout`](StreamWriter::timeout), no limit
/// by default) until a piece of up to `max_record` bytes fits; `write_all`
/// is [`write_all_wait`](StreamWriter::write_all_wait). Once the reader is
/// gone, writes fail with [`Error::Disconnected`] (`BrokenPipe`).
///
/// ```
/// use indexbus::{Config, Region};
/// use std::io::{Read, Write};
/// let name = format!("/ib-doc-stream-{}", std::process::id());
/// let region = Region::create(&name, &Config::stream().byte_capacity(64 * 1024))?;
/// let mut reader = region.stream_reader()?;
/// let mut writer = region.stream_writer()?;
/// let mut clone = writer.try_clone()?; // another writer of the same stream
/// writer.write_all(b"hello, ")?;
/// clone.write_all(b"world")?;
/// drop(writer);
/// drop(clone); // the last writer: the stream ends
/// let mut text = String::new();
/// reader.read_to_string(&mut text)?; // up to the end of stream
/// assert_eq!(text, "hello, world");
/// assert!(region.stream_state()?.ended_cleanly());
/// # Region::unlink(&name)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamWriter {
    raw: NonNull<sys::indexbus_stream_writer>,
    region: Arc<RegionHandle>,
    max_record: usize,
    timeout: Option<Duration>,
}

// SAFETY: the C writer handle may be used from any thread, one at a time;
// `StreamWriter` is not `Sync` (raw pointer field) and writes need `&mut
// self`. The region handle it keeps is Send + Sync.
unsafe impl Send for StreamWriter {}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("max_record", &self.max_record)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl StreamWriter {
    pub(crate) fn open(region: &Arc<RegionHandle>) -> Result<StreamWriter> {
        let max_record = region.info_raw()?.max_record as usize;
        let mut out = ptr::null_mut();
        // SAFETY: live region (the Arc keeps the caller's reference), out-pointer.
        check(unsafe { sys::indexbus_stream_writer_open(region.as_ptr(), &mut out) })?;
        Ok(StreamWriter {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL stream writer"),
            region: Arc::clone(region),
            max_record,
            timeout: None,
        })
    }

    /// Another writer of the same stream, on a seat of its own (what
    /// "cloning" a writer means here). The stream ends only once every
    /// writer has left. [`Error::Disconnected`] once it has ended or its
    /// reader is gone, [`Error::Busy`] with 48 writers attached.
    pub fn try_clone(&self) -> Result<StreamWriter> {
        let mut w = StreamWriter::open(&self.region)?;
        w.timeout = self.timeout;
        Ok(w)
    }

    /// The largest record of the stream: a write of up to this many bytes
    /// goes in whole or not at all.
    pub fn max_record(&self) -> usize {
        self.max_record
    }

    /// Write what fits now, without waiting, as one contiguous run: `Ok(n)`
    /// with the bytes taken, `Ok(0)` when the stream is full (or `data` is
    /// empty). [`Error::Disconnected`] once the reader is gone.
    pub fn try_write(&mut self, data: &[u8]) -> Result<usize> {
        let mut n = 0usize;
        // SAFETY: exclusive handle, data valid for data.len() bytes, out-pointer.
        let st = unsafe {
            sys::indexbus_stream_write(self.raw.as_ptr(), data.as_ptr().cast(), data.len(), &mut n)
        };
        if st == sys::INDEXBUS_FULL as i32 {
            return Ok(0);
        }
        check(st).map(|()| n)
    }

    /// Write all of `data`, waiting for room up to `timeout`. On
    /// [`Error::Timeout`] or [`Error::Disconnected`] the [`WriteAllError`]
    /// says exactly how many bytes went in: a complete prefix of `data`
    /// (none at all when `data` is at most [`max_record`](Self::max_record)
    /// bytes).
    pub fn write_all_wait(&mut self, data: &[u8], timeout: Duration) -> Result<(), WriteAllError> {
        self.write_all_ns(data, nanos(timeout))
    }

    fn write_all_ns(&mut self, data: &[u8], timeout_ns: u64) -> Result<(), WriteAllError> {
        let mut n = 0usize;
        // SAFETY: exclusive handle, data valid for data.len() bytes, out-pointer.
        let st = unsafe {
            sys::indexbus_stream_write_all(
                self.raw.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                timeout_ns,
                &mut n,
            )
        };
        check(st).map_err(|error| WriteAllError { error, written: n })
    }

    /// How long the [`io::Write`] calls wait for room (`None`: no limit,
    /// the default).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Set how long the [`io::Write`] calls wait for room (`None`: no
    /// limit). A write that runs out of time fails with `TimedOut`.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    fn timeout_ns(&self) -> u64 {
        self.timeout.map_or(FOREVER, nanos)
    }

    /// Leave cleanly (what dropping does); the last writer out ends the
    /// stream.
    pub fn close(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: we own the handle and give it up here; the region
        // reference is dropped below.
        let st = unsafe { sys::indexbus_stream_writer_close(this.raw.as_ptr()) };
        // SAFETY: read once out of the ManuallyDrop, which is never used again.
        drop(unsafe { ptr::read(&this.region) });
        check(st)
    }

    /// Leave as a writer that failed: the stream is marked aborted at once
    /// ([`StreamState::aborted`], counted in
    /// [`writers_aborted`](StreamState::writers_aborted)), exactly as if
    /// this writer had died, and if it was the last writer the stream ends,
    /// not cleanly. What it wrote stays readable.
    ///
    /// ```
    /// use indexbus::{Config, Region};
    /// use std::io::{Read, Write};
    /// let name = format!("/ib-doc-stream-abort-{}", std::process::id());
    /// let region = Region::create(&name, &Config::stream())?;
    /// let mut reader = region.stream_reader()?;
    /// let mut writer = region.stream_writer()?;
    /// writer.write_all(b"half a ")?;
    /// writer.abort()?; // the rest never came
    /// let state = region.stream_state()?;
    /// assert!(state.ended() && state.aborted() && !state.ended_cleanly());
    /// let mut text = String::new();
    /// reader.read_to_string(&mut text)?;
    /// assert_eq!(text, "half a ");
    /// # Region::unlink(&name)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abort(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: we own the handle and give it up here; the region
        // reference is dropped below.
        let st = unsafe { sys::indexbus_stream_writer_abort(this.raw.as_ptr()) };
        // SAFETY: read once out of the ManuallyDrop, which is never used again.
        drop(unsafe { ptr::read(&this.region) });
        check(st)
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_stream_writer {
        self.raw.as_ptr()
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        // SAFETY: we own the handle; nothing borrows it any more.
        unsafe { sys::indexbus_stream_writer_close(self.raw.as_ptr()) };
    }
}

impl io::Write for StreamWriter {
    /// What fits now; when the stream is full, waits (up to the timeout)
    /// to write a piece of up to `max_record` bytes, whole.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.try_write(buf)?;
        if n > 0 {
            return Ok(n);
        }
        let piece = &buf[..buf.len().min(self.max_record.max(1))];
        self.write_all_ns(piece, self.timeout_ns())?;
        Ok(piece.len())
    }

    /// [`write_all_wait`](StreamWriter::write_all_wait) with the writer's
    /// timeout; a [`WriteAllError`] inside the `io::Error` says how many
    /// bytes went in.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        Ok(self.write_all_ns(buf, self.timeout_ns())?)
    }

    /// Nothing is buffered on this side: a no-op.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A [`StreamWriter::write_all_wait`] that did not write everything: why,
/// and how many bytes went in before it (all of them complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteAllError {
    error: Error,
    written: usize,
}

impl WriteAllError {
    /// Why it stopped ([`Error::Timeout`], [`Error::Disconnected`], ...).
    pub fn error(&self) -> Error {
        self.error
    }
    /// How many bytes of the data went in, a prefix of it.
    pub fn written(&self) -> usize {
        self.written
    }
}

impl fmt::Display for WriteAllError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} after {} bytes", self.error, self.written)
    }
}

impl std::error::Error for WriteAllError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<WriteAllError> for Error {
    /// Keep the error, forget the count.
    fn from(e: WriteAllError) -> Error {
        e.error
    }
}

impl From<WriteAllError> for io::Error {
    /// The kind of its [`Error`]; the `WriteAllError` goes inside.
    fn from(e: WriteAllError) -> io::Error {
        io::Error::new(e.error.io_kind(), e)
    }
}

/// The read end of a byte stream ([`Region::stream_reader`](crate::Region::stream_reader)),
/// one at a time.
///
/// Reads return `Ok(0)` at end of stream: every writer has left and
/// everything is read. Dropping (or [`close`](StreamReader::close)) closes
/// the read end for good: writers then get [`Error::Disconnected`].
/// [`release`](StreamReader::release) hands it over instead: the next
/// reader, in any process, continues at the very next byte.
///
/// It implements [`io::Read`], waiting up to [`timeout`](StreamReader::timeout)
/// (no limit by default) for the first byte of each read (`TimedOut`).
///
/// ```
/// use indexbus::{Config, Error, Region};
/// use std::io::Write;
/// use std::time::Duration;
/// let name = format!("/ib-doc-stream-reader-{}", std::process::id());
/// let region = Region::create(&name, &Config::stream().byte_capacity(4096))?;
/// let mut reader = region.stream_reader()?;
/// let mut writer = region.stream_writer()?;
/// writer.write_all(b"abc")?;
/// let mut buf = [0u8; 2];
/// assert_eq!(reader.read_wait(&mut buf, Duration::from_secs(1))?, 2); // "ab"
/// assert_eq!(reader.try_read(&mut buf)?, 1); // "c"
/// assert_eq!(reader.try_read(&mut buf), Err(Error::Empty));
/// drop(reader); // the read end is gone for good
/// assert_eq!(writer.write(b"x").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
/// # Region::unlink(&name)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamReader {
    raw: NonNull<sys::indexbus_stream_reader>,
    timeout: Option<Duration>,
}

// SAFETY: as for StreamWriter: any thread, one at a time (`&mut self`).
unsafe impl Send for StreamReader {}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl StreamReader {
    pub(crate) fn open(region: NonNull<sys::indexbus_region>) -> Result<StreamReader> {
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer.
        check(unsafe { sys::indexbus_stream_reader_open(region.as_ptr(), &mut out) })?;
        Ok(StreamReader {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL stream reader"),
            timeout: None,
        })
    }

    fn read_ns(&mut self, buf: &mut [u8], timeout_ns: u64) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut n = 0usize;
        // SAFETY: exclusive handle, buf valid for buf.len() > 0 bytes, out-pointer.
        let st = unsafe {
            sys::indexbus_stream_read(
                self.raw.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut n,
                timeout_ns,
            )
        };
        if st == sys::INDEXBUS_DISCONNECTED as i32 {
            return Ok(0); // end of stream
        }
        check(st).map(|()| n)
    }

    /// Read what is there, up to `buf.len()` bytes, without waiting:
    /// `Ok(0)` at end of stream (or for an empty `buf`), [`Error::Empty`]
    /// when nothing is there yet.
    pub fn try_read(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.read_ns(buf, 0)
    }

    /// As [`try_read`](StreamReader::try_read), waiting up to `timeout` for
    /// the first byte ([`Error::Timeout`]).
    pub fn read_wait(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        self.read_ns(buf, nanos(timeout))
    }

    /// How long the [`io::Read`] calls wait for the first byte (`None`: no
    /// limit, the default).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Set how long the [`io::Read`] calls wait (`None`: no limit;
    /// `Some(Duration::ZERO)`: not at all, `WouldBlock` when empty).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Hand the read end over: detach without closing the stream. The next
    /// [`Region::stream_reader`](crate::Region::stream_reader), in any
    /// process, continues at the very next byte.
    pub fn release(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: we own the handle and give it up here.
        check(unsafe { sys::indexbus_stream_reader_release(this.raw.as_ptr()) })
    }

    /// Close the read end for good (what dropping does).
    pub fn close(self) -> Result<()> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: we own the handle and give it up here.
        check(unsafe { sys::indexbus_stream_reader_close(this.raw.as_ptr()) })
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_stream_reader {
        self.raw.as_ptr()
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        // SAFETY: we own the handle; nothing borrows it any more.
        unsafe { sys::indexbus_stream_reader_close(self.raw.as_ptr()) };
    }
}

impl io::Read for StreamReader {
    /// Up to `buf.len()` bytes, waiting up to the reader's timeout for the
    /// first; `Ok(0)` at end of stream.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let ns = self.timeout.map_or(FOREVER, nanos);
        Ok(self.read_ns(buf, ns)?)
    }
}

/// A byte stream's latched state ([`Region::stream_state`](crate::Region::stream_state)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamState {
    /// `INDEXBUS_STREAM_*` flags.
    pub flags: u32,
    /// Writers that died (recovered) or aborted instead of closing,
    /// saturating at 4095.
    pub writers_aborted: u32,
}

impl StreamState {
    pub(crate) fn of(region: NonNull<sys::indexbus_region>) -> Result<StreamState> {
        let mut s = StreamState {
            flags: 0,
            writers_aborted: 0,
        };
        // SAFETY: live region, out-pointers; read-only.
        check(unsafe {
            sys::indexbus_stream_state(region.as_ptr(), &mut s.flags, &mut s.writers_aborted)
        })?;
        Ok(s)
    }
    /// Every writer has left: the reader drains what is there, then reads
    /// end of stream.
    pub fn ended(&self) -> bool {
        self.flags & sys::INDEXBUS_STREAM_ENDED != 0
    }
    /// The reader closed or died: writes fail with [`Error::Disconnected`].
    pub fn reader_gone(&self) -> bool {
        self.flags & sys::INDEXBUS_STREAM_READER_GONE != 0
    }
    /// At least one writer died or aborted instead of closing.
    pub fn aborted(&self) -> bool {
        self.flags & sys::INDEXBUS_STREAM_ABORTED != 0
    }
    /// Ended, and every writer closed (none died or aborted).
    pub fn ended_cleanly(&self) -> bool {
        self.ended() && !self.aborted()
    }
}
