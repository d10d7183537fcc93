#include "vmm/boot/pvh.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/vmm/boot/boot_images.h"
#include "tests/unit/vmm/boot/pvh_images.h"
#include "vmm/arch/x86_64/cpu_state.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/pvh_start_info.h"

namespace twinbox {
namespace {

using testing::make_bzimage;
using testing::make_pvh_elf;
using testing::Mutator;
using testing::pattern;
using testing::put;
using testing::pvh_entry_note;
using testing::PvhElfOptions;
using testing::simple_pvh_options;
using testing::unpacked;

class PvhTest : public testing::GuestMemoryTest {
protected:
    std::vector<uint8_t> bytes_at(uint64_t address, size_t size) const {
        std::vector<uint8_t> bytes(size);
        EXPECT_TRUE(memory().read(address, bytes).has_value());
        return bytes;
    }
    pvh::StartInfo start_info() const {
        auto info = memory().read_object<pvh::StartInfo>(layout::kPvhStartInfoAddress);
        EXPECT_TRUE(info.has_value());
        return info.has_value() ? *info : pvh::StartInfo{};
    }
    void expect_error(const std::vector<uint8_t>& kernel, const std::string& expected,
                      LinuxBootConfig config = {}) {
        config.kernel = kernel;
        auto entry = load_pvh(memory(), config);
        ASSERT_FALSE(entry.has_value()) << "entry " << std::hex << entry->instruction_pointer;
        EXPECT_NE(entry.error().to_string().find(expected), std::string::npos)
            << entry.error().to_string();
    }
};

TEST_F(PvhTest, LoadsSegmentsAndWritesTheStartInfo) {
    std::vector<uint8_t> kernel = make_pvh_elf(simple_pvh_options());
    std::vector<uint8_t> initrd = pattern(0x1800, 9);
    ASSERT_TRUE(memory().fill(0x1200800, 0xcc, 0x2800).has_value());  // BSS must come out zeroed
    LinuxBootConfig config{kernel, initrd, "console=ttyS0 quiet", 0xe0000};
    auto entry = load_pvh(memory(), config);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();

    // pvh.pandoc: 32-bit protected mode at the note's address, EBX = start info.
    EXPECT_EQ(entry->mode, CpuMode::protected32);
    EXPECT_EQ(entry->instruction_pointer, 0x1000850u);
    EXPECT_EQ(entry->rbx, layout::kPvhStartInfoAddress);
    EXPECT_EQ(bytes_at(0x1000000, 0x2000), pattern(0x2000, 1));
    EXPECT_EQ(bytes_at(0x1200000, 0x800), pattern(0x800, 2));
    EXPECT_EQ(bytes_at(0x1200800, 0x2800), std::vector<uint8_t>(0x2800, 0));

    pvh::StartInfo info = start_info();
    EXPECT_EQ(unpacked(info.magic), 0x336ec578u);
    EXPECT_EQ(unpacked(info.version), 1u);
    EXPECT_EQ(unpacked(info.rsdp_paddr), 0xe0000u);
    EXPECT_EQ(unpacked(info.reserved), 0u);
    auto line = bytes_at(info.cmdline_paddr, config.command_line.size() + 1);
    EXPECT_EQ(std::string(line.begin(), line.end() - 1), config.command_line);
    EXPECT_EQ(line.back(), 0);

    ASSERT_EQ(unpacked(info.nr_modules), 1u);
    auto module = memory().read_object<pvh::ModlistEntry>(info.modlist_paddr);
    ASSERT_TRUE(module.has_value());
    EXPECT_EQ(module->size, initrd.size());
    EXPECT_EQ(module->paddr % 4096, 0u);
    EXPECT_GE(module->paddr, 0x1203000u);  // above the kernel's BSS
    EXPECT_LE(module->paddr + module->size, memory().low_ram_end());
    EXPECT_EQ(bytes_at(module->paddr, initrd.size()), initrd);

    // The memory map is the E820 map every loader gives the guest.
    std::vector<E820Entry> map = build_e820_map(memory());
    ASSERT_EQ(unpacked(info.memmap_entries), map.size());
    for (size_t index = 0; index < map.size(); ++index) {
        auto item = memory().read_object<pvh::MemmapEntry>(info.memmap_paddr +
                                                           index * sizeof(pvh::MemmapEntry));
        ASSERT_TRUE(item.has_value());
        EXPECT_EQ(item->addr, map[index].address);
        EXPECT_EQ(item->size, map[index].size);
        EXPECT_EQ(item->type, static_cast<uint32_t>(map[index].type));
    }
    // Everything the start info points at stays inside its reserved page or the command line.
    EXPECT_GE(info.memmap_paddr, layout::kPvhStartInfoAddress);
    EXPECT_LE(info.memmap_paddr + map.size() * sizeof(pvh::MemmapEntry),
              layout::kPvhStartInfoAddress + layout::kPvhStartInfoMax);
}

TEST_F(PvhTest, WithoutInitrdThereIsNoModule) {
    std::vector<uint8_t> kernel = make_pvh_elf(simple_pvh_options());
    auto entry = load_pvh(memory(), {kernel, {}, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(unpacked(start_info().nr_modules), 0u);
    EXPECT_EQ(unpacked(start_info().modlist_paddr), 0u);
    EXPECT_EQ(unpacked(start_info().rsdp_paddr), 0u);
}

TEST_F(PvhTest, AcceptsAFourByteEntryDescriptor) {
    PvhElfOptions options = simple_pvh_options();
    options.notes = {pvh_entry_note(0x1000010, 4)};
    auto entry = load_pvh(memory(), {make_pvh_elf(options), {}, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, 0x1000010u);
}

TEST_F(PvhTest, DetectsTheNote) {
    EXPECT_TRUE(has_pvh_entry(make_pvh_elf(simple_pvh_options())));
    PvhElfOptions without = simple_pvh_options();
    without.notes.erase(without.notes.begin() + 1);
    EXPECT_FALSE(has_pvh_entry(make_pvh_elf(without)));
    EXPECT_FALSE(has_pvh_entry(make_bzimage()));
    EXPECT_FALSE(has_pvh_entry({}));
}

TEST_F(PvhTest, RejectsWhatIsNotA64BitElf) {
    std::vector<uint8_t> kernel = make_pvh_elf(simple_pvh_options());
    kernel[1] = 'X';
    expect_error(kernel, "no ELF magic");
    expect_error(make_bzimage(), "no ELF magic");
    PvhElfOptions options = simple_pvh_options();
    options.elf64 = false;
    expect_error(make_pvh_elf(options), "32-bit ELF");
}

TEST_F(PvhTest, RejectsASegmentOutsideTheFile) {
    std::vector<uint8_t> kernel = make_pvh_elf(simple_pvh_options());
    // The first PT_LOAD's p_filesz grows past the end of the file.
    put<uint64_t>(kernel, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), kernel.size());
    put<uint64_t>(kernel, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_memsz), kernel.size());
    expect_error(kernel, "past the end of the");
}

TEST_F(PvhTest, RejectsASegmentOutsideGuestRam) {
    PvhElfOptions options = simple_pvh_options();
    options.segments[1].physical_address = 0x5000000;  // 80 MiB, the guest has 64
    expect_error(make_pvh_elf(options), "not in guest RAM");
    expect_error(make_pvh_elf(options), "--memory");
    options.segments[1].physical_address = 0xfffff000;
    expect_error(make_pvh_elf(options), "above 4 GiB");
    options.segments[1].physical_address = layout::kAcpiAddress;  // reserved, not RAM
    expect_error(make_pvh_elf(options), "not in guest RAM");
}

TEST_F(PvhTest, RejectsASegmentOverTheStartInfo) {
    PvhElfOptions options = simple_pvh_options();
    options.segments[1].physical_address = layout::kPvhStartInfoAddress + 0x800;
    expect_error(make_pvh_elf(options), "overlaps the PVH start info");
    options.segments[1].physical_address = layout::kCommandLineAddress - 0x100;
    expect_error(make_pvh_elf(options), "overlaps the kernel command line");
}

TEST_F(PvhTest, RejectsAKernelWithoutTheNote) {
    PvhElfOptions options = simple_pvh_options();
    options.notes.erase(options.notes.begin() + 1);
    expect_error(make_pvh_elf(options), "no Xen PVH entry note");
    options.notes.clear();  // no PT_NOTE at all
    expect_error(make_pvh_elf(options), "no Xen PVH entry note");
}

TEST_F(PvhTest, RejectsBadNotes) {
    PvhElfOptions options = simple_pvh_options();
    options.notes[1] = pvh_entry_note(0x1000850, 2);
    expect_error(make_pvh_elf(options), "2-byte descriptor");
    options.notes[1] = pvh_entry_note(0x100000000ull);
    expect_error(make_pvh_elf(options), "above the 4 GiB");
    options.notes[1] = pvh_entry_note(0x3000000);  // RAM, but no segment there
    expect_error(make_pvh_elf(options), "not inside any loaded ELF segment");
    options.notes[1] = pvh_entry_note(0x1201000);  // in the BSS: not loaded code
    expect_error(make_pvh_elf(options), "not inside any loaded ELF segment");

    // A note whose descriptor size runs past its segment.
    options = simple_pvh_options();
    std::vector<uint8_t> kernel = make_pvh_elf(options);
    const size_t note_header = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    const uint64_t notes_offset =
        testing::get<uint64_t>(kernel, note_header + offsetof(Elf64_Phdr, p_offset));
    put<uint32_t>(kernel, notes_offset + 4, 0x7fffffff);  // the first note's n_descsz
    expect_error(kernel, "past the segment's end");
    // A PT_NOTE segment that runs past the file.
    kernel = make_pvh_elf(options);
    put<uint64_t>(kernel, note_header + offsetof(Elf64_Phdr, p_filesz), kernel.size());
    expect_error(kernel, "note segment 0 claims file bytes");
}

TEST_F(PvhTest, RejectsCommandLinesAndInitrdsThatDoNotFit) {
    std::vector<uint8_t> kernel = make_pvh_elf(simple_pvh_options());
    expect_error(kernel, "at most 2047 fit", {{}, {}, std::string(2048, 'x'), 0});
    expect_error(kernel, "NUL byte", {{}, {}, std::string("a\0b", 3), 0});
    std::vector<uint8_t> huge(64 * layout::kMiB);
    expect_error(kernel, "does not fit", {{}, huge, "", 0});
}

TEST_F(PvhTest, ARejectedKernelLeavesRamUntouched) {
    PvhElfOptions options = simple_pvh_options();
    options.segments.push_back({0x5000000, pattern(16, 4), 16});  // the last one does not fit
    expect_error(make_pvh_elf(options), "not in guest RAM");
    EXPECT_EQ(bytes_at(0x1000000, 0x2000), std::vector<uint8_t>(0x2000, 0));
    EXPECT_EQ(unpacked(start_info().magic), 0u);
}

// pvh.pandoc, "Boot protocol": CS a flat 32-bit execute/read segment, DS/ES/SS
// flat read/write, TR a 32-bit TSS of limit 0x67, CR0.PE set and paging off,
// CR4 zero, EFLAGS.IF clear.
TEST_F(PvhTest, EntersWithTheRegisterStateTheAbiRequires) {
    auto entry = load_pvh(memory(), {make_pvh_elf(simple_pvh_options()), {}, "", 0});
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    kvm_sregs sregs = boot_sregs(kvm_sregs{}, *entry, 0);
    EXPECT_EQ(sregs.cr0 & 1, 1u);
    EXPECT_EQ(sregs.cr0 & (1ull << 31), 0u);
    EXPECT_EQ(sregs.cr4, 0u);
    EXPECT_EQ(sregs.efer, 0u);
    for (const kvm_segment& segment : {sregs.cs, sregs.ds, sregs.es, sregs.ss}) {
        EXPECT_EQ(segment.base, 0u);
        EXPECT_EQ(segment.limit, 0xffffffffu);
        EXPECT_EQ(segment.db, 1);
        EXPECT_EQ(segment.present, 1);
    }
    EXPECT_EQ(sregs.cs.type & 0xa, 0xa);  // code, readable
    EXPECT_EQ(sregs.tr.base, 0u);
    EXPECT_EQ(sregs.tr.limit, 0x67u);
    kvm_regs regs = boot_regs(*entry);
    EXPECT_EQ(regs.rbx, layout::kPvhStartInfoAddress);
    EXPECT_EQ(regs.rip, 0x1000850u);
    EXPECT_EQ(regs.rflags & (1u << 9), 0u);
}

// Hostile variants of a good kernel either load or fail with an error; the
// sanitizer builds and the fuzz target (tests/fuzz/pvh_elf_fuzz.cpp) look for more.
TEST_F(PvhTest, MutatedKernelsNeverCrash) {
    const std::vector<uint8_t> good = make_pvh_elf(simple_pvh_options());
    // The headers at the start, and the three notes (84 bytes) at the end of the file.
    const size_t notes_begin = good.size() - 84;
    Mutator mutator(18);
    for (int round = 0; round < 3000; ++round) {
        std::vector<uint8_t> kernel = round % 2 == 0
                                          ? mutator.mutate(good, 0, 0x200)
                                          : mutator.mutate(good, notes_begin, good.size());
        (void)has_pvh_entry(kernel);
        LinuxBootConfig config{kernel, {}, "console=ttyS0", 0};
        (void)load_pvh(memory(), config);
    }
}

}  // namespace
}  // namespace twinbox
