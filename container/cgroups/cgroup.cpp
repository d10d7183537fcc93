// A container's cgroup on the host: directories, limit files, membership.
#include "container/cgroups/cgroup.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"

namespace twinbox::container {

namespace {

// The v1 hierarchies twinbox manages, when the host has them mounted:
// runc's list, including cpuset and the named "systemd" hierarchy (which
// has no controller but in which runc also moves the container).
constexpr const char* kV1Controllers[] = {"memory",  "cpu",     "cpuacct",  "pids",
                                          "blkio",   "freezer", "devices",  "cpuset",
                                          "hugetlb", "net_cls", "net_prio", "systemd"};

Result<void> write_file(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return Error::from_errno("open", path);
    ssize_t written = ::write(fd, value.data(), value.size());
    int saved = errno;
    ::close(fd);
    if (written < 0)
        return Error::from_errno(fmt::format("write({})", value), path, saved);
    return ok();
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

uint64_t read_number(const std::string& path) {
    auto text = read_file(path);
    return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

// "key value" lines (memory.stat, memory.events, cpu.stat, memory.oom_control).
uint64_t read_key(const std::string& path, const std::string& key) {
    auto text = read_file(path);
    if (!text)
        return 0;
    std::istringstream lines(*text);
    std::string name;
    uint64_t value;
    while (lines >> name >> value)
        if (name == key)
            return value;
    return 0;
}

// The leaf first: its parents (/sys/fs/cgroup/CONTROLLER/twinbox) exist after
// the first container, and walking down from / cost each start five failed
// mkdirs per controller, 45 on a v1 host (issue 17).
Result<void> make_directories(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST)
        return ok();
    size_t slash = path.find_last_of('/');
    if (errno != ENOENT || slash == 0 || slash == std::string::npos)
        return Error::from_errno("mkdir", path);
    TRY(make_directories(path.substr(0, slash)));
    if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST)
        return Error::from_errno("mkdir", path);
    return ok();
}

// A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and
// no process can join it until both are set (cgroup-v1/cpusets.rst 2.1): give
// each new level its parent's values, as runc does.
Result<void> inherit_cpuset(const std::string& hierarchy, const std::string& path) {
    std::string parent = hierarchy;
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string directory = hierarchy + path.substr(0, slash);
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
            auto own = read_file(directory + "/" + file);
            if (own && own->find_first_not_of(" \n") != std::string::npos)
                continue;
            auto inherited = read_file(parent + "/" + file);
            if (inherited)
                TRY(write_file(directory + "/" + file, *inherited)
                        .with_context("initialising the cpuset cgroup"));
        }
        if (slash == std::string::npos)
            return ok();
        parent = directory;
    }
}

}  // namespace

Result<CgroupLayout> detect_cgroup_layout(const std::string& mount_root) {
    struct statfs info {};
    if (::statfs(mount_root.c_str(), &info) < 0)
        return Error::from_errno("statfs", mount_root).with_hint("is cgroupfs mounted?");
    CgroupLayout layout;
    layout.mount_root = mount_root;
    if (info.f_type == CGROUP2_SUPER_MAGIC) {
        layout.version = CgroupVersion::V2;
        return layout;
    }
    // v1 (or hybrid): a tmpfs with one cgroupfs per controller under it. A
    // cgroup2 mount at unified/ may exist too; with no controllers of
    // interest on it, twinbox leaves it alone.
    for (const char* controller : kV1Controllers) {
        struct statfs controller_info {};
        std::string path = mount_root + "/" + controller;
        if (::statfs(path.c_str(), &controller_info) == 0 &&
            controller_info.f_type == CGROUP_SUPER_MAGIC)
            layout.v1_controllers.push_back(controller);
    }
    if (layout.v1_controllers.empty())
        return Error::message(fmt::format("no cgroup controllers found under {}", mount_root))
            .with_hint("mount cgroup v2 or the v1 controllers");
    return layout;
}

Result<Cgroup> Cgroup::create(const CgroupLayout& layout, const std::string& path,
                              const oci::Resources& resources) {
    auto writes = TRY(cgroup_writes(layout.version, resources));
    Cgroup cgroup(layout, path, true);
    // An existing cgroup with processes in it belongs to someone else:
    // taking it would make those processes "the container's", to be
    // killed by kill --all and delete (runc refuses it the same way).
    bool existed = false;
    for (const auto& [controller, directory] : cgroup.directories()) {
        if (::access(directory.c_str(), F_OK) != 0)
            continue;
        existed = true;
        auto procs = read_file(directory + "/cgroup.procs");
        bool populated = (procs && procs->find_first_not_of(" \n") != std::string::npos) ||
                         read_key(directory + "/cgroup.events", "populated") == 1;
        if (populated)
            return Error::message(fmt::format("cgroup {} already holds processes", directory))
                .with_hint("give the container a cgroup of its own in linux.cgroupsPath");
    }
    cgroup.m_created = !existed;
    cgroup.m_remove_on_destroy = !existed;
    if (layout.version == CgroupVersion::V2) {
        // Controllers must be enabled in every ancestor's subtree_control
        // (cgroup-v2.rst "Enabling and Disabling") before their files appear,
        // top down: a child can only enable what its parent enabled. One
        // controller per write, so that one the kernel lacks does not keep
        // the others off. A freshly mounted cgroup2 (no systemd, as in the
        // test host) has none enabled at its root.
        auto enable_in = [](const std::string& directory) {
            for (const char* controller : {"+memory", "+pids", "+cpu", "+io", "+cpuset"})
                (void)write_file(directory + "/cgroup.subtree_control", controller);
        };
        enable_in(layout.mount_root);
        size_t slash = 0;
        while ((slash = path.find('/', slash + 1)) != std::string::npos) {
            std::string parent = layout.mount_root + path.substr(0, slash);
            (void)make_directories(parent);
            enable_in(parent);
        }
    }
    for (const auto& [controller, directory] : cgroup.directories()) {
        TRY(make_directories(directory).with_context(
            fmt::format("creating the {} cgroup", controller)));
        if (layout.version == CgroupVersion::V1 && controller == "cpuset")
            TRY(inherit_cpuset(layout.mount_root + "/cpuset", path));
    }
    TRY(cgroup.apply(writes));
    return cgroup;
}

