//! Byte-log regions (`Kind::Log`) in one process: records of every length
//! 0..=max_record round trip byte for byte, lap after lap of the ring (so
//! across the wrap), with `Full`, the free space and the info counters
//! exactly where a model of the ring puts them; claims of exactly `len`
//! bytes, shorter commits and aborts (padding); the batch claim; the
//! config, info and error cases (`TooLarge`, `WrongKind`, `Busy`, ...).

mod common;

use std::collections::VecDeque;

use common::{create, pattern, stride};
use indexbus::sys;
use indexbus::{BatchClaim, Config, Consumer, Error, Kind, Producer, ProducerKind, Region};

const RING: u64 = 4096;
const MAXREC: usize = 1000;

fn log_region(tag: &str) -> (Region, common::Unlink) {
    create(
        tag,
        &Config::log()
            .byte_capacity(RING)
            .max_record(MAXREC as u32),
    )
}

/// What the ring must look like: the producer's position, the consumer's
/// given-back position, and the padding and records not yet read. Only
/// valid while the consumer reads nothing until the producer hits `Full`
/// and then everything (it gives all back once it finds the ring empty).
struct RingModel {
    pos: u64,
    head: u64,
    pads: u64,
    waiting: u64,
}

impl RingModel {
    fn new() -> RingModel {
        RingModel {
            pos: 0,
            head: 0,
            pads: 0,
            waiting: 0,
        }
    }
    /// Reserve a record of `len` bytes, padding to the end of the ring
    /// first if it would straddle it; false (nothing changes) if it does
    /// not fit.
    fn publish(&mut self, len: usize) -> bool {
        let bytes = stride(len);
        let off = self.pos % RING;
        let pad = if off + bytes > RING { RING - off } else { 0 };
        if self.pos + pad + bytes - self.head > RING {
            return false;
        }
        self.pos += pad + bytes;
        self.pads += pad;
        self.waiting += 1;
        true
    }
    fn used(&self) -> u64 {
        self.pos - self.head
    }
    fn drained(&mut self) {
        self.head = self.pos;
        self.pads = 0;
        self.waiting = 0;
    }
}

/// How a test writes a record.
#[derive(Clone, Copy, Debug)]
enum Write {
    Publish,
    ClaimLen,
    ClaimWait,
}

fn write(p: &mut Producer, how: Write, msg: &[u8]) -> Result<(), Error> {
    match how {
        Write::Publish => p.publish(msg),
        Write::ClaimLen | Write::ClaimWait => {
            let mut claim = match how {
                Write::ClaimLen => p.claim_len(msg.len())?,
                // FULL below only comes from the model, so never waits long
                _ => p.claim_wait(msg.len(), std::time::Duration::from_millis(1))?,
            };
            assert_eq!(claim.len(), msg.len());
            assert_eq!(claim.capacity(), msg.len());
            claim.copy_from_slice(msg);
            claim.commit(msg.len()).map_err(Error::from)
        }
    }
}

/// Read every waiting record, checking each against `pending`, rotating
/// through copy, borrow and batch receives; then the ring is empty.
fn drain(c: &mut Consumer, pending: &mut VecDeque<(u32, usize)>, round: usize) {
    let mut buf = vec![0u8; MAXREC];
    let mut lens = [0u32; 4];
    while !pending.is_empty() {
        match round % 3 {
            0 => {
                let (seq, len) = pending.pop_front().unwrap();
                let n = c.try_recv(&mut buf).unwrap();
                assert_eq!(buf[..n], pattern(1, seq, len)[..], "record {seq}");
            }
            1 => {
                let (seq, len) = pending.pop_front().unwrap();
                let msg = c.try_recv_borrow().unwrap();
                assert_eq!(*msg, pattern(1, seq, len)[..], "record {seq}");
            }
            _ => {
                let batch = c.recv_batch(&mut buf, &mut lens).unwrap();
                for got in batch.iter() {
                    let (seq, len) = pending.pop_front().expect("more records than sent");
                    assert_eq!(got, &pattern(1, seq, len)[..], "record {seq}");
                }
            }
        }
    }
    assert_eq!(c.try_recv(&mut buf), Err(Error::Empty));
}

