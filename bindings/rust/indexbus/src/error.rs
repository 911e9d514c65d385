//! [`Error`]: every non-OK `indexbus_status`, plus the binding's own
//! version-mismatch error.

use std::ffi::{c_int, CStr};
use std::fmt;

use indexbus_sys as sys;

use crate::version::format_version;

/// Shorthand for `Result<T, indexbus::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed IndexBus call.
///
/// One variant per non-OK C status code (values are frozen, see
/// [`Error::code`]), built with [`Error::from_code`]; a code this crate does
/// not know (a newer library) becomes [`Error::Unknown`] instead of being
/// undefined behaviour. `Display` uses the library's `indexbus_strerror`.
///
/// Match on the variant, or use the helpers ([`is_full`](Error::is_full),
/// [`is_empty`](Error::is_empty), [`is_timeout`](Error::is_timeout), ...):
///
/// ```
/// use indexbus::Error;
/// let e = Error::from_code(1).unwrap();
/// assert!(e.is_full() && e.is_would_block());
/// assert_eq!(e.code(), 1);
/// assert_eq!(e.name(), "INDEXBUS_FULL");
/// assert_eq!(e.to_string(), "no free slot or queue space");
/// assert!(matches!(Error::from_code(4), Some(Error::BufferTooSmall { .. })));
/// assert_eq!(Error::from_code(0), None); // OK is not an error
/// assert_eq!(Error::from_code(99), Some(Error::Unknown(99)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// `INDEXBUS_FULL` (1): no free slot, queue or ring space; retry later
    /// (or use a blocking call such as
    /// [`Producer::publish_wait`](crate::Producer::publish_wait)).
    Full,
    /// `INDEXBUS_EMPTY` (2): nothing to receive or route.
    Empty,
    /// `INDEXBUS_TOO_LARGE` (3): payload longer than the slot data size (a
    /// byte log: than its `max_record`; a batch claim: more than half the
    /// ring), or a commit longer than the claim.
    TooLarge,
    /// `INDEXBUS_BUFFER_TOO_SMALL` (4): the message was left in place.
    BufferTooSmall {
        /// Length of the waiting message in bytes (0 if not known, e.g. when
        /// built from a bare code).
        needed: usize,
    },
    /// `INDEXBUS_INCOMPATIBLE` (5): not an IndexBus region, or a layout with
    /// a newer major version.
    Incompatible,
    /// `INDEXBUS_INCOMPATIBLE` (5) raised by this crate: the loaded
    /// libindexbus is not compatible with the header the crate was built
    /// against (see [`check_version`](crate::check_version)). Versions are
    /// `MAJOR * 10000 + MINOR * 100 + PATCH`.
    IncompatibleVersion {
        /// `INDEXBUS_VERSION_NUMBER` this crate was built against.
        built: u32,
        /// `indexbus_version()` of the library actually linked.
        loaded: u32,
    },
    /// `INDEXBUS_NOT_READY` (6): the creator has not finished initialising.
    NotReady,
    /// `INDEXBUS_INVALID_ARGUMENT` (7): bad geometry, flag, name (also a
    /// name with an interior NUL byte), ...
    InvalidArgument,
    /// `INDEXBUS_WRONG_KIND` (8): the call does not apply to this region
    /// kind (e.g. a router on an events region, a batch claim on a region
    /// that is not a byte log).
    WrongKind,
    /// `INDEXBUS_TIMEOUT` (9).
    Timeout,
    /// `INDEXBUS_DISCONNECTED` (10): every peer on the other side has closed
    /// (and, for receivers, everything is drained).
    Disconnected,
    /// `INDEXBUS_CORRUPT` (11): region contents fail validation.
    Corrupt,
    /// `INDEXBUS_PERMISSION` (12).
    Permission,
    /// `INDEXBUS_EXISTS` (13): the region name is taken.
    Exists,
    /// `INDEXBUS_NOT_FOUND` (14): no such region; a request token that is
    /// stale (answered already, an earlier request of its cell) or forged.
    NotFound,
    /// `INDEXBUS_IO` (15): an OS call failed.
    Io,
    /// `INDEXBUS_BUSY` (16): an exclusive role (SPSC producer, router,
    /// consumer index) is already attached.
    Busy,
    /// `INDEXBUS_NO_MEMORY` (17).
    NoMemory,
    /// `INDEXBUS_OUT_OF_RANGE` (18): consumer index >= consumer count.
    OutOfRange,
    /// `INDEXBUS_BAD_STATE` (19): e.g. commit without claim. The safe API
    /// rules most of these out at compile time (guards borrow the handle).
    BadState,
    /// A status code this crate does not know (from a newer library).
    Unknown(i32),
}

