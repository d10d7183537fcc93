// The single-stepper's register differences and listing lines, on fixed
// register sets (what `xor ax, ax`, `mov ds, ax`, `mov cr0, eax`... do).
#include "vmm/trace/register_diff.h"

#include <gtest/gtest.h>

#include "vmm/machine/stepper.h"

namespace twinbox {
namespace {

CpuSnapshot real_mode_start() {
    CpuSnapshot cpu;
    cpu.regs.rip = 0x7c00;
    cpu.regs.rflags = 0x2;  // bit 1 is always set
    cpu.regs.rax = 0x1234;
    cpu.sregs.cs.base = 0;
    return cpu;
}

TEST(RegisterDiff, NothingChangedGivesNothing) {
    CpuSnapshot cpu = real_mode_start();
    CpuSnapshot after = cpu;
    after.regs.rip = 0x7c01;  // RIP is the address column, not a change
    EXPECT_TRUE(diff_registers(cpu, after, GuestMode::real16).empty());
    EXPECT_EQ(format_changes({}), "");
}

TEST(RegisterDiff, XorAxAxClearsAxAndSetsZeroAndParity) {
    CpuSnapshot before = real_mode_start();
    CpuSnapshot after = before;
    after.regs.rax = 0;
    after.regs.rflags = 0x46;  // ZF (bit 6) and PF (bit 2)
    auto changes = diff_registers(before, after, GuestMode::real16);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].name, "ax");
    EXPECT_EQ(changes[0].before, 0x1234u);
    EXPECT_EQ(changes[0].after, 0u);
    EXPECT_EQ(changes[1].name, "flags");
    EXPECT_EQ(changes[1].note, "+PF +ZF");
    EXPECT_EQ(format_changes(changes), "ax 0x1234->0x0  flags 0x2->0x46 (+PF +ZF)");
}

TEST(RegisterDiff, NamesFollowTheModeAndWidenForBigValues) {
    CpuSnapshot before;
    CpuSnapshot after;
    after.regs.rsi = 0x7c1b;
    EXPECT_EQ(diff_registers(before, after, GuestMode::real16)[0].name, "si");
    EXPECT_EQ(diff_registers(before, after, GuestMode::protected32)[0].name, "esi");
    EXPECT_EQ(diff_registers(before, after, GuestMode::long64)[0].name, "rsi");
    after.regs.rsi = 0x12345678;  // a 32-bit register used in real mode
    EXPECT_EQ(diff_registers(before, after, GuestMode::real16)[0].name, "esi");
    after.regs.rsi = 0x1'0000'0000ull;
    EXPECT_EQ(diff_registers(before, after, GuestMode::compat32)[0].name, "rsi");
    after = before;
    after.regs.r9 = 1;
    EXPECT_EQ(diff_registers(before, after, GuestMode::long64)[0].name, "r9");
}

TEST(RegisterDiff, FlagsSetAndCleared) {
    EXPECT_EQ(describe_flag_changes(0x2, 0x2), "");
    EXPECT_EQ(describe_flag_changes(0x203, 0x2), "-CF -IF");  // cli after stc
    EXPECT_EQ(describe_flag_changes(0x2, 0x402), "+DF");      // std
    EXPECT_EQ(describe_flag_changes(0x2 | 0x80 | 0x800, 0x2 | 0x1), "+CF -SF -OF");
}

TEST(RegisterDiff, SegmentLoadShowsSelectorAndBase) {
    CpuSnapshot before = real_mode_start();
    CpuSnapshot after = before;
    after.sregs.ds.selector = 0x1000;
    after.sregs.ds.base = 0x10000;  // real mode: base = selector * 16
    auto changes = diff_registers(before, after, GuestMode::real16);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(format_changes(changes), "ds 0x0->0x1000 (base 0x10000)");
}

TEST(RegisterDiff, ControlRegistersEferAndDescriptorTables) {
    CpuSnapshot before = real_mode_start();
    CpuSnapshot after = before;
    after.sregs.cr0 = 0x11;  // PE and ET: protected mode on
    after.sregs.efer = 0x500;
    after.sregs.gdt.base = 0x8000;
    after.sregs.gdt.limit = 0x17;
    auto changes = diff_registers(before, after, GuestMode::real16);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].name, "cr0");
    EXPECT_EQ(changes[1].name, "efer");
    EXPECT_EQ(format_changes({changes[2]}), "gdtr 0x0->0x8000 (limit 0x17)");
}

TEST(StepListing, LineHasStepAddressBytesInstructionAndChanges) {
    std::string line =
        format_step(4, 0x7c05, {0xbe, 0x1b, 0x7c}, "mov si, 0x7c1b", "si 0x0->0x7c1b");
    EXPECT_EQ(
        line,
        "    4    0x7c05  be 1b 7c              mov si, 0x7c1b                si 0x0->0x7c1b");
    // No changes: no trailing blanks.
    std::string cli = format_step(1, 0x7c00, {0xfa}, "cli", "");
    EXPECT_EQ(cli, "    1    0x7c00  fa                    cli");
}

TEST(StepListing, SerialBytesArePrintable) {
    EXPECT_EQ(printable_bytes("Hi\n"), "Hi\\n");
    EXPECT_EQ(printable_bytes(std::string("\x1b[0m\"\\", 6)), "\\x1b[0m\\\"\\\\");
    EXPECT_EQ(printable_bytes(std::string(1, '\0')), "\\x00");
}

TEST(StepListing, CapturedOutputIsTakenOnce) {
    CapturedOutput output;
    const uint8_t hello[] = {'H', 'i'};
    output.write(hello);
    output.write(hello);
    EXPECT_EQ(output.take(), "HiHi");
    EXPECT_EQ(output.take(), "");
}

}  // namespace
}  // namespace twinbox
