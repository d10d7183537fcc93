/* workload fileio: block I/O on a file the workload creates (workload.c).
 *
 * Sequential write (1 MiB blocks, then fdatasync), sequential read (1 MiB
 * blocks) and 4 KiB random reads (IOPS) on a --size-mib file (default 64)
 * in --dir, with O_DIRECT so the page cache is out of the way: the figures
 * are the storage path's (host file system for natives and containers,
 * overlayfs above it for a container's root, virtio-blk and the VMM's
 * backing file for a VM), which is Felter's block I/O comparison (fio).
 * Where O_DIRECT is refused (tmpfs, some overlays) the file is opened
 * buffered, written pages are dropped with fdatasync + POSIX_FADV_DONTNEED
 * before each read phase, and the JSON line says "o_direct":false. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "workload.h"

#define BLOCK (1 << 20)
#define PAGE 4096

struct fileio {
    int fd;
    char* buffer;
    long blocks;   /* file size / BLOCK */
    uint64_t seed; /* xorshift state for the random offsets */
};

static void random_read_round(void* arg) {
    struct fileio* f = arg;
    uint64_t pages = (uint64_t)f->blocks * (BLOCK / PAGE);
    for (int i = 0; i < 256; i++) {
        f->seed ^= f->seed << 13, f->seed ^= f->seed >> 7, f->seed ^= f->seed << 17;
        off_t offset = (off_t)(f->seed % pages) * PAGE;
        if (pread(f->fd, f->buffer, PAGE, offset) != PAGE)
            fail("fileio: random pread");
    }
}

/* The file system under --dir, by statfs magic (linux/magic.h): the report
 * shows it, since "the same workload" means different storage stacks. */
static const char* fs_name(int fd) {
    static const struct {
        unsigned long magic;
        const char* name;
    } known[] = {{0xEF53, "ext4"},         {0x01021994, "tmpfs"}, {0x794C7630, "overlay"},
                 {0x58465342, "xfs"},      {0x9123683E, "btrfs"}, {0x01021997, "9p"},
                 {0x65735546, "virtiofs"}, {0x6969, "nfs"}};
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0)
        return "unknown";
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if ((unsigned long)fs.f_type == known[i].magic)
            return known[i].name;
    return "other";
}

static void drop_cache(int fd) {
    if (fdatasync(fd) != 0)
        fail("fileio: fdatasync");
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

int run_fileio(const struct options* o) {
    long mib = o->size_mib > 0 ? o->size_mib : 64;
    struct fileio f = {-1, NULL, mib, 0x9E3779B97F4A7C15ULL};
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/workload-fileio.%d", o->dir, (int)getpid()) >=
        (int)sizeof(path)) {
        fprintf(stderr, "workload: fileio: --dir is too long\n");
        return 2;
    }
    int direct = 1;
    f.fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT, 0600);
    if (f.fd < 0 && errno == EINVAL) {
        direct = 0;
        f.fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    }
    if (f.fd < 0)
        fail("fileio: cannot create the file in --dir");
    unlink(path); /* gone when the workload exits, whatever happens */
    const char* fs = fs_name(f.fd);
    if (posix_memalign((void**)&f.buffer, PAGE, BLOCK) != 0)
        fail("fileio: posix_memalign");
    for (int i = 0; i < BLOCK; i++) f.buffer[i] = (char)(i * 7);

    double start = now();
    for (long b = 0; b < f.blocks; b++) {
        ssize_t done = pwrite(f.fd, f.buffer, BLOCK, (off_t)b * BLOCK);
        if (done != BLOCK) {
            if (done >= 0)
                errno = ENOSPC;
            fail("fileio: sequential write");
        }
    }
    if (fdatasync(f.fd) != 0)
        fail("fileio: fdatasync");
    double write_s = now() - start;
    if (!direct)
        drop_cache(f.fd);

    start = now();
    for (long b = 0; b < f.blocks; b++)
        if (pread(f.fd, f.buffer, BLOCK, (off_t)b * BLOCK) != BLOCK)
            fail("fileio: sequential read");
    double read_s = now() - start;
    if (!direct)
        drop_cache(f.fd);

    double random_s;
    long rounds = repeat(o, random_read_round, &f, &random_s);
    close(f.fd);
    double bytes = (double)f.blocks * BLOCK;
    printf(
        "{\"workload\":\"fileio\",\"file_mib\":%ld,\"fs\":\"%s\",\"o_direct\":%s,%s\"seq_write_mb_"
        "s\":%.1f,"
        "\"seq_read_mb_s\":%.1f,\"rand_read_iops\":%.0f}\n",
        mib, fs, direct ? "true" : "false",
        direct ? "" : "\"note\":\"O_DIRECT refused (EINVAL): buffered, cache dropped\",",
        bytes / write_s / 1e6, bytes / read_s / 1e6, (double)rounds * 256 / random_s);
    free(f.buffer);
    return 0;
}
