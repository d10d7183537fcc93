// Published ports: Docker's `-p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]`
// (docker run reference, "Publish or expose port"). A mapping becomes one
// DNAT rule (nft_rules.h): connections to HOST_IP:HOST_PORT - any local
// address when HOST_IP is absent - go to the container's address and PORT.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"

namespace twinbox::network {

enum class Protocol { tcp, udp };

struct PortMapping {
    Ipv4 host_ip;  // 0.0.0.0: every local address
    uint16_t host_port = 0;
    uint16_t container_port = 0;
    Protocol protocol = Protocol::tcp;
    auto operator<=>(const PortMapping&) const = default;

    // "0.0.0.0:8080->80/tcp", as docker ps prints it.
    std::string to_string() const;
    // The spec form, parse_port_spec(to_spec()) == *this.
    std::string to_spec() const;
    // True when both would receive the same connections (same protocol and
    // port, and the same host address or one of them is 0.0.0.0).
    bool conflicts_with(const PortMapping& other) const;
};

const char* protocol_name(Protocol protocol);

Result<PortMapping> parse_port_spec(std::string_view text);
// Every -p; also rejects two mappings of one host port.
Result<std::vector<PortMapping>> parse_port_specs(const std::vector<std::string>& texts);

}  // namespace twinbox::network
