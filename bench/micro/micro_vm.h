// The VM side of the micro-benchmarks (bench/micro): the guest
// (guest/exit-loop.asm) started in a real twinbox Machine, a bare VM for the
// HLT exit, the name of the KVM backend each figure comes from, and a
// watchdog that turns a guest that stops exiting into an error instead of a
// hang.
//
// Every VM exit benchmark drives the vCPU from the benchmark thread through
// Machine::enter_guest_once() (vmm/machine/machine_step.cpp): one KVM_RUN and
// the same handle_exit() dispatch to the port-I/O and MMIO buses as `twinbox
// vm run`, so one benchmark iteration is one round trip guest -> KVM ->
// twinbox's device -> guest.
#pragma once

#include <linux/kvm.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine/machine.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox::micro {

// The guest's port and MMIO address (exit-loop.asm): COM1's scratch register
// and the boot-timer page.
inline constexpr uint16_t kScratchPort = 0x3ff;
inline constexpr uint64_t kMmioAddress = 0xc0000000;

// exit-loop.elf: $TWINBOX_MICRO_GUEST, else the one this binary was built with.
std::string guest_path();
// "KVM_EXIT_IO" for 2, "exit reason 99" for unknown ones.
std::string exit_reason_name(uint32_t reason);
// The backend of /dev/kvm as the report names it: "PVM", "SVM", "VMX",
// "nested SVM" / "nested VMX" when this host is itself a guest (the CPUID
// hypervisor bit), or "none (no /dev/kvm)".
std::string kvm_backend_label();
// True on AMD and Hygon CPUs, whose hypercall instruction is VMMCALL.
bool cpu_is_amd();

// A twinbox Machine (1 vCPU, no serial output, no virtio) running exit-loop.elf
// with command line "@KIND COUNT".
Result<std::unique_ptr<Machine>> start_guest(char kind, uint32_t count);

// A VM with no in-kernel interrupt controller, so that HLT exits to user
// space (with one, KVM waits for an interrupt in the kernel). Built from
// twinbox's kvm/, memory/, boot/ and arch/ code, without Machine's devices.
class BareVm {
public:
    static Result<std::unique_ptr<BareVm>> create(char kind, uint32_t count);
    // One KVM_RUN; returns the exit reason (KVM_EXIT_INTR after a signal).
    Result<uint32_t> enter();
    kvm_run* run_state() { return m_vcpu->run_state(); }

private:
    BareVm(GuestMemory memory, Kvm kvm) : m_memory(std::move(memory)), m_kvm(std::move(kvm)) {}
    GuestMemory m_memory;
    Kvm m_kvm;
    std::optional<Vm> m_vm;
    std::optional<Vcpu> m_vcpu;
};

// Kicks the benchmark thread out of KVM_RUN (immediate_exit and a signal, as
// Machine::kick_vcpus does) when `tick()` has not been called for `limit`
// seconds, so a guest stuck without exits ends the benchmark with an error.
class Watchdog {
public:
    explicit Watchdog(double limit_seconds);
    ~Watchdog();
    void arm(kvm_run* run);  // on the benchmark thread
    void disarm();
    void tick() { m_progress.fetch_add(1, std::memory_order_relaxed); }
    bool fired() const { return m_fired.load(); }

private:
    void watch();
    double m_limit;
    pthread_t m_target{};
    std::atomic<kvm_run*> m_run{nullptr};
    std::atomic<uint64_t> m_progress{0};
    std::atomic<bool> m_fired{false};
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

}  // namespace twinbox::micro
