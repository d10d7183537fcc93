// The run-instances and describe-instances arguments that are more than a
// word, parsed as the AWS CLI's shorthand syntax has them
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-shorthand.html),
// and the describe-instances filters applied to records. Pure: no state, no
// workload, so each rule is unit-tested (tests/unit/cloud/instance_args_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloud/filters.h"
#include "cloud/instance_store.h"
#include "common/result.h"

namespace twinbox::cloud {

using Tag = std::pair<std::string, std::string>;

// --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=dev}]'
// (or the same as JSON). Only ResourceType=instance is honoured; volumes and
// network interfaces have no twinbox counterpart yet and are refused.
Result<std::vector<Tag>> parse_tag_specifications(const std::vector<std::string>& specs);

// --filters Name=instance-state-name,Values=running,stopped Name=tag:Name,Values=web
// (cloud/filters.h), with describe-instances' filter names only.
Result<std::vector<Filter>> parse_instance_filters(const std::vector<std::string>& specs);
// InvalidParameterValue naming the first filter describe-instances does not know.
Result<void> check_instance_filters(const std::vector<Filter>& filters);
// Every filter matches (AND); within one filter any value (OR), as EC2.
bool matches_filters(const InstanceRecord& record, const std::vector<Filter>& filters);

// --count N or MIN:MAX (MinCount/MaxCount): at least MIN, at most MAX if they fit.
struct CountRange {
    unsigned min = 1, max = 1;
};
Result<CountRange> parse_count(std::string_view text);

// --metadata-options HttpTokens=required|optional[,HttpEndpoint=enabled,...]:
// the HttpTokens value ("optional" when not given).
Result<std::string> parse_metadata_options(std::string_view text);

// EC2 keeps user data base64-encoded and refuses more than 16 KiB of it raw
// (RunInstances, UserData: "limited to 16 KB").
inline constexpr size_t kUserDataLimit = 16 << 10;
Result<std::string> encode_user_data(std::string_view raw);

// An instance id as EC2 checks it: i- + 8 or 17 hex (Malformed otherwise).
Result<void> check_instance_id(std::string_view id);

}  // namespace twinbox::cloud