Result<void> Cgroup::apply(const std::vector<CgroupWrite>& writes) {
    for (const auto& write : writes) {
        std::string dir = directory(write.controller);
        std::string file = dir + "/" + write.file;
        if (m_layout.version == CgroupVersion::V1 && dir.empty())
            return Error::message(
                fmt::format("cannot set {} to {}: this host has no v1 {} controller", write.file,
                            write.value, write.controller));
        if (::access(file.c_str(), F_OK) != 0) {
            if (write.optional) {
                log::warn("{} is not available on this host; ignoring {} {}", file, write.file,
                          write.value);
                continue;
            }
            // Never accept a limit and ignore it (blkio without weight files
            // when the kernel's BFQ scheduler is not in use, for example).
            return Error::message(
                fmt::format("cannot set {} to {}: this host's {} cgroup has no {} file", write.file,
                            write.value, write.controller, write.file));
        }
        auto written = write_file(file, write.value);
        if (!written) {
            auto error =
                std::move(written).error().with_context(fmt::format("setting {}", write.file));
            if (write.file.starts_with("memory.") && error.code() == EBUSY)
                return std::move(error).with_hint(
                    "the limit is below what the kernel accepts for this cgroup; raise -m");
            if (error.code() == EINVAL)
                return std::move(error).with_hint(
                    fmt::format("the kernel refused the value {}", write.value));
            return error;
        }
    }
    return ok();
}

Result<void> Cgroup::update(const oci::Resources& resources) {
    auto writes = TRY(cgroup_writes(m_layout.version, resources));
    // v1 never lets memory.limit_in_bytes exceed memory.memsw.limit_in_bytes:
    // when both grow past the current memory+swap limit, the memsw file must
    // be written first (runc's setMemoryAndSwap does the same).
    auto limit = std::find_if(writes.begin(), writes.end(),
                              [](const auto& w) { return w.file == "memory.limit_in_bytes"; });
    auto swap = std::find_if(writes.begin(), writes.end(),
                             [](const auto& w) { return w.file == "memory.memsw.limit_in_bytes"; });
    if (limit != writes.end() && swap != writes.end()) {
        auto current = read_file(directory("memory") + "/memory.memsw.limit_in_bytes");
        int64_t wanted = std::strtoll(limit->value.c_str(), nullptr, 10);
        if (current && (wanted < 0 || static_cast<uint64_t>(wanted) >
                                          std::strtoull(current->c_str(), nullptr, 10)))
            std::iter_swap(limit, swap);
    }
    return apply(writes);
}

Cgroup Cgroup::open(const CgroupLayout& layout, const std::string& path) {
    return Cgroup(layout, path, false);
}

Cgroup::Cgroup(Cgroup&& other) noexcept
    : m_layout(std::move(other.m_layout)),
      m_path(std::move(other.m_path)),
      m_remove_on_destroy(std::exchange(other.m_remove_on_destroy, false)),
      m_created(other.m_created) {}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
    if (this != &other) {
        if (m_remove_on_destroy)
            (void)remove();
        m_layout = std::move(other.m_layout);
        m_path = std::move(other.m_path);
        m_remove_on_destroy = std::exchange(other.m_remove_on_destroy, false);
        m_created = other.m_created;
    }
    return *this;
}

Cgroup::~Cgroup() {
    if (m_remove_on_destroy)
        (void)remove();
}

std::string Cgroup::directory(const std::string& controller) const {
    if (m_layout.version == CgroupVersion::V2)
        return m_layout.mount_root + m_path;
    for (const auto& name : m_layout.v1_controllers)
        if (name == controller)
            return m_layout.mount_root + "/" + name + m_path;
    return {};
}

std::vector<std::pair<std::string, std::string>> Cgroup::directories() const {
    std::vector<std::pair<std::string, std::string>> result;
    if (m_layout.version == CgroupVersion::V2)
        return {{"unified", m_layout.mount_root + m_path}};
    for (const auto& name : m_layout.v1_controllers)
        result.emplace_back(name, m_layout.mount_root + "/" + name + m_path);
    return result;
}

