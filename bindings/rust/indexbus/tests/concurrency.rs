//! Several threads, each with its own MPSC producer, into one consumer:
//! everything arrives once, in order per producer.

mod common;

use std::sync::Arc;
use std::thread;

use common::{create, WAIT};
use indexbus::{Config, Error, Producer, ProducerKind, Region};

const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 5000;

fn publish_all(mut p: Producer, id: u32) {
    for seq in 0..PER_PRODUCER {
        let mut msg = [0u8; 12];
        msg[..4].copy_from_slice(&id.to_le_bytes());
        msg[4..8].copy_from_slice(&seq.to_le_bytes());
        msg[8..].copy_from_slice(&(id ^ seq).to_le_bytes());
        loop {
            match p.publish(&msg[..8 + (seq as usize % 5)]) {
                Ok(()) => break,
                Err(Error::Full) => thread::yield_now(),
                Err(e) => panic!("producer {id}: {e}"),
            }
        }
    }
}

/// Receive until Disconnected, checking per-producer order.
fn receive_all(region: &Region, mut consumer: indexbus::Consumer) {
    let mut next = vec![0u32; PRODUCERS as usize];
    let mut buf = [0u8; 64];
    let mut total = 0u64;
    loop {
        match consumer.recv(&mut buf, WAIT) {
            Ok(n) => {
                let id = u32::from_le_bytes(buf[..4].try_into().unwrap());
                let seq = u32::from_le_bytes(buf[4..8].try_into().unwrap());
                assert_eq!(n, 8 + (seq as usize % 5));
                assert_eq!(buf[8..n], (id ^ seq).to_le_bytes()[..n - 8]);
                assert_eq!(seq, next[id as usize], "producer {id} out of order");
                next[id as usize] += 1;
                total += 1;
            }
            Err(Error::Disconnected) => break,
            Err(e) => panic!("recv: {e}"),
        }
    }
    assert_eq!(next, vec![PER_PRODUCER; PRODUCERS as usize]);
    assert_eq!(total, u64::from(PRODUCERS * PER_PRODUCER));
    assert_eq!(region.info().unwrap().published, total);
    assert_eq!(region.consumer_stats(0).unwrap().delivered, total);
}

#[test]
fn mpsc_producers_on_scoped_threads_share_a_region() {
    let (region, _u) = create("mpsc-scoped", &Config::events().slot_count(128));
    let consumer = region.consumer(0).unwrap();
    // open every producer before any can finish, so Disconnected means "all done"
    let producers: Vec<Producer> = (0..PRODUCERS)
        .map(|_| region.producer(ProducerKind::Mpsc).unwrap())
        .collect();
    thread::scope(|s| {
        for (id, p) in producers.into_iter().enumerate() {
            s.spawn(move || publish_all(p, id as u32)); // Producer: Send
        }
        receive_all(&region, consumer);
    });
    assert_eq!(region.info().unwrap().producers_live, 0);
}

#[test]
fn producers_opened_inside_threads_from_an_arc_region() {
    let (region, _u) = create("mpsc-arc", &Config::events().slot_count(64));
    let region = Arc::new(region); // Region: Send + Sync
    let consumer = region.consumer(0).unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(PRODUCERS as usize + 1));
    let handles: Vec<_> = (0..PRODUCERS)
        .map(|id| {
            let region = Arc::clone(&region);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let p = region.producer(ProducerKind::Mpsc).unwrap(); // concurrent attach
                barrier.wait();
                publish_all(p, id);
            })
        })
        .collect();
    barrier.wait(); // all attached: Disconnected now means all closed
    receive_all(&region, consumer);
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn a_consumer_moves_to_another_thread() {
    let (region, _u) = create("move-consumer", &Config::events().slot_count(16));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 8];
        while let Ok(n) = consumer.recv(&mut buf, WAIT) {
            got.push(buf[..n].to_vec());
        }
        got
    });
    for i in 0..100u8 {
        while let Err(e) = producer.publish(&[i]) {
            assert!(e.is_full());
            thread::yield_now();
        }
    }
    drop(producer); // reader ends with Disconnected
    let got = reader.join().unwrap();
    assert_eq!(got, (0..100u8).map(|i| vec![i]).collect::<Vec<_>>());
}
