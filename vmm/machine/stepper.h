// The single-stepper (`twinbox vm step`): runs a one-vCPU guest one
// instruction at a time and prints each instruction with the registers it
// changed, the VM exits it caused and the serial output it produced.
//
// KVM does the stepping (api.rst 4.39, KVM_SET_GUEST_DEBUG): with
// KVM_GUESTDBG_SINGLESTEP the vCPU takes a debug trap after every guest
// instruction (EFLAGS.TF, SDM vol. 3B 17.3.1.4; on AMD the #DB intercept)
// and KVM_RUN returns KVM_EXIT_DEBUG. An instruction that needs the VMM, such
// as `out dx, al`, first exits with KVM_EXIT_IO; the Machine serves it with
// its normal devices and the debug exit follows when the guest is re-entered.
// `--break ADDR` runs the guest at full speed to a hardware instruction
// breakpoint (DR0 and DR7, SDM vol. 3B 17.2, KVM_GUESTDBG_USE_HW_BP) on bare
// metal, or single-steps silently until the address is reached where KVM is
// nested (in the nested test host, SVM emulated by QEMU TCG, KVM accepts the
// hardware breakpoint but it never fires) or refuses hardware breakpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "vmm/devices/bus.h"
#include "vmm/machine/machine.h"

namespace twinbox {

// The UART's output, collected so that it can be shown next to the
// instruction that wrote it.
class CapturedOutput : public ByteSink {
public:
    void write(std::span<const uint8_t> bytes) override;
    // What was written since the last call.
    std::string take();

private:
    std::mutex m_lock;
    std::string m_pending;
};

// "Hello\n" -> "Hello\\n": output bytes made printable for one line of the listing.
std::string printable_bytes(const std::string& bytes);

enum class BreakMethod { automatic, hardware, step };

struct StepOptions {
    uint64_t count = 50;                    // instructions to show
    std::optional<uint64_t> break_address;  // guest linear address to run to first
    BreakMethod break_method = BreakMethod::automatic;
    uint64_t max_steps = 1'000'000;  // bound on silent steps towards break_address
    // Bound on one entry into the guest: a halted vCPU or a breakpoint never hit.
    std::chrono::seconds timeout{10};
};

class Stepper {
public:
    // `machine` has one vCPU and its UART writes to `serial`; the listing goes to `out`.
    Stepper(Machine& machine, std::shared_ptr<CapturedOutput> serial, FILE* out)
        : m_machine(machine), m_serial(std::move(serial)), m_out(out) {}

    // Runs to the breakpoint, if any, and shows `count` instructions. Returns the
    // exit status: 0 after `count` instructions; the guest's own status when it
    // powered off; 128+N on signal N; an error when twinbox failed or the
    // breakpoint was not reached.
    Result<int> run(const StepOptions& options);

private:
    enum class Entry { debug_trap, other_exit, stopped, interrupted, timed_out };
    // Enters the guest once, bounded by the watchdog; describes port and MMIO exits.
    Result<Entry> enter(std::chrono::seconds timeout, std::string* exit_note);
    Result<int> run_to_break(const StepOptions& options);
    Result<int> step(const StepOptions& options);
    Result<bool> reached(uint64_t address);
    Result<void> set_debug(uint32_t flags, std::optional<uint64_t> breakpoint);
    int stopped_status(const char* what, uint64_t steps);
    Result<int> timed_out_status(uint64_t steps, std::chrono::seconds timeout);
    void flush_serial(const char* prefix);

    Machine& m_machine;
    std::shared_ptr<CapturedOutput> m_serial;
    FILE* m_out;
    int m_signal = 0;  // the signal that interrupted the run, if any
};

}  // namespace twinbox
