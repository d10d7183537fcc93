// Address leases (host/network/ipam.h): allocation order, release,
// the file format, and 20 processes allocating at once under the lock.
#include "host/network/ipam.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "host/network/files.h"

namespace twinbox::network {
namespace {

Lease lease_for(const std::string& owner) {
    Lease lease;
    lease.owner = owner;
    lease.kind = "container";
    lease.name = owner;
    return lease;
}

TEST(LeaseTable, HandsOutTheLowestFreeAddressAfterTheGateway) {
    LeaseTable table(*parse_cidr("10.88.0.0/24"));
    EXPECT_EQ(table.allocate(lease_for("a"))->to_string(), "10.88.0.2");
    EXPECT_EQ(table.allocate(lease_for("b"))->to_string(), "10.88.0.3");
    EXPECT_EQ(table.allocate(lease_for("c"))->to_string(), "10.88.0.4");
    auto released = table.release("b");
    ASSERT_TRUE(released.has_value());
    EXPECT_EQ(released->address.to_string(), "10.88.0.3");
    EXPECT_FALSE(table.release("b").has_value());
    EXPECT_EQ(table.allocate(lease_for("d"))->to_string(), "10.88.0.3");
    EXPECT_FALSE(table.allocate(lease_for("d")).has_value()) << "one lease per owner";
}

TEST(LeaseTable, FullSubnetIsAnError) {
    LeaseTable table(*parse_cidr("192.168.9.0/30"));  // .0 network, .1 gateway, .3 broadcast
    EXPECT_EQ(table.allocate(lease_for("a"))->to_string(), "192.168.9.2");
    auto full = table.allocate(lease_for("b"));
    ASSERT_FALSE(full.has_value());
    EXPECT_NE(full.error().to_string().find("no free address left in 192.168.9.0/30"),
              std::string::npos);
}

TEST(LeaseTable, JsonRoundTrip) {
    LeaseTable table(*parse_cidr("10.90.1.0/24"));
    Lease lease = lease_for("0123456789ab");
    lease.pid = 4242;
    lease.start_time = 99;
    lease.host_interface = "tb0123456789ab";
    lease.ports = {*parse_port_spec("8080:80"), *parse_port_spec("127.0.0.1:53:53/udp")};
    ASSERT_TRUE(table.allocate(lease).has_value());
    auto back = LeaseTable::from_json(table.subnet(), table.to_json());
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    ASSERT_EQ(back->leases().size(), 1u);
    const Lease& read = back->leases()[0];
    EXPECT_EQ(read.address.to_string(), "10.90.1.2");
    EXPECT_EQ(read.pid, 4242);
    EXPECT_EQ(read.start_time, 99u);
    EXPECT_EQ(read.host_interface, "tb0123456789ab");
    EXPECT_EQ(read.ports, lease.ports);
}

TEST(LeaseTable, BadFilesAreErrors) {
    Cidr subnet = *parse_cidr("10.90.1.0/24");
    EXPECT_FALSE(LeaseTable::from_json(subnet, "{").has_value());
    EXPECT_FALSE(LeaseTable::from_json(subnet, R"({"leases":[{"owner":"x"}]})").has_value());
    EXPECT_FALSE(
        LeaseTable::from_json(subnet, R"({"leases":[{"owner":"x","address":"10.91.0.2"}]})")
            .has_value())
        << "an address outside the subnet";
    // Each bad field is named by its JSON path, never read as a default.
    const std::pair<const char*, const char*> cases[] = {
        {"[]", "top level: must be an object"},
        {"{}", "leases: required"},
        {R"({"leases":[{"owner":"x","address":5}]})", "leases[0].address: must be a string"},
        {R"({"leases":[{"owner":"x","address":"10.90.1.2","pid":"1"}]})",
         "leases[0].pid: must be an integer"},
        {R"({"leases":[{"owner":"x","address":"10.90.1.2","ports":[1]}]})",
         "leases[0].ports[0]: must be a string"},
        {R"({"leases":[{"address":"10.90.1.2"}]})", "leases[0].owner: required"},
    };
    for (const auto& [text, expected] : cases) {
        auto table = LeaseTable::from_json(subnet, text);
        ASSERT_FALSE(table) << text;
        EXPECT_NE(table.error().to_string().find(expected), std::string::npos)
            << table.error().to_string();
    }
}

TEST(LeaseTable, OwnerLiveness) {
    Lease lease = lease_for("me");
    lease.pid = ::getpid();
    lease.start_time = process_start_time(lease.pid);
    EXPECT_NE(lease.start_time, 0u);
    EXPECT_TRUE(lease_owner_alive(lease));
    lease.start_time += 1;  // a recycled pid
    EXPECT_FALSE(lease_owner_alive(lease));
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    lease.pid = child;
    EXPECT_EQ(process_start_time(child), 0u);
    EXPECT_FALSE(lease_owner_alive(lease));
}

// 20 processes take a lease each from one file, as 20 parallel `twinbox run`s do.
TEST(LeaseFile, ParallelAllocationsUnderTheLockAreDistinct) {
    char pattern[] = "/tmp/twinbox-ipam-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string dir = pattern;
    std::string file = dir + "/net.leases.json";
    Cidr subnet = *parse_cidr("10.77.0.0/24");
    constexpr int kProcesses = 20;
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
        pid_t child = ::fork();
        if (child == 0) {
            auto lock = FileLock::acquire(dir + "/.lock");
            if (!lock)
                ::_exit(2);
            auto table = load_leases(file, subnet);
            if (!table || !table->allocate(lease_for("owner" + std::to_string(i))))
                ::_exit(3);
            ::usleep(1000);  // widen the window a missing lock would leave
            ::_exit(save_leases(file, *table) ? 0 : 4);
        }
        children.push_back(child);
    }
    for (pid_t child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto table = load_leases(file, subnet);
    ASSERT_TRUE(table.has_value());
    std::set<uint32_t> addresses;
    for (const auto& lease : table->leases()) addresses.insert(lease.address.value);
    EXPECT_EQ(table->leases().size(), size_t{kProcesses});
    EXPECT_EQ(addresses.size(), size_t{kProcesses});
    std::filesystem::remove_all(dir);
}

TEST(LeaseFile, MissingFileIsAnEmptyTable) {
    auto table = load_leases("/nonexistent/twinbox/leases.json", *parse_cidr("10.0.0.0/24"));
    ASSERT_TRUE(table.has_value());
    EXPECT_TRUE(table->leases().empty());
}

}  // namespace
}  // namespace twinbox::network
