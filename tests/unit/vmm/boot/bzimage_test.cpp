#include "vmm/boot/bzimage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/unit/vmm/boot/boot_images.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/linux_boot_params.h"
#include "vmm/machine/default_guest.h"

namespace twinbox {
namespace {

using linux_boot::BootParams;
using testing::BzImageOptions;
using testing::make_bzimage;
using testing::unpacked;

class BzImageTest : public testing::GuestMemoryTest {
protected:
    BootParams zero_page() const {
        auto params = memory().read_object<BootParams>(layout::kZeroPageAddress);
        EXPECT_TRUE(params.has_value());
        return params.has_value() ? *params : BootParams{};
    }
    // Loads `kernel` and expects an error whose text contains `expected`.
    void expect_error(const std::vector<uint8_t>& kernel, const std::string& expected,
                      LinuxBootConfig config = {}) {
        config.kernel = kernel;
        auto entry = load_bzimage(memory(), config);
        ASSERT_FALSE(entry.has_value());
        EXPECT_NE(entry.error().to_string().find(expected), std::string::npos)
            << entry.error().to_string();
    }
};

TEST_F(BzImageTest, LoadsAtThePreferredAddressAndFillsTheZeroPage) {
    BzImageOptions options;
    std::vector<uint8_t> kernel = make_bzimage(options);
    std::vector<uint8_t> initrd = testing::pattern(0x2345, 0x99);
    LinuxBootConfig config{kernel, initrd, "console=ttyS0 quiet", 0xe0000};
    auto entry = load_bzimage(memory(), config);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();

    EXPECT_EQ(entry->mode, CpuMode::long64);
    EXPECT_EQ(entry->instruction_pointer, options.pref_address + 0x200);
    EXPECT_EQ(entry->stack_pointer, layout::kBootStackPointer);
    EXPECT_EQ(entry->rsi, layout::kZeroPageAddress);

    // The protected-mode kernel is the file after the setup sectors.
    std::vector<uint8_t> loaded(options.payload_size);
    ASSERT_TRUE(memory().read(options.pref_address, loaded).has_value());
    EXPECT_TRUE(std::equal(loaded.begin(), loaded.end(),
                           kernel.begin() + testing::bzimage_setup_size(options)));

    BootParams params = zero_page();
    EXPECT_EQ(unpacked(params.hdr.boot_flag), linux_boot::kBootFlag);
    EXPECT_EQ(unpacked(params.hdr.header), linux_boot::kHeaderMagic);
    EXPECT_EQ(unpacked(params.hdr.type_of_loader), 0xff);
    EXPECT_EQ(unpacked(params.hdr.loadflags), linux_boot::kLoadedHigh | linux_boot::kCanUseHeap);
    EXPECT_EQ(unpacked(params.hdr.heap_end_ptr), 0xde00);
    EXPECT_EQ(unpacked(params.hdr.cmd_line_ptr), layout::kCommandLineAddress);
    EXPECT_EQ(unpacked(params.ext_cmd_line_ptr), 0u);
    EXPECT_EQ(unpacked(params.acpi_rsdp_addr), 0xe0000u);
    EXPECT_EQ(unpacked(params.sentinel), 0);

    // The initrd sits page-aligned at the top of RAM.
    EXPECT_EQ(unpacked(params.hdr.ramdisk_size), initrd.size());
    EXPECT_EQ(unpacked(params.hdr.ramdisk_image) % 4096, 0u);
    EXPECT_LE(unpacked(params.hdr.ramdisk_image) + initrd.size(), 64 * layout::kMiB);
    EXPECT_GT(unpacked(params.hdr.ramdisk_image) + initrd.size() + 4096, 64 * layout::kMiB);
    std::vector<uint8_t> loaded_initrd(initrd.size());
    ASSERT_TRUE(memory().read(params.hdr.ramdisk_image, loaded_initrd).has_value());
    EXPECT_EQ(loaded_initrd, initrd);

    auto map = build_e820_map(memory());
    ASSERT_EQ(unpacked(params.e820_entries), map.size());
    for (size_t index = 0; index < map.size(); ++index) {
        EXPECT_EQ(unpacked(params.e820_table[index].address), map[index].address);
        EXPECT_EQ(unpacked(params.e820_table[index].size), map[index].size);
        EXPECT_EQ(unpacked(params.e820_table[index].type), static_cast<uint32_t>(map[index].type));
    }

    auto command_line = memory().slice(layout::kCommandLineAddress, 20);
    ASSERT_TRUE(command_line.has_value());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(command_line->data())),
              "console=ttyS0 quiet");
}

