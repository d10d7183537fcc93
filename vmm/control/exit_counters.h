// Always-on exit counters: what `twinbox top` and the control socket's
// "stats" report, without --exit-stats or --trace-exits.
//
// Each vCPU thread owns a row of counters; after every exit it adds one to
// the counter of the exit reason and one to the counter of the device (or
// unclaimed range) the port or MMIO access went to. That is two relaxed
// atomic increments on memory no other thread writes, so the cost is a few
// nanoseconds against the microseconds an exit costs anyway, and no clock
// is read. Readers (the control socket thread) sum the rows; a total may be
// a few exits behind, never wrong by more.
//
// Like kvm_stat's user-space view, these are only the exits that reach
// twinbox: HLT, CPUID, most MSRs and the PIC/PIT/APIC are handled inside KVM.
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vmm/devices/bus.h"

namespace twinbox {

class ExitCounters {
public:
    // A range of the port-I/O or MMIO address space that exits are counted by.
    struct Region {
        std::string bus;  // "io" or "mmio"
        uint64_t base = 0;
        uint64_t length = 0;  // 0 for the "unclaimed" catch-all of a bus
        std::string device;   // "serial", "virtio-blk", "unclaimed"
    };
    struct Snapshot {
        uint64_t total = 0;
        std::map<std::string, uint64_t> by_reason;           // "IO" -> count
        std::vector<std::pair<Region, uint64_t>> by_region;  // regions with at least one exit
        std::vector<uint64_t> by_vcpu;
    };

    // The buses must hold all their devices already: the regions are fixed here.
    ExitCounters(size_t vcpus, const Bus& io_bus, const Bus& mmio_bus);

    // Called on vCPU `vcpu`'s thread after each exit.
    void count(size_t vcpu, const kvm_run& run);
    Snapshot snapshot() const;
    const std::vector<Region>& regions() const { return m_regions; }

private:
    // KVM_EXIT_* values are small (under 64 in every kernel so far); larger ones count as "OTHER".
    static constexpr size_t kReasonSlots = 64;
    size_t region_index(bool io, uint64_t address) const;

    std::vector<Region> m_regions;  // io devices, io unclaimed, mmio devices, mmio unclaimed
    size_t m_io_unclaimed = 0;
    size_t m_mmio_unclaimed = 0;
    size_t m_row_size = 0;
    std::vector<std::unique_ptr<std::atomic<uint64_t>[]>> m_rows;  // one per vCPU
};

}  // namespace twinbox
