//! Checks the generated bindings against the C library they link to.
//!
//! bindgen's own layout checks (compile-time asserts in the generated file)
//! compare the Rust mirrors with what clang computed from the header; these
//! tests compare them with what the *compiled library* says
//! (`indexbus_struct_size`), and pin the frozen constants and offsets.

use indexbus_sys::*;
use std::ffi::CStr;
use std::mem::{offset_of, size_of};

#[test]
fn struct_sizes_match_the_library() {
    let cases: [(indexbus_struct, &str, usize); 10] = [
        (
            INDEXBUS_STRUCT_REGION_CONFIG,
            "indexbus_region_config",
            size_of::<indexbus_region_config>(),
        ),
        (
            INDEXBUS_STRUCT_OPEN_CONFIG,
            "indexbus_open_config",
            size_of::<indexbus_open_config>(),
        ),
        (
            INDEXBUS_STRUCT_INFO,
            "indexbus_info",
            size_of::<indexbus_info>(),
        ),
        (
            INDEXBUS_STRUCT_CONSUMER_STATS,
            "indexbus_consumer_stats",
            size_of::<indexbus_consumer_stats>(),
        ),
        (
            INDEXBUS_STRUCT_ROUTE_RESULT,
            "indexbus_route_result",
            size_of::<indexbus_route_result>(),
        ),
        (
            INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG,
            "indexbus_router_loop_config",
            size_of::<indexbus_router_loop_config>(),
        ),
        (
            INDEXBUS_STRUCT_PARTICIPANT_INFO,
            "indexbus_participant_info",
            size_of::<indexbus_participant_info>(),
        ),
        (
            INDEXBUS_STRUCT_RECOVER_REPORT,
            "indexbus_recover_report",
            size_of::<indexbus_recover_report>(),
        ),
        (
            INDEXBUS_STRUCT_CONSUMER_CONFIG,
            "indexbus_consumer_config",
            size_of::<indexbus_consumer_config>(),
        ),
        (
            INDEXBUS_STRUCT_BRIDGE_COUNTERS,
            "indexbus_bridge_counters",
            size_of::<indexbus_bridge_counters>(),
        ),
    ];
    for (which, name, rust_size) in cases {
        let c_size = unsafe { indexbus_struct_size(which) };
        assert_eq!(
            rust_size, c_size,
            "sizeof({name}) differs between Rust and libindexbus"
        );
    }
    assert_eq!(unsafe { indexbus_struct_size(0) }, 0);
    assert_eq!(unsafe { indexbus_struct_size(11) }, 0);
}

#[test]
fn public_struct_sizes_are_the_expected_abi() {
    // Literal values: a header change that resizes a struct must be deliberate.
    // 1.1 appended byte-log fields to the config and info structs; the 1.0
    // sizes are what a 1.0 caller passes, and the library still accepts them.
    assert_eq!(size_of::<indexbus_region_config>(), 48);
    assert_eq!(INDEXBUS_REGION_CONFIG_SIZE_1_0, 32);
    assert_eq!(offset_of!(indexbus_region_config, max_record), 32);
    assert_eq!(offset_of!(indexbus_region_config, byte_capacity), 40);
    assert_eq!(size_of::<indexbus_open_config>(), 16);
    assert_eq!(size_of::<indexbus_info>(), 224);
    assert_eq!(INDEXBUS_INFO_SIZE_1_0, 120);
    assert_eq!(offset_of!(indexbus_info, byte_capacity), 120);
    assert_eq!(offset_of!(indexbus_info, max_record), 128);
    assert_eq!(offset_of!(indexbus_info, bytes_used), 136);
    assert_eq!(offset_of!(indexbus_info, bytes_free), 144);
    assert_eq!(offset_of!(indexbus_info, bytes_padding), 152);
    assert_eq!(offset_of!(indexbus_info, records_waiting), 160);
    // 1.1 streams and request/response
    assert_eq!(offset_of!(indexbus_info, stream_flags), 168);
    assert_eq!(offset_of!(indexbus_info, stream_writers), 172);
    assert_eq!(offset_of!(indexbus_info, writers_aborted), 176);
    assert_eq!(offset_of!(indexbus_info, rpc_cells), 180);
    assert_eq!(offset_of!(indexbus_info, rpc_cells_free), 184);
    assert_eq!(offset_of!(indexbus_info, max_request), 188);
    assert_eq!(offset_of!(indexbus_info, max_reply), 192);
    assert_eq!(offset_of!(indexbus_info, stream_bytes_read), 200);
    assert_eq!(offset_of!(indexbus_info, rpc_replies_abandoned), 208);
    assert_eq!(offset_of!(indexbus_info, rpc_requests_failed), 216);
    assert_eq!(size_of::<indexbus_consumer_stats>(), 40);
    assert_eq!(size_of::<indexbus_route_result>(), 48);
    assert_eq!(size_of::<indexbus_router_loop_config>(), 40);
}

