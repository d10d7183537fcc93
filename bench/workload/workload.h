/* workload.h: what the workload's subcommands share (workload.c). */
#pragma once

struct options {
    double seconds;   /* run each kernel at least this long ... */
    long iterations;  /* ... or exactly this many times (> 0) */
    long size_mib;    /* working set; 0: the subcommand's default */
    const char* dir;  /* fileio's directory */
    const char* host; /* net-stream, net-rr: the peer (IPv4 or "gateway") */
    int port;         /* the peer's TCP port (net-server: 0 = any free one) */
    long connections; /* net-server: exit after this many (0: no limit) */
};

/* This binary, for forkexec's children: /proc/self/exe, else argv[0]. */
extern const char* self_path;

/* CLOCK_MONOTONIC in seconds. */
double now(void);
/* Prints "workload: WHAT: strerror(errno)" and exits 1. */
void fail(const char* what);
/* Calls round(arg) until --iterations rounds are done or --seconds have
 * passed; returns the rounds and stores the elapsed seconds. */
long repeat(const struct options* o, void (*round)(void*), void* arg, double* elapsed);

/* The subcommands: each prints one JSON line, returns the exit status. */
int run_stream(const struct options* o);     /* workload_memory.c */
int run_gups(const struct options* o);       /* workload_memory.c */
int run_syscall(const struct options* o);    /* workload_os.c */
int run_forkexec(const struct options* o);   /* workload_os.c */
int run_idle(const struct options* o);       /* workload_os.c */
int run_fileio(const struct options* o);     /* workload_fileio.c */
int run_net_server(const struct options* o); /* workload_net.c */
int run_net_stream(const struct options* o); /* workload_net.c */
int run_net_rr(const struct options* o);     /* workload_net.c */