/// Records of lengths (37 i) mod 1001, so every length 0..=1000, three
/// times each, in an order that lands them on every offset of the ring.
fn every_length_round_trip(kind: ProducerKind, how: Write) {
    let (region, _u) = log_region("log-len");
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(kind).unwrap();
    let mut model = RingModel::new();
    let mut pending = VecDeque::new();
    let (mut fulls, mut padded) = (0usize, 0usize);
    let total = 3 * (MAXREC as u32 + 1);
    let mut seq = 0u32;
    while seq < total {
        let len = (seq as usize * 37) % (MAXREC + 1);
        let fits = model.publish(len);
        match write(&mut producer, how, &pattern(1, seq, len)) {
            Ok(()) => {
                assert!(fits, "record {seq} ({len} bytes) fit where the model says FULL");
                pending.push_back((seq, len));
                seq += 1;
            }
            Err(Error::Full) | Err(Error::Timeout) => {
                assert!(!fits, "record {seq} ({len} bytes) FULL where the model fits it");
                // exact accounting of the full ring, before anything is read
                let info = region.info().unwrap();
                assert_eq!(info.bytes_used, model.used());
                assert_eq!(info.bytes_free, RING - model.used());
                assert_eq!(info.bytes_padding, model.pads);
                assert_eq!(info.records_waiting, model.waiting);
                assert_eq!(producer.space().unwrap(), RING - model.used());
                padded += usize::from(model.pads > 0);
                drain(&mut consumer, &mut pending, fulls);
                model.drained();
                assert_eq!(producer.space().unwrap(), RING);
                fulls += 1;
            }
            Err(e) => panic!("record {seq}: {e}"),
        }
    }
    drain(&mut consumer, &mut pending, fulls);
    // many laps, several of them with a pad at the wrap waiting
    assert!(model.pos > 100 * RING, "{} bytes", model.pos);
    assert!(padded > 10, "{padded} full rings had a wrap pad");
    let info = region.info().unwrap();
    assert_eq!(info.published, u64::from(total));
    assert_eq!(region.consumer_stats(0).unwrap().delivered, u64::from(total));
    assert_eq!((info.records_waiting, info.bytes_padding), (0, 0));
}

#[test]
fn every_length_round_trips_across_the_wrap_spsc_publish() {
    every_length_round_trip(ProducerKind::Spsc, Write::Publish);
}

#[test]
fn every_length_round_trips_across_the_wrap_mpsc_publish() {
    every_length_round_trip(ProducerKind::Mpsc, Write::Publish);
}

#[test]
fn every_length_round_trips_across_the_wrap_spsc_claim_len() {
    every_length_round_trip(ProducerKind::Spsc, Write::ClaimLen);
}

#[test]
fn every_length_round_trips_across_the_wrap_mpsc_claim_wait() {
    every_length_round_trip(ProducerKind::Mpsc, Write::ClaimWait);
}

#[test]
fn info_describes_a_byte_log() {
    let (region, _u) = log_region("log-info");
    let info = region.info().unwrap();
    assert_eq!(info.kind, Kind::Log);
    assert_eq!((info.layout_major, info.layout_minor), (1, 1));
    assert_eq!(
        info.capabilities,
        sys::INDEXBUS_CAP_MPSC
            | sys::INDEXBUS_CAP_BLOCKING
            | sys::INDEXBUS_CAP_COUNTERS
            | sys::INDEXBUS_CAP_PARTICIPANTS
            | sys::INDEXBUS_CAP_LOG
            | sys::INDEXBUS_CAP_BYTE_LOG
    );
    assert_eq!((info.byte_capacity, info.max_record), (RING, MAXREC as u32));
    assert_eq!((info.bytes_used, info.bytes_free), (0, RING));
    assert_eq!((info.bytes_padding, info.records_waiting), (0, 0));
    assert_eq!(
        (info.slot_count, info.slot_data_size, info.queue_capacity, info.consumer_count),
        (0, 0, 0, 1)
    );
    assert_eq!(Kind::from_raw(sys::INDEXBUS_KIND_LOG), Kind::Log);
    assert_eq!(Kind::Log.to_raw(), 3);

    // defaults: a 1 MiB ring and 64 KiB records; a small ring caps the
    // record at half of it less a header
    let (def, _u2) = create("log-default", &Config::log());
    let i = def.info().unwrap();
    assert_eq!((i.byte_capacity, i.max_record), (1 << 20, 65536));
    let (small, _u3) = create("log-small", &Config::log().byte_capacity(4096));
    assert_eq!(small.info().unwrap().max_record, 4096 / 2 - 8);

    // the other kinds report the byte-log fields as 0
    let (events, _u4) = create("log-events", &Config::events().slot_count(16));
    let i = events.info().unwrap();
    assert_eq!((i.layout_major, i.layout_minor), (1, 0));
    assert_eq!((i.byte_capacity, i.max_record, i.bytes_used), (0, 0, 0));
    assert_eq!((i.bytes_free, i.bytes_padding, i.records_waiting), (0, 0, 0));
}

