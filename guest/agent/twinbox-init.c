/*
 * twinbox-init: PID 1 of a microVM that runs one container image's command
 * (`twinbox run --isolation vm IMAGE [CMD...]`, docs/images.md).
 *
 * The default initramfs loads the drivers, mounts the image's ext4 disk
 * read-only as the root and switch_roots here (/.twinbox/init). This program
 * then does, inside the VM, what a container runtime does on the host:
 *
 *   1. reads the run configuration from fw_cfg (QEMU docs/specs/fw_cfg.rst,
 *      traditional I/O interface: selector port 0x510, data port 0x511),
 *      file "opt/twinbox/run";
 *   2. stacks a writable layer on the read-only image (overlayfs, as Docker's
 *      container layer) and makes it the root, with /proc, /sys, /dev and
 *      /dev/pts mounted: its upper directory is in RAM (tmpfs), or on the
 *      writable disk the configuration names (r=), where it outlives the VM;
 *   3. sets the host name, environment, working directory and user, and runs
 *      the command with its stdio on the console (virtio-console /dev/hvc0
 *      when the VM has one, else the serial console);
 *   4. serves `twinbox vm exec` in a child process (exec_server.c): commands
 *      sent over the agent channel, the second virtio-console /dev/hvc1,
 *      run in the same root with the workload's environment;
 *   5. reaps every process (it is PID 1), and when the command ends reports
 *      its exit status to the VMM on twinbox's exit-status port (0x604, see
 *      vmm/devices/exit_status.h) and powers the VM off;
 *   5. meanwhile watches the ACPI power button (the VMM's control-socket
 *      command "powerdown"; Linux's button driver reports it as KEY_POWER on
 *      /dev/input/eventN): on a press it stops the command as `docker stop`
 *      does, SIGTERM, then SIGKILL after STOP_GRACE_SECONDS, and reports the
 *      command's status (143 for a command that SIGTERM ended) as in 4.
 *
 * The configuration is a sequence of NUL-terminated strings "TAG=VALUE":
 *   a=ARG        one argument of the command, in order (at least one)
 *   e=KEY=VALUE  one environment variable
 *   w=DIR        working directory (default /)
 *   u=UID[:GID]  numeric user and group (default 0:0)
 *   h=NAME       host name
 *   t=1          the command gets the console as its controlling terminal
 *   i=1          keep stdin (else /dev/null)
 *   m=DEV:PATH   mount the ext4 disk DEV read-only at PATH (-v HOST:PATH:ro)
 *   r=DEV        the ext4 disk DEV holds the writable layer (a detached VM's
 *                root volume, kept across `twinbox stop` and `start`)
 * Unknown tags are ignored, so older agents run newer configurations.
 *
 * Static, no libc beyond what glibc's static link gives, one file, so a
 * student can read it next to container/runtime/init_process.cpp, the same
 * steps on the host side.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/input.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_server.h"

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_FILE_DIR 0x19
#define EXIT_STATUS_PORT 0x604
#define EXIT_STATUS_SIGNATURE 'T' /* what a read of the port returns */
#define CONFIG_NAME "opt/twinbox/run"
#define CONFIG_MAX (64 * 1024)
#define MAX_ARGS 1024
#define MAX_INPUT_DEVICES 16
#define STOP_GRACE_SECONDS 5 /* SIGTERM to SIGKILL, docker stop's default is 10 */

static void say(const char* text) {
    /* Before the console is set up, stderr is the kernel's /dev/console. */
    ssize_t ignored = write(2, text, strlen(text));
    (void)ignored;
}

static void die(const char* what) {
    char line[512];
    snprintf(line, sizeof line, "twinbox-init: %s: %s\n", what, strerror(errno));
    say(line);
}

/* ---- fw_cfg: find and read one named file ---------------------------- */

static void fw_cfg_select(uint16_t key) {
    outw(key, FW_CFG_SELECTOR);
}

static void fw_cfg_read(void* buffer, size_t length) {
    uint8_t* bytes = buffer;
    for (size_t i = 0; i < length; ++i) bytes[i] = inb(FW_CFG_DATA);
}

