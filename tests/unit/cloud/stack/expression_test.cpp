// Templates and references of Terraform's JSON syntax (cloud/stack/expression.h).
#include "cloud/stack/expression.h"

#include <gtest/gtest.h>

namespace twinbox::cloud::stack {
namespace {

Result<Json> eval(const Json& value) {
    return evaluate(value, [](const Reference& ref) -> Result<Json> {
        if (ref.kind == Reference::Kind::Variable && ref.name == "n")
            return Json(3);
        if (ref.kind == Reference::Kind::Variable)
            return Json("v-" + ref.name);
        if (ref.kind == Reference::Kind::Local)
            return Json::object({{"a", "b"}});
        if (ref.kind == Reference::Kind::Resource && ref.name == "new")
            return Json(kUnknown);
        if (ref.kind == Reference::Kind::Resource)
            return Json(ref.type + "/" + ref.name + "/" + std::to_string(ref.index.value_or(-1)) +
                        "/" + ref.attribute);
        return Json(7);
    });
}

TEST(StackExpression, ParsesEachReferenceForm) {
    auto parts = parse_template(
        "a-${var.x}-${ local.y }-${aws_vpc.main.id}-${aws_instance.web[2].private_ip}"
        "-${aws_instance.web[count.index].id}-${count.index}");
    ASSERT_TRUE(parts) << parts.error().to_string();
    ASSERT_EQ(parts->size(), 12u);
    EXPECT_EQ(parts->at(1).reference->node(), "var.x");
    EXPECT_EQ(parts->at(3).reference->node(), "local.y");
    EXPECT_EQ(parts->at(5).reference->node(), "aws_vpc.main");
    EXPECT_EQ(parts->at(5).reference->attribute, "id");
    EXPECT_EQ(parts->at(7).reference->index, 2);
    EXPECT_TRUE(parts->at(9).reference->index_is_count);
    EXPECT_EQ(parts->at(11).reference->kind, Reference::Kind::CountIndex);
}

TEST(StackExpression, WholeInterpolationKeepsItsType) {
    EXPECT_EQ(*eval("${var.n}"), Json(3));
    EXPECT_EQ(*eval("${local.m}"), Json::object({{"a", "b"}}));
    EXPECT_EQ(*eval("n=${var.n}"), Json("n=3"));
    EXPECT_EQ(*eval(Json::object({{"k", Json::array({"${var.x}", 1})}})),
              Json::object({{"k", Json::array({"v-x", 1})}}));
    EXPECT_EQ(*eval("${aws_instance.web[1].id}"), Json("aws_instance/web/1/id"));
}

TEST(StackExpression, EscapesAndUnknowns) {
    EXPECT_EQ(*eval("$${var.x} and %%{x}"), Json("${var.x} and %{x}"));
    EXPECT_TRUE(is_unknown(*eval("id-${aws_vpc.new.id}")));
    EXPECT_TRUE(is_unknown(Json::object({{"a", Json::array({kUnknown})}})));
    EXPECT_FALSE(is_unknown(*eval("${var.x}")));
    EXPECT_EQ(display(Json(kUnknown)), "(known after apply)");
}

TEST(StackExpression, RefusesWhatIsNotAReference) {
    for (const char* text : {"${upper(var.x)}", "${var.x + 1}", "${data.aws_ami.x.id}", "${var.x",
                             "%{ if true }x%{ endif }", "${aws_vpc.main}", "${aws_vpc[0].id}",
                             "${var}", "${aws_vpc.main.id.foo}", "${count.other}", "${}"}) {
        auto parts = parse_template(text);
        EXPECT_FALSE(parts) << text;
        if (!parts) {
            EXPECT_EQ(parts.error().to_string().find('\n'), std::string::npos);
        }
    }
    EXPECT_FALSE(eval("x-${local.m}")) << "a map inside a string";
}

}  // namespace
}  // namespace twinbox::cloud::stack
