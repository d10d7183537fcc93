// The single-stepper's loop (see stepper.h for the KVM mechanism).
#include "vmm/machine/stepper.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "common/log.h"
#include "vmm/trace/guest_view.h"
#include "vmm/trace/register_diff.h"

namespace twinbox {

namespace {

// Written by the signal handlers below. A signal also sets immediate_exit in
// the vCPU's kvm_run page, so that a signal arriving just before KVM_RUN still
// makes it return at once (api.rst, "immediate_exit").
std::atomic<int> g_signal{0};
std::atomic<bool> g_alarm{false};
std::atomic<kvm_run*> g_run{nullptr};
std::atomic<pid_t> g_stepping_thread{0};

void on_signal(int signal) {
    if (signal == SIGALRM)
        g_alarm.store(true);
    else
        g_signal.store(signal);
    if (kvm_run* run = g_run.load())
        run->immediate_exit = 1;
    // A process-directed signal may land on another thread (the control socket's):
    // pass it on, since only a signal to the stepping thread interrupts its KVM_RUN.
    pid_t stepping = g_stepping_thread.load();
    if (stepping != 0 && ::gettid() != stepping)
        ::tgkill(::getpid(), stepping, signal);
}

// Ctrl-C, SIGTERM and SIGHUP stop the stepper; SIGALRM is its watchdog. No
// SA_RESTART: KVM_RUN must return EINTR. Restores the old handlers on exit.
class SignalScope {
public:
    explicit SignalScope(kvm_run* run) {
        g_signal.store(0);
        g_alarm.store(false);
        g_run.store(run);
        g_stepping_thread.store(::gettid());
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < std::size(kSignals); ++i)
            ::sigaction(kSignals[i], &action, &m_previous[i]);
    }
    ~SignalScope() {
        arm(std::chrono::milliseconds(0));
        for (size_t i = 0; i < std::size(kSignals); ++i)
            ::sigaction(kSignals[i], &m_previous[i], nullptr);
        g_run.store(nullptr);
        g_stepping_thread.store(0);
    }
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;

    // One-shot watchdog; 0 disarms it.
    static void arm(std::chrono::milliseconds after) {
        itimerval timer{};
        timer.it_value.tv_sec = after.count() / 1000;
        timer.it_value.tv_usec = (after.count() % 1000) * 1000;
        ::setitimer(ITIMER_REAL, &timer, nullptr);
    }

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM};
    struct sigaction m_previous[std::size(kSignals)]{};
};

// The linear address of CS:RIP, what DR0 and --break compare against (SDM vol. 3A, 3.4).
uint64_t linear_rip(const kvm_regs& regs, const kvm_sregs& sregs) {
    switch (guest_mode(sregs)) {
        case GuestMode::long64:
            return regs.rip;
        case GuestMode::real16:
            return (sregs.cs.base + regs.rip) & 0xfffff;
        default:
            return (sregs.cs.base + regs.rip) & 0xffffffff;
    }
}

// "port 0x3f8 out 0x48" / "MMIO read 0xc0000000 4 bytes 0x..." from the kvm_run page.
std::string describe_exit(const kvm_run& run, size_t run_size) {
    auto hex = [](const uint8_t* data, size_t length) {
        uint64_t value = 0;
        for (size_t i = 0; i < length && i < 8; ++i) value |= uint64_t{data[i]} << (8 * i);
        return fmt::format("{:#x}", value);
    };
    if (run.exit_reason == KVM_EXIT_IO) {
        const char* direction = run.io.direction == KVM_EXIT_IO_OUT ? "out" : "in";
        std::string text = fmt::format("IO port {:#x} {}", run.io.port, direction);
        size_t size = run.io.size;
        if (size >= 1 && size <= 4 && run.io.data_offset + size * run.io.count <= run_size)
            text += " " + hex(reinterpret_cast<const uint8_t*>(&run) + run.io.data_offset, size);
        if (run.io.count > 1)
            text += fmt::format(" (x{})", run.io.count);
        return text;
    }
    if (run.exit_reason == KVM_EXIT_MMIO)
        return fmt::format("MMIO {} {:#x} {}", run.mmio.is_write ? "write" : "read",
                           run.mmio.phys_addr,
                           hex(run.mmio.data, std::min<size_t>(run.mmio.len, 8)));
    return {};
}

}  // namespace

