//! Request/response (layout 1.1): [`RpcClient`] with its [`Reply`] and
//! [`RequestClaim`] guards, [`RpcServer`] with its [`Request`] guard, and
//! the [`Token`] that names a request.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};
use std::slice;
use std::sync::Arc;
use std::time::Duration;

use indexbus_sys as sys;

use crate::error::{check, Error, Result};
use crate::region::{nanos, RegionHandle};

/// Names one request: its reply cell and that cell's generation
/// (`generation << 32 | cell`). A stale token (an earlier request in the
/// same cell) or a forged one gives [`Error::NotFound`], never another
/// request's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(u64);

impl Token {
    /// The C API's `uint64_t` token.
    pub fn to_raw(self) -> u64 {
        self.0
    }
    /// A token from the C API (or from another process).
    pub fn from_raw(raw: u64) -> Token {
        Token(raw)
    }
}

/// Turns a data pointer the library returned into one a slice can use:
/// any non-NULL pointer for an empty buffer.
fn data_ptr(p: *const std::ffi::c_void, len: usize) -> NonNull<u8> {
    match NonNull::new(p.cast_mut().cast()) {
        Some(p) => p,
        None if len == 0 => NonNull::dangling(),
        None => panic!("libindexbus returned OK with a NULL buffer"),
    }
}

/// A client of a request/response region ([`Region::rpc_client`](crate::Region::rpc_client)).
///
/// Each request takes a reply cell (FULL when every cell is taken); the
/// cell is recycled, without allocation, for the next request once the
/// reply is read. [`call`](RpcClient::call) does a whole round trip;
/// [`request`](RpcClient::request) + [`wait`](RpcClient::wait) lets several
/// be outstanding, and borrows each reply in place as a [`Reply`] guard,
/// which recycles the cell when dropped. [`claim`](RpcClient::claim) writes
/// a request in place. Dropping the client gives up its outstanding
/// requests (a late reply is dropped and counted) and frees its cells.
///
/// ```
/// use indexbus::{Config, Region};
/// use std::time::Duration;
/// let name = format!("/ib-doc-rpc-{}", std::process::id());
/// let region = Region::create(&name, &Config::rpc().cells(4))?;
/// let mut server = region.rpc_server()?; // usually in another process
/// let mut client = region.rpc_client()?;
///
/// let token = client.request(b"ping")?;
/// let request = server.serve(Duration::from_secs(1))?; // borrowed in place
/// assert_eq!((&*request, request.token()), (&b"ping"[..], token));
/// request.reply(b"pong")?; // once
///
/// let reply = client.wait(token, Duration::from_secs(1))?;
/// assert_eq!(&*reply, b"pong");
/// drop(reply); // the cell is recycled for the next request
/// assert!(client.wait(token, Duration::ZERO).unwrap_err().is_not_found());
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
///
/// A reply is borrowed from its cell: it cannot outlive its client (whose
/// close frees the cell):
///
/// ```compile_fail,E0505
/// # use indexbus::{Config, Region};
/// # use std::time::Duration;
/// # let region = Region::create("/ib-doc-never-created", &Config::rpc())?;
/// let mut client = region.rpc_client()?;
/// let token = client.request(b"ping")?;
/// let reply = client.wait(token, Duration::from_secs(1))?;
/// drop(client);                   // error[E0505]: move out while borrowed
/// println!("{}", reply.len());
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct RpcClient {
    raw: NonNull<sys::indexbus_rpc_client>,
    max_request: usize,
    max_reply: usize,
}

// SAFETY: the C client handle may be used from any thread, one at a time;
// `RpcClient` is not `Sync` (raw pointer fields) and calls need `&mut self`.
unsafe impl Send for RpcClient {}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("max_request", &self.max_request)
            .field("max_reply", &self.max_reply)
            .finish_non_exhaustive()
    }
}

impl RpcClient {
    pub(crate) fn open(region: &Arc<RegionHandle>) -> Result<RpcClient> {
        let info = region.info_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer.
        check(unsafe { sys::indexbus_rpc_client_open(region.as_ptr(), &mut out) })?;
        Ok(RpcClient {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL rpc client"),
            max_request: info.max_request as usize,
            max_reply: info.max_reply as usize,
        })
    }

    /// The largest request of the region, in bytes.
    pub fn max_request(&self) -> usize {
        self.max_request
    }
    /// The largest reply of the region, in bytes.
    pub fn max_reply(&self) -> usize {
        self.max_reply
    }

