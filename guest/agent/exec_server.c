/*
 * The guest agent's exec server: `twinbox vm exec` inside the VM.
 *
 * twinbox-init forks this into a child process once the container root is
 * set up, so every command it runs sees the same root, /proc and /dev as the
 * workload. It serves the agent channel, the second virtio-console
 * (/dev/hvc1; the workload's console is hvc0), one session at a time:
 *
 *   read a request ('Q') -> fork, set env/user/workdir, exec -> 'S' nonce
 *   relay: 'I' -> the command's stdin; its stdout/stderr -> 'O'/'E'
 *   the command ends -> 'X' status (128+N for signal N) -> the next request
 *
 * The frames (type byte, le32 length, payload of at most 64 KiB) and the
 * request's "TAG=VALUE\0" fields are specified in vmm/agent/protocol.h. The
 * host end is the VMM, which only passes on frames it has checked; a frame
 * that is still malformed (an oversized length) makes the server drop what it
 * has buffered rather than read past its buffer.
 *
 * The same frames carry piped stdin (`twinbox run -i --isolation vm`, no -t)
 * from the console hvc0 to the workload: relay_workload_stdin().
 */
#define _GNU_SOURCE
#include "exec_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define AGENT_DEVICE "/dev/hvc1"
#define HEADER 5
#define MAX_PAYLOAD (64 * 1024)
#define MAX_FIELDS 1024
#define STDIN_BUFFER (256 * 1024)

/* ---- frames ------------------------------------------------------------ */

struct reader {
    int fd;
    size_t have;
    uint8_t buffer[HEADER + MAX_PAYLOAD];
};

static int write_all(int fd, const void* data, size_t length) {
    const uint8_t* bytes = data;
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno == EAGAIN) {
            struct pollfd waiter = {fd, POLLOUT, 0};
            poll(&waiter, 1, 100);
            continue;
        }
        if (written <= 0)
            return -1;
        bytes += written;
        length -= (size_t)written;
    }
    return 0;
}

static void send_frame(int fd, char type, const void* payload, uint32_t length) {
    uint8_t header[HEADER] = {(uint8_t)type, length & 0xff, (length >> 8) & 0xff,
                              (length >> 16) & 0xff, length >> 24};
    write_all(fd, header, HEADER);
    if (length > 0)
        write_all(fd, payload, length);
}

static uint32_t frame_length(const struct reader* reader) {
    const uint8_t* b = reader->buffer;
    return b[1] | b[2] << 8 | b[3] << 16 | (uint32_t)b[4] << 24;
}

/* Reads what the channel has; -1 when it cannot be read any more. */
static int read_some(struct reader* reader) {
    ssize_t got =
        read(reader->fd, reader->buffer + reader->have, sizeof reader->buffer - reader->have);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (got <= 0)
        return -1;
    reader->have += (size_t)got;
    return 0;
}

/* 1 when a whole frame starts the buffer (its type, payload and length out). */
static int next_frame(struct reader* reader, char* type, uint8_t** payload, uint32_t* length) {
    if (reader->have < HEADER)
        return 0;
    uint32_t size = frame_length(reader);
    if (size > MAX_PAYLOAD) {
        reader->have = 0; /* cannot resynchronise: drop it all */
        return 0;
    }
    if (reader->have < HEADER + size)
        return 0;
    *type = (char)reader->buffer[0];
    *payload = reader->buffer + HEADER;
    *length = size;
    return 1;
}

static void consume_frame(struct reader* reader) {
    size_t used = HEADER + frame_length(reader);
    memmove(reader->buffer, reader->buffer + used, reader->have - used);
    reader->have -= used;
}

/* ---- the request -------------------------------------------------------- */

struct request {
    char* argv[MAX_FIELDS + 1];
    int argc;
    char* env[MAX_FIELDS + 1];
    int envc;
    const char* user;
    const char* workdir;
    const char* nonce;
    int tty;
    char text[MAX_PAYLOAD + 1];
};

