//! Request/response through the safe API: call and call_into, request +
//! wait with the `Reply` guard (the cell recycled on drop), zero-copy
//! requests (`RequestClaim`; one dropped unsent is given back: the client
//! keeps its cell for the next request) and replies (`Request::reply_buffer` + `commit`), deferred
//! replies by token, exactly one reply per token (a second one, a stale or
//! a forged token: `NotFound`), requests dropped unanswered fail (their
//! clients get `Disconnected`, counted), a server that closes holding
//! deferred requests, cancel and timeouts, every cell taken, the size
//! limits, the info counters; several servers and clients on threads; and
//! echo servers in child processes, one of which dies while holding a
//! request.

mod common;

use std::collections::HashSet;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use common::{check_child, create, WAIT};
use indexbus::{Config, Error, Kind, Region, Token};

const SHORT: Duration = Duration::from_millis(20);

#[test]
fn round_trip_in_one_thread() {
    let (region, _u) = create(
        "rpc-rt",
        &Config::rpc().cells(4).max_request(64).max_reply(32),
    );
    let info = region.info().unwrap();
    assert_eq!(info.kind, Kind::Rpc);
    assert_eq!(
        (
            info.rpc_cells,
            info.rpc_cells_free,
            info.max_request,
            info.max_reply
        ),
        (4, 4, 64, 32)
    );
    let mut server = region.rpc_server().unwrap();
    let mut client = region.rpc_client().unwrap();
    assert_eq!((client.max_request(), client.max_reply()), (64, 32));
    assert_eq!(server.max_reply(), 32);
    assert!(format!("{client:?}").contains("RpcClient"));
    assert!(format!("{server:?}").contains("RpcServer"));

    let t = client.request(b"ping").unwrap();
    assert_eq!(Token::from_raw(t.to_raw()), t);
    let req = server.serve(WAIT).unwrap();
    assert_eq!((&*req, req.token()), (&b"ping"[..], t));
    assert!(format!("{req:?}").contains("Request"));
    req.reply(b"pong").unwrap();
    assert_eq!(server.reply(t, b"again"), Err(Error::NotFound)); // exactly once
    {
        let reply = client.wait(t, WAIT).unwrap();
        assert_eq!((&*reply, reply.token()), (&b"pong"[..], t));
        assert!(format!("{reply:?}").contains("Reply"));
    } // recycled here
    assert_eq!(client.wait(t, Duration::ZERO).unwrap_err(), Error::NotFound);
    assert_eq!(client.cancel(t), Err(Error::NotFound));

    // empty request and reply
    let t = client.request(b"").unwrap();
    let req = server.try_serve().unwrap();
    assert!(req.is_empty());
    req.reply(b"").unwrap();
    assert!(client.wait(t, WAIT).unwrap().is_empty());

    // nothing waiting
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    assert_eq!(server.serve(Duration::ZERO).unwrap_err(), Error::Empty);
    assert_eq!(server.serve(SHORT).unwrap_err(), Error::Timeout);
}

