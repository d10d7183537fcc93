// `-it`: the user's terminal connected to the container's pty.
//
//   user's terminal (raw mode) <--- relay loop (poll) ---> pty master
//                                                             |
//                                        container: /dev/pts/0 = stdin/out/err
//
// In raw mode (termios(3), cfmakeraw) the user's terminal passes every key
// through (Ctrl-C included) for the container's own line discipline to
// interpret, exactly once.
#pragma once

#include <termios.h>

#include "common/result.h"

namespace twinbox::container {

// Puts a terminal in raw mode; restores it when destroyed.
class RawTerminal {
public:
    static Result<RawTerminal> enter(int fd);
    RawTerminal(RawTerminal&& other) noexcept;
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    RawTerminal& operator=(RawTerminal&&) = delete;
    ~RawTerminal();

private:
    RawTerminal() = default;
    int m_fd = -1;
    struct termios m_saved {};
};

// Copies input_fd -> master and master -> output_fd until the master
// reports hang-up (every holder of the slave has closed it). input_fd may be
// -1 (detached: output only). The window size follows input_fd's (SIGWINCH).
void relay_terminal(int master, int input_fd, int output_fd);

}  // namespace twinbox::container
