#include "vmm/kvm/capabilities.h"

#include <fmt/core.h>
#include <linux/kvm.h>

#include "vmm/kvm/kvm.h"

namespace twinbox {

namespace {

struct RequiredCapability {
    int capability;
    const char* name;
    const char* why;
};

// Each entry says what twinbox uses the capability for, so the error can too.
constexpr RequiredCapability kRequired[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY",
     "guest RAM is registered with KVM_SET_USER_MEMORY_REGION"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP",
     "the PIC, IOAPIC and local APICs are emulated in the kernel"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2", "the i8254 timer is emulated in the kernel"},
    {KVM_CAP_IRQ_INJECT_STATUS, "KVM_CAP_IRQ_INJECT_STATUS",
     "devices raise interrupts with KVM_IRQ_LINE"},
    {KVM_CAP_HLT, "KVM_CAP_HLT", "idle vCPUs halt in the kernel"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "Intel VMX needs a TSS area for real mode"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR",
     "Intel VMX needs an identity page table for unpaged guests"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "guest CPUID is set with KVM_SET_CPUID2"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE",
     "application processors start in the wait-for-SIPI state"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
     "vCPUs are kicked out of KVM_RUN to stop the VM"},
    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", "virtio queue notifications bypass the vCPU thread"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD", "device threads raise interrupts without the vCPU thread"},
};

}  // namespace

Result<void> check_required_capabilities(const Kvm& kvm) {
    for (const RequiredCapability& required : kRequired) {
        if (kvm.check_extension(required.capability) <= 0)
            return Error::message(
                       fmt::format("KVM on this host lacks {} ({}), which twinbox needs because {}",
                                   required.name, backend_name(kvm.backend()), required.why))
                .with_hint(
                    "use a newer kernel or a host with hardware virtualisation (VMX or SVM)");
    }
    return ok();
}

}  // namespace twinbox
