//! Every safe API call on the happy path: regions, producers, consumers,
//! zero-copy guards, batches, info and stats.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{create, file_name, shm_name, Unlink, WAIT};
use indexbus::{sys, Config, Error, Kind, ProducerKind, Region};

#[test]
fn create_open_info_and_unlink() {
    let name = shm_name("info");
    let region =
        Region::create(&name, &Config::events().slot_count(32).slot_data_size(128)).unwrap();
    let _cleanup = Unlink(name.clone());
    assert_eq!(region.name(), name);
    assert!(!region.as_ptr().is_null());

    let info = region.info().unwrap();
    assert_eq!(info.kind, Kind::Events);
    assert_eq!((info.layout_major, info.layout_minor), (1, 0));
    assert_eq!(info.slot_count, 32);
    assert_eq!(info.slot_data_size, 128);
    assert_eq!(info.queue_capacity, 32); // 0 = slot_count
    assert_eq!(info.consumer_count, 1);
    assert_eq!(info.creator_pid, std::process::id());
    assert_eq!(info.free_slots, 32);
    assert_eq!(info.published, 0);
    assert!(info.total_bytes > 0 && info.total_bytes % 4096 == 0);
    assert_ne!(info.capabilities & sys::INDEXBUS_CAP_EVENTS, 0);
    assert_eq!(info.capabilities & sys::INDEXBUS_CAP_FANOUT, 0);
    assert!(info.creation_time_ns > 0);

    // a second mapping of the same region sees the same thing
    let other = Region::open(&name).unwrap();
    assert_eq!(
        other.info().unwrap().creation_time_ns,
        info.creation_time_ns
    );
    let other = Region::open_with_timeout(&name, Duration::from_millis(10)).unwrap();
    assert_eq!(other.info().unwrap().slot_count, 32);

    Region::unlink(&name).unwrap();
    assert_eq!(Region::open(&name).unwrap_err(), Error::NotFound);
    // still mapped here
    assert_eq!(region.info().unwrap().slot_count, 32);
}

#[test]
fn defaults_and_fanout_geometry() {
    let (events, _u1) = create("defaults", &Config::events());
    let i = events.info().unwrap();
    assert_eq!(
        (i.slot_count, i.queue_capacity, i.slot_data_size, i.consumer_count),
        (2048, 1024, 256, 1)
    );
    assert_ne!(i.capabilities & sys::INDEXBUS_CAP_SPSC_RECYCLE, 0);

    let (fanout, _u2) = create("fanout-geo", &Config::new(Kind::Fanout).queue_capacity(16));
    let i = fanout.info().unwrap();
    assert_eq!(i.kind, Kind::Fanout);
    assert_eq!(i.consumer_count, 4);
    assert_eq!(i.queue_capacity, 16);
    assert_ne!(i.capabilities & sys::INDEXBUS_CAP_FANOUT, 0);
}

#[test]
fn file_region_with_mode_and_prefault() {
    let path = file_name("mode");
    let region = Region::create(
        &path,
        &Config::events().slot_count(8).mode(0o640).prefault(true),
    )
    .unwrap();
    let _cleanup = Unlink(path.clone());
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(meta.len() >= region.info().unwrap().total_bytes);
    drop(region);
    Region::unlink(&path).unwrap();
    assert!(!std::path::Path::new(&path).exists());
}

#[test]
fn publish_and_receive_copies() {
    let (region, _u) = create("copy", &Config::events().slot_count(16));
    let mut consumer = region.consumer(0).unwrap();
    assert_eq!(consumer.index(), 0);
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    assert_eq!(producer.kind(), ProducerKind::Spsc);

    producer.publish(b"first").unwrap();
    producer.publish(b"").unwrap(); // empty messages are messages
    producer.publish(&[7u8; 256]).unwrap(); // exactly the slot size

    let info = region.info().unwrap();
    assert_eq!(info.published, 3);
    assert_eq!(info.spsc_depth, 3);
    assert_eq!(info.free_slots, 13);
    assert_eq!((info.producers_live, info.consumers_live), (1, 1));

    let mut buf = [0u8; 256];
    assert_eq!(consumer.try_recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"first");
    consumer.wait(WAIT).unwrap(); // ready, not taken
    assert_eq!(consumer.recv(&mut buf, WAIT).unwrap(), 0);
    assert_eq!(consumer.recv(&mut buf, WAIT).unwrap(), 256);
    assert_eq!(buf, [7u8; 256]);
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));

    let stats = region.consumer_stats(0).unwrap();
    assert!(stats.attached);
    assert_eq!((stats.delivered, stats.depth), (3, 0));
    assert_eq!(region.info().unwrap().free_slots, 16);
}

