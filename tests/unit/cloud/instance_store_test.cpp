// The instances document: records round-trip, states keep EC2's names and
// codes, a damaged file is named with its JSON path and never rewritten.
#include "cloud/instance_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/file.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud {
namespace {

InstanceRecord sample(std::string id, std::string ip) {
    InstanceRecord record;
    record.instance_id = std::move(id);
    record.reservation_id = "r-0123456789abcdef0";
    record.image_id = "ami-0123456789abcdef0";
    record.instance_type = "t3.micro";
    record.key_name = "lab";
    record.isolation = "container";
    record.workload = record.instance_id;
    record.network = "bridge";
    record.state = InstanceState::running;
    record.private_ip = std::move(ip);
    record.launch_time = "2026-12-07T18:00:00.000Z";
    record.user_data = "ZWNobyBoaQo=";
    record.http_tokens = "required";
    record.tags = {{"Name", "web"}, {"env", "lab"}};
    return record;
}

}  // namespace

TEST(CloudInstanceStore, StatesHaveEc2NamesAndCodes) {
    EXPECT_STREQ(instance_state_name(InstanceState::shutting_down), "shutting-down");
    EXPECT_EQ(instance_state_code(InstanceState::pending), 0);
    EXPECT_EQ(instance_state_code(InstanceState::running), 16);
    EXPECT_EQ(instance_state_code(InstanceState::shutting_down), 32);
    EXPECT_EQ(instance_state_code(InstanceState::terminated), 48);
    EXPECT_EQ(instance_state_code(InstanceState::stopping), 64);
    EXPECT_EQ(instance_state_code(InstanceState::stopped), 80);
    EXPECT_EQ(parse_instance_state("stopped"), InstanceState::stopped);
    EXPECT_FALSE(parse_instance_state("Running").has_value());
}

TEST(CloudInstanceStore, RecordsRoundTrip) {
    test::TemporaryDirectory tmp;
    auto store = *StateStore::open(tmp.path() + "/cloud");
    ASSERT_TRUE(update_instances(store, [](std::vector<InstanceRecord>& instances) -> Result<void> {
        instances.push_back(sample("i-0000000000000000a", "10.88.0.2"));
        instances.push_back(sample("i-0000000000000000b", "10.88.0.3"));
        return ok();
    }));
    auto read = read_instances(store);
    ASSERT_TRUE(read) << read.error().to_string();
    ASSERT_EQ(read->size(), 2u);
    const auto& first = (*read)[0];
    EXPECT_EQ(first.instance_id, "i-0000000000000000a");
    EXPECT_EQ(first.state, InstanceState::running);
    EXPECT_EQ(first.http_tokens, "required");
    EXPECT_EQ(first.user_data, "ZWNobyBoaQo=");
    ASSERT_EQ(first.tags.size(), 2u);
    EXPECT_EQ(first.tags[1].first, "env");
    EXPECT_EQ(find_by_private_ip(*read, "10.88.0.3")->instance_id, "i-0000000000000000b");
    EXPECT_EQ(find_by_private_ip(*read, ""), nullptr);
}

TEST(CloudInstanceStore, TerminatedInstancesDoNotOwnTheirAddress) {
    std::vector<InstanceRecord> instances = {sample("i-0000000000000000a", "10.88.0.2")};
    instances[0].state = InstanceState::terminated;
    EXPECT_EQ(find_by_private_ip(instances, "10.88.0.2"), nullptr);
    EXPECT_NE(find_instance(instances, "i-0000000000000000a"), nullptr);
}

TEST(CloudInstanceStore, FailedChangeWritesNothing) {
    test::TemporaryDirectory tmp;
    auto store = *StateStore::open(tmp.path() + "/cloud");
    auto result =
        update_instances(store, [](std::vector<InstanceRecord>& instances) -> Result<void> {
            instances.push_back(sample("i-0000000000000000a", "10.88.0.2"));
            return Error::message("InsufficientInstanceCapacity");
        });
    EXPECT_FALSE(result);
    EXPECT_TRUE(read_instances(*StateStore::open(tmp.path() + "/cloud"))->empty());
}

TEST(CloudInstanceStore, DamagedFileIsNamedWithItsPathAndKept) {
    test::TemporaryDirectory tmp;
    auto store = *StateStore::open(tmp.path() + "/cloud");
    std::string text = R"({"Instances": [{"InstanceId": "i-1", "State": 16}]})";
    std::ofstream(store.path_of("instances")) << text;
    auto read = read_instances(store);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind(), Error::Kind::Damaged);
    EXPECT_NE(std::string(read.error().to_string()).find("Instances[0]"), std::string::npos)
        << read.error().to_string();
    auto changed = update_instances(store, [](auto&) -> Result<void> { return ok(); });
    EXPECT_FALSE(changed);
    EXPECT_EQ(*read_text_file(store.path_of("instances"), "test"), text);
}

TEST(CloudInstanceStore, UnknownStateIsDamaged) {
    test::TemporaryDirectory tmp;
    auto store = *StateStore::open(tmp.path() + "/cloud");
    std::ofstream(store.path_of("instances"))
        << R"({"Instances": [{"InstanceId": "i-1", "ReservationId": "r-1", "ImageId": "ami-1",
              "InstanceType": "t3.micro", "Isolation": "vm", "Workload": "i-1",
              "State": "exploded", "LaunchTime": "x"}]})";
    auto read = read_instances(store);
    ASSERT_FALSE(read);
    EXPECT_NE(std::string(read.error().to_string()).find("Instances[0].State"), std::string::npos)
        << read.error().to_string();
}

}  // namespace twinbox::cloud