/// The free space goes down by each record's bytes and comes back in the
/// consumer's batches: a quarter of the ring, or all once it is empty.
#[test]
fn space_is_exact() {
    let (region, _u) = log_region("log-space");
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    let mut buf = [0u8; MAXREC];
    assert_eq!(producer.space().unwrap(), RING);

    // 56-byte payloads take 64 bytes: 64 of them fill the ring exactly
    let mut n = 0u32;
    loop {
        match producer.publish(&pattern(3, n, 56)) {
            Ok(()) => n += 1,
            Err(e) => {
                assert_eq!(e, Error::Full);
                break;
            }
        }
    }
    assert_eq!(u64::from(n), RING / 64);
    assert_eq!(producer.space().unwrap(), 0);
    let info = region.info().unwrap();
    assert_eq!((info.bytes_used, info.bytes_free), (RING, 0));
    assert_eq!((info.records_waiting, info.bytes_padding), (u64::from(n), 0));
    for i in 0..3 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(56));
        assert_eq!(buf[..56], pattern(3, i, 56)[..]);
    }
    assert_eq!(producer.space().unwrap(), 0); // 192 bytes read, not given back
    for i in 3..16 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(56));
        assert_eq!(buf[..56], pattern(3, i, 56)[..]);
    }
    assert_eq!(producer.space().unwrap(), RING / 4); // a quarter: given back
    for i in 16..n {
        assert_eq!(consumer.try_recv(&mut buf), Ok(56));
        assert_eq!(buf[..56], pattern(3, i, 56)[..]);
    }
    // every quarter read went back: 64 records are four of them
    assert_eq!(producer.space().unwrap(), RING);
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(producer.space().unwrap(), RING);

    producer.publish(b"12345").unwrap(); // 8 + 5 -> 16
    assert_eq!(producer.space().unwrap(), RING - 16);
    producer.publish(b"").unwrap(); // a header alone
    assert_eq!(producer.space().unwrap(), RING - 24);
    assert_eq!(consumer.try_recv(&mut buf), Ok(5));
    assert_eq!(&buf[..5], b"12345");
    assert_eq!(consumer.try_recv(&mut buf), Ok(0));
    assert_eq!(producer.space().unwrap(), RING - 24); // read, not given back yet
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(producer.space().unwrap(), RING);

    // from offset 24: four 1000-byte records (1008 each) end at 4056
    for i in 0..4 {
        producer.publish(&pattern(4, i, 1000)).unwrap();
    }
    assert_eq!(producer.space().unwrap(), RING - 4 * 1008);
    assert_eq!(producer.publish(&pattern(4, 4, 1000)), Err(Error::Full));
    // reading two gives back 2016 bytes (more than a quarter)
    for i in 0..2 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(1000));
        assert_eq!(buf[..], pattern(4, i, 1000)[..]);
    }
    assert_eq!(producer.space().unwrap(), RING - 2 * 1008);
    // the fifth would straddle the end: a 40-byte pad first, then offset 0
    producer.publish(&pattern(4, 4, 1000)).unwrap();
    let info = region.info().unwrap();
    assert_eq!(info.bytes_padding, 40);
    assert_eq!(info.bytes_used, 3 * 1008 + 40);
    assert_eq!(info.records_waiting, 3);
    assert_eq!(producer.space().unwrap(), RING - (3 * 1008 + 40));
    for i in 2..5 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(1000));
        assert_eq!(buf[..], pattern(4, i, 1000)[..]);
    }
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(producer.space().unwrap(), RING);
    let info = region.info().unwrap();
    assert_eq!((info.bytes_used, info.bytes_padding, info.records_waiting), (0, 0, 0));
}

