//! Fanout regions: a router thread broadcasting to consumer threads, and
//! every router call (route_once, _stats, _credit, run, stop).

mod common;

use std::thread;
use std::time::Duration;

use common::{create, WAIT};
use indexbus::{Config, Error, ExitReason, Mode, ProducerKind, RunConfig, Source};

const N: u32 = 3000;

fn message(i: u32) -> Vec<u8> {
    // varying length, content derived from the sequence number
    let len = 4 + (i as usize * 7) % 100;
    let mut m = vec![(i % 251) as u8; len];
    m[..4].copy_from_slice(&i.to_le_bytes());
    m
}

#[test]
fn broadcast_with_a_running_router() {
    let consumers_n = 3;
    let (region, _u) = create("broadcast", &Config::fanout(consumers_n).slot_count(64));
    let consumers: Vec<_> = (0..consumers_n)
        .map(|i| region.consumer(i).unwrap())
        .collect();
    let mut router = region.router().unwrap();
    let stopper = router.stopper();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();

    thread::scope(|s| {
        let routing = s.spawn(move || router.run(&RunConfig::new()));
        let receivers: Vec<_> = consumers
            .into_iter()
            .map(|mut c| {
                s.spawn(move || {
                    let mut buf = [0u8; 256];
                    for i in 0..N {
                        let n = c
                            .recv(&mut buf, WAIT)
                            .unwrap_or_else(|e| panic!("consumer {}: {e}", c.index()));
                        assert_eq!(buf[..n], message(i), "consumer {} message {i}", c.index());
                    }
                    c.index()
                })
            })
            .collect();
        for i in 0..N {
            let m = message(i);
            loop {
                match producer.publish(&m) {
                    Ok(()) => break,
                    Err(Error::Full) => thread::yield_now(), // slots come back as consumers read
                    Err(e) => panic!("publish {i}: {e}"),
                }
            }
        }
        for r in receivers {
            r.join().unwrap();
        }
        stopper.stop().unwrap();
        let exit = routing.join().unwrap().unwrap();
        assert_eq!(exit.reason, ExitReason::Stopped);
        assert_eq!(exit.routed, u64::from(N));
    });

    let info = region.info().unwrap();
    assert_eq!((info.published, info.routed), (u64::from(N), u64::from(N)));
    assert_eq!(info.free_slots, 64);
    for i in 0..consumers_n {
        let st = region.consumer_stats(i).unwrap();
        assert_eq!(
            (st.delivered, st.dropped_full, st.depth),
            (u64::from(N), 0, 0)
        );
    }
}

#[test]
fn route_once_broadcast_and_stats() {
    let (region, _u) = create("routeonce", &Config::fanout(3).slot_count(16));
    let mut consumers: Vec<_> = (0..3).map(|i| region.consumer(i).unwrap()).collect();
    let mut router = region.router().unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();

    assert_eq!(
        router.route_once(Source::Any, Mode::Broadcast),
        Err(Error::Empty)
    );
    producer.publish(b"one").unwrap();
    producer.publish(b"two").unwrap();
    router.route_once(Source::Mpsc, Mode::Broadcast).unwrap();
    let r = router
        .route_once_stats(Source::Any, Mode::Broadcast)
        .unwrap();
    assert!(r.routed);
    assert_eq!((r.delivered, r.delivered_mask), (3, 0b111));
    assert_eq!((r.dropped_full, r.dropped_no_credit), (0, 0));
    assert_eq!(
        router.route_once_stats(Source::Any, Mode::Broadcast),
        Err(Error::Empty)
    );

    for c in &mut consumers {
        assert_eq!(&*c.try_recv_borrow().unwrap(), b"one");
        assert_eq!(&*c.try_recv_borrow().unwrap(), b"two");
        assert_eq!(c.try_recv_borrow().unwrap_err(), Error::Empty);
    }
    assert_eq!(region.info().unwrap().routed, 2);
}

#[test]
fn route_from_a_chosen_source() {
    let (region, _u) = create("source", &Config::fanout(1).slot_count(8));
    let mut consumer = region.consumer(0).unwrap();
    let mut router = region.router().unwrap();
    let mut spsc = region.producer(ProducerKind::Spsc).unwrap();
    spsc.publish(b"spsc").unwrap();
    assert_eq!(
        router.route_once(Source::Mpsc, Mode::Broadcast),
        Err(Error::Empty)
    );
    router.route_once(Source::Spsc, Mode::Broadcast).unwrap();
    assert_eq!(&*consumer.try_recv_borrow().unwrap(), b"spsc");
}

#[test]
fn work_queue_round_robin() {
    let (region, _u) = create("workqueue", &Config::fanout(2).slot_count(16));
    let mut consumers: Vec<_> = (0..2).map(|i| region.consumer(i).unwrap()).collect();
    let mut router = region.router().unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    for i in 0..6u8 {
        producer.publish(&[i]).unwrap();
    }
    let mut masks = Vec::new();
    for _ in 0..6 {
        let r = router
            .route_once_stats(Source::Any, Mode::WorkQueue)
            .unwrap();
        assert_eq!(r.delivered, 1);
        masks.push(r.delivered_mask);
    }
    assert_eq!(masks, [0b01, 0b10, 0b01, 0b10, 0b01, 0b10]);
    let mut buf = [0u8; 4];
    for (c, expect) in consumers.iter_mut().zip([[0u8, 2, 4], [1, 3, 5]]) {
        for e in expect {
            assert_eq!(c.try_recv(&mut buf), Ok(1));
            assert_eq!(buf[0], e);
        }
        assert_eq!(c.try_recv(&mut buf), Err(Error::Empty));
    }
}

