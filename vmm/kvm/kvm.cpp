#include "vmm/kvm/kvm.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <memory>

#include "vmm/kvm/capabilities.h"
#include "vmm/kvm/kvm_abi.h"
#include "vmm/kvm/vm.h"

namespace twinbox {

namespace {

// Turns a failed open of /dev/kvm into a sentence that says what to do.
Error open_error(const std::string& path, int err) {
    Error error = Error::from_errno("open", path, err);
    if (err == ENOENT) {
        if (::access("/sys/module/kvm_pvm", F_OK) == 0)
            return std::move(error).with_hint(
                "kvm_pvm is loaded but did not bind (this host is itself a PVM guest); run twinbox inside the test host VM: tests/testhost/testhost.sh -- twinbox ...");
        return std::move(error).with_hint(
            "load KVM (modprobe kvm_intel or kvm_amd) and enable virtualisation in the firmware; on a host without it, run twinbox inside the test host VM: tests/testhost/testhost.sh -- twinbox ...");
    }
    if (err == EACCES || err == EPERM)
        return std::move(error).with_hint("are you root or in the kvm group?");
    return error;
}

}  // namespace

Result<Kvm> Kvm::open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd)
        return open_error(path, errno);
    // api.rst 4.1: the API version is 12 and "will not change"; anything else is not KVM as we know
    // it.
    int version = ::ioctl(fd.get(), KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return Error::message(fmt::format("{} speaks KVM API version {}, twinbox needs {}", path,
                                          version, KVM_API_VERSION))
            .with_hint("this kernel's KVM is too old or not KVM");
    Kvm kvm(std::move(fd), detect_kvm_backend());
    TRY(check_required_capabilities(kvm));
    return kvm;
}

int Kvm::check_extension(int capability) const {
    int result = ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, capability);
    return result < 0 ? 0 : result;
}

int Kvm::max_vcpus() const {
    int max = check_extension(KVM_CAP_MAX_VCPUS);
    if (max <= 0)
        max = check_extension(KVM_CAP_NR_VCPUS);
    return max > 0 ? max : 4;  // api.rst 4.7: assume 4 if neither capability is present
}

Result<size_t> Kvm::vcpu_mmap_size() const {
    int size = ::ioctl(m_fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < 0)
        return Error::from_errno("ioctl(KVM_GET_VCPU_MMAP_SIZE)", "/dev/kvm");
    return static_cast<size_t>(size);
}

Result<std::vector<kvm_cpuid_entry2>> Kvm::supported_cpuid() const {
    // The kernel says E2BIG until the buffer is big enough; grow and retry (api.rst 4.46).
    for (uint32_t capacity = 128; capacity <= 4096; capacity *= 2) {
        size_t bytes = sizeof(kvm_abi::CpuidHeader) + capacity * sizeof(kvm_cpuid_entry2);
        std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
        auto* header = reinterpret_cast<kvm_abi::CpuidHeader*>(buffer.get());
        auto* entries = reinterpret_cast<kvm_cpuid_entry2*>(header + 1);
        header->entry_count = capacity;
        if (::ioctl(m_fd.get(), kvm_abi::kGetSupportedCpuid, buffer.get()) == 0)
            return std::vector<kvm_cpuid_entry2>(entries, entries + header->entry_count);
        if (errno != E2BIG)
            return Error::from_errno("ioctl(KVM_GET_SUPPORTED_CPUID)", "/dev/kvm");
    }
    return Error::message("KVM_GET_SUPPORTED_CPUID returned more than 4096 leaves");
}

Result<Vm> Kvm::create_vm() const {
    // Machine type 0 is the default x86 VM (api.rst 4.2).
    int fd = ::ioctl(m_fd.get(), KVM_CREATE_VM, 0);
    if (fd < 0)
        return Error::from_errno("ioctl(KVM_CREATE_VM)", "/dev/kvm");
    return Vm(UniqueFd(fd));
}

}  // namespace twinbox
