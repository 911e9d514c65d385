/* scan.c - the regions in a directory (gc and list): every regular file
 * that starts with the IndexBus magic; other files are counted as skipped
 * and never touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define SHM_DIR "/dev/shm"

/* A regular file (not followed through a link) starting with the magic. */
static int has_magic(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    uint8_t b[4];
    int yes = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pread(fd, b, sizeof b, 0) == 4 &&
              ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
               (uint32_t)b[3] << 24) == INDEXBUS_MAGIC;
    close(fd);
    return yes;
}

int cli_scan_dir(const char *dir_arg, char *dir, size_t cap, int *shm)
{
    const char *d = dir_arg != NULL ? dir_arg : SHM_DIR;
    size_t n = strlen(d);
    *shm = dir_arg == NULL;
    if (n >= cap) {
        cli_error("%s: %s", d, strerror(ENAMETOOLONG));
        return CLI_ERROR;
    }
    memcpy(dir, d, n + 1);
    while (n > 1 && dir[n - 1] == '/') /* "DIR/" lists as "DIR/NAME" */
        dir[--n] = '\0';
    return CLI_OK;
}

int cli_scan_regions(const char *dir, int shm, cli_scan_fn fn, void *ctx, cli_scan_tally *t)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        cli_error("%s: %s", dir, strerror(errno));
        return CLI_ERROR;
    }
    for (int i = 0; i < n; i++) {
        const char *f = list[i]->d_name;
        char path[4096], name[sizeof path + 2];
        if (strcmp(f, ".") == 0 || strcmp(f, "..") == 0) {
            free(list[i]);
            continue;
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, f) < sizeof path &&
            has_magic(path)) {
            /* names in /dev/shm are POSIX shm names, others file paths */
            snprintf(name, sizeof name, "%s%s", shm ? "/" : "", shm ? f : path);
            t->found++;
            fn(ctx, name);
        } else {
            t->skipped++;
        }
        free(list[i]);
    }
    free(list);
    return CLI_OK;
}
