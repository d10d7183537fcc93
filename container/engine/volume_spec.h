// -v HOST:TARGET[:ro|rw] (docker run -v), split and checked (both paths
// absolute): the syntax both isolations share (workload/run_request.h); what
// each makes of it differs (a bind mount; a read-only disk copy for a VM).
#pragma once

#include <string>

#include "common/result.h"

namespace twinbox::container {

struct VolumeSpec {
    std::string spec;  // as given, for messages
    std::string host, target;
    std::string mode;  // "", "ro" or "rw"
    bool read_only() const { return mode == "ro"; }
};

Result<VolumeSpec> parse_volume_spec(const std::string& text);

}  // namespace twinbox::container
