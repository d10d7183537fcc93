#include "vmm/machine/console.h"

#include <gtest/gtest.h>

#include "vmm/agent/protocol.h"

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

TEST(ConsoleInput, KeystrokesKeepTheCtrlAEscape) {
    ConsoleInput input(ConsoleInput::Mode::keystrokes);
    EXPECT_EQ(input.feed(bytes("ls\r")).to_guest, bytes("ls\r"));
    EXPECT_TRUE(input.feed(bytes("\x01x")).quit);
    EXPECT_TRUE(input.end().empty());
}

// Piped stdin is data: every byte passes, in 'I' frames the agent unwraps,
// and its end is the empty 'I' frame.
TEST(ConsoleInput, FramesCarryEveryByteAndTheEnd) {
    ConsoleInput input(ConsoleInput::Mode::frames);
    std::vector<uint8_t> data;
    for (int byte = 0; byte < 256; ++byte) data.push_back(static_cast<uint8_t>(byte));
    data.push_back(0x01);
    data.push_back('x');  // Ctrl-A x: no escape for data
    auto out = input.feed(data);
    EXPECT_FALSE(out.quit);
    agent::FrameDecoder decoder;
    decoder.feed(out.to_guest);
    decoder.feed(input.end());
    auto first = decoder.next();
    ASSERT_TRUE(first && first->has_value());
    EXPECT_EQ((*first)->type, agent::FrameType::stdin_data);
    EXPECT_EQ((*first)->payload, data);
    auto last = decoder.next();
    ASSERT_TRUE(last && last->has_value());
    EXPECT_EQ((*last)->type, agent::FrameType::stdin_data);
    EXPECT_TRUE((*last)->payload.empty());
    EXPECT_EQ(decoder.buffered(), 0u);
}

// A read larger than a frame's payload is cut into frames, none empty.
TEST(ConsoleInput, LongReadsAreCutIntoFrames) {
    ConsoleInput input(ConsoleInput::Mode::frames);
    std::vector<uint8_t> data(agent::kMaxPayload + 10, 'a');
    agent::FrameDecoder decoder;
    decoder.feed(input.feed(data).to_guest);
    size_t total = 0, frames = 0;
    for (;;) {
        auto frame = decoder.next();
        ASSERT_TRUE(frame);
        if (!frame->has_value())
            break;
        EXPECT_FALSE((*frame)->payload.empty());
        total += (*frame)->payload.size();
        ++frames;
    }
    EXPECT_EQ(total, data.size());
    EXPECT_EQ(frames, 2u);
    EXPECT_TRUE(input.feed({}).to_guest.empty());
}

}  // namespace
}  // namespace twinbox
