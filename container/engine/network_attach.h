// The container engine's side of networking (host/network/ does the
// work): `twinbox run --network bridge|NAME -p ...` records the request in
// the spec's annotations (run_spec.cpp), and then
//
//   prepare()          /etc/hosts and /etc/resolv.conf bind mounts from the
//                      container's storage directory, like Docker's
//   reserve()          an address lease; writes those two files
//   connect(pid)       after create, before start: veth + address + route +
//                      published ports in the container's network namespace
//   release_...()      on exit, rm and errors (and the next command's sweep
//                      after a SIGKILLed twinbox, network/endpoint.h)
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "container/runtime/runtime.h"
#include "host/network/endpoint.h"

namespace twinbox::container {

// The spec annotations that carry --network and -p from `run` to create.
constexpr const char* kNetworkAnnotation = "org.twinbox.network";
constexpr const char* kPublishAnnotation = "org.twinbox.publish";

// True when the container joins a bridge network (not none or host).
bool wants_bridge_network(const oci::Spec& spec);
// Adds the /etc/hosts and /etc/resolv.conf mounts (files made by reserve()).
void add_network_mounts(CreateOptions& options);

// An endpoint released when this object dies, unless keep() was called.
class ContainerNetwork {
public:
    static Result<ContainerNetwork> reserve(const CreateOptions& options);
    ContainerNetwork(ContainerNetwork&& other) noexcept;
    ContainerNetwork& operator=(ContainerNetwork&&) = delete;
    ~ContainerNetwork();

    Result<void> connect(pid_t pid);
    void keep() { m_owner.clear(); }

private:
    ContainerNetwork(network::Endpoint endpoint, std::string owner)
        : m_endpoint(std::move(endpoint)), m_owner(std::move(owner)) {}
    network::Endpoint m_endpoint;
    std::string m_owner;  // "" once kept
};

// Releases the container's endpoint, if it has one (errors are logged).
void release_container_network(const std::string& id);
// Docker's NetworkSettings for `twinbox inspect`: the network, address,
// gateway and published ports while the container holds a lease; else empty.
nlohmann::json container_network_settings(const std::string& id);

}  // namespace twinbox::container
