// The AMI and IMDS pieces behind instance_services.h.
#include "cloud/instance_services.h"

#include <fmt/core.h>

#include "cloud/aws_error.h"
#include "cloud/images.h"
#include "cloud/imds/imds.h"
#include "common/log.h"

namespace twinbox::cloud {

Result<AmiRef> lookup_ami(const StateStore& store, std::string_view ami_id) {
    auto found = find_ami(store, ami_id);
    if (found)
        return AmiRef{found->image_id, found->image_reference};
    // The provided AMI is registered on its first use.
    if (auto provided = ensure_provided_ami(store); provided && provided->image_id == ami_id)
        return AmiRef{provided->image_id, provided->image_reference};
    return std::move(found).error();
}

Result<void> ensure_metadata_service(const std::string& network) {
    return ensure_imds_running(network);
}

void stop_metadata_service_if_idle() {
    if (auto stopped = stop_imds_if_idle(); !stopped)
        log::warn("stopping the instance metadata service: {}", stopped.error().to_string());
}

}  // namespace twinbox::cloud