#[test]
fn status_codes_are_frozen() {
    let expected: [(indexbus_status, u32, &str); 20] = [
        (INDEXBUS_OK, 0, "INDEXBUS_OK"),
        (INDEXBUS_FULL, 1, "INDEXBUS_FULL"),
        (INDEXBUS_EMPTY, 2, "INDEXBUS_EMPTY"),
        (INDEXBUS_TOO_LARGE, 3, "INDEXBUS_TOO_LARGE"),
        (INDEXBUS_BUFFER_TOO_SMALL, 4, "INDEXBUS_BUFFER_TOO_SMALL"),
        (INDEXBUS_INCOMPATIBLE, 5, "INDEXBUS_INCOMPATIBLE"),
        (INDEXBUS_NOT_READY, 6, "INDEXBUS_NOT_READY"),
        (INDEXBUS_INVALID_ARGUMENT, 7, "INDEXBUS_INVALID_ARGUMENT"),
        (INDEXBUS_WRONG_KIND, 8, "INDEXBUS_WRONG_KIND"),
        (INDEXBUS_TIMEOUT, 9, "INDEXBUS_TIMEOUT"),
        (INDEXBUS_DISCONNECTED, 10, "INDEXBUS_DISCONNECTED"),
        (INDEXBUS_CORRUPT, 11, "INDEXBUS_CORRUPT"),
        (INDEXBUS_PERMISSION, 12, "INDEXBUS_PERMISSION"),
        (INDEXBUS_EXISTS, 13, "INDEXBUS_EXISTS"),
        (INDEXBUS_NOT_FOUND, 14, "INDEXBUS_NOT_FOUND"),
        (INDEXBUS_IO, 15, "INDEXBUS_IO"),
        (INDEXBUS_BUSY, 16, "INDEXBUS_BUSY"),
        (INDEXBUS_NO_MEMORY, 17, "INDEXBUS_NO_MEMORY"),
        (INDEXBUS_OUT_OF_RANGE, 18, "INDEXBUS_OUT_OF_RANGE"),
        (INDEXBUS_BAD_STATE, 19, "INDEXBUS_BAD_STATE"),
    ];
    assert_eq!(INDEXBUS_STATUS_COUNT as usize, expected.len());
    for (constant, value, name) in expected {
        assert_eq!(constant, value, "{name}");
        // and the library agrees on which code that name is
        let c_name = unsafe { CStr::from_ptr(indexbus_status_name(value as i32)) };
        assert_eq!(c_name.to_str().unwrap(), name);
        let text = unsafe { CStr::from_ptr(indexbus_strerror(value as i32)) };
        assert!(!text.to_bytes().is_empty());
    }
    for unknown in [-1, 20, 1000, i32::MIN, i32::MAX] {
        let text = unsafe { CStr::from_ptr(indexbus_strerror(unknown)) };
        assert_eq!(text.to_str().unwrap(), "unknown status");
        let name = unsafe { CStr::from_ptr(indexbus_status_name(unknown)) };
        assert_eq!(name.to_str().unwrap(), "INDEXBUS_UNKNOWN");
    }
}

