/* workload syscall, forkexec and idle: what the kernel and the isolation
 * add around the work (workload.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* ---- syscall: the price of entering the kernel ----------------------------
 * getpid is the cheapest system call (no work inside): its cost is the entry
 * and exit path, which seccomp filters (containers) and, for some exits,
 * the hypervisor (VMs) make longer. The pipe loop adds a little real kernel
 * work (write 1 byte, read it back). One round = 100k operations. */
#define SYSCALL_BATCH 100000
static int pipe_fds[2];

static void getpid_round(void* arg) {
    (void)arg;
    for (int i = 0; i < SYSCALL_BATCH; i++) syscall(SYS_getpid);
}

static void pipe_round(void* arg) {
    (void)arg;
    char byte = 'x';
    for (int i = 0; i < SYSCALL_BATCH; i++) {
        if (write(pipe_fds[1], &byte, 1) != 1)
            fail("syscall: pipe write");
        if (read(pipe_fds[0], &byte, 1) != 1)
            fail("syscall: pipe read");
    }
}

int run_syscall(const struct options* o) {
    if (pipe(pipe_fds) != 0)
        fail("syscall: pipe");
    double getpid_s, pipe_s;
    long getpid_rounds = repeat(o, getpid_round, NULL, &getpid_s);
    long pipe_rounds = repeat(o, pipe_round, NULL, &pipe_s);
    printf("{\"workload\":\"syscall\",\"getpid_ns\":%.1f,\"pipe_rw_ns\":%.1f,\"calls\":%ld}\n",
           getpid_s * 1e9 / ((double)getpid_rounds * SYSCALL_BATCH),
           pipe_s * 1e9 / ((double)pipe_rounds * SYSCALL_BATCH),
           (getpid_rounds + 2 * pipe_rounds) * SYSCALL_BATCH);
    return 0;
}

/* ---- forkexec: process creation ----------------------------------------------
 * fork + execve of this same static binary ("nop") + waitpid: page-table
 * copies, an exec and an exit, the shape of a shell script or a build.
 * VMs pay for page-table updates (nested paging keeps them mostly cheap);
 * containers pay for their cgroup accounting. One round = one process. */
static int run_child(int do_exec) {
    pid_t pid = fork();
    if (pid < 0)
        fail("forkexec: fork");
    if (pid == 0) {
        if (do_exec) {
            char* argv[] = {"workload", "nop", NULL};
            char* envp[] = {NULL};
            execve(self_path, argv, envp);
        }
        _exit(do_exec ? 127 : 0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("forkexec: waitpid");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int forkexec_ok = 1;
static void fork_round(void* arg) {
    forkexec_ok &= run_child(arg != NULL);
}

int run_forkexec(const struct options* o) {
    double fork_s, exec_s;
    long forks = repeat(o, fork_round, NULL, &fork_s);
    long execs = repeat(o, fork_round, (void*)1, &exec_s);
    if (!forkexec_ok) {
        fprintf(stderr, "workload: forkexec: a child failed (cannot exec %s?)\n", self_path);
        return 1;
    }
    printf(
        "{\"workload\":\"forkexec\",\"fork_wait_us\":%.1f,\"forkexec_us\":%.1f,\"processes\":%ld}\n",
        fork_s * 1e6 / (double)forks, exec_s * 1e6 / (double)execs, forks + execs);
    return 0;
}

/* ---- idle: memory overhead ------------------------------------------------------
 * Does nothing for --seconds: the harness samples the memory of everything
 * the environment started meanwhile (a container's runtime, a VM's VMM and
 * guest RAM) and subtracts the native figure. */
int run_idle(const struct options* o) {
    struct timespec ts = {(time_t)o->seconds,
                          (long)((o->seconds - (double)(time_t)o->seconds) * 1e9)};
    double start = now();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("{\"workload\":\"idle\",\"slept_s\":%.3f,\"maxrss_kib\":%ld}\n", now() - start,
           usage.ru_maxrss);
    return 0;
}
