// QEMU fw_cfg, traditional I/O interface; see fw_cfg.h for the spec sections.
#include "vmm/devices/fw_cfg.h"

#include <endian.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace twinbox {

namespace {

// FW_CFG_ID bit 0: the traditional (port I/O) interface; bit 1 (DMA) stays clear.
constexpr uint32_t kFeatureTraditional = 0x1;

// Serializes `value` as `size` little-endian bytes.
std::vector<uint8_t> little_endian(uint64_t value, size_t size) {
    std::vector<uint8_t> bytes(size);
    for (size_t index = 0; index < size; ++index)
        bytes[index] = static_cast<uint8_t>(value >> (8 * index));
    return bytes;
}

}  // namespace

FwCfg::FwCfg(uint64_t ram_size, uint16_t cpu_count) {
    m_items[kSignatureKey] = {'Q', 'E', 'M', 'U'};
    m_items[kIdKey] = little_endian(kFeatureTraditional, sizeof(uint32_t));
    m_items[kRamSizeKey] = little_endian(ram_size, sizeof(uint64_t));
    m_items[kCpuCountKey] = little_endian(cpu_count, sizeof(uint16_t));
    // No CPU hotplug: the maximum is the count present at boot.
    m_items[kMaxCpusKey] = little_endian(cpu_count, sizeof(uint16_t));
    rebuild_file_directory();
}

Result<void> FwCfg::add_file(std::string_view name, std::vector<uint8_t> bytes) {
    std::lock_guard lock(m_mutex);
    if (name.empty() || name.size() >= sizeof(FwCfgFile::name))
        return Error::message(fmt::format("fw_cfg file name \"{}\" must be 1 to {} characters",
                                          name, sizeof(FwCfgFile::name) - 1));
    if (std::find(m_file_names.begin(), m_file_names.end(), name) != m_file_names.end())
        return Error::message(fmt::format("fw_cfg already has a file named \"{}\"", name));
    size_t key = kFirstFileKey + m_file_names.size();
    if (key > kLastFileKey)
        return Error::message(fmt::format("fw_cfg has no key left for file \"{}\"", name));
    if (bytes.size() > UINT32_MAX)
        return Error::message(fmt::format("fw_cfg file \"{}\" is larger than 4 GiB", name));
    m_file_names.emplace_back(name);
    m_items[static_cast<uint16_t>(key)] = std::move(bytes);
    rebuild_file_directory();
    return ok();
}

void FwCfg::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    // The selector is write-only; reading it sees nothing.
    if (offset != static_cast<uint64_t>(FwCfgRegister::data)) {
        std::fill(data.begin(), data.end(), 0);
        return;
    }
    // The spec defines 8-bit reads; a wider one gets successive bytes, which
    // is what a guest doing repeated byte reads would see.
    auto item = m_items.find(m_selector);
    for (auto& byte : data) {
        if (item != m_items.end() && m_offset < item->second.size())
            byte = item->second[m_offset++];
        else
            byte = 0;  // past the end, or no such item ("Data Register")
    }
}

void FwCfg::write(uint64_t offset, std::span<const uint8_t> data) {
    // Only a 16-bit write to the selector means anything; the data register
    // is read-only for the traditional interface.
    if (offset != static_cast<uint64_t>(FwCfgRegister::selector) || data.size() != 2)
        return;
    std::lock_guard lock(m_mutex);
    m_selector = static_cast<uint16_t>(data[0] | (data[1] << 8));
    m_offset = 0;
}

void FwCfg::rebuild_file_directory() {
    // struct FWCfgFiles { be32 count; struct FWCfgFile f[count]; } ("File Directory").
    std::vector<uint8_t> directory(sizeof(uint32_t) + m_file_names.size() * sizeof(FwCfgFile));
    uint32_t count = htobe32(static_cast<uint32_t>(m_file_names.size()));
    std::memcpy(directory.data(), &count, sizeof(count));
    for (size_t index = 0; index < m_file_names.size(); ++index) {
        auto key = static_cast<uint16_t>(kFirstFileKey + index);
        FwCfgFile entry{};
        entry.size = htobe32(static_cast<uint32_t>(m_items[key].size()));
        entry.select = htobe16(key);
        std::memcpy(entry.name, m_file_names[index].data(), m_file_names[index].size());
        std::memcpy(directory.data() + sizeof(uint32_t) + index * sizeof(FwCfgFile), &entry,
                    sizeof(entry));
    }
    m_items[kFileDirectoryKey] = std::move(directory);
}

}  // namespace twinbox
