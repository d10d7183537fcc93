// Writing the guest's ACPI tables to files, for `twinbox vm run --dump-acpi
// DIR` and for `iasl -d` (ACPICA's disassembler), which reads one raw table
// per file. The walk follows the pointers a guest would: RSDP -> XSDT ->
// tables, and FADT -> DSDT (ACPI 6.5 sections 5.2.5.3, 5.2.8, 5.2.9).
//
// Guest memory may have been changed by the guest by the time this runs, so
// every length and signature is checked before it is trusted.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "vmm/arch/x86_64/acpi/builders.h"

namespace twinbox {
namespace {

// No table twinbox writes comes near these; more is corrupt (or hostile).
constexpr uint32_t kMaxTableLength = 1024 * 1024;
constexpr size_t kMaxXsdtEntries = 64;

Result<void> write_file(const std::string& path, std::span<const uint8_t> bytes) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return Error::from_errno("open", path);
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t count = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            return Error::from_errno("write", path);
        written += static_cast<size_t>(count);
    }
    return ok();
}

// A signature becomes a file name, so it must be four letters, digits or '_'
// (what ACPI signatures are), never '/' or '.'.
bool is_valid_signature(std::string_view signature) {
    if (signature.size() != 4)
        return false;
    for (char c : signature) {
        bool valid = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!valid)
            return false;
    }
    return true;
}

// Reads the table at `address` and writes it to <directory>/<SIGNATURE>.dat;
// returns its bytes for the caller to follow its pointers.
Result<std::vector<uint8_t>> dump_table(const GuestMemory& memory, uint64_t address,
                                        const std::string& directory) {
    auto header = TRY(memory.read_object<acpi::TableHeader>(address));
    std::string_view signature(header.signature, sizeof(header.signature));
    if (!is_valid_signature(signature))
        return Error::message(fmt::format("no ACPI table at {:#x} (bad signature)", address));
    uint32_t length = header.length;
    if (length < sizeof(acpi::TableHeader) || length > kMaxTableLength)
        return Error::message(
            fmt::format("ACPI table {} at {:#x} has a bad length {}", signature, address, length));
    std::vector<uint8_t> table(length);
    TRY(memory.read(address, table));
    TRY(write_file(fmt::format("{}/{}.dat", directory, signature), table));
    return table;
}

template <typename T>
T read_unaligned(const std::vector<uint8_t>& bytes, size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

}  // namespace

Result<void> dump_acpi_tables(const GuestMemory& memory, uint64_t rsdp_address,
                              const std::string& directory) {
    if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        return Error::from_errno("mkdir", directory)
            .with_hint("choose a directory that can be created");
    auto rsdp = TRY(memory.read_object<acpi::Rsdp>(rsdp_address));
    if (std::memcmp(rsdp.signature, "RSD PTR ", sizeof(rsdp.signature)) != 0 || rsdp.revision < 2)
        return Error::message(fmt::format("no ACPI 2.0+ RSDP at {:#x}", rsdp_address));
    TRY(write_file(directory + "/rsdp.dat",
                   {reinterpret_cast<const uint8_t*>(&rsdp), sizeof(rsdp)}));

    auto xsdt = TRY(dump_table(memory, rsdp.xsdt_address, directory));
    size_t entries = (xsdt.size() - sizeof(acpi::TableHeader)) / sizeof(uint64_t);
    if (entries > kMaxXsdtEntries)
        return Error::message(
            fmt::format("the ACPI XSDT lists {} tables, too many to be real", entries));
    for (size_t index = 0; index < entries; ++index) {
        size_t offset = sizeof(acpi::TableHeader) + index * sizeof(uint64_t);
        auto table = TRY(dump_table(memory, read_unaligned<uint64_t>(xsdt, offset), directory));
        // The FADT holds the DSDT's address, which the XSDT does not list.
        if (std::memcmp(table.data(), "FACP", 4) == 0 && table.size() >= sizeof(acpi::Fadt)) {
            uint64_t dsdt = read_unaligned<uint64_t>(table, offsetof(acpi::Fadt, x_dsdt));
            if (dsdt == 0)
                dsdt = read_unaligned<uint32_t>(table, offsetof(acpi::Fadt, dsdt));
            TRY(dump_table(memory, dsdt, directory));
        }
    }
    return ok();
}

}  // namespace twinbox
