// Checks the guest images that guest/CMakeLists.txt builds, against the specs
// their loaders follow: the Multiboot header (Multiboot 0.6.96 section 3.1),
// the ELF program headers (System V ABI, i386 supplement), the flat binaries'
// size and content, and the initramfs layout that /init relies on.
// The images are build outputs: a test skips when its image has not been built.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace twinbox {
namespace {

const std::filesystem::path kGuestDirectory = std::filesystem::path(TWINBOX_BINARY_DIR) / "guest";

std::optional<std::vector<uint8_t>> read_file(const std::filesystem::path& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream)
        return std::nullopt;
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(stream), {});
}

uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + offset, sizeof(value));
    return value;  // x86 is little-endian, like the files
}

bool contains(const std::vector<uint8_t>& bytes, std::string_view text) {
    // char may be signed, so compare as bytes.
    auto same_byte = [](uint8_t byte, char character) {
        return byte == static_cast<uint8_t>(character);
    };
    return std::search(bytes.begin(), bytes.end(), text.begin(), text.end(), same_byte) !=
           bytes.end();
}

#define LOAD_OR_SKIP(variable, name)                                    \
    auto variable##_file = read_file(kGuestDirectory / (name));         \
    if (!variable##_file)                                               \
        GTEST_SKIP() << (name) << " not built (target guest-examples)"; \
    const std::vector<uint8_t>& variable = *variable##_file

TEST(ExampleGuestsTest, MultibootHeaderIsValid) {
    LOAD_OR_SKIP(image, "examples/hello-multiboot.elf");
    // Section 3.1.1: the header is 32-bit aligned within the first 8192 bytes.
    std::optional<size_t> header;
    for (size_t offset = 0; offset + 12 <= std::min<size_t>(image.size(), 8192); offset += 4) {
        if (read_u32(image, offset) == 0x1BADB002) {
            header = offset;
            break;
        }
    }
    ASSERT_TRUE(header.has_value()) << "no Multiboot magic in the first 8192 bytes";
    uint32_t flags = read_u32(image, *header + 4);
    uint32_t checksum = read_u32(image, *header + 8);
    EXPECT_EQ(flags, 1u << 1);  // memory information requested, nothing else
    EXPECT_EQ(static_cast<uint32_t>(0x1BADB002 + flags + checksum), 0u);
}

TEST(ExampleGuestsTest, MultibootImageIsAnI386ElfLoadedAtOneMebibyte) {
    LOAD_OR_SKIP(image, "examples/hello-multiboot.elf");
    ASSERT_GE(image.size(), sizeof(Elf32_Ehdr));
    Elf32_Ehdr header;
    std::memcpy(&header, image.data(), sizeof(header));
    ASSERT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
    EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS32);
    EXPECT_EQ(header.e_machine, EM_386);
    EXPECT_EQ(header.e_type, ET_EXEC);

    bool entry_is_loaded = false;
    for (unsigned index = 0; index < header.e_phnum; ++index) {
        size_t offset = header.e_phoff + size_t{index} * header.e_phentsize;
        ASSERT_LE(offset + sizeof(Elf32_Phdr), image.size());
        Elf32_Phdr program;
        std::memcpy(&program, image.data() + offset, sizeof(program));
        if (program.p_type != PT_LOAD)
            continue;
        EXPECT_GE(program.p_paddr, 0x100000u) << "segment below 1 MiB";
        EXPECT_LE(program.p_filesz, program.p_memsz);
        if (header.e_entry >= program.p_paddr && header.e_entry < program.p_paddr + program.p_memsz)
            entry_is_loaded = true;
    }
    EXPECT_TRUE(entry_is_loaded);
}

TEST(ExampleGuestsTest, FlatBinariesPrintAndUseTheDebugExitPort) {
    for (auto [name, message] : {std::pair{"examples/hello-real.bin", "Hello from real mode!\n"},
                                 std::pair{"examples/hello-long.bin", "Hello from long mode!\n"}}) {
        LOAD_OR_SKIP(image, name);
        // Small enough for a boot sector (512 bytes less the 0x55AA signature).
        EXPECT_LE(image.size(), 510u) << name;
        EXPECT_TRUE(contains(image, message)) << name;
        // `out 0xf4, al` is E6 F4 (Intel SDM Vol. 2B, OUT: E6 ib).
        EXPECT_TRUE(contains(image, "\xE6\xF4")) << name;
    }
}

TEST(ExampleGuestsTest, InitramfsHoldsInitBusyboxAndModuleList) {
    std::filesystem::path archive = kGuestDirectory / "initramfs.cpio.gz";
    if (!std::filesystem::exists(archive))
        GTEST_SKIP() << "initramfs.cpio.gz not built (target guest-initramfs)";
    std::string command = "gzip -dc '" + archive.string() + "' | cpio -it --quiet 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::vector<std::string> names;
    char line[512];
    while (fgets(line, sizeof(line), pipe) != nullptr) {
        std::string name(line);
        if (!name.empty() && name.back() == '\n')
            name.pop_back();
        names.push_back(name);
    }
    ASSERT_EQ(pclose(pipe), 0) << "gzip or cpio failed on " << archive;

    auto has = [&](std::string_view name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    EXPECT_TRUE(has("init"));
    EXPECT_TRUE(has("bin/busybox"));
    EXPECT_TRUE(has("bin/sh"));
    EXPECT_TRUE(has("sbin/poweroff"));
    EXPECT_TRUE(has("bin/setsid") || has("usr/bin/setsid"));
    // The benchmark workload, baked in (guest/README.md).
    EXPECT_TRUE(has("usr/bin/twinbox-workload"));
    // Reproducible archives list files in sorted order.
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

}  // namespace
}  // namespace twinbox