#[test]
fn zero_copy_both_ways_and_a_claim_dropped_unsent() {
    let (region, _u) = create(
        "rpc-zc",
        &Config::rpc().cells(4).max_request(64).max_reply(32),
    );
    let mut server = region.rpc_server().unwrap();
    let mut client = region.rpc_client().unwrap();

    let mut claim = client.claim(10).unwrap();
    assert_eq!(claim.len(), 10);
    claim.copy_from_slice(b"0123456789");
    assert!(format!("{claim:?}").contains("RequestClaim"));
    let t = claim.send_len(4).unwrap();
    let mut req = server.serve(WAIT).unwrap();
    assert_eq!(&*req, b"0123");
    let (request, out) = req.reply_buffer().unwrap();
    assert_eq!(out.len(), 32);
    out[..4].copy_from_slice(request); // the request stays readable
    out[4] = b'!';
    req.commit(5).unwrap();
    assert_eq!(&*client.wait(t, WAIT).unwrap(), b"0123!");

    // a claim dropped unsent: nothing is sent, it is given back and the
    // client keeps its cell, which carries the next request
    let before = region.info().unwrap().rpc_cells_free;
    assert_eq!(before, 3); // the client keeps one cell
    let mut unsent = client.claim(5).unwrap();
    unsent.copy_from_slice(b"lost!");
    let cell = unsent.as_ptr();
    drop(unsent); // unsent
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    assert_eq!(region.info().unwrap().rpc_cells_free, before);
    let again = client.claim(64).unwrap();
    assert_eq!((again.as_ptr(), again.len()), (cell, 64));
    again.abort(); // the same, said so
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    assert_eq!(client.claim(65).unwrap_err(), Error::TooLarge);
    assert_eq!(client.request(&[0u8; 65]), Err(Error::TooLarge));
    let t = client.request(b"kept").unwrap();
    assert_eq!(region.info().unwrap().rpc_cells_free, before); // no other cell taken
    let req = server.serve(WAIT).unwrap();
    assert_eq!((&*req, req.as_ptr()), (&b"kept"[..], cell));
    assert_eq!(req.token(), t);

    // deferred: the guard goes, the server answers by token later
    let held = req.defer();
    assert_eq!(client.wait(t, SHORT).unwrap_err(), Error::Timeout);
    assert_eq!(server.reply(held, &[b'y'; 33]), Err(Error::TooLarge)); // stays held
    let buf = server.reply_buffer(held).unwrap();
    assert_eq!(buf.len(), 32);
    buf[..4].copy_from_slice(b"late");
    server.reply_commit(held, 4).unwrap();
    assert_eq!(server.reply_commit(held, 4), Err(Error::NotFound));
    assert_eq!(&*client.wait(t, WAIT).unwrap(), b"late");

    // a reply past max_reply through the guard: TooLarge, and the request
    // fails (the guard is gone: deferring is how to answer later)
    let t = client.request(b"big").unwrap();
    let req = server.serve(WAIT).unwrap();
    assert_eq!(req.reply(&[0u8; 33]), Err(Error::TooLarge));
    assert_eq!(server.reply(t, b"small"), Err(Error::NotFound));
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);
    let t = client.request(b"big2").unwrap();
    let mut req = server.serve(WAIT).unwrap();
    assert_eq!(req.reply_buffer().unwrap().1.len(), 32);
    assert_eq!(req.commit(33), Err(Error::TooLarge));
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(region.info().unwrap().rpc_requests_failed, 2);

    // a claim sent past its length: TooLarge, nothing sent, given back
    let claim = client.claim(3).unwrap();
    assert_eq!(claim.as_ptr(), cell);
    assert_eq!(claim.send_len(4).unwrap_err(), Error::TooLarge);
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    let t = client.request(b"abc").unwrap();
    let req = server.serve(WAIT).unwrap();
    assert_eq!((&*req, req.as_ptr()), (&b"abc"[..], cell));
    req.reply(b"").unwrap();
    assert!(client.wait(t, WAIT).unwrap().is_empty());
    assert_eq!(region.info().unwrap().rpc_cells_free, before);
}

/// A `Request` dropped unanswered fails: its client's wait gets
/// `Disconnected`, once, counted in `rpc_requests_failed`; so does one
/// failed on purpose (`Request::fail`, `RpcServer::fail` by token for a
/// deferred one). A deferred request is not failed until then. A request
/// whose client gave up is dropped without a count. The cells come back.
#[test]
fn requests_dropped_unanswered_fail() {
    let (region, _u) = create("rpc-fail", &Config::rpc().cells(4));
    let mut server = region.rpc_server().unwrap();
    let mut client = region.rpc_client().unwrap();
    let failed = || region.info().unwrap().rpc_requests_failed;

    let t = client.request(b"dropped").unwrap();
    let req = server.serve(WAIT).unwrap();
    assert_eq!(req.token(), t);
    drop(req);
    assert_eq!(failed(), 1);
    assert_eq!(server.reply(t, b"too late"), Err(Error::NotFound));
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(client.wait(t, Duration::ZERO).unwrap_err(), Error::NotFound); // once

    let t = client.request(b"failed").unwrap();
    server.serve(WAIT).unwrap().fail().unwrap();
    assert_eq!(failed(), 2);
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);

    // a handler that returns early (`?`) drops the request: it fails
    let t = client.request(b"oops").unwrap();
    let handler = |server: &mut indexbus::RpcServer| -> Result<(), Error> {
        let req = server.serve(WAIT)?;
        if &*req == b"oops" {
            return Err(Error::InvalidArgument);
        }
        req.reply(b"fine")
    };
    assert_eq!(handler(&mut server), Err(Error::InvalidArgument));
    assert_eq!(failed(), 3);
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);

    // deferred: not failed until the server says so by token
    let t = client.request(b"later").unwrap();
    let held = server.serve(WAIT).unwrap().defer();
    assert_eq!((held, failed()), (t, 3));
    assert_eq!(client.wait(t, SHORT).unwrap_err(), Error::Timeout);
    let stale = Token::from_raw(held.to_raw() + (1 << 32));
    assert_eq!(server.fail(stale), Err(Error::NotFound));
    server.fail(held).unwrap();
    assert_eq!(server.fail(held), Err(Error::NotFound)); // once
    assert_eq!(failed(), 4);
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);

    // a request whose client gave up: dropped, not counted
    let t = client.request(b"gave up").unwrap();
    let req = server.serve(WAIT).unwrap();
    client.cancel(t).unwrap();
    drop(req);
    assert_eq!(failed(), 4);
    assert_eq!(region.info().unwrap().rpc_replies_abandoned, 0);

    // the server goes on; every cell comes back
    let t = client.request(b"still there?").unwrap();
    server.serve(WAIT).unwrap().reply(b"yes").unwrap();
    assert_eq!(&*client.wait(t, WAIT).unwrap(), b"yes");
    drop(client);
    assert_eq!(region.info().unwrap().rpc_cells_free, 4);
}

