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

/// Run this test binary's `test` (an `#[ignore]`d test that reads its
/// parameters from `env`) in a child process, with its output captured.
pub fn spawn_child(test: &str, env: &[(&str, &str)]) -> std::process::Child {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child test process")
}

/// The child exited cleanly after really running `test`.
pub fn check_child(child: std::process::Child, test: &str) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("test {test} ... ok")),
        "child {test} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