static int parse_request(struct request* request, const uint8_t* payload, uint32_t length) {
    memset(request, 0, offsetof(struct request, text));
    memcpy(request->text, payload, length);
    request->text[length] = '\0';
    request->workdir = "/";
    request->nonce = "";
    for (size_t at = 0; at < length;) {
        char* item = request->text + at;
        size_t size = strnlen(item, length - at);
        at += size + 1;
        if (size < 2 || item[1] != '=')
            continue;
        char* value = item + 2;
        if (item[0] == 'a' && request->argc < MAX_FIELDS)
            request->argv[request->argc++] = value;
        else if (item[0] == 'e' && request->envc < MAX_FIELDS && strchr(value, '=') != NULL)
            request->env[request->envc++] = value;
        else if (item[0] == 'u')
            request->user = value;
        else if (item[0] == 'w')
            request->workdir = value;
        else if (item[0] == 't')
            request->tty = value[0] == '1';
        else if (item[0] == 'n')
            request->nonce = value;
    }
    return request->argc > 0 ? 0 : -1;
}

/* The workload's environment with the request's entries added or replacing. */
static char** merged_environment(char* const* workload_env, const struct request* request) {
    static char* merged[2 * MAX_FIELDS + 2];
    int count = 0;
    for (int i = 0; workload_env[i] != NULL && count < MAX_FIELDS; ++i) {
        size_t key = strcspn(workload_env[i], "=") + 1;
        int replaced = 0;
        for (int j = 0; j < request->envc; ++j)
            replaced |= strncmp(workload_env[i], request->env[j], key) == 0;
        if (!replaced)
            merged[count++] = workload_env[i];
    }
    for (int j = 0; j < request->envc; ++j) merged[count++] = request->env[j];
    merged[count] = NULL;
    return merged;
}

/* ---- user names (the guest's /etc/passwd and /etc/group) ---------------- */

/* Looks NAME up in FILE ("name:x:ID:GID:..."); returns 0 and fills the ids. */
static int lookup_name(const char* file, const char* name, size_t name_length, unsigned long* id,
                       unsigned long* gid) {
    FILE* stream = fopen(file, "re");
    if (stream == NULL)
        return -1;
    char line[1024];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, stream) != NULL) {
        char* fields[4] = {line, NULL, NULL, NULL};
        for (int i = 1; i < 4 && fields[i - 1] != NULL; ++i) {
            char* colon = strchr(fields[i - 1], ':');
            fields[i] = colon != NULL ? colon + 1 : NULL;
        }
        if (fields[3] == NULL || (size_t)(fields[1] - line - 1) != name_length ||
            strncmp(line, name, name_length) != 0)
            continue;
        *id = strtoul(fields[2], NULL, 10);
        *gid = strtoul(fields[3], NULL, 10);
        found = 0;
    }
    fclose(stream);
    return found;
}

/* USER[:GROUP], each a number or a name; a user name gives its primary group. */
static int resolve_user(const char* spec, uid_t* uid, gid_t* gid) {
    unsigned long user = 0, group = 0, ignored;
    size_t user_length = strcspn(spec, ":");
    char* end;
    user = strtoul(spec, &end, 10);
    if (user_length == 0)
        return -1;
    if (end != spec + user_length &&
        lookup_name("/etc/passwd", spec, user_length, &user, &group) != 0)
        return -1;
    if (spec[user_length] == ':') {
        const char* name = spec + user_length + 1;
        group = strtoul(name, &end, 10);
        if (*name == '\0' ||
            (*end != '\0' && lookup_name("/etc/group", name, strlen(name), &group, &ignored) != 0))
            return -1;
    }
    *uid = (uid_t)user;
    *gid = (gid_t)group;
    return 0;
}

/* ---- one session --------------------------------------------------------- */

struct command {
    pid_t pid;
    int in, out, err; /* the parent's ends; -1 once closed */
};

/* In the child: the request's user, directory and program. Never returns. */
static void exec_child(const struct request* request, char** env) {
    uid_t uid = 0;
    gid_t gid = 0;
    if (request->user != NULL && resolve_user(request->user, &uid, &gid) != 0) {
        fprintf(stderr, "twinbox-init: unknown user %s\n", request->user);
        _exit(126);
    }
    if (chdir(request->workdir) != 0) {
        fprintf(stderr, "twinbox-init: working directory %s: %s\n", request->workdir,
                strerror(errno));
        _exit(126);
    }
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        fprintf(stderr, "twinbox-init: user %u:%u: %s\n", uid, gid, strerror(errno));
        _exit(126);
    }
    signal(SIGPIPE, SIG_DFL);
    environ = env; /* execvp searches the command's PATH, as docker exec does */
    execvp(request->argv[0], request->argv);
    int saved = errno;
    fprintf(stderr, "twinbox-init: %s: %s\n", request->argv[0], strerror(saved));
    _exit(saved == ENOENT ? 127 : 126);
}

