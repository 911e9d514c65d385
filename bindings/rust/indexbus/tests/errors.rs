//! Every error mapping: each C status reached through the safe API where
//! the safe API can reach it, and the code <-> variant <-> text table.

mod common;

use std::ffi::CStr;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use common::{create, file_name, shm_name, Unlink};
use indexbus::{sys, Config, Error, Kind, ProducerKind, Region};

fn c_text(code: i32) -> String {
    unsafe { CStr::from_ptr(sys::indexbus_strerror(code)) }
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_code_maps_both_ways() {
    assert_eq!(Error::from_code(0), None);
    let variants = [
        (1, Error::Full),
        (2, Error::Empty),
        (3, Error::TooLarge),
        (4, Error::BufferTooSmall { needed: 0 }),
        (5, Error::Incompatible),
        (6, Error::NotReady),
        (7, Error::InvalidArgument),
        (8, Error::WrongKind),
        (9, Error::Timeout),
        (10, Error::Disconnected),
        (11, Error::Corrupt),
        (12, Error::Permission),
        (13, Error::Exists),
        (14, Error::NotFound),
        (15, Error::Io),
        (16, Error::Busy),
        (17, Error::NoMemory),
        (18, Error::OutOfRange),
        (19, Error::BadState),
    ];
    assert_eq!(variants.len() + 1, sys::INDEXBUS_STATUS_COUNT as usize);
    for (code, variant) in variants {
        let e = Error::from_code(code).unwrap();
        assert_eq!(e, variant);
        assert_eq!(e.code(), code);
        assert_eq!(e.to_string(), c_text(code));
        let c_name = unsafe { CStr::from_ptr(sys::indexbus_status_name(code)) };
        assert_eq!(e.name(), c_name.to_str().unwrap());
        let as_std: &dyn std::error::Error = &e; // implements std::error::Error
        assert!(as_std.source().is_none());
    }
    // codes this crate does not know are values, not UB
    for code in [20, 21, 255, -1, i32::MIN, i32::MAX] {
        let e = Error::from_code(code).unwrap();
        assert_eq!(e, Error::Unknown(code));
        assert_eq!(e.code(), code);
        assert_eq!(e.name(), "INDEXBUS_UNKNOWN");
        assert!(e.to_string().starts_with("unknown status"), "{e}");
    }
}

#[test]
fn helpers_classify() {
    assert!(Error::Full.is_full() && Error::Full.is_would_block());
    assert!(Error::Empty.is_empty() && Error::Empty.is_would_block());
    assert!(Error::Timeout.is_timeout() && Error::Timeout.is_would_block());
    assert!(Error::Disconnected.is_disconnected() && !Error::Disconnected.is_would_block());
    assert!(Error::Busy.is_busy());
    assert!(Error::Incompatible.is_incompatible());
    let v = Error::IncompatibleVersion {
        built: 10000,
        loaded: 20000,
    };
    assert!(v.is_incompatible());
    assert_eq!(v.code(), sys::INDEXBUS_INCOMPATIBLE as i32);
    assert_eq!(v.name(), "INDEXBUS_INCOMPATIBLE");
    assert!(!Error::TooLarge.is_full());
    assert_eq!(
        Error::BufferTooSmall { needed: 300 }.to_string(),
        format!("{} (the message is 300 bytes)", c_text(4))
    );
}

#[test]
fn incompatible_version_check_with_fake_numbers() {
    assert_eq!(indexbus::check_version(10000, 10000), Ok(()));
    assert_eq!(indexbus::check_version(10000, 10500), Ok(()));
    assert_eq!(indexbus::check_version(10300, 10300), Ok(()));
    for (built, loaded) in [(10000, 20000), (20000, 10000), (10300, 10200), (10000, 900)] {
        let e = indexbus::check_version(built, loaded).unwrap_err();
        assert_eq!(e, Error::IncompatibleVersion { built, loaded });
        let text = e.to_string();
        let fmt = |v: u32| format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
        assert!(
            text.contains(&fmt(built)) && text.contains(&fmt(loaded)),
            "{text}"
        );
    }
}

#[test]
fn too_large() {
    let (region, _u) = create("toolarge", &Config::events().slot_data_size(64));
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    assert_eq!(producer.publish(&[0u8; 65]), Err(Error::TooLarge));
    assert_eq!(producer.publish_batch(&[[0u8; 65]]), Err(Error::TooLarge));
    assert_eq!(
        producer.publish_packed(&[0u8; 65], &[65]),
        Err(Error::TooLarge)
    );
    let claim = producer.claim().unwrap();
    assert_eq!(claim.commit(65).unwrap_err().error(), Error::TooLarge);
    assert_eq!(region.info().unwrap().published, 0);
}

#[test]
fn buffer_too_small_keeps_the_message() {
    let (region, _u) = create("toosmall", &Config::events());
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    producer.publish(&[9u8; 100]).unwrap();

    let mut small = [0u8; 10];
    assert_eq!(
        consumer.try_recv(&mut small),
        Err(Error::BufferTooSmall { needed: 100 })
    );
    assert_eq!(
        consumer.recv(&mut small, Duration::from_secs(1)),
        Err(Error::BufferTooSmall { needed: 100 })
    );
    let mut lens = [0u32; 4];
    assert_eq!(
        consumer.recv_batch(&mut small, &mut lens).unwrap_err(),
        Error::BufferTooSmall { needed: 100 }
    );
    let e = consumer.try_recv(&mut []).unwrap_err();
    assert!(matches!(e, Error::BufferTooSmall { needed: 100 }));
    assert_eq!(e.code(), 4);

    let mut big = [0u8; 100];
    assert_eq!(consumer.try_recv(&mut big), Ok(100));
    assert_eq!(big, [9u8; 100]);
}

#[test]
fn full() {
    let (region, _u) = create("full", &Config::events().slot_count(2));
    let _consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    producer.publish(b"1").unwrap();
    producer.publish(b"2").unwrap();
    let e = producer.publish(b"3").unwrap_err();
    assert!(e.is_full());
    assert_eq!(producer.claim().unwrap_err(), Error::Full);
    assert_eq!(producer.publish_batch(&[b"3"]), Err(Error::Full));
    assert_eq!(producer.publish_packed(b"3", &[1]), Err(Error::Full));
}

#[test]
fn full_on_commit_keeps_the_claim() {
    // MPSC with a queue shallower than the slot pool: slots are free but the queue is not
    let (region, _u) = create(
        "fullcommit",
        &Config::events().slot_count(4).queue_capacity(2),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    producer.publish(b"a").unwrap();
    producer.publish(b"b").unwrap();
    let mut claim = producer.claim().unwrap();
    claim[0] = b'c';
    let err = claim.commit(1).unwrap_err();
    assert_eq!(err.error(), Error::Full);
    let claim = err.into_claim();

    let mut buf = [0u8; 8];
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    claim.commit(1).unwrap(); // room now
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    assert_eq!(&buf[..1], b"b");
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    assert_eq!(&buf[..1], b"c");
}

#[test]
fn empty_and_timeout() {
    let (region, _u) = create("timeout", &Config::events());
    let mut consumer = region.consumer(0).unwrap();
    let _producer = region.producer(ProducerKind::Mpsc).unwrap();
    let mut buf = [0u8; 8];
    let mut lens = [0u32; 2];
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(consumer.try_recv_borrow().unwrap_err(), Error::Empty);
    assert_eq!(
        consumer.recv_batch(&mut buf, &mut lens).unwrap_err(),
        Error::Empty
    );

    let t = Instant::now();
    assert_eq!(
        consumer.recv(&mut buf, Duration::from_millis(30)),
        Err(Error::Timeout)
    );
    assert!(t.elapsed() >= Duration::from_millis(25));
    assert_eq!(consumer.wait(Duration::from_millis(5)), Err(Error::Timeout));
    assert_eq!(
        consumer.recv_borrow(Duration::ZERO).unwrap_err(),
        Error::Timeout
    );
}

#[test]
fn wrong_kind_router_on_events_region() {
    let (region, _u) = create("wrongkind", &Config::events());
    let e = region.router().unwrap_err();
    assert_eq!(e, Error::WrongKind);
    assert_eq!(e.code(), 8);
}

#[test]
fn busy_exclusive_roles() {
    let (events, _u1) = create("busy", &Config::events());
    let _spsc = events.producer(ProducerKind::Spsc).unwrap();
    assert!(events.producer(ProducerKind::Spsc).unwrap_err().is_busy());
    let _mpsc1 = events.producer(ProducerKind::Mpsc).unwrap(); // MPSC: any number
    let _mpsc2 = events.producer(ProducerKind::Mpsc).unwrap();
    let consumer = events.consumer(0).unwrap();
    assert_eq!(events.consumer(0).unwrap_err(), Error::Busy);
    drop(consumer);
    events.consumer(0).unwrap(); // free again

    let (fanout, _u2) = create("busy-fanout", &Config::fanout(2));
    let router = fanout.router().unwrap();
    assert_eq!(fanout.router().unwrap_err(), Error::Busy);
    drop(router);
    fanout.router().unwrap();
}

#[test]
fn out_of_range() {
    let (region, _u) = create("range", &Config::events());
    assert_eq!(region.consumer(1).unwrap_err(), Error::OutOfRange);
    assert_eq!(region.consumer_stats(1).unwrap_err(), Error::OutOfRange);
    let (fanout, _u2) = create("range-fanout", &Config::fanout(3));
    assert!(fanout.consumer_stats(2).is_ok());
    assert_eq!(fanout.consumer(3).unwrap_err(), Error::OutOfRange);
}

#[test]
fn exists_and_not_found() {
    let (region, u) = create("exists", &Config::events());
    assert_eq!(
        Region::create(&u.0, &Config::events()).unwrap_err(),
        Error::Exists
    );
    drop(region);
    Region::unlink(&u.0).unwrap();
    assert_eq!(Region::unlink(&u.0), Err(Error::NotFound));
    assert_eq!(Region::open(&u.0).unwrap_err(), Error::NotFound);
    assert_eq!(
        Region::open("/tmp/ib-rs-no-such-dir/x.region").unwrap_err(),
        Error::NotFound
    );
}

#[test]
fn invalid_arguments() {
    let name = shm_name("invalid");
    let _u = Unlink(name.clone());
    for cfg in [
        Config::events().slot_count(3),       // not a power of two
        Config::events().slot_data_size(60),  // below 64
        Config::events().slot_data_size(100), // not a multiple of 8
        Config::events().consumer_count(2),   // events: 1 only
        Config::fanout(65),                   // more than 64
        Config::events().queue_capacity(6),   // not a power of two
        Config::events().mode(0o4777),        // not permission bits
        Config::new(Kind::Other(7)),          // no such kind
    ] {
        assert_eq!(
            Region::create(&name, &cfg).unwrap_err(),
            Error::InvalidArgument,
            "{cfg:?}"
        );
    }
    // names: interior NUL (caught in Rust), empty, too long
    assert_eq!(
        Region::create("/bad\0name", &Config::events()).unwrap_err(),
        Error::InvalidArgument
    );
    assert_eq!(Region::open("").unwrap_err(), Error::InvalidArgument);
    assert_eq!(Region::unlink("x\0y"), Err(Error::InvalidArgument));
    assert_eq!(
        Region::open(&"/x".repeat(200)).unwrap_err(),
        Error::InvalidArgument
    );

    let (region, _u2) = create("invalid-batch", &Config::events());
    let mut consumer = region.consumer(0).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(
        consumer.recv_batch(&mut buf, &mut []).unwrap_err(),
        Error::InvalidArgument
    );
}

#[test]
fn publish_packed_lengths_past_the_data_are_rejected() {
    // The library cannot see the buffer's length: the binding checks that
    // every message lies inside it, and publishes nothing otherwise.
    let (region, _u) = create("packed-overrun", &Config::events().slot_count(8));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let data = [7u8; 10];
    assert_eq!(
        producer.publish_packed(&data, &[4, 4, 3]),
        Err(Error::InvalidArgument)
    );
    assert_eq!(
        producer.publish_packed(&[], &[1]),
        Err(Error::InvalidArgument)
    );
    assert_eq!(
        producer.publish_packed(&data, &[u32::MAX, u32::MAX]),
        Err(Error::InvalidArgument)
    );
    assert_eq!(region.info().unwrap().published, 0);
    let mut buf = [0u8; 16];
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));

    // exactly filling the buffer is fine
    assert_eq!(producer.publish_packed(&data, &[4, 4, 2]).unwrap(), 3);
    assert_eq!(region.info().unwrap().published, 3);
}

