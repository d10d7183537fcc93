#include "vmm/control/exit_counters.h"

#include <algorithm>

#include "vmm/trace/exit_trace.h"

namespace twinbox {

ExitCounters::ExitCounters(size_t vcpus, const Bus& io_bus, const Bus& mmio_bus) {
    for (const auto& entry : io_bus.entries())
        m_regions.push_back({"io", entry.base, entry.length, std::string(entry.name)});
    m_io_unclaimed = m_regions.size();
    m_regions.push_back({"io", 0, 0, "unclaimed"});
    for (const auto& entry : mmio_bus.entries())
        m_regions.push_back({"mmio", entry.base, entry.length, std::string(entry.name)});
    m_mmio_unclaimed = m_regions.size();
    m_regions.push_back({"mmio", 0, 0, "unclaimed"});
    m_row_size = kReasonSlots + m_regions.size();
    for (size_t index = 0; index < vcpus; ++index) {
        m_rows.emplace_back(new std::atomic<uint64_t>[m_row_size]);
        for (size_t slot = 0; slot < m_row_size; ++slot) m_rows.back()[slot].store(0);
    }
}

size_t ExitCounters::region_index(bool io, uint64_t address) const {
    // The regions of one bus are sorted by base (Bus::entries() is in address order).
    auto first = m_regions.begin() + (io ? 0 : static_cast<std::ptrdiff_t>(m_io_unclaimed + 1));
    auto last =
        m_regions.begin() + static_cast<std::ptrdiff_t>(io ? m_io_unclaimed : m_mmio_unclaimed);
    auto after = std::upper_bound(first, last, address,
                                  [](uint64_t value, const Region& r) { return value < r.base; });
    size_t unclaimed = io ? m_io_unclaimed : m_mmio_unclaimed;
    if (after == first)
        return unclaimed;
    const Region& region = *std::prev(after);
    if (address - region.base >= region.length)
        return unclaimed;
    return static_cast<size_t>(std::prev(after) - m_regions.begin());
}

void ExitCounters::count(size_t vcpu, const kvm_run& run) {
    if (vcpu >= m_rows.size())
        return;
    std::atomic<uint64_t>* row = m_rows[vcpu].get();
    row[std::min<size_t>(run.exit_reason, kReasonSlots - 1)].fetch_add(1,
                                                                       std::memory_order_relaxed);
    if (run.exit_reason == KVM_EXIT_IO)
        row[kReasonSlots + region_index(true, run.io.port)].fetch_add(1, std::memory_order_relaxed);
    else if (run.exit_reason == KVM_EXIT_MMIO)
        row[kReasonSlots + region_index(false, run.mmio.phys_addr)].fetch_add(
            1, std::memory_order_relaxed);
}

ExitCounters::Snapshot ExitCounters::snapshot() const {
    Snapshot snapshot;
    std::vector<uint64_t> regions(m_regions.size(), 0);
    for (const auto& row : m_rows) {
        uint64_t vcpu_total = 0;
        for (size_t reason = 0; reason < kReasonSlots; ++reason) {
            uint64_t count = row[reason].load(std::memory_order_relaxed);
            if (count == 0)
                continue;
            vcpu_total += count;
            const char* name = reason == kReasonSlots - 1 ? "OTHER" : exit_reason_name(reason);
            snapshot.by_reason[name] += count;
        }
        for (size_t region = 0; region < m_regions.size(); ++region)
            regions[region] += row[kReasonSlots + region].load(std::memory_order_relaxed);
        snapshot.by_vcpu.push_back(vcpu_total);
        snapshot.total += vcpu_total;
    }
    for (size_t region = 0; region < m_regions.size(); ++region)
        if (regions[region] > 0)
            snapshot.by_region.push_back({m_regions[region], regions[region]});
    return snapshot;
}

}  // namespace twinbox
