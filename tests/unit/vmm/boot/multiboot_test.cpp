#include "vmm/boot/multiboot.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/vmm/boot/boot_images.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/multiboot_info.h"

namespace twinbox {
namespace {

using testing::make_multiboot_elf;
using testing::MultibootElfOptions;
using testing::pattern;
using testing::put;
using testing::unpacked;

class MultibootTest : public testing::GuestMemoryTest {
protected:
    multiboot::Info info() const {
        auto info = memory().read_object<multiboot::Info>(layout::kMultibootInfoAddress);
        EXPECT_TRUE(info.has_value());
        return info.has_value() ? *info : multiboot::Info{};
    }
    std::string string_at(uint64_t address) const {
        std::string text;
        for (;;) {
            auto byte = memory().read_object<char>(address++);
            if (!byte.has_value() || *byte == 0)
                return text;
            text.push_back(*byte);
        }
    }
    std::vector<uint8_t> bytes_at(uint64_t address, size_t size) const {
        std::vector<uint8_t> bytes(size);
        EXPECT_TRUE(memory().read(address, bytes).has_value());
        return bytes;
    }
    // Loads `kernel` and expects an error whose text contains `expected`.
    void expect_error(const std::vector<uint8_t>& kernel, const std::string& expected,
                      MultibootConfig config = {}) {
        config.kernel = kernel;
        auto entry = load_multiboot(memory(), config);
        ASSERT_FALSE(entry.has_value()) << "entry " << std::hex << entry->instruction_pointer;
        EXPECT_NE(entry.error().to_string().find(expected), std::string::npos)
            << entry.error().to_string();
    }
};

TEST_F(MultibootTest, LoadsAnElf32KernelWithModules) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(0x1000, 1), 0x3000});  // code and 8 KiB of BSS
    options.segments.push_back({0x200000, pattern(0x100, 2), 0x100});
    options.entry = 0x100010;
    std::vector<uint8_t> kernel = make_multiboot_elf(options);
    ASSERT_TRUE(memory().fill(0x101000, 0xcc, 0x2000).has_value());  // the BSS must come out zeroed

    MultibootConfig config;
    config.kernel = kernel;
    config.kernel_path = "/boot/kernel.elf";
    config.arguments = "console=ttyS0";
    config.modules.push_back({"/modules/a", "one two", pattern(5000, 3)});
    config.modules.push_back({"/modules/b", "", pattern(10, 4)});
    auto entry = load_multiboot(memory(), config);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();

    EXPECT_EQ(entry->mode, CpuMode::protected32);
    EXPECT_EQ(entry->instruction_pointer, 0x100010u);
    EXPECT_EQ(entry->rax, 0x2BADB002u);
    EXPECT_EQ(entry->rbx, layout::kMultibootInfoAddress);
    EXPECT_EQ(bytes_at(0x100000, 0x1000), pattern(0x1000, 1));
    EXPECT_EQ(bytes_at(0x101000, 0x2000), std::vector<uint8_t>(0x2000, 0));
    EXPECT_EQ(bytes_at(0x200000, 0x100), pattern(0x100, 2));

    multiboot::Info information = info();
    EXPECT_EQ(unpacked(information.flags), multiboot::kInfoMemory | multiboot::kInfoCommandLine |
                                               multiboot::kInfoModules | multiboot::kInfoMemoryMap |
                                               multiboot::kInfoBootLoaderName);
    EXPECT_EQ(unpacked(information.mem_lower), 639u);
    EXPECT_EQ(unpacked(information.mem_upper), 63u * 1024);
    EXPECT_EQ(string_at(information.cmdline), "/boot/kernel.elf console=ttyS0");
    EXPECT_EQ(string_at(information.boot_loader_name), "twinbox");

    auto map = build_e820_map(memory());
    ASSERT_EQ(unpacked(information.mmap_length), map.size() * sizeof(multiboot::MemoryMapEntry));
    for (size_t index = 0; index < map.size(); ++index) {
        auto entry =
            memory().read_object<multiboot::MemoryMapEntry>(information.mmap_addr + index * 24);
        ASSERT_TRUE(entry.has_value());
        EXPECT_EQ(unpacked(entry->size), 20u);
        EXPECT_EQ(unpacked(entry->base_addr), map[index].address);
        EXPECT_EQ(unpacked(entry->length), map[index].size);
        EXPECT_EQ(unpacked(entry->type), static_cast<uint32_t>(map[index].type));
    }

    ASSERT_EQ(unpacked(information.mods_count), 2u);
    auto first = memory().read_object<multiboot::ModuleEntry>(information.mods_addr);
    auto second = memory().read_object<multiboot::ModuleEntry>(information.mods_addr + 16);
    ASSERT_TRUE(first.has_value() && second.has_value());
    // Modules start on the first page above the kernel's highest byte (0x200100).
    EXPECT_EQ(unpacked(first->mod_start), 0x201000u);
    EXPECT_EQ(unpacked(first->mod_end), 0x201000u + 5000);
    EXPECT_EQ(unpacked(second->mod_start), 0x203000u);
    EXPECT_EQ(unpacked(second->mod_end), 0x203000u + 10);
    EXPECT_EQ(bytes_at(first->mod_start, 5000), pattern(5000, 3));
    EXPECT_EQ(bytes_at(second->mod_start, 10), pattern(10, 4));
    EXPECT_EQ(string_at(first->string), "/modules/a one two");
    EXPECT_EQ(string_at(second->string), "/modules/b");
}

