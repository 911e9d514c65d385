//! Start-up check that the linked libindexbus matches the header this crate
//! was generated from.

use std::ffi::CStr;
use std::sync::OnceLock;

use indexbus_sys as sys;

use crate::error::{Error, Result};

/// `INDEXBUS_VERSION_NUMBER` of the header this crate was built against
/// (`MAJOR * 10000 + MINOR * 100 + PATCH`).
pub const BUILT_VERSION: u32 = sys::INDEXBUS_VERSION_NUMBER;

/// `indexbus_version()` of the linked library.
pub fn library_version() -> u32 {
    // SAFETY: no arguments, no state.
    unsafe { sys::indexbus_version() }
}

/// `indexbus_version_string()` of the linked library, e.g. `"1.0.0"`.
pub fn library_version_string() -> &'static str {
    // SAFETY: returns a static string literal.
    let p = unsafe { sys::indexbus_version_string() };
    if p.is_null() {
        return "";
    }
    // SAFETY: non-NULL, NUL-terminated, static.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// Is a library of version `loaded` usable by code built against `built`?
///
/// The major versions must be equal and the loaded minor must be at least
/// the built minor (a newer minor only adds); patch levels do not matter.
/// Both numbers are `MAJOR * 10000 + MINOR * 100 + PATCH`. A pure function,
/// so it can be tested with made-up numbers:
///
/// ```
/// use indexbus::{check_version, Error};
/// assert!(check_version(10000, 10203).is_ok()); // 1.0.0 built, 1.2.3 loaded
/// assert_eq!(
///     check_version(10100, 10000),              // 1.1.0 built, 1.0.0 loaded
///     Err(Error::IncompatibleVersion { built: 10100, loaded: 10000 })
/// );
/// assert!(check_version(10000, 20000).is_err()); // another major
/// ```
pub fn check_version(built: u32, loaded: u32) -> Result<()> {
    let (bmaj, bmin) = (built / 10000, built / 100 % 100);
    let (lmaj, lmin) = (loaded / 10000, loaded / 100 % 100);
    if bmaj == lmaj && lmin >= bmin {
        Ok(())
    } else {
        Err(Error::IncompatibleVersion { built, loaded })
    }
}

/// Run [`check_version`] against the linked library once per process;
/// every later call returns the cached result.
pub(crate) fn ensure_compatible() -> Result<()> {
    static CHECKED: OnceLock<Result<()>> = OnceLock::new();
    *CHECKED.get_or_init(|| check_version(BUILT_VERSION, library_version()))
}

/// "MAJOR.MINOR.PATCH" for a version number.
pub(crate) fn format_version(v: u32) -> String {
    format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_version_is_compatible() {
        assert_eq!(check_version(10000, 10000), Ok(()));
        assert_eq!(check_version(23456, 23456), Ok(()));
    }

    #[test]
    fn newer_minor_or_patch_is_compatible() {
        assert_eq!(check_version(10000, 10001), Ok(()));
        assert_eq!(check_version(10000, 10100), Ok(()));
        assert_eq!(check_version(10203, 10300), Ok(()));
        assert_eq!(check_version(10205, 10201), Ok(())); // older patch, same minor
    }

    #[test]
    fn older_minor_is_incompatible() {
        assert_eq!(
            check_version(10200, 10199),
            Err(Error::IncompatibleVersion {
                built: 10200,
                loaded: 10199
            })
        );
    }

    #[test]
    fn other_major_is_incompatible() {
        assert!(check_version(10000, 20000).is_err());
        assert!(check_version(20000, 10000).is_err());
        assert!(check_version(10000, 0).is_err());
        let e = check_version(10000, 20103).unwrap_err();
        assert_eq!(e.code(), sys::INDEXBUS_INCOMPATIBLE as i32);
        assert!(e.is_incompatible());
        let text = e.to_string();
        assert!(text.contains("1.0.0") && text.contains("2.1.3"), "{text}");
    }

    #[test]
    fn formats_versions() {
        assert_eq!(format_version(10000), "1.0.0");
        assert_eq!(format_version(21203), "2.12.3");
    }

    #[test]
    fn linked_library_passes() {
        assert_eq!(ensure_compatible(), Ok(()));
        assert_eq!(format_version(library_version()), library_version_string());
    }
}
