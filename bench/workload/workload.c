/* workload: the benchmark suite's one workload binary (docs/benchmarking.md).
 *
 * The same static binary runs natively, in a container and in a VM, so every
 * environment runs exactly the same code. Each subcommand measures one thing
 * and prints ONE JSON line of results on stdout. The kernels follow the shapes
 * of Felter et al., "An Updated Performance Comparison of Virtual Machines and
 * Linux Containers" (IBM RC25482, 2014; ISPASS 2015): CPU (their PXZ and
 * Linpack), memory bandwidth (STREAM), random memory access (RandomAccess /
 * GUPS), plus the costs that separate isolations most: system calls,
 * fork+exec, file I/O, start-up and memory while idle.
 *
 *   workload cpu       integer sieve and floating-point matrix product
 *   workload stream    STREAM copy/scale/add/triad, MB/s (best of the rounds)
 *   workload gups      random read-modify-write of a large table, updates/s
 *   workload syscall   getpid and a one-byte pipe write+read, ns/op
 *   workload forkexec  fork + exec of this binary ("nop") + wait, us/op
 *   workload fileio    sequential write/read MB/s, 4 KiB random read IOPS
 *   workload idle      sleep --seconds (the harness samples memory meanwhile)
 *   workload net-server  the peer of net-stream and net-rr (workload_net.c)
 *   workload net-stream  TCP throughput to the peer, both directions, MB/s
 *   workload net-rr      1-byte TCP request/response: transactions/s, latency
 *   workload nop       exit 0 at once (start-up time, forkexec's child)
 *
 * Options: --seconds S (run each kernel for at least S seconds, default 2),
 * --iterations N (run each kernel exactly N times instead), --size-mib M
 * (stream/gups/fileio working set), --dir D (fileio's directory), --host H
 * and --port P (the peer of net-stream and net-rr; net-server's port),
 * --connections N (net-server: exit after N).
 * Files: workload.c (options, cpu), workload_memory.c (stream, gups),
 * workload_os.c (syscall, forkexec, idle), workload_fileio.c (fileio),
 * workload_net.c (net-server, net-stream, net-rr).
 * Bad input: one line on stderr, exit status 2. A failed measurement: one
 * line on stderr, exit status 1. */
#define _GNU_SOURCE
#include "workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char* self_path = "/proc/self/exe";

double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void fail(const char* what) {
    fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
    exit(1);
}

long repeat(const struct options* o, void (*round)(void*), void* arg, double* elapsed) {
    double start = now();
    long done = 0;
    for (;;) {
        round(arg);
        done++;
        double spent = now() - start;
        if ((o->iterations > 0 && done >= o->iterations) ||
            (o->iterations <= 0 && spent >= o->seconds)) {
            *elapsed = spent;
            return done;
        }
    }
}

/* ---- cpu: integer sieve + floating-point matrix product -------------------
 * CPU-bound work with a small working set: no system calls, no page faults
 * after warm-up, so any difference from native is the isolation's effect on
 * plain instruction execution (expected: none for containers, ~0-2% for VMs,
 * as in Felter's PXZ and Linpack results). */
#define SIEVE_N 4000000
#define SIEVE_PRIMES 283146 /* pi(4,000,000): checks that the work was done */
static unsigned char sieve_flags[SIEVE_N + 1];
static long sieve_count;

static void sieve_round(void* arg) {
    (void)arg;
    memset(sieve_flags, 1, sizeof(sieve_flags));
    sieve_flags[0] = sieve_flags[1] = 0;
    for (long i = 2; i * i <= SIEVE_N; i++)
        if (sieve_flags[i])
            for (long j = i * i; j <= SIEVE_N; j += i) sieve_flags[j] = 0;
    long count = 0;
    for (long i = 0; i <= SIEVE_N; i++) count += sieve_flags[i];
    sieve_count = count;
}

#define MAT_N 192
static double mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static void matmul_round(void* arg) {
    (void)arg;
    memset(mat_c, 0, sizeof(mat_c));
    for (int i = 0; i < MAT_N; i++)
        for (int k = 0; k < MAT_N; k++) {
            double a = mat_a[i][k];
            for (int j = 0; j < MAT_N; j++) mat_c[i][j] += a * mat_b[k][j];
        }
}

