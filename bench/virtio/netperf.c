/*
 * netperf.c: the guest-side (and host-side) workload of the virtio-net
 * benchmark (bench/virtio/net_bench.py). One small static binary, so the
 * same program runs in a busybox initramfs and on the host, and both VMMs
 * are measured with exactly the same code.
 *
 *   netperf server PORT                 serve clients, one at a time, forever
 *   netperf stream-send HOST PORT SECS  TCP bulk, client -> server (guest transmit)
 *   netperf stream-recv HOST PORT SECS  TCP bulk, server -> client (guest receive)
 *   netperf rr HOST PORT SECS [SIZE]    request/response: SIZE bytes each way
 *                                       (default 1), one outstanding at a time
 *
 * The client prints one line, "netperf: mode=... key=value ...", that the
 * harness parses. Throughput counts TCP payload bytes. For stream-send the
 * clock stops when the server has acknowledged every byte (it replies with
 * the count after the client's FIN), so data still in socket buffers is not
 * counted as sent. rr reports the mean and percentiles of the round-trip
 * time of each transaction, measured with CLOCK_MONOTONIC.
 *
 * Protocol: the client opens with a 16-byte header (magic "NPRF", mode,
 * size, seconds; little-endian u32s), then the mode's traffic. Like
 * netperf's TCP_STREAM and TCP_RR, with nothing else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_SEND = 1, MODE_RECV = 2, MODE_RR = 3 };

struct header {
    char magic[4];
    uint32_t mode;
    uint32_t size;
    uint32_t seconds;
};

#define CHUNK (128 * 1024)
#define MAX_SAMPLES (4 * 1024 * 1024)

static char buffer[CHUNK];

static void die(const char* what) {
    fprintf(stderr, "netperf: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads exactly `length` bytes; returns 0 on end of file. */
static int read_full(int fd, void* data, size_t length) {
    char* p = data;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("read");
        if (n == 0)
            return 0;
        p += n;
        length -= (size_t)n;
    }
    return 1;
}

static void write_full(int fd, const void* data, size_t length) {
    const char* p = data;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("write");
        p += n;
        length -= (size_t)n;
    }
}

static void no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---------------------------------------------------------------- server */

static void serve(int fd) {
    struct header h;
    if (!read_full(fd, &h, sizeof h) || memcmp(h.magic, "NPRF", 4) != 0)
        return;
    if (h.mode == MODE_SEND) {
        uint64_t total = 0;
        for (;;) {
            ssize_t n = read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            total += (uint64_t)n;
        }
        write_full(fd, &total, sizeof total);
    } else if (h.mode == MODE_RECV) {
        double end = now() + h.seconds;
        while (now() < end) {
            ssize_t n = write(fd, buffer, sizeof buffer);
            if (n < 0 && errno != EINTR)
                break;
        }
    } else if (h.mode == MODE_RR) {
        if (h.size == 0 || h.size > CHUNK)
            return;
        no_delay(fd);
        while (read_full(fd, buffer, h.size)) write_full(fd, buffer, h.size);
    }
}

static _Noreturn void run_server(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0)
        die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (bind(listener, (struct sockaddr*)&address, sizeof address) < 0)
        die("bind");
    if (listen(listener, 16) < 0)
        die("listen");
    printf("netperf: server listening on port %d\n", port);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            die("accept");
        }
        serve(fd);
        close(fd);
    }
}

/* ---------------------------------------------------------------- client */

static int connect_to(const char* host, int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        fprintf(stderr, "netperf: %s is not an IPv4 address\n", host);
        exit(2);
    }
    /* The server may still be starting: retry for a few seconds. */
    for (int attempt = 0;; ++attempt) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr*)&address, sizeof address) == 0)
            return fd;
        close(fd);
        if (attempt == 50)
            die("connect");
        usleep(100 * 1000);
    }
}

static void send_header(int fd, enum mode mode, uint32_t size, uint32_t seconds) {
    struct header h = {{'N', 'P', 'R', 'F'}, mode, size, seconds};
    write_full(fd, &h, sizeof h);
}

static void stream_send(int fd, int seconds) {
    send_header(fd, MODE_SEND, 0, (uint32_t)seconds);
    double start = now(), end = start + seconds;
    while (now() < end) write_full(fd, buffer, sizeof buffer);
    shutdown(fd, SHUT_WR);
    uint64_t total = 0;
    if (!read_full(fd, &total, sizeof total)) {
        fprintf(stderr, "netperf: the server closed without its byte count\n");
        exit(1);
    }
    double elapsed = now() - start;
    printf("netperf: mode=stream-send bytes=%llu seconds=%.3f mbit_per_s=%.1f\n",
           (unsigned long long)total, elapsed, total * 8 / elapsed / 1e6);
}

static void stream_recv(int fd, int seconds) {
    send_header(fd, MODE_RECV, 0, (uint32_t)seconds);
    uint64_t total = 0;
    double start = now();
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("read");
        if (n == 0)
            break;
        total += (uint64_t)n;
    }
    double elapsed = now() - start;
    printf("netperf: mode=stream-recv bytes=%llu seconds=%.3f mbit_per_s=%.1f\n",
           (unsigned long long)total, elapsed, total * 8 / elapsed / 1e6);
}

static int compare_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

static void request_response(int fd, int seconds, uint32_t size) {
    if (size == 0 || size > CHUNK) {
        fprintf(stderr, "netperf: rr size must be 1..%d\n", CHUNK);
        exit(2);
    }
    static double samples[MAX_SAMPLES];
    send_header(fd, MODE_RR, size, (uint32_t)seconds);
    no_delay(fd);
    size_t count = 0;
    double start = now(), end = start + seconds, t = start;
    while (t < end && count < MAX_SAMPLES) {
        write_full(fd, buffer, size);
        if (!read_full(fd, buffer, size)) {
            fprintf(stderr, "netperf: the server closed during rr\n");
            exit(1);
        }
        double after = now();
        samples[count++] = after - t;
        t = after;
    }
    double elapsed = t - start, sum = 0;
    for (size_t i = 0; i < count; ++i) sum += samples[i];
    qsort(samples, count, sizeof samples[0], compare_double);
#define PERCENTILE(p) (samples[(size_t)((count - 1) * (p))] * 1e6)
    printf(
        "netperf: mode=rr size=%u transactions=%zu seconds=%.3f per_s=%.1f mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f\n",
        size, count, elapsed, count / elapsed, sum / count * 1e6, PERCENTILE(0.5), PERCENTILE(0.9),
        PERCENTILE(0.99));
}

static void usage(void) {
    fprintf(stderr,
            "usage: netperf server PORT\n"
            "       netperf stream-send|stream-recv HOST PORT SECONDS\n"
            "       netperf rr HOST PORT SECONDS [SIZE]\n");
    exit(2);
}

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    memset(buffer, 0x5a, sizeof buffer);
    if (argc == 3 && strcmp(argv[1], "server") == 0)
        run_server(atoi(argv[2]));
    if (argc < 5)
        usage();
    int seconds = atoi(argv[4]);
    if (seconds <= 0)
        usage();
    int fd = connect_to(argv[2], atoi(argv[3]));
    if (strcmp(argv[1], "stream-send") == 0)
        stream_send(fd, seconds);
    else if (strcmp(argv[1], "stream-recv") == 0)
        stream_recv(fd, seconds);
    else if (strcmp(argv[1], "rr") == 0)
        request_response(fd, seconds, argc > 5 ? (uint32_t)atoi(argv[5]) : 1);
    else
        usage();
    close(fd);
    return 0;
}