impl Error {
    /// The error for a C status code; `None` for `INDEXBUS_OK` (0).
    pub fn from_code(code: i32) -> Option<Error> {
        let e = match code {
            0 => return None,
            1 => Error::Full,
            2 => Error::Empty,
            3 => Error::TooLarge,
            4 => Error::BufferTooSmall { needed: 0 },
            5 => Error::Incompatible,
            6 => Error::NotReady,
            7 => Error::InvalidArgument,
            8 => Error::WrongKind,
            9 => Error::Timeout,
            10 => Error::Disconnected,
            11 => Error::Corrupt,
            12 => Error::Permission,
            13 => Error::Exists,
            14 => Error::NotFound,
            15 => Error::Io,
            16 => Error::Busy,
            17 => Error::NoMemory,
            18 => Error::OutOfRange,
            19 => Error::BadState,
            other => Error::Unknown(other),
        };
        Some(e)
    }

    /// The C status code (`enum indexbus_status` value).
    pub fn code(&self) -> i32 {
        (match *self {
            Error::Full => sys::INDEXBUS_FULL,
            Error::Empty => sys::INDEXBUS_EMPTY,
            Error::TooLarge => sys::INDEXBUS_TOO_LARGE,
            Error::BufferTooSmall { .. } => sys::INDEXBUS_BUFFER_TOO_SMALL,
            Error::Incompatible | Error::IncompatibleVersion { .. } => sys::INDEXBUS_INCOMPATIBLE,
            Error::NotReady => sys::INDEXBUS_NOT_READY,
            Error::InvalidArgument => sys::INDEXBUS_INVALID_ARGUMENT,
            Error::WrongKind => sys::INDEXBUS_WRONG_KIND,
            Error::Timeout => sys::INDEXBUS_TIMEOUT,
            Error::Disconnected => sys::INDEXBUS_DISCONNECTED,
            Error::Corrupt => sys::INDEXBUS_CORRUPT,
            Error::Permission => sys::INDEXBUS_PERMISSION,
            Error::Exists => sys::INDEXBUS_EXISTS,
            Error::NotFound => sys::INDEXBUS_NOT_FOUND,
            Error::Io => sys::INDEXBUS_IO,
            Error::Busy => sys::INDEXBUS_BUSY,
            Error::NoMemory => sys::INDEXBUS_NO_MEMORY,
            Error::OutOfRange => sys::INDEXBUS_OUT_OF_RANGE,
            Error::BadState => sys::INDEXBUS_BAD_STATE,
            Error::Unknown(code) => return code,
        }) as i32
    }

