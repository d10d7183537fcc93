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
//   port 0xcf8-0xcff   PCI configuration mechanism #1, one host bridge (pci_host.h)
//   MMIO 0xc0000000    boot-timer marker
// The PIC, PIT, IOAPIC and local APICs are emulated inside KVM.
//
// build_devices() needs the VM (the UART and the power button raise their GSI
// through KVM_IRQ_LINE) and guest memory (the RTC reports its size in CMOS),
// so it runs after both; the devices send power-off and reset to `power`.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/eventfd.h>
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
#include "vmm/devices/pci_host.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/machine/console.h"
#include "vmm/machine/kvm_interrupt_line.h"
#include "vmm/machine/machine_parts.h"

namespace twinbox {

namespace {

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

Result<void> add_legacy_devices(const VmConfig& config, const GuestMemory& memory,
                                const std::shared_ptr<PowerControl>& power, Bus& io_bus) {
    TRY(io_bus.insert(std::make_shared<I8042>(power), I8042::kBasePort, I8042::kPortCount));
    auto rtc = std::make_shared<Rtc>();
    // Firmware-style memory sizes in CMOS, for guests that read them there.
    rtc->set_memory_sizes(memory.low_ram_end(), memory.size() - memory.low_ram_end());
    TRY(io_bus.insert(rtc, Rtc::kBasePort, Rtc::kPortCount));
    TRY(io_bus.insert(std::make_shared<DebugExit>(power), DebugExit::kBasePort,
                      DebugExit::kPortCount));
    auto fw_cfg = std::make_shared<FwCfg>(config.memory, static_cast<uint16_t>(config.cpus));
    for (const auto& [name, bytes] : config.fw_cfg_files)
        TRY(fw_cfg->add_file(name, bytes).with_context("fw_cfg"));
    TRY(io_bus.insert(fw_cfg, FwCfg::kBasePort, FwCfg::kPortCount));
    TRY(io_bus.insert(std::make_shared<PciHost>(), PciHost::kBasePort, PciHost::kPortCount));
    return ok();
}

}  // namespace

std::function<void()> signal_event(int event) {
    return [event] {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t ignored = ::write(event, &one, sizeof(one));
    };
}

Result<std::unique_ptr<DeviceSet>> build_devices(const VmConfig& config, const Vm& vm,
                                                 const GuestMemory& memory,
                                                 std::shared_ptr<PowerControl> power) {
    auto set = std::make_unique<DeviceSet>();
    set->input_space_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!set->input_space_event)
        return Error::from_errno("eventfd", "VM console input");
    auto serial_interrupt = std::make_shared<KvmInterruptLine>(vm, layout::kSerialIrq);
    set->serial = std::make_shared<Serial>(serial_interrupt, TRY(serial_sink(config)));
    set->serial->set_input_space_callback(signal_event(set->input_space_event.get()));
    TRY(set->io_bus.insert(set->serial, Serial::kCom1Port, Serial::kPortCount));
    TRY(add_legacy_devices(config, memory, power, set->io_bus));
    set->exit_status_port = std::make_shared<ExitStatusPort>(power);
    TRY(set->io_bus.insert(set->exit_status_port, layout::kExitStatusPort, 1));
    TRY(set->io_bus.insert(std::make_shared<AcpiSleep>(power), layout::kAcpiSleepControlPort, 2));
    set->generic_event_device = std::make_shared<GenericEventDevice>(
        std::make_shared<KvmInterruptLine>(vm, layout::kAcpiGedGsi));
    TRY(set->io_bus.insert(set->generic_event_device, layout::kAcpiGedPort,
                           GenericEventDevice::kLength));
    auto start = config.start_time;
    TRY(set->mmio_bus.insert(
        std::make_shared<BootTimer>(
            start, [](const std::string& line) { log::write_line(log::Level::info, line); }),
        layout::kBootTimerAddress, layout::kBootTimerSize));
    return set;
}

}  // namespace twinbox
