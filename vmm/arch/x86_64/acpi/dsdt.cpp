// The Differentiated System Description Table (ACPI 6.5 section 5.2.11.1):
// the AML that tells the guest about the devices it cannot find by probing.
// In ASL it reads:
//
//   Scope (\_SB) {
//       Device (COM1) {
//           Name (_HID, EisaId ("PNP0501"))       // 16550A-compatible UART
//           Name (_UID, Zero)
//           Name (_STA, 0x0F)
//           Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 0x00, 0x08)
//                                             IRQNoFlags () {4} })
//       }
//       Device (RTC) {
//           Name (_HID, EisaId ("PNP0B00"))       // AT-compatible CMOS real-time clock
//           Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 0x00, 0x02)
//                                             IRQNoFlags () {8} })
//       }
//       Device (VR00) {                           // one per virtio-mmio device
//           Name (_HID, "LNRO0005")
//           Name (_UID, Zero)
//           Name (_CRS, ResourceTemplate () {
//               Memory32Fixed (ReadWrite, 0xD0000000, 0x00001000)
//               Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {5} })
//       }
//       Device (PWRB) {                           // the power button the GED presses
//           Name (_HID, EisaId ("PNP0C0C"))
//           Name (_UID, Zero)
//       }
//       Device (GED_) {                           // ACPI 6.5 section 5.6.9
//           Name (_HID, "ACPI0013")
//           Name (_UID, Zero)
//           Name (_CRS, ResourceTemplate () {
//               Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {16} })
//           OperationRegion (EREG, SystemIO, 0x602, One)
//           Field (EREG, ByteAcc, NoLock, Preserve) { ESEL, 8 }
//           Method (_EVT, 1, NotSerialized) {
//               Local0 = ESEL                     // read-to-clear: read once
//               If ((Local0 & One)) { Notify (\_SB.PWRB, 0x80) }
//           }
//       }
//   }
//   Name (\_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
#include <fmt/core.h>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/devices/acpi_sleep.h"
#include "vmm/devices/generic_event_device.h"