/* Reads the file `name` into a new buffer; its size in *size. NULL if absent. */
static char* fw_cfg_file(const char* name, size_t* size) {
    uint32_t count_be;
    fw_cfg_select(FW_CFG_FILE_DIR);
    fw_cfg_read(&count_be, sizeof count_be);
    uint32_t count = __builtin_bswap32(count_be); /* the directory is big endian */
    if (count > 4096)
        return NULL;
    for (uint32_t i = 0; i < count; ++i) {
        struct {
            uint32_t size;
            uint16_t select;
            uint16_t reserved;
            char name[56];
        } entry;
        fw_cfg_read(&entry, sizeof entry);
        entry.name[sizeof entry.name - 1] = '\0';
        if (strcmp(entry.name, name) != 0)
            continue;
        uint32_t length = __builtin_bswap32(entry.size);
        if (length > CONFIG_MAX)
            return NULL;
        char* data = calloc(1, length + 1);
        if (data == NULL)
            return NULL;
        fw_cfg_select(__builtin_bswap16(entry.select));
        fw_cfg_read(data, length);
        *size = length;
        return data;
    }
    return NULL;
}

/* ---- the run configuration ------------------------------------------- */

struct config {
    char* argv[MAX_ARGS + 1];
    int argc;
    char* envp[MAX_ARGS + 1];
    int envc;
    const char *workdir, *hostname;
    uid_t uid;
    gid_t gid;
    int tty, stdin_open;
    char* mounts[32]; /* "DEV:PATH" */
    int mountc;
    const char* writable_disk; /* NULL: the writable layer is in RAM */
};

static int parse_config(char* data, size_t size, struct config* config) {
    memset(config, 0, sizeof *config);
    config->workdir = "/";
    for (size_t at = 0; at < size;) {
        char* item = data + at;
        size_t length = strnlen(item, size - at);
        at += length + 1; /* a missing final NUL is covered by the +1 of calloc */
        if (length < 2 || item[1] != '=')
            continue;
        char* value = item + 2;
        switch (item[0]) {
            case 'a':
                if (config->argc < MAX_ARGS)
                    config->argv[config->argc++] = value;
                break;
            case 'e':
                if (config->envc < MAX_ARGS && strchr(value, '=') != NULL)
                    config->envp[config->envc++] = value;
                break;
            case 'w':
                config->workdir = value;
                break;
            case 'h':
                config->hostname = value;
                break;
            case 'u': {
                char* end;
                unsigned long uid = strtoul(value, &end, 10), gid = 0;
                if (*end == ':')
                    gid = strtoul(end + 1, &end, 10);
                if (*end != '\0')
                    return -1;
                config->uid = (uid_t)uid;
                config->gid = (gid_t)gid;
                break;
            }
            case 't':
                config->tty = value[0] == '1';
                break;
            case 'i':
                config->stdin_open = value[0] == '1';
                break;
            case 'm':
                if (config->mountc < 32 && strchr(value, ':') != NULL && value[0] == '/')
                    config->mounts[config->mountc++] = value;
                break;
            case 'r':
                if (value[0] == '/')
                    config->writable_disk = value;
                break;
            default:
                break;
        }
    }
    return config->argc > 0 ? 0 : -1;
}

/* ---- the root: the read-only image plus a writable layer -------------- */

static void mount_or_warn(const char* source, const char* target, const char* type,
                          unsigned long flags, const char* data) {
    mkdir(target, 0755);
    if (mount(source, target, type, flags, data) != 0) {
        char what[256];
        snprintf(what, sizeof what, "mount %s on %s", type, target);
        die(what);
    }
}

/* The writable layer's file system on /.twinbox/rw (which the disk builder
 * adds to the image): the disk the configuration names, else a tmpfs. The
 * disk's driver may still be probing: wait for its node as for volumes. */
static int mount_writable_layer(const char* disk) {
    if (disk == NULL) {
        if (mount("tmpfs", "/.twinbox/rw", "tmpfs", 0, "mode=0755") != 0) {
            die("mount tmpfs on /.twinbox/rw");
            return -1;
        }
        return 0;
    }
    for (int tries = 0; tries < 300 && access(disk, F_OK) != 0; ++tries) usleep(10000);
    if (mount(disk, "/.twinbox/rw", "ext4", MS_NOSUID | MS_NODEV, NULL) != 0) {
        char what[256];
        snprintf(what, sizeof what, "mount the writable disk %s on /.twinbox/rw", disk);
        die(what);
        return -1;
    }
    return 0;
}

