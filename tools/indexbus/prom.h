/* prom.h - snapshots in the Prometheus text format (prom.c), served by
 * `indexbus stat --prometheus` (cmd_stat.c). */
#ifndef INDEXBUS_CLI_PROM_H
#define INDEXBUS_CLI_PROM_H

#include <stdio.h>

#include "snapshot.h"

typedef struct prom_region {
    const char *name;
    int status; /* of the snapshot: not OK gives indexbus_up 0 and no other sample */
    cli_snapshot *s;
} prom_region;

void cli_prom_write(FILE *out, const prom_region *rs, int n);

#endif /* INDEXBUS_CLI_PROM_H */
