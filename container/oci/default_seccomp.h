// twinbox's default seccomp profile, in the spirit of Docker's
// (moby/profiles seccomp/default.json): every system call returns EPERM
// unless it is on an allowlist of what ordinary programs use. What is left
// out, and why, is written beside the list in default_seccomp.cpp.
//
// The profile is an oci::Seccomp value, the same shape as config.json's
// linux.seccomp, so `twinbox run` puts it into the Spec and the runtime
// applies it exactly as it applies a profile from a bundle.
//
// It is written for x86-64 and also filters the i386 and x32 system call
// tables (SCMP_ARCH_X86, SCMP_ARCH_X32), so 32-bit programs keep working and
// cannot use those tables to get around it. Every name resolves in the
// libseccomp that twinbox builds with (Debian 12: 2.5.4), which the unit
// tests check; system calls newer than that library (mseal, statmount,
// listmount, the *xattrat family) are left out and get EPERM.
#pragma once

#include <string>
#include <vector>

#include "container/oci/spec.h"

namespace twinbox::oci {

// The profile for a container with Docker's default capabilities.
Seccomp default_seccomp_profile();

// The profile for a container whose bounding set holds `capabilities`
// ("CAP_SYS_ADMIN"...): as Docker does, a granted capability also opens the
// system calls that need it (CAP_SYS_PTRACE allows ptrace, CAP_SYS_ADMIN
// allows mount and namespace-creating clone...), so `--cap-add` works without
// `--security-opt seccomp=unconfined`.
Seccomp default_seccomp_profile(const std::vector<std::string>& capabilities);

}  // namespace twinbox::oci
