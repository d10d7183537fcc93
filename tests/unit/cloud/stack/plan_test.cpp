// Plans against a state: create, update in place, replace, destroy, counts
// (cloud/stack/plan.h). Pure: no resource is touched.
#include "cloud/stack/plan.h"

#include <gtest/gtest.h>

namespace twinbox::cloud::stack {
namespace {

Config config_of(const Json& root) {
    auto config = parse_config("s.tf.json", root.dump());
    EXPECT_TRUE(config) << config.error().to_string();
    return std::move(*config);
}

Json stack(const std::string& type, Json tags, int count = 1) {
    return {
        {"variable", {{"type", {{"default", type}}}}},
        {"resource",
         {{"aws_key_pair", {{"lab", {{"key_name", "lab"}, {"public_key", "ssh-ed25519 AAAA"}}}}},
          {"aws_instance",
           {{"web",
             {{"ami", "ami-0123456789abcdef0"},
              {"instance_type", "${var.type}"},
              {"key_name", "${aws_key_pair.lab.key_name}"},
              {"count", count},
              {"tags", tags}}}}}}}};
}

Result<Plan> plan_of(const Json& root, const StackState& state) {
    Config config = config_of(root);
    auto vars = TRY(variable_values(config, {}));
    return make_plan(config, state, vars);
}

// The state an apply of `root` would leave (ids made up).
StackState applied(const Json& root) {
    StackState state;
    auto plan = plan_of(root, state);
    EXPECT_TRUE(plan);
    int n = 0;
    for (const auto& change : plan->changes)
        state.put({change.address, change.type, change.name, change.index, change.after,
                   Json{{"id", "id-" + std::to_string(n++)}}, change.depends_on});
    return state;
}

const Change& change_of(const Plan& plan, const std::string& address) {
    for (const auto& change : plan.changes)
        if (change.address == address)
            return change;
    ADD_FAILURE() << "no change for " << address;
    return plan.changes.front();
}

TEST(StackPlan, CreatesEverythingFromNothing) {
    auto plan = plan_of(stack("t3.nano", {{"Name", "web"}}, 2), {});
    ASSERT_TRUE(plan) << plan.error().to_string();
    EXPECT_EQ(plan->add, 3);
    EXPECT_EQ(change_of(*plan, "aws_instance.web[1]").action, Action::Create);
    EXPECT_EQ(change_of(*plan, "aws_instance.web[1]").depends_on,
              std::vector<std::string>{"aws_key_pair.lab"});
    std::string text = render_plan(*plan);
    EXPECT_NE(text.find("Plan: 3 to add, 0 to change, 0 to destroy."), std::string::npos) << text;
    EXPECT_NE(
        text.find(
            "  # aws_instance.web[0] will be created\n  + resource \"aws_instance\" \"web\" {"),
        std::string::npos)
        << text;
}

TEST(StackPlan, NothingAfterApplyThenUpdateReplaceDestroy) {
    Json root = stack("t3.nano", {{"Name", "web"}}, 2);
    StackState state = applied(root);
    auto same = plan_of(root, state);
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->empty());
    EXPECT_EQ(render_plan(*same), "No changes. Your infrastructure matches the configuration.\n");

    auto tagged = plan_of(stack("t3.nano", {{"Name", "web2"}}, 2), state);
    ASSERT_TRUE(tagged);
    EXPECT_EQ(tagged->change, 2);
    EXPECT_EQ(tagged->add + tagged->destroy, 0);
    EXPECT_NE(render_plan(*tagged).find("~ tags = { Name = \"web\" } -> { Name = \"web2\" }"),
              std::string::npos)
        << render_plan(*tagged);

    auto bigger = plan_of(stack("t3.micro", {{"Name", "web"}}, 2), state);
    ASSERT_TRUE(bigger);
    EXPECT_EQ(change_of(*bigger, "aws_instance.web[0]").action, Action::Replace);
    EXPECT_EQ(change_of(*bigger, "aws_instance.web[0]").forcing,
              std::vector<std::string>{"instance_type"});
    std::string text = render_plan(*bigger);
    EXPECT_NE(text.find("-/+ resource \"aws_instance\" \"web\""), std::string::npos) << text;
    EXPECT_NE(text.find("~ instance_type = \"t3.nano\" -> \"t3.micro\" # forces replacement"),
              std::string::npos);
    EXPECT_NE(text.find("Plan: 2 to add, 0 to change, 2 to destroy."), std::string::npos) << text;

    auto isolated =
        plan_of(stack("t3.nano", {{"Name", "web"}, {"twinbox:isolation", "container"}}, 2), state);
    ASSERT_TRUE(isolated);
    EXPECT_EQ(change_of(*isolated, "aws_instance.web[1]").action, Action::Replace);

    auto fewer = plan_of(stack("t3.nano", {{"Name", "web"}}, 1), state);
    ASSERT_TRUE(fewer);
    EXPECT_EQ(change_of(*fewer, "aws_instance.web[1]").action, Action::Destroy);
    EXPECT_EQ(fewer->destroy, 1);
    EXPECT_EQ(fewer->add, 0);
}

TEST(StackPlan, ReplacedDependencyMakesDependentsUnknown) {
    Json root = stack("t3.nano", Json::object(), 1);
    root["resource"]["aws_instance"]["web"]["user_data"] = "key ${aws_key_pair.lab.key_pair_id}";
    StackState state = applied(root);
    state.find("aws_key_pair.lab")->attributes["key_pair_id"] = "key-1";
    state.find("aws_instance.web[0]")->arguments["user_data"] = "key key-1";
    auto same = plan_of(root, state);
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->empty()) << render_plan(*same);
    root["resource"]["aws_key_pair"]["lab"]["public_key"] = "ssh-ed25519 BBBB";
    auto plan = plan_of(root, state);
    ASSERT_TRUE(plan);
    EXPECT_EQ(change_of(*plan, "aws_key_pair.lab").action, Action::Replace);
    EXPECT_EQ(change_of(*plan, "aws_instance.web[0]").action, Action::Replace);
    EXPECT_NE(render_plan(*plan).find("(known after apply) # forces replacement"),
              std::string::npos);
}

TEST(StackPlan, DestroyPlanRemovesDependentsFirst) {
    StackState state = applied(stack("t3.nano", Json::object(), 2));
    Plan plan = make_destroy_plan(state);
    ASSERT_EQ(plan.changes.size(), 3u);
    EXPECT_EQ(plan.changes.back().address, "aws_key_pair.lab");
    EXPECT_EQ(plan.destroy, 3);
}

}  // namespace
}  // namespace twinbox::cloud::stack
