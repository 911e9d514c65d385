//! The seeds byte-log regions grew from, in Rust idiom, with threads.
//! Seed 001 (the MPSC byte log): a basic round trip, cloned senders, 4 x 100
//! records from 4 senders, disconnect from either side, a 50 ms receive
//! timeout, zero-length sends, and 4 x 10,000 records through 64 KiB with
//! FIFO order per sender. Seed 002 (the SPSC claim/publish ring): a blocking
//! publish and claim woken by a consumer on another thread (events regions
//! too), timing out when nobody reads, and woken with `Disconnected` when
//! the consumer leaves. (The batch claim and the free space are in log.rs.)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{create, pattern, WAIT};
use indexbus::{Config, Error, Producer, ProducerKind};

const KIB: u64 = 1024;

/// Publish, waiting for room as long as WAIT allows (a hang guard).
fn send(p: &mut Producer, msg: &[u8]) {
    p.publish_wait(msg, WAIT).expect("publish_wait");
}

#[test]
fn basic_send_recv_and_a_cloned_sender() {
    let (region, _u) = create("seed-basic", &Config::log().byte_capacity(4 * KIB));
    let mut consumer = region.consumer(0).unwrap();
    let mut tx = region.producer(ProducerKind::Mpsc).unwrap();
    let mut claim = tx.claim_len(11).unwrap();
    claim.copy_from_slice(b"hello world");
    claim.commit(11).unwrap();
    let mut buf = [0u8; 32];
    assert_eq!(consumer.recv(&mut buf, WAIT), Ok(11));
    assert_eq!(&buf[..11], b"hello world");
    // a "clone": another MPSC producer on the same log
    let mut tx2 = region.producer(ProducerKind::Mpsc).unwrap();
    tx2.publish(b"two").unwrap();
    assert_eq!(consumer.recv(&mut buf, WAIT), Ok(3));
    assert_eq!(&buf[..3], b"two");
    tx.publish(b"one").unwrap();
    assert_eq!(&*consumer.recv_borrow(WAIT).unwrap(), b"one");
}

/// `senders` threads, each with its own MPSC producer, send `per` records;
/// the consumer gets all of them, in order per sender, then Disconnected.
fn senders_into_one_log(byte_capacity: u64, senders: u32, per: u32) {
    let (region, _u) = create("seed-senders", &Config::log().byte_capacity(byte_capacity));
    let mut consumer = region.consumer(0).unwrap();
    thread::scope(|s| {
        for id in 0..senders {
            let mut tx = region.producer(ProducerKind::Mpsc).unwrap();
            s.spawn(move || {
                for seq in 0..per {
                    // (id, seq), then a body whose length and bytes depend on both
                    let mut msg = id.to_le_bytes().to_vec();
                    msg.extend_from_slice(&seq.to_le_bytes());
                    msg.extend(pattern(id as u8, seq, (seq as usize * 7 + id as usize) % 120));
                    if seq % 3 == 0 {
                        // zero-copy, exactly the record's length
                        let mut c = tx.claim_wait(msg.len(), WAIT).expect("claim_wait");
                        c.copy_from_slice(&msg);
                        c.commit(msg.len()).expect("commit");
                    } else {
                        send(&mut tx, &msg);
                    }
                }
            });
        }
        let mut next = vec![0u32; senders as usize];
        let mut buf = [0u8; 256];
        loop {
            match consumer.recv(&mut buf, WAIT) {
                Ok(n) => {
                    let id = u32::from_le_bytes(buf[..4].try_into().unwrap());
                    let seq = u32::from_le_bytes(buf[4..8].try_into().unwrap());
                    assert!(id < senders, "sender {id}");
                    assert_eq!(seq, next[id as usize], "sender {id} out of order");
                    let body = pattern(id as u8, seq, (seq as usize * 7 + id as usize) % 120);
                    assert_eq!(buf[8..n], body[..], "sender {id} record {seq}");
                    next[id as usize] += 1;
                }
                Err(Error::Disconnected) => break,
                Err(e) => panic!("recv: {e}"),
            }
        }
        assert_eq!(next, vec![per; senders as usize]);
    });
    let total = u64::from(senders * per);
    assert_eq!(region.info().unwrap().published, total);
    assert_eq!(region.consumer_stats(0).unwrap().delivered, total);
}

#[test]
fn four_senders_of_100_records() {
    senders_into_one_log(4 * KIB, 4, 100);
}

