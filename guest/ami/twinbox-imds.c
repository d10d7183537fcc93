/*
 * twinbox-imds: one HTTP request to the instance metadata service, for the
 * instance init of the provided AMI (guest/ami/twinbox-instance-init).
 *
 * busybox wget cannot send PUT, which IMDSv2 needs for its session token
 * (AWS EC2 User Guide, "Use the Instance Metadata Service to access instance
 * metadata": PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
 * then X-aws-ec2-metadata-token on every read), so this small static program
 * speaks HTTP/1.0 (RFC 1945) itself: one request, "Connection: close", the
 * body read to Content-Length or to the end of the stream.
 *
 * usage: twinbox-imds [--address IP] [--port N] [--token TOKEN]
 *                     [--ttl SECONDS] [--timeout SECONDS] GET|PUT PATH
 *
 * The body goes to stdout. Exit status, so the shell can tell them apart:
 *   0  2xx          4  404 (e.g. no user data)
 *   5  other HTTP   3  no connection / timeout     2  usage or bad reply
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kOk = 0, kUsage = 2, kUnreachable = 3, kNotFound = 4, kHttpError = 5 };

/* User data is at most 16 KiB (EC2's limit); a key or a name far less. */
#define MAX_REPLY (64 * 1024)

static void on_alarm(int signal_number) {
    (void)signal_number;
    static const char message[] = "twinbox-imds: the metadata service did not answer in time\n";
    ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
    _exit(kUnreachable);
}

static int write_all(int fd, const char* data, size_t length) {
    while (length > 0) {
        ssize_t done = write(fd, data, length);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        data += done;
        length -= (size_t)done;
    }
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: twinbox-imds [--address IP] [--port N] [--token TOKEN] [--ttl SECONDS] "
            "[--timeout SECONDS] GET|PUT PATH\n");
    return kUsage;
}

/* Finds header `name` (case-insensitive, RFC 1945 section 4.2) in `head`. */
static const char* find_header(const char* head, const char* name) {
    size_t length = strlen(name);
    for (const char* line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, name, length) == 0 && line[2 + length] == ':')
            return line + 3 + length;
    return NULL;
}

/* Whether `reply` holds the whole head and the Content-Length bytes after
 * it, so a server that keeps the connection open despite "Connection: close"
 * does not leave us waiting for the timeout. */
static int reply_complete(char* reply, size_t used) {
    char* end_of_head = strstr(reply, "\r\n\r\n");
    if (!end_of_head)
        return 0;
    end_of_head[2] = '\0';
    const char* content_length = find_header(reply, "Content-Length");
    end_of_head[2] = '\r';
    if (!content_length)
        return 0;
    long declared = strtol(content_length, NULL, 10);
    return declared >= 0 && used - (size_t)(end_of_head + 4 - reply) >= (size_t)declared;
}

int main(int argc, char** argv) {
    const char *address = "169.254.169.254", *token = NULL, *ttl = NULL;
    int port = 80, timeout = 5, i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--address") == 0)
            address = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--token") == 0)
            token = argv[i + 1];
        else if (strcmp(argv[i], "--ttl") == 0)
            ttl = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atoi(argv[i + 1]);
        else
            return usage();
    }
    if (argc - i != 2 || (strcmp(argv[i], "GET") != 0 && strcmp(argv[i], "PUT") != 0) ||
        argv[i + 1][0] != '/' || port <= 0 || port > 65535 || timeout <= 0)
        return usage();
    const char *method = argv[i], *path = argv[i + 1];

    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);

    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, address, &server.sin_addr) != 1)
        return usage();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&server, sizeof server) < 0) {
        fprintf(stderr, "twinbox-imds: cannot connect to %s:%d: %s\n", address, port,
                strerror(errno));
        return kUnreachable;
    }

    char request[2048];
    int length = snprintf(
        request, sizeof request,
        "%s %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n%s%s%s%s%s%s%s\r\n", method, path,
        address, token ? "X-aws-ec2-metadata-token: " : "", token ? token : "", token ? "\r\n" : "",
        ttl ? "X-aws-ec2-metadata-token-ttl-seconds: " : "", ttl ? ttl : "", ttl ? "\r\n" : "",
        strcmp(method, "PUT") == 0 ? "Content-Length: 0\r\n" : "");
    if (length < 0 || (size_t)length >= sizeof request)
        return usage();
    if (write_all(fd, request, (size_t)length) < 0) {
        fprintf(stderr, "twinbox-imds: cannot send the request: %s\n", strerror(errno));
        return kUnreachable;
    }

    static char reply[MAX_REPLY + 1];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd, reply + used, MAX_REPLY - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "twinbox-imds: reading the reply: %s\n", strerror(errno));
            return kUnreachable;
        }
        if (got == 0)
            break;
        used += (size_t)got;
        reply[used] = '\0';
        if (reply_complete(reply, used))
            break;
        if (used == MAX_REPLY) {
            fprintf(stderr, "twinbox-imds: the reply is over %d bytes\n", MAX_REPLY);
            return kUsage;
        }
    }
    reply[used] = '\0';
    close(fd);

    int status = 0;
    char* body = strstr(reply, "\r\n\r\n");
    if (!body || sscanf(reply, "HTTP/%*d.%*d %d", &status) != 1) {
        fprintf(stderr, "twinbox-imds: %s %s: not an HTTP reply\n", method, path);
        return kUsage;
    }
    body[2] = '\0'; /* ends the head after its last header line */
    body += 4;
    size_t body_length = used - (size_t)(body - reply);
    const char* content_length = find_header(reply, "Content-Length");
    if (content_length) {
        long declared = strtol(content_length, NULL, 10);
        if (declared >= 0 && (size_t)declared < body_length)
            body_length = (size_t)declared;
    }
    if (status == 404)
        return kNotFound;
    if (status < 200 || status > 299) {
        fprintf(stderr, "twinbox-imds: %s %s: HTTP %d\n", method, path, status);
        return kHttpError;
    }
    return write_all(STDOUT_FILENO, body, body_length) < 0 ? kUsage : kOk;
}
