// Host mechanisms behind a container (docs/benchmarking.md), each through
// twinbox's container library: clone with new namespaces (sys/clone.h), a
// cgroup created, entered and removed (cgroups/cgroup.h), a veth pair added
// and deleted over netlink (network/links.h), an overlay root mounted and
// unmounted and a pivot into a new root (mounts/rootfs.h); getpid(2) as the
// floor of a system call. Every resource is released by RAII, also when a
// benchmark fails: children are killed and reaped, cgroups removed, the veth
// pair lives in a network namespace that dies with its holder process, and
// mounts are made in the private mount namespace main() entered.
#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "bench/micro/micro.h"
#include "container/cgroups/cgroup.h"
#include "container/mounts/rootfs.h"
#include "container/sys/clone.h"
#include "host/image/store.h"
#include "host/network/links.h"

namespace twinbox::micro {

namespace {

using container::Cgroup;
using container::CgroupLayout;
using container::CgroupVersion;

void skip(benchmark::State& state, const std::string& what, const Error& error) {
    state.SkipWithError((what + ": " + error.to_string()).c_str());
}

// Waits for a child; its exit status, or -1 for a signal.
int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A child that waits until it is killed (with this process at the latest).
class ParkedChild {
public:
    static Result<ParkedChild> start(uint64_t namespace_flags) {
        pid_t pid = TRY(container::clone_process(namespace_flags));
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (;;) ::pause();
        }
        return ParkedChild(pid);
    }
    ParkedChild(ParkedChild&& other) noexcept : m_pid(std::exchange(other.m_pid, -1)) {}
    ~ParkedChild() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            reap(m_pid);
        }
    }
    pid_t pid() const { return m_pid; }

private:
    explicit ParkedChild(pid_t pid) : m_pid(pid) {}
    pid_t m_pid;
};

// CPU time the reaped children used (getrusage(RUSAGE_CHILDREN)), in ns. A
// namespace is created by clone() in the parent and torn down by the
// child's exit, so parent CPU + children's CPU is the mechanism's CPU cost,
// which a loaded machine's scheduling delays do not inflate as they do the
// wall time.
double children_cpu_ns() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    auto ns = [](const timeval& t) { return t.tv_sec * 1e9 + t.tv_usec * 1e3; };
    return ns(usage.ru_utime) + ns(usage.ru_stime);
}

void count_children_cpu(benchmark::State& state, double before) {
    state.counters["child_cpu_ns"] =
        benchmark::Counter(children_cpu_ns() - before, benchmark::Counter::kAvgIterations);
}

void getpid_syscall(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_getpid));
    state.SetItemsProcessed(state.iterations());
}

// clone_process(flags) + the child's _exit(0) + waitpid: what creating (and
// tearing down) the namespaces adds shows against host/clone/none.
void clone_namespaces(benchmark::State& state, uint64_t flags) {
    double before = children_cpu_ns();
    for (auto _ : state) {
        auto pid = container::clone_process(flags);
        if (!pid) {
            skip(state, "clone", pid.error());
            break;
        }
        if (*pid == 0)
            ::_exit(0);
        if (reap(*pid) != 0) {
            state.SkipWithError("the cloned child did not exit with 0");
            break;
        }
    }
    count_children_cpu(state, before);
    state.SetItemsProcessed(state.iterations());
}

// The cgroup2 hierarchy: the host's root if it is v2, else the hybrid layout's
// cgroup2 mount at unified/ (ENVIRONMENT.md: this machine), if any.
std::optional<CgroupLayout> layout_of(CgroupVersion version) {
    auto detected = container::detect_cgroup_layout();
    if (!detected)
        return std::nullopt;
    if (detected->version == version)
        return *detected;
    struct statfs info {};
    constexpr long kCgroup2Magic = 0x63677270;
    if (version == CgroupVersion::V2 && ::statfs("/sys/fs/cgroup/unified", &info) == 0 &&
        info.f_type == kCgroup2Magic)
        return CgroupLayout{CgroupVersion::V2, "/sys/fs/cgroup/unified", {}};
    return std::nullopt;
}

// Create a cgroup, move a process in, move it back to its parent cgroup,
// remove the cgroup: what a container's start and end do to cgroups.
void cgroup_cycle(benchmark::State& state, CgroupVersion version) {
    auto layout = layout_of(version);
    if (!layout) {
        state.SkipWithError(version == CgroupVersion::V1 ? "no cgroup v1 hierarchy on this host"
                                                         : "no cgroup2 hierarchy on this host");
        return;
    }
    std::string home_path = fmt::format("/twinbox-micro-{}", ::getpid());
    auto home = Cgroup::create(*layout, home_path, {});
    if (!home)
        return skip(state, "creating " + home_path, home.error());
    std::optional<ParkedChild> child;
    {
        auto started = ParkedChild::start(0);
        if (!started)
            return skip(state, "starting a child", started.error());
        child.emplace(std::move(started).value());
    }
    if (auto moved = home->add_process(child->pid()); !moved)
        return skip(state, "moving a child into " + home_path, moved.error());
    for (auto _ : state) {
        auto cgroup = Cgroup::create(*layout, home_path + "/bench", {});
        if (!cgroup) {
            skip(state, "creating a cgroup", cgroup.error());
            break;
        }
        auto entered = cgroup->add_process(child->pid());
        auto left = home->add_process(child->pid());
        if (!entered || !left) {
            child.reset();  // kill it so that the cgroup can be removed
            skip(state, "moving a process between cgroups",
                 !entered ? entered.error() : left.error());
            break;
        }
        if (auto removed = cgroup->remove(); !removed) {
            skip(state, "removing a cgroup", removed.error());
            break;
        }
    }
    child.reset();
    state.SetItemsProcessed(state.iterations());
}