#[test]
fn layout_constants_are_frozen() {
    assert_eq!(INDEXBUS_MAGIC, 0x5355_4249);
    assert_eq!(&INDEXBUS_MAGIC.to_le_bytes(), b"IBUS");
    assert_eq!(INDEXBUS_LAYOUT_MAJOR, 1);
    assert_eq!(INDEXBUS_LAYOUT_MINOR, 3);
    assert_eq!(INDEXBUS_READY_VALUE, 1);
    assert_eq!(INDEXBUS_HEADER_BYTES, 1024);
    assert_eq!(INDEXBUS_CACHE_LINE, 64);
    assert_eq!(INDEXBUS_PAGE, 4096);
    assert_eq!(INDEXBUS_MAX_SECTIONS, 16);
    assert_eq!(INDEXBUS_KIND_EVENTS, 1);
    assert_eq!(INDEXBUS_KIND_FANOUT, 2);
    assert_eq!(INDEXBUS_KIND_LOG, 3);
    assert_eq!(INDEXBUS_KIND_STREAM, 4);
    assert_eq!(INDEXBUS_KIND_RPC, 5);
    assert_eq!(INDEXBUS_MAX_CONSUMERS, 64);
    assert_eq!(INDEXBUS_MAX_PARTICIPANTS, 256);
    assert_eq!(INDEXBUS_SLOT_HEADER_BYTES, 16);
    assert_eq!(INDEXBUS_SLOT_NIL, u32::MAX);
    assert_eq!(INDEXBUS_SLOT_PARKED, u32::MAX);
    assert_eq!(INDEXBUS_SLOT_PARKED_CONSUMER_BASE, 0xffff_ff00);
    assert_eq!(INDEXBUS_SLOT_PARKED_MPSC, 0xffff_fffe);
    assert_eq!(INDEXBUS_CAP_INCOMPAT_MASK, 0xffff_ffff_0000_0000_u64);
    assert_eq!(INDEXBUS_CAP_SPSC_RECYCLE, 1_u64 << 32);
    assert_eq!(INDEXBUS_CAP_BYTE_LOG, 1_u64 << 33);
    assert_eq!(INDEXBUS_CAP_BYTE_STREAM, 1_u64 << 34);
    assert_eq!(INDEXBUS_CAP_RPC_CELLS, 1_u64 << 35);
    assert_eq!(INDEXBUS_CAP_DURABLE_STATE, 1_u64 << 36);
    assert_eq!(INDEXBUS_CAP_FANOUT_RECYCLE, 1_u64 << 37);
    assert_eq!(INDEXBUS_CAP_MPSC_BATCH, 1_u64 << 38);
    assert_eq!(INDEXBUS_CAP_MPSC_RECYCLE, 1_u64 << 39);
    assert_eq!(
        INDEXBUS_CAP_KNOWN_INCOMPAT,
        INDEXBUS_CAP_SPSC_RECYCLE
            | INDEXBUS_CAP_BYTE_LOG
            | INDEXBUS_CAP_BYTE_STREAM
            | INDEXBUS_CAP_RPC_CELLS
            | INDEXBUS_CAP_DURABLE_STATE
            | INDEXBUS_CAP_FANOUT_RECYCLE
            | INDEXBUS_CAP_MPSC_BATCH
            | INDEXBUS_CAP_MPSC_RECYCLE
    );
    assert_eq!(INDEXBUS_CAP_STREAM, 1_u64 << 7);
    assert_eq!(INDEXBUS_CAP_RPC, 1_u64 << 8);
    assert_eq!(INDEXBUS_SECTION_STREAM_CTL, 10);
    assert_eq!(INDEXBUS_SECTION_RPC_CTL, 11);
    assert_eq!(INDEXBUS_SECTION_RPC_CELLS, 12);
    assert_eq!(INDEXBUS_ROLE_RPC_CLIENT, 5);
    assert_eq!(INDEXBUS_ROLE_RPC_SERVER, 6);
    assert_eq!(INDEXBUS_STREAM_SEATS, 48);
    assert_eq!(
        [INDEXBUS_STREAM_ENDED, INDEXBUS_STREAM_READER_GONE, INDEXBUS_STREAM_ABORTED],
        [1, 2, 4]
    );
    assert_eq!(INDEXBUS_STREAM_ST_ENDED, 1_u64 << 48);
    assert_eq!(INDEXBUS_STREAM_ST_READER_GONE, 1_u64 << 49);
    assert_eq!(INDEXBUS_STREAM_ST_ABORTED, 1_u64 << 50);
    assert_eq!(INDEXBUS_STREAM_ST_ABORTS_SHIFT, 52);
    assert_eq!(INDEXBUS_RPC_MAX_CELLS, 4096);
    assert_eq!(INDEXBUS_RPC_DEFAULT_CELLS, 64);
    assert_eq!(INDEXBUS_RPC_DEFAULT_MAX_MESSAGE, 4096);
    assert_eq!(INDEXBUS_RPC_MIN_MESSAGE, 8);
    assert_eq!(INDEXBUS_RPC_MAX_MESSAGE, 1 << 24);
    assert_eq!(
        [
            INDEXBUS_RPC_FREE,
            INDEXBUS_RPC_OWNED,
            INDEXBUS_RPC_REQUESTED,
            INDEXBUS_RPC_SERVING,
            INDEXBUS_RPC_REPLIED,
            INDEXBUS_RPC_FAILED,
            INDEXBUS_RPC_ABANDONED
        ],
        [0, 1, 2, 3, 4, 5, 6]
    );
    assert_eq!(INDEXBUS_CAP_LOG, 1_u64 << 6);
    assert_eq!(INDEXBUS_CAP_EVENTS, 1_u64);
    assert_eq!(INDEXBUS_CAP_PARTICIPANTS, 1_u64 << 5);
    assert_eq!(INDEXBUS_PRODUCER_SPSC, 1);
    assert_eq!(INDEXBUS_PRODUCER_MPSC, 2);
    assert_eq!(INDEXBUS_SOURCE_ANY, 3);
    assert_eq!(INDEXBUS_MODE_BROADCAST, 1);
    assert_eq!(INDEXBUS_MODE_WORK_QUEUE, 2);
    assert_eq!(INDEXBUS_ROUTER_EXIT_ON_DISCONNECT, 1);
    assert_eq!(INDEXBUS_CREATE_PREFAULT, 1);
    assert_eq!(INDEXBUS_CREATE_DURABLE, 2);
    assert_eq!(INDEXBUS_CREATE_RECYCLE, 4);
    assert_eq!(INDEXBUS_CREATE_MPSC_BATCH, 8);
    assert_eq!(INDEXBUS_LOG_MIN_BYTES, 4096);
    assert_eq!(INDEXBUS_LOG_MAX_BYTES, 1 << 30);
    assert_eq!(INDEXBUS_LOG_DEFAULT_BYTES, 1 << 20);
    assert_eq!(INDEXBUS_LOG_DEFAULT_MAX_RECORD, 65536);
    assert_eq!(INDEXBUS_SECTION_LOG_RING, 9);
    assert_eq!(INDEXBUS_LOG_HEADER_BYTES, 8);
    assert_eq!(
        [INDEXBUS_LOG_EMPTY, INDEXBUS_LOG_RECORD, INDEXBUS_LOG_PAD, INDEXBUS_LOG_CLAIMED],
        [0, 1, 2, 3]
    );
    let layout = unsafe { indexbus_layout_version() };
    assert_eq!(
        layout,
        (INDEXBUS_LAYOUT_MAJOR << 16) | INDEXBUS_LAYOUT_MINOR
    );
    assert_eq!(layout, 0x0001_0003);
}

