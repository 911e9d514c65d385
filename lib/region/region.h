/*
 * region.h - the process-local region handle, and the functions that make
 * and check its geometry.
 */
#ifndef IB_REGION_H
#define IB_REGION_H

#include "../common/view.h"

struct indexbus_region {
    ib_view v;
    size_t map_len;
    int fd;        /* holds this process's liveness locks (one OFD) */
    int probe_fd;  /* a second OFD: sees our own locks as conflicts; -1 until needed */
    uint32_t refs; /* user ref + one per open handle; atomic */
    /* INDEXBUS_OPEN_READ_ONLY: fd is O_RDONLY, the mapping PROT_READ; every
     * path that would write refuses with PERMISSION (ib_handle_attach,
     * ib_recover, bridge_counters_add). Set at open, never changed. */
    uint32_t read_only;
    uint64_t mine[INDEXBUS_MAX_PARTICIPANTS / 64]; /* atomic: entries this process locked */
    char name[256];
    /* The header as written (create) or validated (open): info reports this
     * copy, never the shared header, which anyone may rewrite (LAYOUT.md 7). */
    indexbus_region_header hdr;
};

/* geometry.c */
int ib_geometry_compute(uint32_t kind, uint32_t slot_count, uint32_t slot_data_size,
                        uint32_t queue_capacity, uint32_t consumer_count, ib_geometry *g);
int ib_geometry_compute_log(uint32_t kind, uint64_t log_bytes, uint32_t max_record,
                            ib_geometry *g);
int ib_geometry_compute_rpc(uint32_t cells, uint32_t max_request, uint32_t max_reply,
                            ib_geometry *g);
uint64_t ib_kind_incompat_bit(uint32_t kind);
uint16_t ib_layout_minor_for(const ib_geometry *g);
/* Append the DURABLE section (1.2) to a computed geometry. */
int ib_geometry_add_durable(ib_geometry *g);
/* region.c */
uint32_t ib_log_default_max_record(uint64_t log_bytes);
int ib_header_validate(const indexbus_region_header *h, uint64_t file_size, ib_geometry *g);
void ib_view_init(ib_view *v, uint8_t *base, const ib_geometry *g);

/* region.c: one reference per open handle, and the user's */
void ib_region_ref(indexbus_region *r);
void ib_region_unref(indexbus_region *r);

#endif /* IB_REGION_H */