/// Create a good file-path region, close it, patch bytes, return the path.
fn patched_region(tag: &str, offset: u64, bytes: &[u8]) -> (String, Unlink) {
    let path = file_name(tag);
    drop(Region::create(&path, &Config::events().slot_count(8)).unwrap());
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.write_all_at(bytes, offset).unwrap();
    (path.clone(), Unlink(path))
}

#[test]
fn incompatible_layout_major() {
    // header.layout_major is the little-endian u16 at bytes 4-5
    let (path, _u) = patched_region("major2", 4, &2u16.to_le_bytes());
    let e = Region::open(&path).unwrap_err();
    assert_eq!(e, Error::Incompatible);
    assert!(e.is_incompatible());
    assert_eq!(e.code(), 5);
    assert_eq!(e.to_string(), c_text(5));
}

#[test]
fn incompatible_magic_and_incompat_capability() {
    let (path, _u) = patched_region("magic", 0, b"NOPE");
    assert_eq!(Region::open(&path).unwrap_err(), Error::Incompatible);
    // an unknown "incompat" capability bit (bits 32..63 of header.capabilities at 16)
    let (path, _u2) = patched_region("capbit", 16 + 4, &(1u32 << 8).to_le_bytes()); // bit 40
    assert_eq!(Region::open(&path).unwrap_err(), Error::Incompatible);
}

