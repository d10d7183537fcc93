// Raw mode and the copy loop between the user's terminal and the pty master.
#include "container/engine/terminal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <utility>

namespace twinbox::container {

namespace {

std::atomic<bool> g_window_changed{false};

void on_window_change(int) {
    g_window_changed = true;
}

void copy_window_size(int from, int to) {
    struct winsize size {};
    if (::ioctl(from, TIOCGWINSZ, &size) == 0)
        ::ioctl(to, TIOCSWINSZ, &size);
}

bool write_all(int fd, const char* data, ssize_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, static_cast<size_t>(size));
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        data += written;
        size -= written;
    }
    return true;
}

}  // namespace

Result<RawTerminal> RawTerminal::enter(int fd) {
    RawTerminal terminal;
    if (::tcgetattr(fd, &terminal.m_saved) < 0)
        return Error::from_errno("tcgetattr", "the terminal");
    struct termios raw = terminal.m_saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) < 0)
        return Error::from_errno("tcsetattr", "the terminal");
    terminal.m_fd = fd;
    return terminal;
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_saved(other.m_saved) {}

RawTerminal::~RawTerminal() {
    if (m_fd >= 0)
        ::tcsetattr(m_fd, TCSANOW, &m_saved);
}

void relay_terminal(int master, int input_fd, int output_fd) {
    struct sigaction action {};
    action.sa_handler = on_window_change;
    ::sigaction(SIGWINCH, &action, nullptr);
    if (input_fd >= 0 && ::isatty(input_fd))
        copy_window_size(input_fd, master);
    char buffer[8192];
    bool input_open = input_fd >= 0;
    for (;;) {
        if (g_window_changed.exchange(false) && input_fd >= 0)
            copy_window_size(input_fd, master);
        struct pollfd fds[2] = {{master, POLLIN, 0}, {input_open ? input_fd : -1, POLLIN, 0}};
        int ready = ::poll(fds, 2, -1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return;
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = ::read(master, buffer, sizeof(buffer));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return;  // EIO: the container side is closed
            if (!write_all(output_fd, buffer, got))
                return;
        }
        if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = ::read(input_fd, buffer, sizeof(buffer));
            if (got <= 0) {
                input_open = false;
                // End of input (a pipe, not a terminal): send the EOF character.
                char eof = 4;
                (void)!::write(master, &eof, 1);
            } else if (!write_all(master, buffer, got)) {
                return;
            }
        }
    }
}

}  // namespace twinbox::container
