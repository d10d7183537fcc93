// exec_in_vm (vmm/agent/exec_client.h) against a fake VMM on agent.sock: the
// client relays stdio, skips an earlier session's frames, returns the exit
// status, and turns a hostile or broken channel into an error.
#include "vmm/agent/exec_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/unique_fd.h"
#include "vmm/agent/protocol.h"

namespace twinbox {
namespace {

using agent::FrameType;

std::vector<uint8_t> frame(FrameType type, std::string_view payload) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(
        agent::append_frame(out, type, std::vector<uint8_t>(payload.begin(), payload.end())));
    return out;
}

void send_bytes(int fd, const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
}

// The VMM's side of one session: reads client frames until `until` returns true.
struct FakeSession {
    int fd;
    agent::FrameDecoder decoder;
    std::string nonce;
    std::string stdin_seen;
    std::vector<std::string> fields;

    // Reads one client frame (blocking).
    std::optional<agent::Frame> read_frame() {
        for (;;) {
            auto next = decoder.next();
            if (!next || next.value())
                return next ? std::move(next.value()) : std::nullopt;
            uint8_t buffer[4096];
            ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
            if (got <= 0)
                return std::nullopt;
            decoder.feed(std::span(buffer, static_cast<size_t>(got)));
        }
    }
    void read_request() {
        auto request = read_frame();
        ASSERT_TRUE(request);
        ASSERT_EQ(request->type, FrameType::request);
        std::string text(request->payload.begin(), request->payload.end());
        for (size_t at = 0; at < text.size();) {
            size_t end = text.find('\0', at);
            fields.push_back(text.substr(at, end - at));
            at = end + 1;
        }
        for (const auto& field : fields)
            if (field.rfind("n=", 0) == 0)
                nonce = field.substr(2);
    }
    // Collects stdin until its EOF frame.
    void read_stdin() {
        for (;;) {
            auto next = read_frame();
            ASSERT_TRUE(next);
            ASSERT_EQ(next->type, FrameType::stdin_data);
            if (next->payload.empty())
                return;
            stdin_seen.append(next->payload.begin(), next->payload.end());
        }
    }
};

class ExecClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-agent-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::string path = (m_dir / "agent.sock").string();
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        m_listener = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_EQ(::bind(m_listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)),
                  0);
        ASSERT_EQ(::listen(m_listener.get(), 4), 0);
        ASSERT_EQ(::pipe(m_stdout), 0);
        ASSERT_EQ(::pipe(m_stderr), 0);
    }
    void TearDown() override {
        if (m_server.joinable())
            m_server.join();
        for (int fd : {m_stdout[0], m_stdout[1], m_stderr[0], m_stderr[1]}) ::close(fd);
        std::filesystem::remove_all(m_dir);
    }

    // Runs `vmm` on the accepted connection in a thread.
    void serve(std::function<void(FakeSession&)> vmm) {
        m_server = std::thread([this, vmm = std::move(vmm)] {
            UniqueFd client(::accept(m_listener.get(), nullptr, nullptr));
            FakeSession session{client.get(), agent::FrameDecoder(), {}, {}, {}};
            vmm(session);
            m_session_fields = session.fields;
            m_stdin_seen = session.stdin_seen;
        });
    }

    Result<int> exec(VmExecRequest request) {
        request.stdout_fd = m_stdout[1];
        request.stderr_fd = m_stderr[1];
        auto result = exec_in_vm(m_dir, request);
        ::close(m_stdout[1]);
        ::close(m_stderr[1]);
        m_stdout[1] = m_stderr[1] = -1;
        m_server.join();
        return result;
    }

    static std::string drain(int fd) {
        std::string text;
        char buffer[4096];
        ssize_t got;
        while ((got = ::read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, got);
        return text;
    }

    std::filesystem::path m_dir;
    UniqueFd m_listener;
    int m_stdout[2] = {-1, -1}, m_stderr[2] = {-1, -1};
    std::thread m_server;
    std::vector<std::string> m_session_fields;
    std::string m_stdin_seen;
};