/// claim_len hands out exactly len bytes; a shorter commit and an abort
/// leave padding; claim() reserves max_record.
#[test]
fn claims_of_exactly_len() {
    let (region, _u) = log_region("log-claim");
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    assert_eq!(producer.claim_len(MAXREC + 1).unwrap_err(), Error::TooLarge);

    let mut claim = producer.claim_len(100).unwrap();
    assert_eq!(claim.len(), 100);
    claim.copy_from_slice(&pattern(5, 0, 100));
    let err = claim.commit(101).unwrap_err(); // longer than the claim: kept
    assert_eq!(err.error(), Error::TooLarge);
    err.into_claim().commit(40).unwrap(); // 48 bytes of record, 64 of pad

    let mut claim = producer.claim_len(30).unwrap();
    claim.fill(0xee);
    drop(claim); // aborted: 40 bytes (8 + 30, to 8) of pad, nothing to read
    producer.claim_len(30).unwrap().abort().unwrap(); // another 40

    let mut claim = producer.claim().unwrap(); // a byte log: max_record bytes
    assert_eq!(claim.capacity(), MAXREC);
    claim[..3].copy_from_slice(b"abc");
    claim.commit(3).unwrap(); // 16 bytes of record, 992 of pad

    producer.claim_len(0).unwrap().commit(0).unwrap(); // a header alone
    producer.publish(b"").unwrap();

    let info = region.info().unwrap();
    assert_eq!(info.records_waiting, 4);
    assert_eq!(info.bytes_padding, 64 + 40 + 40 + 992);
    assert_eq!(info.bytes_used, 112 + 40 + 40 + 1008 + 8 + 8);
    assert_eq!(producer.space().unwrap(), RING - info.bytes_used);

    let mut buf = [0u8; MAXREC];
    assert_eq!(consumer.try_recv(&mut buf), Ok(40));
    assert_eq!(buf[..40], pattern(5, 0, 100)[..40]);
    assert_eq!(&*consumer.try_recv_borrow().unwrap(), b"abc");
    assert_eq!(consumer.try_recv(&mut buf), Ok(0));
    assert_eq!(consumer.try_recv_borrow().unwrap().len(), 0);
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(region.info().unwrap().published, 4);
}

/// On events regions claim_len is a slot seen exactly len bytes long, and
/// space() counts messages.
#[test]
fn claim_len_and_space_on_events_regions() {
    let (region, _u) = create("log-ev-claim", &Config::events().slot_count(16).slot_data_size(64));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    assert_eq!(producer.space().unwrap(), 16);
    assert_eq!(producer.claim_len(65).unwrap_err(), Error::TooLarge);
    let mut claim = producer.claim_len(10).unwrap();
    assert_eq!((claim.len(), claim.capacity()), (10, 10));
    claim.copy_from_slice(b"0123456789");
    // the slot is 64 bytes, but the claim was for 10
    let claim = claim.commit(11).unwrap_err().into_claim();
    claim.commit(10).unwrap();
    producer.claim_len(0).unwrap().commit(0).unwrap();
    producer.publish_wait(b"w", common::WAIT).unwrap();
    assert_eq!(producer.space().unwrap(), 13);
    let mut buf = [0u8; 64];
    assert_eq!(consumer.try_recv(&mut buf), Ok(10));
    assert_eq!(&buf[..10], b"0123456789");
    assert_eq!(consumer.try_recv(&mut buf), Ok(0));
    assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    // (an SPSC producer on an events region counts against the consumer
    // position it last read, refreshed only when that says full, so it is
    // not checked again here)
    drop(producer);

    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    assert_eq!(producer.space().unwrap(), 16);
    for m in [&b"a"[..], b"b", b"c"] {
        producer.publish(m).unwrap();
    }
    assert_eq!(producer.space().unwrap(), 13);
    for m in [&b"a"[..], b"b", b"c"] {
        assert_eq!(consumer.try_recv(&mut buf), Ok(1));
        assert_eq!(&buf[..1], m);
    }
    assert_eq!(producer.space().unwrap(), 16);

    let (fanout, _u2) = create("log-fo-claim", &Config::fanout(2).slot_count(16));
    let mut p = fanout.producer(ProducerKind::Mpsc).unwrap();
    assert_eq!(p.space().unwrap(), 16);
    p.publish(b"x").unwrap();
    assert_eq!(p.space().unwrap(), 15);
}

