// Parsing of -p (see port_spec.h).
#include "host/network/port_spec.h"

#include <fmt/format.h>

namespace twinbox::network {

namespace {

constexpr const char* kForm = "use -p [HOST_IP:]HOST_PORT:PORT[/tcp|udp], e.g. -p 8080:80";

Result<uint16_t> parse_port(std::string_view text, std::string_view spec) {
    uint32_t value = 0;
    bool digits = !text.empty() && text.size() <= 5;
    for (char c : text) {
        if (c < '0' || c > '9')
            digits = false;
        else
            value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!digits || value == 0 || value > 65535)
        return Error::message(
                   fmt::format("-p {}: '{}' is not a port number from 1 to 65535", spec, text))
            .with_hint(kForm);
    return static_cast<uint16_t>(value);
}

}  // namespace

const char* protocol_name(Protocol protocol) {
    return protocol == Protocol::udp ? "udp" : "tcp";
}

std::string PortMapping::to_string() const {
    return fmt::format("{}:{}->{}/{}", host_ip.to_string(), host_port, container_port,
                       protocol_name(protocol));
}

std::string PortMapping::to_spec() const {
    return fmt::format("{}:{}:{}/{}", host_ip.to_string(), host_port, container_port,
                       protocol_name(protocol));
}

bool PortMapping::conflicts_with(const PortMapping& other) const {
    return protocol == other.protocol && host_port == other.host_port &&
           (host_ip == other.host_ip || host_ip.value == 0 || other.host_ip.value == 0);
}

Result<PortMapping> parse_port_spec(std::string_view text) {
    PortMapping mapping;
    std::string_view rest = text;
    if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
        std::string_view protocol = rest.substr(slash + 1);
        if (protocol == "tcp")
            mapping.protocol = Protocol::tcp;
        else if (protocol == "udp")
            mapping.protocol = Protocol::udp;
        else
            return Error::message(
                       fmt::format("-p {}: protocol '{}' is not tcp or udp", text, protocol))
                .with_hint(kForm);
        rest = rest.substr(0, slash);
    }
    size_t last = rest.rfind(':');
    if (last == std::string_view::npos)
        return Error::message(fmt::format("-p {}: no host port given", text)).with_hint(kForm);
    mapping.container_port = TRY(parse_port(rest.substr(last + 1), text));
    rest = rest.substr(0, last);
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
        auto ip = parse_ipv4(rest.substr(0, colon));
        if (!ip)
            return Error::message(fmt::format("-p {}: '{}' is not an IPv4 host address", text,
                                              rest.substr(0, colon)))
                .with_hint(kForm);
        mapping.host_ip = *ip;
        rest = rest.substr(colon + 1);
    }
    mapping.host_port = TRY(parse_port(rest, text));
    return mapping;
}

Result<std::vector<PortMapping>> parse_port_specs(const std::vector<std::string>& texts) {
    std::vector<PortMapping> mappings;
    for (const auto& text : texts) {
        PortMapping mapping = TRY(parse_port_spec(text));
        for (const auto& earlier : mappings)
            if (earlier.conflicts_with(mapping))
                return Error::message(fmt::format("-p {}: host port {}/{} is published twice", text,
                                                  mapping.host_port,
                                                  protocol_name(mapping.protocol)));
        mappings.push_back(mapping);
    }
    return mappings;
}

}  // namespace twinbox::network
