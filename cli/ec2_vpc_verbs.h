// The VPC verbs of `twinbox ec2` are alike: a few string flags in, one
// cloud/vpcs.h call, its JSON out. One table entry per verb
// (cli/ec2_vpcs.cpp) instead of one hand-written registration each.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/ec2_common.h"
#include "cloud/filters.h"

namespace twinbox::cli {

struct VerbValues {
    std::map<std::string, std::string> text;  // "--vpc-id" -> "vpc-..."
    std::map<std::string, bool> flags;        // "--map-public-ip-on-launch" -> true
    std::vector<std::string> ids;             // a describe verb's id list
    std::vector<cloud::Filter> filters;       // its --filters
    const std::string& operator[](const std::string& flag) const { return text.at(flag); }
};

struct VpcVerb {
    const char* name;  // "create-vpc"
    const char* help;
    const char* operation;                                      // "CreateVpc", for the error line
    std::vector<std::pair<const char*, const char*>> required;  // flag, help
    std::vector<std::pair<const char*, const char*>> optional;
    std::vector<std::pair<const char*, const char*>> flags;  // boolean flags
    const char* ids_flag = nullptr;                          // "--vpc-ids" for describe verbs
    // null JSON: print nothing (the verb's AWS CLI output is empty).
    std::function<Result<nlohmann::json>(const cloud::StateStore&, const VerbValues&)> run;
};

void register_vpc_verbs(CLI::App& ec2, int& exit_code, const std::vector<VpcVerb>& verbs);

}  // namespace twinbox::cli