/// A server that closes holding deferred requests fails them: each
/// waiting client gets `Disconnected`.
#[test]
fn a_server_that_closes_fails_its_deferred_requests() {
    let (region, _u) = create("rpc-close", &Config::rpc().cells(4));
    let mut client = region.rpc_client().unwrap();
    let mut server = region.rpc_server().unwrap();
    let spare = region.rpc_server().unwrap(); // keeps the region served
    let a = client.request(b"a").unwrap();
    let b = client.request(b"b").unwrap();
    let held = [
        server.serve(WAIT).unwrap().defer(),
        server.serve(WAIT).unwrap().defer(),
    ];
    assert_eq!(HashSet::from(held), HashSet::from([a, b]));
    assert_eq!(region.info().unwrap().rpc_requests_failed, 0);
    drop(server);
    assert_eq!(region.info().unwrap().rpc_requests_failed, 2);
    assert_eq!(client.wait(a, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(client.wait(b, WAIT).unwrap_err(), Error::Disconnected);
    drop(spare);
}

#[test]
fn stale_and_forged_tokens_are_not_found() {
    let (region, _u) = create("rpc-tok", &Config::rpc().cells(4));
    let mut server = region.rpc_server().unwrap();
    let mut client = region.rpc_client().unwrap();
    let t = client.request(b"one").unwrap();
    let req = server.serve(WAIT).unwrap();
    let raw = t.to_raw();
    let forged = [
        raw ^ (1 << 32),          // another generation of its cell
        raw + 1,                  // the next cell
        (raw & !0xffff_ffff) | 4, // past the table
        raw & 0xffff_ffff,        // generation 0
        0,
        u64::MAX,
    ];
    assert_eq!(req.defer(), t); // held by the server
    for f in forged.map(Token::from_raw) {
        assert_eq!(client.wait(f, Duration::ZERO).unwrap_err(), Error::NotFound);
        assert_eq!(client.cancel(f), Err(Error::NotFound));
        assert_eq!(server.reply(f, b"no"), Err(Error::NotFound));
        assert_eq!(server.reply_buffer(f).unwrap_err(), Error::NotFound);
        assert_eq!(server.reply_commit(f, 0), Err(Error::NotFound));
    }
    server.reply(t, b"one!").unwrap();
    assert_eq!(&*client.wait(t, WAIT).unwrap(), b"one!");
    // the cell's next request has a new generation: the old token is stale
    let t2 = client.request(b"two").unwrap();
    assert_eq!(t2.to_raw() as u32, raw as u32); // the same cell, kept by the client
    assert_ne!(t2, t);
    assert_eq!(client.wait(t, Duration::ZERO).unwrap_err(), Error::NotFound);
    let t2_held = server.serve(WAIT).unwrap().defer();
    assert_eq!(t2_held, t2);
    assert_eq!(client.cancel(t), Err(Error::NotFound));
    assert_eq!(server.reply(t, b"stale"), Err(Error::NotFound));
    server.reply(t2, b"two!").unwrap();
    assert_eq!(&*client.wait(t2, WAIT).unwrap(), b"two!");
}

#[test]
fn every_cell_taken_cancel_and_timeouts() {
    let (region, _u) = create("rpc-full", &Config::rpc().cells(2));
    let mut server = region.rpc_server().unwrap();
    let mut client = region.rpc_client().unwrap();
    let a = client.request(b"a").unwrap();
    let b = client.request(b"b").unwrap();
    assert_eq!(client.request(b"c"), Err(Error::Full));
    assert_eq!(client.claim(1).unwrap_err(), Error::Full);
    assert_eq!(region.info().unwrap().rpc_cells_free, 0);
    let q1 = server.serve(WAIT).unwrap().defer();
    let q2 = server.serve(WAIT).unwrap().defer();
    assert_eq!(HashSet::from([q1, q2]), HashSet::from([a, b])); // in any order
    let (ra, rb) = (a, b);
    assert_eq!(client.wait(ra, SHORT).unwrap_err(), Error::Timeout);
    client.cancel(ra).unwrap();
    assert_eq!(
        client.wait(ra, Duration::ZERO).unwrap_err(),
        Error::NotFound
    );
    server.reply(ra, b"too late").unwrap(); // OK for the server: abandoned
    assert_eq!(region.info().unwrap().rpc_replies_abandoned, 1);
    server.reply(rb, b"b!").unwrap();
    assert_eq!(&*client.wait(rb, WAIT).unwrap(), b"b!");
    // a call that times out cancels its request: no server sees it
    assert_eq!(client.call(b"t", SHORT), Err(Error::Timeout));
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    let mut buf = [0u8; 8];
    assert_eq!(client.call_into(b"u", &mut buf, SHORT), Err(Error::Timeout));
    assert_eq!(server.try_serve().unwrap_err(), Error::Empty);
    assert_eq!(region.info().unwrap().rpc_replies_abandoned, 1);
}

#[test]
fn call_into_a_buffer() {
    let (region, _u) = create("rpc-into", &Config::rpc().cells(2));
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let mut server = region.rpc_server().unwrap();
        let stop = &stop;
        s.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match server.serve(Duration::from_millis(5)) {
                    Ok(req) => {
                        let reply = [&b"echo:"[..], &req].concat();
                        req.reply(&reply).unwrap();
                    }
                    Err(Error::Timeout) => {}
                    Err(e) => panic!("serve: {e}"),
                }
            }
        });
        let mut client = region.rpc_client().unwrap();
        assert_eq!(client.call(b"hi", WAIT).unwrap(), b"echo:hi");
        let mut buf = [0u8; 8];
        assert_eq!(client.call_into(b"abc", &mut buf, WAIT), Ok(8));
        assert_eq!(&buf, b"echo:abc");
        assert_eq!(
            client.call_into(b"abcd", &mut buf, WAIT),
            Err(Error::BufferTooSmall { needed: 9 })
        );
        // the reply was dropped, the cell recycled: the next call works
        assert_eq!(client.call(b"x", WAIT).unwrap(), b"echo:x");
        stop.store(true, Ordering::Relaxed);
    });
}