    /// Send a copy of `data` as a request and return its token.
    /// [`Error::Full`] when every cell is taken, [`Error::TooLarge`] past
    /// [`max_request`](RpcClient::max_request), [`Error::Disconnected`]
    /// once every server that attached has left (nothing is sent).
    pub fn request(&mut self, data: &[u8]) -> Result<Token> {
        let mut t = 0u64;
        // SAFETY: exclusive handle (no claim is pending: a RequestClaim
        // borrows it), data valid for data.len() bytes, out-pointer.
        check(unsafe {
            sys::indexbus_rpc_request(self.raw.as_ptr(), data.as_ptr().cast(), data.len(), &mut t)
        })?;
        Ok(Token(t))
    }

    /// Zero-copy request: a cell's request buffer of exactly `len` bytes,
    /// to fill and [`send`](RequestClaim::send). [`Error::Full`],
    /// [`Error::TooLarge`] as for [`request`](RpcClient::request).
    pub fn claim(&mut self, len: usize) -> Result<RequestClaim<'_>> {
        let mut buf = ptr::null_mut();
        // SAFETY: exclusive handle, out-pointer; no claim is pending (a
        // RequestClaim borrows the client and gives its claim back when dropped).
        check(unsafe { sys::indexbus_rpc_claim(self.raw.as_ptr(), len, &mut buf) })?;
        Ok(RequestClaim {
            buf: data_ptr(buf, len),
            client: self,
            len,
            pending: true,
        })
    }

    /// Wait up to `timeout` for the reply to `token` and borrow it in
    /// place: the [`Reply`] guard derefs to its bytes and recycles the cell
    /// when dropped. [`Error::Timeout`] leaves the request outstanding (wait
    /// again, or [`cancel`](RpcClient::cancel)); [`Error::Disconnected`] if
    /// its server left or died, or none is attached any more (the cell is
    /// recycled); [`Error::NotFound`] for a token that is not this client's
    /// outstanding request.
    pub fn wait(&mut self, token: Token, timeout: Duration) -> Result<Reply<'_>> {
        let mut data = ptr::null();
        let mut len = 0usize;
        // SAFETY: exclusive handle, out-pointers.
        check(unsafe {
            sys::indexbus_rpc_wait(
                self.raw.as_ptr(),
                token.0,
                &mut data,
                &mut len,
                nanos(timeout),
            )
        })?;
        Ok(Reply {
            client: self,
            token,
            data: data_ptr(data, len),
            len,
        })
    }

    /// Give up an outstanding request: a late reply is dropped and counted.
    pub fn cancel(&mut self, token: Token) -> Result<()> {
        // SAFETY: exclusive handle.
        check(unsafe { sys::indexbus_rpc_cancel(self.raw.as_ptr(), token.0) })
    }

    /// A whole round trip with copies: the request, then its reply,
    /// waiting up to `timeout` ([`Error::Timeout`] cancels the request).
    pub fn call(&mut self, request: &[u8], timeout: Duration) -> Result<Vec<u8>> {
        let token = self.request(request)?;
        let reply = self.wait(token, timeout).map(|r| r.to_vec());
        if let Err(Error::Timeout | Error::Corrupt) = reply {
            let _ = self.cancel(token);
        }
        reply
    }

    /// As [`call`](RpcClient::call), the reply copied into `reply`: its
    /// length, or [`Error::BufferTooSmall`] with the length needed (the
    /// reply is dropped).
    pub fn call_into(
        &mut self,
        request: &[u8],
        reply: &mut [u8],
        timeout: Duration,
    ) -> Result<usize> {
        let token = self.request(request)?;
        let got = self.wait(token, timeout).map(|r| {
            let n = r.len();
            if n <= reply.len() {
                reply[..n].copy_from_slice(&r);
                Ok(n)
            } else {
                Err(Error::BufferTooSmall { needed: n })
            }
        });
        match got {
            Ok(done) => done,
            Err(e) => {
                if matches!(e, Error::Timeout | Error::Corrupt) {
                    let _ = self.cancel(token);
                }
                Err(e)
            }
        }
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_rpc_client {
        self.raw.as_ptr()
    }
}

impl Drop for RpcClient {
    fn drop(&mut self) {
        // SAFETY: we own the handle; guards borrow it, so none is alive.
        unsafe { sys::indexbus_rpc_client_close(self.raw.as_ptr()) };
    }
}

