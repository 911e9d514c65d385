//! The tests of seed 003 (rusm_otp's bounded byte stream), one for one, in
//! Rust idiom: the seed's tokio tasks are threads here, and its
//! `write(chunk)` / `read() -> Option<chunk>` are `io::Write::write_all` /
//! `read` with `Ok(0)` at end of stream. "Capacity 1" is a stream that holds
//! one write: a 4 KiB ring filled by a write of two 2040-byte records.
//! Then back-pressure and the cloned writer again with the writer in a
//! child process (this binary re-executed).

mod common;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::process::Child;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{check_child, create, WAIT};
use indexbus::{Config, Error, Region, StreamReader};

const RING: u64 = 4096;
const CHUNK: usize = 2040;

fn stream() -> (Region, common::Unlink) {
    create("seed3", &Config::stream().byte_capacity(RING))
}

/// The next chunk the reader has, up to 64 bytes; `None` at end of stream.
fn read_chunk(r: &mut StreamReader) -> Option<Vec<u8>> {
    let mut buf = [0u8; 64];
    match r.read_wait(&mut buf, WAIT).expect("read") {
        0 => None,
        n => Some(buf[..n].to_vec()),
    }
}

#[test]
fn writer_applies_backpressure_until_the_reader_drains() {
    let (region, _u) = stream();
    let mut r = region.stream_reader().unwrap();
    let mut w = region.stream_writer().unwrap();
    w.write_all(&[b'1'; 2 * CHUNK]).unwrap(); // fills the stream
    let (done_tx, done_rx) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(move || {
            // a second write cannot complete until a read frees room
            w.set_timeout(Some(WAIT));
            let res = w.write_all(&[b'2'; CHUNK]).map_err(|e| e.kind());
            done_tx.send(res).unwrap();
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(
            done_rx.try_recv(),
            Err(mpsc::TryRecvError::Empty),
            "write must block while the stream is full"
        );
        let mut first = vec![0u8; CHUNK];
        r.read_exact(&mut first).unwrap(); // the drain frees room
        assert_eq!(first, [b'1'; CHUNK]);
        assert_eq!(done_rx.recv_timeout(WAIT), Ok(Ok(())));
    });
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, [[b'1'; CHUNK], [b'2'; CHUNK]].concat());
}

#[test]
fn read_returns_none_after_the_writer_drops() {
    let (region, _u) = stream();
    let mut r = region.stream_reader().unwrap();
    let mut w = region.stream_writer().unwrap();
    w.write_all(b"x").unwrap();
    drop(w);
    assert_eq!(read_chunk(&mut r), Some(b"x".to_vec()));
    assert_eq!(read_chunk(&mut r), None); // end of stream
    assert_eq!(r.read(&mut [0u8; 8]).unwrap(), 0); // and io::Read's EOF
}

#[test]
fn write_fails_once_the_reader_is_gone() {
    let (region, _u) = stream();
    let mut w = region.stream_writer().unwrap();
    let r = region.stream_reader().unwrap();
    drop(r);
    // the seed hands the chunk back; here nothing of it is written
    let e = w.write_all_wait(b"x", WAIT).unwrap_err();
    assert_eq!((e.error(), e.written()), (Error::Disconnected, 0));
    let e = w.write_all(b"x").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(region.info().unwrap().stream_bytes_read, 0);
}

#[test]
fn a_cloned_writer_fans_into_the_same_stream() {
    let (region, _u) = stream();
    let mut r = region.stream_reader().unwrap();
    let mut w = region.stream_writer().unwrap();
    let mut w2 = w.try_clone().unwrap();
    w.write_all(b"1").unwrap();
    w2.write_all(b"2").unwrap();
    // one read may return both bytes: collect them byte by byte
    let mut got = HashSet::new();
    let mut one = [0u8; 1];
    for _ in 0..2 {
        assert_eq!(r.read_wait(&mut one, WAIT), Ok(1));
        got.insert(one[0]);
    }
    assert_eq!(got, HashSet::from([b'1', b'2']));
    // the stream ends only once *every* writer is gone
    drop(w);
    assert_eq!(
        r.read_wait(&mut one, Duration::from_millis(20)),
        Err(Error::Timeout)
    );
    assert!(!region.stream_state().unwrap().ended());
    drop(w2);
    assert_eq!(read_chunk(&mut r), None);
    assert!(region.stream_state().unwrap().ended_cleanly());
}

