// twinbox ec2 VERB: EC2's verbs, flags, JSON and errors as the AWS CLI has
// them, over the cloud/ library (docs/cloud.md).
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "common/file.h"
#include "common/log.h"

namespace twinbox::cli {
namespace {

std::string scalar_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// A table like the AWS CLI's: the operation's lists flattened to "| key | value |" rows.
void print_table_rows(const nlohmann::json& value, const std::string& title) {
    if (value.is_array()) {
        for (const auto& item : value) print_table_rows(item, title);
        return;
    }
    if (!value.is_object()) {
        fmt::print("|  {:<31}|  {}\n", title, scalar_text(value));
        return;
    }
    fmt::print("{:-<70}\n|{:^68}|\n{:-<70}\n", "", title, "");
    for (const auto& [key, item] : value.items()) {
        if (item.is_structured())
            print_table_rows(item, key);
        else
            fmt::print("|  {:<31}|  {}\n", key, scalar_text(item));
    }
}

// Saving a private key with `> key.pem` must not leave it readable by others (ssh refuses it too).
void protect_regular_stdout() {
    struct stat info {};
    if (::fstat(STDOUT_FILENO, &info) == 0 && S_ISREG(info.st_mode))
        ::fchmod(STDOUT_FILENO, 0600);
}

}  // namespace

void add_output_flags(CLI::App& verb, Ec2Output& output) {
    verb.add_option("--output", output.format, "Output format")
        ->check(CLI::IsMember({"json", "table", "text"}));
    verb.add_option("--query", output.query, "A top-level key to print (e.g. KeyMaterial)");
}

int print_result(const nlohmann::json& result, const Ec2Output& output) {
    const nlohmann::json* value = &result;
    if (!output.query.empty()) {
        if (!result.contains(output.query)) {
            log::error(
                "twinbox ec2: --query takes one top-level key of the result ({}); '{}' is not one",
                result.empty() ? "none" : result.begin().key(), output.query);
            return ec2_status::kUsage;
        }
        value = &result[output.query];
        if (output.query == "KeyMaterial")
            protect_regular_stdout();
    }
    if (output.format == "json") {
        fmt::print("{}\n", value->dump(4));
    } else if (output.format == "text") {
        if (value->is_structured()) {
            log::error(
                "twinbox ec2: --output text is supported with --query KEY only; use json or table");
            return ec2_status::kUsage;
        }
        fmt::print("{}\n", scalar_text(*value));
    } else {
        print_table_rows(*value, output.query.empty() ? "Result" : output.query);
    }
    return 0;
}

int report_ec2(std::string_view operation, const Error& error) {
    std::string code = cloud::aws_error_code(error);
    if (code.empty()) {
        log::error("{}", error.to_string());
        return ec2_status::kFailed;
    }
    fmt::print(stderr, "An error occurred ({}) when calling the {} operation: {}\n", code,
               operation, error.context());
    return ec2_status::kServiceError;
}

Result<std::string> read_blob_argument(const std::string& value, std::string_view flag) {
    for (std::string_view scheme : {"fileb://", "file://"})
        if (value.starts_with(scheme))
            return read_text_file(value.substr(scheme.size()), flag, 64 << 10);
    return value;
}

void register_ec2(CLI::App& app, int& exit_code) {
    CLI::App* ec2 = app.add_subcommand(
        "ec2", "EC2's verbs on this machine: instances, key pairs, instance types, AMIs");
    ec2->require_subcommand(1);
    ec2->footer(
        "Exit status: 252 usage error, 254 error from the service (AWS's code), 255 twinbox failed.");
    register_ec2_key_pairs(*ec2, exit_code);
    register_ec2_instance_types(*ec2, exit_code);
    register_ec2_instances(*ec2, exit_code);
    register_ec2_instance_states(*ec2, exit_code);
    register_ec2_images(*ec2, exit_code);
    register_ec2_security_groups(*ec2, exit_code);
    register_ec2_network_acls(*ec2, exit_code);
    register_ec2_vpcs(*ec2, exit_code);
}

}  // namespace twinbox::cli
