// The AMI and IMDS pieces behind instance_services.h.
#include "cloud/instance_services.h"

#include <fmt/core.h>

#include <type_traits>

#include "cloud/aws_error.h"
#include "common/log.h"

#if __has_include("cloud/images.h")
#include "cloud/images.h"
#define TWINBOX_HAVE_AMIS 1
#endif
#if __has_include("cloud/imds/imds.h")
#include "cloud/imds/imds.h"
#define TWINBOX_HAVE_IMDS 1
#endif

namespace twinbox::cloud {

Result<AmiRef> lookup_ami(const StateStore& store, std::string_view ami_id) {
#ifdef TWINBOX_HAVE_AMIS
    auto found = find_ami(store, ami_id);
    if (found)
        return AmiRef{found->image_id, found->image_reference};
    // The provided AMI is registered on its first use.
    if (auto provided = ensure_provided_ami(store); provided && provided->image_id == ami_id)
        return AmiRef{provided->image_id, provided->image_reference};
    return std::move(found).error();
#else
    (void)store;
    return aws_error(
        "InvalidAMIID.NotFound",
        fmt::format("The image id '[{}]' does not exist (no AMIs in this build)", ami_id));
#endif
}

Result<void> ensure_metadata_service(const std::string& network) {
#ifdef TWINBOX_HAVE_IMDS
    return ensure_imds_running(network);
#else
    (void)network;
    log::warn("this build has no instance metadata service; instances cannot read 169.254.169.254");
    return ok();
#endif
}

void stop_metadata_service_if_idle() {
#ifdef TWINBOX_HAVE_IMDS
    if constexpr (std::is_void_v<decltype(stop_imds_if_idle())>) {
        stop_imds_if_idle();
    } else {
        if (auto stopped = stop_imds_if_idle(); !stopped)
            log::warn("stopping the instance metadata service: {}", stopped.error().to_string());
    }
#endif
}

}  // namespace twinbox::cloud
