// AMIs (cloud/images.h): ids, the "images" document, describe filters and
// owners, EC2's error codes, and the provided AMI registered from an archive.
#include "cloud/images.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "common/file.h"
#include "host/image/store.h"
#include "host/image/transfer.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud {
namespace {

// A state store and an image store with the built-in busybox:latest.
struct Stores {
    test::TemporaryDirectory tmp;
    StateStore state = *StateStore::open(tmp.path() + "/cloud");
    image::ImageStore images = *image::ImageStore::open_at(tmp.path() + "/images", true);
};

template <typename T>
std::string code_of(const Result<T>& result) {
    return result ? "(success)" : aws_error_code(result.error());
}

Ami registered(Stores& stores, const std::string& name, const std::string& description = "") {
    auto ami = register_image(stores.state, stores.images, {name, "busybox", description});
    EXPECT_TRUE(ami) << ami.error().to_string();
    return *ami;
}

}  // namespace

TEST(CloudImages, AmiIdOfADigestIsItsFirst17HexDigits) {
    std::string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    EXPECT_EQ(ami_id_for_digest(digest), "ami-0123456789abcdef0");
    EXPECT_TRUE(is_id(ami_id_for_digest(digest), "ami"));
}

TEST(CloudImages, RegisterDescribeFindDeregister) {
    Stores stores;
    Ami ami = registered(stores, "web server (v1)", "httpd on busybox");
    EXPECT_TRUE(is_id(ami.image_id, "ami")) << ami.image_id;
    EXPECT_EQ(ami.image_reference, "busybox:latest");
    EXPECT_TRUE(ami.image_digest.starts_with("sha256:"));
    EXPECT_EQ(ami.owner, "self");

    auto found = find_ami(stores.state, ami.image_id);
    ASSERT_TRUE(found) << found.error().to_string();
    EXPECT_EQ(found->name, "web server (v1)");
    EXPECT_EQ(found->description, "httpd on busybox");

    auto shown = to_json(*found);
    EXPECT_EQ(shown["ImageId"], ami.image_id);
    EXPECT_EQ(shown["State"], "available");
    EXPECT_EQ(shown["VirtualizationType"], "hvm");
    EXPECT_EQ(shown["Architecture"], "x86_64");
    EXPECT_EQ(shown["OwnerId"], kAccountId);
    EXPECT_EQ(shown["ImageLocation"], "busybox:latest");
    EXPECT_FALSE(shown.contains("ImageOwnerAlias"));

    ASSERT_TRUE(deregister_image(stores.state, ami.image_id));
    EXPECT_EQ(code_of(find_ami(stores.state, ami.image_id)), "InvalidAMIID.NotFound");
    EXPECT_TRUE(stores.images.load("busybox:latest")) << "deregistering must keep the image";
}

TEST(CloudImages, BadIdsSayMalformedOrNotFound) {
    Stores stores;
    EXPECT_EQ(code_of(find_ami(stores.state, "ami-123")), "InvalidAMIID.Malformed");
    EXPECT_EQ(code_of(find_ami(stores.state, "i-0123456789abcdef0")), "InvalidAMIID.Malformed");
    EXPECT_EQ(code_of(find_ami(stores.state, "ami-0123456789abcdef0")), "InvalidAMIID.NotFound");
    EXPECT_EQ(code_of(deregister_image(stores.state, "nonsense")), "InvalidAMIID.Malformed");
    EXPECT_EQ(code_of(deregister_image(stores.state, "ami-0123456789abcdef0")),
              "InvalidAMIID.NotFound");
    EXPECT_EQ(code_of(describe_images(stores.state, {"ami-0123456789abcdef0"})),
              "InvalidAMIID.NotFound");
    EXPECT_EQ(code_of(describe_images(stores.state, {"ami-x"})), "InvalidAMIID.Malformed");
}

TEST(CloudImages, RegisterRefusesBadInputAndWritesNothing) {
    Stores stores;
    auto refused = [&](RegisterRequest request) {
        return code_of(register_image(stores.state, stores.images, request));
    };
    EXPECT_EQ(refused({"good-name", "no-such-image:1.0", ""}), "InvalidParameterValue");
    EXPECT_EQ(refused({"ab", "busybox", ""}), "InvalidAMIName.Malformed");
    EXPECT_EQ(refused({std::string(129, 'a'), "busybox", ""}), "InvalidAMIName.Malformed");
    EXPECT_EQ(refused({"semi;colon", "busybox", ""}), "InvalidAMIName.Malformed");
    EXPECT_EQ(refused({"", "busybox", ""}), "MissingParameter");
    EXPECT_EQ(refused({"good-name", "busybox", std::string(256, 'd')}), "InvalidParameterValue");
    auto all = describe_images(stores.state);
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->empty());

    registered(stores, "taken");
    EXPECT_EQ(refused({"taken", "busybox", ""}), "InvalidAMIName.Duplicate");
    EXPECT_EQ(describe_images(stores.state)->size(), 1u);
}