// A veth pair added and deleted in a network namespace of our own (held by a
// parked child; the namespace and anything left in it die with the child).
void veth_cycle(benchmark::State& state) {
    auto holder = ParkedChild::start(CLONE_NEWNET);
    if (!holder)
        return skip(state, "creating a network namespace", holder.error());
    std::optional<network::RouteSocket> socket;
    auto opened = network::in_network_namespace(holder->pid(), [&]() -> Result<void> {
        socket.emplace(TRY(network::RouteSocket::open()));
        return ok();
    });
    if (!opened)
        return skip(state, "opening netlink in the namespace", opened.error());
    for (auto _ : state) {
        auto added = socket->add_veth("tbmicro0", "tbmicro1", holder->pid());
        if (!added) {
            skip(state, "adding a veth pair", added.error());
            break;
        }
        if (auto deleted = socket->delete_link("tbmicro0"); !deleted) {
            skip(state, "deleting a veth pair", deleted.error());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

Result<image::TempDir> scratch_directory() {
    std::string pattern = "/tmp/twinbox-micro-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        return Error::from_errno("mkdtemp", pattern);
    return image::TempDir(pattern);
}

void overlay_cycle(benchmark::State& state) {
    auto scratch = scratch_directory();
    if (!scratch)
        return skip(state, "scratch directory", scratch.error());
    const std::string& base = scratch->path();
    container::RootfsLayers layers{{base + "/lower"}, base + "/upper", base + "/work"};
    container::LinuxSyscalls sys;
    for (const char* dir : {"/lower", "/upper", "/work", "/merged"})
        if (auto made = sys.make_directories(base + dir, 0755); !made)
            return skip(state, "scratch directory", made.error());
    for (auto _ : state) {
        if (auto mounted = container::mount_root(base + "/merged", layers, sys); !mounted) {
            skip(state, "mounting an overlay", mounted.error());
            break;
        }
        if (auto unmounted = sys.umount(base + "/merged", 0); !unmounted) {
            skip(state, "unmounting an overlay", unmounted.error());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

// A child in a new mount namespace makes its mounts private, binds a root
// onto itself and pivots into it (rootfs.h steps 1, 2 and 5); compare with
// host/clone/mount, the same child without the mounts and the pivot.
void pivot_root_cycle(benchmark::State& state) {
    auto scratch = scratch_directory();
    if (!scratch)
        return skip(state, "scratch directory", scratch.error());
    std::string root = scratch->path();
    double before = children_cpu_ns();
    for (auto _ : state) {
        auto pid = container::clone_process(CLONE_NEWNS);
        if (!pid) {
            skip(state, "clone", pid.error());
            break;
        }
        if (*pid == 0) {
            container::LinuxSyscalls sys;
            bool done = container::make_mounts_private("", sys) &&
                        container::mount_root(root, {}, sys) && container::pivot_into(root, sys);
            ::_exit(done ? 0 : 1);
        }
        if (reap(*pid) != 0) {
            state.SkipWithError("the child could not pivot into a new root");
            break;
        }
    }
    count_children_cpu(state, before);
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_host_benchmarks(bool private_mounts) {
    benchmark::RegisterBenchmark("host/getpid", getpid_syscall);
    struct Namespace {
        const char* name;
        uint64_t flags;
    };
    constexpr uint64_t all = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                             CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;
    for (auto [name, flags] :
         {Namespace{"none", 0}, Namespace{"user", CLONE_NEWUSER}, Namespace{"mount", CLONE_NEWNS},
          Namespace{"uts", CLONE_NEWUTS}, Namespace{"ipc", CLONE_NEWIPC},
          Namespace{"net", CLONE_NEWNET}, Namespace{"pid", CLONE_NEWPID},
          Namespace{"cgroup", CLONE_NEWCGROUP}, Namespace{"all", all}})
        benchmark::RegisterBenchmark((std::string("host/clone/") + name).c_str(), clone_namespaces,
                                     flags)
            ->UseRealTime();
    benchmark::RegisterBenchmark("host/cgroup_v1_create_attach_remove", cgroup_cycle,
                                 CgroupVersion::V1)
        ->UseRealTime();
    benchmark::RegisterBenchmark("host/cgroup_v2_create_attach_remove", cgroup_cycle,
                                 CgroupVersion::V2)
        ->UseRealTime();
    benchmark::RegisterBenchmark("host/veth_create_delete", veth_cycle)->UseRealTime();
    if (private_mounts) {
        benchmark::RegisterBenchmark("host/overlay_mount_umount", overlay_cycle)->UseRealTime();
        benchmark::RegisterBenchmark("host/pivot_root", pivot_root_cycle)->UseRealTime();
    } else {
        auto no_namespace = [](benchmark::State& state) {
            state.SkipWithError("no private mount namespace (needs root: unshare(CLONE_NEWNS))");
        };
        benchmark::RegisterBenchmark("host/overlay_mount_umount", no_namespace);
        benchmark::RegisterBenchmark("host/pivot_root", no_namespace);
    }
}

}  // namespace twinbox::micro
