// dump_acpi_tables() against guest memory the guest may have scribbled on:
// every bad pointer, length or signature must give an error, never a crash or
// a file outside the target directory.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"
#include "vmm/arch/x86_64/acpi/tables.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox::acpi {
namespace {

namespace fs = std::filesystem;

class AcpiDump : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(m_directory.path().empty());
        auto memory = GuestMemory::create(4 * layout::kMiB);
        ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
        m_memory = std::make_unique<GuestMemory>(std::move(memory).value());
        AcpiConfig config;
        config.cpus = 2;
        config.virtio_devices = {{layout::kVirtioMmioStart, layout::kVirtioMmioStride, 5}};
        auto rsdp = write_acpi_tables(*m_memory, config);
        ASSERT_TRUE(rsdp.has_value()) << rsdp.error().to_string();
        m_rsdp = m_memory->read_object<Rsdp>(*rsdp).value();
    }

    Result<void> dump() {
        return dump_acpi_tables(*m_memory, layout::kAcpiAddress, m_directory.path());
    }

    // Overwrites part of the XSDT's header.
    void patch_xsdt(size_t offset, const void* bytes, size_t size) {
        auto target = m_memory->slice(m_rsdp.xsdt_address + offset, size).value();
        std::memcpy(target.data(), bytes, size);
    }

    test::TemporaryDirectory m_directory;
    std::unique_ptr<GuestMemory> m_memory;
    Rsdp m_rsdp{};
};

TEST_F(AcpiDump, WritesIntoANewDirectory) {
    std::string nested = m_directory.path() + "/tables";
    ASSERT_TRUE(dump_acpi_tables(*m_memory, layout::kAcpiAddress, nested).has_value());
    EXPECT_TRUE(fs::exists(nested + "/DSDT.dat"));
    EXPECT_FALSE(
        dump_acpi_tables(*m_memory, layout::kAcpiAddress, m_directory.path() + "/a/b").has_value());
}

TEST_F(AcpiDump, RejectsAMissingRsdp) {
    EXPECT_FALSE(
        dump_acpi_tables(*m_memory, layout::kAcpiAddress + 16, m_directory.path()).has_value());
    EXPECT_FALSE(
        dump_acpi_tables(*m_memory, layout::kMmioHoleStart, m_directory.path()).has_value());
}

TEST_F(AcpiDump, RejectsSignaturesThatAreNotFileNames) {
    patch_xsdt(0, "../X", 4);
    EXPECT_FALSE(dump().has_value());
    EXPECT_FALSE(fs::exists(fs::path(m_directory.path()).parent_path() / "X.dat"));
}

TEST_F(AcpiDump, RejectsBadLengths) {
    const uint32_t huge = 0xffff'ffff;
    patch_xsdt(offsetof(TableHeader, length), &huge, sizeof(huge));
    EXPECT_FALSE(dump().has_value());
    const uint32_t tiny = 8;
    patch_xsdt(offsetof(TableHeader, length), &tiny, sizeof(tiny));
    EXPECT_FALSE(dump().has_value());
    const uint32_t many_entries = sizeof(TableHeader) + 8 * 1000;  // still inside RAM
    patch_xsdt(offsetof(TableHeader, length), &many_entries, sizeof(many_entries));
    EXPECT_FALSE(dump().has_value());
}

TEST_F(AcpiDump, RejectsPointersOutsideRam) {
    const uint64_t outside = layout::kMmioHoleStart;
    patch_xsdt(sizeof(TableHeader), &outside, sizeof(outside));
    EXPECT_FALSE(dump().has_value());
}

}  // namespace
}  // namespace twinbox::acpi
