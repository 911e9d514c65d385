//! Layout 1.3 create features: `Config::recycle` and `Config::mpsc_batch`
//! reach the region as capability bits 37 and 38 and layout 1.3; a byte
//! log refuses them with `Error::InvalidArgument` and nothing is created.

mod common;

use common::{create, shm_name};
use indexbus::{Config, Error, Kind, Region};

const BOTH: u64 = (1 << 37) | (1 << 38);

#[test]
fn fanout_with_recycle_and_mpsc_batch() {
    let cfg = Config::fanout(2)
        .slot_count(32)
        .queue_capacity(16) // recycling: slots at least twice the queue
        .slot_data_size(64)
        .recycle(true)
        .mpsc_batch(true);
    let (region, u) = create("feat", &cfg);
    let info = region.info().unwrap();
    assert_eq!(info.kind, Kind::Fanout);
    assert_eq!((info.layout_major, info.layout_minor), (1, 3));
    assert_eq!(info.capabilities & BOTH, BOTH);
    assert!(info.fanout_recycle());
    assert!(info.mpsc_batch());
    assert!(!info.mpsc_recycle()); // events only
    // a second handle reads the same header
    let other = Region::open(&u.0).unwrap().info().unwrap();
    assert_eq!(other.capabilities, info.capabilities);
    assert_eq!(other.layout_minor, 3);
}

#[test]
fn plain_fanout_has_neither() {
    let (region, _u) = create("feat-plain", &Config::fanout(2));
    let info = region.info().unwrap();
    assert_eq!(info.layout_minor, 0);
    assert_eq!(info.capabilities & BOTH, 0);
    assert!(!info.fanout_recycle());
    assert!(!info.mpsc_batch());
}

#[test]
fn events_recycle_mpsc_slots() {
    let cfg = Config::events()
        .slot_count(16)
        .queue_capacity(8)
        .recycle(true)
        .mpsc_batch(true);
    let (region, _u) = create("feat-ev", &cfg);
    let info = region.info().unwrap();
    assert_eq!(info.layout_minor, 3);
    assert_eq!(info.capabilities & (BOTH | 1 << 39), (1 << 38) | (1 << 39));
    assert!(!info.fanout_recycle());
    assert!(info.mpsc_batch());
    assert!(info.mpsc_recycle());
}

#[test]
fn recycle_needs_twice_the_queue_in_slots() {
    for cfg in [Config::fanout(2), Config::events()] {
        let name = shm_name("feat-few");
        let cfg = cfg.slot_count(16).queue_capacity(16).recycle(true);
        assert_eq!(Region::create(&name, &cfg).err(), Some(Error::InvalidArgument));
        assert_eq!(Region::open(&name).err(), Some(Error::NotFound));
    }
}

#[test]
fn a_byte_log_refuses_them() {
    for (recycle, batch) in [(true, false), (false, true), (true, true)] {
        let name = shm_name("feat-log");
        let cfg = Config::log()
            .byte_capacity(4096)
            .recycle(recycle)
            .mpsc_batch(batch);
        assert_eq!(
            Region::create(&name, &cfg).err(),
            Some(Error::InvalidArgument),
            "recycle {recycle}, mpsc_batch {batch}"
        );
        assert_eq!(Region::open(&name).err(), Some(Error::NotFound));
    }
}
