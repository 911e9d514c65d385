/* crash.c - trace points for the bridge's kill campaign:
 * INDEXBUS_BRIDGE_CRASH="POINT:N" raises SIGKILL the Nth time POINT is
 * reached (docs/BRIDGE.md lists the points). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

static const char *const point_names[] = {
    [BR_OUT_READ] = "out-read",         [BR_OUT_PUBLISHED] = "out-published",
    [BR_OUT_ACKED] = "out-acked",       [BR_IN_FETCHED] = "in-fetched",
    [BR_IN_COMMITTED] = "in-committed",
};
#define NPOINTS (sizeof point_names / sizeof point_names[0])

static int armed = -1;         /* the point armed, or -1 */
static unsigned long left = 0; /* times to go before the kill */

int br_crash_init(void)
{
    const char *env = getenv("INDEXBUS_BRIDGE_CRASH");
    if (env == NULL || *env == '\0')
        return BR_OK;
    const char *colon = strchr(env, ':');
    char *end = NULL;
    unsigned long n = colon ? strtoul(colon + 1, &end, 10) : 0;
    for (size_t i = 0; colon && i < NPOINTS; i++) {
        size_t len = strlen(point_names[i]);
        if ((size_t)(colon - env) == len && memcmp(env, point_names[i], len) == 0 && n > 0 &&
            end != colon + 1 && *end == '\0') {
            armed = (int)i;
            left = n;
            return BR_OK;
        }
    }
    fprintf(stderr, "indexbus-bridge: INDEXBUS_BRIDGE_CRASH='%s': want POINT:N with N >= 1 "
            "and POINT one of out-read, out-published, out-acked, in-fetched, in-committed\n",
            env);
    return BR_USAGE;
}

void br_crash_point(enum br_point p)
{
    if ((int)p != armed)
        return;
    if (--left == 0) {
        fflush(NULL);
        raise(SIGKILL);
    }
}
