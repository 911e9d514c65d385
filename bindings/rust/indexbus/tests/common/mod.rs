//! Shared helpers for the integration tests: unique region names and
//! cleanup. Not every test file uses every helper.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use indexbus::{Config, Region};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A POSIX shm name unique to this process and call.
pub fn shm_name(tag: &str) -> String {
    format!(
        "/ib-rs-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A file-path region name under /tmp, unique to this process and call.
pub fn file_name(tag: &str) -> String {
    let p = format!(
        "/tmp/ib-rs-{tag}-{}-{}.region",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let _ = std::fs::remove_file(&p);
    p
}

/// Unlinks the name when dropped (also when the test panics).
pub struct Unlink(pub String);

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = Region::unlink(&self.0);
    }
}

/// Create a shm region and its cleanup guard.
pub fn create(tag: &str, cfg: &Config) -> (Region, Unlink) {
    let name = shm_name(tag);
    let region = Region::create(&name, cfg).expect("create region");
    (region, Unlink(name))
}

pub const WAIT: Duration = Duration::from_secs(10);

/// Record `seq` of sender `tag`, `len` bytes: a pattern that depends on all
/// three, so a record that comes back shorter, longer, from another sender
/// or out of place does not compare equal.
pub fn pattern(tag: u8, seq: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| {
            (u32::from(tag) * 131 + seq.wrapping_mul(31) + k as u32 * 7 + len as u32) as u8
        })
        .collect()
}

/// Bytes a byte-log record of `len` payload bytes takes in the ring: the
/// 8-byte header and the payload, rounded up to 8.
pub fn stride(len: usize) -> u64 {
    (8 + len as u64 + 7) & !7
}