#[test]
fn region_header_layout_is_frozen() {
    type H = indexbus_region_header;
    assert_eq!(size_of::<H>(), INDEXBUS_HEADER_BYTES as usize);
    assert_eq!(offset_of!(H, magic), 0);
    assert_eq!(offset_of!(H, layout_major), 4);
    assert_eq!(offset_of!(H, layout_minor), 6);
    assert_eq!(offset_of!(H, header_bytes), 8);
    assert_eq!(offset_of!(H, region_kind), 12);
    assert_eq!(offset_of!(H, capabilities), 16);
    assert_eq!(offset_of!(H, total_bytes), 24);
    assert_eq!(offset_of!(H, slot_count), 32);
    assert_eq!(offset_of!(H, slot_data_size), 36);
    assert_eq!(offset_of!(H, slot_stride), 40);
    assert_eq!(offset_of!(H, queue_capacity), 44);
    assert_eq!(offset_of!(H, consumer_count), 48);
    assert_eq!(offset_of!(H, section_count), 52);
    assert_eq!(offset_of!(H, creator_pid), 56);
    assert_eq!(offset_of!(H, creation_time_ns), 64);
    assert_eq!(offset_of!(H, ready), 72);
    assert_eq!(offset_of!(H, log_bytes), 80);
    assert_eq!(offset_of!(H, log_max_record), 88);
    assert_eq!(offset_of!(H, sections), 128);
    assert_eq!(size_of::<indexbus_section_entry>(), 32);
    assert_eq!(size_of::<indexbus_participants_ctl>(), 64);
    assert_eq!(size_of::<indexbus_participant>(), 64);
    assert_eq!(offset_of!(indexbus_participant, log_reserve), 48);
    assert_eq!(offset_of!(indexbus_participant, log_size), 56);
    assert_eq!(size_of::<indexbus_participants_section>(), 320 + 64 * 256);
    assert_eq!(size_of::<indexbus_counters_global>(), 192);
    assert_eq!(size_of::<indexbus_counters_consumer>(), 64);
    assert_eq!(size_of::<indexbus_wake_entry>(), 64);
    assert_eq!(size_of::<indexbus_router_section>(), 64);
    assert_eq!(size_of::<indexbus_spsc_ctl>(), 128);
    assert_eq!(size_of::<indexbus_mpsc_ctl>(), 128);
    assert_eq!(size_of::<indexbus_mpsc_cell>(), 16);
    assert_eq!(size_of::<indexbus_pool_ctl>(), 64);
    assert_eq!(
        size_of::<indexbus_slot_header>(),
        INDEXBUS_SLOT_HEADER_BYTES as usize
    );
    assert_eq!(size_of::<indexbus_log_ctl>(), 256);
    assert_eq!(size_of::<indexbus_stream_ctl>(), 320);
    assert_eq!(offset_of!(indexbus_stream_ctl, seat_owner), 64);
    assert_eq!(offset_of!(indexbus_stream_ctl, read_skip), 256);
    assert_eq!(offset_of!(indexbus_stream_ctl, bytes_read), 264);
    assert_eq!(size_of::<indexbus_rpc_ctl>(), 640);
    assert_eq!(size_of::<indexbus_rpc_cell>(), 128);
    assert_eq!(offset_of!(indexbus_rpc_cell, request_len), 8);
    assert_eq!(offset_of!(indexbus_rpc_cell, reply_len), 12);
    assert_eq!(offset_of!(indexbus_rpc_cell, wake), 64);
    assert_eq!(offset_of!(indexbus_log_ctl, tail), 0);
    assert_eq!(offset_of!(indexbus_log_ctl, head), 64);
    assert_eq!(offset_of!(indexbus_log_ctl, read), 128);
    assert_eq!(
        size_of::<indexbus_log_header>(),
        INDEXBUS_LOG_HEADER_BYTES as usize
    );
    assert_eq!(offset_of!(indexbus_log_header, type_), 4);
}

