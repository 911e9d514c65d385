/*
 * snapshot.h - one look at a region, shared by the observers (info --json,
 * list, top, stat): the region's info, every consumer's counters, the
 * participant table and, for a durable region, its durable state. Taken
 * through the library's read calls on a region opened as an observer
 * (read-only where the library offers it); nothing is written.
 */
#ifndef INDEXBUS_CLI_SNAPSHOT_H
#define INDEXBUS_CLI_SNAPSHOT_H

#include "cli.h"
#include "json.h"

typedef struct cli_participant {
    uint32_t slot, role, index, pid, alive;
    uint64_t attach_time_ns; /* CLOCK_REALTIME */
} cli_participant;

typedef struct cli_snapshot {
    const char *name;
    indexbus_info info;
    uint64_t taken_ns;      /* CLOCK_MONOTONIC, for rates */
    uint64_t taken_real_ns; /* CLOCK_REALTIME */
    uint32_t nconsumers;    /* consumer rows (0 for streams and rpc regions) */
    indexbus_consumer_stats consumers[INDEXBUS_MAX_CONSUMERS];
    uint32_t nparts, alive, dead;
    cli_participant parts[INDEXBUS_MAX_PARTICIPANTS];
    /* The newest of creation and the attach times in the table: the layout
     * keeps no per-message time, and tmpfs keeps no mtime for writes made
     * through a mapping. */
    uint64_t last_activity_ns;
    int read_only; /* opened without write access (the library's flag) */
    /* durable regions (layout 1.2) */
    int durable;
    uint8_t region_id[16];
    int have_ctl; /* ctl read from the region file and checked */
    indexbus_durable_ctl ctl;
    indexbus_bridge_counters bridge_in;
    indexbus_bridge_counters bridge_out[INDEXBUS_MAX_CONSUMERS];
} cli_snapshot;

/* Open `name` to look at it: read-only when the library has the flag.
 * Returns a library status (nothing is printed). */
int cli_observe(const char *name, indexbus_region **out);
/* As cli_observe, but a failure is explained (cli_open_error): CLI_OK or
 * CLI_ERROR. */
int cli_open_observer(const char *name, indexbus_region **out);

/* Fill *s from r (s->name = name). Returns a library status. */
int cli_snapshot_take(const char *name, indexbus_region *r, cli_snapshot *s);
/* Open (waiting at most 100 ms for a region still being made: NOT_READY),
 * snapshot, close. A library status. */
int cli_snapshot_name(const char *name, cli_snapshot *s);

/* "spsc-producer", "stream-writer", ...; unknown roles as "role-N" in buf. */
const char *cli_role_name(uint32_t kind, uint32_t role, char *buf, size_t cap);
/* Capability bit's name, NULL if unknown. */
const char *cli_capability_name(unsigned bit);
/* Stream flags as names into buf ("open", "ENDED READER_GONE", ...). */
const char *cli_stream_state(uint32_t flags, char *buf, size_t cap);
/* The DURABLE section's control block read from the region file, checked
 * (info_durable.c). 0 on success. */
int cli_read_durable(const char *name, indexbus_durable_ctl *out);

/* The region's members (everything after "version") into the current
 * object: the shape docs/CLI.md calls "region". */
void cli_snapshot_json(cli_json *j, const cli_snapshot *s);

#endif /* INDEXBUS_CLI_SNAPSHOT_H */
