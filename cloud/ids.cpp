#include "cloud/ids.h"

#include <sys/random.h>

#include <array>
#include <cerrno>

#include "cloud/aws_error.h"

namespace twinbox::cloud {

std::string aws_error_code(const Error& error) {
    // AWS codes are CamelCase words joined by dots; syscall names are lower case.
    const std::string& call = error.call();
    if (error.code() != 0 || call.empty() || call[0] < 'A' || call[0] > 'Z')
        return {};
    return call;
}

Result<std::string> new_id(std::string_view prefix) {
    std::array<unsigned char, (kIdHexDigits + 1) / 2> bytes{};
    size_t filled = 0;
    while (filled < bytes.size()) {
        ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("getrandom", "making a resource id");
        filled += static_cast<size_t>(got);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(prefix);
    id += '-';
    for (size_t i = 0; i < kIdHexDigits; ++i) {
        unsigned char byte = bytes[i / 2];
        id += kHex[i % 2 == 0 ? byte >> 4 : byte & 0xf];
    }
    return id;
}

bool is_id(std::string_view id, std::string_view prefix) {
    if (id.size() != prefix.size() + 1 + kIdHexDigits || id.substr(0, prefix.size()) != prefix ||
        id[prefix.size()] != '-')
        return false;
    for (char c : id.substr(prefix.size() + 1))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

}  // namespace twinbox::cloud