#[test]
fn zero_copy_claim_commit_and_borrow() {
    let (region, _u) = create(
        "zerocopy",
        &Config::events().slot_count(8).slot_data_size(64),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();

    for i in 0..20u8 {
        let mut claim = producer.claim().unwrap();
        assert_eq!(claim.capacity(), 64);
        assert_eq!(claim.len(), 64);
        let n = usize::from(i % 64) + 1;
        claim[..n].fill(i);
        claim.commit(n).unwrap();

        let msg = consumer.try_recv_borrow().unwrap();
        assert_eq!(msg.len(), n);
        assert!(msg.iter().all(|&b| b == i));
        assert_eq!(msg.as_ref(), &msg[..]);
        drop(msg); // recv_end
    }
    // an empty message borrows as an empty slice
    producer.claim().unwrap().commit(0).unwrap();
    assert!(consumer.recv_borrow(WAIT).unwrap().is_empty());
    assert_eq!(region.info().unwrap().free_slots, 8);
    assert_eq!(region.consumer_stats(0).unwrap().delivered, 21);
}

#[test]
fn dropped_or_aborted_claims_publish_nothing() {
    let (region, _u) = create("abort", &Config::events().slot_count(4));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    let mut claim = producer.claim().unwrap();
    claim[..3].copy_from_slice(b"no!");
    drop(claim); // abort
    producer.claim().unwrap().abort().unwrap();
    assert_eq!(region.info().unwrap().free_slots, 4);
    let mut buf = [0u8; 16];
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));

    // after aborts the producer is usable again
    producer.publish(b"yes").unwrap();
    assert_eq!(consumer.try_recv(&mut buf).unwrap(), 3);
    assert_eq!(region.info().unwrap().published, 1);
}

#[test]
fn failed_commit_keeps_the_claim_for_a_retry() {
    let (region, _u) = create("retry", &Config::events().slot_count(4).slot_data_size(64));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    let mut claim = producer.claim().unwrap();
    claim[..4].copy_from_slice(b"kept");
    let err = claim.commit(65).unwrap_err();
    assert_eq!(err.error(), Error::TooLarge);
    assert!(err.to_string().contains("claim still pending"));
    let claim = err.into_claim();
    assert_eq!(&claim[..4], b"kept");
    claim.commit(4).unwrap();
    assert_eq!(&*consumer.try_recv_borrow().unwrap(), b"kept");

    // `?` turns a CommitError into an Error and aborts the claim
    let mut attempt = || -> indexbus::Result<()> {
        let claim = producer.claim()?;
        claim.commit(1000)?;
        Ok(())
    };
    assert_eq!(attempt(), Err(Error::TooLarge));
    assert_eq!(region.info().unwrap().free_slots, 4);
}

#[test]
fn batches_both_ways() {
    let (region, _u) = create("batch", &Config::events().slot_count(16).slot_data_size(64));
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();

    let msgs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; usize::from(i) * 3]).collect();
    assert_eq!(producer.publish_batch(&msgs).unwrap(), 5);
    assert_eq!(producer.publish_batch::<&[u8]>(&[]).unwrap(), 0);
    assert_eq!(region.info().unwrap().published, 5);

    let mut buf = [0u8; 1024];
    let mut lens = [0u32; 3];
    let batch = consumer.recv_batch(&mut buf, &mut lens).unwrap();
    assert_eq!(batch.len(), 3);
    assert!(!batch.is_empty());
    assert_eq!(batch.lens(), &[0, 3, 6]);
    let got: Vec<Vec<u8>> = batch.iter().map(<[u8]>::to_vec).collect();
    assert_eq!(got, msgs[..3]);
    assert_eq!(batch.into_iter().len(), 3);

    // a buffer that holds only the first of the remaining two: a short batch
    let mut small = [0u8; 10];
    let mut lens = [0u32; 8];
    let batch = consumer.recv_batch(&mut small, &mut lens).unwrap();
    assert_eq!(batch.iter().collect::<Vec<_>>(), [&msgs[3][..]]);
    let mut lens = [0u32; 8];
    let batch = consumer.recv_batch(&mut buf, &mut lens).unwrap();
    assert_eq!(batch.iter().collect::<Vec<_>>(), [&msgs[4][..]]);
    assert_eq!(
        consumer.recv_batch(&mut buf, &mut lens).unwrap_err(),
        Error::Empty
    );
}