TEST(CloudImages, FiltersParseShorthandAndJson) {
    auto shorthand = parse_filters("Name=name,Values=web-*,db-?");
    ASSERT_TRUE(shorthand) << shorthand.error().to_string();
    ASSERT_EQ(shorthand->size(), 1u);
    EXPECT_EQ((*shorthand)[0].name, "name");
    EXPECT_EQ((*shorthand)[0].values, (std::vector<std::string>{"web-*", "db-?"}));
    EXPECT_TRUE(filter_matches((*shorthand)[0], "web-1"));
    EXPECT_TRUE(filter_matches((*shorthand)[0], "db-2"));
    EXPECT_FALSE(filter_matches((*shorthand)[0], "db-22"));

    auto json = parse_filters(
        R"([{"Name":"state","Values":["available"]},{"Name":"name","Values":["a"]}])");
    ASSERT_TRUE(json) << json.error().to_string();
    EXPECT_EQ(json->size(), 2u);

    for (const char* bad :
         {"name=x", "Name=x", "Values=a", "Name=,Values=a", "[{\"Name\":1}]", "{"})
        EXPECT_EQ(code_of(parse_filters(bad)), "InvalidParameterValue") << bad;
}

TEST(CloudImages, DescribeByFilterAndOwner) {
    Stores stores;
    Ami web = registered(stores, "web-1");
    registered(stores, "db-1");
    auto named = describe_images(stores.state, {}, {}, {{"name", {"web-*"}}});
    ASSERT_TRUE(named);
    ASSERT_EQ(named->size(), 1u);
    EXPECT_EQ((*named)[0].image_id, web.image_id);
    EXPECT_EQ(
        describe_images(stores.state, {}, {}, {{"name", {"*"}}, {"state", {"pending"}}})->size(),
        0u);
    EXPECT_EQ(describe_images(stores.state, {}, {"self"})->size(), 2u);
    EXPECT_EQ(describe_images(stores.state, {}, {"twinbox"})->size(), 0u);
    EXPECT_EQ(describe_images(stores.state, {}, {std::string(kAccountId)})->size(), 2u);
    EXPECT_EQ(code_of(describe_images(stores.state, {}, {}, {{"colour", {"red"}}})),
              "InvalidParameterValue");
}

TEST(CloudImages, DamagedDocumentIsNamedAndLeftAlone) {
    Stores stores;
    std::string path = stores.state.path_of("images");
    std::string text = R"({"Images": [{"ImageId": "ami-0123456789abcdef0", "Name": 7}]})";
    std::ofstream(path) << text;
    auto listed = describe_images(stores.state);
    ASSERT_FALSE(listed);
    EXPECT_NE(listed.error().to_string().find("/Images/0/Name"), std::string::npos)
        << listed.error().to_string();
    EXPECT_FALSE(register_image(stores.state, stores.images, {"new-one", "busybox", ""}));
    EXPECT_EQ(*read_text_file(path, "test"), text);
}

TEST(CloudImages, ProvidedAmiIsImportedAndRegisteredOnce) {
    Stores stores;
    // A stand-in for the build's archive: busybox:latest saved by the store itself.
    std::string archive = stores.tmp.path() + "/provided.tar";
    ASSERT_TRUE(image::save_images(stores.images, {"busybox:latest"}, archive));
    auto other = image::ImageStore::open_at(stores.tmp.path() + "/images2", false);
    ASSERT_TRUE(other);

    auto first = ensure_provided_ami(stores.state, *other, archive);
    ASSERT_TRUE(first) << first.error().to_string();
    auto image = other->load(std::string(kProvidedImageReference));
    ASSERT_TRUE(image) << "the archive was not imported as " << kProvidedImageReference;
    EXPECT_EQ(first->image_id, ami_id_for_digest(image->manifest_digest));
    EXPECT_EQ(first->name, kProvidedAmiName);
    EXPECT_EQ(first->owner, "twinbox");
    EXPECT_EQ(to_json(*first)["ImageOwnerAlias"], "twinbox");

    auto second = ensure_provided_ami(stores.state, *other, stores.tmp.path() + "/absent.tar");
    ASSERT_TRUE(second) << "a registered provided AMI needs no archive";
    EXPECT_EQ(second->image_id, first->image_id);
    EXPECT_EQ(second->creation_date, first->creation_date);
    EXPECT_EQ(describe_images(stores.state)->size(), 1u);
    EXPECT_EQ(describe_images(stores.state, {}, {"amazon"})->size(), 1u);
    EXPECT_EQ(describe_images(stores.state, {}, {"self"})->size(), 0u);
    EXPECT_EQ(code_of(deregister_image(stores.state, first->image_id)), "AuthFailure");

    // Its image removed from the store: imported again, still one registration.
    ASSERT_TRUE(other->untag(*image::parse_reference(std::string(kProvidedImageReference))));
    auto missing = ensure_provided_ami(stores.state, *other, stores.tmp.path() + "/absent.tar");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().to_string().find("guest-ami"), std::string::npos)
        << missing.error().to_string();
    auto again = ensure_provided_ami(stores.state, *other, archive);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->image_id, first->image_id);
    EXPECT_EQ(describe_images(stores.state)->size(), 1u);
}

}  // namespace twinbox::cloud