#[test]
fn not_ready_and_corrupt() {
    // a zero-filled file: a creator that never finished
    let path = file_name("notready");
    let _u = Unlink(path.clone());
    std::fs::write(&path, vec![0u8; 4096]).unwrap();
    let t = Instant::now();
    assert_eq!(
        Region::open_with_timeout(&path, Duration::from_millis(20)).unwrap_err(),
        Error::NotReady
    );
    assert!(t.elapsed() >= Duration::from_millis(15));

    // a ready word that is neither 0 nor READY
    let (path, _u2) = patched_region("badready", 72, &7u32.to_le_bytes());
    assert_eq!(Region::open(&path).unwrap_err(), Error::Corrupt);
    // truncated below the header
    let path = file_name("short");
    let _u3 = Unlink(path.clone());
    std::fs::write(&path, [1u8; 100]).unwrap();
    assert_eq!(Region::open(&path).unwrap_err(), Error::Corrupt);
}

#[test]
fn permission_symlink_refused() {
    // file-path regions are opened with O_NOFOLLOW: a symlink is refused
    let (region, u) = {
        let path = file_name("target");
        (
            Region::create(&path, &Config::events()).unwrap(),
            Unlink(path),
        )
    };
    let link = file_name("link");
    std::os::unix::fs::symlink(&u.0, &link).unwrap();
    let _ul = Unlink(link.clone());
    assert_eq!(Region::open(&link).unwrap_err(), Error::Permission);
    drop(region);
}

