// The Multiple APIC Description Table (ACPI 6.5 section 5.2.12): one local
// APIC per vCPU, the I/O APIC, the PC's IRQ 0 override and the NMI line.
#include <fmt/core.h>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox::acpi {
namespace {

// MADT flags: PCAT_COMPAT, the machine also has a PC-AT pair of 8259 PICs
// (KVM emulates them), which the OS must mask when it uses the APICs.
constexpr uint32_t kMadtPcAtCompatible = 1u << 0;
// Local APIC flags (section 5.2.12.2): Enabled, usable at boot.
constexpr uint32_t kLocalApicEnabled = 1u << 0;
// MPS INTI flags (section 5.2.12.5): 0 means "conforms to the bus", which for
// ISA is edge-triggered and active high.
constexpr uint16_t kConformsToBus = 0;
// Processor UID 0xff in a Local APIC NMI structure means every processor (section 5.2.12.7).
constexpr uint8_t kAllProcessors = 0xff;
// Bus 0 in an Interrupt Source Override is ISA, the only value defined (section 5.2.12.5).
constexpr uint8_t kIsaBus = 0;
// NMI is wired to LINT1 of every local APIC, as on PCs (the LINT0 input takes
// the 8259's ExtINT).
constexpr uint8_t kNmiLint = 1;
// The ISA IRQ of the PIT (channel 0 of the 8254).
constexpr uint8_t kPitIsaIrq = 0;

}  // namespace

Result<Bytes> build_madt(uint32_t cpus) {
    if (cpus == 0 || cpus > kMaxCpus)
        return Error::message(fmt::format("cannot describe {} vCPUs in the ACPI MADT", cpus))
            .with_hint(fmt::format("give --cpus between 1 and {}", kMaxCpus));

    Bytes table;
    append_object(table, MadtHeader{
                             .header = make_header("APIC", kMadtRevision),
                             .local_apic_address = static_cast<uint32_t>(layout::kLapicAddress),
                             .flags = kMadtPcAtCompatible,
                         });
    // Processor Local APIC structures, in the order the OS should start the
    // CPUs; the boot processor comes first (section 5.2.12.1).
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
        append_object(table, MadtLocalApic{
                                 .type = MadtType::local_apic,
                                 .length = sizeof(MadtLocalApic),
                                 .processor_uid = static_cast<uint8_t>(cpu),
                                 .apic_id = static_cast<uint8_t>(cpu),
                                 .flags = kLocalApicEnabled,
                             });
    }
    // One I/O APIC whose pins are GSIs 0-23. Its ID follows the vCPUs' APIC IDs
    // so that no two APICs share one.
    append_object(table, MadtIoApic{
                             .type = MadtType::io_apic,
                             .length = sizeof(MadtIoApic),
                             .io_apic_id = static_cast<uint8_t>(cpus),
                             .reserved = 0,
                             .address = static_cast<uint32_t>(layout::kIoapicAddress),
                             .gsi_base = 0,
                         });
    // ISA IRQs map one to one onto GSIs except IRQ 0, which PCs wire to pin 2
    // (section 5.2.12.5 gives exactly this example).
    append_object(table, MadtInterruptSourceOverride{
                             .type = MadtType::interrupt_source_override,
                             .length = sizeof(MadtInterruptSourceOverride),
                             .bus = kIsaBus,
                             .source = kPitIsaIrq,
                             .gsi = layout::kPitGsi,
                             .flags = kConformsToBus,
                         });
    append_object(table, MadtLocalApicNmi{
                             .type = MadtType::local_apic_nmi,
                             .length = sizeof(MadtLocalApicNmi),
                             .processor_uid = kAllProcessors,
                             .flags = kConformsToBus,
                             .lint = kNmiLint,
                         });
    seal(table);
    return table;
}

}  // namespace twinbox::acpi