TEST_F(MultibootTest, AcceptsAnElf64Container) {
    MultibootElfOptions options;
    options.elf64 = true;
    options.segments.push_back({0x100000, pattern(0x200, 5), 0x400});
    options.entry = 0x100000;
    auto entry = load_multiboot(memory(), {make_multiboot_elf(options), "kernel", "", {}});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, 0x100000u);
    EXPECT_EQ(bytes_at(0x100000, 0x200), pattern(0x200, 5));
    EXPECT_EQ(string_at(info().cmdline), "kernel");
    EXPECT_EQ(unpacked(info().mods_count), 0u);
}

TEST_F(MultibootTest, TranslatesAHigherHalfEntryPoint) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(0x100, 6), 0x100, 0xc0100000});
    options.entry = 0xc0100020;
    auto entry = load_multiboot(memory(), {make_multiboot_elf(options), "", "", {}});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, 0x100020u);
}

TEST_F(MultibootTest, LoadsAKernelByItsHeaderAddressFields) {
    std::vector<uint8_t> kernel = testing::make_address_fields_kernel(0x100000, 0x800, 0x1000);
    ASSERT_TRUE(memory().fill(0x100000, 0xcc, 0x2000).has_value());
    auto entry = load_multiboot(memory(), {kernel, "", "", {}});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, 0x100020u);
    EXPECT_EQ(bytes_at(0x100000, kernel.size()), kernel);
    EXPECT_EQ(bytes_at(0x100000 + kernel.size(), 0x1000), std::vector<uint8_t>(0x1000, 0));
    EXPECT_EQ(string_at(info().cmdline), "");
}

TEST_F(MultibootTest, IgnoresAVideoModeRequest) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(0x100, 7), 0x100});
    options.entry = 0x100000;
    options.header_flags |= multiboot::kHeaderVideoMode;
    ASSERT_TRUE(load_multiboot(memory(), {make_multiboot_elf(options), "", "", {}}).has_value());
    EXPECT_EQ(unpacked(info().flags) & (1u << 11 | 1u << 12), 0u);  // no VBE, no framebuffer
}

TEST_F(MultibootTest, FindsTheHeaderOnlyInTheFirst8192AlignedBytes) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(0x100, 8), 0x100});
    options.entry = 0x100000;
    options.header_offset = 8192 - 12;  // the last place it fits
    EXPECT_TRUE(load_multiboot(memory(), {make_multiboot_elf(options), "", "", {}}).has_value());
    options.header_offset = 8192 - 8;
    expect_error(make_multiboot_elf(options), "no multiboot header");
    options.header_offset = 8192;
    expect_error(make_multiboot_elf(options), "no multiboot header");
    options.header_offset = 86;  // not 4-byte aligned
    expect_error(make_multiboot_elf(options), "no multiboot header");
    options.with_header = false;
    expect_error(make_multiboot_elf(options), "--flat");
}

TEST_F(MultibootTest, RejectsBadHeaders) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(0x100, 9), 0x100});
    options.entry = 0x100000;
    options.checksum = 0x12345678;
    expect_error(make_multiboot_elf(options), "bad checksum");
    options.checksum.reset();
    options.header_flags |= 1u << 3;  // a required feature nobody defined
    expect_error(make_multiboot_elf(options), "header flag bits 0x8");
    // Neither ELF nor address fields: nothing says where to load it.
    expect_error(testing::multiboot_header(0), "not ELF");
}

