//! The tests of seed 004 (multishot, the reusable one-shot channel) in
//! Rust idiom: the reply to a request is the one-shot value, the server's
//! `Request` guard is its sender and the client's reply cell its receiver.
//! A value sent once never blocks the sender; a sender dropped unsent (a
//! server that drops the one request it took, unanswered, on another
//! thread or in another process, and goes on serving) makes the receive
//! fail with `Disconnected`; recycling the cell for the next request always
//! succeeds once the previous reply was read, and allocates nothing
//! (counted by this binary's global allocator).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{create, WAIT};
use indexbus::{Config, Error, Region};

/// Counts this thread's allocations.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator; the count is a const-initialised
// thread local (no allocation of its own).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The seed's example, first half: a value sent from another thread is
/// received; sending it never waited for the receiver (the server thread
/// replied and finished before the client even waited).
#[test]
fn a_value_sent_once_never_blocks_the_sender() {
    let (region, _u) = create("seed4-send", &Config::rpc().cells(4));
    let mut client = region.rpc_client().unwrap();
    let token = client.request(b"?").unwrap();
    let mut server = region.rpc_server().unwrap();
    thread::spawn(move || {
        let req = server.serve(WAIT).unwrap();
        req.reply(b"42").unwrap(); // nobody waits: it returns all the same
    })
    .join()
    .unwrap();
    assert_eq!(&*client.wait(token, WAIT).unwrap(), b"42");
}

/// The seed's example, second half: a sender dropped unsent on another
/// thread makes the receive fail. Here: a server thread takes the request
/// and drops its `Request` guard without replying; the waiting client gets
/// Disconnected at once, counted once. The server did not leave: it
/// answers the next request, in the same (only) cell.
#[test]
fn a_sender_dropped_unsent_makes_the_receive_fail() {
    let (region, _u) = create("seed4-drop", &Config::rpc().cells(1));
    let mut client = region.rpc_client().unwrap();
    let mut server = region.rpc_server().unwrap();
    let token = client.request(b"hello?").unwrap();
    let (taken_tx, taken_rx) = mpsc::channel();
    let t = thread::spawn(move || {
        let req = server.serve(WAIT).unwrap();
        taken_tx.send(req.token()).unwrap();
        drop(req); // the sender, dropped unsent
        let req = server.serve(WAIT).unwrap(); // still serving
        assert_eq!(&*req, b"again?");
        req.reply(b"yes").unwrap();
    });
    assert_eq!(taken_rx.recv_timeout(WAIT), Ok(token));
    assert_eq!(client.wait(token, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(region.info().unwrap().rpc_requests_failed, 1);
    // the cell came back: the one cell carries the next request
    let token = client.request(b"again?").unwrap();
    assert_eq!(&*client.wait(token, WAIT).unwrap(), b"yes");
    t.join().unwrap();
    assert_eq!(region.info().unwrap().rpc_requests_failed, 1);
}

/// Recycling is guaranteed once the previous value was read: through a
/// region of one cell, 1,000 round trips never meet Full, and after the
/// first none of them allocates. While a reply is unread, the one cell is
/// taken.
#[test]
fn recycling_succeeds_once_the_previous_value_was_read() {
    let (region, _u) = create("seed4-recycle", &Config::rpc().cells(1));
    let mut client = region.rpc_client().unwrap();
    let mut server = region.rpc_server().unwrap();
    let mut reply = [0u8; 8];
    let mut before = 0;
    for k in 0u32..1000 {
        if k == 1 {
            before = allocations();
        }
        let token = client.request(&k.to_le_bytes()).unwrap();
        let req = server.try_serve().unwrap();
        let n = u32::from_le_bytes(req[..4].try_into().unwrap());
        req.reply(&(n * 2).to_le_bytes()).unwrap();
        if k == 0 {
            // not read yet: the only cell is still ours
            assert_eq!(client.claim(1).unwrap_err(), Error::Full);
        }
        let got = client.wait(token, Duration::ZERO).unwrap();
        reply[..4].copy_from_slice(&got);
        drop(got); // read: the cell is recycled
        assert_eq!(u32::from_le_bytes(reply[..4].try_into().unwrap()), k * 2);
    }
    assert_eq!(allocations() - before, 0, "round trips allocated");
    drop(client);
    assert_eq!(region.info().unwrap().rpc_cells_free, 1);
}

// ---- the server in a child process ----

const REGION_ENV: &str = "INDEXBUS_RS_TEST_SEED4_REGION";

/// A server process takes the request and drops it unanswered: the client
/// waiting in this process gets Disconnected, while that server goes on
/// serving (it answers the next request, then leaves).
#[test]
fn a_server_process_that_drops_the_request() {
    let (region, cleanup) = create("seed4-mp", &Config::rpc().cells(1));
    let mut client = region.rpc_client().unwrap();
    let child = common::spawn_child("child_drops_the_request", &[(REGION_ENV, &cleanup.0)]);
    let token = client.request(b"hello?").unwrap();
    assert_eq!(client.wait(token, WAIT).unwrap_err(), Error::Disconnected);
    assert_eq!(region.info().unwrap().rpc_requests_failed, 1);
    // with no server attached the request would be Disconnected: it is there
    assert_eq!(client.call(b"again?", WAIT).unwrap(), b"yes");
    common::check_child(child, "child_drops_the_request");
    assert_eq!(region.info().unwrap().rpc_requests_failed, 1);
}

#[test]
#[ignore = "run by a_server_process_that_drops_the_request in a child process"]
fn child_drops_the_request() {
    let Ok(name) = std::env::var(REGION_ENV) else {
        return;
    };
    let region = Region::open(&name).unwrap();
    let mut server = region.rpc_server().unwrap();
    let req = server.serve(WAIT).unwrap();
    assert_eq!(&*req, b"hello?");
    drop(req); // unanswered: the request fails; the server stays
    let req = server.serve(WAIT).unwrap();
    assert_eq!(&*req, b"again?");
    req.reply(b"yes").unwrap();
}
