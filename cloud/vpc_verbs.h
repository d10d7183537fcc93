// The VPC verbs are alike: a few string parameters in, one cloud/vpcs.h
// call, its JSON (the AWS CLI's shape) out. One table of them serves both
// front ends, so neither holds EC2 logic of its own:
//   `twinbox ec2 create-vpc --cidr-block C`   (cli/ec2_vpc_verbs.cpp: flags)
//   Action=CreateVpc&CidrBlock=C              (cloud/api/actions_vpcs.cpp: parameters)
// A parameter is named once, as the AWS CLI's flag; the Query name is the
// same words in PascalCase ("--cidr-block" -> CidrBlock, "--vpc-ids" -> VpcId.N).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/filters.h"
#include "cloud/state_store.h"

namespace twinbox::cloud {

struct VerbValues {
    std::map<std::string, std::string> text;  // "--vpc-id" -> "vpc-..." ("" when not given)
    std::map<std::string, bool> flags;        // "--map-public-ip-on-launch" -> true
    std::vector<std::string> ids;             // a describe verb's id list
    std::vector<Filter> filters;              // its --filters
    const std::string& operator[](const std::string& flag) const { return text.at(flag); }
};

struct VpcVerb {
    const char* name;  // "create-vpc"
    const char* help;
    const char* operation;                                      // "CreateVpc": the API's action
    std::vector<std::pair<const char*, const char*>> required;  // flag, help
    std::vector<std::pair<const char*, const char*>> optional;
    std::vector<std::pair<const char*, const char*>> flags;  // boolean flags
    const char* ids_flag = nullptr;                          // "--vpc-ids" for describe verbs
    // null JSON: the verb's AWS CLI output is empty.
    std::function<Result<nlohmann::json>(const StateStore&, const VerbValues&)> run;
};

const std::vector<VpcVerb>& vpc_verb_table();
// The verb of API action `operation` ("CreateVpc"), or null.
const VpcVerb* find_vpc_verb(std::string_view operation);

}  // namespace twinbox::cloud
