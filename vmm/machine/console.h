// Console: the host terminal side of the guest's serial port.
//
// Guest output goes to stdout (or a file) through a ByteSink. Host input is
// read from stdin and handed to the UART's receive FIFO; when stdin is a
// terminal it is switched to raw mode, so that keys like Ctrl-C reach the
// guest, and restored when the Console is destroyed, on every exit path.
// As in QEMU, Ctrl-A x quits and Ctrl-A Ctrl-A sends a literal Ctrl-A.
#pragma once

#include <termios.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/devices/bus.h"

namespace twinbox {

// Writes everything to a file descriptor, retrying short writes.
class FdSink : public ByteSink {
public:
    explicit FdSink(int fd, UniqueFd owned = {}) : m_fd(fd), m_owned(std::move(owned)) {}
    void write(std::span<const uint8_t> bytes) override;

private:
    int m_fd;
    UniqueFd m_owned;
};

class NullSink : public ByteSink {
public:
    void write(std::span<const uint8_t>) override {}
};

// Puts a terminal in raw mode for its lifetime.
class RawTerminal {
public:
    static Result<std::unique_ptr<RawTerminal>> enter(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    RawTerminal(int fd, const termios& saved) : m_fd(fd), m_saved(saved) {}
    int m_fd;
    termios m_saved;
};

// Splits host keystrokes into bytes for the guest and the Ctrl-A commands.
class EscapeDecoder {
public:
    static constexpr uint8_t kEscape = 0x01;  // Ctrl-A
    struct Output {
        std::vector<uint8_t> to_guest;
        bool quit = false;
    };
    Output feed(std::span<const uint8_t> input);

private:
    bool m_escape_pending = false;
};

// What twinbox's stdin becomes on the guest's console. Keystrokes (`vm run`,
// `run -it`): the bytes as typed, Ctrl-A x quitting (EscapeDecoder). Frames
// (`run -i` without -t): every read wrapped in one 'I' frame of the agent
// protocol (vmm/agent/protocol.h) and an empty 'I' at the end of the input,
// with no escape, since piped input is data; the guest agent unwraps them
// into a pipe, so the command reads the bytes and then end-of-file
// (guest/agent/twinbox-init.c, stdin_for).
class ConsoleInput {
public:
    enum class Mode { keystrokes, frames };
    // How much to read from stdin at once (larger reads make longer frames).
    static constexpr size_t kReadSize = 16 * 1024;

    explicit ConsoleInput(Mode mode) : m_mode(mode) {}
    Mode mode() const { return m_mode; }
    // Bytes for the guest for one read of stdin.
    EscapeDecoder::Output feed(std::span<const uint8_t> input);
    // Bytes for the guest once stdin has ended.
    std::vector<uint8_t> end() const;

private:
    Mode m_mode;
    EscapeDecoder m_decoder;
};

}  // namespace twinbox
