/*
 * diskio: the disk workload of the virtio benchmark (bench/virtio/). It runs
 * inside the guest, a static binary carried in an initramfs overlay, and
 * measures the raw virtio-blk device with no file system in the way:
 *
 *   diskio seqwrite DEVICE MIB BLOCK_KIB     write MIB MiB from offset 0, then fsync
 *   diskio seqread  DEVICE MIB BLOCK_KIB     read them back
 *   diskio randread DEVICE MIB SECONDS [THREADS]
 *                                            4 KiB reads at random 4 KiB-aligned offsets
 *                                            in the first MIB MiB, for SECONDS, one
 *                                            request in flight per thread (default 1)
 *   diskio all DEVICE MIB BLOCK_KIB SECONDS [THREADS]   the three in that order
 *
 * Each test prints one line that disk_bench.py parses:
 *
 *   diskio-result seqwrite 123.45 MiB/s direct
 *
 * O_DIRECT is used so that the guest's page cache never answers a read
 * (every request reaches the device); where the device refuses it, the
 * buffered fallback drops the cache first and the line ends in "buffered".
 * Exit status: 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define ALIGNMENT 4096
#define RANDOM_BLOCK 4096

static int direct_io = 1;

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static void die(const char* what, const char* device) {
    fprintf(stderr, "diskio: %s %s: %s\n", what, device, strerror(errno));
    exit(1);
}

/*
 * The disk driver probes in the background: right after boot the device node
 * may not exist yet. Wait up to 30 s for it.
 */
static void wait_for_device(const char* device) {
    for (int tries = 0; tries < 300 && access(device, F_OK) != 0; ++tries)
        usleep(100000);
}

static int open_device(const char* device, int flags) {
    wait_for_device(device);
    int fd = open(device, flags | O_DIRECT);
    if (fd < 0 && errno == EINVAL) {
        direct_io = 0;
        fd = open(device, flags);
    }
    if (fd < 0)
        die("open", device);
    if (!direct_io) {
        /* Without O_DIRECT, start from an empty page cache for this device. */
        fsync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    return fd;
}

static void* aligned_buffer(size_t size) {
    void* buffer = NULL;
    if (posix_memalign(&buffer, ALIGNMENT, size) != 0) {
        fprintf(stderr, "diskio: cannot allocate %zu bytes\n", size);
        exit(1);
    }
    memset(buffer, 0x5a, size);
    return buffer;
}

static void report(const char* test, double value, const char* unit) {
    printf("diskio-result %s %.2f %s %s\n", test, value, unit, direct_io ? "direct" : "buffered");
    fflush(stdout);
}

static void sequential(const char* device, int write, uint64_t mib, uint64_t block_kib) {
    size_t block = block_kib * 1024;
    uint64_t total = mib << 20;
    int fd = open_device(device, write ? O_WRONLY : O_RDONLY);
    char* buffer = aligned_buffer(block);
    double start = now();
    for (uint64_t offset = 0; offset < total; offset += block) {
        ssize_t done = write ? pwrite(fd, buffer, block, (off_t)offset)
                             : pread(fd, buffer, block, (off_t)offset);
        if (done != (ssize_t)block)
            die(write ? "pwrite" : "pread", device);
    }
    if (write && fsync(fd) != 0)
        die("fsync", device);
    double seconds = now() - start;
    report(write ? "seqwrite" : "seqread", (double)total / (1 << 20) / seconds, "MiB/s");
    free(buffer);
    close(fd);
}

struct random_reader {
    const char* device;
    uint64_t blocks;
    double deadline;
    uint64_t seed;
    uint64_t operations;
};

/* xorshift64: a fast generator, good enough to spread offsets. */
static uint64_t next_random(uint64_t* state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static void* random_reads(void* argument) {
    struct random_reader* reader = argument;
    int fd = open_device(reader->device, O_RDONLY);
    char* buffer = aligned_buffer(RANDOM_BLOCK);
    uint64_t state = reader->seed;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            off_t offset = (off_t)(next_random(&state) % reader->blocks) * RANDOM_BLOCK;
            if (pread(fd, buffer, RANDOM_BLOCK, offset) != RANDOM_BLOCK)
                die("pread", reader->device);
            ++reader->operations;
        }
        if (now() >= reader->deadline)
            break;
    }
    free(buffer);
    close(fd);
    return NULL;
}

static void random_read(const char* device, uint64_t mib, double seconds, int threads) {
    struct random_reader readers[64];
    pthread_t ids[64];
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "diskio: THREADS must be 1..64\n");
        exit(1);
    }
    double start = now();
    for (int i = 0; i < threads; ++i) {
        readers[i] = (struct random_reader){device, (mib << 20) / RANDOM_BLOCK, start + seconds,
                                            0x9e3779b97f4a7c15ull * (uint64_t)(i + 1), 0};
        if (pthread_create(&ids[i], NULL, random_reads, &readers[i]) != 0) {
            fprintf(stderr, "diskio: pthread_create failed\n");
            exit(1);
        }
    }
    uint64_t operations = 0;
    for (int i = 0; i < threads; ++i) {
        pthread_join(ids[i], NULL);
        operations += readers[i].operations;
    }
    report("randread", operations / (now() - start), "IOPS");
}

static uint64_t number(const char* text, const char* what) {
    char* end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value == 0) {
        fprintf(stderr, "diskio: %s must be a positive number, not '%s'\n", what, text);
        exit(1);
    }
    return value;
}

static void usage(void) {
    fprintf(stderr,
            "usage: diskio seqwrite|seqread DEVICE MIB BLOCK_KIB\n"
            "       diskio randread DEVICE MIB SECONDS [THREADS]\n"
            "       diskio all DEVICE MIB BLOCK_KIB SECONDS [THREADS]\n");
    exit(1);
}

int main(int argc, char** argv) {
    if (argc < 5)
        usage();
    const char* test = argv[1];
    const char* device = argv[2];
    uint64_t mib = number(argv[3], "MIB");
    if (strcmp(test, "seqwrite") == 0 || strcmp(test, "seqread") == 0) {
        sequential(device, test[3] == 'w', mib, number(argv[4], "BLOCK_KIB"));
    } else if (strcmp(test, "randread") == 0) {
        random_read(device, mib, (double)number(argv[4], "SECONDS"),
                    argc > 5 ? (int)number(argv[5], "THREADS") : 1);
    } else if (strcmp(test, "all") == 0 && argc >= 6) {
        uint64_t block_kib = number(argv[4], "BLOCK_KIB");
        sequential(device, 1, mib, block_kib);
        sequential(device, 0, mib, block_kib);
        random_read(device, mib, (double)number(argv[5], "SECONDS"),
                    argc > 6 ? (int)number(argv[6], "THREADS") : 1);
    } else {
        usage();
    }
    return 0;
}
