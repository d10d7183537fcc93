// The agent channel's framing (see protocol.h).
#include "vmm/agent/protocol.h"

#include <fmt/format.h>

#include <algorithm>

namespace twinbox::agent {

bool known_frame_type(uint8_t byte) {
    switch (static_cast<FrameType>(byte)) {
        case FrameType::request:
        case FrameType::stdin_data:
        case FrameType::hang_up:
        case FrameType::started:
        case FrameType::stdout_data:
        case FrameType::stderr_data:
        case FrameType::exit:
        case FrameType::busy:
            return true;
    }
    return false;
}

Result<void> append_frame(std::vector<uint8_t>& out, FrameType type,
                          std::span<const uint8_t> payload) {
    if (payload.size() > kMaxPayload)
        return Error::message(fmt::format("an agent frame of {} bytes is over the {} byte limit",
                                          payload.size(), kMaxPayload));
    auto length = static_cast<uint32_t>(payload.size());
    out.push_back(static_cast<uint8_t>(type));
    for (int shift = 0; shift < 32; shift += 8) out.push_back((length >> shift) & 0xff);
    out.insert(out.end(), payload.begin(), payload.end());
    return ok();
}

std::vector<uint8_t> exit_payload(int status) {
    auto value = static_cast<uint32_t>(status);
    return {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
            static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
}

Result<int> parse_exit_payload(std::span<const uint8_t> payload) {
    if (payload.size() != 4)
        return Error::message(
            fmt::format("the agent's exit frame has {} bytes instead of 4", payload.size()));
    uint32_t value =
        payload[0] | payload[1] << 8 | payload[2] << 16 | static_cast<uint32_t>(payload[3]) << 24;
    if (value > 255)
        return Error::message(fmt::format("the agent reported exit status {} (over 255)", value));
    return static_cast<int>(value);
}

void FrameDecoder::feed(std::span<const uint8_t> bytes) {
    if (m_failure)
        return;
    // Drop what earlier frames used before growing, so the buffer stays one frame big.
    if (m_consumed > 0) {
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<ptrdiff_t>(m_consumed));
        m_consumed = 0;
    }
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> FrameDecoder::next() {
    if (m_failure)
        return Error::message(*m_failure);
    std::span<const uint8_t> rest(m_buffer.data() + m_consumed, m_buffer.size() - m_consumed);
    if (rest.size() < kHeaderSize)
        return std::optional<Frame>();
    uint32_t length = rest[1] | rest[2] << 8 | rest[3] << 16 | static_cast<uint32_t>(rest[4]) << 24;
    if (!known_frame_type(rest[0]))
        m_failure = fmt::format("unknown agent frame type {:#04x}", rest[0]);
    else if (length > m_max_payload)
        m_failure = fmt::format("an agent frame of {} bytes is over the {} byte limit", length,
                                m_max_payload);
    if (m_failure)
        return Error::message(*m_failure);
    if (rest.size() - kHeaderSize < length)
        return std::optional<Frame>();
    Frame frame{
        static_cast<FrameType>(rest[0]),
        std::vector<uint8_t>(rest.begin() + kHeaderSize, rest.begin() + kHeaderSize + length)};
    m_consumed += kHeaderSize + length;
    return std::optional<Frame>(std::move(frame));
}

void FrameDecoder::clear() {
    m_buffer.clear();
    m_consumed = 0;
}

Result<void> append_field(std::vector<uint8_t>& out, char tag, std::string_view value) {
    if (value.find('\0') != std::string_view::npos)
        return Error::message(fmt::format("a NUL byte in \"{}\" cannot be passed to the VM",
                                          value.substr(0, value.find('\0'))));
    out.push_back(static_cast<uint8_t>(tag));
    out.push_back('=');
    out.insert(out.end(), value.begin(), value.end());
    out.push_back('\0');
    return ok();
}

std::string nonce_text(uint64_t nonce) {
    return fmt::format("{:016x}", nonce);
}

Result<std::vector<uint8_t>> encode_request(const ExecRequestFields& request) {
    if (request.argv.empty())
        return Error::message("no command to run in the VM");
    std::vector<uint8_t> payload;
    for (const auto& arg : request.argv) TRY(append_field(payload, 'a', arg));
    for (const auto& variable : request.env) {
        if (variable.find('=') == std::string::npos || variable.front() == '=')
            return Error::message(
                fmt::format("environment entry \"{}\" is not KEY=VALUE", variable));
        TRY(append_field(payload, 'e', variable));
    }
    if (!request.user.empty())
        TRY(append_field(payload, 'u', request.user));
    if (!request.workdir.empty())
        TRY(append_field(payload, 'w', request.workdir));
    TRY(append_field(payload, 't', request.tty ? "1" : "0"));
    TRY(append_field(payload, 'n', nonce_text(request.nonce)));
    if (payload.size() > kMaxPayload)
        return Error::message(fmt::format(
            "the command and environment take {} bytes; the VM agent accepts at most {} KiB",
            payload.size(), kMaxPayload / 1024));
    return payload;
}

}  // namespace twinbox::agent