#[test]
fn short_publish_batch_reports_count_then_reason() {
    let (region, _u) = create(
        "shortbatch",
        &Config::events().slot_count(4).slot_data_size(64),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    let msgs: Vec<[u8; 2]> = (0..6u8).map(|i| [i, i]).collect();
    assert_eq!(producer.publish_batch(&msgs).unwrap(), 4); // 4 slots
    assert_eq!(producer.publish_batch(&msgs[4..]), Err(Error::Full));

    let mut buf = [0u8; 64];
    for i in 0..4u8 {
        assert_eq!(consumer.try_recv(&mut buf).unwrap(), 2);
        assert_eq!(buf[..2], [i, i]);
    }
    assert_eq!(producer.publish_batch(&msgs[4..]).unwrap(), 2);

    // a too-large message stops the batch after the ones before it
    let mixed: [&[u8]; 3] = [b"ok", &[0u8; 65], b"after"];
    assert_eq!(producer.publish_batch(&mixed).unwrap(), 1);
    assert_eq!(producer.publish_batch(&mixed[1..]), Err(Error::TooLarge));
}

#[test]
fn publish_packed_sends_the_packed_bytes_as_they_are() {
    let (region, _u) = create(
        "packed",
        &Config::events().slot_count(16).slot_data_size(64),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    // lengths 0, 3, 64 (a full slot), 1; 4 trailing bytes past the last are ignored
    let mut data: Vec<u8> = Vec::new();
    data.extend_from_slice(b"abc");
    data.extend((0..64u8).map(|i| i.wrapping_mul(7)));
    data.push(0xff);
    data.extend_from_slice(b"tail");
    let lens = [0u32, 3, 64, 1];
    assert_eq!(producer.publish_packed(&data, &lens).unwrap(), 4);
    assert_eq!(producer.publish_packed(&data, &[]).unwrap(), 0);
    assert_eq!(region.info().unwrap().published, 4);

    let mut buf = [0xeeu8; 1024];
    let mut rlens = [0u32; 8];
    let batch = consumer.recv_batch(&mut buf, &mut rlens).unwrap();
    assert_eq!(batch.len(), 4);
    assert_eq!(batch.lens(), &lens);
    assert_eq!(batch.data(), &data[..68]);
    let want: [&[u8]; 4] = [b"", b"abc", &data[3..67], &[0xff]];
    assert_eq!(batch.iter().collect::<Vec<_>>(), want);
    let mut n = 0;
    for msg in &batch {
        assert_eq!(msg, want[n]);
        n += 1;
    }
    assert_eq!(n, 4);
    // Debug shows the messages, not the rest of the receive buffer
    assert_eq!(
        format!("{batch:?}"),
        format!("Batch {{ lens: [0, 3, 64, 1], data: {:?} }}", &data[..68])
    );

    // each one is an ordinary message for the single receive too
    producer.publish_packed(b"xyz", &[2, 1]).unwrap();
    let mut one = [0u8; 8];
    assert_eq!(consumer.try_recv(&mut one), Ok(2));
    assert_eq!(&one[..2], b"xy");
    assert_eq!(&*consumer.try_recv_borrow().unwrap(), b"z");
    assert_eq!(consumer.try_recv(&mut one), Err(Error::Empty));
}

#[test]
fn a_received_batch_relays_without_unpacking() {
    let (a, _ua) = create("relay-a", &Config::events().slot_count(8));
    let (b, _ub) = create("relay-b", &Config::events().slot_count(8));
    let mut a_rx = a.consumer(0).unwrap();
    let mut a_tx = a.producer(ProducerKind::Mpsc).unwrap();
    let mut b_rx = b.consumer(0).unwrap();
    let mut b_tx = b.producer(ProducerKind::Mpsc).unwrap();

    let msgs: [&[u8]; 3] = [b"first", b"", b"third message"];
    assert_eq!(a_tx.publish_batch(&msgs).unwrap(), 3);
    let (mut buf, mut lens) = ([0u8; 256], [0u32; 8]);
    let batch = a_rx.recv_batch(&mut buf, &mut lens).unwrap();
    assert_eq!(b_tx.publish_packed(batch.data(), batch.lens()).unwrap(), 3);

    let (mut buf2, mut lens2) = ([0u8; 256], [0u32; 8]);
    let relayed = b_rx.recv_batch(&mut buf2, &mut lens2).unwrap();
    assert_eq!(relayed.iter().collect::<Vec<_>>(), msgs);
    assert_eq!(relayed.data(), b"firstthird message");
}

#[test]
fn short_publish_packed_reports_count_then_reason() {
    let (region, _u) = create(
        "shortpacked",
        &Config::events().slot_count(4).slot_data_size(64),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    let data: Vec<u8> = (0..6u8).flat_map(|i| [i, i]).collect();
    let lens = [2u32; 6];
    assert_eq!(producer.publish_packed(&data, &lens).unwrap(), 4); // 4 slots
    assert_eq!(
        producer.publish_packed(&data[8..], &lens[4..]),
        Err(Error::Full)
    );

    let mut buf = [0u8; 64];
    for i in 0..4u8 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(2));
        assert_eq!(buf[..2], [i, i]);
    }
    assert_eq!(producer.publish_packed(&data[8..], &lens[4..]).unwrap(), 2);
    for i in 4..6u8 {
        assert_eq!(consumer.try_recv(&mut buf), Ok(2));
        assert_eq!(buf[..2], [i, i]);
    }

    // a too-large message stops the batch after the ones before it
    let mut mixed = b"ok".to_vec();
    mixed.extend_from_slice(&[0u8; 65]);
    mixed.extend_from_slice(b"after");
    assert_eq!(producer.publish_packed(&mixed, &[2, 65, 5]).unwrap(), 1);
    assert_eq!(
        producer.publish_packed(&mixed[2..], &[65, 5]),
        Err(Error::TooLarge)
    );
    assert_eq!(consumer.try_recv(&mut buf), Ok(2));
    assert_eq!(&buf[..2], b"ok");
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Empty));
}

