// The VMM's seccomp sandbox: one allow-list of system calls (and, for ioctl,
// of request numbers) per thread role. Each VMM thread installs its list
// after its last setup call, so a guest that takes over a device model or a
// vCPU thread can only make the calls that thread already makes: no open,
// no execve, no socket, no new threads, no executable memory.
//
// Anything else traps (SECCOMP_RET_TRAP): the kernel sends SIGSYS without
// running the call, and the handler (sigsys_report.h) prints one line naming
// the thread and the call and ends the process with status 125. Firecracker
// does the same (resources/seccomp/*.json "default_action": "trap", and its
// SIGSYS handler logs the bad syscall and exits); KILL_PROCESS would leave no
// trace but the parent's "killed by SIGSYS". The tables are in
// seccomp_tables.cpp, one comment per entry saying why the thread needs it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::sandbox {

enum class ThreadRole {
    vcpu,        // KVM_RUN and the exits it serves (port I/O, MMIO: the device models)
    event_loop,  // virtio queues, disk I/O, tap, entropy (vmm/virtio/event_loop.h)
    control,     // the control socket (vm pause|resume|stop|inspect, top)
    console,     // the main thread: terminal, signals, stopping the others, teardown
};

std::string_view role_name(ThreadRole role);

// One allowed call. `argument`/`mask`/`value`, when set, allow it only when
// (argument `argument` & mask) == value (ioctl request numbers, mmap without
// PROT_EXEC).
struct SyscallRule {
    const char* name;  // as libseccomp spells it (seccomp_syscall_resolve_name)
    const char* why;
    std::optional<unsigned> argument = std::nullopt;
    uint64_t mask = 0;
    uint64_t value = 0;
};

// The allow-list of a role (seccomp_tables.cpp).
std::span<const SyscallRule> rules_for(ThreadRole role);

// The role's filter as classic BPF (what seccomp(2) loads), for tests and
// for inspection; an error names the rule libseccomp refused.
Result<std::vector<uint8_t>> export_filter(ThreadRole role);

// Installs the role's filter on the calling thread only (no TSYNC): threads
// it starts later inherit it, so install after the last thread is started.
// Also sets the SIGSYS reporter up (once per process).
Result<void> install_thread_filter(ThreadRole role);

}  // namespace twinbox::sandbox