static int make_root(const char* writable_disk) {
    if (mount_writable_layer(writable_disk) != 0)
        return -1;
    mkdir("/.twinbox/rw/upper", 0755);
    mkdir("/.twinbox/rw/work", 0755);
    mkdir("/.twinbox/rw/root", 0755);
    if (mount("overlay", "/.twinbox/rw/root", "overlay", 0,
              "lowerdir=/,upperdir=/.twinbox/rw/upper,workdir=/.twinbox/rw/work") != 0) {
        die("mount overlay (is the overlay module in the initramfs?)");
        return -1;
    }
    mount_or_warn("proc", "/.twinbox/rw/root/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_warn("sysfs", "/.twinbox/rw/root/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  NULL);
    mount_or_warn("devtmpfs", "/.twinbox/rw/root/dev", "devtmpfs", MS_NOSUID, NULL);
    mount_or_warn("devpts", "/.twinbox/rw/root/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "gid=5,mode=620,ptmxmode=666");
    mount_or_warn("tmpfs", "/.twinbox/rw/root/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    if (chdir("/.twinbox/rw/root") != 0 || chroot(".") != 0 || chdir("/") != 0) {
        die("chroot into the container root");
        return -1;
    }
    return 0;
}

/* mkdir -p inside the container root. */
static void make_directories(char* path) {
    for (char* slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    mkdir(path, 0755);
}

/* -v volumes: each is a read-only ext4 disk; virtio-blk probes asynchronously,
 * so wait a little for the device node. */
static int mount_volumes(const struct config* config) {
    for (int i = 0; i < config->mountc; ++i) {
        char* spec = config->mounts[i];
        char* colon = strchr(spec, ':');
        *colon = '\0';
        const char* device = spec;
        char* target = colon + 1;
        for (int tries = 0; tries < 300 && access(device, F_OK) != 0; ++tries) usleep(10000);
        make_directories(target);
        if (mount(device, target, "ext4", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) {
            char what[512];
            snprintf(what, sizeof what, "mount the volume %s on %s", device, target);
            die(what);
            return -1;
        }
    }
    return 0;
}

/* The console for the workload: virtio-console's hvc0 once its driver has
 * bound (it is loaded by the initramfs, shortly before this runs), else the
 * kernel console. */
static int open_console(void) {
    for (int tries = 0; tries < 100; ++tries) {
        int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != ENOENT && errno != ENODEV && errno != ENXIO)
            break;
        usleep(10000);
    }
    return open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* ---- run, reap, report ------------------------------------------------ */

static void report_and_power_off(int status) {
    sync();
    if (inb(EXIT_STATUS_PORT) == EXIT_STATUS_SIGNATURE) {
        outb((uint8_t)status, EXIT_STATUS_PORT); /* the VMM ends the VM here */
    } else {
        /* A VMM without the port (QEMU): say it on the console, then power off. */
        char line[64];
        snprintf(line, sizeof line, "twinbox-init: exit status %d\n", status);
        say(line);
    }
    reboot(RB_POWER_OFF);
    for (;;) pause();
}

static void run_child(const struct config* config, int console, const sigset_t* mask) {
    sigprocmask(SIG_SETMASK, mask, NULL); /* PID 1 blocked SIGCHLD for its signalfd */
    setsid();
    int in = config->stdin_open ? console : open("/dev/null", O_RDONLY);
    if (dup2(in, 0) < 0 || dup2(console, 1) < 0 || dup2(console, 2) < 0)
        _exit(125);
    if (config->tty)
        ioctl(0, TIOCSCTTY, 0);
    if (config->hostname != NULL)
        sethostname(config->hostname, strlen(config->hostname));
    if (chdir(config->workdir) != 0) {
        fprintf(stderr, "twinbox-init: working directory %s: %s\n", config->workdir,
                strerror(errno));
        _exit(125);
    }
    if (setgroups(0, NULL) != 0 || setgid(config->gid) != 0 || setuid(config->uid) != 0) {
        fprintf(stderr, "twinbox-init: user %u:%u: %s\n", config->uid, config->gid,
                strerror(errno));
        _exit(125);
    }
    /* PATH lookup uses the image's PATH, as Docker's runtime does. */
    environ = (char**)config->envp;
    execvp(config->argv[0], config->argv);
    int saved = errno;
    fprintf(stderr, "twinbox-init: %s: %s\n", config->argv[0], strerror(saved));
    _exit(saved == ENOENT ? 127 : 126);
}

/* ---- the power button ------------------------------------------------ */

/* Opens every /dev/input/eventN (the ACPI button driver's "Power Button" is
 * one of them; the initramfs loads button.ko and evdev.ko). Returns how many
 * it opened into fds. None (an older initramfs) leaves the button unwatched. */
static int open_input_devices(struct pollfd* fds, int capacity) {
    DIR* directory = opendir("/dev/input");
    if (directory == NULL)
        return 0;
    int count = 0;
    struct dirent* entry;
    while (count < capacity && (entry = readdir(directory)) != NULL) {
        if (strncmp(entry->d_name, "event", 5) != 0)
            continue;
        char path[16 + sizeof entry->d_name];
        snprintf(path, sizeof path, "/dev/input/%s", entry->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            fds[count++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    closedir(directory);
    return count;
}

/* Whether a readable input device reported a press of KEY_POWER. */
static int power_button_pressed(int fd) {
    struct input_event events[16];
    int pressed = 0;
    ssize_t length;
    while ((length = read(fd, events, sizeof events)) > 0) {
        for (size_t i = 0; i < (size_t)length / sizeof events[0]; ++i)
            if (events[i].type == EV_KEY && events[i].code == KEY_POWER && events[i].value == 1)
                pressed = 1;
    }
    return pressed;
}

/* Reaps every exited process (PID 1 inherits orphans); returns 1 and sets
 * *status when `child` was one of them. */
static int reap(pid_t child, int* status) {
    int wait_status;
    pid_t pid;
    int done = 0;
    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
        if (pid == child) {
            *status =
                WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
            done = 1;
        }
    }
    return done;
}

/* Waits for the command to end while watching the power button; returns its
 * exit status (128 + N for signal N). fds[0] is the SIGCHLD signalfd. */
static int wait_for_command(pid_t child, struct pollfd* fds, int count) {
    int status = 125;
    struct timespec deadline = {0, 0}; /* when SIGKILL follows SIGTERM; 0: not stopping */
    for (;;) {
        if (reap(child, &status))
            return status;
        int timeout = -1;
        if (deadline.tv_sec != 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long left =
                (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
            if (left <= 0) {
                say("twinbox-init: the command outlived its grace; SIGKILL\n");
                kill(child, SIGKILL);
                deadline.tv_sec = 0;
                continue;
            }
            timeout = (int)left;
        }
        if (fds[0].fd < 0 && (timeout < 0 || timeout > 100))
            timeout = 100; /* no signalfd: look for the command's end ten times a second */
        if (poll(fds, (nfds_t)count, timeout) < 0 && errno != EINTR)
            return status;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            ssize_t ignored = read(fds[0].fd, &info, sizeof info);
            (void)ignored;
        }
        for (int i = 1; i < count; ++i) {
            if (!(fds[i].revents & POLLIN) || !power_button_pressed(fds[i].fd))
                continue;
            if (deadline.tv_sec == 0) {
                say("twinbox-init: power button: stopping the command (SIGTERM)\n");
                kill(child, SIGTERM);
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += STOP_GRACE_SECONDS;
            }
        }
    }
}

int main(void) {
    if (getpid() != 1) {
        say("twinbox-init: must run as PID 1 of a twinbox microVM\n");
        return 125;
    }
    /* Port access for fw_cfg and the exit-status port (we are root, in ring 3). */
    if (ioperm(FW_CFG_SELECTOR, 2, 1) != 0 || ioperm(EXIT_STATUS_PORT, 1, 1) != 0) {
        die("ioperm");
        reboot(RB_POWER_OFF);
    }
    size_t size = 0;
    char* data = fw_cfg_file(CONFIG_NAME, &size);
    static struct config config;
    if (data == NULL || parse_config(data, size, &config) != 0) {
        say("twinbox-init: no valid run configuration in fw_cfg " CONFIG_NAME "\n");
        report_and_power_off(125);
    }
    if (make_root(config.writable_disk) != 0 || mount_volumes(&config) != 0)
        report_and_power_off(125);
    /* The exec server: a child, so that PID 1 stays a plain reaper. */
    pid_t server = fork();
    if (server == 0) {
        serve_exec_channel(config.envp);
        _exit(0);
    }
    int console = open_console();
    if (console < 0) {
        die("open the console");
        report_and_power_off(125);
    }

    /* SIGCHLD arrives on a signalfd, so one poll() waits for the command and
     * the power button alike. */
    sigset_t child_signal, old_mask;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child_signal, &old_mask);
    struct pollfd fds[1 + MAX_INPUT_DEVICES];
    fds[0] = (struct pollfd){.fd = signalfd(-1, &child_signal, SFD_CLOEXEC), .events = POLLIN};
    int count = 1 + open_input_devices(fds + 1, MAX_INPUT_DEVICES);

    pid_t child = fork();
    if (child < 0) {
        die("fork");
        report_and_power_off(125);
    }
    if (child == 0)
        run_child(&config, console, &old_mask);

    /* PID 1 reaps every orphan; the VM's life is the command's. */
    int status = wait_for_command(child, fds, count);
    kill(-1, SIGKILL); /* what is left of the container goes with it */
    report_and_power_off(status);
    return status;
}
