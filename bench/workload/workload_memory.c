/* workload stream and gups: memory bandwidth and random access (workload.c). */
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

/* ---- stream: McCalpin's STREAM kernels -------------------------------------
 * Sustained memory bandwidth with arrays far larger than the caches (default
 * 3 x 64 MiB). Containers share the host's page tables; a VM adds a second
 * level of address translation (EPT/NPT), which costs on TLB misses, so this
 * is where Felter found VMs close to native and expected them to stay. The
 * best round of each kernel counts, as in STREAM itself. */
struct stream_arrays {
    double *a, *b, *c;
    size_t n;
    double best[4]; /* copy, scale, add, triad: seconds of the fastest round */
};

static void stream_round(void* arg) {
    struct stream_arrays* s = arg;
    double* a = s->a;
    double* b = s->b;
    double* c = s->c;
    const double q = 3.0;
    double t[5];
    t[0] = now();
    for (size_t i = 0; i < s->n; i++) c[i] = a[i];
    t[1] = now();
    for (size_t i = 0; i < s->n; i++) b[i] = q * c[i];
    t[2] = now();
    for (size_t i = 0; i < s->n; i++) c[i] = a[i] + b[i];
    t[3] = now();
    for (size_t i = 0; i < s->n; i++) a[i] = b[i] + q * c[i];
    t[4] = now();
    for (int k = 0; k < 4; k++)
        if (s->best[k] == 0 || t[k + 1] - t[k] < s->best[k])
            s->best[k] = t[k + 1] - t[k];
}

int run_stream(const struct options* o) {
    struct stream_arrays s = {0};
    long mib = o->size_mib > 0 ? o->size_mib : 64;
    s.n = (size_t)mib * 1024 * 1024 / sizeof(double);
    s.a = malloc(s.n * sizeof(double));
    s.b = malloc(s.n * sizeof(double));
    s.c = malloc(s.n * sizeof(double));
    if (!s.a || !s.b || !s.c)
        fail("stream: malloc");
    for (size_t i = 0; i < s.n; i++) s.a[i] = 1.0, s.b[i] = 2.0, s.c[i] = 0.0;
    double elapsed;
    long rounds = repeat(o, stream_round, &s, &elapsed);
    double bytes = (double)s.n * sizeof(double);
    printf(
        "{\"workload\":\"stream\",\"array_mib\":%ld,\"rounds\":%ld,\"copy_mb_s\":%.1f,\"scale_mb_s\":%.1f,\"add_mb_s\":%.1f,\"triad_mb_s\":%.1f}\n",
        mib, rounds, 2 * bytes / s.best[0] / 1e6, 2 * bytes / s.best[1] / 1e6,
        3 * bytes / s.best[2] / 1e6, 3 * bytes / s.best[3] / 1e6);
    return 0;
}

/* ---- gups: HPCC RandomAccess --------------------------------------------------
 * Read-modify-write of random 64-bit words of a large table (default 256 MiB):
 * nearly every update is a cache and TLB miss, so this is the workload most
 * sensitive to nested paging (Felter: VMs lose most here). The random stream
 * is HPCC's (x <- x << 1 ^ (x < 0 ? POLY : 0)). One round = 1M updates. */
#define GUPS_POLY 0x0000000000000007ULL
#define GUPS_BATCH (1L << 20)
struct gups_table {
    uint64_t* table;
    uint64_t mask;
    uint64_t ran;
};

static void gups_round(void* arg) {
    struct gups_table* g = arg;
    uint64_t ran = g->ran;
    for (long i = 0; i < GUPS_BATCH; i++) {
        ran = (ran << 1) ^ ((int64_t)ran < 0 ? GUPS_POLY : 0);
        g->table[ran & g->mask] ^= ran;
    }
    g->ran = ran;
}

int run_gups(const struct options* o) {
    long mib = o->size_mib > 0 ? o->size_mib : 256;
    size_t words = (size_t)mib * 1024 * 1024 / sizeof(uint64_t);
    size_t power = 1;
    while (power * 2 <= words) power *= 2; /* a power of two, for the mask */
    struct gups_table g = {malloc(power * sizeof(uint64_t)), power - 1, 1};
    if (!g.table)
        fail("gups: malloc");
    for (size_t i = 0; i < power; i++) g.table[i] = i;
    double elapsed;
    long rounds = repeat(o, gups_round, &g, &elapsed);
    printf("{\"workload\":\"gups\",\"table_mib\":%zu,\"updates\":%ld,\"mups\":%.2f}\n",
           power * sizeof(uint64_t) >> 20, rounds * GUPS_BATCH,
           (double)rounds * GUPS_BATCH / elapsed / 1e6);
    return 0;
}
