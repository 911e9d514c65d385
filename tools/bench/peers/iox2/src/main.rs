//! bench-iox2: the iceoryx2 peer of `make bench` (tools/bench/peers.c runs it).
//!
//!   bench-iox2 MODE ROLE NAME SIZE [SUBSCRIBERS]
//!     MODE  lat | copy | zc | bcast      ROLE  a (pinger / publisher) | b (ponger / subscriber)
//!
//! Protocol (the same for every peer program): each process sets itself up, waits until its
//! publisher sees the subscribers it expects, prints `ready`, then reads one line
//! `MEASURE_START MEASURE_END END` (CLOCK_MONOTONIC ns) from stdin and runs:
//!  - lat a: pings (seq in the first 8 bytes) and waits for the pong with the same seq until
//!    END; prints `ok P50_NS MEAN_NS SAMPLES` (one way = round trip / 2, the round trips
//!    that started inside the window); lat b: echoes each ping, checking its seq, until seq
//!    u64::MAX or END + 2 s.
//!  - copy / zc / bcast a: publishes seq-numbered messages until END; b: receives, checks
//!    every seq is the previous + 1 (from the first one it sees), counts those received in
//!    the window, drains until END + 300 ms, prints `ok MSGS_PER_S RECEIVED LOST` (LOST: the
//!    seqs skipped; a seq below the expected one fails).
//! copy: the publisher copies a local message into a loaned sample (write_from_slice), the
//! subscriber copies the payload out into a local buffer; zc: the publisher writes the seq
//! into the loaned sample in place, the subscriber reads it in place.
//! Errors print `err WHAT` and exit 1.
use core::mem::MaybeUninit;
use iceoryx2::port::update_connections::UpdateConnections;
use iceoryx2::prelude::*;
use std::io::{BufRead, Write};

fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn fail(what: String) -> ! {
    println!("err {what}");
    std::process::exit(1)
}

macro_rules! tryf {
    ($e:expr, $what:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => fail(format!("{}: {:?}", $what, e)),
        }
    };
}

struct Times {
    ms: u64,
    me: u64,
    end: u64,
}

fn ready_then_times() -> Times {
    println!("ready");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    tryf!(std::io::stdin().lock().read_line(&mut line), "stdin");
    let v: Vec<u64> = line.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    if v.len() != 3 {
        fail(format!("bad times line '{}'", line.trim()));
    }
    Times { ms: v[0], me: v[1], end: v[2] }
}

type Pub = iceoryx2::port::publisher::Publisher<ipc::Service, [u8], ()>;
type Sub = iceoryx2::port::subscriber::Subscriber<ipc::Service, [u8], ()>;
type Svc = iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, [u8], ()>;

/// The service: for latency iceoryx2's own benchmark settings (history 0, a buffer of 1,
/// safe overflow); for throughput no overflow and a 1024-deep buffer, the publisher
/// retrying until delivered.
fn service(node: &Node<ipc::Service>, name: &str, lat: bool, subs: usize) -> Svc {
    let sname: ServiceName = tryf!(name.try_into(), "service name");
    let b = node
        .service_builder(&sname)
        .publish_subscribe::<[u8]>()
        .max_publishers(1)
        .max_subscribers(subs)
        .history_size(0);
    let b = if lat {
        b.subscriber_max_buffer_size(1).enable_safe_overflow(true)
    } else {
        b.subscriber_max_buffer_size(1024).enable_safe_overflow(false)
    };
    tryf!(b.open_or_create(), "service open_or_create")
}

fn publisher(svc: &Svc, size: usize, lat: bool) -> Pub {
    let b = svc.publisher_builder().initial_max_slice_len(size);
    let b = if lat {
        b
    } else {
        b.backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
    };
    tryf!(b.create(), "publisher create")
}

fn subscriber(svc: &Svc, lat: bool) -> Sub {
    let b = svc.subscriber_builder();
    let b = if lat { b } else { b.buffer_size(1024) };
    tryf!(b.create(), "subscriber create")
}

