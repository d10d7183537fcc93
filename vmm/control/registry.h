// The registry of running VMs: how `twinbox vm ls`, `vm pause|resume|stop`,
// `vm inspect` and `top` find a VM started by another `twinbox vm run`.
//
//   $TWINBOX_ROOT/run/vms/NAME/state.json    who runs it: pid, its start time,
//                                            when, and what (guest, vCPUs, memory)
//   $TWINBOX_ROOT/run/vms/NAME/control.sock  the control socket (protocol.h)
//
// (/run/twinbox/vms without TWINBOX_ROOT, next to the containers; see
// common/twinbox_root.h.) `vm run` creates the directory with mkdir(2), which
// is atomic, so two VMs cannot take the same name; it removes the directory
// when the VM ends. A twinbox killed by SIGKILL cannot clean up: the next
// listing sees that its PID is dead (or reused: the start time differs) and
// removes the entry, as the container engine does with its state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox {

struct VmRecord {
    std::string name;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // /proc/PID/stat field 22
    std::string started;          // RFC 3339, UTC
    int64_t started_unix_ms = 0;
    std::string boot;   // "kernel", "multiboot" or "flat"
    std::string guest;  // the kernel or binary
    uint32_t cpus = 0;
    uint64_t memory = 0;  // bytes
};

// Names: letters, digits, '_', '.', '-', starting with a letter or digit, at
// most 64 characters (so the socket path fits in sockaddr_un).
Result<void> validate_vm_name(std::string_view name);
// A fresh name for a VM started without --name: 12 hex digits, like a container id.
std::string random_vm_name();

// A VM's entry, removed when this object is destroyed (the VM ended).
class VmRegistration {
public:
    explicit VmRegistration(std::string directory) : m_directory(std::move(directory)) {}
    VmRegistration(VmRegistration&& other) noexcept : m_directory(std::move(other.m_directory)) {
        other.m_directory.clear();
    }
    VmRegistration& operator=(VmRegistration&&) = delete;
    ~VmRegistration();
    const std::string& directory() const { return m_directory; }
    // Leaves the entry in place when destroyed (a sandboxed VMM's parent removes it).
    void keep() { m_directory.clear(); }
    std::string socket_path() const { return m_directory + "/control.sock"; }

private:
    std::string m_directory;
};

class VmRegistry {
public:
    explicit VmRegistry(std::string root) : m_root(std::move(root)) {}
    // twinbox_run_root() + "/vms".
    static VmRegistry open_default();

    const std::string& root() const { return m_root; }
    std::string directory(const std::string& name) const { return m_root + "/" + name; }
    std::string socket_path(const std::string& name) const {
        return directory(name) + "/control.sock";
    }

    // Claims record.name for this process and writes its state file. A name held
    // by a dead twinbox is taken over; one held by a live VM is an error.
    Result<VmRegistration> add(const VmRecord& record) const;
    // The live VMs, sorted by name; stale entries are removed on the way.
    std::vector<VmRecord> list() const;
    // The same, plus one error (kind Damaged) per entry whose state.json
    // cannot be read: such an entry is named, never removed.
    struct Listing {
        std::vector<VmRecord> records;
        std::vector<Error> damaged;
    };
    Listing scan() const;
    // A live VM by name; an unknown, stale or damaged name is an error.
    Result<VmRecord> find(const std::string& name) const;

private:
    enum class Liveness { alive, stale, damaged };
    // `record` receives the entry when alive, `damage` why it is damaged.
    Liveness check(const std::string& name, VmRecord* record, Error* damage = nullptr) const;
    void remove_stale(const std::string& name) const;
    void remove_abandoned_staging(const std::string& name) const;

    // add() writes an entry under this prefix (never a valid VM name) first.
    static constexpr std::string_view kStagingPrefix = ".adding-";

    std::string m_root;
};

}  // namespace twinbox
