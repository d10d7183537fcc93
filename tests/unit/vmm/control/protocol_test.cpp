// The control socket protocol (vmm/control/protocol.h): request parsing,
// hostile requests, and the shape of replies (one JSON object, one line).
#include "vmm/control/protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace twinbox {
namespace {

using nlohmann::json;

// Records which commands reached the VM side and answers with fixed data.
class RecordingTarget : public ControlTarget {
public:
    Result<json> stats() override { return record("stats", json{{"exits", {{"total", 7}}}}); }
    Result<json> inspect() override { return record("inspect", json{{"memory", {{"size", 1}}}}); }
    Result<json> pause() override {
        if (fail_pause)
            return Error::message("the vCPUs did not stop");
        return record("pause", json{{"state", "paused"}});
    }
    Result<json> resume() override { return record("resume", json{{"state", "running"}}); }
    Result<json> stop() override {
        calls.push_back("stop");
        // A bug on the VM side that throws must not escape.
        return json::array().at(3);
    }
    Result<json> powerdown() override {
        return record("powerdown", json{{"state", "powering-down"}});
    }
    std::vector<std::string> calls;
    bool fail_pause = false;

private:
    Result<json> record(const char* name, json reply) {
        calls.push_back(name);
        return reply;
    }
};

json reply_of(std::string_view line, RecordingTarget& target) {
    std::string reply = handle_control_line(line, target);
    EXPECT_FALSE(reply.empty());
    EXPECT_EQ(reply.back(), '\n');
    EXPECT_EQ(reply.find('\n'), reply.size() - 1) << "a reply is exactly one line: " << reply;
    json parsed = json::parse(reply, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << reply;
    return parsed;
}

TEST(ControlProtocol, ParsesEveryCommand) {
    EXPECT_EQ(*parse_control_request(R"({"cmd":"stats"})"), ControlCommand::stats);
    EXPECT_EQ(*parse_control_request(R"({"cmd":"inspect"})"), ControlCommand::inspect);
    EXPECT_EQ(*parse_control_request(R"({"cmd":"pause"})"), ControlCommand::pause);
    EXPECT_EQ(*parse_control_request(R"({"cmd":"resume"})"), ControlCommand::resume);
    EXPECT_EQ(*parse_control_request(R"({"cmd":"stop"})"), ControlCommand::stop);
    EXPECT_EQ(*parse_control_request(R"({"cmd":"powerdown"})"), ControlCommand::powerdown);
    // Whitespace, a CRLF line end (telnet, socat -t) and extra fields are fine.
    EXPECT_EQ(*parse_control_request(" { \"cmd\" : \"stats\", \"id\": 4 } \r"),
              ControlCommand::stats);
}

TEST(ControlProtocol, RejectsBadRequestsWithAReason) {
    struct Case {
        std::string line;
        std::string says;
    };
    std::vector<Case> cases = {
        {"", "empty request"},
        {"   ", "empty request"},
        {"stats", "not valid JSON"},
        {R"({"cmd":"stats")", "not valid JSON"},
        {"[\"stats\"]", "must be a JSON object"},
        {"42", "must be a JSON object"},
        {R"({"command":"stats"})", "no \"cmd\""},
        {R"({"cmd":7})", "must be a string"},
        {R"({"cmd":null})", "must be a string"},
        {R"({"cmd":"reboot"})", "unknown command \"reboot\""},
        {R"({"cmd":"STATS"})", "unknown command"},
        {std::string(kMaxControlLine + 1, ' ') + "x", "longer than"},
        {std::string("{\"cmd\":\"\xff\xfe\"}"), "not valid JSON"},
    };
    for (const auto& test : cases) {
        auto parsed = parse_control_request(test.line);
        ASSERT_FALSE(parsed) << test.line;
        EXPECT_NE(parsed.error().to_string().find(test.says), std::string::npos)
            << test.line << " -> " << parsed.error().to_string();
    }
    // A long unknown command is cut in the message.
    auto parsed = parse_control_request("{\"cmd\":\"" + std::string(500, 'x') + "\"}");
    ASSERT_FALSE(parsed);
    EXPECT_LT(parsed.error().to_string().size(), 200u);
}

TEST(ControlProtocol, RepliesCarryOkAndTheTargetsFields) {
    RecordingTarget target;
    json stats = reply_of(R"({"cmd":"stats"})", target);
    EXPECT_EQ(stats["ok"], true);
    EXPECT_EQ(stats["exits"]["total"], 7);
    EXPECT_FALSE(stats.contains("error"));
    EXPECT_EQ(reply_of(R"({"cmd":"pause"})", target)["state"], "paused");
    EXPECT_EQ(reply_of(R"({"cmd":"resume"})", target)["state"], "running");
    EXPECT_EQ(reply_of(R"({"cmd":"inspect"})", target)["memory"]["size"], 1);
    EXPECT_EQ(target.calls, (std::vector<std::string>{"stats", "pause", "resume", "inspect"}));
}

TEST(ControlProtocol, BadRequestsNeverReachTheVm) {
    RecordingTarget target;
    for (const char* line : {"", "{", "{\"cmd\":\"halt\"}", "[]", "{\"cmd\":[\"stop\"]}"}) {
        json reply = reply_of(line, target);
        EXPECT_TRUE(reply["error"].is_string()) << line;
        EXPECT_FALSE(reply.contains("ok")) << line;
    }
    EXPECT_TRUE(target.calls.empty());
}

TEST(ControlProtocol, TargetErrorsBecomeErrorReplies) {
    RecordingTarget target;
    target.fail_pause = true;
    json reply = reply_of(R"({"cmd":"pause"})", target);
    EXPECT_EQ(reply["error"], "the vCPUs did not stop");
    // An exception thrown on the VM side is caught and reported.
    reply = reply_of(R"({"cmd":"stop"})", target);
    ASSERT_TRUE(reply["error"].is_string());
    EXPECT_NE(reply["error"].get<std::string>().find("internal error"), std::string::npos);
}

TEST(ControlProtocol, ErrorLineIsValidJsonEvenForOddText) {
    std::string line = control_error_line("quote \" newline \n and \xff byte");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    json reply = json::parse(line, nullptr, false);
    ASSERT_TRUE(reply.is_object());
    EXPECT_TRUE(reply["error"].is_string());
}

// The contract `twinbox stop` relies on: powerdown answers "powering-down",
// and a VMM that does not know it answers with an error (callers then fall back to stop).
TEST(ControlProtocol, PowerdownPressesThePowerButton) {
    RecordingTarget target;
    json reply = reply_of(R"({"cmd":"powerdown"})", target);
    EXPECT_EQ(reply, (json{{"ok", true}, {"state", "powering-down"}}));
    EXPECT_EQ(target.calls, std::vector<std::string>{"powerdown"});
}

}  // namespace
}  // namespace twinbox