namespace twinbox::acpi {
namespace {

// COM1 on a PC: eight I/O ports from 0x3f8 (IBM PC/AT Technical Reference).
constexpr uint16_t kCom1Port = 0x3f8;
constexpr uint8_t kCom1PortCount = 8;
// _STA bits (ACPI 6.5 section 6.3.7): present, enabled, shown in the UI, functioning.
constexpr uint64_t kStatusPresentAndWorking = 0x0f;

Bytes serial_device() {
    using namespace aml;
    return device("COM1",
                  {
                      name("_HID", integer(eisa_id("PNP0501"))),
                      name("_UID", integer(0)),
                      name("_STA", integer(kStatusPresentAndWorking)),
                      name("_CRS", resource_template({
                                       resource::io_port(kCom1Port, kCom1Port, 0, kCom1PortCount),
                                       resource::irq_no_flags(layout::kSerialIrq),
                                   })),
                  });
}

// The MC146818 CMOS clock at ports 0x70-0x71 (devices/rtc.h). A guest with
// hardware-reduced ACPI probes no legacy devices on its own, so Linux's
// rtc_cmos driver binds only to this PNP0B00 node, and without it the guest
// has no /dev/rtc0 and no hwclock.
constexpr uint16_t kRtcPort = 0x70;
constexpr uint8_t kRtcPortCount = 2;

Bytes rtc_device() {
    using namespace aml;
    return device("RTC_",
                  {
                      name("_HID", integer(eisa_id("PNP0B00"))),
                      name("_CRS", resource_template({
                                       resource::io_port(kRtcPort, kRtcPort, 0, kRtcPortCount),
                                       resource::irq_no_flags(layout::kRtcIrq),
                                   })),
                  });
}

// A virtio-mmio transport (virtio 1.2 section 4.2). Linux's virtio_mmio
// driver matches the ACPI ID "LNRO0005" (Linaro's, as in QEMU microvm and
// Firecracker). The interrupt is edge-triggered like QEMU microvm's: the
// device raises it for each batch of used buffers and the driver reads the
// interrupt status register to learn why.
Result<Bytes> virtio_device(size_t index, const AcpiConfig::VirtioMmioDevice& virtio) {
    using namespace aml;
    if (virtio.size == 0 || virtio.size > layout::kMmioHoleEnd ||
        virtio.address > layout::kMmioHoleEnd - virtio.size)
        return Error::message(fmt::format(
            "virtio-mmio device {} at {:#x}+{:#x} does not fit below 4 GiB, where the ACPI Memory32Fixed descriptor can describe it",
            index, virtio.address, virtio.size));
    return device(
        Path::numbered("VR", static_cast<uint8_t>(index)),
        {
            name("_HID", string("LNRO0005")),
            name("_UID", integer(index)),
            name("_CRS", resource_template({
                             resource::memory32_fixed(true, static_cast<uint32_t>(virtio.address),
                                                      static_cast<uint32_t>(virtio.size)),
                             resource::extended_interrupt(resource::Trigger::edge,
                                                          resource::Polarity::active_high,
                                                          resource::Sharing::exclusive, virtio.gsi),
                         })),
        });
}

// The control-method power button (ACPI 6.5 section 4.8.3.1.1, PNP0C0C).
// Linux's button driver binds to it and reports Notify 0x80 ("the button
// was pressed", section 5.6.6) as KEY_POWER on an input device.
constexpr uint8_t kNotifyButtonPressed = 0x80;

Bytes power_button_device() {
    using namespace aml;
    return device("PWRB", {
                              name("_HID", integer(eisa_id("PNP0C0C"))),
                              name("_UID", integer(0)),
                          });
}

// The Generic Event Device (ACPI 6.5 section 5.6.9, devices/generic_event_device.h).
// Linux's GED driver (drivers/acpi/evged.c) requests each interrupt of _CRS
// and runs _EVT when it fires. The line is level-triggered: it stays high
// until _EVT's read of the selector clears the pending events.
Bytes generic_event_device() {
    using namespace aml;
    return device(
        "GED_",
        {
            name("_HID", string("ACPI0013")),
            name("_UID", integer(0)),
            name("_CRS", resource_template({
                             resource::extended_interrupt(
                                 resource::Trigger::level, resource::Polarity::active_high,
                                 resource::Sharing::exclusive, layout::kAcpiGedGsi),
                         })),
            operation_region("EREG", RegionSpace::system_io, layout::kAcpiGedPort,
                             GenericEventDevice::kLength),
            field("EREG", FieldAccess::byte, FieldUpdate::preserve, {{"ESEL", 8}}),
            method("_EVT", 1,
                   {
                       store(reference("ESEL"), local(0)),
                       if_then(bitwise_and(local(0), integer(GenericEventDevice::kPowerButton)),
                               {notify("\\_SB.PWRB", kNotifyButtonPressed)}),
                   }),
        });
}

// \_S5, the soft-off state (ACPI 6.5 section 7.4.2): the SLP_TYP values for
// PM1a and PM1b, then two reserved entries. On a hardware-reduced machine the
// first one goes into the sleep control register (devices/acpi_sleep.h).
Bytes soft_off_package() {
    using namespace aml;
    return name("\\_S5", package({
                             integer(AcpiSleep::kSoftOffSleepType),
                             integer(0),
                             integer(0),
                             integer(0),
                         }));
}

}  // namespace

Result<Bytes> build_dsdt(const AcpiConfig& config) {
    if (config.virtio_devices.size() > kMaxVirtioDevices)
        return Error::message(
            fmt::format("{} virtio-mmio devices are more than the {} the DSDT can name",
                        config.virtio_devices.size(), kMaxVirtioDevices));
    std::vector<Bytes> devices{serial_device(), rtc_device(), power_button_device(),
                               generic_event_device()};
    for (size_t index = 0; index < config.virtio_devices.size(); ++index)
        devices.push_back(TRY(virtio_device(index, config.virtio_devices[index])));

    Bytes table;
    append_object(table, make_header("DSDT", kDsdtRevision));
    // \_SB is the system bus, where the devices of the machine live (ACPI 6.5 section 5.3.1).
    append_bytes(table, aml::scope("\\_SB", devices));
    append_bytes(table, soft_off_package());
    seal(table);
    return table;
}

}  // namespace twinbox::acpi