#[test]
fn handles_outlive_the_region_value_and_its_name() {
    let name = shm_name("outlive");
    let region = Region::create(&name, &Config::events().slot_count(8)).unwrap();
    let mut consumer = region.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    drop(region); // refcounted: the handles keep the mapping
    Region::unlink(&name).unwrap();

    producer.publish(b"still here").unwrap();
    let mut buf = [0u8; 32];
    let n = consumer.recv(&mut buf, WAIT).unwrap();
    assert_eq!(&buf[..n], b"still here");
}

#[test]
fn second_mapping_talks_to_the_first() {
    let (region, _u) = create("twomaps", &Config::events().slot_count(8));
    let other = Region::open(region.name()).unwrap();
    let mut consumer = other.consumer(0).unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    producer.publish(b"across mappings").unwrap();
    let msg = consumer.recv_borrow(WAIT).unwrap();
    assert_eq!(&*msg, b"across mappings");
    drop(msg);
    assert_eq!(region.info().unwrap().consumers_live, 1);
    assert!(region.consumer_stats(0).unwrap().attached);
    drop(consumer);
    assert!(!region.consumer_stats(0).unwrap().attached);
}

#[test]
fn library_versions() {
    assert_eq!(indexbus::BUILT_VERSION, sys::INDEXBUS_VERSION_NUMBER);
    assert_eq!(indexbus::library_version(), indexbus::BUILT_VERSION);
    assert_eq!(indexbus::library_version_string(), "1.0.0");
    assert!(indexbus::check_version(indexbus::BUILT_VERSION, indexbus::library_version()).is_ok());
}