/// A request written in place ([`RpcClient::claim`]): fill it (it derefs to
/// `&mut [u8]` of the length claimed), then [`send`](RequestClaim::send).
/// Dropped unsent (or [`abort`](RequestClaim::abort)ed), nothing is sent and
/// the claim is given back (`indexbus_rpc_abort`): the client keeps the cell
/// for its next request, or frees it if it keeps one already.
pub struct RequestClaim<'a> {
    client: &'a mut RpcClient,
    buf: NonNull<u8>,
    len: usize,
    /// Claimed and neither sent nor given back: dropping gives it back.
    pending: bool,
}

// SAFETY: a `&mut RpcClient` (Send) plus a pointer into the mapping the
// client keeps alive.
unsafe impl Send for RequestClaim<'_> {}

impl fmt::Debug for RequestClaim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestClaim")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl RequestClaim<'_> {
    /// Send all of it; returns the request's token.
    pub fn send(self) -> Result<Token> {
        let len = self.len;
        self.send_len(len)
    }

    /// Send its first `len` bytes. [`Error::TooLarge`] past the length
    /// claimed, [`Error::Disconnected`] once every server that attached has
    /// left: nothing is sent and the claim is given back.
    pub fn send_len(mut self, len: usize) -> Result<Token> {
        if len > self.len {
            return Err(Error::TooLarge); // given back as self drops
        }
        let mut t = 0u64;
        // SAFETY: exclusive handle with a pending claim.
        let st = unsafe { sys::indexbus_rpc_send(self.client.raw.as_ptr(), len, &mut t) };
        if st != sys::INDEXBUS_TOO_LARGE as i32 && st != sys::INDEXBUS_INVALID_ARGUMENT as i32 {
            // sent, or (Disconnected) given back by the library
            self.pending = false;
        }
        check(st).map(|()| Token(t))
    }

    /// Give the claim back unsent (what dropping does).
    pub fn abort(self) {}
}

impl Drop for RequestClaim<'_> {
    fn drop(&mut self) {
        if self.pending {
            // SAFETY: exclusive handle with a pending claim.
            unsafe { sys::indexbus_rpc_abort(self.client.raw.as_ptr()) };
        }
    }
}

impl Deref for RequestClaim<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the claimed cell's request area, at least len bytes, ours
        // until sent; mapped while the client lives.
        unsafe { slice::from_raw_parts(self.buf.as_ptr(), self.len) }
    }
}

impl DerefMut for RequestClaim<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref; &mut self makes the access exclusive.
        unsafe { slice::from_raw_parts_mut(self.buf.as_ptr(), self.len) }
    }
}

/// A reply borrowed in place from its cell ([`RpcClient::wait`]). It derefs
/// to the reply's bytes; dropping it recycles the cell for the client's
/// next request (`indexbus_rpc_reply_done`).
pub struct Reply<'a> {
    client: &'a mut RpcClient,
    token: Token,
    data: NonNull<u8>,
    len: usize,
}

// SAFETY: as for RequestClaim.
unsafe impl Send for Reply<'_> {}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("token", &self.token)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Reply<'_> {
    /// The request this answers.
    pub fn token(&self) -> Token {
        self.token
    }
}

impl Deref for Reply<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the cell's reply area, len bytes, REPLIED and ours until
        // reply_done (in drop); mapped while the client lives.
        unsafe { slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        // SAFETY: exclusive handle; the reply to token is held.
        unsafe { sys::indexbus_rpc_reply_done(self.client.raw.as_ptr(), self.token.0) };
    }
}

/// A server of a request/response region ([`Region::rpc_server`](crate::Region::rpc_server)).
///
/// Any number may serve at once (a work queue: each request goes to one).
/// [`serve`](RpcServer::serve) borrows a request in place as a [`Request`]
/// guard, answered once through it. Dropping the server fails the requests
/// it holds unanswered (deferred ones): their clients get
/// [`Error::Disconnected`].
pub struct RpcServer {
    raw: NonNull<sys::indexbus_rpc_server>,
    max_reply: usize,
}

// SAFETY: as for RpcClient.
unsafe impl Send for RpcServer {}

impl fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcServer")
            .field("max_reply", &self.max_reply)
            .finish_non_exhaustive()
    }
}

