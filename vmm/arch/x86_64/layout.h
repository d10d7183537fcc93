// The guest-physical memory map of a twinbox x86-64 VM: every fixed guest
// address lives here and nowhere else.
//
//   0x0000_0000  real-mode IVT and BIOS data area (left zero)
//   0x0000_0500  boot GDT            (kGdtAddress)
//   0x0000_0520  boot IDT            (kIdtAddress, empty: no interrupts before the kernel's own)
//   0x0000_6000  PVH start info      (kPvhStartInfoAddress .. +4 KiB: hvm_start_info, modlist, memmap)
//   0x0000_7000  Linux zero page     (kZeroPageAddress, struct boot_params)
//   0x0000_7c00  flat real-mode load (kFlatRealModeLoadAddress, like a boot sector)
//   0x0000_8ff0  boot stack top      (kBootStackPointer)
//   0x0000_9000  PML4, PDPT, 4 PDs   (identity map of the first 4 GiB with 2 MiB pages)
//   0x0001_0000  multiboot info      (kMultibootInfoAddress .. +64 KiB, with its strings)
//   0x0002_0000  kernel command line (kCommandLineAddress, up to kCommandLineMax bytes)
//   0x0009_fc00  MP table in the EBDA (kMpTableAddress), up to 0xa0000
//   0x000a_0000  legacy VGA/ROM hole: not RAM in the E820 map
//   0x000e_0000  ACPI tables, RSDP first (kAcpiAddress); the 0xe0000-0xfffff BIOS
//                area is where guests search for the RSDP (ACPI 6.5 section 5.2.5.1)
//   0x0010_0000  high memory: kernels load here (kHighMemoryStart)
//   ...          RAM up to min(size, 3 GiB)
//   0xc000_0000  32-bit MMIO hole (kMmioHoleStart), 1 GiB, no RAM:
//   0xc000_0000    boot-timer marker (Firecracker's address; kBootTimerAddress)
//   0xd000_0000    virtio-mmio devices (kVirtioMmioStart, kVirtioMmioStride each)
//   0xfec0_0000    IOAPIC (kIoapicAddress)
//   0xfee0_0000    local APICs (kLapicAddress)
//   0xfffb_c000    KVM identity-map page and 3-page TSS (VMX needs them; KVM_SET_TSS_ADDR)
//   0x1_0000_0000 RAM above 3 GiB continues here (kHighRamStart)
//
// Model: Firecracker src/vmm/src/arch/x86_64/layout.rs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace twinbox::layout {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// Boot-time structures in low memory.
inline constexpr uint64_t kGdtAddress = 0x500;
inline constexpr uint64_t kIdtAddress = 0x520;
inline constexpr uint64_t kMultibootInfoAddress = 0x10000;
inline constexpr uint64_t kMultibootInfoMax = 0x10000;
inline constexpr uint64_t kPvhStartInfoAddress = 0x6000;
inline constexpr uint64_t kPvhStartInfoMax = 0x1000;
inline constexpr uint64_t kZeroPageAddress = 0x7000;
inline constexpr uint64_t kFlatRealModeLoadAddress = 0x7c00;
inline constexpr uint64_t kBootStackPointer = 0x8ff0;
inline constexpr uint64_t kPml4Address = 0x9000;
inline constexpr uint64_t kPdptAddress = 0xa000;
inline constexpr uint64_t kPdAddress = 0xb000;  // four page directories, 0xb000-0xefff
inline constexpr uint64_t kCommandLineAddress = 0x20000;
inline constexpr uint64_t kCommandLineMax = 0x10000;
inline constexpr uint64_t kMpTableAddress = 0x9fc00;
inline constexpr uint64_t kEbdaEnd = 0xa0000;  // first byte that is not RAM
inline constexpr uint64_t kAcpiAddress = 0xe0000;
inline constexpr uint64_t kAcpiEnd = 0x100000;
inline constexpr uint64_t kHighMemoryStart = 0x100000;

// Default load addresses for flat binaries.
inline constexpr uint64_t kFlatLongModeLoadAddress = 0x100000;

