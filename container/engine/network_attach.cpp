// The engine's network steps (see network_attach.h).
#include "container/engine/network_attach.h"

#include <fmt/format.h>

#include "common/log.h"
#include "host/network/files.h"

namespace twinbox::container {

namespace {

std::string hosts_path(const CreateOptions& options) {
    return options.extras.storage_dir + "/hosts";
}

std::string resolv_path(const CreateOptions& options) {
    return options.extras.storage_dir + "/resolv.conf";
}

std::vector<network::PortMapping> published_ports(const oci::Spec& spec) {
    std::vector<network::PortMapping> ports;
    auto found = spec.annotations.find(kPublishAnnotation);
    if (found == spec.annotations.end())
        return ports;
    std::string_view list = found->second;
    while (!list.empty()) {
        size_t comma = list.find(',');
        if (auto port = network::parse_port_spec(list.substr(0, comma)))
            ports.push_back(*port);
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
    }
    return ports;
}

}  // namespace

bool wants_bridge_network(const oci::Spec& spec) {
    return spec.annotations.contains(kNetworkAnnotation);
}

void add_network_mounts(CreateOptions& options) {
    if (!wants_bridge_network(options.spec))
        return;
    for (const auto& [source, destination] :
         {std::pair{hosts_path(options), "/etc/hosts"},
          std::pair{resolv_path(options), "/etc/resolv.conf"}}) {
        oci::Mount mount;
        mount.destination = destination;
        mount.type = "bind";
        mount.source = source;
        mount.options = {"rbind", "rprivate"};
        options.spec.mounts.push_back(mount);
    }
}

Result<ContainerNetwork> ContainerNetwork::reserve(const CreateOptions& options) {
    network::EndpointRequest request;
    request.network = options.spec.annotations.at(kNetworkAnnotation);
    request.owner = options.id;
    request.kind = "container";
    request.name = options.extras.name;
    request.ports = published_ports(options.spec);
    ContainerNetwork attached(TRY(network::reserve_endpoint(request)), options.id);
    std::string hostname = options.spec.hostname.empty() ? options.id : options.spec.hostname;
    TRY(network::write_text_atomically(hosts_path(options),
                                       network::hosts_file(hostname, attached.m_endpoint)));
    auto host_resolv = network::read_text("/etc/resolv.conf");
    TRY(network::write_text_atomically(
        resolv_path(options), network::container_resolv_conf(host_resolv ? *host_resolv : "")));
    return attached;
}

ContainerNetwork::ContainerNetwork(ContainerNetwork&& other) noexcept
    : m_endpoint(std::move(other.m_endpoint)), m_owner(std::exchange(other.m_owner, {})) {}

ContainerNetwork::~ContainerNetwork() {
    if (!m_owner.empty())
        release_container_network(m_owner);
}

Result<void> ContainerNetwork::connect(pid_t pid) {
    return network::connect_container(m_endpoint, pid)
        .with_context(fmt::format("connecting to network {}", m_endpoint.network.name));
}

void release_container_network(const std::string& id) {
    if (auto released = network::release_endpoint(id); !released)
        log::warn("releasing the network address of {}: {}", id, released.error().to_string());
}

nlohmann::json container_network_settings(const std::string& id) {
    auto endpoint = network::find_endpoint(id);
    if (!endpoint)
        return nlohmann::json::object();
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& port : endpoint->lease.ports) ports.push_back(port.to_string());
    return {{"Networks",
             {{endpoint->network.name,
               {{"IPAddress", endpoint->lease.address.to_string()},
                {"IPPrefixLen", endpoint->network.subnet.prefix},
                {"Gateway", endpoint->network.subnet.gateway().to_string()},
                {"Bridge", endpoint->network.bridge},
                {"HostInterface", endpoint->lease.host_interface}}}}},
            {"IPAddress", endpoint->lease.address.to_string()},
            {"Ports", ports}};
}

}  // namespace twinbox::container
