// The SSH wire encoding (RFC 4251 section 5: uint32, string, mpint) and
// base64 (RFC 4648 section 4), for OpenSSH public key lines and the
// openssh-key-v1 private key format (OpenSSH PROTOCOL.key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twinbox::cloud {

using Bytes = std::vector<uint8_t>;

std::string base64_encode(const uint8_t* data, size_t size);
inline std::string base64_encode(const Bytes& bytes) {
    return base64_encode(bytes.data(), bytes.size());
}
// Strict: padding required, no whitespace; nullopt on anything else.
std::optional<Bytes> base64_decode(std::string_view text);

class SshWriter {
public:
    void u32(uint32_t value);
    void string(std::string_view text) {
        string(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
    void string(const Bytes& bytes) { string(bytes.data(), bytes.size()); }
    void string(const uint8_t* data, size_t size);
    // A non-negative big-endian integer: leading zeros dropped, a zero byte
    // prepended when the top bit is set (RFC 4251 "mpint").
    void mpint(const Bytes& big_endian);
    void raw(const uint8_t* data, size_t size) { m_out.insert(m_out.end(), data, data + size); }
    Bytes& bytes() { return m_out; }

private:
    Bytes m_out;
};

// Reads fields in order; any read past the end or bad length gives nullopt.
class SshReader {
public:
    explicit SshReader(const Bytes& in) : m_in(in) {}
    std::optional<uint32_t> u32();
    std::optional<Bytes> string();
    bool at_end() const { return m_pos == m_in.size(); }

private:
    const Bytes& m_in;
    size_t m_pos = 0;
};

}  // namespace twinbox::cloud
