// The lease table and its file (see ipam.h).
#include "host/network/ipam.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

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

Result<LeaseTable> LeaseTable::from_json(Cidr subnet, const std::string& text) {
    LeaseTable table(subnet);
    try {
        auto document = nlohmann::json::parse(text);
        for (const auto& entry : document.at("leases")) {
            Lease lease;
            lease.address = TRY(parse_ipv4(entry.at("address").get<std::string>()));
            if (!subnet.contains(lease.address))
                return Error::message(fmt::format("lease {} is outside {}",
                                                  lease.address.to_string(), subnet.to_string()));
            lease.owner = entry.at("owner").get<std::string>();
            lease.kind = entry.value("kind", "");
            lease.name = entry.value("name", "");
            lease.pid = entry.value("pid", 0);
            lease.start_time = entry.value("startTime", uint64_t{0});
            lease.host_interface = entry.value("hostInterface", "");
            for (const auto& port : entry.value("ports", nlohmann::json::array()))
                lease.ports.push_back(TRY(parse_port_spec(port.get<std::string>())));
            table.m_leases.push_back(std::move(lease));
        }
    } catch (const nlohmann::json::exception& error) {
        return Error::message(fmt::format("bad lease table: {}", error.what()));
    }
    return table;
}

Result<LeaseTable> load_leases(const std::string& path, Cidr subnet) {
    auto text = read_text(path);
    if (!text) {
        if (text.error().code() == ENOENT)
            return LeaseTable(subnet);
        return std::move(text).error();
    }
    return LeaseTable::from_json(subnet, *text).with_context(path);
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