TEST_F(MultibootTest, RejectsBrokenAddressFields) {
    auto kernel = testing::make_address_fields_kernel(0x100000, 0x100, 0);
    auto broken = kernel;
    put<uint32_t>(broken, 16, 0x100004);  // load_addr above header_addr
    expect_error(broken, "above header_addr");
    broken = kernel;
    put<uint32_t>(broken, 16, 0x0fff00);  // loading would start before the file
    expect_error(broken, "before the file");
    broken = kernel;
    put<uint32_t>(broken, 20, 0x0fffff);  // load_end_addr below load_addr
    expect_error(broken, "load_end_addr");
    broken = kernel;
    put<uint32_t>(broken, 20, 0x100000 + kernel.size() + 1);  // one byte more than the file has
    expect_error(broken, "past the end");
    broken = kernel;
    put<uint32_t>(broken, 24, 0x100010);  // bss_end_addr inside the loaded bytes
    expect_error(broken, "bss_end_addr");
    broken = kernel;
    put<uint32_t>(broken, 28, 0xfee00000);  // entry in the MMIO hole
    expect_error(broken, "entry point 0xfee00000");
    broken = kernel;
    broken.resize(20);  // the header's address fields are cut off
    expect_error(broken, "cut off");
}

TEST_F(MultibootTest, RejectsTruncatedElfHeaders) {
    std::vector<uint8_t> kernel = {ELFMAG0,    ELFMAG1,     ELFMAG2,   ELFMAG3,
                                   ELFCLASS32, ELFDATA2LSB, EV_CURRENT};
    kernel.resize(16);
    std::vector<uint8_t> header = testing::multiboot_header(0);
    kernel.insert(kernel.end(), header.begin(),
                  header.end());  // 28 bytes: shorter than an Elf32_Ehdr
    expect_error(kernel, "shorter than the ELF header");
}

class MultibootElfTest : public MultibootTest {
protected:
    std::vector<uint8_t> valid(bool elf64 = false) {
        MultibootElfOptions options;
        options.elf64 = elf64;
        options.segments.push_back({0x100000, pattern(0x100, 10), 0x200});
        options.entry = 0x100000;
        return make_multiboot_elf(options);
    }
    // Where the first program header starts.
    static size_t program_header(bool elf64) {
        return elf64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    }
};

TEST_F(MultibootElfTest, RejectsProgramHeaderTablesOutsideTheFile) {
    auto kernel = valid();
    put<uint32_t>(kernel, offsetof(Elf32_Ehdr, e_phoff), kernel.size() - 8);
    expect_error(kernel, "program header table");
    kernel = valid();
    put<uint16_t>(kernel, offsetof(Elf32_Ehdr, e_phnum), 0xfffe);
    expect_error(kernel, "program header table");
    kernel = valid();
    put<uint16_t>(kernel, offsetof(Elf32_Ehdr, e_phnum), PN_XNUM);
    expect_error(kernel, "program header count");
    kernel = valid();
    put<uint16_t>(kernel, offsetof(Elf32_Ehdr, e_phentsize), 8);
    expect_error(kernel, "program header size");
    kernel = valid(true);
    put<uint64_t>(kernel, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 8);
    expect_error(kernel, "program header table");
}

TEST_F(MultibootElfTest, RejectsSegmentsOutsideTheFile) {
    auto kernel = valid();
    put<uint32_t>(kernel, program_header(false) + offsetof(Elf32_Phdr, p_offset), 0xfffffff0);
    expect_error(kernel, "past the end of the");
    kernel = valid(true);  // p_offset + p_filesz wraps around 2^64
    put<uint64_t>(kernel, program_header(true) + offsetof(Elf64_Phdr, p_offset), UINT64_MAX - 0x10);
    expect_error(kernel, "past the end of the");
    kernel = valid(true);
    put<uint64_t>(kernel, program_header(true) + offsetof(Elf64_Phdr, p_filesz), UINT64_MAX);
    expect_error(kernel, "past the end of the");
}

TEST_F(MultibootElfTest, RejectsFileSizeLargerThanMemorySize) {
    auto kernel = valid();
    put<uint32_t>(kernel, program_header(false) + offsetof(Elf32_Phdr, p_memsz), 0x80);
    expect_error(kernel, "0x100 bytes in the file but only 0x80 in memory");
}

