// C++-safe forms of the KVM structures that end in a flexible array.
//
// Linux's uapi headers declare those arrays with __DECLARE_FLEX_ARRAY, which
// in C++ wraps them in a struct holding an empty struct. An empty struct has
// size 1 in C++ (0 in C), so from C++ `struct kvm_cpuid2` is 12 bytes with its
// entries at offset 12 instead of 8 bytes with entries at 8, and `struct
// kvm_msrs` is 16 instead of 8. The size is encoded in the ioctl number
// (_IOWR), so KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2 and KVM_SET_MSRS as
// spelled in the header are numbers the kernel does not know (EINVAL). twinbox
// therefore declares the fixed headers itself, with the C layout pinned by
// static_assert, and builds the ioctl numbers from them.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>

namespace twinbox::kvm_abi {

// struct kvm_cpuid2 without its entries (api.rst 4.46 and 4.73).
struct CpuidHeader {
    uint32_t entry_count;
    uint32_t padding;
};
static_assert(sizeof(CpuidHeader) == 8);

// struct kvm_msrs without its entries (api.rst 4.18 and 4.19).
struct MsrsHeader {
    uint32_t msr_count;
    uint32_t padding;
};
static_assert(sizeof(MsrsHeader) == 8);
static_assert(sizeof(kvm_cpuid_entry2) == 40);
static_assert(sizeof(kvm_msr_entry) == 16);

inline constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);
inline constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, MsrsHeader);

}  // namespace twinbox::kvm_abi
