/* workload net-server, net-stream and net-rr: TCP throughput and
 * request/response latency against a peer, netperf-style (workload.c).
 *
 * Felter et al. measured the network with netperf's TCP_STREAM and TCP_RR;
 * these are the same two tests with nothing else, so the same static binary
 * can be the client in every environment and the peer on the host:
 *
 *   workload net-server [--port P] [--seconds S] [--connections N]
 *       listens on 0.0.0.0:P (P 0: a free port), prints ONE JSON line as soon
 *       as it listens ({"workload":"net-server","port":P}), then serves each
 *       connection in a child process; exits after S seconds (default 60) or
 *       after N connections have been served.
 *   workload net-stream --host H [--port P] [--seconds S]
 *       TCP bulk transfer for S seconds each way: send (client -> peer) then
 *       receive (peer -> client), MB/s of TCP payload (10^6 bytes).
 *   workload net-rr --host H [--port P] [--seconds S | --iterations N]
 *       1-byte request, 1-byte response, one outstanding at a time (TCP_NODELAY):
 *       transactions/s and the round-trip latency in microseconds.
 *
 * H is an IPv4 address or "gateway": the default route's gateway from
 * /proc/net/route (a container's or a VM's bridge address, which is where
 * the harness's peer listens). Protocol: the client opens with a 16-byte
 * header (magic "TBNW", mode, size, seconds; host-order u32s: both ends run
 * on the same machine). Send: the client writes for S seconds, shuts down its
 * side, and the server answers with the byte count it read (u64), so the clock
 * stops when the peer has every byte, not when they sit in socket buffers.
 * Receive: the server writes until the client closes; the client counts for
 * S seconds. RR: the server echoes every byte. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

enum { MODE_SINK = 1, MODE_SOURCE = 2, MODE_ECHO = 3 };
#define CHUNK (128 * 1024)
#define IO_TIMEOUT_S 30 /* a peer that stops answering for this long has gone */
#define MAX_SAMPLES (1 << 20)

struct header {
    char magic[4];
    uint32_t mode, size, seconds;
};

static char buffer[CHUNK];

static void set_timeouts(int fd) {
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int read_full(int fd, void* data, size_t size) {
    char* p = data;
    while (size > 0) {
        ssize_t got = read(fd, p, size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got, size -= (size_t)got;
    }
    return 0;
}

static int write_full(int fd, const void* data, size_t size) {
    const char* p = data;
    while (size > 0) {
        ssize_t put = send(fd, p, size, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        p += put, size -= (size_t)put;
    }
    return 0;
}

/* ---- the peer ------------------------------------------------------------ */
static void serve(int fd) {
    struct header h;
    set_timeouts(fd);
    if (read_full(fd, &h, sizeof(h)) != 0 || memcmp(h.magic, "TBNW", 4) != 0)
        _exit(1);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (h.mode == MODE_SINK) {
        uint64_t total = 0;
        for (;;) {
            ssize_t got = read(fd, buffer, CHUNK);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break;
            total += (uint64_t)got;
        }
        write_full(fd, &total, sizeof(total));
    } else if (h.mode == MODE_SOURCE) {
        memset(buffer, 'x', CHUNK);
        while (write_full(fd, buffer, CHUNK) == 0) {
        }
    } else if (h.mode == MODE_ECHO) {
        char byte;
        while (read_full(fd, &byte, 1) == 0 && write_full(fd, &byte, 1) == 0) {
        }
    }
    _exit(0);
}

int run_net_server(const struct options* o) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        fail("net-server: socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(listener, (struct sockaddr*)&address, sizeof(address)) != 0)
        fail("net-server: bind (is the port in use?)");
    if (listen(listener, 64) != 0)
        fail("net-server: listen");
    socklen_t length = sizeof(address);
    getsockname(listener, (struct sockaddr*)&address, &length);
    printf("{\"workload\":\"net-server\",\"port\":%d}\n", ntohs(address.sin_port));
    fflush(stdout);
    signal(SIGPIPE, SIG_IGN);
    double deadline = now() + o->seconds;
    long served = 0;
    while (o->connections <= 0 || served < o->connections) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        double left = deadline - now();
        if (left <= 0)
            break;
        struct pollfd p = {listener, POLLIN, 0};
        int ready = poll(&p, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            fail("net-server: poll");
        if (ready <= 0)
            continue;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            close(listener);
            serve(fd);
        }
        close(fd);
        if (child > 0)
            served++;
    }
    close(listener);
    while (wait(NULL) > 0) {
    }
    return 0;
}

/* ---- the clients --------------------------------------------------------- */
/* The default route's gateway, from /proc/net/route (little-endian hex). */
static int gateway_address(struct in_addr* out) {
    FILE* routes = fopen("/proc/net/route", "r");
    if (!routes)
        return -1;
    char line[256], name[64];
    unsigned destination, gateway, flags;
    int found = -1;
    while (fgets(line, sizeof(line), routes))
        if (sscanf(line, "%63s %x %x %x", name, &destination, &gateway, &flags) == 4 &&
            destination == 0 && gateway != 0 && (flags & 0x2)) { /* RTF_GATEWAY */
            out->s_addr = gateway;
            found = 0;
            break;
        }
    fclose(routes);
    return found;
}

static int connect_peer(const struct options* o, uint32_t mode) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (strcmp(o->host, "gateway") == 0) {
        if (gateway_address(&address.sin_addr) != 0) {
            fprintf(stderr, "workload: no default route, so no gateway to connect to\n");
            exit(1);
        }
    } else {
        inet_pton(AF_INET, o->host, &address.sin_addr); /* checked in workload.c */
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket");
    set_timeouts(fd); /* also bounds connect() */
    if (connect(fd, (struct sockaddr*)&address, sizeof(address)) != 0) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text));
        fprintf(stderr, "workload: cannot connect to the peer %s:%d: %s (is net-server running?)\n",
                text, o->port, strerror(errno));
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct header h = {{'T', 'B', 'N', 'W'}, mode, 1, (uint32_t)o->seconds};
    if (write_full(fd, &h, sizeof(h)) != 0)
        fail("sending the header to the peer");
    return fd;
}

