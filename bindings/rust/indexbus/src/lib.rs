#![doc = include_str!("../README.md")]
//!
//! # Compile-time guarantees
//!
//! Handles are `Send` but not `Sync`; [`Region`] and [`RouterStopper`] are
//! both. Sharing a producer between threads does not compile:
//!
//! ```compile_fail,E0277
//! fn shared_between_threads<T: Sync>() {}
//! shared_between_threads::<indexbus::Producer>();
//! ```
//!
//! ```compile_fail,E0277
//! fn shared_between_threads<T: Sync>() {}
//! shared_between_threads::<indexbus::Consumer>();
//! ```
//!
//! ```compile_fail,E0277
//! fn shared_between_threads<T: Sync>() {}
//! shared_between_threads::<indexbus::Router>();
//! ```
//!
//! ```compile_fail,E0277
//! fn shared_between_threads<T: Sync>() {}
//! shared_between_threads::<indexbus::StreamWriter>();
//! ```
//!
//! ```compile_fail,E0277
//! fn shared_between_threads<T: Sync>() {}
//! shared_between_threads::<indexbus::RpcClient>();
//! ```
//!
//! A dropped handle is closed; using it afterwards does not compile:
//!
//! ```compile_fail,E0382
//! # use indexbus::{Config, Region};
//! # let region = Region::create("/ib-doc-never-created", &Config::events())?;
//! let mut consumer = region.consumer(0)?;
//! drop(consumer);                           // indexbus_consumer_close
//! let mut buf = [0u8; 16];
//! consumer.try_recv(&mut buf)?;             // error[E0382]: borrow of moved value
//! # Ok::<(), indexbus::Error>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_debug_implementations)]

mod consumer;
mod error;
mod producer;
mod region;
mod router;
mod rpc;
mod stream;
mod version;

pub use consumer::{Batch, BatchIter, Borrowed, Consumer};
pub use error::{Error, Result};
pub use producer::{BatchClaim, BatchClaimIterMut, Claim, CommitError, Producer, ProducerKind};
pub use region::{Config, ConsumerStats, Info, Kind, RecoverReport, Region};
pub use router::{
    ExitReason, Mode, RouteResult, Router, RouterStopper, RunConfig, RunExit, Source,
};
pub use rpc::{Reply, Request, RequestClaim, RpcClient, RpcServer, Token};
pub use stream::{StreamReader, StreamState, StreamWriter, WriteAllError};
pub use version::{check_version, library_version, library_version_string, BUILT_VERSION};

/// The raw FFI layer this crate is built on.
pub use indexbus_sys as sys;

// Positive Send/Sync checks, at compile time (the negative ones are the
// compile_fail doctests above and the static assertions in tests/).
const _: () = {
    const fn send<T: Send>() {}
    const fn send_sync<T: Send + Sync>() {}
    send::<Producer>();
    send::<Consumer>();
    send::<Router>();
    send::<Claim<'static>>();
    send::<BatchClaim<'static>>();
    send::<Borrowed<'static>>();
    send::<StreamWriter>();
    send::<StreamReader>();
    send::<RpcClient>();
    send::<RpcServer>();
    send::<Reply<'static>>();
    send::<Request<'static>>();
    send::<RequestClaim<'static>>();
    send_sync::<Region>();
    send_sync::<RouterStopper>();
    send_sync::<Error>();
};
