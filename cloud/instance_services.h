// What the instance verbs need from the rest of the cloud: the AMI behind an
// id (cloud/images.h) and the instance metadata service (IMDS), started
// before the first instance boots and stopped when the last one is gone.
#pragma once

#include <string>
#include <string_view>

#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

struct AmiRef {
    std::string image_id;         // ami-...
    std::string image_reference;  // the image in the store that instances run
};

// InvalidAMIID.NotFound / .Malformed as find_ami reports them.
Result<AmiRef> lookup_ami(const StateStore& store, std::string_view ami_id);
Result<void> ensure_metadata_service(const std::string& network);
// Errors are logged: an instance is terminated whether or not IMDS stops.
void stop_metadata_service_if_idle();

}  // namespace twinbox::cloud
