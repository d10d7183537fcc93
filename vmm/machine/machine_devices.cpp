// The devices of a twinbox PC and where they sit. Port numbers and IRQs are
// the PC's (and QEMU's) so that unmodified guests find them where they look.
//
//   port 0x060, 0x064  i8042 keyboard controller (reset line only)
//   port 0x070-0x071   MC146818 CMOS RTC
//   port 0x0f4-0x0f7   isa-debug-exit (QEMU test device)
//   port 0x3f8-0x3ff   16550A UART, COM1, IRQ 4
//   port 0x510-0x511   fw_cfg (QEMU firmware configuration)
//   port 0x600-0x601   ACPI sleep control and status (hardware-reduced ACPI)
//   port 0x604         twinbox exit status (the --isolation vm guest agent)
//   MMIO 0xc0000000    boot-timer marker
// The PIC, PIT, IOAPIC and local APICs are emulated inside KVM.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/devices/acpi_sleep.h"
#include "vmm/devices/boot_timer.h"
#include "vmm/devices/debug_exit.h"
#include "vmm/devices/exit_status.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/devices/generic_event_device.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/machine/console.h"
#include "vmm/machine/kvm_interrupt_line.h"
#include "vmm/machine/machine.h"

namespace twinbox {

namespace {

// PowerControl that forwards to the Machine without owning it.
class MachinePower : public PowerControl {
public:
    explicit MachinePower(PowerControl& machine) : m_machine(machine) {}
    void power_off(int status) override { m_machine.power_off(status); }
    void reset() override { m_machine.reset(); }

private:
    PowerControl& m_machine;
};

Result<std::shared_ptr<ByteSink>> serial_sink(const VmConfig& config) {
    if (config.serial_sink)
        return config.serial_sink;
    switch (config.serial) {
        case SerialOutput::stdio:
            return std::shared_ptr<ByteSink>(std::make_shared<FdSink>(STDOUT_FILENO));
        case SerialOutput::none:
            return std::shared_ptr<ByteSink>(std::make_shared<NullSink>());
        case SerialOutput::file: {
            UniqueFd fd(
                ::open(config.serial_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
            if (!fd)
                return Error::from_errno("open",
                                         fmt::format("--serial file:{}", config.serial_file));
            int raw = fd.get();
            return std::shared_ptr<ByteSink>(std::make_shared<FdSink>(raw, std::move(fd)));
        }
    }
    return Error::message("unknown serial output");
}

}  // namespace

std::optional<int> Machine::workload_status() const {
    return m_exit_status_port ? m_exit_status_port->reported() : std::nullopt;
}

Result<void> Machine::press_power_button() {
    if (m_config.kernel.empty())
        return Error::message(
                   "the guest is not a Linux kernel, so it has no ACPI power button to press")
            .with_hint("use stop to end it");
    m_generic_event_device->press_power_button();
    return ok();
}

Result<void> Machine::create_devices() {
    auto power = std::make_shared<MachinePower>(*this);
    auto serial_interrupt = std::make_shared<KvmInterruptLine>(*m_vm, layout::kSerialIrq);
    m_serial = std::make_shared<Serial>(serial_interrupt, TRY(serial_sink(m_config)));
    int space_event = m_input_space_event.get();
    m_serial->set_input_space_callback([space_event] {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t ignored = ::write(space_event, &one, sizeof(one));
    });
    TRY(m_io_bus.insert(m_serial, Serial::kCom1Port, Serial::kPortCount));
    TRY(m_io_bus.insert(std::make_shared<I8042>(power), I8042::kBasePort, I8042::kPortCount));
    auto rtc = std::make_shared<Rtc>();
    // Firmware-style memory sizes in CMOS, for guests that read them there.
    rtc->set_memory_sizes(m_memory.low_ram_end(), m_memory.size() - m_memory.low_ram_end());
    TRY(m_io_bus.insert(rtc, Rtc::kBasePort, Rtc::kPortCount));
    TRY(m_io_bus.insert(std::make_shared<DebugExit>(power), DebugExit::kBasePort,
                        DebugExit::kPortCount));
    auto fw_cfg = std::make_shared<FwCfg>(m_config.memory, static_cast<uint16_t>(m_config.cpus));
    for (const auto& [name, bytes] : m_config.fw_cfg_files)
        TRY(fw_cfg->add_file(name, bytes).with_context("fw_cfg"));
    TRY(m_io_bus.insert(fw_cfg, FwCfg::kBasePort, FwCfg::kPortCount));
    m_exit_status_port = std::make_shared<ExitStatusPort>(power);
    TRY(m_io_bus.insert(m_exit_status_port, layout::kExitStatusPort, 1));
    TRY(m_io_bus.insert(std::make_shared<AcpiSleep>(power), layout::kAcpiSleepControlPort, 2));
    m_generic_event_device = std::make_shared<GenericEventDevice>(
        std::make_shared<KvmInterruptLine>(*m_vm, layout::kAcpiGedGsi));
    TRY(m_io_bus.insert(m_generic_event_device, layout::kAcpiGedPort, GenericEventDevice::kLength));
    auto start = m_config.start_time;
    TRY(m_mmio_bus.insert(
        std::make_shared<BootTimer>(
            start, [](const std::string& line) { log::write_line(log::Level::info, line); }),
        layout::kBootTimerAddress, layout::kBootTimerSize));
    return ok();
}

}  // namespace twinbox
