// IP address management: which address of a network's subnet belongs to
// whom. Like CNI's host-local IPAM plugin (containernetworking/plugins
// plugins/ipam/host-local): the lowest free address is handed out, the
// network address, the gateway (the bridge) and the broadcast address never
// are, and the table lives in a file so that every twinbox process sees the
// same one. Callers hold the networks lock (network_store.h) while they read,
// change and write it, so parallel `twinbox run`s never get the same address.
//
// Each lease names the process whose life it follows (pid + start time, so a
// recycled pid does not keep it): the container's first process, or the
// VMM. A lease whose process is gone is stale, and the next twinbox command
// that touches networks (cli/main.cpp)
// releases it with its veth and nftables rules (endpoint.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"
#include "host/network/port_spec.h"

namespace twinbox::network {

struct Lease {
    Ipv4 address;
    std::string owner;           // container id, or "vm-<pid>"
    std::string kind;            // "container" or "vm"
    std::string name;            // what `network inspect` shows (container name)
    pid_t pid = 0;               // the process whose life the lease follows
    uint64_t start_time = 0;     // its start time (proc(5) stat field 22)
    std::string host_interface;  // the veth's host end or the tap; "" until attached
    std::vector<PortMapping> ports;
};

class LeaseTable {
public:
    explicit LeaseTable(Cidr subnet) : m_subnet(subnet) {}

    const Cidr& subnet() const { return m_subnet; }
    const std::vector<Lease>& leases() const { return m_leases; }

    // Gives `lease` the lowest free address (its address field is set) and
    // records it; fails when the subnet is full or the owner already has one.
    Result<Ipv4> allocate(Lease lease);
    // Removes and returns the owner's lease.
    std::optional<Lease> release(const std::string& owner);
    Lease* find(const std::string& owner);

    std::string to_json() const;
    static Result<LeaseTable> from_json(Cidr subnet, const std::string& text);

private:
    Cidr m_subnet;
    std::vector<Lease> m_leases;
};

// A lease file: read (a missing file is an empty table) and written atomically.
Result<LeaseTable> load_leases(const std::string& path, Cidr subnet);
Result<void> save_leases(const std::string& path, const LeaseTable& table);

// proc(5) stat field 22 of `pid`, 0 when it does not exist or is a zombie.
uint64_t process_start_time(pid_t pid);
// The lease's process is still the one that took it.
bool lease_owner_alive(const Lease& lease);

}  // namespace twinbox::network
