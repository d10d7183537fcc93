// QEMU's firmware configuration device (fw_cfg), traditional I/O interface:
// how firmware such as SeaBIOS, and Linux's qemu_fw_cfg driver, learn the
// RAM size, the CPU count and named blobs ("files") from the VMM.
//
// Spec: QEMU docs/specs/fw_cfg.rst, sections "Selector (Control) Register",
// "Data Register", "Register Locations" (x86: selector 0x510, data 0x511),
// "Firmware Configuration Items" with "Signature (Key 0x0000,
// FW_CFG_SIGNATURE)", "Revision / feature bitmap (Key 0x0001, FW_CFG_ID)",
// "File Directory (Key 0x0019, FW_CFG_FILE_DIR)" and "Selector Reg. Range
// Usage"; the key values from QEMU include/standard-headers/linux/qemu_fw_cfg.h.
//
// The guest writes a 16-bit key to the selector port (offset 0), which also
// rewinds the item's read offset to 0; then each 1-byte read of the data port
// (offset 1) returns the next byte of the item, and 0 once past its end or for
// a key that has no item. Only the traditional interface is offered (FW_CFG_ID
// = 1): no DMA, and no writes (data-port writes are ignored, as in QEMU since
// 2.4). Numbers inside the well-known items are little endian; the file
// directory is big endian, as the spec says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "vmm/devices/bus.h"

namespace twinbox {

// The two ports, by offset from port 0x510.
enum class FwCfgRegister : uint8_t {
    selector = 0,  // write, 16-bit little endian: choose the item, rewind to its start
    data = 1,      // read, 8-bit: the next byte of the selected item
};

// One entry of the file directory ("File Directory"): 64 bytes, big endian.
struct FwCfgFile {
    uint32_t size;    // bytes in the item, big endian
    uint16_t select;  // its selector key, big endian
    uint16_t reserved;
    char name[56];  // NUL-terminated ASCII, like "etc/boot-fail-wait"
};
static_assert(sizeof(FwCfgFile) == 64);

class FwCfg : public BusDevice {
public:
    static constexpr uint16_t kBasePort = 0x510;
    static constexpr uint64_t kPortCount = 2;

    // Selector keys of the items this device provides (qemu_fw_cfg.h).
    static constexpr uint16_t kSignatureKey = 0x0000;  // "QEMU"
    static constexpr uint16_t kIdKey = 0x0001;         // feature bitmap, 32-bit
    static constexpr uint16_t kRamSizeKey = 0x0003;    // bytes, 64-bit
    static constexpr uint16_t kCpuCountKey = 0x0005;   // FW_CFG_NB_CPUS, 16-bit
    static constexpr uint16_t kMaxCpusKey = 0x000f;    // FW_CFG_MAX_CPUS, 16-bit
    static constexpr uint16_t kFileDirectoryKey = 0x0019;
    // Files get keys from 0x0020 up; 0x4000 and above mean "writable" or
    // "architecture-specific" ("Selector Reg. Range Usage").
    static constexpr uint16_t kFirstFileKey = 0x0020;
    static constexpr uint16_t kLastFileKey = 0x3fff;

    FwCfg(uint64_t ram_size, uint16_t cpu_count);

    // Adds a named blob the guest finds through the file directory. Fails on
    // an empty, over-long (55 characters at most) or duplicate name, or when
    // the file keys run out. Files keep the keys they get, in the order added.
    Result<void> add_file(std::string_view name, std::vector<uint8_t> bytes);

    std::string_view name() const override { return "fw_cfg"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    void rebuild_file_directory();

    mutable std::mutex m_mutex;
    std::map<uint16_t, std::vector<uint8_t>> m_items;
    std::vector<std::string> m_file_names;  // index i has key kFirstFileKey + i
    uint16_t m_selector = kSignatureKey;
    size_t m_offset = 0;
};

}  // namespace twinbox