TEST_F(MultibootElfTest, RejectsSegmentsOutsideRam) {
    const size_t paddr = program_header(false) + offsetof(Elf32_Phdr, p_paddr);
    auto kernel = valid();
    put<uint32_t>(kernel, paddr, 64 * layout::kMiB - 0x100);  // half of it past the end of RAM
    expect_error(kernel, "give the guest at least 65 MiB with --memory");
    put<uint32_t>(kernel, paddr, 0xa0000);  // the VGA/BIOS hole
    expect_error(kernel, "not in guest RAM");
    put<uint32_t>(kernel, paddr, 0xfffffff0);  // wraps past 4 GiB
    expect_error(kernel, "above 4 GiB");
    put<uint32_t>(kernel, paddr, layout::kMultibootInfoAddress + 0x100);  // on the boot information
    expect_error(kernel, "overlaps the multiboot information");
    kernel = valid(true);
    put<uint64_t>(kernel, program_header(true) + offsetof(Elf64_Phdr, p_paddr), 0x1'0000'0000);
    expect_error(kernel, "above 4 GiB");
    kernel = valid(true);
    put<uint64_t>(kernel, program_header(true) + offsetof(Elf64_Phdr, p_paddr), UINT64_MAX - 0x100);
    expect_error(kernel, "wraps around");
}

TEST_F(MultibootElfTest, RejectsEntryPointsOutsideRam) {
    auto kernel = valid();
    put<uint32_t>(kernel, offsetof(Elf32_Ehdr, e_entry), 0xfee00000);
    expect_error(kernel, "entry point");
}

TEST_F(MultibootElfTest, RejectsModulesThatDoNotFitAndLeavesRamUntouched) {
    ASSERT_TRUE(memory().fill(0x100000, 0xcc, 0x100).has_value());
    MultibootConfig config;
    config.modules.push_back({"small", "", std::vector<uint8_t>(0x1000)});
    config.modules.push_back({"large", "", std::vector<uint8_t>(63 * layout::kMiB)});
    expect_error(valid(), "give the guest at least 65 MiB with --memory", config);
    EXPECT_EQ(bytes_at(0x100000, 0x100), std::vector<uint8_t>(0x100, 0xcc));
}

TEST_F(MultibootElfTest, RejectsBootInformationThatDoesNotFit) {
    MultibootConfig config;
    config.arguments = std::string(layout::kMultibootInfoMax, 'x');
    expect_error(valid(),
                 "more than the " + std::to_string(layout::kMultibootInfoMax) + " reserved",
                 config);
    config.arguments = std::string("a\0b", 3);
    expect_error(valid(), "NUL byte", config);
}

// Thousands of damaged kernels: each must give an error or an entry, never a
// crash or (under AddressSanitizer) an out-of-bounds access.
TEST_F(MultibootElfTest, SurvivesMutatedImages) {
    const std::vector<std::vector<uint8_t>> seeds = {
        valid(), valid(true), testing::make_address_fields_kernel(0x100000, 0x400, 0x800)};
    testing::Mutator mutator(1337);
    int loaded = 0;
    for (int round = 0; round < 2000; ++round) {
        std::vector<uint8_t> kernel;
        if (round % 10 == 9) {
            // Random bytes behind a valid header get past the header search.
            kernel =
                testing::multiboot_header(mutator.below(2) ? multiboot::kHeaderAddressFields : 0);
            std::vector<uint8_t> tail = mutator.random_bytes(mutator.below(512));
            kernel.insert(kernel.end(), tail.begin(), tail.end());
        } else {
            kernel = mutator.mutate(seeds[round % seeds.size()], 0, 0x100);
        }
        MultibootConfig config;
        config.kernel = kernel;
        config.arguments = "test";
        if (round % 3 == 0)
            config.modules.push_back({"m", "x", mutator.random_bytes(mutator.below(8192))});
        auto entry = load_multiboot(memory(), config);
        if (entry.has_value()) {
            ++loaded;
            EXPECT_EQ(entry->mode, CpuMode::protected32);
            EXPECT_TRUE(memory().contains(entry->instruction_pointer, 1));
        } else {
            EXPECT_FALSE(entry.error().to_string().empty());
        }
    }
    EXPECT_GT(loaded, 100);
}

}  // namespace
}  // namespace twinbox
