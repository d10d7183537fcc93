// Named network namespaces as `ip netns add|del|exec` make them (ip-netns(8)):
// a namespace made by unshare(CLONE_NEWNET) is kept alive by bind-mounting its
// nsfs file onto /run/netns/NAME, so it outlives the process that made it and
// `ip netns exec NAME ...` finds it. /run/netns itself is a shared mount (as
// iproute2 makes it) so that the bind mount propagates to other mount namespaces.
//
// Plus the two moves a router needs: running code in such a namespace (in a
// thread of its own, as in_network_namespace) and moving a link into it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::network {

constexpr const char* kNetnsDir = "/run/netns";

std::string netns_path(std::string_view name);
bool netns_exists(std::string_view name);

// Makes /run/netns/NAME (a fresh namespace with lo up); an existing one is kept.
Result<void> create_netns(std::string_view name);
// Unmounts and removes /run/netns/NAME; none is fine. The namespace itself
// goes when nothing else holds it (its links are deleted with it).
Result<void> delete_netns(std::string_view name);

// Runs `work` in namespace NAME, in a thread that joins it and then ends.
Result<void> in_named_netns(std::string_view name, const std::function<Result<void>()>& work);

// Moves link `link` of the calling thread's namespace into namespace NAME
// (`ip link set LINK netns NAME`), renaming it to `new_name` there.
Result<void> move_link_to_netns(std::string_view link, std::string_view name,
                                std::string_view new_name);

// Removes a namespace made here unless release()d: create_netns's RAII guard
// for the steps that follow it.
class NetnsGuard {
public:
    explicit NetnsGuard(std::string name) : m_name(std::move(name)) {}
    ~NetnsGuard() {
        if (!m_name.empty())
            (void)delete_netns(m_name);
    }
    NetnsGuard(const NetnsGuard&) = delete;
    NetnsGuard& operator=(const NetnsGuard&) = delete;
    void release() { m_name.clear(); }

private:
    std::string m_name;
};

}  // namespace twinbox::network
