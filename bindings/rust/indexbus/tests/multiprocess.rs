//! Multi-process: this test binary re-executes itself (std::env::current_exe)
//! to run the ignored `child_producer` test in a child process, which opens
//! the region by name and publishes MESSAGES messages; the parent receives
//! them and checks exact bytes and order, then sees Disconnected once the
//! child has exited.
//!
//! Re-executing the test binary needs nothing but `cargo test` (no helper
//! binary to locate). The child test is `#[ignore]`d and does nothing
//! unless the environment variable below names a region, so
//! `cargo test -- --ignored` run by hand is harmless.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{create, WAIT};
use indexbus::{Config, Error, ProducerKind, Region};

const CHILD_ENV: &str = "INDEXBUS_RS_TEST_CHILD_REGION";
const MESSAGES: u32 = 20_000;

/// Message `i`: its number, then a length and pattern that vary with it.
fn message(i: u32) -> Vec<u8> {
    let len = 4 + (i as usize * 13) % 200;
    let mut m: Vec<u8> = (0..len).map(|k| (i as usize * 31 + k) as u8).collect();
    m[..4].copy_from_slice(&i.to_le_bytes());
    m
}

#[test]
fn child_process_publishes_parent_receives() {
    // small region so the child really has to wait for the parent (flow control)
    let (region, cleanup) = create("mp", &Config::events().slot_count(64));
    let mut consumer = region.consumer(0).unwrap();

    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_producer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &cleanup.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child test process");

    let mut buf = vec![0u8; 256];
    for i in 0..MESSAGES {
        let n = match consumer.recv(&mut buf, WAIT) {
            Ok(n) => n,
            Err(e) => {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "message {i}: {e}\nchild stdout:\n{}\nchild stderr:\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        };
        assert_eq!(buf[..n], message(i), "message {i}");
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // make sure the child really ran the producer test (not zero tests)
    assert!(
        stdout.contains("test child_producer ... ok"),
        "child output:\n{stdout}"
    );

    // the child closed its producer (and exited): drained, then disconnected
    assert_eq!(consumer.recv(&mut buf, WAIT), Err(Error::Disconnected));
    let info = region.info().unwrap();
    assert_eq!(info.published, u64::from(MESSAGES));
    assert_ne!(info.creator_pid, out.status.code().unwrap_or(0) as u32);
    assert_eq!(info.producers_live, 0);
}

#[test]
#[ignore = "helper: run in a child process by child_process_publishes_parent_receives"]
fn child_producer() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    let region = Region::open(&name).expect("child: open region");
    let mut producer = region
        .producer(ProducerKind::Spsc)
        .expect("child: open producer");
    drop(region); // the producer keeps the mapping
    for i in 0..MESSAGES {
        let m = message(i);
        // alternate copy publish and zero-copy claim/commit
        loop {
            let sent = if i % 2 == 0 {
                producer.publish(&m)
            } else {
                producer.claim().and_then(|mut c| {
                    c[..m.len()].copy_from_slice(&m);
                    c.commit(m.len()).map_err(Error::from)
                })
            };
            match sent {
                Ok(()) => break,
                Err(Error::Full) => std::thread::sleep(Duration::from_micros(50)),
                Err(e) => panic!("child: message {i}: {e}"),
            }
        }
    }
}