void CapturedOutput::write(std::span<const uint8_t> bytes) {
    std::lock_guard guard(m_lock);
    m_pending.append(bytes.begin(), bytes.end());
}

std::string CapturedOutput::take() {
    std::lock_guard guard(m_lock);
    return std::exchange(m_pending, {});
}

std::string printable_bytes(const std::string& bytes) {
    std::string text;
    for (unsigned char c : bytes) {
        if (c == '\n')
            text += "\\n";
        else if (c == '\r')
            text += "\\r";
        else if (c == '"' || c == '\\')
            text += fmt::format("\\{}", static_cast<char>(c));
        else if (c >= 0x20 && c < 0x7f)
            text += static_cast<char>(c);
        else
            text += fmt::format("\\x{:02x}", c);
    }
    return text;
}

Result<Stepper::Entry> Stepper::enter(std::chrono::seconds timeout, std::string* exit_note) {
    SignalScope::arm(timeout);
    auto reason = m_machine.enter_guest_once();
    SignalScope::arm(std::chrono::milliseconds(0));
    if (!reason)
        return std::move(reason).error();
    if (exit_note)
        *exit_note = describe_exit(*m_machine.boot_vcpu().run_state(),
                                   m_machine.boot_vcpu().run_state_size());
    if (int signal = g_signal.load()) {
        m_signal = signal;
        return Entry::interrupted;
    }
    if (m_machine.stopping())
        return Entry::stopped;
    if (*reason == KVM_EXIT_DEBUG)
        return Entry::debug_trap;
    if (*reason == KVM_EXIT_INTR && g_alarm.exchange(false))
        return Entry::timed_out;
    return Entry::other_exit;
}

Result<void> Stepper::set_debug(uint32_t flags, std::optional<uint64_t> breakpoint) {
    kvm_guest_debug debug{};
    debug.control = KVM_GUESTDBG_ENABLE | flags;
    if (breakpoint) {
        // DR0 = the address; DR7: L0 (bit 0) enables it, R/W0 = 00 and LEN0 = 00 make it
        // an instruction breakpoint; bit 10 always reads as 1 (SDM vol. 3B, 17.2.4).
        debug.arch.debugreg[0] = *breakpoint;
        debug.arch.debugreg[7] = (1u << 0) | (1u << 10);
    }
    return m_machine.boot_vcpu().set_guest_debug(debug);
}

Result<bool> Stepper::reached(uint64_t address) {
    Vcpu& vcpu = m_machine.boot_vcpu();
    kvm_regs regs = TRY(vcpu.get_regs());
    kvm_sregs sregs = TRY(vcpu.get_sregs());
    return linear_rip(regs, sregs) == address;
}

void Stepper::flush_serial(const char* prefix) {
    std::string output = m_serial->take();
    if (!output.empty())
        fmt::print(m_out, "{}serial: \"{}\"\n", prefix, printable_bytes(output));
}

int Stepper::stopped_status(const char* what, uint64_t steps) {
    int status = m_machine.exit_status();
    flush_serial("       | ");
    if (status == exit_code::kTwinboxError)
        fmt::print(m_out, "-- the VM failed {} (after {} instructions); see the error above\n",
                   what, steps);
    else
        fmt::print(m_out, "-- the guest ended the VM {} (after {} instructions): exit status {}\n",
                   what, steps, status);
    return status;
}

Result<int> Stepper::timed_out_status(uint64_t steps, std::chrono::seconds timeout) {
    auto state = m_machine.boot_vcpu().get_mp_state();
    flush_serial("       | ");
    if (state && state->mp_state == KVM_MP_STATE_HALTED) {
        // A HLT with nothing to wake it is where a bare-metal guest ends.
        fmt::print(
            m_out,
            "-- the vCPU is halted (hlt) after {} instructions and nothing woke it within {} s: the guest has ended\n",
            steps, timeout.count());
        return exit_code::kGuestPoweredOff;
    }
    return Error::message(
               fmt::format("no guest instruction completed within {} s after {} instructions",
                           timeout.count(), steps))
        .with_hint("raise --timeout");
}

Result<int> Stepper::run(const StepOptions& options) {
    SignalScope signals(m_machine.boot_vcpu().run_state());
    auto status = options.break_address ? run_to_break(options) : Result<int>(-1);
    if (status && *status < 0)
        status = step(options);
    return status;
}

}  // namespace twinbox
