/* harness.c - see harness.h. */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int ib_test_failures;

static const ib_helper *helper_table;
static const char *prog = "test";

/* ---- the shared arena ------------------------------------------------------
 * One memfd, mapped MAP_SHARED; a helper inherits the descriptor across exec
 * and maps it at the parent's address. Its first bytes hold the allocation
 * offset, so any process can allocate. Pages are only used once touched. */

#define ARENA_SIZE ((size_t)64 << 20)
#define ARENA_HDR 4096u
#define ARENA_ADDR 0x590000000000ull /* see arena_create */

static int arena_fd = -1;
static uint8_t *arena;

static void arena_create(void)
{
    arena_fd = memfd_create("ib-test-shared", 0); /* no CLOEXEC: helpers inherit it */
    REQUIRE(arena_fd >= 0);
    REQUIRE(ftruncate(arena_fd, (off_t)ARENA_SIZE) == 0);
    /* A helper maps the arena at this same address after its exec, with its
     * own randomized layout: an address the loader or the first mmaps of a
     * fresh process may have taken (the kernel's choice for us, near the
     * other mappings) now and then was taken there. So ask for one far from
     * where Linux places anything (brk, PIE, mmap base, stacks), and inside
     * the application ranges of both ASan and TSan; the kernel's choice is
     * the fallback. */
    void *p = MAP_FAILED;
#ifndef __SANITIZE_THREAD__ /* TSan runs with ASLR off (check-tsan), and owns the layout */
    p = mmap((void *)ARENA_ADDR, ARENA_SIZE, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, arena_fd, 0);
#endif
    if (p == MAP_FAILED || p != (void *)ARENA_ADDR) {
        if (p != MAP_FAILED)
            munmap(p, ARENA_SIZE);
        p = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, arena_fd, 0);
    }
    REQUIRE(p != MAP_FAILED);
    arena = p;
    *(uint64_t *)arena = ARENA_HDR;
}

static void arena_attach(int fd, uintptr_t addr)
{
    void *want = (void *)addr;
    void *p = mmap(want, ARENA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, fd, 0);
    if (p != want) {
        fprintf(stderr, "helper: cannot map the shared arena at %p: %s\n", want,
                p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        exit(1);
    }
    arena_fd = fd;
    arena = p;
}

void *ib_shared(size_t len)
{
    REQUIRE(arena != NULL); /* ib_test_init not called */
    uint64_t need = (len + 4095u) & ~(uint64_t)4095u;
    uint64_t off = __atomic_fetch_add((uint64_t *)arena, need, __ATOMIC_SEQ_CST);
    REQUIRE(off + need <= ARENA_SIZE);
    return arena + off;
}

/* ---- IB_SHARED globals: the linker bounds the section they share --------- */

IB_SHARED static uint32_t shared_state_marker; /* the section always exists */
extern char __start_ib_shared_state[], __stop_ib_shared_state[];

static char *state_hex(void)
{
    size_t n = (size_t)(__stop_ib_shared_state - __start_ib_shared_state);
    char *s = malloc(2 * n + 1);
    REQUIRE(s != NULL);
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", (unsigned char)__start_ib_shared_state[i]);
    s[2 * n] = 0;
    return s;
}

static void state_load(const char *hex)
{
    size_t n = (size_t)(__stop_ib_shared_state - __start_ib_shared_state);
    REQUIRE(strlen(hex) == 2 * n); /* the same program */
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        REQUIRE(sscanf(hex + 2 * i, "%2x", &v) == 1);
        __start_ib_shared_state[i] = (char)v;
    }
}

/* ---- helpers -------------------------------------------------------------- */

const char *ib_helper_name(ib_fn fn)
{
    for (const ib_helper *h = helper_table; h != NULL && h->name != NULL; h++)
        if (h->fn == fn)
            return h->name;
    return NULL;
}

ib_fn ib_helper_fn(const char *name)
{
    for (const ib_helper *h = helper_table; h != NULL && h->name != NULL; h++)
        if (strcmp(h->name, name) == 0)
            return h->fn;
    return NULL;
}

/* argv of a helper: prog --ib-helper NAME ARG STATE ARENA_FD ARENA_ADDR */
void ib_test_init(int argc, char **argv, const ib_helper *helpers)
{
    (void)shared_state_marker;
    helper_table = helpers;
    if (argc > 0)
        prog = argv[0];
    if (argc < 2 || strcmp(argv[1], "--ib-helper") != 0) {
        arena_create();
        return;
    }
    REQUIRE(argc == 7);
    arena_attach(atoi(argv[5]), (uintptr_t)strtoull(argv[6], NULL, 16));
    state_load(argv[4]);
    ib_fn fn = ib_helper_fn(argv[2]);
    if (fn == NULL) {
        fprintf(stderr, "helper %s: not in this program's helper table\n", argv[2]);
        exit(1);
    }
    int rc = ((ib_child_fn)fn)(atoi(argv[3]));
    fflush(NULL);
    _exit(rc != 0 ? rc : ib_test_failures != 0); /* no exit handlers, as when forked */
}

pid_t ib_spawn(ib_child_fn fn, int arg)
{
    const char *name = ib_helper_name((ib_fn)fn);
    if (name == NULL) {
        fprintf(stderr, "ib_spawn: function %p is not in this program's helper table\n",
                (void *)(uintptr_t)fn);
        exit(1);
    }
    REQUIRE(arena != NULL);
    /* everything the child needs is built before fork: it only calls execv */
    char sarg[16], sfd[16], saddr[32];
    snprintf(sarg, sizeof sarg, "%d", arg);
    snprintf(sfd, sizeof sfd, "%d", arena_fd);
    snprintf(saddr, sizeof saddr, "%" PRIxPTR, (uintptr_t)arena);
    char *state = state_hex();
    char *argv[] = {(char *)prog, "--ib-helper", (char *)name, sarg, state, sfd, saddr, NULL};
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        execv("/proc/self/exe", argv);
        fprintf(stderr, "ib_spawn: exec /proc/self/exe: %s\n", strerror(errno));
        _exit(127);
    }
    free(state);
    return pid;
}

int ib_join(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "child %d killed by signal %d\n", (int)pid, WTERMSIG(status));
    else
        fprintf(stderr, "child %d exited %d\n", (int)pid, WEXITSTATUS(status));
    return 1;
}

int ib_kill(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid)
        return 0;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* ---- regions -------------------------------------------------------------- */

const char *ib_test_name(const char *tag)
{
    static char (*names)[64];
    static int next;
    if (names == NULL)
        names = ib_shared(sizeof(char[8][64]));
    char *n = names[next++ % 8];
    snprintf(n, sizeof(names[0]), "/ibt-%s-%d", tag, (int)getpid());
    indexbus_region_unlink(n);
    return n;
}

indexbus_region *ib_test_create(const char *name, uint32_t kind, uint32_t slots,
                                uint32_t data_size, uint32_t consumers)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (slots)
        cfg.slot_count = cfg.queue_capacity = slots;
    if (data_size)
        cfg.slot_data_size = data_size;
    if (consumers)
        cfg.consumer_count = consumers;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", name, indexbus_strerror(st));
        exit(1);
    }
    return r;
}

int ib_test_done(const char *test)
{
    if (ib_test_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", test, ib_test_failures);
        return 1;
    }
    return 0;
}