    /// Symbolic name from the library, e.g. `"INDEXBUS_FULL"`
    /// (`"INDEXBUS_UNKNOWN"` for unknown codes).
    pub fn name(&self) -> &'static str {
        // SAFETY: indexbus_status_name accepts any int and returns a static string.
        static_str(unsafe { sys::indexbus_status_name(self.code()) })
    }

    /// `Full`: no free slot or queue space.
    pub fn is_full(&self) -> bool {
        matches!(self, Error::Full)
    }
    /// `Empty`: nothing to receive or route.
    pub fn is_empty(&self) -> bool {
        matches!(self, Error::Empty)
    }
    /// `Timeout`.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }
    /// `Disconnected`: every peer on the other side has closed.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Error::Disconnected)
    }
    /// `NotFound`: no such region; a stale or forged request token.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound)
    }
    /// `Busy`: an exclusive role is taken.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Busy)
    }
    /// `Incompatible` or `IncompatibleVersion`.
    pub fn is_incompatible(&self) -> bool {
        matches!(
            self,
            Error::Incompatible | Error::IncompatibleVersion { .. }
        )
    }
    /// Transient conditions worth retrying: `Full`, `Empty` or `Timeout`.
    pub fn is_would_block(&self) -> bool {
        matches!(self, Error::Full | Error::Empty | Error::Timeout)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::IncompatibleVersion { built, loaded } => write!(
                f,
                "incompatible libindexbus: this crate was built against {} but the loaded \
                 library is {} (the major version must match and the minor must be at least \
                 the built one)",
                format_version(built),
                format_version(loaded)
            ),
            // SAFETY: indexbus_strerror accepts any int and returns a static string.
            _ => {
                f.write_str(static_str(unsafe { sys::indexbus_strerror(self.code()) }))?;
                match *self {
                    Error::BufferTooSmall { needed } if needed > 0 => {
                        write!(f, " (the message is {needed} bytes)")
                    }
                    Error::Unknown(code) => write!(f, " ({code})"),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

/// For the [`std::io`] traits ([`StreamReader`](crate::StreamReader),
/// [`StreamWriter`](crate::StreamWriter)): the error goes inside the
/// `io::Error`, so the C status stays recoverable
/// (`e.get_ref().and_then(|e| e.downcast_ref::<indexbus::Error>())`), and
/// the kind follows it: `Timeout` is `TimedOut`, `Full` and `Empty` are
/// `WouldBlock`, `Disconnected` is `BrokenPipe`, `InvalidArgument` and
/// `TooLarge` are `InvalidInput`, `NotFound`, `Exists` and `Permission` are
/// their namesakes, `NoMemory` is `OutOfMemory`, the rest `Other`.
///
/// ```
/// use std::io;
/// let e = io::Error::from(indexbus::Error::Timeout);
/// assert_eq!(e.kind(), io::ErrorKind::TimedOut);
/// let inner = e.get_ref().and_then(|e| e.downcast_ref::<indexbus::Error>());
/// assert_eq!(inner.map(|e| e.name()), Some("INDEXBUS_TIMEOUT"));
/// ```
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(e.io_kind(), e)
    }
}

impl Error {
    /// The [`std::io::ErrorKind`] this error maps to (see the `From` impl).
    pub fn io_kind(&self) -> std::io::ErrorKind {
        use std::io::ErrorKind as K;
        match self {
            Error::Timeout => K::TimedOut,
            Error::Full | Error::Empty => K::WouldBlock,
            Error::Disconnected => K::BrokenPipe,
            Error::InvalidArgument | Error::TooLarge => K::InvalidInput,
            Error::NotFound => K::NotFound,
            Error::Exists => K::AlreadyExists,
            Error::Permission => K::PermissionDenied,
            Error::NoMemory => K::OutOfMemory,
            _ => K::Other,
        }
    }
}

/// A `'static` C string from the library's tables ("" if NULL, which the
/// contract rules out).
fn static_str(p: *const std::ffi::c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    // SAFETY: the library returns pointers to string literals, valid forever.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// `Ok(())` for `INDEXBUS_OK`, else the matching error.
#[inline]
pub(crate) fn check(status: c_int) -> Result<()> {
    if status == sys::INDEXBUS_OK as c_int {
        Ok(())
    } else {
        Err(Error::from_status(status))
    }
}

impl Error {
    /// The error for a non-OK status (kept out of line: the hot paths only
    /// compare with `INDEXBUS_OK`).
    #[cold]
    #[inline(never)]
    pub(crate) fn from_status(status: c_int) -> Error {
        Error::from_code(status).unwrap_or(Error::Unknown(status))
    }
}
