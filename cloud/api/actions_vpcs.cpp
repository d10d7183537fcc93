// The VPC actions (CreateVpc, DescribeSubnets, CreateRoute, ...): the rows
// of cloud/vpc_verbs.h's table, their parameters read from the query by the
// names the table gives as AWS CLI flags ("--cidr-block" -> CidrBlock).
#include <cctype>

#include "cloud/api/actions.h"
#include "cloud/aws_error.h"

namespace twinbox::cloud::api {

namespace {

// "--destination-cidr-block" -> "DestinationCidrBlock"; a describe verb's
// "--vpc-ids" -> "VpcId" (its Query list is VpcId.1, VpcId.2, ...).
std::string query_name(std::string_view flag, bool list = false) {
    std::string name;
    bool upper = true;
    for (char c : flag.substr(2)) {
        if (c == '-') {
            upper = true;
            continue;
        }
        name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    if (list && name.ends_with('s'))
        name.pop_back();
    return name;
}

}  // namespace

Result<nlohmann::json> run_vpc_verb(const VpcVerb& verb, const StateStore& store,
                                    const Query& query) {
    VerbValues values;
    for (const auto& [flag, help] : verb.required)
        values.text[flag] = TRY(query.required(query_name(flag)));
    for (const auto& [flag, help] : verb.optional)
        values.text[flag] = query.value(query_name(flag)).value_or("");
    for (const auto& [flag, help] : verb.flags) {
        // EC2 sends a boolean attribute as AttributeBooleanValue: Name.Value=true.
        std::string name = query_name(flag);
        auto value = TRY(query.boolean(name + ".Value"));
        if (!value)
            value = TRY(query.boolean(name));
        if (!value)
            return aws_error("MissingParameter",
                             "The request must contain the parameter " + name + ".Value");
        values.flags[flag] = *value;
    }
    if (verb.ids_flag) {
        values.ids = TRY(query.strings(query_name(verb.ids_flag, true)));
        values.filters = TRY(query.filters());
    }
    // Null for an action whose AWS CLI output is empty: response_xml()
    // answers EC2's <return>true</return> then.
    return verb.run(store, values);
}

}  // namespace twinbox::cloud::api
