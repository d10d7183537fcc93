// The provided AMI twinbox-dropbear (see images.h, guest/ami/build-ami.sh):
// imported from the archive the build made, then registered under an id
// taken from its image's digest.
#include <fmt/core.h>
#include <unistd.h>

#include "cloud/images.h"
#include "cloud/json_fields.h"
#include "host/image/store.h"
#include "host/image/transfer.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kArchiveName = "/ami/twinbox-dropbear.tar";

Result<image::Image> provided_image(image::ImageStore& images, const std::string& archive) {
    std::string reference(kProvidedImageReference);
    if (auto image = images.load(reference))
        return image;
    if (::access(archive.c_str(), R_OK) != 0)
        return Error::from_errno("access", "the provided AMI's image " + archive)
            .with_hint("build it: cmake --build build --target guest-ami");
    TRY(image::import_image(images, archive, reference)
            .with_context("loading the provided AMI's image " + archive));
    return images.load(reference);
}

}  // namespace

std::string provided_ami_archive() {
    std::string built = std::string(TWINBOX_GUEST_DIR) + std::string(kArchiveName);
    if (::access(built.c_str(), R_OK) == 0)
        return built;
    return std::string(TWINBOX_INSTALL_GUEST_DIR) + std::string(kArchiveName);
}

Result<Ami> ensure_provided_ami(const StateStore& store, image::ImageStore& images,
                                const std::string& archive) {
    for (auto& ami : TRY(describe_images(store, {}, {"twinbox"})))
        if (ami.name == kProvidedAmiName && images.load(ami.image_reference))
            return std::move(ami);
    image::Image image = TRY(provided_image(images, archive));
    Ami ami;
    ami.image_id = ami_id_for_digest(image.manifest_digest);
    ami.name = kProvidedAmiName;
    ami.description =
        "twinbox's provided AMI: busybox, dropbear (SSH as ec2-user) and the "
        "twinbox instance init";
    ami.image_reference = kProvidedImageReference;
    ami.image_digest = image.manifest_digest;
    ami.owner = "twinbox";
    ami.creation_date = aws_timestamp_now();
    TRY(detail::record_provided_ami(store, ami));
    return ami;
}

Result<Ami> ensure_provided_ami(const StateStore& store) {
    auto images = TRY(image::ImageStore::open());
    return ensure_provided_ami(store, images, provided_ami_archive());
}

}  // namespace twinbox::cloud
