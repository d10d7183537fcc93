// The two phases of `twinbox vm step`: run to the breakpoint, then show
// instructions one by one (see stepper.h).
#include <cpuid.h>
#include <fmt/core.h>
#include <string.h>

#include <vector>

#include "common/log.h"
#include "vmm/machine/stepper.h"
#include "vmm/trace/guest_view.h"
#include "vmm/trace/register_diff.h"

namespace twinbox {

namespace {

constexpr const char* kNotePrefix = "       | ";

// CPUID.1:ECX bit 31, "hypervisor present": this host is itself a VM, so KVM
// here is nested. In the nested test host (AMD SVM emulated by QEMU TCG) KVM
// accepts KVM_GUESTDBG_USE_HW_BP but the breakpoint never fires, so --break
// single-steps there instead. On bare metal the hardware breakpoint is used.
bool running_nested() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return true;
    return (ecx >> 31) & 1;
}

Result<CpuSnapshot> snapshot(const Vcpu& vcpu) {
    CpuSnapshot cpu;
    cpu.regs = TRY(vcpu.get_regs());
    cpu.sregs = TRY(vcpu.get_sregs());
    return cpu;
}

}  // namespace

// Returns -1 when the breakpoint was reached (go on stepping), else the exit status.
Result<int> Stepper::run_to_break(const StepOptions& options) {
    uint64_t address = *options.break_address;
    if (TRY(reached(address)))
        return -1;
    bool hardware = false;
    if (options.break_method == BreakMethod::hardware ||
        (options.break_method == BreakMethod::automatic && !running_nested())) {
        auto set = set_debug(KVM_GUESTDBG_USE_HW_BP, address);
        if (set)
            hardware = true;
        else if (options.break_method == BreakMethod::hardware)
            return std::move(set).error().with_hint(
                "this KVM has no hardware breakpoints for guests; use --break-by step");
    }
    if (!hardware)
        TRY(set_debug(KVM_GUESTDBG_SINGLESTEP, std::nullopt));

    // Bounded in total by the timeout (the hardware breakpoint lets the guest run at
    // full speed) and, when stepping, also by max_steps.
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    auto not_reached = [&](uint64_t steps) {
        flush_serial(kNotePrefix);
        std::string how = hardware ? "" : fmt::format(" ({} instructions)", steps);
        return Error::message(fmt::format("--break {:#x} not reached within {} s{}", address,
                                          options.timeout.count(), how))
            .with_hint(
                "check the address (a linear address: segment base + IP) or raise --timeout");
    };
    uint64_t steps = 0;
    while (true) {
        auto remaining = std::chrono::duration_cast<std::chrono::seconds>(
            deadline - std::chrono::steady_clock::now());
        Entry entry = TRY(enter(std::max(remaining, std::chrono::seconds(1)), nullptr));
        switch (entry) {
            case Entry::debug_trap:
                ++steps;
                if (TRY(reached(address))) {
                    flush_serial(kNotePrefix);
                    if (hardware)
                        fmt::print(m_out, "-- reached {:#x} (hardware breakpoint, DR0)\n", address);
                    else
                        fmt::print(m_out, "-- reached {:#x} after {} instructions\n", address,
                                   steps);
                    return -1;
                }
                if (!hardware && steps >= options.max_steps) {
                    flush_serial(kNotePrefix);
                    return Error::message(
                               fmt::format("--break {:#x} not reached after {} instructions",
                                           address, steps))
                        .with_hint(
                            "check the address (a linear address: segment base + IP) or raise --max-steps");
                }
                if (std::chrono::steady_clock::now() >= deadline)
                    return not_reached(steps);
                break;
            case Entry::other_exit:
                if (std::chrono::steady_clock::now() >= deadline)
                    return not_reached(steps);
                break;
            case Entry::stopped:
                if (hardware)
                    fmt::print(
                        m_out,
                        "-- (a hardware breakpoint: if the guest did pass {:#x}, this KVM does not deliver them; try --break-by step)\n",
                        address);
                return stopped_status("before reaching the breakpoint", steps);
            case Entry::interrupted:
                fmt::print(m_out, "-- interrupted by {} before reaching the breakpoint\n",
                           strsignal(m_signal));
                return exit_code::kSignalBase + m_signal;
            case Entry::timed_out: {
                // A halted vCPU ends the guest; otherwise time is up.
                auto state = m_machine.boot_vcpu().get_mp_state();
                if (!hardware && state && state->mp_state == KVM_MP_STATE_HALTED)
                    return timed_out_status(steps, options.timeout);
                return not_reached(steps);
            }
        }
    }
}

Result<int> Stepper::step(const StepOptions& options) {
    Vcpu& vcpu = m_machine.boot_vcpu();
    TRY(set_debug(KVM_GUESTDBG_SINGLESTEP, std::nullopt));
    CpuSnapshot before = TRY(snapshot(vcpu));
    fmt::print(m_out, "{:>5}  {:>8}  {:<20}  {:<28}  {}\n", "#", "address", "bytes", "instruction",
               "registers changed");
    for (uint64_t count = 1; count <= options.count; ++count) {
        GuestLocation location = locate_guest(vcpu, m_machine.memory(), before.regs, before.sregs);
        std::vector<std::string> notes;
        Entry entry;
        do {
            std::string exit_note;
            entry = TRY(enter(options.timeout, &exit_note));
            if (entry != Entry::debug_trap && !exit_note.empty())
                notes.push_back("exit: " + exit_note);
            std::string output = m_serial->take();
            if (!output.empty())
                notes.push_back(fmt::format("serial: \"{}\"", printable_bytes(output)));
        } while (entry == Entry::other_exit);
        if (entry == Entry::timed_out)
            return timed_out_status(count - 1, options.timeout);
        if (entry == Entry::interrupted) {
            // The instruction did not complete: it is not listed.
            fmt::print(m_out, "-- interrupted by {} after {} instructions\n", strsignal(m_signal),
                       count - 1);
            return exit_code::kSignalBase + m_signal;
        }

        CpuSnapshot after = TRY(snapshot(vcpu));
        bool completed = entry == Entry::debug_trap;
        std::string changes =
            completed ? format_changes(diff_registers(before, after, location.mode)) : "";
        fmt::print(m_out, "{}\n",
                   format_step(count, location.linear, location.bytes, location.instruction.text,
                               changes));
        for (const std::string& note : notes) fmt::print(m_out, "{}{}\n", kNotePrefix, note);
        if (entry == Entry::stopped)
            return stopped_status("during this instruction", count);
        GuestMode mode = guest_mode(after.sregs);
        if (mode != location.mode)
            fmt::print(m_out, "{}mode: {} -> {}\n", kNotePrefix, guest_mode_name(location.mode),
                       guest_mode_name(mode));
        before = after;
    }
    GuestLocation next = locate_guest(vcpu, m_machine.memory(), before.regs, before.sregs);
    fmt::print(m_out, "-- stopped after {} instructions; next: {:#x}  {}\n", options.count,
               next.linear, next.instruction.text);
    return exit_code::kGuestPoweredOff;
}

}  // namespace twinbox
