#include "cli/ec2_vpc_verbs.h"

#include <memory>

namespace twinbox::cli {

namespace {

struct VerbState {
    cloud::VerbValues values;
    std::vector<std::string> filter_arguments;
    Ec2Output output;
};

void register_one(CLI::App& ec2, int& exit_code, const cloud::VpcVerb& spec) {
    auto state = std::make_shared<VerbState>();
    CLI::App* verb = ec2.add_subcommand(spec.name, spec.help);
    for (const auto& [flag, help] : spec.required)
        verb->add_option(flag, state->values.text[flag], help)->required();
    for (const auto& [flag, help] : spec.optional)
        verb->add_option(flag, state->values.text[flag], help);
    for (const auto& [flag, help] : spec.flags) {
        std::string name = flag;
        // --map-public-ip-on-launch | --no-map-public-ip-on-launch, as the AWS CLI.
        std::string negated = "--no-" + name.substr(2);
        verb->add_flag(name + ",!" + negated, state->values.flags[name], help);
    }
    if (spec.ids_flag) {
        verb->add_option(spec.ids_flag, state->values.ids, "Ids to describe (default: all)");
        verb->add_option("--filters", state->filter_arguments,
                         "Name=vpc-id,Values=vpc-... (any field of the output, in "
                         "kebab-case; association.subnet-id, attachment.vpc-id)");
    }
    add_output_flags(*verb, state->output);
    cloud::VpcVerb copy = spec;
    verb->callback([state, copy, &exit_code] {
        exit_code = with_store(copy.operation, [&](const cloud::StateStore& store) -> Result<int> {
            state->values.filters = TRY(cloud::parse_filters(state->filter_arguments));
            nlohmann::json result = TRY(copy.run(store, state->values));
            if (result.is_null())
                return 0;
            return print_result(result, state->output);
        });
    });
}

}  // namespace

void register_ec2_vpcs(CLI::App& ec2, int& exit_code) {
    register_vpc_verbs(ec2, exit_code, cloud::vpc_verb_table());
}

void register_vpc_verbs(CLI::App& ec2, int& exit_code, const std::vector<cloud::VpcVerb>& verbs) {
    for (const auto& verb : verbs) register_one(ec2, exit_code, verb);
}

}  // namespace twinbox::cli