#[test]
fn disconnected_both_ways() {
    let (region, _u) = create("disconnected", &Config::events());
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    producer.publish(b"last words").unwrap();
    drop(producer);
    // drained first, then disconnected
    let mut buf = [0u8; 32];
    assert_eq!(consumer.try_recv(&mut buf), Ok(10));
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Disconnected));
    assert_eq!(
        consumer.recv(&mut buf, Duration::from_secs(5)),
        Err(Error::Disconnected)
    );
    assert_eq!(
        consumer.wait(Duration::from_secs(5)),
        Err(Error::Disconnected)
    );

    // producers see it once every consumer that attached has closed
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    drop(consumer);
    let e = producer.publish(b"anyone?").unwrap_err();
    assert!(e.is_disconnected());
    assert_eq!(producer.claim().unwrap_err(), Error::Disconnected);
    assert_eq!(producer.publish_batch(&[b"x"]), Err(Error::Disconnected));
    assert_eq!(
        producer.publish_packed(b"x", &[1]),
        Err(Error::Disconnected)
    );
}

#[test]
fn bad_state_through_the_raw_escape_hatch() {
    // The safe API cannot produce BAD_STATE (the guards borrow the handle);
    // the raw layer can, and the code maps like every other.
    let (region, _u) = create("badstate", &Config::events());
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let st = unsafe { sys::indexbus_commit(producer.as_ptr(), 0) }; // commit without claim
    assert_eq!(Error::from_code(st), Some(Error::BadState));
    let st = unsafe { sys::indexbus_recv_end(consumer.as_ptr()) }; // end without begin
    assert_eq!(Error::from_code(st), Some(Error::BadState));
    // handles still fine afterwards
    producer.publish(b"ok").unwrap();
    assert_eq!(&*consumer.try_recv_borrow().unwrap(), b"ok");
}