#[test]
fn credit_aware_routing() {
    let (region, _u) = create("credit", &Config::fanout(3).slot_count(16));
    let _consumers: Vec<_> = (0..3).map(|i| region.consumer(i).unwrap()).collect();
    let mut router = region.router().unwrap();
    let mut producer = region.producer(ProducerKind::Spsc).unwrap();
    for _ in 0..3 {
        producer.publish(b"m").unwrap();
    }
    // only consumer 1 is eligible
    let r = router
        .route_once_credit(Source::Any, Mode::Broadcast, 0b010, 0, 0)
        .unwrap();
    assert_eq!(
        (
            r.delivered_mask,
            r.dropped_no_credit_mask,
            r.dropped_no_credit
        ),
        (0b010, 0b101, 2)
    );
    // all eligible, consumer 1 out of credit, consumer 0 reported full
    let r = router
        .route_once_credit(Source::Any, Mode::Broadcast, u64::MAX, 0b010, 0b001)
        .unwrap();
    assert_eq!(r.delivered_mask, 0b100);
    assert_eq!(r.dropped_no_credit_mask, 0b010);
    assert_eq!((r.dropped_full_mask, r.dropped_full), (0b001, 1));
    // nobody eligible: nothing can take it, it stays queued
    assert_eq!(
        router.route_once_credit(Source::Any, Mode::Broadcast, 0, 0, 0),
        Err(Error::Full)
    );
    assert_eq!(region.info().unwrap().route_no_space, 1);

    let st0 = region.consumer_stats(0).unwrap();
    assert_eq!(
        (st0.delivered, st0.dropped_no_credit, st0.dropped_full),
        (0, 1, 1)
    );
    assert_eq!(region.consumer_stats(1).unwrap().delivered, 1);
    assert_eq!(region.consumer_stats(2).unwrap().delivered, 1);
}

#[test]
fn full_consumer_queue_blocks_routing() {
    let (region, _u) = create(
        "routefull",
        &Config::fanout(1).slot_count(8).queue_capacity(2),
    );
    let mut consumer = region.consumer(0).unwrap();
    let mut router = region.router().unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    // the queue capacity bounds the producer queues too: two at a time
    producer.publish(&[0]).unwrap();
    producer.publish(&[1]).unwrap();
    assert_eq!(producer.publish(&[2]), Err(Error::Full));
    router.route_once(Source::Any, Mode::Broadcast).unwrap();
    router.route_once(Source::Any, Mode::Broadcast).unwrap();
    producer.publish(&[2]).unwrap();
    let e = router.route_once(Source::Any, Mode::Broadcast).unwrap_err();
    assert!(e.is_full());
    let mut buf = [0u8; 1];
    consumer.try_recv(&mut buf).unwrap();
    router.route_once(Source::Any, Mode::Broadcast).unwrap(); // room again
    assert_eq!(region.info().unwrap().routed, 3);
}

#[test]
fn run_exits_on_disconnect() {
    let (region, _u) = create("rundisc", &Config::fanout(1).slot_count(32));
    let mut consumer = region.consumer(0).unwrap();
    let mut router = region.router().unwrap();
    let mut producer = region.producer(ProducerKind::Mpsc).unwrap();
    for i in 0..10u8 {
        producer.publish(&[i]).unwrap();
    }
    drop(producer);
    let cfg = RunConfig::new()
        .source(Source::Mpsc)
        .mode(Mode::WorkQueue)
        .exit_on_disconnect(true)
        .idle(10, 2, Duration::from_millis(1));
    let exit = router.run(&cfg).unwrap();
    assert_eq!(exit.reason, ExitReason::Disconnected);
    assert_eq!(exit.routed, 10);
    let mut buf = [0u8; 1];
    for i in 0..10u8 {
        consumer.try_recv(&mut buf).unwrap();
        assert_eq!(buf[0], i);
    }
    assert_eq!(consumer.try_recv(&mut buf), Err(Error::Disconnected));
}

#[test]
fn stop_before_run_and_after_drop() {
    let (region, _u) = create("stopper", &Config::fanout(1));
    let mut router = region.router().unwrap();
    let stopper = router.stopper();
    let clone = stopper.clone();
    clone.stop().unwrap(); // no run yet: the next run returns at once
    let exit = router.run(&RunConfig::new()).unwrap();
    assert_eq!((exit.reason, exit.routed), (ExitReason::Stopped, 0));
    assert!(format!("{stopper:?}").contains("router_open: true"));

    // the stopper holds no strong reference: dropping the router detaches it
    drop(router);
    assert!(format!("{stopper:?}").contains("router_open: false"));
    let _again = region.router().unwrap(); // not Busy
    stopper.stop().unwrap(); // nothing to stop: a no-op, not a use-after-close
    assert_eq!(region.info().unwrap().routers_live, 1);
}

#[test]
fn stop_from_another_thread_while_run_blocks() {
    let (region, _u) = create("stopthread", &Config::fanout(2));
    let mut router = region.router().unwrap();
    let stopper = router.stopper();
    let handle = thread::spawn(move || {
        // parks (no producers): only a stop ends it
        let exit = router.run(&RunConfig::new().idle(1, 1, Duration::from_secs(60)));
        (exit, router)
    });
    thread::sleep(Duration::from_millis(50));
    let t = std::time::Instant::now();
    stopper.stop().unwrap();
    let (exit, router) = handle.join().unwrap();
    assert_eq!(exit.unwrap().reason, ExitReason::Stopped);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stop did not wake the parked router"
    );
    drop(router);
}