/// Wait (at most 10 s) until the service has `n` subscribers, so that nothing sent after
/// `ready` goes to nobody.
fn wait_subscribers(svc: &Svc, publ: &Pub, n: usize) {
    let t0 = now_ns();
    while svc.dynamic_config().number_of_subscribers() < n {
        if now_ns() - t0 > 10_000_000_000 {
            fail(format!("only {} of {} subscribers after 10 s",
                         svc.dynamic_config().number_of_subscribers(), n));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    tryf!(publ.update_connections(), "update_connections");
}

fn send(publ: &Pub, seq: u64, local: &mut [u8], zc: bool) {
    let size = local.len();
    let sample = tryf!(publ.loan_slice_uninit(size), "loan");
    let sample = if zc {
        let mut s = sample;
        let p = s.payload_mut();
        for (i, b) in seq.to_le_bytes().iter().enumerate() {
            p[i] = MaybeUninit::new(*b);
        }
        // The rest of the payload stays as the segment had it (a zero-copy writer fills
        // only what it means to send); SAFETY: u8 has no invalid values.
        unsafe { s.assume_init() }
    } else {
        local[..8].copy_from_slice(&seq.to_le_bytes());
        sample.write_from_slice(local)
    };
    tryf!(sample.send(), "send");
}

/// The next message's seq, copying the payload out first in copy mode; None if nothing.
fn recv(sub: &Sub, local: &mut [u8], zc: bool) -> Option<u64> {
    let s = tryf!(sub.receive(), "receive")?;
    let p = s.payload();
    if p.len() != local.len() {
        fail(format!("received {} bytes, expected {}", p.len(), local.len()));
    }
    if zc {
        Some(u64::from_le_bytes(p[..8].try_into().unwrap()))
    } else {
        local.copy_from_slice(p);
        Some(u64::from_le_bytes(local[..8].try_into().unwrap()))
    }
}

fn pinger(node: &Node<ipc::Service>, name: &str, size: usize) {
    let ping = service(node, &format!("{name}/ping"), true, 1);
    let pong = service(node, &format!("{name}/pong"), true, 1);
    let publ = publisher(&ping, size, true);
    let sub = subscriber(&pong, true);
    wait_subscribers(&ping, &publ, 1);
    let t = ready_then_times();
    let mut local = vec![0x5au8; size];
    let mut back = vec![0u8; size];
    let mut samples: Vec<u64> = Vec::with_capacity(1 << 22);
    let mut seq = 0u64;
    loop {
        let t0 = now_ns();
        if t0 >= t.end {
            break;
        }
        send(&publ, seq, &mut local, false);
        let got = loop {
            if let Some(s) = recv(&sub, &mut back, false) {
                break s;
            }
            if now_ns() > t.end + 2_000_000_000 {
                fail(format!("no pong for seq {seq}"));
            }
        };
        let t1 = now_ns();
        if got != seq {
            fail(format!("pong seq {got}, expected {seq}"));
        }
        if t0 >= t.ms && t0 < t.me && samples.len() < samples.capacity() {
            samples.push(t1 - t0);
        }
        seq += 1;
    }
    send(&publ, u64::MAX, &mut local, false);
    if samples.is_empty() {
        fail("no round trip in the window".into());
    }
    let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64 / 2.0;
    samples.sort_unstable();
    let p50 = samples[samples.len() / 2] as f64 / 2.0;
    println!("ok {p50:.1} {mean:.1} {}", samples.len());
}

fn ponger(node: &Node<ipc::Service>, name: &str, size: usize) {
    let ping = service(node, &format!("{name}/ping"), true, 1);
    let pong = service(node, &format!("{name}/pong"), true, 1);
    let sub = subscriber(&ping, true);
    let publ = publisher(&pong, size, true);
    wait_subscribers(&pong, &publ, 1);
    let t = ready_then_times();
    let mut local = vec![0u8; size];
    let mut expect = 0u64;
    loop {
        if let Some(s) = recv(&sub, &mut local, false) {
            if s == u64::MAX {
                break;
            }
            if s != expect {
                fail(format!("ping seq {s}, expected {expect}"));
            }
            send(&publ, s, &mut local, false);
            expect += 1;
        } else if now_ns() > t.end + 2_000_000_000 {
            break;
        }
    }
    println!("ok {expect}");
}

fn producer(node: &Node<ipc::Service>, name: &str, size: usize, zc: bool, subs: usize) {
    let svc = service(node, name, false, subs);
    let publ = publisher(&svc, size, false);
    wait_subscribers(&svc, &publ, subs);
    let t = ready_then_times();
    let mut local = vec![0x5au8; size];
    let mut seq = 0u64;
    while now_ns() < t.end {
        for _ in 0..64 {
            send(&publ, seq, &mut local, zc);
            seq += 1;
        }
    }
    println!("ok {seq}");
}

fn consumer(node: &Node<ipc::Service>, name: &str, size: usize, zc: bool, subs: usize) {
    let svc = service(node, name, false, subs);
    let sub = subscriber(&svc, false);
    let t = ready_then_times();
    let mut local = vec![0u8; size];
    let (mut next, mut got, mut lost, mut c0, mut c1) = (None::<u64>, 0u64, 0u64, None, None);
    let yield_when_idle = subs > 1; // subscribers share a CPU in the broadcast run
    loop {
        let now = now_ns();
        if c0.is_none() && now >= t.ms {
            c0 = Some(got);
        }
        if c1.is_none() && now >= t.me {
            c1 = Some(got);
        }
        if now > t.end + 300_000_000 {
            break;
        }
        match recv(&sub, &mut local, zc) {
            Some(s) => {
                // below the expected seq (a duplicate, a reordering) fails; a gap is counted
                if let Some(n) = next {
                    if s < n {
                        fail(format!("seq {s}, expected {n}"));
                    }
                    lost += s - n;
                }
                next = Some(s + 1);
                got += 1;
            }
            None => {
                if yield_when_idle {
                    std::thread::yield_now();
                }
            }
        }
    }
    let n = c1.unwrap_or(got) - c0.unwrap_or(0);
    let rate = n as f64 / ((t.me - t.ms) as f64 / 1e9);
    println!("ok {rate:.0} {got} {lost}");
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: bench-iox2 lat|copy|zc|bcast a|b NAME SIZE [SUBSCRIBERS]");
        std::process::exit(2);
    }
    set_log_level(LogLevel::Error);
    let size: usize = a[4].parse().unwrap_or(0);
    let subs: usize = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    if size < 8 {
        fail("SIZE must be at least 8".into());
    }
    let node = tryf!(NodeBuilder::new().create::<ipc::Service>(), "node");
    let name = format!("ibbench/{}", a[3]);
    match (a[1].as_str(), a[2].as_str()) {
        ("lat", "a") => pinger(&node, &name, size),
        ("lat", "b") => ponger(&node, &name, size),
        ("copy", "a") => producer(&node, &name, size, false, 1),
        ("copy", "b") => consumer(&node, &name, size, false, 1),
        ("zc", "a") => producer(&node, &name, size, true, 1),
        ("zc", "b") => consumer(&node, &name, size, true, 1),
        ("bcast", "a") => producer(&node, &name, size, false, subs),
        ("bcast", "b") => consumer(&node, &name, size, false, subs),
        _ => fail(format!("unknown mode/role {} {}", a[1], a[2])),
    }
}
