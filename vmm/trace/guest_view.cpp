// Where the guest is: mode, CS:RIP and the instruction bytes (see guest_view.h).
#include "vmm/trace/guest_view.h"

#include <algorithm>

namespace twinbox {

namespace {

constexpr uint64_t kCr0ProtectionEnable = 1;
constexpr uint64_t kEferLongModeActive = 1ull << 10;
constexpr uint64_t kPageSize = 4096;

}  // namespace

GuestMode guest_mode(const kvm_sregs& sregs) {
    if (!(sregs.cr0 & kCr0ProtectionEnable))
        return GuestMode::real16;
    if (sregs.efer & kEferLongModeActive)
        return sregs.cs.l ? GuestMode::long64 : GuestMode::compat32;
    return sregs.cs.db ? GuestMode::protected32 : GuestMode::protected16;
}

GuestLocation locate_guest(const Vcpu& vcpu, const GuestMemory& memory, const kvm_regs& regs,
                           const kvm_sregs& sregs) {
    GuestLocation location;
    location.mode = guest_mode(sregs);
    location.rip = regs.rip;
    // In 64-bit mode the CS base is ignored (SDM vol. 3A, 3.4.4).
    location.linear = location.mode == GuestMode::long64 ? regs.rip : sregs.cs.base + regs.rip;
    if (location.mode == GuestMode::real16)
        location.linear &= 0xfffff;
    auto translated = vcpu.translate(location.linear);
    if (!translated || !translated->valid) {
        location.instruction = {"(unmapped)", 0};
        return location;
    }
    location.physical = translated->physical_address;
    // Read up to 15 bytes, not crossing into the next page (which may map elsewhere).
    uint64_t room = kPageSize - (location.physical % kPageSize);
    uint64_t length = std::min<uint64_t>(15, room);
    uint8_t bytes[15] = {};
    if (!memory.read(location.physical, {bytes, length})) {
        location.instruction = {"(not in RAM)", 0};
        return location;
    }
    location.instruction = disassemble({bytes, length}, location.mode, location.rip);
    location.bytes.assign(bytes, bytes + location.instruction.length);
    return location;
}

Result<GuestLocation> locate_guest(const Vcpu& vcpu, const GuestMemory& memory) {
    kvm_regs regs = TRY(vcpu.get_regs());
    kvm_sregs sregs = TRY(vcpu.get_sregs());
    return locate_guest(vcpu, memory, regs, sregs);
}

}  // namespace twinbox
