// Control groups: the resource limits of a container (cgroups(7)).
//
// Two kernel interfaces exist and twinbox detects which one the host uses
// at run time:
//
//   v1  one hierarchy per controller        /sys/fs/cgroup/memory/twinbox/ID/memory.limit_in_bytes
//       (this machine: v1 controllers        /sys/fs/cgroup/pids/twinbox/ID/pids.max
//       plus a cgroup2 mount at unified/    ...
//       holding only hugetlb - "hybrid")
//   v2  one unified hierarchy                /sys/fs/cgroup/twinbox/ID/memory.max
//                                            /sys/fs/cgroup/twinbox/ID/pids.max
//
// A container's cgroup is a directory in each hierarchy; writing the
// container's PID to cgroup.procs moves it in, writing limit files limits
// it, and rmdir(2) removes it once it is empty. limits.cpp computes which
// files to write from the spec's linux.resources (a pure function that the
// unit tests check); this class does the file system work.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"

namespace twinbox::container {

enum class CgroupVersion { V1, V2 };

struct CgroupLayout {
    CgroupVersion version = CgroupVersion::V1;
    std::string mount_root = "/sys/fs/cgroup";
    // v1 only: the controllers twinbox uses that this host has mounted.
    std::vector<std::string> v1_controllers;
};

// Looks at what is mounted on `mount_root` (statfs(2): cgroup2 magic = v2).
Result<CgroupLayout> detect_cgroup_layout(const std::string& mount_root = "/sys/fs/cgroup");

// One file write: "memory", "memory.limit_in_bytes", "1048576". For v2 the
// controller is informational (all files live in one directory).
struct CgroupWrite {
    std::string controller;
    std::string file;
    std::string value;
    bool optional = false;  // skip quietly if the host lacks the file (blkio.weight)
};

// The writes that impose `resources`, in the order the kernel needs them.
Result<std::vector<CgroupWrite>> cgroup_writes(CgroupVersion version,
                                               const oci::Resources& resources);

// linux.resources plus an allow rule for each linux.devices node (whose
// creation and use the device cgroup would otherwise refuse).
oci::Resources resources_with_devices(const oci::Linux& linux);

// --cpus 1.5 -> quota 150000 per period 100000 (Docker's arithmetic).
std::pair<int64_t, uint64_t> cpus_to_quota(double cpus);
// cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), as runc converts.
uint64_t shares_to_weight(uint64_t shares);

struct CgroupStats {
    uint64_t memory_usage = 0;             // bytes
    std::optional<uint64_t> memory_limit;  // bytes; nullopt = unlimited
    uint64_t memory_max_usage = 0;         // v1 only
    uint64_t cpu_usage_ns = 0;
    uint64_t pids_current = 0;
    std::optional<uint64_t> pids_limit;
    uint64_t oom_kills = 0;  // processes the OOM killer took
};

// A container's cgroup. Move-only; removes its directories when destroyed
// unless keep() was called (so an error while creating a container never
// leaves a cgroup behind).
class Cgroup {
public:
    // Creates the directories (mkdir -p) and writes the limits. `path` is
    // absolute within the hierarchy: "/twinbox/ID". A cgroup that already
    // exists is used only if it holds no process (runc's rule), and is then
    // not ours: created() is false and nothing removes it.
    static Result<Cgroup> create(const CgroupLayout& layout, const std::string& path,
                                 const oci::Resources& resources);
    // An existing cgroup (for exec, stats, kill --all, delete). Not removed when destroyed.
    static Cgroup open(const CgroupLayout& layout, const std::string& path);

    Cgroup(Cgroup&& other) noexcept;
    Cgroup& operator=(Cgroup&& other) noexcept;
    Cgroup(const Cgroup&) = delete;
    Cgroup& operator=(const Cgroup&) = delete;
    ~Cgroup();

    const std::string& path() const { return m_path; }
    // The host directory of each hierarchy ("memory" -> /sys/fs/cgroup/memory/twinbox/ID).
    std::vector<std::pair<std::string, std::string>> directories() const;

    // Writes new limits into an existing cgroup (`twinbox-oci update`): only
    // what `resources` sets changes.
    Result<void> update(const oci::Resources& resources);
    Result<void> add_process(pid_t pid);
    Result<std::vector<pid_t>> processes() const;
    Result<void> freeze(bool frozen);
    bool frozen() const;
    CgroupStats stats() const;
    // rmdir(2) in every hierarchy; retries briefly while the last processes exit.
    Result<void> remove();
    void keep() { m_remove_on_destroy = false; }
    // Whether create() made the directories (false: they existed before).
    bool created() const { return m_created; }

private:
    Cgroup(CgroupLayout layout, std::string path, bool remove_on_destroy)
        : m_layout(std::move(layout)),
          m_path(std::move(path)),
          m_remove_on_destroy(remove_on_destroy) {}
    std::string directory(const std::string& controller) const;
    Result<void> apply(const std::vector<CgroupWrite>& writes);

    CgroupLayout m_layout;
    std::string m_path;
    bool m_remove_on_destroy = false;
    bool m_created = false;
};

}  // namespace twinbox::container