static int start_command(const struct request* request, char** env, struct command* command) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int terminal = -1;
    if (request->tty) {
        terminal = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (terminal < 0 || grantpt(terminal) != 0 || unlockpt(terminal) != 0)
            return -1;
    } else if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
               pipe2(err, O_CLOEXEC) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setsid(); /* its own process group, so a hang-up kills all of it */
        if (request->tty) {
            int slave = open(ptsname(terminal), O_RDWR);
            if (slave < 0)
                _exit(126);
            ioctl(slave, TIOCSCTTY, 0);
            in[0] = out[1] = err[1] = slave;
        }
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
            _exit(126);
        exec_child(request, env);
    }
    command->pid = pid;
    if (request->tty) {
        command->in = terminal;
        command->out = dup(terminal);
        command->err = -1;
    } else {
        close(in[0]);
        close(out[1]);
        close(err[1]);
        command->in = in[1];
        command->out = out[0];
        command->err = err[0];
    }
    fcntl(command->in, F_SETFL, O_NONBLOCK);
    fcntl(command->out, F_SETFL, O_NONBLOCK);
    if (command->err >= 0)
        fcntl(command->err, F_SETFL, O_NONBLOCK);
    return 0;
}

static void close_fd(int* fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Sends what `*fd` has as frames of `type`; closes it at its end (EOF, or EIO
 * on a pty). Returns 1 when it stopped with more to read (a turn for stdin). */
static int relay_output(int channel, int* fd, char type) {
    static uint8_t buffer[16 * 1024];
    for (int round = 0; round < 16; ++round) {
        if (*fd < 0)
            return 0;
        ssize_t got = read(*fd, buffer, sizeof buffer);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (got <= 0) {
            close_fd(fd);
            return 0;
        }
        send_frame(channel, type, buffer, (uint32_t)got);
    }
    return 1;
}

static int status_of(int wait_status) {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

/* Relays until the command has ended and its output is drained; returns its status. */
static int relay(struct reader* reader, struct command* command, int tty) {
    static uint8_t pending[STDIN_BUFFER];
    size_t pending_length = 0;
    int stdin_eof = 0, hung_up = 0, status = -1;
    while (command->out >= 0 || command->err >= 0) {
        int take_input = !hung_up && pending_length + HEADER + MAX_PAYLOAD <= sizeof pending;
        struct pollfd fds[] = {{take_input ? reader->fd : -1, POLLIN, 0},
                               {pending_length > 0 ? command->in : -1, POLLOUT, 0},
                               {command->out, POLLIN, 0},
                               {command->err, POLLIN, 0}};
        poll(fds, 4, status < 0 ? 100 : 0);
        if (fds[0].revents & POLLIN)
            read_some(reader);
        char type;
        uint8_t* payload;
        uint32_t length;
        /* A request after a hang-up stays in the buffer for the next session. */
        while (!hung_up && next_frame(reader, &type, &payload, &length)) {
            if (type == 'Q')
                break;
            if (type == 'I' && length == 0)
                stdin_eof = 1;
            else if (type == 'I' && command->in >= 0) {
                memcpy(pending + pending_length, payload, length);
                pending_length += length;
            } else if (type == 'H') {
                kill(-command->pid, SIGKILL);
                hung_up = 1;
            }
            consume_frame(reader);
        }
        if (pending_length > 0 && command->in >= 0) {
            ssize_t written = write(command->in, pending, pending_length);
            if (written < 0 && errno != EAGAIN && errno != EINTR)
                pending_length = 0, close_fd(&command->in); /* it closed its stdin */
            else if (written > 0) {
                memmove(pending, pending + written, pending_length - (size_t)written);
                pending_length -= (size_t)written;
            }
        }
        /* On a pty, closing the master would hang the command up: EOF is only for pipes. */
        if (stdin_eof && pending_length == 0 && !tty)
            close_fd(&command->in);
        /* Reap first, then drain: what it wrote before it ended is in the pipe by now. */
        int wait_status;
        if (status < 0 && waitpid(command->pid, &wait_status, WNOHANG) == command->pid)
            status = status_of(wait_status);
        int more = relay_output(reader->fd, &command->out, 'O');
        more |= relay_output(reader->fd, &command->err, 'E');
        /* Once it has ended, a background child holding the output must not keep us here. */
        if (status >= 0 && !more)
            break;
    }
    close_fd(&command->in);
    close_fd(&command->out);
    close_fd(&command->err);
    int wait_status;
    if (status < 0 && waitpid(command->pid, &wait_status, 0) == command->pid)
        status = status_of(wait_status);
    return status < 0 ? 125 : status;
}

static void serve_request(struct reader* reader, const uint8_t* payload, uint32_t length,
                          char* const* workload_env) {
    static struct request request;
    int failed = parse_request(&request, payload, length);
    consume_frame(reader); /* the request's fields are copied into `request` */
    send_frame(reader->fd, 'S', request.nonce, (uint32_t)strlen(request.nonce));
    struct command command = {-1, -1, -1, -1};
    int status = 125;
    if (failed) {
        const char text[] = "twinbox-init: the exec request has no command\n";
        send_frame(reader->fd, 'E', text, sizeof text - 1);
    } else if (start_command(&request, merged_environment(workload_env, &request), &command) != 0) {
        char text[128];
        int size = snprintf(text, sizeof text, "twinbox-init: cannot start: %s\n", strerror(errno));
        send_frame(reader->fd, 'E', text, (uint32_t)size);
    } else {
        status = relay(reader, &command, request.tty);
    }
    uint8_t exit_payload[4] = {status & 0xff, (status >> 8) & 0xff, 0, 0};
    send_frame(reader->fd, 'X', exit_payload, 4);
}

static int open_channel(void) {
    /* virtio_console is loaded before we run; the node may take a moment under TCG. */
    for (int tries = 0; tries < 1000; ++tries) {
        int fd = open(AGENT_DEVICE, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
            struct termios raw;
            if (tcgetattr(fd, &raw) == 0) {
                cfmakeraw(&raw); /* frames are binary: no echo, no CR/LF translation */
                tcsetattr(fd, TCSANOW, &raw);
            }
            return fd;
        }
        usleep(10000);
    }
    return -1;
}

void relay_workload_stdin(int console, int pipe_out) {
    signal(SIGPIPE, SIG_IGN); /* a command that stopped reading: write() fails, we leave */
    static struct reader reader;
    reader.fd = console;
    for (;;) {
        char type;
        uint8_t* payload;
        uint32_t length;
        while (next_frame(&reader, &type, &payload, &length)) {
            if (type == 'I' && length == 0)
                _exit(0); /* end of input: the pipe closes, the command reads EOF */
            if (type == 'I' && write_all(pipe_out, payload, length) != 0)
                _exit(0); /* the command closed its stdin */
            consume_frame(&reader);
        }
        if (read_some(&reader) < 0)
            _exit(0);
    }
}

void serve_exec_channel(char* const* workload_env) {
    signal(SIGPIPE, SIG_IGN); /* a command that closed its stdin must not end the server */
    static struct reader reader;
    reader.fd = open_channel();
    if (reader.fd < 0)
        _exit(0);                      /* a VMM without the channel: nothing to serve */
    send_frame(reader.fd, 'S', "", 0); /* listening, in raw mode: the VMM may send now */
    for (;;) {
        char type;
        uint8_t* payload;
        uint32_t length;
        while (next_frame(&reader, &type, &payload, &length)) {
            if (type == 'Q')
                serve_request(&reader, payload, length, workload_env);
            else
                consume_frame(&reader); /* stdin or a hang-up of a session already over */
        }
        struct pollfd waiter = {reader.fd, POLLIN, 0};
        poll(&waiter, 1, -1);
        if (read_some(&reader) < 0)
            usleep(100000); /* the port is not open on the host side yet */
    }
}
