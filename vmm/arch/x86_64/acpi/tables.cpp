// Laying the ACPI tables out in guest memory (ACPI 6.5 section 5.2): the
// RSDP, the XSDT and the shared header and checksum rules. The FADT, MADT and
// DSDT have their own files.
#include "vmm/arch/x86_64/acpi/tables.h"

#include <fmt/core.h>

#include <cstring>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace acpi {
namespace {

// Copies the characters of a fixed-width, unterminated ACPI text field.
template <size_t N>
void copy_text(char (&field)[N], const char (&text)[N + 1]) {
    std::memcpy(field, text, N);
}

// Tables start on 16-byte boundaries: the RSDP must (section 5.2.5.1), and
// aligned tables are easier to read in a memory dump.
constexpr uint64_t kTableAlignment = 16;

uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

uint8_t checksum(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (uint8_t byte : bytes) sum = static_cast<uint8_t>(sum + byte);
    return static_cast<uint8_t>(0x100 - sum);
}

TableHeader make_header(const char (&signature)[5], uint8_t revision) {
    TableHeader header{};
    copy_text(header.signature, signature);
    header.revision = revision;
    copy_text(header.oem_id, kOemId);
    copy_text(header.oem_table_id, kOemTableId);
    header.oem_revision = kOemRevision;
    copy_text(header.creator_id, kCreatorId);
    header.creator_revision = kCreatorRevision;
    return header;
}

void seal(Bytes& table) {
    auto length = static_cast<uint32_t>(table.size());
    std::memcpy(table.data() + offsetof(TableHeader, length), &length, sizeof(length));
    table[offsetof(TableHeader, checksum)] = 0;
    table[offsetof(TableHeader, checksum)] = checksum(table);
}

Rsdp build_rsdp(uint64_t xsdt_address) {
    Rsdp rsdp{};
    std::memcpy(rsdp.signature, "RSD PTR ", sizeof(rsdp.signature));
    copy_text(rsdp.oem_id, kOemId);
    rsdp.revision = 2;
    rsdp.length = sizeof(Rsdp);
    rsdp.xsdt_address = xsdt_address;
    auto* bytes = reinterpret_cast<const uint8_t*>(&rsdp);
    // The first checksum covers the 20 bytes an ACPI 1.0 reader knows; the
    // extended one covers everything, the first checksum included.
    rsdp.checksum = checksum({bytes, offsetof(Rsdp, length)});
    rsdp.extended_checksum = checksum({bytes, sizeof(Rsdp)});
    return rsdp;
}

Bytes build_xsdt(std::span<const uint64_t> table_addresses) {
    Bytes table;
    append_object(table, make_header("XSDT", kXsdtRevision));
    // The entries are 64-bit addresses at offset 36, so not 8-byte aligned:
    // append them byte by byte rather than through a struct.
    for (uint64_t address : table_addresses) append_object(table, address);
    seal(table);
    return table;
}

}  // namespace acpi

Result<uint64_t> write_acpi_tables(const GuestMemory& memory, const AcpiConfig& config) {
    using namespace acpi;
    Bytes dsdt = TRY(build_dsdt(config));
    Bytes madt = TRY(build_madt(config.cpus));

    // The RSDP goes first, at the start of the BIOS area where guests search
    // for it (section 5.2.5.1); the tables follow in the order they are built,
    // since each table holds the address of the ones built before it.
    uint64_t next = layout::kAcpiAddress + sizeof(Rsdp);
    auto place = [&next](size_t size) {
        uint64_t address = align_up(next, kTableAlignment);
        next = address + size;
        return address;
    };
    uint64_t dsdt_address = place(dsdt.size());
    Bytes fadt = build_fadt(dsdt_address);
    uint64_t fadt_address = place(fadt.size());
    uint64_t madt_address = place(madt.size());
    const uint64_t entries[] = {fadt_address, madt_address};
    Bytes xsdt = build_xsdt(entries);
    uint64_t xsdt_address = place(xsdt.size());
    if (next > layout::kAcpiEnd)
        return Error::message(
                   fmt::format("the ACPI tables need {} bytes but only {} fit at {:#x}-{:#x}",
                               next - layout::kAcpiAddress, layout::kAcpiEnd - layout::kAcpiAddress,
                               layout::kAcpiAddress, layout::kAcpiEnd))
            .with_hint("use fewer vCPUs or virtio devices");

    Rsdp rsdp = build_rsdp(xsdt_address);
    auto context = [](std::string_view table) { return fmt::format("writing the ACPI {}", table); };
    if (auto result = memory.write_object(layout::kAcpiAddress, rsdp); !result)
        return std::move(result).error().with_context(context("RSDP"));
    const std::pair<uint64_t, const Bytes*> tables[] = {
        {dsdt_address, &dsdt}, {fadt_address, &fadt}, {madt_address, &madt}, {xsdt_address, &xsdt}};
    for (const auto& [address, bytes] : tables) {
        if (auto result = memory.write(address, *bytes); !result)
            return std::move(result).error().with_context(
                context(std::string_view(reinterpret_cast<const char*>(bytes->data()), 4)));
    }
    return layout::kAcpiAddress;
}

}  // namespace twinbox
