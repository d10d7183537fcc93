// Fakes of the interfaces devices receive (vmm/devices/bus.h), shared by the
// device unit tests: they record what the device did so tests can check it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vmm/devices/bus.h"

namespace twinbox::test {

// Records the level the device drives and every change it made.
class FakeInterruptLine : public InterruptLine {
public:
    void set_level(bool high) override {
        level = high;
        levels.push_back(high);
    }
    bool level = false;
    std::vector<bool> levels;  // every set_level() call, in order
};

// Collects every byte a device sends.
class RecordingSink : public ByteSink {
public:
    void write(std::span<const uint8_t> data) override {
        bytes.insert(bytes.end(), data.begin(), data.end());
    }
    std::string text() const { return std::string(bytes.begin(), bytes.end()); }
    std::vector<uint8_t> bytes;
};

// Counts power-off and reset requests.
class RecordingPowerControl : public PowerControl {
public:
    void power_off(int status) override { power_off_statuses.push_back(status); }
    void reset() override { ++reset_count; }
    std::vector<int> power_off_statuses;
    int reset_count = 0;
};

// One-byte port accesses, the common case for legacy devices.
inline uint8_t read_byte(BusDevice& device, uint64_t offset) {
    uint8_t value = 0;
    device.read(offset, std::span<uint8_t>(&value, 1));
    return value;
}

inline void write_byte(BusDevice& device, uint64_t offset, uint8_t value) {
    device.write(offset, std::span<const uint8_t>(&value, 1));
}

}  // namespace twinbox::test
