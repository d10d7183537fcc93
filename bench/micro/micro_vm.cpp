// See micro_vm.h.
#include "bench/micro/micro_vm.h"

#include <cpuid.h>
#include <fmt/core.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/file.h"
#include "vmm/arch/x86_64/cpu_state.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/multiboot.h"

#ifndef TWINBOX_MICRO_GUEST_DEFAULT
#define TWINBOX_MICRO_GUEST_DEFAULT "exit-loop.elf"
#endif

namespace twinbox::micro {

namespace {

constexpr uint64_t kGuestMemory = 32ull << 20;
// The watchdog's signal: the same as Machine's kick (SIGUSR1), with a handler
// that does nothing and no SA_RESTART, so KVM_RUN returns EINTR.
constexpr int kKickSignal = SIGUSR1;

void ignore_signal(int) {}

std::string command_line(char kind, uint32_t count) {
    return fmt::format("@{} {}", kind, count);
}

bool host_is_a_guest() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    return (ecx >> 31) & 1;  // CPUID.1:ECX bit 31, "hypervisor present"
}

}  // namespace

std::string guest_path() {
    const char* set = std::getenv("TWINBOX_MICRO_GUEST");
    return set && *set ? set : TWINBOX_MICRO_GUEST_DEFAULT;
}

std::string exit_reason_name(uint32_t reason) {
    switch (reason) {
        case KVM_EXIT_UNKNOWN:
            return "KVM_EXIT_UNKNOWN";
        case KVM_EXIT_EXCEPTION:
            return "KVM_EXIT_EXCEPTION";
        case KVM_EXIT_IO:
            return "KVM_EXIT_IO";
        case KVM_EXIT_HYPERCALL:
            return "KVM_EXIT_HYPERCALL";
        case KVM_EXIT_DEBUG:
            return "KVM_EXIT_DEBUG";
        case KVM_EXIT_HLT:
            return "KVM_EXIT_HLT";
        case KVM_EXIT_MMIO:
            return "KVM_EXIT_MMIO";
        case KVM_EXIT_SHUTDOWN:
            return "KVM_EXIT_SHUTDOWN";
        case KVM_EXIT_FAIL_ENTRY:
            return "KVM_EXIT_FAIL_ENTRY";
        case KVM_EXIT_INTR:
            return "KVM_EXIT_INTR";
        case KVM_EXIT_INTERNAL_ERROR:
            return "KVM_EXIT_INTERNAL_ERROR";
        case KVM_EXIT_SYSTEM_EVENT:
            return "KVM_EXIT_SYSTEM_EVENT";
        default:
            return fmt::format("exit reason {}", reason);
    }
}

std::string kvm_backend_label() {
    if (::access("/dev/kvm", R_OK | W_OK) != 0)
        return "none (no /dev/kvm)";
    switch (detect_kvm_backend()) {
        case KvmBackend::pvm:
            return "PVM";
        case KvmBackend::svm:
            return host_is_a_guest() ? "nested SVM" : "SVM";
        case KvmBackend::vmx:
            return host_is_a_guest() ? "nested VMX" : "VMX";
        case KvmBackend::unknown:
            break;
    }
    return "unknown";
}

bool cpu_is_amd() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __get_cpuid(0, &eax, &ebx, &ecx, &edx);
    char vendor[13] = {};
    std::memcpy(vendor, &ebx, 4);
    std::memcpy(vendor + 4, &edx, 4);
    std::memcpy(vendor + 8, &ecx, 4);
    return std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0;
}

Result<std::unique_ptr<Machine>> start_guest(char kind, uint32_t count) {
    VmConfig config;
    config.multiboot = guest_path();
    config.command_line = command_line(kind, count);
    config.memory = kGuestMemory;
    config.serial = SerialOutput::none;
    config.rng = false;
    return Machine::create(config);
}

Result<std::unique_ptr<BareVm>> BareVm::create(char kind, uint32_t count) {
    std::string path = guest_path();
    auto image = TRY(read_whole_file(path, "micro-benchmark guest", 16 << 20));
    auto memory = TRY(GuestMemory::create(kGuestMemory));
    MultibootConfig multiboot{image, path, command_line(kind, count), {}};
    BootEntry entry = TRY(load_multiboot(memory, multiboot).with_context(path));
    std::unique_ptr<BareVm> vm(new BareVm(std::move(memory), TRY(Kvm::open())));
    vm->m_vm.emplace(TRY(vm->m_kvm.create_vm()));
    TRY(vm->m_vm->set_tss_and_identity_map(layout::kTssAddress, layout::kIdentityMapAddress));
    TRY(vm->m_vm->register_memory(vm->m_memory));
    vm->m_vcpu.emplace(TRY(vm->m_vm->create_vcpu(0, TRY(vm->m_kvm.vcpu_mmap_size()))));
    // No configure_vcpu(): it programs the in-kernel LAPIC, which this VM lacks.
    auto cpuid = TRY(vm->m_kvm.supported_cpuid());
    TRY(vm->m_vcpu->set_cpuid(cpuid));
    TRY(set_boot_state(*vm->m_vcpu, vm->m_memory, entry));
    return vm;
}

Result<uint32_t> BareVm::enter() {
    auto entered = m_vcpu->run();
    if (!entered) {
        int err = entered.error().code();
        if (err != EINTR && err != EAGAIN)
            return std::move(entered).error();
        m_vcpu->run_state()->immediate_exit = 0;
        return uint32_t{KVM_EXIT_INTR};
    }
    return m_vcpu->run_state()->exit_reason;
}

Watchdog::Watchdog(double limit_seconds) : m_limit(limit_seconds) {
    struct sigaction action {};
    action.sa_handler = ignore_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(kKickSignal, &action, nullptr);
    m_thread = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
    m_stop.store(true);
    m_thread.join();
}

void Watchdog::arm(kvm_run* run) {
    m_target = ::pthread_self();
    m_fired.store(false);
    m_run.store(run);
}

void Watchdog::disarm() {
    m_run.store(nullptr);
}

void Watchdog::watch() {
    using namespace std::chrono;
    uint64_t seen = m_progress.load();
    auto since = steady_clock::now();
    while (!m_stop.load()) {
        std::this_thread::sleep_for(milliseconds(100));
        uint64_t now_progress = m_progress.load();
        auto now = steady_clock::now();
        kvm_run* run = m_run.load();
        if (now_progress != seen || !run) {
            seen = now_progress;
            since = now;
            continue;
        }
        if (duration<double>(now - since).count() < m_limit)
            continue;
        m_fired.store(true);
        __atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        ::pthread_kill(m_target, kKickSignal);
        since = now;
    }
}

}  // namespace twinbox::micro
