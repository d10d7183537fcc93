// Parsing of --disk and --net (see device_options.h).
#include "vmm/machine/device_options.h"

#include <fmt/format.h>

#include <vector>

namespace twinbox {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos)
            return parts;
        start = end + 1;
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Interface names: at most IFNAMSIZ-1 (15) characters, none of '/', ':', whitespace or '='.
bool valid_interface_name(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..")
        return false;
    for (char c : name)
        if (c == '/' || c == ':' || c == '=' || c == ',' || c <= ' ' || c == 0x7f)
            return false;
    return true;
}

}  // namespace

Result<std::array<uint8_t, 6>> parse_mac_address(std::string_view text) {
    std::array<uint8_t, 6> mac{};
    auto parts = split(text, ':');
    bool shaped = parts.size() == 6;
    for (size_t i = 0; shaped && i < 6; ++i) {
        int high = parts[i].size() == 2 ? hex_digit(parts[i][0]) : -1;
        int low = parts[i].size() == 2 ? hex_digit(parts[i][1]) : -1;
        if (high < 0 || low < 0)
            shaped = false;
        else
            mac[i] = static_cast<uint8_t>(high << 4 | low);
    }
    if (!shaped)
        return Error::message(
            fmt::format("MAC address '{}' is not six hex pairs like 52:54:00:12:34:56", text));
    if (mac[0] & 1)
        return Error::message(fmt::format(
            "MAC address '{}' is a multicast address; the first byte must be even", text));
    return mac;
}

Result<DiskConfig> parse_disk_option(std::string_view text) {
    auto parts = split(text, ',');
    DiskConfig disk;
    disk.path = std::string(parts[0]);
    if (disk.path.empty())
        return Error::message(fmt::format("--disk '{}' names no file; use --disk FILE[,ro]", text));
    for (size_t i = 1; i < parts.size(); ++i) {
        std::string_view option = parts[i];
        if (option == "ro" || option == "readonly" || option == "ro=on")
            disk.read_only = true;
        else if (option == "rw" || option == "ro=off")
            disk.read_only = false;
        else
            return Error::message(
                fmt::format("--disk {}: unknown option '{}'; use --disk FILE[,ro]", text, option));
    }
    return disk;
}

Result<NetConfig> parse_net_option(std::string_view text) {
    auto parts = split(text, ',');
    NetConfig net;
    std::string_view backend = parts[0];
    if (backend == "tap") {
        // twinbox makes a tap and removes it on exit
    } else if (backend.starts_with("tap=")) {
        net.tap_name = std::string(backend.substr(4));
        if (!valid_interface_name(net.tap_name))
            return Error::message(fmt::format(
                "--net {}: '{}' is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
                text, net.tap_name));
    } else if (backend == "bridge") {
        net.bridge = "twinbox0";  // the default twinbox network (host/network/network.h)
    } else if (backend.starts_with("bridge=")) {
        net.bridge = std::string(backend.substr(7));
        if (!valid_interface_name(net.bridge))
            return Error::message(
                fmt::format("--net {}: '{}' is not a valid bridge name", text, net.bridge));
    } else {
        return Error::message(fmt::format(
            "--net '{}' is not tap, tap=NAME, bridge or bridge=NAME (optionally ,mac=MAC)", text));
    }
    for (size_t i = 1; i < parts.size(); ++i) {
        std::string_view option = parts[i];
        if (option.starts_with("mac=")) {
            net.mac = TRY(
                parse_mac_address(option.substr(4)).with_context(fmt::format("--net {}", text)));
        } else {
            return Error::message(
                fmt::format("--net {}: unknown option '{}'; only mac=MAC is known", text, option));
        }
    }
    return net;
}

}  // namespace twinbox