impl RpcServer {
    pub(crate) fn open(region: &Arc<RegionHandle>) -> Result<RpcServer> {
        let info = region.info_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: live region (borrowed by the caller), out-pointer.
        check(unsafe { sys::indexbus_rpc_server_open(region.as_ptr(), &mut out) })?;
        Ok(RpcServer {
            raw: NonNull::new(out).expect("libindexbus returned OK with a NULL rpc server"),
            max_reply: info.max_reply as usize,
        })
    }

    /// The largest reply of the region, in bytes.
    pub fn max_reply(&self) -> usize {
        self.max_reply
    }

    /// Take the next request, waiting up to `timeout` ([`Error::Timeout`];
    /// [`Error::Empty`] for a zero timeout with none waiting).
    pub fn serve(&mut self, timeout: Duration) -> Result<Request<'_>> {
        self.serve_ns(nanos(timeout))
    }

    /// Take the next request without waiting ([`Error::Empty`]).
    pub fn try_serve(&mut self) -> Result<Request<'_>> {
        self.serve_ns(0)
    }

    fn serve_ns(&mut self, timeout_ns: u64) -> Result<Request<'_>> {
        let mut t = 0u64;
        let mut data = ptr::null();
        let mut len = 0usize;
        // SAFETY: exclusive handle, out-pointers.
        check(unsafe {
            sys::indexbus_rpc_serve(self.raw.as_ptr(), &mut t, &mut data, &mut len, timeout_ns)
        })?;
        Ok(Request {
            server: self,
            token: Token(t),
            data: data_ptr(data, len),
            len,
            held: true,
        })
    }

    /// Answer a request this server holds by its token (one deferred with
    /// [`Request::defer`]): once. [`Error::NotFound`] for a token it does
    /// not hold (stale, answered already, forged), [`Error::TooLarge`] past
    /// [`max_reply`](RpcServer::max_reply) (it stays held).
    pub fn reply(&mut self, token: Token, data: &[u8]) -> Result<()> {
        // SAFETY: exclusive handle, data valid for data.len() bytes.
        check(unsafe {
            sys::indexbus_rpc_reply(self.raw.as_ptr(), token.0, data.as_ptr().cast(), data.len())
        })
    }

    /// Zero-copy answer by token: the cell's reply buffer
    /// ([`max_reply`](RpcServer::max_reply) bytes), then
    /// [`reply_commit`](RpcServer::reply_commit).
    pub fn reply_buffer(&mut self, token: Token) -> Result<&mut [u8]> {
        let (buf, cap) = reply_buffer_raw(self.raw, token)?;
        // SAFETY: the held cell's reply area, cap bytes, written only by
        // its holder (us) until the commit; &mut self keeps it exclusive.
        Ok(unsafe { slice::from_raw_parts_mut(buf.as_ptr(), cap) })
    }

    /// Answer with the first `len` bytes of the reply buffer: once.
    pub fn reply_commit(&mut self, token: Token, len: usize) -> Result<()> {
        // SAFETY: exclusive handle.
        check(unsafe { sys::indexbus_rpc_reply_commit(self.raw.as_ptr(), token.0, len) })
    }

    /// Drop a request this server holds unanswered, by its token (one
    /// deferred with [`Request::defer`]): its client's wait gets
    /// [`Error::Disconnected`]. [`Error::NotFound`] as for
    /// [`reply`](RpcServer::reply).
    pub fn fail(&mut self, token: Token) -> Result<()> {
        // SAFETY: exclusive handle.
        check(unsafe { sys::indexbus_rpc_fail(self.raw.as_ptr(), token.0) })
    }

    /// The raw C handle, for calls this crate does not wrap. It stays valid
    /// while `self` lives; do not close it.
    pub fn as_ptr(&self) -> *mut sys::indexbus_rpc_server {
        self.raw.as_ptr()
    }
}

fn reply_buffer_raw(
    server: NonNull<sys::indexbus_rpc_server>,
    token: Token,
) -> Result<(NonNull<u8>, usize)> {
    let mut buf = ptr::null_mut();
    let mut cap = 0usize;
    // SAFETY: exclusive handle (the caller holds &mut), out-pointers.
    check(unsafe { sys::indexbus_rpc_reply_buffer(server.as_ptr(), token.0, &mut buf, &mut cap) })?;
    Ok((data_ptr(buf, cap), cap))
}

impl Drop for RpcServer {
    fn drop(&mut self) {
        // SAFETY: we own the handle; guards borrow it, so none is alive.
        unsafe { sys::indexbus_rpc_server_close(self.raw.as_ptr()) };
    }
}