/// Two servers and four clients on threads, 100 calls each: every request
/// is answered once, by one of the servers, to the client that sent it.
#[test]
fn work_queue_of_servers_on_threads() {
    let (region, _u) = create("rpc-wq", &Config::rpc().cells(16));
    let stop = AtomicBool::new(false);
    let served = [AtomicU32::new(0), AtomicU32::new(0)];
    thread::scope(|s| {
        for (k, count) in served.iter().enumerate() {
            let mut server = region.rpc_server().unwrap();
            let stop = &stop;
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match server.serve(Duration::from_millis(5)) {
                        Ok(req) => {
                            let mut reply = req.to_vec();
                            reply.extend_from_slice(format!("/{k}").as_bytes());
                            req.reply(&reply).unwrap();
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(Error::Timeout) => {}
                        Err(e) => panic!("serve: {e}"),
                    }
                }
            });
        }
        let clients: Vec<_> = (0..4)
            .map(|c| {
                let mut client = region.rpc_client().unwrap();
                s.spawn(move || {
                    for m in 0..100 {
                        let req = format!("c{c}m{m}");
                        let reply = client.call(req.as_bytes(), WAIT).unwrap();
                        let reply = String::from_utf8(reply).unwrap();
                        assert!(
                            reply == req.clone() + "/0" || reply == req + "/1",
                            "{reply}"
                        );
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    let total: u32 = served.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    assert_eq!(total, 400);
    assert_eq!(region.info().unwrap().rpc_cells_free, 16); // every client closed
}

#[test]
fn errors_on_other_kinds_and_bad_geometry() {
    let (events, _u) = create("rpc-ev", &Config::events().slot_count(8));
    assert_eq!(events.rpc_client().unwrap_err(), Error::WrongKind);
    assert_eq!(events.rpc_server().unwrap_err(), Error::WrongKind);
    let name = common::shm_name("rpc-bad");
    for cfg in [
        Config::rpc().cells(4097),
        Config::rpc().max_request(4),
        Config::rpc().max_reply((16 << 20) + 1),
        Config::rpc().byte_capacity(4096),
    ] {
        assert_eq!(
            Region::create(&name, &cfg).unwrap_err(),
            Error::InvalidArgument,
            "{cfg:?}"
        );
    }
}

// ---- servers in child processes: this binary re-executes itself ----

const REGION_ENV: &str = "INDEXBUS_RS_TEST_RPC_REGION";
const COUNT_ENV: &str = "INDEXBUS_RS_TEST_RPC_COUNT";

fn spawn_child(test: &str, region: &str, count: u32) -> Child {
    common::spawn_child(test, &[(REGION_ENV, region), (COUNT_ENV, &count.to_string())])
}

fn child_env() -> Option<(String, u32)> {
    let region = std::env::var(REGION_ENV).ok()?;
    let count = std::env::var(COUNT_ENV).ok()?.parse().ok()?;
    Some((region, count))
}

/// Two echo server processes share 1,000 requests from two client threads.
#[test]
fn echo_servers_in_child_processes() {
    let (region, cleanup) = create("rpc-mp", &Config::rpc().cells(8).max_reply(8192));
    let children: Vec<Child> = (0..2)
        .map(|_| spawn_child("child_echo_server", &cleanup.0, 0))
        .collect();
    thread::scope(|s| {
        for c in 0..2u32 {
            let mut client = region.rpc_client().unwrap();
            s.spawn(move || {
                for m in 0..500u32 {
                    let req = common::pattern(c as u8, m, 1 + (m as usize * 13) % 4000);
                    let t = client.request(&req).unwrap();
                    let reply = client.wait(t, WAIT).unwrap();
                    assert_eq!(reply[..5], *b"echo:");
                    assert_eq!(reply[5..], req[..], "client {c} request {m}");
                }
            });
        }
    });
    // a zero-length request tells a server to leave
    let mut client = region.rpc_client().unwrap();
    for _ in 0..2 {
        assert_eq!(client.call(b"", WAIT).unwrap(), b"bye");
    }
    for c in children {
        check_child(c, "child_echo_server");
    }
    // both servers left: a request now is Disconnected
    assert_eq!(client.request(b"anyone?"), Err(Error::Disconnected));
    assert_eq!(region.info().unwrap().rpc_requests_failed, 0);
}

#[test]
#[ignore = "run by echo_servers_in_child_processes in a child process"]
fn child_echo_server() {
    let Some((name, _)) = child_env() else { return };
    let region = Region::open(&name).unwrap();
    let mut server = region.rpc_server().unwrap();
    loop {
        let mut req = server.serve(WAIT).unwrap();
        if req.is_empty() {
            req.reply(b"bye").unwrap();
            return;
        }
        let (request, out) = req.reply_buffer().unwrap();
        let n = request.len();
        out[..5].copy_from_slice(b"echo:");
        out[5..5 + n].copy_from_slice(request);
        req.commit(5 + n).unwrap();
    }
}

/// A server process that dies holding a request: the waiting client gets
/// Disconnected (its wait recovers the dead server), and a new server can
/// take over.
#[test]
fn a_server_that_dies_fails_the_waiting_client() {
    let (region, cleanup) = create("rpc-die", &Config::rpc().cells(4));
    let mut client = region.rpc_client().unwrap();
    let child = spawn_child("child_dies_serving", &cleanup.0, 0);
    let t = client.request(b"hello?").unwrap();
    assert_eq!(client.wait(t, WAIT).unwrap_err(), Error::Disconnected);
    check_child(child, "child_dies_serving");
    assert_eq!(region.info().unwrap().rpc_requests_failed, 1);
    // a new server takes over
    let mut server = region.rpc_server().unwrap();
    let t = client.request(b"again?").unwrap();
    server.serve(WAIT).unwrap().reply(b"yes").unwrap();
    assert_eq!(&*client.wait(t, WAIT).unwrap(), b"yes");
}

#[test]
#[ignore = "run by a_server_that_dies_fails_the_waiting_client in a child process"]
fn child_dies_serving() {
    let Some((name, _)) = child_env() else { return };
    let region = Region::open(&name).unwrap();
    let mut server = region.rpc_server().unwrap();
    let req = server.serve(WAIT).unwrap();
    assert_eq!(&*req, b"hello?");
    req.defer();
    std::mem::forget(server); // no close: the process exits holding it
    std::mem::forget(region);
}
