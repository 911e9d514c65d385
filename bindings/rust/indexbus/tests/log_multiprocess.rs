//! Byte logs across processes: this test binary re-executes itself (as
//! multiprocess.rs does) to run the ignored `child_*` tests in children.
//! Two child processes publish through a 4 KiB byte log with blocking
//! calls, so they park and are woken by the parent's reads; then the other
//! way round, the parent's blocking producer is woken by a child consumer.
//! Exact bytes and per-sender order are checked, and `Disconnected` once
//! the children have exited.

mod common;

use std::process::Child;

use common::{check_child, create, pattern, WAIT};
use indexbus::{Config, Error, ProducerKind, Region};

const REGION_ENV: &str = "INDEXBUS_RS_TEST_LOG_REGION";
const ID_ENV: &str = "INDEXBUS_RS_TEST_LOG_ID";
const PER_CHILD: u32 = 5000;
const TO_CHILD: u32 = 2000;

/// Record `seq` of sender `id`: (id, seq), then a body of 0..=300 bytes.
fn record(id: u32, seq: u32) -> Vec<u8> {
    let mut m = id.to_le_bytes().to_vec();
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend(pattern(id as u8, seq, (seq as usize * 53 + id as usize) % 301));
    m
}

fn spawn_child(test: &str, region: &str, id: u32) -> Child {
    common::spawn_child(test, &[(REGION_ENV, region), (ID_ENV, &id.to_string())])
}

#[test]
fn blocking_children_publish_parent_receives() {
    let (region, cleanup) = create("log-mp", &Config::log().byte_capacity(4096));
    let mut consumer = region.consumer(0).unwrap();
    let children: Vec<Child> = (0..2)
        .map(|id| spawn_child("child_blocking_producer", &cleanup.0, id))
        .collect();
    let mut next = [0u32; 2];
    let mut buf = [0u8; 512];
    while next != [PER_CHILD; 2] {
        let n = match consumer.recv(&mut buf, WAIT) {
            Ok(n) => n,
            Err(e) => {
                for c in children {
                    check_child(c, "child_blocking_producer");
                }
                panic!("recv after {next:?}: {e}");
            }
        };
        let id = u32::from_le_bytes(buf[..4].try_into().unwrap());
        assert!(id < 2, "sender {id}");
        let seq = next[id as usize];
        assert_eq!(buf[..n], record(id, seq)[..], "child {id} record {seq}");
        next[id as usize] += 1;
    }
    for c in children {
        check_child(c, "child_blocking_producer");
    }
    // both children closed their producers and exited: drained, then disconnected
    assert_eq!(consumer.recv(&mut buf, WAIT), Err(Error::Disconnected));
    let info = region.info().unwrap();
    assert_eq!(info.published, u64::from(2 * PER_CHILD));
    assert_eq!((info.producers_live, info.records_waiting), (0, 0));
}

#[test]
#[ignore = "helper: run in a child process by blocking_children_publish_parent_receives"]
fn child_blocking_producer() {
    let (Ok(name), Ok(id)) = (std::env::var(REGION_ENV), std::env::var(ID_ENV)) else {
        return;
    };
    let id: u32 = id.parse().unwrap();
    let region = Region::open(&name).expect("child: open region");
    let mut producer = region.producer(ProducerKind::Mpsc).expect("child: producer");
    for seq in 0..PER_CHILD {
        let m = record(id, seq);
        if seq % 2 == 0 {
            producer.publish_wait(&m, WAIT).expect("child: publish_wait");
        } else {
            let mut c = producer.claim_wait(m.len(), WAIT).expect("child: claim_wait");
            c.copy_from_slice(&m);
            c.commit(m.len()).expect("child: commit");
        }
    }
}

#[test]
fn parent_blocking_producer_woken_by_a_child_consumer() {
    let (region, cleanup) = create("log-mp-rx", &Config::log().byte_capacity(4096));
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let child = spawn_child("child_consumer", &cleanup.0, 0);
    // the ring holds 4 KiB, the records about 600 KiB: the producer parks
    // again and again until the child reads
    for seq in 0..TO_CHILD {
        if let Err(e) = producer.publish_wait(&record(7, seq), WAIT) {
            check_child(child, "child_consumer");
            panic!("record {seq}: {e}");
        }
    }
    check_child(child, "child_consumer");
    // the child consumer is gone: a parked or new publish is disconnected
    assert_eq!(producer.publish_wait(b"x", WAIT), Err(Error::Disconnected));
}

#[test]
#[ignore = "helper: run in a child process by parent_blocking_producer_woken_by_a_child_consumer"]
fn child_consumer() {
    let Ok(name) = std::env::var(REGION_ENV) else {
        return;
    };
    let region = Region::open(&name).expect("child: open region");
    let mut consumer = region.consumer(0).expect("child: consumer");
    let mut buf = [0u8; 512];
    for seq in 0..TO_CHILD {
        let n = consumer.recv(&mut buf, WAIT).expect("child: recv");
        assert_eq!(buf[..n], record(7, seq)[..], "record {seq}");
    }
}