fn recv_exact(c: &mut Consumer, tag: u8, seqs: std::ops::Range<u32>, lens: &[u32]) {
    let mut buf = [0u8; MAXREC];
    for seq in seqs {
        let len = lens[seq as usize] as usize;
        assert_eq!(c.try_recv(&mut buf), Ok(len), "record {seq}");
        assert_eq!(buf[..len], pattern(tag, seq, len)[..], "record {seq}");
    }
}

fn fill(batch: &mut BatchClaim<'_>, tag: u8) {
    for (i, rec) in batch.iter_mut().enumerate() {
        let p = pattern(tag, i as u32, rec.len());
        rec.copy_from_slice(&p);
    }
}

/// The batch claim: invisible until committed, exactly n published,
/// dropping or aborting publishes nothing (padding).
#[test]
fn batch_claim_commits_exactly_n() {
    let (region, _u) = log_region("log-batch");
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    let mut buf = [0u8; MAXREC];
    let lens = [0u32, 1, 7, 8, 300];
    let bytes: u64 = lens.iter().map(|&l| stride(l as usize)).sum();

    let mut batch = producer.claim_batch(&lens).unwrap();
    assert_eq!((batch.len(), batch.is_empty()), (5, false));
    assert_eq!(batch.lens(), &lens);
    assert_eq!(batch.iter_mut().map(|r| r.len()).collect::<Vec<_>>(), [0, 1, 7, 8, 300]);
    assert!(batch.get_mut(5).is_none());
    fill(&mut batch, 6);
    batch[4][0] = pattern(6, 4, 300)[0]; // IndexMut, same bytes
    assert_eq!(batch[3], pattern(6, 3, 8)[..]);
    drop(batch); // nothing published: all padding
    let info = region.info().unwrap();
    assert_eq!((info.records_waiting, info.bytes_padding), (0, bytes));
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    assert_eq!(producer.space().unwrap(), RING);

    producer.claim_batch(&lens).unwrap().abort().unwrap();
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));

    let mut batch = producer.claim_batch(&lens).unwrap();
    fill(&mut batch, 7);
    assert_eq!(batch.commit(6), Err(Error::InvalidArgument)); // more than claimed: padded
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));

    for n in 0..=lens.len() {
        let mut batch = producer.claim_batch(&lens).unwrap();
        fill(&mut batch, 8);
        assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty)); // invisible until commit
        assert_eq!(region.info().unwrap().bytes_free, RING - bytes); // reserved
        batch.commit(n).unwrap();
        let info = region.info().unwrap();
        assert_eq!(info.records_waiting, n as u64);
        let used: u64 = lens[..n].iter().map(|&l| stride(l as usize)).sum();
        assert_eq!(info.bytes_padding, bytes - used);
        recv_exact(&mut consumer, 8, 0..n as u32, &lens);
        assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
    }

    let mut batch = producer.claim_batch(&[5, 6]).unwrap();
    fill(&mut batch, 9);
    batch.commit_all().unwrap();
    let (mut out, mut got) = ([0u8; 64], [0u32; 4]);
    let b = consumer.recv_batch(&mut out, &mut got).unwrap();
    assert_eq!(b.lens(), [5, 6]);
    assert_eq!(b.iter().collect::<Vec<_>>(), [&pattern(9, 0, 5)[..], &pattern(9, 1, 6)[..]]);
    assert_eq!(region.info().unwrap().published, 15 + 2);
}