static double stream_send(const struct options* o, uint64_t* bytes) {
    int fd = connect_peer(o, MODE_SINK);
    memset(buffer, 'x', CHUNK);
    double start = now();
    while (now() - start < o->seconds)
        if (write_full(fd, buffer, CHUNK) != 0)
            fail("net-stream: send");
    shutdown(fd, SHUT_WR);
    if (read_full(fd, bytes, sizeof(*bytes)) != 0)
        fail("net-stream: reading the peer's byte count");
    double elapsed = now() - start;
    close(fd);
    return elapsed;
}

static double stream_receive(const struct options* o, uint64_t* bytes) {
    int fd = connect_peer(o, MODE_SOURCE);
    *bytes = 0;
    double start = now(), elapsed;
    while ((elapsed = now() - start) < o->seconds) {
        ssize_t got = read(fd, buffer, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            fail("net-stream: receive");
        *bytes += (uint64_t)got;
    }
    close(fd);
    return elapsed;
}

int run_net_stream(const struct options* o) {
    uint64_t sent, received;
    double send_s = stream_send(o, &sent);
    double receive_s = stream_receive(o, &received);
    printf(
        "{\"workload\":\"net-stream\",\"send_mb_s\":%.1f,\"recv_mb_s\":%.1f,\"send_bytes\":%llu,\"recv_bytes\":%llu,\"seconds\":%.3f}\n",
        (double)sent / send_s / 1e6, (double)received / receive_s / 1e6, (unsigned long long)sent,
        (unsigned long long)received, o->seconds);
    return 0;
}

static int compare_doubles(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int run_net_rr(const struct options* o) {
    static double samples[MAX_SAMPLES];
    int fd = connect_peer(o, MODE_ECHO);
    long done = 0;
    char byte = 'r';
    double start = now(), elapsed = 0;
    for (;;) {
        double t0 = now();
        if (write_full(fd, &byte, 1) != 0 || read_full(fd, &byte, 1) != 0)
            fail("net-rr: request/response");
        double t1 = now();
        samples[done % MAX_SAMPLES] = t1 - t0;
        done++;
        elapsed = t1 - start;
        if ((o->iterations > 0 && done >= o->iterations) ||
            (o->iterations <= 0 && elapsed >= o->seconds))
            break;
    }
    close(fd);
    long kept = done < MAX_SAMPLES ? done : MAX_SAMPLES;
    qsort(samples, (size_t)kept, sizeof(double), compare_doubles);
    printf(
        "{\"workload\":\"net-rr\",\"transactions_per_s\":%.1f,\"latency_us\":%.2f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"transactions\":%ld}\n",
        (double)done / elapsed, elapsed * 1e6 / (double)done, samples[kept / 2] * 1e6,
        samples[(long)((double)kept * 0.99)] * 1e6, done);
    return 0;
}
