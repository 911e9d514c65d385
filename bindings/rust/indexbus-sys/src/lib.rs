//! Raw FFI bindings to libindexbus.
//!
//! Generated at build time by bindgen from the public header
//! `abi/include/indexbus/indexbus.h` (which includes `layout.h`); only
//! `indexbus_*` functions and types and `INDEXBUS_*` constants are kept.
//! Everything here is `unsafe` and mirrors the C contract exactly; use the
//! `indexbus` crate for a safe API.
//!
//! C enums (`enum indexbus_status`) are generated as integer constants, not
//! Rust enums, so an unknown value from a newer library is just a number.
//! Functions return `c_int`; compare with `INDEXBUS_OK as c_int` etc.
//!
//! See the build script for where the header and the library are found and
//! how linking works (static `libindexbus.a` by default).
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
