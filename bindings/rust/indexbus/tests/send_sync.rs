//! Send/Sync, checked at compile time: this file only has to build. The
//! crate root also asserts the positive cases, and its compile_fail
//! doctests show that sharing a handle between threads does not compile.

use static_assertions::{assert_impl_all, assert_not_impl_any};

use indexbus::{
    Batch, BatchClaim, BatchClaimIterMut, Borrowed, Claim, CommitError, Config, Consumer, Error,
    Producer, Region, Router, RouterStopper,
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
