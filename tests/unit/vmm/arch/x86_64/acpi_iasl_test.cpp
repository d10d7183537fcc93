// Round trip through ACPICA's iasl (Debian package acpica-tools): the tables
// twinbox writes are dumped, disassembled, and the DSDT recompiled, so a
// malformed table shows up here rather than as a guest that boots without
// its devices. Skips when iasl is not installed.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"
#include "vmm/arch/x86_64/acpi/aml.h"
#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/acpi/tables.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
    int status = -1;
    std::string output;  // stdout and stderr together
};

CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr)
        return result;
    char buffer[4096];
    size_t count;
    while ((count = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
        result.output.append(buffer, count);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool iasl_installed() {
    return run("command -v iasl").status == 0;
}

std::string read_text(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// iasl reports problems as lines such as "Error    6126 - ..." or
// "Warning  3144 - ..."; its summaries say "0 Errors, 0 Warnings".
bool reports_problems(const std::string& output) {
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("Error ") != std::string::npos || line.find("Warning ") != std::string::npos)
            return true;
        if (line.find("ACPI Error") != std::string::npos ||
            line.find("ACPI Warning") != std::string::npos)
            return true;
    }
    return false;
}

class AcpiIasl : public ::testing::Test {
protected:
    void SetUp() override {
        if (!iasl_installed())
            GTEST_SKIP() << "iasl is not installed (apt-get install acpica-tools)";
        ASSERT_FALSE(m_directory.path().empty());
        auto memory = GuestMemory::create(16 * layout::kMiB);
        ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
        m_memory = std::make_unique<GuestMemory>(std::move(memory).value());
    }

    // Writes and dumps the tables for `cpus` vCPUs and `devices` virtio-mmio devices.
    void dump(uint32_t cpus, size_t devices) {
        AcpiConfig config;
        config.cpus = cpus;
        for (size_t i = 0; i < devices; ++i)
            config.virtio_devices.push_back(
                {layout::kVirtioMmioStart + i * layout::kVirtioMmioStride,
                 layout::kVirtioMmioStride, layout::kVirtioIrqs[i % layout::kMaxVirtioDevices]});
        auto rsdp = write_acpi_tables(*m_memory, config);
        ASSERT_TRUE(rsdp.has_value()) << rsdp.error().to_string();
        auto dumped = dump_acpi_tables(*m_memory, *rsdp, m_directory.path());
        ASSERT_TRUE(dumped.has_value()) << dumped.error().to_string();
    }
    void dump_two_by_two() { dump(2, 2); }

    // The DSDT of a two-vCPU, two-device machine as iasl disassembles it,
    // which must go without errors, warnings or unknown opcodes.
    std::string disassemble_dsdt() {
        dump_two_by_two();
        CommandResult result = iasl("-d DSDT.dat");
        EXPECT_EQ(result.status, 0) << result.output;
        EXPECT_FALSE(reports_problems(result.output)) << result.output;
        return read_text(m_directory.path() + "/DSDT.dsl");
    }

    // Disassembles DSDT.dat, compiles it back and checks the AML is unchanged.
    void expect_dsdt_round_trip() {
        ASSERT_EQ(iasl("-d DSDT.dat").status, 0);
        // With optimizations off (-oa) iasl keeps the name paths as written
        // (\_SB rather than _SB), so everything after the header, which names
        // a different creator, must match byte for byte.
        CommandResult compiled = iasl("-oa -p recompiled DSDT.dsl");
        EXPECT_EQ(compiled.status, 0) << compiled.output;
        EXPECT_NE(compiled.output.find("0 Errors, 0 Warnings"), std::string::npos)
            << compiled.output;
        std::string original = read_text(m_directory.path() + "/DSDT.dat");
        std::string recompiled = read_text(m_directory.path() + "/recompiled.aml");
        ASSERT_EQ(original.size(), recompiled.size());
        EXPECT_EQ(original.substr(sizeof(acpi::TableHeader)),
                  recompiled.substr(sizeof(acpi::TableHeader)));
    }

    CommandResult iasl(const std::string& arguments) {
        return run(fmt::format("cd '{}' && iasl {}", m_directory.path(), arguments));
    }

    test::TemporaryDirectory m_directory;
    std::unique_ptr<GuestMemory> m_memory;
};

TEST_F(AcpiIasl, DumpWritesEveryTable) {
    dump_two_by_two();
    for (const char* file : {"rsdp.dat", "XSDT.dat", "FACP.dat", "APIC.dat", "DSDT.dat"})
        EXPECT_TRUE(fs::exists(fs::path(m_directory.path()) / file)) << file;
    EXPECT_EQ(fs::file_size(fs::path(m_directory.path()) / "rsdp.dat"), 36u);
    EXPECT_EQ(fs::file_size(fs::path(m_directory.path()) / "FACP.dat"), 276u);
}

TEST_F(AcpiIasl, DsdtDisassemblesCleanly) {
    std::string dsl = disassemble_dsdt();
    EXPECT_NE(dsl.find("PNP0501"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("LNRO0005"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Device (VR01)"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Name (\\_S5, Package (0x04)"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("IO (Decode16,"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("IRQNoFlags ()"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Memory32Fixed (ReadWrite,"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"),
              std::string::npos)
        << dsl;
}

// The power button (ACPI 6.5 sections 4.8.3.1.1 and 5.6.9): a PNP0C0C device
// and a Generic Event Device whose _EVT reads the event selector port and
// notifies the button. iasl must decode every opcode (no "Unknown" or
// unresolved names) for Linux's interpreter to run it.
TEST_F(AcpiIasl, DsdtHasTheGenericEventDeviceAndThePowerButton) {
    std::string dsl = disassemble_dsdt();
    for (const char* expected : {
             "Device (PWRB)",
             "EisaId (\"PNP0C0C\")",
             "Device (GED)",
             "Name (_HID, \"ACPI0013\"",
             "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )",
             "OperationRegion (EREG, SystemIO, 0x0602, One)",
             "ESEL,   8",
             "Method (_EVT, 1, NotSerialized)",
             "Local0 = ESEL",
             "Notify (\\_SB.PWRB, 0x80)",
         })
        EXPECT_NE(dsl.find(expected), std::string::npos) << expected << " in\n" << dsl;
}

TEST_F(AcpiIasl, DsdtRecompilesToTheSameAml) {
    dump_two_by_two();
    expect_dsdt_round_trip();
}

TEST_F(AcpiIasl, LargestDsdtRecompilesToTheSameAml) {
    // 256 devices make the \_SB scope longer than 4095 bytes: a 3-byte PkgLength.
    dump(acpi::kMaxCpus, acpi::kMaxVirtioDevices);
    expect_dsdt_round_trip();
    std::string dsl = read_text(m_directory.path() + "/DSDT.dsl");
    EXPECT_NE(dsl.find("Device (VRFF)"), std::string::npos);
    EXPECT_NE(dsl.find("Name (\\_S5, Package (0x04)"), std::string::npos);
}

TEST_F(AcpiIasl, DataTablesDisassembleCleanly) {
    dump_two_by_two();
    // rsdp.dat is left out: iasl 20200925 rejects a lone RSDP file (it reads
    // its bytes 4-7 as a table length); AcpiTables.RsdpHasBothChecksums checks it.
    struct Expectation {
        const char* file;
        const char* output;
        const char* text;
    };
    const Expectation expectations[] = {
        {"XSDT.dat", "XSDT.dsl", "ACPI Table Address   1"},
        {"FACP.dat", "FACP.dsl", "Hardware Reduced (V5) : 1"},
        {"APIC.dat", "APIC.dsl", "Subtable Type : 04 [Local APIC NMI]"},
    };
    for (const Expectation& expectation : expectations) {
        CommandResult result = iasl(fmt::format("-d {}", expectation.file));
        EXPECT_EQ(result.status, 0) << expectation.file << "\n" << result.output;
        EXPECT_FALSE(reports_problems(result.output)) << result.output;
        std::string dsl = read_text(m_directory.path() + "/" + expectation.output);
        EXPECT_NE(dsl.find(expectation.text), std::string::npos) << expectation.file << "\n" << dsl;
        EXPECT_EQ(dsl.find("Invalid"), std::string::npos) << dsl;
    }
}

TEST_F(AcpiIasl, MethodsDisassemble) {
    // The DSDT has no Method today; check the builder's encoding on its own.
    using namespace aml;
    acpi::Bytes table;
    acpi::append_object(table, acpi::make_header("SSDT", 2));
    acpi::append_bytes(
        table, scope("\\_SB", {device("TST0", {
                                                  name("_HID", string("TWBX0001")),
                                                  method("_STA", 0, {return_value(integer(0x0f))}),
                                              })}));
    acpi::seal(table);
    std::ofstream(m_directory.path() + "/SSDT.dat", std::ios::binary)
        .write(reinterpret_cast<const char*>(table.data()),
               static_cast<std::streamsize>(table.size()));
    CommandResult result = iasl("-d SSDT.dat");
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_FALSE(reports_problems(result.output)) << result.output;
    std::string dsl = read_text(m_directory.path() + "/SSDT.dsl");
    EXPECT_NE(dsl.find("Method (_STA, 0, NotSerialized)"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Return (0x0F)"), std::string::npos) << dsl;
}

}  // namespace
}  // namespace twinbox
