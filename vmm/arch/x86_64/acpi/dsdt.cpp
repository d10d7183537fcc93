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
//   }
//   Name (\_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
#include <fmt/core.h>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/devices/acpi_sleep.h"

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
            "virtio-mmio device {} at {:#x}+{:#x} does not fit below 4 GiB, where the ACPI "
            "Memory32Fixed descriptor can describe it",
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
    std::vector<Bytes> devices{serial_device(), rtc_device()};
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
