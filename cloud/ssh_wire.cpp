#include "cloud/ssh_wire.h"

namespace twinbox::cloud {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}
}  // namespace

std::string base64_encode(const uint8_t* data, size_t size) {
    std::string out;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t chunk = data[i] << 16;
        if (i + 1 < size)
            chunk |= data[i + 1] << 8;
        if (i + 2 < size)
            chunk |= data[i + 2];
        out += kAlphabet[(chunk >> 18) & 63];
        out += kAlphabet[(chunk >> 12) & 63];
        out += i + 1 < size ? kAlphabet[(chunk >> 6) & 63] : '=';
        out += i + 2 < size ? kAlphabet[chunk & 63] : '=';
    }
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    Bytes out;
    for (size_t i = 0; i < text.size(); i += 4) {
        // '=' only ends the last group, once or twice.
        size_t padding = 0;
        if (i + 4 == text.size() && text[i + 3] == '=')
            padding = text[i + 2] == '=' ? 2 : 1;
        uint32_t chunk = 0;
        for (size_t j = 0; j < 4; ++j) {
            int value = j < 4 - padding ? value_of(text[i + j]) : 0;
            if (value < 0)
                return std::nullopt;
            chunk = (chunk << 6) | static_cast<uint32_t>(value);
        }
        out.push_back(static_cast<uint8_t>(chunk >> 16));
        if (padding < 2)
            out.push_back(static_cast<uint8_t>(chunk >> 8));
        if (padding < 1)
            out.push_back(static_cast<uint8_t>(chunk));
    }
    return out;
}

void SshWriter::u32(uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        m_out.push_back(static_cast<uint8_t>(value >> shift));
}

void SshWriter::string(const uint8_t* data, size_t size) {
    u32(static_cast<uint32_t>(size));
    raw(data, size);
}

void SshWriter::mpint(const Bytes& big_endian) {
    size_t start = 0;
    while (start < big_endian.size() && big_endian[start] == 0) ++start;
    Bytes value;
    if (start < big_endian.size() && (big_endian[start] & 0x80))
        value.push_back(0);
    value.insert(value.end(), big_endian.begin() + static_cast<long>(start), big_endian.end());
    string(value);
}

std::optional<uint32_t> SshReader::u32() {
    if (m_in.size() - m_pos < 4)
        return std::nullopt;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | m_in[m_pos++];
    return value;
}

std::optional<Bytes> SshReader::string() {
    auto size = u32();
    if (!size || m_in.size() - m_pos < *size)
        return std::nullopt;
    Bytes value(m_in.begin() + static_cast<long>(m_pos),
                m_in.begin() + static_cast<long>(m_pos + *size));
    m_pos += *size;
    return value;
}

}  // namespace twinbox::cloud
