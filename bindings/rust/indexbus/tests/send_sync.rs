//! Send/Sync, checked at compile time: this file only has to build. The
//! crate root also asserts the positive cases, and its compile_fail
//! doctests show that sharing a handle between threads does not compile.

use static_assertions::{assert_impl_all, assert_not_impl_any};

use indexbus::{
    Batch, BatchClaim, BatchClaimIterMut, Borrowed, Claim, CommitError, Config, Consumer, Error,
    Producer, Region, Reply, Request, RequestClaim, Router, RouterStopper, RpcClient, RpcServer,
    StreamReader, StreamState, StreamWriter, Token, WriteAllError,
};

// The region: every &self method is thread-safe in C.
assert_impl_all!(Region: Send, Sync);
// Handles: movable between threads, never used by two at once.
assert_impl_all!(Producer: Send);
assert_impl_all!(Consumer: Send);
assert_impl_all!(Router: Send);
assert_not_impl_any!(Producer: Sync);
assert_not_impl_any!(Consumer: Sync);
assert_not_impl_any!(Router: Sync);
// Only indexbus_router_stop may run concurrently: the stopper is shareable.
assert_impl_all!(RouterStopper: Send, Sync, Clone);
// Guards carry their handle's exclusive borrow.
assert_impl_all!(Claim<'static>: Send);
assert_impl_all!(Borrowed<'static>: Send);
assert_not_impl_any!(Claim<'static>: Sync, Clone);
assert_not_impl_any!(Borrowed<'static>: Sync, Clone);
assert_not_impl_any!(CommitError<'static>: Sync);
assert_impl_all!(BatchClaim<'static>: Send);
assert_not_impl_any!(BatchClaim<'static>: Sync, Clone);
// its record buffers are handed out once each, never copied
assert_not_impl_any!(BatchClaimIterMut<'static>: Clone);
// 1.1 streams and request/response: handles as above, guards borrow them.
assert_impl_all!(StreamWriter: Send, std::io::Write, std::fmt::Debug);
assert_impl_all!(StreamReader: Send, std::io::Read, std::fmt::Debug);
assert_impl_all!(RpcClient: Send);
assert_impl_all!(RpcServer: Send);
assert_not_impl_any!(StreamWriter: Sync, Clone);
assert_not_impl_any!(StreamReader: Sync, Clone);
assert_not_impl_any!(RpcClient: Sync, Clone);
assert_not_impl_any!(RpcServer: Sync, Clone);
assert_impl_all!(Reply<'static>: Send);
assert_impl_all!(Request<'static>: Send);
assert_impl_all!(RequestClaim<'static>: Send);
assert_not_impl_any!(Reply<'static>: Sync, Clone);
assert_not_impl_any!(Request<'static>: Sync, Clone);
assert_not_impl_any!(RequestClaim<'static>: Sync, Clone);
assert_impl_all!(Token: Send, Sync, Copy, Eq, std::hash::Hash);
assert_impl_all!(StreamState: Send, Sync, Copy);
assert_impl_all!(WriteAllError: Send, Sync, Copy, std::error::Error);
// Plain data.
assert_impl_all!(Error: Send, Sync, Copy, std::error::Error);
assert_impl_all!(Batch<'static>: Send, Sync);
assert_impl_all!(Config: Send, Sync, Clone);
// Handles are not Clone/Copy: one owner closes each exactly once.
assert_not_impl_any!(Producer: Clone, Copy);
assert_not_impl_any!(Consumer: Clone, Copy);
assert_not_impl_any!(Router: Clone, Copy);
assert_not_impl_any!(Region: Clone, Copy);

#[test]
fn send_sync_assertions_compile() {
    fn needs_send<T: Send>(_: &T) {}
    needs_send(&Error::Full);
}
