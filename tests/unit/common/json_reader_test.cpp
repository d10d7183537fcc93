// The one strict JSON reader (common/json_reader.h): errors name the JSON
// path and the file, a file that does not parse is Damaged, and a syntax
// error never quotes the bytes it read (the file may be a secret).
#include "common/json_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace twinbox::json_reader {
namespace {

struct Point {
    int x = 0;
    std::vector<std::string> tags;
    std::optional<bool> flag;
};

Result<void> read_point(const Node& node, Point& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "x", out.x));
    TRY(read_member(node, "tags", out.tags));
    TRY(read_member(node, "flag", out.flag));
    return ok();
}

Result<Point> point_from(std::string_view text) {
    auto document = TRY(parse(text));
    Point point;
    TRY(read_point(Node(document, "", "point.json"), point));
    return point;
}

TEST(JsonReader, ReadsWhatIsThereAndDefaultsWhatIsAbsent) {
    auto point = point_from(R"({"x": -3, "tags": ["a", "b"], "flag": null})");
    ASSERT_TRUE(point) << point.error().to_string();
    EXPECT_EQ(point->x, -3);
    EXPECT_EQ(point->tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(point->flag);  // null is absent (Go writes null for unset pointers)
}

TEST(JsonReader, DamagedInputsNameThePath) {
    const std::pair<const char*, const char*> cases[] = {
        {"[]", "point.json: must be an object"},
        {"{}", "x: required"},
        {R"({"x": "1"})", "x: must be an integer"},
        {R"({"x": 4294967296})", "x: must be an integer from"},
        {R"({"x": 1.5})", "x: must be an integer"},
        {R"({"x": 1, "tags": "a"})", "tags: must be an array"},
        {R"({"x": 1, "tags": ["a", 2]})", "tags[1]: must be a string"},
        {R"({"x": 1, "flag": 0})", "flag: must be true or false"},
        {R"({"x": 1)", "not valid JSON (at byte"},
        {"", "not valid JSON"},
    };
    for (const auto& [text, expected] : cases) {
        auto point = point_from(text);
        ASSERT_FALSE(point) << text;
        EXPECT_NE(point.error().to_string().find(expected), std::string::npos)
            << text << " gave " << point.error().to_string();
    }
}

TEST(JsonReader, SyntaxErrorsDoNotEchoTheInput) {
    auto document = parse("SECRET-password-123");
    ASSERT_FALSE(document);
    EXPECT_EQ(document.error().to_string().find("SECRET"), std::string::npos)
        << document.error().to_string();
    EXPECT_FALSE(parse(std::string(100, ' '), 10));  // over the size limit
}

TEST(JsonReader, FilesThatDoNotParseAreDamagedAndKept) {
    char pattern[] = "/tmp/twinbox-json-reader-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string dir = pattern;
    auto missing = parse_file(dir + "/absent.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), Error::Kind::Other);
    EXPECT_EQ(missing.error().code(), ENOENT);
    std::ofstream(dir + "/bad.json") << "{\"x\": ";
    auto bad = parse_file(dir + "/bad.json");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), Error::Kind::Damaged);
    EXPECT_NE(bad.error().to_string().find(dir + "/bad.json is damaged"), std::string::npos)
        << bad.error().to_string();
    EXPECT_TRUE(std::filesystem::exists(dir + "/bad.json"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace twinbox::json_reader
