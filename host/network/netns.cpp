// Named network namespaces (see netns.h). Model: iproute2 ip/ipnetns.c
// (netns_add: the shared /run/netns, unshare, bind mount of /proc/self/ns/net).
#include "host/network/netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <thread>

#include "common/unique_fd.h"
#include "host/network/links.h"
#include "host/network/netlink_util.h"

namespace twinbox::network {

namespace {

// /run/netns as a shared mount point, so namespaces bound under it are seen
// by every mount namespace that shares it (ipnetns.c does the same).
Result<void> prepare_netns_dir() {
    if (::mkdir("/run", 0755) < 0 && errno != EEXIST)
        return Error::from_errno("mkdir", "/run");
    if (::mkdir(kNetnsDir, 0755) < 0 && errno != EEXIST)
        return Error::from_errno("mkdir", kNetnsDir);
    if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0)
        return ok();
    if (errno != EINVAL)
        return Error::from_errno("mount --make-shared", kNetnsDir);
    // Not a mount point yet: make it one, then shared.
    if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) < 0)
        return Error::from_errno("mount --bind", kNetnsDir);
    if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) < 0)
        return Error::from_errno("mount --make-shared", kNetnsDir);
    return ok();
}

}  // namespace

std::string netns_path(std::string_view name) {
    return fmt::format("{}/{}", kNetnsDir, name);
}

bool netns_exists(std::string_view name) {
    struct stat st {};
    std::string path = netns_path(name);
    if (::stat(path.c_str(), &st) < 0)
        return false;
    // A leftover empty file (a crash between create and mount) is not a namespace:
    // the bind-mounted nsfs file lives on another device than its directory.
    struct stat dir {};
    return ::stat(kNetnsDir, &dir) == 0 && dir.st_dev != st.st_dev;
}

Result<void> create_netns(std::string_view name) {
    if (netns_exists(name))
        return ok();
    TRY(prepare_netns_dir());
    std::string path = netns_path(name);
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0));
    if (!file)
        return Error::from_errno("create", path);
    file.reset();
    Result<void> result = Error::message("the namespace thread did not run");
    std::thread thread([&] {
        // unshare(CLONE_NEWNET) moves this thread alone; it ends right after.
        if (::unshare(CLONE_NEWNET) < 0) {
            result = Error::from_errno("unshare(CLONE_NEWNET)", path);
            return;
        }
        std::string self = fmt::format("/proc/self/task/{}/ns/net", ::syscall(SYS_gettid));
        if (::mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) < 0) {
            result = Error::from_errno("mount --bind", self + " on " + path);
            return;
        }
        auto socket = RouteSocket::open();
        if (!socket) {
            result = socket.error();
            return;
        }
        result = socket->set_up("lo");
    });
    thread.join();
    if (!result) {
        (void)::umount2(path.c_str(), MNT_DETACH);
        ::unlink(path.c_str());
    }
    return result;
}

Result<void> delete_netns(std::string_view name) {
    std::string path = netns_path(name);
    if (::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return Error::from_errno("umount", path);
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return Error::from_errno("unlink", path);
    return ok();
}

Result<void> in_named_netns(std::string_view name, const std::function<Result<void>()>& work) {
    std::string path = netns_path(name);
    if (!netns_exists(name))
        return Error::from_errno("open", path + " (no such network namespace)", ENOENT);
    return in_network_namespace_file(path, work);
}

Result<void> move_link_to_netns(std::string_view link, std::string_view name,
                                std::string_view new_name) {
    std::string path = netns_path(name);
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns)
        return Error::from_errno("open", path);
    nl_sock* socket = nl_socket_alloc();
    if (!socket)
        return Error::message("cannot allocate a netlink socket (out of memory?)");
    std::unique_ptr<nl_sock, decltype(&nl_socket_free)> owned_socket(socket, nl_socket_free);
    if (int err = nl_connect(socket, NETLINK_ROUTE); err < 0)
        return Error::message(fmt::format("connecting to rtnetlink: {}", nl_geterror(err)));
    rtnl_link* current = nullptr;
    if (int err = rtnl_link_get_kernel(socket, 0, std::string(link).c_str(), &current); err < 0)
        return Error::message(fmt::format("looking up {}: {}", link, nl_geterror(err)));
    std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> owned(current, rtnl_link_put);
    std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> change(rtnl_link_alloc(), rtnl_link_put);
    if (!change)
        return Error::message("out of memory building a netlink link");
    rtnl_link_set_ns_fd(change.get(), ns.get());
    if (new_name != link)
        rtnl_link_set_name(change.get(), std::string(new_name).c_str());
    if (int err = rtnl_link_change(socket, current, change.get(), 0); err < 0)
        return Error::message(
            fmt::format("moving {} into network namespace {}: {}", link, name, nl_geterror(err)));
    return ok();
}

}  // namespace twinbox::network
