// seccomp (seccomp(2)): a filter the kernel runs on every system call the
// container makes. Denied calls fail with EPERM instead of reaching the
// kernel code that could be attacked or that reaches outside the container.
//
// The default profile (Docker's allow-list, with the calls a granted
// capability needs) is oci::default_seccomp_profile() in
// container/oci/default_seccomp.h; this file loads profiles into the kernel.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"
#include "container/sys/syscalls.h"

namespace twinbox::container {

// A profile file (`--security-opt seccomp=FILE`): the OCI linux.seccomp
// object or Docker's profile format (defaultAction, syscalls[].names...).
Result<oci::Seccomp> load_seccomp_profile(const std::string& path);

// The profile compiled to a classic BPF program (seccomp(2) "Filters").
struct SeccompProgram {
    std::vector<sock_filter> instructions;
};

// Compiles with libseccomp (seccomp_export_bpf(3)). The runtime does this
// before the container's process is born: compiling takes a few hundred KiB
// of memory, which a container with `-m 1m` could not spare.
Result<SeccompProgram> compile_seccomp(const oci::Seccomp& profile);

// Installs the program in this process (prctl PR_SET_SECCOMP); everything
// it runs from then on inherits it and cannot remove it.
Result<void> load_seccomp(Syscalls& sys, const SeccompProgram& program);

}  // namespace twinbox::container