#[test]
fn versions_agree_with_the_header() {
    let v = unsafe { indexbus_version() };
    assert_eq!(
        INDEXBUS_VERSION_NUMBER,
        INDEXBUS_VERSION_MAJOR * 10000 + INDEXBUS_VERSION_MINOR * 100 + INDEXBUS_VERSION_PATCH
    );
    // statically linked from the same tree: exactly the header's version
    assert_eq!(v, INDEXBUS_VERSION_NUMBER);
    let s = unsafe { CStr::from_ptr(indexbus_version_string()) };
    assert_eq!(s.to_bytes_with_nul(), INDEXBUS_VERSION_STRING);
}

#[test]
fn config_init_fills_defaults() {
    // Events and fanout: the 1.0 struct only (a 1.0 caller's 32 bytes), so
    // the 1.1 fields are left as they were.
    let mut cfg = indexbus_region_config {
        max_record: 77,
        byte_capacity: 99,
        ..Default::default()
    };
    let st = unsafe { indexbus_region_config_init(&mut cfg, INDEXBUS_KIND_FANOUT) };
    assert_eq!(st, INDEXBUS_OK as i32);
    assert_eq!(cfg.size, INDEXBUS_REGION_CONFIG_SIZE_1_0);
    assert_eq!(cfg.consumer_count, INDEXBUS_DEFAULT_FANOUT_CONSUMERS);
    assert_eq!(cfg.slot_count, INDEXBUS_DEFAULT_SLOTS);
    assert_eq!((cfg.max_record, cfg.byte_capacity), (77, 99));
    // Byte logs: the whole struct.
    let st = unsafe { indexbus_region_config_init(&mut cfg, INDEXBUS_KIND_LOG) };
    assert_eq!(st, INDEXBUS_OK as i32);
    assert_eq!(cfg.size as usize, size_of::<indexbus_region_config>());
    assert_eq!(cfg.kind, INDEXBUS_KIND_LOG);
    assert_eq!(cfg.consumer_count, 1);
    assert_eq!((cfg.slot_count, cfg.slot_data_size, cfg.queue_capacity), (0, 0, 0));
    assert_eq!(cfg.byte_capacity, u64::from(INDEXBUS_LOG_DEFAULT_BYTES));
    assert_eq!(cfg.max_record, 0);
    let st = unsafe { indexbus_region_config_init(&mut cfg, 9) };
    assert_eq!(st, INDEXBUS_INVALID_ARGUMENT as i32);
}