static int run_cpu(const struct options* o) {
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (double)((i + j) % 7) * 0.5;
            mat_b[i][j] = (double)((i * j) % 5) * 0.25;
        }
    double sieve_s, mat_s;
    long sieves = repeat(o, sieve_round, NULL, &sieve_s);
    if (sieve_count != SIEVE_PRIMES) {
        fprintf(stderr, "workload: cpu: sieve found %ld primes, expected %d\n", sieve_count,
                SIEVE_PRIMES);
        return 1;
    }
    long products = repeat(o, matmul_round, NULL, &mat_s);
    double flops = 2.0 * MAT_N * MAT_N * MAT_N * (double)products;
    printf(
        "{\"workload\":\"cpu\",\"sieve_per_s\":%.3f,\"sieve_rounds\":%ld,\"matmul_mflops\":%.1f,\"matmul_rounds\":%ld,\"checksum\":%.1f}\n",
        (double)sieves / sieve_s, sieves, flops / mat_s / 1e6, products,
        mat_c[MAT_N - 1][MAT_N - 1]);
    return 0;
}

static void usage_error(const char* message, const char* value) {
    fprintf(
        stderr,
        "workload: %s%s%s - usage: workload cpu|stream|gups|syscall|forkexec|fileio|idle|nop|net-server|net-stream|net-rr [--seconds S] [--iterations N] [--size-mib M] [--dir D] [--host IPV4|gateway] [--port P] [--connections N]\n",
        message, value ? ": " : "", value ? value : "");
    exit(2);
}

static double parse_number(const char* text, double min, double max, const char* option) {
    char* end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(value >= min && value <= max)) {
        char message[128];
        snprintf(message, sizeof(message), "%s wants a number in %g..%g", option, min, max);
        usage_error(message, text);
    }
    return value;
}

int main(int argc, char** argv) {
    struct options o = {2.0, 0, 0, "/tmp", NULL, 5201, 0};
    int seconds_given = 0;
    if (argc < 2)
        usage_error("no subcommand", NULL);
    const char* command = argv[1];
    for (int i = 2; i < argc; i++) {
        const char* option = argv[i];
        if (i + 1 >= argc)
            usage_error("missing value after", option);
        const char* value = argv[++i];
        if (strcmp(option, "--seconds") == 0)
            o.seconds = parse_number(value, 0.001, 3600, option), seconds_given = 1;
        else if (strcmp(option, "--iterations") == 0)
            o.iterations = (long)parse_number(value, 1, 1e9, option);
        else if (strcmp(option, "--size-mib") == 0)
            o.size_mib = (long)parse_number(value, 1, 65536, option);
        else if (strcmp(option, "--dir") == 0)
            o.dir = value;
        else if (strcmp(option, "--host") == 0)
            o.host = value;
        else if (strcmp(option, "--port") == 0)
            o.port = (int)parse_number(value, 0, 65535, option);
        else if (strcmp(option, "--connections") == 0)
            o.connections = (long)parse_number(value, 1, 1e9, option);
        else
            usage_error("unknown option", option);
    }
    if (access(self_path, X_OK) != 0)
        self_path = argv[0]; /* no /proc: the path we ran as */
    if (strcmp(command, "nop") == 0)
        return 0;
    if (strcmp(command, "cpu") == 0)
        return run_cpu(&o);
    if (strcmp(command, "stream") == 0)
        return run_stream(&o);
    if (strcmp(command, "gups") == 0)
        return run_gups(&o);
    if (strcmp(command, "syscall") == 0)
        return run_syscall(&o);
    if (strcmp(command, "forkexec") == 0)
        return run_forkexec(&o);
    if (strcmp(command, "fileio") == 0)
        return run_fileio(&o);
    if (strcmp(command, "idle") == 0)
        return run_idle(&o);
    if (strcmp(command, "net-server") == 0) {
        if (!seconds_given)
            o.seconds = 60; /* the peer outlives the clients the harness runs */
        return run_net_server(&o);
    }
    if (strcmp(command, "net-stream") == 0 || strcmp(command, "net-rr") == 0) {
        struct in_addr ignored;
        if (!o.host)
            usage_error("--host is required for", command);
        if (strcmp(o.host, "gateway") != 0 && inet_pton(AF_INET, o.host, &ignored) != 1)
            usage_error("--host wants an IPv4 address or gateway", o.host);
        if (o.port == 0)
            usage_error("--port wants the peer's port, 1..65535", "0");
        if (command[4] == 's' && o.iterations > 0)
            usage_error("net-stream runs for --seconds, not", "--iterations");
        return command[4] == 's' ? run_net_stream(&o) : run_net_rr(&o);
    }
    usage_error("unknown subcommand", command);
    return 2;
}