#[test]
fn handles_format_for_debug() {
    let (region, _u) = stream();
    let w = region.stream_writer().unwrap();
    let r = region.stream_reader().unwrap();
    assert!(format!("{w:?}").contains("StreamWriter"));
    assert!(format!("{r:?}").contains("StreamReader"));
}

// ---- the writer in a child process ----

const REGION_ENV: &str = "INDEXBUS_RS_TEST_SEED3_REGION";

fn spawn_child(test: &str, region: &str) -> Child {
    common::spawn_child(test, &[(REGION_ENV, region)])
}

/// The child fills the stream, then writes one more chunk and a last byte
/// through one write_all; the bytes of the second write come only after
/// the parent read some, so its 20 ms wait sees the ring still full.
#[test]
fn backpressure_across_processes() {
    let (region, cleanup) = stream();
    let mut r = region.stream_reader().unwrap();
    let child = spawn_child("child_pressing_writer", &cleanup.0);
    let mut first = vec![0u8; 2 * CHUNK];
    let mut at = 0;
    while at < first.len() {
        at += r.read_wait(&mut first[at..at + 1], WAIT).unwrap();
        if at == 1 {
            // the child's first write is in; wait until it fills the ring
            let deadline = Instant::now() + WAIT;
            while region.info().unwrap().bytes_free != 0 {
                assert!(Instant::now() < deadline, "the child never filled the stream");
                thread::sleep(Duration::from_millis(1));
            }
            thread::sleep(Duration::from_millis(20));
            let i = region.info().unwrap();
            assert_eq!(i.bytes_free, 0, "the stream is full");
            // the child is still attached: its second write is pending
            assert_eq!(
                i.stream_writers, 1,
                "the second write must still be pending"
            );
            assert_eq!(i.stream_bytes_read, 1);
        }
    }
    assert_eq!(first, [b'1'; 2 * CHUNK]);
    let mut rest = Vec::new();
    r.set_timeout(Some(WAIT));
    r.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, [b'2'; CHUNK]);
    check_child(child, "child_pressing_writer");
}

#[test]
#[ignore = "run by backpressure_across_processes in a child process"]
fn child_pressing_writer() {
    let Ok(name) = std::env::var(REGION_ENV) else {
        return;
    };
    let region = Region::open(&name).unwrap();
    let mut w = region.stream_writer().unwrap();
    w.set_timeout(Some(WAIT));
    w.write_all(&[b'1'; 2 * CHUNK]).unwrap();
    w.write_all(&[b'2'; CHUNK]).unwrap();
}

/// A clone in another process: the parent's writer drops first, and the
/// stream ends only when the child's does.
#[test]
fn a_writer_in_another_process_keeps_the_stream_open() {
    let (region, cleanup) = stream();
    let mut r = region.stream_reader().unwrap();
    let mut w = region.stream_writer().unwrap();
    w.write_all(b"parent ").unwrap();
    let child = spawn_child("child_second_writer", &cleanup.0);
    // the child's bytes arrive, then ours drops: the child still writes
    let mut got = vec![0u8; 7];
    r.read_exact(&mut got).unwrap();
    let mut one = [0u8; 1];
    assert_eq!(r.read_wait(&mut one, WAIT), Ok(1)); // the child has joined
    drop(w);
    assert!(!region.stream_state().unwrap().ended());
    got.push(one[0]);
    r.set_timeout(Some(WAIT));
    r.read_to_end(&mut got).unwrap(); // until the child's writer drops
    assert_eq!(got, b"parent child, then more");
    check_child(child, "child_second_writer");
    assert!(region.stream_state().unwrap().ended_cleanly());
}

#[test]
#[ignore = "run by a_writer_in_another_process_keeps_the_stream_open in a child process"]
fn child_second_writer() {
    let Ok(name) = std::env::var(REGION_ENV) else {
        return;
    };
    let region = Region::open(&name).unwrap();
    let mut w = region.stream_writer().unwrap();
    w.write_all(b"child").unwrap();
    // until the parent's writer has left
    let deadline = Instant::now() + WAIT;
    while region.info().unwrap().stream_writers != 1 {
        assert!(Instant::now() < deadline, "the parent's writer never left");
        thread::sleep(Duration::from_millis(1));
    }
    w.write_all(b", then more").unwrap();
}