#[test]
fn batch_claim_errors() {
    let (region, _u) = log_region("log-batch-err");
    let _consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let max = MAXREC as u32;
    assert_eq!(producer.claim_batch(&[max + 1]).unwrap_err(), Error::TooLarge);
    // 1008 + 1008 + 112 > half the ring
    assert_eq!(producer.claim_batch(&[max, max, 100]).unwrap_err(), Error::TooLarge);
    assert_eq!(producer.claim_batch(&[]).unwrap_err(), Error::InvalidArgument);
    // 60 records of 64 bytes: 256 bytes left, 2 x 112 fit, 3 do not
    for i in 0..60 {
        producer.publish(&pattern(1, i, 56)).unwrap();
    }
    assert_eq!(producer.claim_batch(&[100, 100, 100]).unwrap_err(), Error::Full);
    producer.claim_batch(&[100, 100]).unwrap().commit_all().unwrap();
    assert_eq!(region.info().unwrap().records_waiting, 62);

    for cfg in [Config::events().slot_count(16), Config::fanout(2).slot_count(16)] {
        let (other, _u) = create("log-batch-kind", &cfg);
        let mut p = other.producer(ProducerKind::Mpsc).unwrap();
        assert_eq!(p.claim_batch(&[1]).unwrap_err(), Error::WrongKind);
    }
}

#[test]
fn byte_log_errors() {
    // geometry: slot fields mean nothing here; the ring is a power of two
    // of 4 KiB..=1 GiB; a record at most half of it less a header
    for cfg in [
        Config::log().slot_count(16),
        Config::log().slot_data_size(64),
        Config::log().queue_capacity(16),
        Config::log().consumer_count(2),
        Config::log().byte_capacity(5000),
        Config::log().byte_capacity(2048),
        Config::log().byte_capacity(1 << 31),
        Config::log().byte_capacity(4096).max_record(4096 / 2 - 7),
    ] {
        let name = common::shm_name("log-bad");
        assert_eq!(
            Region::create(&name, &cfg).unwrap_err(),
            Error::InvalidArgument,
            "{cfg:?}"
        );
    }
    let (ok, _u0) = create("log-max", &Config::log().byte_capacity(4096).max_record(2040));
    assert_eq!(ok.info().unwrap().max_record, 2040);

    let (region, _u) = log_region("log-err");
    assert_eq!(region.router().unwrap_err(), Error::WrongKind);
    assert_eq!(region.consumer(1).unwrap_err(), Error::OutOfRange);
    let _consumer = region.consumer(0).unwrap();
    assert_eq!(region.consumer(0).unwrap_err(), Error::Busy);
    {
        // one producer kind at a time
        let mut spsc = region.producer(ProducerKind::Spsc).unwrap();
        assert_eq!(region.producer(ProducerKind::Mpsc).unwrap_err(), Error::Busy);
        assert_eq!(region.producer(ProducerKind::Spsc).unwrap_err(), Error::Busy);
        let big = vec![0u8; MAXREC + 1];
        assert_eq!(spsc.publish(&big), Err(Error::TooLarge));
        assert_eq!(spsc.publish_wait(&big, common::WAIT), Err(Error::TooLarge));
        assert_eq!(spsc.claim_wait(MAXREC + 1, common::WAIT).unwrap_err(), Error::TooLarge);
        assert_eq!(spsc.publish_batch(&[&big[..]]), Err(Error::TooLarge));
    }
    let _m1 = region.producer(ProducerKind::Mpsc).unwrap();
    let _m2 = region.producer(ProducerKind::Mpsc).unwrap();
    assert_eq!(region.producer(ProducerKind::Spsc).unwrap_err(), Error::Busy);
}

/// publish_batch and recv_batch work on a byte log as on events regions.
#[test]
fn copy_batches_on_a_byte_log() {
    let (region, _u) = log_region("log-pubbatch");
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    let msgs: Vec<Vec<u8>> = (0..10).map(|i| pattern(2, i, 50 * i as usize)).collect();
    assert_eq!(producer.publish_batch(&msgs), Ok(10));
    let (mut buf, mut lens) = (vec![0u8; 4096], [0u32; 16]);
    let batch = consumer.recv_batch(&mut buf, &mut lens).unwrap();
    assert_eq!(batch.iter().collect::<Vec<_>>(), msgs.iter().map(|m| &m[..]).collect::<Vec<_>>());
}
