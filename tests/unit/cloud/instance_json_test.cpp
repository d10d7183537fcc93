// The instance verbs' JSON shapes (EC2's) and the reconciliation of a
// record with its workload.
#include "cloud/instance_json.h"

#include <gtest/gtest.h>

namespace twinbox::cloud {

namespace {

InstanceRecord record(std::string id, std::string reservation, InstanceState state) {
    InstanceRecord r;
    r.instance_id = std::move(id);
    r.reservation_id = std::move(reservation);
    r.image_id = "ami-0123456789abcdef0";
    r.instance_type = "t3.nano";
    r.isolation = "container";
    r.workload = r.instance_id;
    r.state = state;
    r.launch_time = "2026-12-07T18:00:00.000Z";
    return r;
}

const auto kNow = Clock::from_time_t(1796666400);  // 2026-12-07T18:00:00Z

}  // namespace

TEST(InstanceJson, DescribeShape) {
    auto a = record("i-0000000000000000a", "r-0000000000000000a", InstanceState::running);
    a.private_ip = "172.17.0.2";
    a.key_name = "lab";
    a.tags = {{"Name", "web"}};
    a.http_tokens = "required";
    auto b = record("i-0000000000000000b", "r-0000000000000000a", InstanceState::stopped);
    b.launch_index = 1;
    auto c = record("i-0000000000000000c", "r-0000000000000000c", InstanceState::terminated);
    auto json = reservations_json({a, b, c});
    ASSERT_EQ(json["Reservations"].size(), 2u);
    const auto& first = json["Reservations"][0];
    EXPECT_EQ(first["ReservationId"], "r-0000000000000000a");
    EXPECT_EQ(first["OwnerId"], "000000000000");
    EXPECT_TRUE(first["Groups"].is_array());
    ASSERT_EQ(first["Instances"].size(), 2u);
    const auto& i = first["Instances"][0];
    EXPECT_EQ(i["InstanceId"], "i-0000000000000000a");
    EXPECT_EQ(i["ImageId"], "ami-0123456789abcdef0");
    EXPECT_EQ(i["InstanceType"], "t3.nano");
    EXPECT_EQ(i["KeyName"], "lab");
    EXPECT_EQ(i["LaunchTime"], "2026-12-07T18:00:00.000Z");
    EXPECT_EQ(i["State"], (nlohmann::json{{"Code", 16}, {"Name", "running"}}));
    EXPECT_EQ(i["PrivateIpAddress"], "172.17.0.2");
    EXPECT_EQ(i["PrivateDnsName"], "ip-172-17-0-2.local-1.compute.internal");
    EXPECT_FALSE(i.contains("PublicIpAddress"));
    EXPECT_EQ(i["Architecture"], "x86_64");
    EXPECT_EQ(i["VirtualizationType"], "hvm");
    EXPECT_EQ(i["Placement"]["AvailabilityZone"], "local-1a");
    EXPECT_EQ(i["MetadataOptions"]["HttpTokens"], "required");
    EXPECT_EQ(i["Tags"], (nlohmann::json::parse(R"([{"Key":"Name","Value":"web"}])")));
    EXPECT_EQ(i["AmiLaunchIndex"], 0);
    EXPECT_EQ(i["CpuOptions"]["CoreCount"], 2);
    const auto& stopped = first["Instances"][1];
    EXPECT_EQ(stopped["State"]["Code"], 80);
    EXPECT_EQ(stopped["AmiLaunchIndex"], 1);
    EXPECT_FALSE(stopped.contains("KeyName"));
    EXPECT_FALSE(stopped.contains("PrivateIpAddress"));
    EXPECT_FALSE(stopped.contains("Tags"));
    EXPECT_EQ(json["Reservations"][1]["Instances"][0]["State"]["Name"], "terminated");
}

TEST(InstanceJson, StateChangeShape) {
    auto change =
        state_change_json("i-0000000000000000a", InstanceState::running, InstanceState::stopped);
    EXPECT_EQ(change, nlohmann::json::parse(R"({"InstanceId":"i-0000000000000000a",
        "CurrentState":{"Code":80,"Name":"stopped"},"PreviousState":{"Code":16,"Name":"running"}})"));
}

TEST(InstanceJson, Timestamps) {
    EXPECT_EQ(ec2_timestamp(kNow), "2026-12-07T18:00:00.000Z");
    EXPECT_EQ(parse_ec2_timestamp("2026-12-07T18:00:00.000Z"), kNow);
    EXPECT_FALSE(parse_ec2_timestamp("yesterday"));
    EXPECT_EQ(user_initiated(kNow), "User initiated (2026-12-07 18:00:00 GMT)");
}

TEST(InstanceJson, ReconcileExitedRunningIsStopped) {
    auto r = record("i-0000000000000000a", "r-1", InstanceState::running);
    EXPECT_TRUE(reconcile(r, Observed::exited, kNow));
    EXPECT_EQ(r.state, InstanceState::stopped);
    EXPECT_EQ(r.state_reason, "Client.InstanceInitiatedShutdown: Instance initiated shutdown");
    EXPECT_EQ(instance_json(r)["StateReason"]["Code"], "Client.InstanceInitiatedShutdown");
    EXPECT_FALSE(reconcile(r, Observed::exited, kNow));  // already in line
}

TEST(InstanceJson, ReconcileGoneIsTerminated) {
    for (auto state : {InstanceState::running, InstanceState::stopped}) {
        auto r = record("i-0000000000000000a", "r-1", state);
        r.private_ip = "172.17.0.2";
        EXPECT_TRUE(reconcile(r, Observed::gone, kNow));
        EXPECT_EQ(r.state, InstanceState::terminated);
        EXPECT_EQ(r.terminated_at, "2026-12-07T18:00:00.000Z");
        EXPECT_TRUE(r.private_ip.empty());
        EXPECT_NE(r.state_reason.find("removed outside twinbox ec2"), std::string::npos);
    }
}

TEST(InstanceJson, ReconcileStartedBehindOurBackIsRunning) {
    auto r = record("i-0000000000000000a", "r-1", InstanceState::stopped);
    EXPECT_TRUE(reconcile(r, Observed::running, kNow));
    EXPECT_EQ(r.state, InstanceState::running);
}

TEST(InstanceJson, ReconcileLeavesInFlightStates) {
    for (auto state : {InstanceState::pending, InstanceState::stopping,
                       InstanceState::shutting_down, InstanceState::terminated}) {
        auto r = record("i-0000000000000000a", "r-1", state);
        EXPECT_FALSE(reconcile(r, Observed::gone, kNow));
        EXPECT_EQ(r.state, state);
    }
}

TEST(InstanceJson, TerminatedDroppedAfterAnHour) {
    auto fresh = record("i-0000000000000000a", "r-1", InstanceState::terminated);
    fresh.terminated_at = ec2_timestamp(kNow - std::chrono::minutes(59));
    auto old = record("i-0000000000000000b", "r-1", InstanceState::terminated);
    old.terminated_at = ec2_timestamp(kNow - std::chrono::minutes(61));
    auto running = record("i-0000000000000000c", "r-1", InstanceState::running);
    std::vector<InstanceRecord> records = {fresh, old, running};
    EXPECT_TRUE(drop_expired(records, kNow));
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].instance_id, fresh.instance_id);
    EXPECT_EQ(records[1].instance_id, running.instance_id);
    EXPECT_FALSE(drop_expired(records, kNow));
}

}  // namespace twinbox::cloud