TEST_F(ExecClientTest, RelaysOutputAndReturnsTheStatus) {
    serve([](FakeSession& vmm) {
        vmm.read_request();
        vmm.read_stdin();  // no stdin_fd: an immediate EOF
        // The tail of an earlier session, then ours.
        send_bytes(vmm.fd, frame(FrameType::stdout_data, "stale"));
        send_bytes(vmm.fd, frame(FrameType::started, "0000000000000000"));
        send_bytes(vmm.fd, frame(FrameType::started, vmm.nonce));
        send_bytes(vmm.fd, frame(FrameType::stdout_data, "hi\n"));
        send_bytes(vmm.fd, frame(FrameType::stderr_data, "warn\n"));
        std::vector<uint8_t> exit_frame;
        ASSERT_TRUE(agent::append_frame(exit_frame, FrameType::exit, agent::exit_payload(42)));
        send_bytes(vmm.fd, exit_frame);
    });
    auto status = exec({{"sh", "-c", "exit 42"}, {"A=1"}, "1000:1000", "/tmp", false});
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_EQ(*status, 42);
    EXPECT_EQ(drain(m_stdout[0]), "hi\n");
    EXPECT_EQ(drain(m_stderr[0]), "warn\n");
    EXPECT_EQ(m_session_fields,
              (std::vector<std::string>{"a=sh", "a=-c", "a=exit 42", "e=A=1", "u=1000:1000",
                                        "w=/tmp", "t=0", m_session_fields.back()}));
}

TEST_F(ExecClientTest, PipesStdinThenEndOfFile) {
    int input[2];
    ASSERT_EQ(::pipe(input), 0);
    ASSERT_EQ(::write(input[1], "piped data", 10), 10);
    ::close(input[1]);
    serve([](FakeSession& vmm) {
        vmm.read_request();
        send_bytes(vmm.fd, frame(FrameType::started, vmm.nonce));
        vmm.read_stdin();
        std::vector<uint8_t> exit_frame;
        ASSERT_TRUE(agent::append_frame(exit_frame, FrameType::exit, agent::exit_payload(0)));
        send_bytes(vmm.fd, exit_frame);
    });
    VmExecRequest request{{"cat"}, {}, "", "", false};
    request.stdin_fd = input[0];
    auto status = exec(request);
    ::close(input[0]);
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_EQ(m_stdin_seen, "piped data");
}

TEST_F(ExecClientTest, HostileLengthIsAnError) {
    serve([](FakeSession& vmm) {
        vmm.read_request();
        send_bytes(vmm.fd, frame(FrameType::started, vmm.nonce));
        send_bytes(vmm.fd, std::vector<uint8_t>{'O', 0xff, 0xff, 0xff, 0xff});
        uint8_t ignored;
        ::recv(vmm.fd, &ignored, 1, 0);  // wait for the client to hang up
    });
    auto status = exec({{"true"}, {}, "", "", false});
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().to_string().find("limit"), std::string::npos)
        << status.error().to_string();
}

TEST_F(ExecClientTest, BadExitFrameIsAnError) {
    serve([](FakeSession& vmm) {
        vmm.read_request();
        send_bytes(vmm.fd, frame(FrameType::started, vmm.nonce));
        send_bytes(vmm.fd, frame(FrameType::exit, "toolong"));
    });
    EXPECT_FALSE(exec({{"true"}, {}, "", "", false}));
}

TEST_F(ExecClientTest, BusyChannelIsAnErrorWithTheVmmsWords) {
    serve([](FakeSession& vmm) {
        send_bytes(vmm.fd, frame(FrameType::busy, "another exec is using the agent channel"));
    });
    auto status = exec({{"true"}, {}, "", "", false});
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().to_string().find("another exec"), std::string::npos);
}

TEST_F(ExecClientTest, BusyFrameIsReadEvenWhenTheRequestCannotBeSent) {
    // The VMM answers a second client with 'B' and closes at once, before the
    // client's request is sent: the client reports the VMM's words, not EPIPE.
    serve([](FakeSession& vmm) {
        send_bytes(vmm.fd, frame(FrameType::busy, "another exec is using the agent channel"));
        ::shutdown(vmm.fd, SHUT_RDWR);
    });
    std::vector<std::string> big(200, std::string(300, 'x'));  // a request of many packets
    big.insert(big.begin(), "true");
    auto status = exec({big, {}, "", "", false});
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().to_string().find("another exec"), std::string::npos)
        << status.error().to_string();
}

TEST_F(ExecClientTest, ChannelClosedMidCommandIsAnError) {
    serve([](FakeSession& vmm) {
        vmm.read_request();
        send_bytes(vmm.fd, frame(FrameType::started, vmm.nonce));
    });
    auto status = exec({{"sleep", "100"}, {}, "", "", false});
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().to_string().find("closed"), std::string::npos);
}

TEST(ExecClient, NoAgentSocketSaysWhichVmsHaveOne) {
    auto status = exec_in_vm("/nonexistent-twinbox-run-dir", {{"true"}, {}, "", "", false});
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().to_string().find("--isolation vm"), std::string::npos);
}

}  // namespace
}  // namespace twinbox
