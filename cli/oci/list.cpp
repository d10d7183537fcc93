// twinbox-oci list: every container under --root (runc list).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_list(CLI::App& app, int& exit_code) {
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("list", "List containers");
    command->add_option("-f,--format", *format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    command->add_flag("-q,--quiet", *quiet, "print only ids");
    command->callback([format, quiet, &exit_code] {
        auto store = state_store();
        nlohmann::json all = nlohmann::json::array();
        if (*format == "table" && !*quiet)
            fmt::print("{:<24}{:<10}{:<10}{:<40}{}\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
        for (const auto& id : store.list()) {
            auto state = store.load(id);
            if (!state)
                continue;
            auto status = store.status(*state);
            if (*quiet)
                fmt::print("{}\n", id);
            else if (*format == "json")
                all.push_back(nlohmann::json::parse(container::state_json(*state, status)));
            else
                fmt::print("{:<24}{:<10}{:<10}{:<40}{}\n", id,
                           status == container::Status::Stopped ? 0 : state->pid,
                           container::status_name(status), state->bundle, state->created);
        }
        if (*format == "json")
            fmt::print("{}\n", all.dump());
        exit_code = 0;
    });
}

}  // namespace twinbox::oci_cli
