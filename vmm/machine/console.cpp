#include "vmm/machine/console.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "vmm/agent/protocol.h"

namespace twinbox {

void FdSink::write(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        ssize_t written = ::write(m_fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno == EAGAIN) {
            // A non-blocking terminal is full: wait for room rather than drop guest output.
            pollfd waiter{m_fd, POLLOUT, 0};
            ::poll(&waiter, 1, 100);
            continue;
        }
        if (written <= 0)
            return;  // the reader went away; the guest keeps running
        bytes = bytes.subspan(static_cast<size_t>(written));
    }
}

Result<std::unique_ptr<RawTerminal>> RawTerminal::enter(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) < 0)
        return Error::from_errno("tcgetattr", "stdin");
    termios raw = saved;
    // cfmakeraw() minus output post-processing changes: the guest sends its own \r\n.
    ::cfmakeraw(&raw);
    raw.c_oflag |= OPOST;
    if (::tcsetattr(fd, TCSANOW, &raw) < 0)
        return Error::from_errno("tcsetattr", "stdin");
    return std::unique_ptr<RawTerminal>(new RawTerminal(fd, saved));
}

RawTerminal::~RawTerminal() {
    ::tcsetattr(m_fd, TCSANOW, &m_saved);
}

EscapeDecoder::Output EscapeDecoder::feed(std::span<const uint8_t> input) {
    Output output;
    for (uint8_t byte : input) {
        if (!m_escape_pending) {
            if (byte == kEscape)
                m_escape_pending = true;
            else
                output.to_guest.push_back(byte);
            continue;
        }
        m_escape_pending = false;
        if (byte == 'x' || byte == 'X') {
            output.quit = true;
            return output;
        }
        // Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A followed by anything else sends both.
        output.to_guest.push_back(kEscape);
        if (byte != kEscape)
            output.to_guest.push_back(byte);
    }
    return output;
}

EscapeDecoder::Output ConsoleInput::feed(std::span<const uint8_t> input) {
    if (m_mode == Mode::keystrokes)
        return m_decoder.feed(input);
    EscapeDecoder::Output output;
    // Pieces of at most kMaxPayload, so append_frame cannot fail; never an
    // empty frame, which would end the guest's input.
    while (!input.empty()) {
        auto piece = input.first(std::min<size_t>(input.size(), agent::kMaxPayload));
        (void)agent::append_frame(output.to_guest, agent::FrameType::stdin_data, piece);
        input = input.subspan(piece.size());
    }
    return output;
}

std::vector<uint8_t> ConsoleInput::end() const {
    std::vector<uint8_t> bytes;
    if (m_mode == Mode::frames)
        (void)agent::append_frame(bytes, agent::FrameType::stdin_data, {});
    return bytes;
}

}  // namespace twinbox