TEST_F(BzImageTest, ZeroSetupSectorsMeansFour) {
    BzImageOptions options;
    options.setup_sectors = 0;
    std::vector<uint8_t> kernel = make_bzimage(options);
    ASSERT_EQ(kernel.size(), 5 * 512 + options.payload_size);
    auto entry = load_bzimage(memory(), {kernel, {}, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    std::vector<uint8_t> loaded(16);
    ASSERT_TRUE(memory().read(options.pref_address, loaded).has_value());
    EXPECT_TRUE(std::equal(loaded.begin(), loaded.end(), kernel.begin() + 5 * 512));
    EXPECT_EQ(unpacked(zero_page().hdr.ramdisk_image), 0u);
    EXPECT_EQ(unpacked(zero_page().hdr.ramdisk_size), 0u);
}

TEST_F(BzImageTest, FallsBackToOneMebibyteWhenThePreferredAddressIsUnusable) {
    BzImageOptions options;
    options.pref_address = 0x1100000;  // not a multiple of kernel_alignment
    auto entry = load_bzimage(memory(), {make_bzimage(options), {}, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, layout::kHighMemoryStart + 0x200);
}

TEST_F(BzImageTest, OldProtocolGetsNoRsdpAddress) {
    BzImageOptions options;
    options.version = 0x020d;  // 2.13: acpi_rsdp_addr is not read yet
    auto entry = load_bzimage(memory(), {make_bzimage(options), {}, "", 0xe0000});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(unpacked(zero_page().acpi_rsdp_addr), 0u);
}

TEST_F(BzImageTest, RejectsWhatIsNotABzImage) {
    expect_error({}, "too small");
    expect_error(std::vector<uint8_t>(0x1000, 0), "no 0xAA55 boot flag");
    std::vector<uint8_t> kernel = make_bzimage();
    kernel[0x202] = 'X';
    expect_error(kernel, "no HdrS magic at 0x202");
    expect_error(kernel, "/boot/vmlinuz");
}

TEST_F(BzImageTest, RejectsUnsupportedProtocolsAndFlags) {
    BzImageOptions old_protocol;
    old_protocol.version = 0x020b;
    expect_error(make_bzimage(old_protocol), "boot protocol 2.11");
    BzImageOptions zimage;
    zimage.loadflags = 0;
    expect_error(make_bzimage(zimage), "LOADED_HIGH");
    BzImageOptions kernel32;
    kernel32.xloadflags = 0;
    expect_error(make_bzimage(kernel32), "XLF_KERNEL_64");
    BzImageOptions alignment;
    alignment.kernel_alignment = 0x300000;
    expect_error(make_bzimage(alignment), "not a power of two");
}

TEST_F(BzImageTest, RejectsTruncatedKernels) {
    std::vector<uint8_t> kernel = make_bzimage();
    kernel.resize(kernel.size() - 1);
    expect_error(kernel, "truncated");
    BzImageOptions empty;
    empty.payload_size = 0;
    expect_error(make_bzimage(empty), "syssize is 0");
    // A signed kernel carries bytes after syssize: that is fine.
    kernel = make_bzimage();
    kernel.resize(kernel.size() + 1472, 0xee);
    EXPECT_TRUE(load_bzimage(memory(), {kernel, {}, "", 0}).has_value());
}

TEST_F(BzImageTest, RejectsKernelsThatDoNotFitInRam) {
    BzImageOptions options;
    options.init_size = 60 * layout::kMiB;  // 16 MiB + 60 MiB > 64 MiB
    expect_error(make_bzimage(options), "at least 76 MiB with --memory");
    options.init_size = 0x400000;
    options.relocatable = 0;
    options.pref_address = 0xffff'ffff'ffff'f000;
    expect_error(make_bzimage(options), "--memory");
}

TEST_F(BzImageTest, ChecksTheCommandLine) {
    BzImageOptions options;
    options.cmdline_size = 10;
    LinuxBootConfig config;
    config.command_line = "0123456789";
    auto kernel = make_bzimage(options);
    config.kernel = kernel;
    EXPECT_TRUE(load_bzimage(memory(), config).has_value());
    config.command_line = "0123456789a";
    expect_error(kernel, "at most 10 fit", config);
    config.command_line = std::string("a\0b", 3);
    expect_error(kernel, "NUL byte", config);
    // The layout's buffer bounds the length even when the kernel accepts more.
    options.cmdline_size = 0xffffffff;
    config.command_line = std::string(layout::kCommandLineMax, 'x');
    expect_error(make_bzimage(options), "shorten --cmdline", config);
}

TEST_F(BzImageTest, RejectsInitrdsThatDoNotFit) {
    LinuxBootConfig config;
    std::vector<uint8_t> initrd(45 * layout::kMiB);  // the kernel uses up to 20 MiB of the 64
    config.initrd = initrd;
    expect_error(make_bzimage(), "give the guest at least 65 MiB with --memory", config);
    // initrd_addr_max below the kernel: more memory would not help.
    BzImageOptions options;
    options.initrd_addr_max = 0x13fffff;  // the kernel ends at 20 MiB
    std::vector<uint8_t> small(4096);
    config.initrd = small;
    expect_error(make_bzimage(options), "use a smaller initrd", config);
}

TEST_F(BzImageTest, InitrdStaysBelowInitrdAddrMax) {
    BzImageOptions options;
    options.initrd_addr_max = 0x2ffffff;  // last byte at 48 MiB - 1
    std::vector<uint8_t> initrd(0x1800);
    auto entry = load_bzimage(memory(), {make_bzimage(options), initrd, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(unpacked(zero_page().hdr.ramdisk_image), 0x3000000u - 0x2000);
}

// Feeds thousands of damaged images to the loader: each must give an error or
// an entry, never a crash or (under AddressSanitizer) an out-of-bounds access.
TEST_F(BzImageTest, SurvivesMutatedImages) {
    const std::vector<uint8_t> valid = make_bzimage();
    const std::vector<uint8_t> initrd(0x3000, 0x77);
    testing::Mutator mutator(20261128);
    int loaded = 0;
    for (int round = 0; round < 2000; ++round) {
        std::vector<uint8_t> kernel = round % 10 == 9 ? mutator.random_bytes(mutator.below(0x3000))
                                                      : mutator.mutate(valid, 0x1f1, 0x26c);
        auto entry = load_bzimage(
            memory(),
            {kernel, round % 2 ? std::span<const uint8_t>(initrd) : std::span<const uint8_t>(),
             "console=ttyS0", 0xe0000});
        if (entry.has_value()) {
            ++loaded;
            EXPECT_EQ(entry->mode, CpuMode::long64);
        } else {
            EXPECT_FALSE(entry.error().to_string().empty());
        }
    }
    // The mutations must leave some images loadable, or the test only exercises the first check.
    EXPECT_GT(loaded, 100);
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream stream(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
}

// The kernel twinbox boots by default: Debian's linux-image-amd64, the newest
// one installed (its version changes with every kernel update).
const std::string kDebianKernel = newest_boot_kernel();

TEST(BzImageDebianKernel, LoadsInto256MiBWithAnInitrd) {
    if (kDebianKernel.empty())
        GTEST_SKIP() << "no /boot/vmlinuz-* is installed (apt-get install linux-image-amd64)";
    std::vector<uint8_t> kernel = read_file(kDebianKernel);
    ASSERT_GT(kernel.size(), 1u * layout::kMiB);
    std::vector<uint8_t> initrd = testing::pattern(10 * layout::kMiB, 3);
    auto memory = GuestMemory::create(256 * layout::kMiB);
    ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
    auto entry = load_bzimage(*memory, {kernel, initrd, "console=ttyS0 quiet", 0xe0000});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();

    auto params = memory->read_object<BootParams>(layout::kZeroPageAddress);
    ASSERT_TRUE(params.has_value());
    const linux_boot::SetupHeader& header = params->hdr;
    EXPECT_GE(unpacked(header.version), 0x020f);
    EXPECT_EQ(unpacked(header.type_of_loader), 0xff);
    EXPECT_TRUE(unpacked(header.xloadflags) & linux_boot::kXlfKernel64);
    EXPECT_EQ(unpacked(header.loadflags) & (linux_boot::kLoadedHigh | linux_boot::kCanUseHeap),
              linux_boot::kLoadedHigh | linux_boot::kCanUseHeap);
    // Debian's kernel prefers 16 MiB (CONFIG_PHYSICAL_START) and is relocatable.
    EXPECT_EQ(entry->instruction_pointer, unpacked(header.pref_address) + 0x200);
    EXPECT_EQ(unpacked(header.pref_address), 0x1000000u);
    EXPECT_EQ(unpacked(params->acpi_rsdp_addr), 0xe0000u);
    EXPECT_EQ(unpacked(header.cmd_line_ptr), layout::kCommandLineAddress);
    EXPECT_EQ(unpacked(header.ramdisk_size), initrd.size());
    EXPECT_EQ(unpacked(header.ramdisk_image) % 4096, 0u);
    EXPECT_GE(unpacked(header.ramdisk_image),
              unpacked(header.pref_address) + unpacked(header.init_size));
    EXPECT_LE(unpacked(header.ramdisk_image) + unpacked(header.ramdisk_size), 256 * layout::kMiB);
    EXPECT_EQ(unpacked(params->e820_entries), build_e820_map(*memory).size());

    // The first bytes at the load address are the start of the 64-bit-capable protected-mode code.
    uint64_t setup_size = (uint64_t{header.setup_sects} + 1) * 512;
    std::vector<uint8_t> loaded(4096);
    ASSERT_TRUE(memory->read(header.pref_address, loaded).has_value());
    EXPECT_TRUE(std::equal(loaded.begin(), loaded.end(), kernel.begin() + setup_size));
}

TEST(BzImageDebianKernel, NamesTheMemoryItNeeds) {
    if (kDebianKernel.empty())
        GTEST_SKIP() << "no /boot/vmlinuz-* is installed (apt-get install linux-image-amd64)";
    std::vector<uint8_t> kernel = read_file(kDebianKernel);
    auto memory = GuestMemory::create(64 * layout::kMiB);
    ASSERT_TRUE(memory.has_value());
    auto entry = load_bzimage(*memory, {kernel, {}, "", 0});
    ASSERT_FALSE(entry.has_value());
    EXPECT_NE(entry.error().to_string().find("--memory"), std::string::npos)
        << entry.error().to_string();
}

}  // namespace
}  // namespace twinbox
