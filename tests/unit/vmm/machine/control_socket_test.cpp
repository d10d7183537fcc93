// The control socket server and client (vmm/machine/control_socket.h,
// vmm/control/client.h) over real Unix sockets, with a VM stand-in behind
// them: requests, bad requests, clients that vanish mid-line, and servers
// that are gone or never answer.
#include "vmm/machine/control_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "vmm/control/client.h"

namespace twinbox {
namespace {

using nlohmann::json;

class CountingTarget : public ControlTarget {
public:
    Result<json> stats() override {
        std::lock_guard lock(m_lock);
        return json{{"state", paused ? "paused" : "running"}, {"requests", ++requests}};
    }
    Result<json> inspect() override { return json{{"devices", json::array({"serial"})}}; }
    Result<json> pause() override {
        std::lock_guard lock(m_lock);
        paused = true;
        return json{{"state", "paused"}};
    }
    Result<json> resume() override {
        std::lock_guard lock(m_lock);
        paused = false;
        return json{{"state", "running"}};
    }
    Result<json> stop() override { return Error::message("stop refused in this test"); }
    Result<json> powerdown() override { return Error::message("no power button in this test"); }
    int requests = 0;
    bool paused = false;

private:
    std::mutex m_lock;
};

class ControlSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-control-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_path = m_dir + "/control.sock";
        auto server = ControlServer::create(m_path, m_target);
        ASSERT_TRUE(server) << server.error().to_string();
        m_server = std::move(server).value();
        m_server->start();
    }
    void TearDown() override {
        m_server.reset();
        std::filesystem::remove_all(m_dir);
    }
    int raw_connect() {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, m_path.c_str());
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        timeval timeout{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        return fd;
    }
    static std::string read_line(int fd) {
        std::string line;
        char c;
        while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
        return line;
    }
    CountingTarget m_target;
    std::string m_dir, m_path;
    std::unique_ptr<ControlServer> m_server;
};

TEST_F(ControlSocketTest, AnswersEachCommand) {
    auto stats = control_request(m_path, "stats");
    ASSERT_TRUE(stats) << stats.error().to_string();
    EXPECT_EQ((*stats)["ok"], true);
    EXPECT_EQ((*stats)["state"], "running");
    ASSERT_TRUE(control_request(m_path, "pause"));
    EXPECT_EQ((*control_request(m_path, "stats"))["state"], "paused");
    ASSERT_TRUE(control_request(m_path, "resume"));
    EXPECT_EQ((*control_request(m_path, "inspect"))["devices"][0], "serial");
    // An error reply becomes an Error with the VM's words.
    auto stop = control_request(m_path, "stop");
    ASSERT_FALSE(stop);
    EXPECT_EQ(stop.error().to_string(), "stop refused in this test");
    auto unknown = control_request(m_path, "reboot");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().to_string().find("unknown command"), std::string::npos);
}

TEST_F(ControlSocketTest, SeveralRequestsOnOneConnectionInOrder) {
    int fd = raw_connect();
    std::string requests = "{\"cmd\":\"stats\"}\nnot json\n{\"cmd\":\"stats\"}\n";
    ASSERT_EQ(::write(fd, requests.data(), requests.size()), static_cast<ssize_t>(requests.size()));
    auto first = json::parse(read_line(fd));
    auto second = json::parse(read_line(fd));
    auto third = json::parse(read_line(fd));
    EXPECT_EQ(first["requests"], 1);
    EXPECT_TRUE(second["error"].is_string());
    EXPECT_EQ(third["requests"], 2);
    ::close(fd);
}

TEST_F(ControlSocketTest, ClientsThatVanishOrMisbehaveDoNotHurtTheServer) {
    // Half a line, then gone.
    int fd = raw_connect();
    ASSERT_EQ(::write(fd, "{\"cmd\":\"st", 10), 10);
    ::close(fd);
    // A line that never ends: an error, then the server hangs up.
    fd = raw_connect();
    std::string flood(kMaxControlLine + 100, 'x');
    ASSERT_EQ(::write(fd, flood.data(), flood.size()), static_cast<ssize_t>(flood.size()));
    auto reply = json::parse(read_line(fd), nullptr, false);
    EXPECT_TRUE(reply.is_object() && reply["error"].is_string());
    char byte;
    EXPECT_EQ(::read(fd, &byte, 1), 0);  // closed
    ::close(fd);
    // More clients than the server serves at once: the extra ones wait, none crash it.
    std::vector<int> idle;
    for (size_t i = 0; i < ControlServer::kMaxClients + 4; ++i) idle.push_back(raw_connect());
    for (int descriptor : idle) ::close(descriptor);
    auto stats = control_request(m_path, "stats");
    ASSERT_TRUE(stats) << stats.error().to_string();
    EXPECT_EQ((*stats)["state"], "running");
}

TEST_F(ControlSocketTest, StopRemovesTheSocket) {
    m_server->stop();
    EXPECT_FALSE(std::filesystem::exists(m_path));
    auto stats = control_request(m_path, "stats");
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().to_string().find("is gone"), std::string::npos);
}

TEST(ControlClient, ASilentServerTimesOut) {
    char pattern[] = "/tmp/twinbox-silent-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string path = std::string(pattern) + "/control.sock";
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 4), 0);  // accepts into the backlog, never answers
    auto start = std::chrono::steady_clock::now();
    auto stats = control_request(path, "stats", std::chrono::milliseconds(300));
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().to_string().find("did not answer"), std::string::npos);
    EXPECT_LT(took, std::chrono::seconds(2));
    ::close(listener);
    std::filesystem::remove_all(pattern);
}

TEST(ControlClient, AStaleSocketFileIsGone) {
    char pattern[] = "/tmp/twinbox-stale-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string path = std::string(pattern) + "/control.sock";
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(listener);  // the file stays, nobody listens: what a SIGKILLed VMM leaves
    auto stats = control_request(path, "stats");
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().to_string().find("is gone"), std::string::npos);
    std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace twinbox
