/* bridge.c - `indexbus bridge ARGS`: runs the separate indexbus-bridge
 * program (it links libnats; the CLI and libindexbus do not), found next
 * to this binary, else on PATH. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define BRIDGE_PROG "indexbus-bridge"

/* "<dir of /proc/self/exe>/indexbus-bridge" in buf, if that is executable. */
static int beside_us(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return 0;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL || (size_t)(slash + 1 - buf) + sizeof BRIDGE_PROG > cap)
        return 0;
    memcpy(slash + 1, BRIDGE_PROG, sizeof BRIDGE_PROG);
    return access(buf, X_OK) == 0;
}

int cmd_bridge(int argc, char **argv)
{
    char path[PATH_MAX];
    char *args[argc + 2];
    args[0] = BRIDGE_PROG;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    args[argc + 1] = NULL;
    if (beside_us(path, sizeof path))
        execv(path, args);
    else
        execvp(BRIDGE_PROG, args);
    int err = errno;
    cli_error("bridge: cannot run %s: %s (it is built when libnats is installed: "
              "libnats-dev; see docs/BRIDGE.md)", BRIDGE_PROG, strerror(err));
    return CLI_ERROR;
}
