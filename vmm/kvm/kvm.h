// Kvm: the handle on /dev/kvm, the first of the three move-only KVM handles
// (Kvm -> Vm -> Vcpu), each owning its file descriptor.
// Model: rust-vmm kvm-ioctls src/ioctls/system.rs. API: the kernel's
// Documentation/virt/kvm/api.rst, section 4 ("API description").
#pragma once

#include <linux/kvm.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/kvm/backend.h"

namespace twinbox {

class Vm;

class Kvm {
public:
    // Opens /dev/kvm (or `path`), checks the API version and every capability
    // in the table of required ones (vmm/kvm/capabilities.cpp).
    static Result<Kvm> open(const std::string& path = "/dev/kvm");

    int fd() const { return m_fd.get(); }
    KvmBackend backend() const { return m_backend; }

    // KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific value.
    int check_extension(int capability) const;
    // The most vCPUs one VM may have (KVM_CAP_MAX_VCPUS, falling back to KVM_CAP_NR_VCPUS).
    int max_vcpus() const;
    // The size of the shared kvm_run area each vCPU maps (KVM_GET_VCPU_MMAP_SIZE).
    Result<size_t> vcpu_mmap_size() const;
    // The CPUID leaves KVM can present to guests (KVM_GET_SUPPORTED_CPUID).
    Result<std::vector<kvm_cpuid_entry2>> supported_cpuid() const;

    Result<Vm> create_vm() const;

private:
    explicit Kvm(UniqueFd fd, KvmBackend backend) : m_fd(std::move(fd)), m_backend(backend) {}
    UniqueFd m_fd;
    KvmBackend m_backend;
};

}  // namespace twinbox