#[test]
fn stress_four_senders_of_10000_records_through_64_kib() {
    senders_into_one_log(64 * KIB, 4, 10_000);
}

#[test]
fn receiver_sees_disconnect_once_every_sender_is_gone_and_drained() {
    let (region, _u) = create("seed-disc-rx", &Config::log().byte_capacity(4 * KIB));
    let mut consumer = region.consumer(0).unwrap();
    let mut a = region.producer(ProducerKind::Mpsc).unwrap();
    let b = region.producer(ProducerKind::Mpsc).unwrap();
    a.publish(b"1").unwrap();
    a.publish(b"2").unwrap();
    drop(a);
    let mut buf = [0u8; 8];
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    // one sender is left: nothing to read, but not disconnected
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(consumer.recv(&mut buf, Duration::from_millis(1)), Err(Error::Timeout));
    // the last one leaves from another thread while the consumer waits,
    // with a record still waiting: that comes first
    let t = thread::spawn(move || {
        let mut b = b;
        b.publish(b"last").unwrap();
    });
    assert_eq!(consumer.recv(&mut buf, WAIT), Ok(4));
    assert_eq!(&buf[..4], b"last");
    t.join().unwrap();
    assert_eq!(consumer.recv(&mut buf, WAIT), Err(Error::Disconnected));
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Disconnected));
}

#[test]
fn sender_sees_disconnect_when_the_receiver_is_gone() {
    let (region, _u) = create("seed-disc-tx", &Config::log().byte_capacity(4 * KIB));
    let consumer = region.consumer(0).unwrap();
    let mut tx = region.producer(ProducerKind::Mpsc).unwrap();
    tx.publish(b"before").unwrap();
    thread::spawn(move || drop(consumer)).join().unwrap();
    assert_eq!(tx.publish(b"after"), Err(Error::Disconnected));
    assert_eq!(tx.publish_wait(b"after", WAIT), Err(Error::Disconnected));
    assert_eq!(tx.claim_len(5).unwrap_err(), Error::Disconnected);
    assert_eq!(tx.claim_wait(5, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(tx.claim_batch(&[1, 2]).unwrap_err(), Error::Disconnected);
    assert_eq!(tx.publish_batch(&[b"x"]), Err(Error::Disconnected));
}

#[test]
fn receive_times_out_after_50_ms() {
    let (region, _u) = create("seed-timeout", &Config::log().byte_capacity(4 * KIB));
    let mut consumer = region.consumer(0).unwrap();
    let _tx = region.producer(ProducerKind::Mpsc).unwrap();
    let mut buf = [0u8; 4];
    let t0 = Instant::now();
    assert_eq!(consumer.recv(&mut buf, Duration::from_millis(50)), Err(Error::Timeout));
    // not much less (no upper bound: the machine is shared)
    assert!(t0.elapsed() >= Duration::from_millis(40), "{:?}", t0.elapsed());
    let t0 = Instant::now();
    assert_eq!(consumer.wait(Duration::from_millis(50)), Err(Error::Timeout));
    assert!(t0.elapsed() >= Duration::from_millis(40), "{:?}", t0.elapsed());
    assert!(consumer.recv_borrow(Duration::from_millis(1)).unwrap_err().is_timeout());
}

#[test]
fn zero_length_sends() {
    let (region, _u) = create("seed-zero", &Config::log().byte_capacity(4 * KIB));
    let mut consumer = region.consumer(0).unwrap();
    let mut tx = region.producer(ProducerKind::Spsc).unwrap();
    tx.publish(b"").unwrap();
    tx.publish(b"x").unwrap();
    tx.claim_len(0).unwrap().commit(0).unwrap();
    tx.publish_wait(&[], WAIT).unwrap();
    tx.claim_wait(0, WAIT).unwrap().commit(0).unwrap();
    tx.claim_batch(&[0, 0]).unwrap().commit_all().unwrap();
    assert_eq!(tx.publish_batch(&[&b""[..], b"y", b""]), Ok(3));
    let expect: [&[u8]; 10] = [b"", b"x", b"", b"", b"", b"", b"", b"", b"y", b""];
    let mut buf = [0u8; 8];
    for (i, want) in expect.iter().enumerate() {
        let n = consumer.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], *want, "record {i}");
    }
    // a zero-length record fits in an empty buffer
    tx.publish(b"").unwrap();
    assert_eq!(consumer.try_recv(&mut []), Ok(0));
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(region.info().unwrap().published, 11);
}

