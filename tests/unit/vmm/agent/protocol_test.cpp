// The agent channel's framing (vmm/agent/protocol.h): round trips, frames
// that arrive in pieces, and the hostile inputs a guest could send.
#include "vmm/agent/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace twinbox::agent {
namespace {

std::vector<uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

std::vector<uint8_t> frame(FrameType type, std::string_view payload) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(append_frame(out, type, bytes(payload)));
    return out;
}

std::vector<uint8_t> header(uint8_t type, uint32_t length) {
    return {type, static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
            static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 24)};
}

TEST(AgentProtocol, FrameLayoutIsTypeThenLittleEndianLength) {
    EXPECT_EQ(frame(FrameType::stdout_data, "hi"),
              (std::vector<uint8_t>{'O', 2, 0, 0, 0, 'h', 'i'}));
    EXPECT_EQ(frame(FrameType::stdin_data, ""), (std::vector<uint8_t>{'I', 0, 0, 0, 0}));
}

TEST(AgentProtocol, DecodesFramesFedOneByteAtATime) {
    auto stream = frame(FrameType::started, "nonce");
    auto second = frame(FrameType::exit, std::string("\x2a\0\0\0", 4));
    stream.insert(stream.end(), second.begin(), second.end());
    FrameDecoder decoder;
    std::vector<Frame> frames;
    for (uint8_t byte : stream) {
        decoder.feed(std::span(&byte, 1));
        for (;;) {
            auto next = decoder.next();
            ASSERT_TRUE(next) << next.error().to_string();
            if (!next.value())
                break;
            frames.push_back(std::move(*next.value()));
        }
    }
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].type, FrameType::started);
    EXPECT_EQ(frames[0].payload, bytes("nonce"));
    EXPECT_EQ(frames[1].type, FrameType::exit);
    EXPECT_EQ(parse_exit_payload(frames[1].payload).value(), 42);
    EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(AgentProtocol, AcceptsAPayloadOfExactlyTheLimit) {
    std::vector<uint8_t> payload(kMaxPayload, 'x');
    std::vector<uint8_t> stream;
    ASSERT_TRUE(append_frame(stream, FrameType::stdout_data, payload));
    FrameDecoder decoder;
    decoder.feed(stream);
    auto next = decoder.next();
    ASSERT_TRUE(next && next.value());
    EXPECT_EQ(next.value()->payload.size(), kMaxPayload);
}

TEST(AgentProtocol, RefusesToEncodeAnOversizedPayload) {
    std::vector<uint8_t> payload(kMaxPayload + 1, 'x');
    std::vector<uint8_t> stream;
    EXPECT_FALSE(append_frame(stream, FrameType::stdout_data, payload));
    EXPECT_TRUE(stream.empty());
}

TEST(AgentProtocol, HostileLengthFailsOnTheHeaderAlone) {
    // 4 GiB announced, nothing sent: the decoder must fail now, not wait for (or allocate) it.
    for (uint32_t length : {kMaxPayload + 1, 0x80000000u, 0xffffffffu}) {
        FrameDecoder decoder;
        decoder.feed(header('O', length));
        auto next = decoder.next();
        ASSERT_FALSE(next) << length;
        EXPECT_NE(next.error().to_string().find("limit"), std::string::npos);
        EXPECT_LE(decoder.buffered(), kHeaderSize);
    }
}

TEST(AgentProtocol, UnknownTypeFailsTheStreamForGood) {
    FrameDecoder decoder;
    decoder.feed(header('Z', 1));
    EXPECT_FALSE(decoder.next());
    // Valid frames after the bad one are not trusted: the stream is out of step.
    decoder.feed(frame(FrameType::stdout_data, "later"));
    auto next = decoder.next();
    ASSERT_FALSE(next);
    EXPECT_NE(next.error().to_string().find("0x5a"), std::string::npos);
}

TEST(AgentProtocol, TruncatedFrameWaitsAndClearForgetsIt) {
    auto stream = frame(FrameType::stdin_data, "abcdef");
    FrameDecoder decoder;
    decoder.feed(std::span(stream).first(7));
    auto next = decoder.next();
    ASSERT_TRUE(next);
    EXPECT_FALSE(next.value());
    EXPECT_EQ(decoder.buffered(), 7u);
    decoder.clear();
    decoder.feed(frame(FrameType::stdin_data, "x"));
    next = decoder.next();
    ASSERT_TRUE(next && next.value());
    EXPECT_EQ(next.value()->payload, bytes("x"));
}

TEST(AgentProtocol, LowerLimitForTests) {
    FrameDecoder decoder(4);
    decoder.feed(frame(FrameType::stdout_data, "12345"));
    EXPECT_FALSE(decoder.next());
}

TEST(AgentProtocol, ExitPayloadMustBeFourBytesAndAStatus) {
    EXPECT_EQ(parse_exit_payload(exit_payload(0)).value(), 0);
    EXPECT_EQ(parse_exit_payload(exit_payload(137)).value(), 137);
    EXPECT_FALSE(parse_exit_payload(bytes("abc")));
    EXPECT_FALSE(parse_exit_payload(bytes("abcde")));
    EXPECT_FALSE(parse_exit_payload(exit_payload(256)));
    EXPECT_FALSE(parse_exit_payload(exit_payload(-1)));
}

TEST(AgentProtocol, RequestFieldsAreTagValueStrings) {
    ExecRequestFields request{{"sh", "-c", "echo $A"}, {"A=1"}, "nobody", "/tmp", true, 0xabc};
    auto payload = encode_request(request);
    ASSERT_TRUE(payload) << payload.error().to_string();
    std::string text(payload->begin(), payload->end());
    EXPECT_EQ(text,
              std::string(
                  "a=sh\0a=-c\0a=echo $A\0e=A=1\0u=nobody\0w=/tmp\0t=1\0n=0000000000000abc\0", 65));
}

TEST(AgentProtocol, RequestRejectsWhatTheAgentCannotTake) {
    EXPECT_FALSE(encode_request({}));
    EXPECT_FALSE(encode_request({{std::string("a\0b", 3)}, {}, "", "", false, 0}));
    EXPECT_FALSE(encode_request({{"true"}, {"NOEQUALS"}, "", "", false, 0}));
    EXPECT_FALSE(encode_request({{"true"}, {"=value"}, "", "", false, 0}));
    EXPECT_FALSE(encode_request({{"true", std::string(kMaxPayload, 'x')}, {}, "", "", false, 0}));
}

TEST(AgentProtocol, OnlyTheDocumentedTypesAreKnown) {
    for (char type : std::string("QIHSOEXB")) EXPECT_TRUE(known_frame_type(type)) << type;
    for (int type : {0, int('q'), int('A'), 0xff}) EXPECT_FALSE(known_frame_type(type)) << type;
}

}  // namespace
}  // namespace twinbox::agent