Result<void> Cgroup::add_process(pid_t pid) {
    for (const auto& [controller, directory] : directories())
        TRY(write_file(directory + "/cgroup.procs", std::to_string(pid))
                .with_context(fmt::format("joining the {} cgroup", controller)));
    return ok();
}

Result<std::vector<pid_t>> Cgroup::processes() const {
    // Every v1 hierarchy holds the same processes; "pids" or the first will do.
    auto all = directories();
    if (all.empty())
        return std::vector<pid_t>{};
    std::string directory = all.front().second;
    for (const auto& [controller, path] : all)
        if (controller == "pids")
            directory = path;
    auto text = read_file(directory + "/cgroup.procs");
    if (!text)
        return Error::from_errno("open", directory + "/cgroup.procs", ENOENT);
    std::vector<pid_t> pids;
    std::istringstream lines(*text);
    pid_t pid;
    while (lines >> pid) pids.push_back(pid);
    return pids;
}

Result<void> Cgroup::freeze(bool frozen) {
    // v1: freezer.state FROZEN/THAWED (cgroup-v1/freezer-subsystem.rst);
    // v2: cgroup.freeze 1/0 (cgroup-v2.rst "Core Interface Files").
    if (m_layout.version == CgroupVersion::V2)
        return write_file(m_layout.mount_root + m_path + "/cgroup.freeze", frozen ? "1" : "0");
    std::string directory = this->directory("freezer");
    if (directory.empty())
        return Error::message("this host has no freezer cgroup controller; pause is not possible");
    TRY(write_file(directory + "/freezer.state", frozen ? "FROZEN" : "THAWED"));
    // Freezing is asynchronous: wait until the state says it is done.
    for (int attempt = 0; attempt < 1000 && frozen; ++attempt) {
        auto state = read_file(directory + "/freezer.state");
        if (state && state->starts_with("FROZEN"))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return ok();
}

bool Cgroup::frozen() const {
    if (m_layout.version == CgroupVersion::V2)
        return read_key(m_layout.mount_root + m_path + "/cgroup.events", "frozen") == 1;
    std::string directory = this->directory("freezer");
    auto state = directory.empty() ? std::nullopt : read_file(directory + "/freezer.state");
    return state && state->starts_with("FROZEN");
}

CgroupStats Cgroup::stats() const {
    CgroupStats stats;
    auto limit = [](uint64_t value) -> std::optional<uint64_t> {
        // v1 reports "unlimited" as a huge page-rounded number.
        return value >= (1ull << 62) || value == 0 ? std::nullopt : std::optional<uint64_t>(value);
    };
    if (m_layout.version == CgroupVersion::V2) {
        std::string dir = m_layout.mount_root + m_path;
        stats.memory_usage = read_number(dir + "/memory.current");
        auto max = read_file(dir + "/memory.max");
        if (max && !max->starts_with("max"))
            stats.memory_limit = std::strtoull(max->c_str(), nullptr, 10);
        stats.cpu_usage_ns = read_key(dir + "/cpu.stat", "usage_usec") * 1000;
        stats.pids_current = read_number(dir + "/pids.current");
        auto pids_max = read_file(dir + "/pids.max");
        if (pids_max && !pids_max->starts_with("max"))
            stats.pids_limit = std::strtoull(pids_max->c_str(), nullptr, 10);
        stats.oom_kills = read_key(dir + "/memory.events", "oom_kill");
        return stats;
    }
    std::string memory = directory("memory");
    if (!memory.empty()) {
        stats.memory_usage = read_number(memory + "/memory.usage_in_bytes");
        stats.memory_max_usage = read_number(memory + "/memory.max_usage_in_bytes");
        stats.memory_limit = limit(read_number(memory + "/memory.limit_in_bytes"));
        stats.oom_kills = read_key(memory + "/memory.oom_control", "oom_kill");
    }
    std::string cpuacct = directory("cpuacct");
    if (!cpuacct.empty())
        stats.cpu_usage_ns = read_number(cpuacct + "/cpuacct.usage");
    std::string pids = directory("pids");
    if (!pids.empty()) {
        stats.pids_current = read_number(pids + "/pids.current");
        auto pids_max = read_file(pids + "/pids.max");
        if (pids_max && !pids_max->starts_with("max"))
            stats.pids_limit = std::strtoull(pids_max->c_str(), nullptr, 10);
    }
    return stats;
}

Result<void> Cgroup::remove() {
    m_remove_on_destroy = false;
    // A cgroup can be removed only once empty; its last processes may still
    // be exiting, so retry for up to a second (EBUSY).
    for (const auto& [controller, directory] : directories()) {
        int attempt = 0;
        while (::rmdir(directory.c_str()) < 0) {
            if (errno == ENOENT)
                break;
            if (errno != EBUSY || ++attempt > 200)
                return Error::from_errno("rmdir", directory)
                    .with_hint("processes are still in the cgroup; kill them first");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    return ok();
}

}  // namespace twinbox::container
