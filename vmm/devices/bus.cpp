#include "vmm/devices/bus.h"

#include <fmt/core.h>

namespace twinbox {

Result<void> Bus::insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length) {
    if (length == 0 || base + length < base)
        return Error::message(fmt::format("device {} has an invalid range {:#x}+{:#x}",
                                          device->name(), base, length));
    // The new range must not overlap its neighbours on either side.
    auto next = m_ranges.lower_bound(base);
    if (next != m_ranges.end() && next->first < base + length)
        return Error::message(fmt::format("device {} at {:#x} overlaps {}", device->name(), base,
                                          next->second.device->name()));
    if (next != m_ranges.begin()) {
        auto previous = std::prev(next);
        if (previous->first + previous->second.length > base)
            return Error::message(fmt::format("device {} at {:#x} overlaps {}", device->name(),
                                              base, previous->second.device->name()));
    }
    m_ranges.emplace(base, Range{length, std::move(device)});
    return ok();
}

const std::pair<const uint64_t, Bus::Range>* Bus::find(uint64_t address, uint64_t size) const {
    auto after = m_ranges.upper_bound(address);
    if (after == m_ranges.begin())
        return nullptr;
    const auto& candidate = *std::prev(after);
    uint64_t offset = address - candidate.first;
    if (offset >= candidate.second.length || size > candidate.second.length - offset)
        return nullptr;
    return &candidate;
}

bool Bus::read(uint64_t address, std::span<uint8_t> data) const {
    const auto* entry = find(address, data.size());
    if (entry == nullptr)
        return false;
    entry->second.device->read(address - entry->first, data);
    return true;
}

bool Bus::write(uint64_t address, std::span<const uint8_t> data) const {
    const auto* entry = find(address, data.size());
    if (entry == nullptr)
        return false;
    entry->second.device->write(address - entry->first, data);
    return true;
}

std::string_view Bus::device_name(uint64_t address) const {
    const auto* found = find(address, 1);
    return found ? found->second.device->name() : std::string_view("unclaimed");
}

std::vector<Bus::Entry> Bus::entries() const {
    std::vector<Entry> result;
    for (const auto& [base, range] : m_ranges)
        result.push_back({base, range.length, range.device->name()});
    return result;
}

}  // namespace twinbox
