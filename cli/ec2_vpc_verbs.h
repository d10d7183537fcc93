// `twinbox ec2` for the VPC verbs: each entry of cloud/vpc_verbs.h's table
// becomes a subcommand with the AWS CLI's flags.
#pragma once

#include "cli/ec2_common.h"
#include "cloud/vpc_verbs.h"

namespace twinbox::cli {

void register_vpc_verbs(CLI::App& ec2, int& exit_code, const std::vector<cloud::VpcVerb>& verbs);

}  // namespace twinbox::cli
