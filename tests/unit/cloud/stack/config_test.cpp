// Reading a stack file strictly, and its dependency graph (cloud/stack/config.h, graph.h).
#include "cloud/stack/config.h"

#include <gtest/gtest.h>

#include "cloud/stack/graph.h"

namespace twinbox::cloud::stack {
namespace {

std::string refusal(const Json& root) {
    auto config = parse_config("s.tf.json", root.dump());
    if (!config)
        return config.error().to_string();
    auto graph = build_graph(*config);
    return graph ? "" : graph.error().to_string();
}

Json instance(Json extra = Json::object()) {
    Json body = {{"ami", "ami-0123456789abcdef0"}, {"instance_type", "t3.nano"}};
    body.update(extra);
    return body;
}

TEST(StackConfig, ReadsBlocksVariablesLocalsOutputs) {
    Json root = {
        {"//", "a comment"},
        {"terraform", {{"required_providers", {{"aws", {{"source", "hashicorp/aws"}}}}}}},
        {"provider", {{"aws", {{"region", "local-1"}}}}},
        {"variable",
         {{"type", {{"default", "t3.nano"}}}, {"n", {{"type", "number"}, {"default", 2}}}}},
        {"locals", {{"name", "web-${var.type}"}}},
        {"resource",
         {{"aws_key_pair", {{"lab", {{"key_name", "lab"}, {"public_key", "ssh-ed25519 AAAA"}}}}},
          {"aws_instance",
           {{"web", instance({{"count", "${var.n}"},
                              {"key_name", "${aws_key_pair.lab.key_name}"},
                              {"tags", {{"Name", "${local.name}-${count.index}"}}}})}}}}},
        {"output", {{"ip", {{"value", "${aws_instance.web[0].private_ip}"}}}}}};
    auto config = parse_config("s.tf.json", root.dump());
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(config->resources.size(), 2u);
    auto graph = build_graph(*config);
    ASSERT_TRUE(graph) << graph.error().to_string();
    EXPECT_EQ(graph->order, (std::vector<std::string>{"aws_key_pair.lab", "aws_instance.web"}));
    EXPECT_EQ(graph->depends["aws_instance.web"], std::set<std::string>{"aws_key_pair.lab"});

    auto vars = variable_values(*config, {{"n", "3"}});
    ASSERT_TRUE(vars) << vars.error().to_string();
    EXPECT_EQ((*vars)["n"], Json(3));
    EXPECT_EQ((*vars)["type"], Json("t3.nano"));
    EXPECT_FALSE(variable_values(*config, {{"n", "three"}}));
    EXPECT_FALSE(variable_values(*config, {{"undeclared", "x"}}));
}

TEST(StackConfig, RefusesUnknownThingsInOneLineNamingFileAndPath) {
    struct Case {
        Json root;
        std::string want;
    } cases[] = {
        {{{"module", Json::object()}},
         "s.tf.json: /module: unknown block 'module' (supported: resource"},
        {{{"resource", {{"aws_s3_bucket", {{"b", Json::object()}}}}}},
         "s.tf.json: /resource/aws_s3_bucket: unknown resource type (supported: aws_instance, aws_key_pair"},
        {{{"resource", {{"aws_instance", {{"web", instance({{"colour", "red"}})}}}}}},
         "s.tf.json: /resource/aws_instance/web/colour: unknown argument 'colour' of aws_instance (supported: ami,"},
        {{{"resource", {{"aws_instance", {{"web", instance({{"lifecycle", Json::object()}})}}}}}},
         "/resource/aws_instance/web/lifecycle: unknown argument 'lifecycle'"},
        {{{"resource", {{"aws_instance", {{"web", {{"ami", "x"}}}}}}}},
         "/resource/aws_instance/web: missing argument 'instance_type'"},
        {{{"variable", {{"x", {{"sensitive", true}}}}}}, "/variable/x/sensitive: unknown argument"},
        {{{"variable", {{"x", Json::object()}}}}, "/variable/x: no value"},
    };
    for (const auto& c : cases) {
        auto config = parse_config("s.tf.json", c.root.dump());
        std::string text;
        if (!config)
            text = config.error().to_string();
        else if (auto vars = variable_values(*config, {}); !vars)
            text = vars.error().to_string();
        EXPECT_NE(text.find(c.want), std::string::npos) << text << "\nwanted: " << c.want;
        EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    }
    EXPECT_FALSE(parse_config("s.tf.json", "{\"resource\": "));
    EXPECT_FALSE(parse_config("s.tf.json", "[]"));
}

TEST(StackGraph, RefusesDanglingReferencesAndCycles) {
    auto in_web = [](Json args) {
        return Json{{"resource", {{"aws_instance", {{"web", instance(args)}}}}}};
    };
    EXPECT_NE(
        refusal(in_web({{"key_name", "${aws_key_pair.nope.key_name}"}}))
            .find(
                "/resource/aws_instance/web/key_name: reference to undeclared resource aws_key_pair.nope"),
        std::string::npos);
    EXPECT_NE(refusal(in_web({{"key_name", "${var.nope}"}})).find("undeclared variable 'nope'"),
              std::string::npos);
    EXPECT_NE(refusal(in_web({{"depends_on", {"aws_key_pair.nope"}}})).find("/depends_on/0"),
              std::string::npos);
    EXPECT_NE(refusal(in_web({{"key_name", "${count.index}"}})).find("count.index is only valid"),
              std::string::npos);
    EXPECT_NE(refusal(in_web({{"key_name", "${aws_instance.web.colour}"}}))
                  .find("has no attribute 'colour'"),
              std::string::npos);

    Json cycle = {{"resource",
                   {{"aws_instance",
                     {{"a", instance({{"user_data", "${aws_instance.b.id}"}})},
                      {"b", instance({{"user_data", "${local.l}"}})}}}}},
                  {"locals", {{"l", "${aws_instance.a.private_ip}"}}}};
    std::string text = refusal(cycle);
    EXPECT_NE(text.find("s.tf.json: cycle: "), std::string::npos) << text;
    EXPECT_NE(text.find("aws_instance.a -> aws_instance.b -> local.l -> aws_instance.a"),
              std::string::npos)
        << text;

    Json counted = {{"resource",
                     {{"aws_instance",
                       {{"a", instance({{"count", 2}})},
                        {"b", instance({{"user_data", "${aws_instance.a.id}"}})}}}}}};
    EXPECT_NE(refusal(counted).find("aws_instance.a has count: name one instance"),
              std::string::npos);
    Json self = {
        {"resource", {{"aws_instance", {{"a", instance({{"depends_on", {"aws_instance.a"}}})}}}}}};
    EXPECT_NE(refusal(self).find("cycle: aws_instance.a -> aws_instance.a"), std::string::npos);
}

}  // namespace
}  // namespace twinbox::cloud::stack
