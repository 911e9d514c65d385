/*
 * trace.h - deterministic kill points for the repros: a child stops itself
 * (PTRACE_TRACEME + SIGSTOP) right before the library call of interest and
 * the parent single-steps it until an effect is visible in shared memory
 * (read through raw.h), then SIGKILLs it there or leaves it stopped.
 */
#ifndef IB_CRASH_TRACE_H
#define IB_CRASH_TRACE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: become traceable and stop until the parent steps us. */
static inline void trace_me_and_stop(void)
{
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
        perror("PTRACE_TRACEME");
        _exit(3);
    }
    raise(SIGSTOP);
}

/* In the parent: wait for the child's self-stop. 0 on success. */
static inline int trace_wait_stop(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) ? 0 : -1;
}

/* Single-step pid until cond(arg) holds; returns the number of steps, or
 * -1 if the child ran to its end (or max steps) first. */
static inline long trace_step_until(pid_t pid, int (*cond)(void *), void *arg, long max)
{
    for (long n = 0; n < max; n++) {
        if (cond(arg))
            return n;
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0)
            return -1;
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
            return -1;
    }
    return -1;
}

/* Kill a stopped (traced) child and reap it. */
static inline void trace_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Let a stopped (traced) child run on, untraced. */
static inline void trace_release(pid_t pid) { ptrace(PTRACE_DETACH, pid, NULL, NULL); }

#endif