/// A request borrowed in place by its server ([`RpcServer::serve`]). It
/// derefs to the request's bytes; [`reply`](Request::reply), or
/// [`reply_buffer`](Request::reply_buffer) + [`commit`](Request::commit),
/// answers it (once: both consume the guard).
///
/// Dropped unanswered (or [`fail`](Request::fail)ed), the request fails: its
/// client's wait gets [`Error::Disconnected`], counted in
/// [`Info::rpc_requests_failed`](crate::Info::rpc_requests_failed) (a
/// one-shot sender dropped unsent). So does a request whose
/// [`reply`](Request::reply) or [`commit`](Request::commit) returned an
/// error. To answer it later instead, [`defer`](Request::defer) it and
/// answer by token with [`RpcServer::reply`] (or fail it with
/// [`RpcServer::fail`]); dropping the server fails what it still holds.
///
/// ```
/// use indexbus::{Config, Error, Region};
/// use std::time::Duration;
/// let name = format!("/ib-doc-rpc-fail-{}", std::process::id());
/// let region = Region::create(&name, &Config::rpc().cells(4))?;
/// let mut server = region.rpc_server()?;
/// let mut client = region.rpc_client()?;
/// let token = client.request(b"can you?")?;
/// drop(server.serve(Duration::from_secs(1))?); // unanswered
/// assert_eq!(client.wait(token, Duration::from_secs(1)).unwrap_err(), Error::Disconnected);
/// # Region::unlink(&name)?;
/// # Ok::<(), indexbus::Error>(())
/// ```
pub struct Request<'a> {
    server: &'a mut RpcServer,
    token: Token,
    data: NonNull<u8>,
    len: usize,
    /// Held through this guard: dropping fails it.
    held: bool,
}

// SAFETY: as for Reply.
unsafe impl Send for Request<'_> {}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("token", &self.token)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Request<'_> {
    /// The token naming this request.
    pub fn token(&self) -> Token {
        self.token
    }

    /// Answer with a copy of `data`. [`Error::TooLarge`] past
    /// [`max_reply`](RpcServer::max_reply): the request fails (to answer
    /// it later instead, [`defer`](Request::defer) it and reply by token).
    pub fn reply(mut self, data: &[u8]) -> Result<()> {
        let r = self.server.reply(self.token, data);
        self.held = r.is_err(); // on an error it fails as self drops
        r
    }

    /// The request's bytes and the cell's reply buffer
    /// ([`max_reply`](RpcServer::max_reply) bytes) at once: they are apart,
    /// so a reply can be built from the request in place. Then
    /// [`commit`](Request::commit).
    pub fn reply_buffer(&mut self) -> Result<(&[u8], &mut [u8])> {
        let (buf, cap) = reply_buffer_raw(self.server.raw, self.token)?;
        // SAFETY: the held cell's request area (len bytes) and reply area
        // (cap bytes) do not overlap; both are ours until the reply, and
        // &mut self keeps the reply area exclusive.
        Ok(unsafe {
            (
                slice::from_raw_parts(self.data.as_ptr(), self.len),
                slice::from_raw_parts_mut(buf.as_ptr(), cap),
            )
        })
    }

    /// Answer with the first `len` bytes of the reply buffer
    /// ([`Error::TooLarge`] past it: the request fails).
    pub fn commit(mut self, len: usize) -> Result<()> {
        let r = self.server.reply_commit(self.token, len);
        self.held = r.is_err(); // on an error it fails as self drops
        r
    }

    /// Drop it unanswered (what dropping does, with the status): its
    /// client's wait gets [`Error::Disconnected`].
    pub fn fail(mut self) -> Result<()> {
        self.held = false;
        self.server.fail(self.token)
    }

    /// Leave it held by the server, unanswered, and return its token for
    /// [`RpcServer::reply`] (or [`RpcServer::fail`]) later.
    pub fn defer(mut self) -> Token {
        self.held = false;
        self.token
    }
}

impl Drop for Request<'_> {
    fn drop(&mut self) {
        if self.held {
            // SAFETY: exclusive handle; the request to token is held.
            unsafe { sys::indexbus_rpc_fail(self.server.raw.as_ptr(), self.token.0) };
        }
    }
}

impl Deref for Request<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the held cell's request area, len bytes, not written by
        // its client while the server holds it; mapped while the server lives.
        unsafe { slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}
