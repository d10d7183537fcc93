// Capstone decoding and CPU-mode detection for the exit tracer.
#include "vmm/trace/disassembler.h"

#include <gtest/gtest.h>

#include "vmm/trace/exit_trace.h"
#include "vmm/trace/guest_view.h"

namespace twinbox {
namespace {

TEST(Disassembler, DecodesPortIoInEachWidth) {
    const uint8_t out_dx_al[] = {0xee};
    EXPECT_EQ(disassemble(out_dx_al, GuestMode::real16, 0x7c00).text, "out dx, al");
    const uint8_t mov_eax[] = {0xb8, 0x01, 0x00, 0x00, 0x00};
    EXPECT_EQ(disassemble(mov_eax, GuestMode::protected32, 0).text, "mov eax, 1");
    EXPECT_EQ(disassemble(mov_eax, GuestMode::protected32, 0).length, 5u);
    const uint8_t mov_rax[] = {0x48, 0xc7, 0xc0, 0x2a, 0x00, 0x00, 0x00};
    EXPECT_EQ(disassemble(mov_rax, GuestMode::long64, 0).text, "mov rax, 0x2a");
}

TEST(Disassembler, GarbageAndEmptyInputAreReportedNotCrashed) {
    const uint8_t truncated[] = {0x48, 0xc7};
    EXPECT_EQ(disassemble(truncated, GuestMode::long64, 0).length, 0u);
    EXPECT_EQ(disassemble({}, GuestMode::long64, 0).text, "(bad)");
}

TEST(GuestMode, FollowsCr0EferAndTheCodeSegment) {
    kvm_sregs sregs{};
    EXPECT_EQ(guest_mode(sregs), GuestMode::real16);
    sregs.cr0 = 1;
    sregs.cs.db = 1;
    EXPECT_EQ(guest_mode(sregs), GuestMode::protected32);
    sregs.efer = 1 << 10;
    sregs.cs.db = 0;
    sregs.cs.l = 1;
    EXPECT_EQ(guest_mode(sregs), GuestMode::long64);
    sregs.cs.l = 0;
    EXPECT_EQ(guest_mode(sregs), GuestMode::compat32);
}

TEST(ExitReasons, HaveNames) {
    EXPECT_STREQ(exit_reason_name(KVM_EXIT_IO), "IO");
    EXPECT_STREQ(exit_reason_name(KVM_EXIT_MMIO), "MMIO");
    EXPECT_STREQ(exit_reason_name(9999), "OTHER");
}

}  // namespace
}  // namespace twinbox