/// Fill the region with 200-byte records; how many went in.
fn fill(tx: &mut Producer) -> u32 {
    let mut n = 0;
    loop {
        match tx.publish(&pattern(40, n, 200)) {
            Ok(()) => n += 1,
            Err(e) => {
                assert_eq!(e, Error::Full);
                return n;
            }
        }
    }
}

/// A full region: blocking calls time out while nobody reads; a producer
/// blocked on another thread goes on once the consumer reads, and every
/// record arrives. For a byte log and an events region.
fn blocking_producer_woken_by_a_consumer_thread(cfg: Config, fits: u32) {
    const TOTAL: u32 = 64;
    let (region, _u) = create("seed-block", &cfg);
    let mut consumer = region.consumer(0).unwrap();
    let mut tx = region.producer(ProducerKind::Spsc).unwrap();
    assert_eq!(fill(&mut tx), fits);
    let waiting = region.info().unwrap();
    assert_eq!(tx.publish_wait(&pattern(40, fits, 200), Duration::from_millis(20)), Err(Error::Timeout));
    assert_eq!(tx.claim_wait(200, Duration::from_millis(20)).unwrap_err(), Error::Timeout);
    let info = region.info().unwrap();
    assert_eq!(info.published, u64::from(fits)); // nothing went out
    assert_eq!(info.records_waiting, waiting.records_waiting);

    let reading = AtomicBool::new(false);
    thread::scope(|s| {
        let reading = &reading;
        let producer = s.spawn(move || {
            for seq in fits..TOTAL {
                if seq % 2 == 0 {
                    send(&mut tx, &pattern(40, seq, 200));
                } else {
                    let mut c = tx.claim_wait(200, WAIT).expect("claim_wait");
                    c.copy_from_slice(&pattern(40, seq, 200));
                    c.commit(200).expect("commit");
                }
                // the region was full: only the consumer could make room
                assert!(reading.load(Ordering::SeqCst), "record {seq} went in before any read");
            }
        });
        // give the producer time to park (not needed for correctness)
        thread::sleep(Duration::from_millis(50));
        reading.store(true, Ordering::SeqCst);
        let mut buf = [0u8; 256];
        for seq in 0..TOTAL {
            assert_eq!(consumer.recv(&mut buf, WAIT), Ok(200), "record {seq}");
            assert_eq!(buf[..200], pattern(40, seq, 200)[..], "record {seq}");
        }
        producer.join().unwrap();
    });
    assert_eq!(region.info().unwrap().published, u64::from(TOTAL));
}

#[test]
fn blocking_producer_woken_by_a_consumer_thread_byte_log() {
    // 200-byte records take 208 bytes: 19 fit in 4 KiB
    blocking_producer_woken_by_a_consumer_thread(Config::log().byte_capacity(4 * KIB), 19);
}

#[test]
fn blocking_producer_woken_by_a_consumer_thread_events() {
    blocking_producer_woken_by_a_consumer_thread(
        Config::events().slot_count(16).queue_capacity(16),
        16,
    );
}

/// A producer parked on a full region is woken with Disconnected when the
/// consumer leaves (the iceoryx2#314 deadlock otherwise).
fn parked_producer_woken_by_the_consumer_leaving(cfg: Config) {
    let (region, _u) = create("seed-block-disc", &cfg);
    let consumer = region.consumer(0).unwrap();
    let mut tx = region.producer(ProducerKind::Mpsc).unwrap();
    fill(&mut tx);
    thread::scope(|s| {
        let parked = s.spawn(move || {
            let publish = tx.publish_wait(&pattern(40, 0, 200), WAIT);
            let claim = tx.claim_wait(200, WAIT).map(drop);
            (publish, claim)
        });
        thread::sleep(Duration::from_millis(50)); // let it park
        drop(consumer);
        let (publish, claim) = parked.join().unwrap();
        assert_eq!(publish, Err(Error::Disconnected));
        assert_eq!(claim, Err(Error::Disconnected));
    });
}

#[test]
fn parked_producer_woken_by_the_consumer_leaving_byte_log() {
    parked_producer_woken_by_the_consumer_leaving(Config::log().byte_capacity(4 * KIB));
}

#[test]
fn parked_producer_woken_by_the_consumer_leaving_events() {
    parked_producer_woken_by_the_consumer_leaving(Config::events().slot_count(16));
}

/// A ring that holds only a few records: the senders block most of the time.
#[test]
fn blocking_senders_through_a_small_ring_keep_fifo_order() {
    senders_into_one_log(4 * KIB, 3, 2000);
}
