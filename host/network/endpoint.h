// An endpoint: one container's or VM's place on a network - an address
// lease, the host end of its veth or its tap, and the DNAT rules of its
// published ports. The container engine and `twinbox vm run` use it:
//
//   reserve_endpoint()      lease an address (the caller's pid owns it for now)
//   connect_container()     veth: host end on the bridge, "eth0" in the container's
//                           netns with the address and default route; DNAT rules;
//                           the lease now follows the container's first process
//   publish_ports()         the DNAT rules of the lease's -p mappings
//   follow_process()        (VMs) the lease follows the VMM, its tap is recorded
//   release_endpoint()      rules, veth and lease gone (rm, exit, errors)
//   release_stale_endpoints()  what dead owners left: run by every command that
//                              touches networks (cli/main.cpp)
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/ipam.h"
#include "host/network/network.h"
#include "host/network/port_spec.h"

namespace twinbox::network {

struct EndpointRequest {
    std::string network;  // "bridge" (the default network) or a network name
    std::string owner;    // container id, or vm-<pid>
    std::string kind;     // "container" or "vm"
    std::string name;     // shown by `network inspect`
    std::vector<PortMapping> ports;
};

struct Endpoint {
    NetworkConfig network;
    Lease lease;
};

// "bridge" -> the default network; other names as they are.
std::string resolve_network_name(std::string_view network);

Result<Endpoint> reserve_endpoint(const EndpointRequest& request);
Result<void> connect_container(const Endpoint& endpoint, pid_t pid);
// The DNAT rules of a lease's published ports (connect_container calls it;
// a VM's attachment calls it once its lease is taken).
Result<void> publish_ports(const Lease& lease);
Result<void> follow_process(const std::string& owner, pid_t pid, const std::string& interface);
// Nothing to release is not an error.
Result<void> release_endpoint(std::string_view owner);
void release_stale_endpoints();
std::optional<Endpoint> find_endpoint(std::string_view owner);

// The host end of a container's veth: "tb" + the first 12 characters of its id.
std::string veth_name(std::string_view owner);
// The kernel's ip= argument (Documentation/admin-guide/nfs/nfsroot.rst):
// ip=ADDRESS::GATEWAY:NETMASK::eth0:off.
std::string kernel_ip_argument(const Endpoint& endpoint);
// /etc/hosts and /etc/resolv.conf for a container.
std::string hosts_file(std::string_view hostname, const Endpoint& endpoint);
// The host's resolv.conf without loopback name servers (they do not exist in
// the container's namespace); the result has at least one nameserver line
// when the host had a usable one.
std::string container_resolv_conf(std::string_view host_resolv_conf);

// Refuses a host port that another endpoint publishes or a program has bound.
Result<void> check_ports_free(const std::vector<PortMapping>& ports,
                              const std::vector<Lease>& others);

}  // namespace twinbox::network