// The 32-bit MMIO hole and what sits in it.
inline constexpr uint64_t kMmioHoleStart = 0xc000'0000;
inline constexpr uint64_t kMmioHoleEnd = 0x1'0000'0000;
inline constexpr uint64_t kBootTimerAddress = 0xc000'0000;  // Firecracker's boot-timer device
inline constexpr uint64_t kBootTimerSize = 0x1000;
inline constexpr uint64_t kVirtioMmioStart = 0xd000'0000;
inline constexpr uint64_t kVirtioMmioStride = 0x1000;
inline constexpr uint64_t kIoapicAddress = 0xfec0'0000;
inline constexpr uint64_t kLapicAddress = 0xfee0'0000;
inline constexpr uint64_t kIdentityMapAddress = 0xfffb'c000;  // KVM_SET_IDENTITY_MAP_ADDR
inline constexpr uint64_t kTssAddress = 0xfffb'd000;          // KVM_SET_TSS_ADDR, 3 pages
inline constexpr uint64_t kHighRamStart = 0x1'0000'0000;

// Legacy interrupt lines (ISA IRQs, routed through the PIC and IOAPIC pins 0-15).
inline constexpr uint32_t kSerialIrq = 4;  // COM1
inline constexpr uint32_t kRtcIrq = 8;
// The GSIs handed to virtio-mmio devices, one each in device order: the ISA
// lines no twinbox device uses (0 PIT, 1 keyboard, 2 cascade, 3 COM2, 4 COM1,
// 8 RTC and 13 FPU stay out). Legacy lines keep the MP table, which only
// describes ISA IRQs, true for kernels without ACPI (the minimal kernel).
inline constexpr uint32_t kVirtioIrqs[] = {5, 6, 7, 9, 10, 11, 12, 14, 15};
inline constexpr size_t kMaxVirtioDevices = sizeof(kVirtioIrqs) / sizeof(kVirtioIrqs[0]);
inline constexpr uint32_t kVirtioFirstIrq = kVirtioIrqs[0];
inline constexpr uint64_t virtio_mmio_address(size_t index) {
    return kVirtioMmioStart + index * kVirtioMmioStride;
}
inline constexpr uint32_t kIoapicPins = 24;
// The IOAPIC pin of ISA IRQ 0 (the PIT). On PC chipsets it is pin 2 and firmware says so
// with an Interrupt Source Override (ACPI 6.5 section 5.2.12.5); KVM's default GSI routing,
// which twinbox keeps, wires the in-kernel PIT to pin 0 instead. The MADT and the MP table
// (MP spec 1.4 section 4.3.4) both read this constant, so they tell the guest the truth.
inline constexpr uint32_t kPitGsi = 0;

// I/O ports of the ACPI sleep registers of the hardware-reduced FADT (SLEEP_CONTROL_REG and
// SLEEP_STATUS_REG, ACPI 6.5 sections 4.8.3.7-4.8.3.8), served by devices/acpi_sleep.h. No PC
// legacy device decodes 0x600-0x601; QEMU's ICH9 machine puts its ACPI PM block at 0x600 too.
inline constexpr uint16_t kAcpiSleepControlPort = 0x600;
inline constexpr uint16_t kAcpiSleepStatusPort = 0x601;
// The event selector of the ACPI Generic Event Device (devices/generic_event_device.h,
// ACPI 6.5 section 5.6.9), one byte, next to the sleep registers.
inline constexpr uint16_t kAcpiGedPort = 0x602;
// The GED's interrupt: the first IOAPIC pin above the 16 ISA lines, which are all
// taken (kSerialIrq, kRtcIrq, kVirtioIrqs). Only ACPI guests see the GED, and the
// MADT describes all kIoapicPins pins, so it needs no MP table entry.
inline constexpr uint32_t kAcpiGedGsi = 16;
// twinbox's exit-status port (vmm/devices/exit_status.h), for the microVM guest agent.
inline constexpr uint16_t kExitStatusPort = 0x604;

// Guest RAM limits twinbox accepts.
inline constexpr uint64_t kMinimumMemory = 2 * kMiB;

}  // namespace twinbox::layout
