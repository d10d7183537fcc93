// The always-on exit counters (vmm/control/exit_counters.h): exits land on
// the reason and the device they went to, per vCPU, and unclaimed accesses
// have their own row.
#include "vmm/control/exit_counters.h"

#include <gtest/gtest.h>

#include <thread>

namespace twinbox {
namespace {

class NamedDevice : public BusDevice {
public:
    explicit NamedDevice(std::string name) : m_name(std::move(name)) {}
    std::string_view name() const override { return m_name; }
    void read(uint64_t, std::span<uint8_t>) override {}
    void write(uint64_t, std::span<const uint8_t>) override {}

private:
    std::string m_name;
};

kvm_run io_exit(uint16_t port) {
    kvm_run run{};
    run.exit_reason = KVM_EXIT_IO;
    run.io.port = port;
    run.io.size = 1;
    run.io.count = 1;
    return run;
}

kvm_run mmio_exit(uint64_t address) {
    kvm_run run{};
    run.exit_reason = KVM_EXIT_MMIO;
    run.mmio.phys_addr = address;
    run.mmio.len = 4;
    return run;
}

class ExitCountersTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(m_io.insert(std::make_shared<NamedDevice>("rtc"), 0x70, 2));
        ASSERT_TRUE(m_io.insert(std::make_shared<NamedDevice>("serial"), 0x3f8, 8));
        ASSERT_TRUE(m_mmio.insert(std::make_shared<NamedDevice>("virtio-rng"), 0xd0000000, 0x1000));
    }
    uint64_t count_of(const ExitCounters::Snapshot& snapshot, const std::string& device) {
        for (const auto& [region, count] : snapshot.by_region)
            if (region.device == device)
                return count;
        return 0;
    }
    Bus m_io;
    Bus m_mmio;
};

TEST_F(ExitCountersTest, CountsByReasonDeviceAndVcpu) {
    ExitCounters counters(2, m_io, m_mmio);
    ASSERT_EQ(counters.regions().size(), 5u);  // rtc, serial, io unclaimed, rng, mmio unclaimed
    for (int i = 0; i < 10; ++i) counters.count(0, io_exit(0x3f8 + (i % 8)));
    counters.count(1, io_exit(0x71));
    counters.count(1, io_exit(0x80));   // no device: unclaimed
    counters.count(1, io_exit(0x400));  // past the serial port's 8 bytes
    counters.count(0, mmio_exit(0xd0000050));
    counters.count(0, mmio_exit(0xd0001000));  // just past the device
    kvm_run hlt{};
    hlt.exit_reason = KVM_EXIT_HLT;
    counters.count(1, hlt);
    counters.count(7, hlt);  // no such vCPU: ignored, not a crash

    auto snapshot = counters.snapshot();
    EXPECT_EQ(snapshot.total, 16u);
    EXPECT_EQ(snapshot.by_reason["IO"], 13u);
    EXPECT_EQ(snapshot.by_reason["MMIO"], 2u);
    EXPECT_EQ(snapshot.by_reason["HLT"], 1u);
    EXPECT_EQ(snapshot.by_vcpu, (std::vector<uint64_t>{12, 4}));
    EXPECT_EQ(count_of(snapshot, "serial"), 10u);
    EXPECT_EQ(count_of(snapshot, "rtc"), 1u);
    EXPECT_EQ(count_of(snapshot, "virtio-rng"), 1u);
    uint64_t unclaimed_io = 0, unclaimed_mmio = 0;
    for (const auto& [region, count] : snapshot.by_region) {
        if (region.device == "unclaimed" && region.bus == "io")
            unclaimed_io = count;
        if (region.device == "unclaimed" && region.bus == "mmio")
            unclaimed_mmio = count;
    }
    EXPECT_EQ(unclaimed_io, 2u);
    EXPECT_EQ(unclaimed_mmio, 1u);
}

TEST_F(ExitCountersTest, ConcurrentVcpusLoseNoCounts) {
    ExitCounters counters(2, m_io, m_mmio);
    auto work = [&](size_t vcpu) {
        for (int i = 0; i < 100000; ++i) counters.count(vcpu, io_exit(0x3f8));
    };
    std::thread first(work, 0), second(work, 1);
    // Reading while they count is allowed (the control thread does it).
    for (int i = 0; i < 100; ++i) EXPECT_LE(counters.snapshot().total, 200000u);
    first.join();
    second.join();
    EXPECT_EQ(counters.snapshot().total, 200000u);
    EXPECT_EQ(count_of(counters.snapshot(), "serial"), 200000u);
}

TEST_F(ExitCountersTest, UnknownReasonsCountAsOther) {
    ExitCounters counters(1, m_io, m_mmio);
    kvm_run odd{};
    odd.exit_reason = 1000;
    counters.count(0, odd);
    EXPECT_EQ(counters.snapshot().by_reason["OTHER"], 1u);
}

}  // namespace
}  // namespace twinbox
