// The exit tracer (`twinbox vm run --trace-exits[=FILE]`) and exit
// statistics (`--exit-stats`): a classroom view of what makes a VM a VM.
//
// Every time KVM_RUN returns to twinbox, the guest stopped and the VMM had to
// do something on its behalf. The tracer writes one line per exit:
//
//   vcpu  time_us  reason  mode  rip  instruction  detail  handled_us
//   0     1234.5   IO      long  0xffffffff81234567  out dx, al  port 0x3f8 out 1 byte(s) 0x41  3.2
//
// The statistics count exits by reason and by port or MMIO region (with the
// device that claimed it), with total and mean handling time. Exits KVM
// handles itself (HLT with an in-kernel LAPIC, CPUID, most MSRs, EPT faults)
// never reach user space and so are not seen here; `perf kvm stat` or
// /sys/kernel/debug/kvm count those.
#pragma once

#include <linux/kvm.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "common/result.h"
#include "vmm/devices/bus.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// KVM_EXIT_* as text ("IO", "MMIO", "HLT"...).
const char* exit_reason_name(uint32_t reason);

class ExitTracer {
public:
    struct Options {
        bool trace = false;
        std::string trace_file;  // empty or "-": stderr
        bool stats = false;
    };

    // The buses name the device behind a port or MMIO address.
    static Result<std::unique_ptr<ExitTracer>> create(const Options& options,
                                                      const GuestMemory& memory, const Bus& io_bus,
                                                      const Bus& mmio_bus);
    ~ExitTracer();

    // Called on the vCPU thread after the exit was handled (so IN data is known);
    // `handling` is the time twinbox spent before it can re-enter the guest.
    void record(const Vcpu& vcpu, std::chrono::nanoseconds handling);

    // The statistics table (printed to stderr at the end of the run).
    std::string stats_table() const;
    bool wants_stats() const { return m_options.stats; }

private:
    struct Counter {
        uint64_t count = 0;
        std::chrono::nanoseconds total{0};
    };
    ExitTracer(const Options& options, const GuestMemory& memory, const Bus& io_bus,
               const Bus& mmio_bus, FILE* out, bool owns_out);
    std::string describe(const kvm_run& run, size_t run_size, std::string& region) const;

    Options m_options;
    const GuestMemory& m_memory;
    const Bus& m_io_bus;
    const Bus& m_mmio_bus;
    FILE* m_out;
    bool m_owns_out;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    mutable std::mutex m_lock;
    std::map<std::string, Counter> m_by_reason;
    std::map<std::string, Counter> m_by_region;
};

}  // namespace twinbox
