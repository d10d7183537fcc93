// The control socket's commands answered from a MachineView
// (vmm/machine/machine_control.h): a fake view stands in for a running
// Machine, so the replies are checked field by field without KVM.
#include "vmm/machine/machine_control.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

using nlohmann::json;

class NamedDevice : public BusDevice {
public:
    std::string_view name() const override { return "serial"; }
    void read(uint64_t, std::span<uint8_t>) override {}
    void write(uint64_t, std::span<const uint8_t>) override {}
};

class FakeView : public MachineView {
public:
    FakeView() : m_memory(GuestMemory::create(4 << 20).value()) {
        EXPECT_TRUE(m_io.insert(std::make_shared<NamedDevice>(), 0x3f8, 8));
    }

    bool stopping() const override { return is_stopping; }
    bool paused() const override { return is_paused; }
    const GuestMemory& memory() const override { return m_memory; }
    const Bus& io_bus() const override { return m_io; }
    const Bus& mmio_bus() const override { return m_mmio; }
    std::vector<std::string> virtio_kinds() const override { return {"virtio-blk"}; }
    ExitCounters::Snapshot exit_counts() const override {
        ExitCounters::Snapshot snapshot;
        snapshot.total = 7;
        snapshot.by_reason = {{"IO", 7}};
        snapshot.by_vcpu = {5, 2};
        return snapshot;
    }
    bool exits_timed() const override { return false; }
    std::vector<VcpuThread> vcpu_threads() const override { return {{101, -1}, {0, -1}}; }
    bool pause(std::chrono::milliseconds) override {
        is_paused = parks;
        return parks;
    }
    void resume() override { is_paused = false; }
    void stop() override { is_stopping = true; }
    Result<void> press_power_button() override {
        if (!has_button)
            return Error::message(
                "the guest is not a Linux kernel, so it has no ACPI power button");
        ++presses;
        return {};
    }

    bool has_button = true;
    int presses = 0;
    bool is_stopping = false;
    bool is_paused = false;
    bool parks = true;

private:
    GuestMemory m_memory;
    Bus m_io;
    Bus m_mmio;
};

VmRecord record() {
    VmRecord vm;
    vm.name = "web";
    vm.boot = "flat";
    return vm;
}

TEST(MachineControl, StatsReportTheViewsVcpusAndExits) {
    FakeView view;
    MachineControl control(view, record());
    json stats = control.stats().value();
    EXPECT_EQ(stats["name"], "web");
    EXPECT_EQ(stats["state"], "running");
    EXPECT_EQ(stats["memory"], 4u << 20);
    EXPECT_EQ(stats["cpus"], 2);
    ASSERT_EQ(stats["vcpus"].size(), 2u);
    EXPECT_EQ(stats["vcpus"][0]["tid"], 101);
    EXPECT_EQ(stats["vcpus"][1]["exits"], 2);
    EXPECT_EQ(stats["exits"]["total"], 7);
    EXPECT_EQ(stats["exits"]["timed"], false);
}

TEST(MachineControl, InspectNamesDevicesAndVirtioSlots) {
    FakeView view;
    MachineControl control(view, record());
    json inspect = control.inspect().value();
    ASSERT_EQ(inspect["devices"]["io"].size(), 1u);
    EXPECT_EQ(inspect["devices"]["io"][0]["device"], "serial");
    EXPECT_EQ(inspect["devices"]["io"][0]["range"], "0x3f8-0x3ff");
    ASSERT_EQ(inspect["virtio"].size(), 1u);
    EXPECT_EQ(inspect["virtio"][0]["kind"], "virtio-blk");
    EXPECT_EQ(inspect["memory"]["size"], 4u << 20);
}

TEST(MachineControl, PauseResumeAndStopGoThroughTheView) {
    FakeView view;
    MachineControl control(view, record());
    EXPECT_EQ(control.pause().value()["state"], "paused");
    EXPECT_EQ(control.stats().value()["state"], "paused");
    EXPECT_EQ(control.resume().value()["state"], "running");
    EXPECT_FALSE(view.is_paused);
    EXPECT_EQ(control.stop().value()["state"], "stopping");
    EXPECT_TRUE(view.is_stopping);
    EXPECT_FALSE(control.pause());  // a stopping VM is not paused
}

TEST(MachineControl, PowerdownPressesTheButtonOrSaysWhyNot) {
    FakeView view;
    MachineControl control(view, record());
    EXPECT_EQ(control.powerdown().value()["state"], "powering-down");
    EXPECT_EQ(view.presses, 1);
    EXPECT_FALSE(view.is_stopping);  // the guest shuts down on its own
    view.has_button = false;
    auto refused = control.powerdown();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().to_string().find("no ACPI power button"), std::string::npos);
}

TEST(MachineControl, APauseThatDoesNotParkIsAnError) {
    FakeView view;
    view.parks = false;
    MachineControl control(view, record());
    auto paused = control.pause();
    ASSERT_FALSE(paused);
    EXPECT_NE(paused.error().to_string().find("the VM runs on"), std::string::npos);
    EXPECT_EQ(control.stats().value()["state"], "running");
}

}  // namespace
}  // namespace twinbox
