// EC2's describe filters ("--filters Name=name,Values=web-*,db-*"): a filter
// matches when any of its values matches (with * and ? wildcards), and a
// resource is listed when every filter matches (EC2 API reference,
// "Filtering in the EC2 API": values are OR'd, filters AND'd).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::cloud {

struct Filter {
    std::string name;
    std::vector<std::string> values;
};

// One --filters argument as the AWS CLI reads it: the shorthand
// "Name=N,Values=V1,V2" or JSON ('[{"Name":"N","Values":["V1"]}]', which
// may hold several). InvalidParameterValue when it is neither.
Result<std::vector<Filter>> parse_filters(std::string_view argument);
// Every --filters argument, in order.
Result<std::vector<Filter>> parse_filters(const std::vector<std::string>& arguments);

// Whether `value` matches one of `filter`'s values (* any run, ? one character).
bool filter_matches(const Filter& filter, std::string_view value);
// EC2's filter wildcards alone: * any run, ? one character, nothing else
// special (so "[" is itself, unlike fnmatch(3)).
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace twinbox::cloud
