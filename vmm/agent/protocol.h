// The guest agent's exec protocol: how `twinbox vm exec` runs a command in a
// running VM (docs/tools.md, "Agent channel and vm exec").
//
//   twinbox vm exec ──▶ $RUN/vms/NAME/agent.sock ──▶ VMM (AgentChannel) ──▶
//       second virtio-console, /dev/hvc1 in the guest ──▶ twinbox-init's exec server
//
// The channel is a byte stream cut into frames, the same in both directions:
//
//   +--------+------------------------+------------------------+
//   | type   | length (le32)          | payload (length bytes) |
//   | 1 byte | at most kMaxPayload    |                        |
//   +--------+------------------------+------------------------+
//
// Host to guest:
//   'Q' request   "TAG=VALUE\0" strings, as the agent's fw_cfg configuration:
//                 a=ARG (one per argument, at least one), e=KEY=VALUE (added
//                 to, or replacing, the workload's environment), u=USER
//                 (UID[:GID] or a name from the guest's /etc/passwd),
//                 w=DIR (working directory, default /), t=1 (a pseudo-terminal:
//                 stdout and stderr merged), n=NONCE (echoed in 'S').
//   'I' stdin     bytes for the command's stdin; an empty one closes it (EOF).
//                 The same frame, alone, carries the workload's piped stdin on
//                 hvc0 (`run -i` without -t; vmm/machine/console.h ConsoleInput).
//   'H' hang-up   the client went away (sent by the VMM, never by a client):
//                 the agent kills the command's process group.
// Guest to host:
//   'S' started   the request's nonce: frames before it belong to an earlier
//                 session whose client left, and the client skips them. An
//                 empty 'S' says the agent listens (sent once, at start): the
//                 VMM holds client frames until the guest's first frame.
//   'O' stdout, 'E' stderr: output bytes.
//   'X' exit      le32 exit status (128+N for signal N); ends the session.
// VMM to client:
//   'B' busy      text: the channel is taken by another client, or broken.
//
// One session at a time: the agent serves a request until its 'X', then
// reads the next one. The VMM and the host client treat everything that
// comes from the guest as hostile: a frame type they do not know or a length
// over kMaxPayload ends the session with an error, and nothing is allocated
// before the length is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::agent {

inline constexpr size_t kHeaderSize = 5;            // type + le32 length
inline constexpr uint32_t kMaxPayload = 64 * 1024;  // the agent's CONFIG_MAX and buffer size

enum class FrameType : uint8_t {
    request = 'Q',
    stdin_data = 'I',
    hang_up = 'H',
    started = 'S',
    stdout_data = 'O',
    stderr_data = 'E',
    exit = 'X',
    busy = 'B',
};

struct Frame {
    FrameType type;
    std::vector<uint8_t> payload;
};

// Whether `byte` names a frame type of this protocol.
bool known_frame_type(uint8_t byte);

// Appends one frame; a payload over kMaxPayload is an error.
Result<void> append_frame(std::vector<uint8_t>& out, FrameType type,
                          std::span<const uint8_t> payload);
std::vector<uint8_t> exit_payload(int status);
// The status of an 'X' payload; anything but 4 bytes is an error.
Result<int> parse_exit_payload(std::span<const uint8_t> payload);

// Cuts a byte stream into frames. feed() takes any number of bytes (a frame
// may arrive in pieces); next() returns complete frames in order. The first
// bad header (unknown type, length over the limit) puts the decoder into a
// failed state for good: a stream cannot be resynchronised.
class FrameDecoder {
public:
    explicit FrameDecoder(uint32_t max_payload = kMaxPayload) : m_max_payload(max_payload) {}
    void feed(std::span<const uint8_t> bytes);
    // A complete frame, nothing (more bytes needed), or the error that failed the stream.
    Result<std::optional<Frame>> next();
    // Bytes held for an incomplete frame.
    size_t buffered() const { return m_buffer.size() - m_consumed; }
    // Forgets a partial frame (the peer that was sending it left).
    void clear();

private:
    uint32_t m_max_payload;
    std::vector<uint8_t> m_buffer;
    size_t m_consumed = 0;
    std::optional<std::string> m_failure;
};

// The 'Q' payload for a request (fails on a NUL inside a string, an argument
// list that is empty, or a request over kMaxPayload).
struct ExecRequestFields {
    std::vector<std::string> argv, env;
    std::string user, workdir;
    bool tty = false;
    uint64_t nonce = 0;
};
Result<std::vector<uint8_t>> encode_request(const ExecRequestFields& request);
// Appends one "TAG=VALUE\0" field (also the agent's fw_cfg configuration,
// vmm/machine/vm_workload.h); a NUL inside `value` is an error.
Result<void> append_field(std::vector<uint8_t>& out, char tag, std::string_view value);
std::string nonce_text(uint64_t nonce);

}  // namespace twinbox::agent
