// The lease table and its file (see ipam.h).
#include "host/network/ipam.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/json_reader.h"
#include "host/network/files.h"

namespace twinbox::network {

Result<Ipv4> LeaseTable::allocate(Lease lease) {
    if (find(lease.owner))
        return Error::message(
            fmt::format("{} already has an address on {}", lease.owner, m_subnet.to_string()));
    std::set<uint32_t> used;
    for (const auto& existing : m_leases) used.insert(existing.address.value);
    // From the first address after the gateway to the last before broadcast.
    for (uint32_t candidate = m_subnet.gateway().value + 1; candidate < m_subnet.broadcast().value;
         ++candidate) {
        if (used.contains(candidate))
            continue;
        lease.address = Ipv4{candidate};
        m_leases.push_back(std::move(lease));
        return Ipv4{candidate};
    }
    return Error::message(fmt::format("no free address left in {} ({} in use)",
                                      m_subnet.to_string(), m_leases.size()))
        .with_hint("remove containers or VMs from the network, or use a larger subnet");
}

std::optional<Lease> LeaseTable::release(const std::string& owner) {
    auto it = std::find_if(m_leases.begin(), m_leases.end(),
                           [&](const Lease& lease) { return lease.owner == owner; });
    if (it == m_leases.end())
        return std::nullopt;
    Lease lease = std::move(*it);
    m_leases.erase(it);
    return lease;
}

Lease* LeaseTable::find(const std::string& owner) {
    for (auto& lease : m_leases)
        if (lease.owner == owner)
            return &lease;
    return nullptr;
}

std::string LeaseTable::to_json() const {
    nlohmann::json leases = nlohmann::json::array();
    for (const auto& lease : m_leases) {
        nlohmann::json ports = nlohmann::json::array();
        for (const auto& port : lease.ports) ports.push_back(port.to_spec());
        leases.push_back({{"address", lease.address.to_string()},
                          {"owner", lease.owner},
                          {"kind", lease.kind},
                          {"name", lease.name},
                          {"pid", lease.pid},
                          {"startTime", lease.start_time},
                          {"hostInterface", lease.host_interface},
                          {"ports", ports}});
    }
    return nlohmann::json{{"subnet", m_subnet.to_string()}, {"leases", leases}}.dump(2) + "\n";
}

namespace {

// One entry of the lease file that to_json() writes: address and owner are
// required, the rest was added over time and may be absent in older files.
Result<Lease> read_lease(const json_reader::Node& entry, Cidr subnet) {
    Lease lease;
    std::string address;
    TRY(json_reader::expect_object(entry));
    TRY(json_reader::read_required(entry, "address", address));
    lease.address = TRY(parse_ipv4(address).with_context(entry.child_path("address")));
    if (!subnet.contains(lease.address))
        return entry.member("address")->error(
            fmt::format("{} is outside {}", lease.address.to_string(), subnet.to_string()));
    TRY(json_reader::read_required(entry, "owner", lease.owner));
    TRY(json_reader::read_member(entry, "kind", lease.kind));
    TRY(json_reader::read_member(entry, "name", lease.name));
    TRY(json_reader::read_member(entry, "pid", lease.pid));
    TRY(json_reader::read_member(entry, "startTime", lease.start_time));
    TRY(json_reader::read_member(entry, "hostInterface", lease.host_interface));
    std::vector<std::string> ports;
    TRY(json_reader::read_member(entry, "ports", ports));
    for (size_t index = 0; index < ports.size(); ++index)
        lease.ports.push_back(
            TRY(parse_port_spec(ports[index])
                    .with_context(fmt::format("{}[{}]", entry.child_path("ports"), index))));
    return lease;
}

}  // namespace

Result<LeaseTable> LeaseTable::from_json(Cidr subnet, const std::string& text) {
    auto document = TRY(json_reader::parse(text));
    json_reader::Node root(document, "", "top level");
    TRY(json_reader::expect_object(root));
    auto leases = root.member("leases");
    if (!leases)
        return Error::message("leases: required");
    TRY(json_reader::expect_array(*leases));
    LeaseTable table(subnet);
    for (size_t index = 0; index < leases->json().size(); ++index)
        table.m_leases.push_back(TRY(read_lease(leases->element(index), subnet)));
    return table;
}

Result<LeaseTable> load_leases(const std::string& path, Cidr subnet) {
    auto text = read_text(path);
    if (!text) {
        if (text.error().code() == ENOENT)
            return LeaseTable(subnet);
        return std::move(text).error();
    }
    auto table = LeaseTable::from_json(subnet, *text);
    if (!table)
        return json_reader::damaged(path, table.error());
    return table;
}

Result<void> save_leases(const std::string& path, const LeaseTable& table) {
    return write_text_atomically(path, table.to_json());
}

uint64_t process_start_time(pid_t pid) {
    if (pid <= 0)
        return 0;
    auto text = read_text(fmt::format("/proc/{}/stat", pid));
    if (!text)
        return 0;
    // The command name (field 2) may hold spaces and ')': fields restart after the last ')'.
    size_t close = text->rfind(')');
    if (close == std::string::npos || close + 4 > text->size())
        return 0;
    if ((*text)[close + 2] == 'Z' || (*text)[close + 2] == 'X')
        return 0;
    size_t position = close + 2;
    for (int field = 3; field < 22; ++field) {
        position = text->find(' ', position);
        if (position == std::string::npos)
            return 0;
        ++position;
    }
    return std::strtoull(text->c_str() + position, nullptr, 10);
}

bool lease_owner_alive(const Lease& lease) {
    return lease.pid > 0 && process_start_time(lease.pid) == lease.start_time;
}

}  // namespace twinbox::network
