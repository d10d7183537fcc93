#include "vmm/machine/console.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

std::vector<uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

TEST(EscapeDecoder, PassesOrdinaryKeys) {
    EscapeDecoder decoder;
    auto out = decoder.feed(bytes("ls\r"));
    EXPECT_EQ(out.to_guest, bytes("ls\r"));
    EXPECT_FALSE(out.quit);
}

TEST(EscapeDecoder, CtrlAXQuitsEvenAcrossReads) {
    EscapeDecoder decoder;
    auto first = decoder.feed(bytes("a\x01"));
    EXPECT_EQ(first.to_guest, bytes("a"));
    auto second = decoder.feed(bytes("x"));
    EXPECT_TRUE(second.quit);
}

TEST(EscapeDecoder, DoubleCtrlASendsOne) {
    EscapeDecoder decoder;
    EXPECT_EQ(decoder.feed(bytes("\x01\x01")).to_guest, bytes("\x01"));
    EXPECT_EQ(decoder.feed(bytes("\x01q")).to_guest, bytes("\x01q"));
}

}  // namespace
}  // namespace twinbox
