// The pieces write_acpi_tables() assembles: one function per table, each
// returning the table's bytes with its length and checksum filled in. They
// are declared here, apart from tables.h, so unit tests can check each table
// on its own; the rest of twinbox only needs tables.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "common/result.h"
#include "vmm/arch/x86_64/acpi/aml.h"
#include "vmm/arch/x86_64/acpi/tables.h"

namespace twinbox::acpi {

using aml::Bytes;

// Who made the tables, in every header (ACPI 6.5 section 5.2.6). The FADT's
// OEM table ID must match the one in the XSDT entry's header, so all tables
// share one.
inline constexpr char kOemId[] = "TWNBOX";         // 6 characters
inline constexpr char kOemTableId[] = "TWINBOX ";  // 8 characters
inline constexpr uint32_t kOemRevision = 1;
inline constexpr char kCreatorId[] = "TWBX";  // 4 characters
inline constexpr uint32_t kCreatorRevision = 1;

// Table revisions for ACPI 6.5 (sections 5.2.8, 5.2.9, 5.2.11.1, 5.2.12).
inline constexpr uint8_t kXsdtRevision = 1;
inline constexpr uint8_t kFadtRevision = 6;
inline constexpr uint8_t kFadtMinorVersion = 5;  // FADT 6.5
inline constexpr uint8_t kMadtRevision = 6;
// DSDT revision 2 or more makes AML integers 64 bits wide (section 5.2.11.1).
inline constexpr uint8_t kDsdtRevision = 2;

// The checksum byte that makes `bytes` plus itself sum to 0 modulo 256, the
// rule for every ACPI table and the RSDP (section 5.2.5.3, 5.2.6).
uint8_t checksum(std::span<const uint8_t> bytes);

// A header for a table with the given signature; length and checksum are set by seal().
TableHeader make_header(const char (&signature)[5], uint8_t revision);

// Fills in the length and checksum of a table that starts with a TableHeader.
void seal(Bytes& table);

// Appends raw bytes. (Through resize and memcpy rather than vector::insert,
// which makes GCC 12 report false buffer overflows at -O2.)
inline void append_bytes(Bytes& out, std::span<const uint8_t> bytes) {
    size_t end = out.size();
    out.resize(end + bytes.size());
    if (!bytes.empty())
        std::memcpy(out.data() + end, bytes.data(), bytes.size());
}

// Appends the bytes of a guest-visible struct.
template <typename T>
void append_object(Bytes& out, const T& object) {
    append_bytes(out, {reinterpret_cast<const uint8_t*>(&object), sizeof(T)});
}

// The RSDP pointing at the XSDT, with both checksums (section 5.2.5.3).
Rsdp build_rsdp(uint64_t xsdt_address);
// The XSDT: a header and the 64-bit addresses of the other tables (section 5.2.8).
Bytes build_xsdt(std::span<const uint64_t> table_addresses);
// The FADT of a hardware-reduced machine whose DSDT is at `dsdt_address` (section 5.2.9).
Bytes build_fadt(uint64_t dsdt_address);
// The MADT for `cpus` vCPUs (section 5.2.12); fails for 0 or more than kMaxCpus.
Result<Bytes> build_madt(uint32_t cpus);
// The DSDT: COM1, the virtio-mmio devices and \_S5 (section 5.2.11.1).
Result<Bytes> build_dsdt(const AcpiConfig& config);

// APIC IDs are 8 bits in the MADT's Processor Local APIC structure; 0xff is
// the broadcast ID and the I/O APIC takes the ID after the last vCPU.
inline constexpr uint32_t kMaxCpus = 254;
// The DSDT names virtio-mmio devices VR00 to VRFF.
inline constexpr size_t kMaxVirtioDevices = 256;

}  // namespace twinbox::acpi
