/* info_durable.c - the "durable" paragraph of `indexbus info` for regions
 * created with --durable (layout 1.2): the region id, the mark of the last
 * marked message committed, the fanout queues kept for their holders, and
 * the bridge counters (in, and out per consumer when any is non-zero). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"

#define LABEL "  %-18s" /* as cmd_info.c */

/* The DURABLE section's control block, read from the region file: the
 * directory entry is checked against the file before it is followed (the
 * file is anyone's to scribble on). 0 on success. */
int cli_read_durable(const char *name, indexbus_durable_ctl *out)
{
    char path[4096];
    indexbus_region_header h;
    cli_raw_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    off_t size = lseek(fd, 0, SEEK_END);
    if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h) {
        for (uint32_t i = 0; i < h.section_count && i < INDEXBUS_MAX_SECTIONS; i++) {
            const indexbus_section_entry *e = &h.sections[i];
            if (e->kind != INDEXBUS_SECTION_DURABLE || e->length < sizeof *out ||
                size < (off_t)sizeof *out || e->offset > (uint64_t)size - sizeof *out)
                continue;
            if (pread(fd, out, sizeof *out, (off_t)e->offset) == (ssize_t)sizeof *out)
                rc = 0;
            break;
        }
    }
    close(fd);
    return rc;
}

static void print_line(const char *label, const indexbus_bridge_counters *c)
{
    printf(LABEL "forwarded %" PRIu64 ", acknowledged %" PRIu64 ", resent %" PRIu64
                 ", deduplicated %" PRIu64 ", refused %" PRIu64 "\n",
           label, c->forwarded, c->acknowledged, c->resent, c->deduplicated, c->refused);
}

static int print_counters(const char *name, const indexbus_region *r, uint32_t consumers)
{
    indexbus_bridge_counters c = {.size = sizeof c};
    int st = indexbus_bridge_counters_get(r, INDEXBUS_BRIDGE_IN, &c);
    if (st != INDEXBUS_OK)
        return cli_region_error(name, "bridge counters", st);
    print_line("bridge in", &c);
    for (uint32_t i = 0; i < consumers && i < INDEXBUS_BRIDGE_IN; i++) {
        if ((st = indexbus_bridge_counters_get(r, i, &c)) != INDEXBUS_OK)
            return cli_region_error(name, "bridge counters", st);
        if ((c.forwarded | c.acknowledged | c.resent | c.deduplicated | c.refused) == 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, "bridge out %" PRIu32, i);
        print_line(label, &c);
    }
    return CLI_OK;
}

/* Fanout: the queues recovery and close keep for the next holder. */
static void print_held(uint64_t mask, uint32_t consumers)
{
    const char *sep = "";
    printf(LABEL, "held queues");
    for (uint32_t i = 0; i < consumers && i < 64; i++) {
        if (mask & (1ull << i)) {
            printf("%s%" PRIu32, sep, i);
            sep = " ";
        }
    }
    printf("%s\n", *sep ? "" : "none");
}

int cli_print_durable(const char *name, const indexbus_region *r, const indexbus_info *in)
{
    uint8_t id[16];
    indexbus_durable_ctl d;
    int st = indexbus_region_id(r, id);
    if (st != INDEXBUS_OK)
        return cli_region_error(name, "region id", st);
    printf("\ndurable\n");
    printf(LABEL, "region id");
    for (int i = 0; i < 16; i++)
        printf("%02x", id[i]);
    printf("\n");
    if (cli_read_durable(name, &d) != 0) {
        printf(LABEL "(unreadable)\n", "mark");
    } else {
        /* snapshots of live words: statistics only */
        printf(LABEL "%" PRIu64, "mark", d.mark.mark);
        if (d.mark.pend_mark != 0)
            printf(" (publishing up to %" PRIu64 ")", d.mark.pend_mark);
        printf("\n");
        if (in->kind == INDEXBUS_KIND_FANOUT)
            print_held(d.hold_mask, in->consumer_count);
    }
    return print_counters(name, r, in->consumer_count);
}
