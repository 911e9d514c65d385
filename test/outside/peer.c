/* peer.c - the outside-the-tree C program: built from an installed IndexBus
 * only (pkg-config or CMake), it exchanges messages with the C CLI in
 * another process on a region the CLI created.
 *   peer pub NAME MSG...   publish each MSG (SPSC producer)
 *   peer sub NAME COUNT    receive COUNT messages (5 s each), one per line */
#include <indexbus/indexbus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int st)
{
    fprintf(stderr, "peer: %s: %s\n", what, indexbus_strerror(st));
    return 1;
}

static int pub(indexbus_region *r, int n, char **msgs)
{
    indexbus_producer *p;
    int st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p);
    if (st != INDEXBUS_OK)
        return fail("producer_open", st);
    for (int i = 0; i < n && st == INDEXBUS_OK; i++)
        st = indexbus_publish(p, msgs[i], strlen(msgs[i]));
    indexbus_producer_close(p);
    return st == INDEXBUS_OK ? 0 : fail("publish", st);
}

static int sub(indexbus_region *r, long count)
{
    indexbus_consumer *c;
    char buf[4096];
    size_t len;
    int st = indexbus_consumer_open(r, 0, &c);
    if (st != INDEXBUS_OK)
        return fail("consumer_open", st);
    for (long i = 0; i < count && st == INDEXBUS_OK; i++)
        if ((st = indexbus_recv(c, buf, sizeof buf, &len, 5000000000ull)) == INDEXBUS_OK)
            printf("%.*s\n", (int)len, buf);
    indexbus_consumer_close(c);
    return st == INDEXBUS_OK ? 0 : fail("recv", st);
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "pub") != 0 && strcmp(argv[1], "sub") != 0)) {
        fprintf(stderr, "usage: peer pub NAME MSG... | peer sub NAME COUNT\n");
        return 2;
    }
    indexbus_region *r;
    int st = indexbus_region_open(argv[2], NULL, &r);
    if (st != INDEXBUS_OK)
        return fail("region_open", st);
    int rc = argv[1][0] == 'p' ? pub(r, argc - 3, argv + 3) : sub(r, strtol(argv[3], NULL, 10));
    indexbus_region_close(r);
    return rc;
}
