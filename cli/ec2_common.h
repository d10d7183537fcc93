// What the `twinbox ec2` verbs share: the AWS CLI's --output and --query
// flags, its JSON layout, and its error line and exit statuses:
//   0    success
//   252  usage error (a bad or missing flag), as the AWS CLI
//   254  the service refused the request: "An error occurred (CODE) when
//        calling the OPERATION operation: MESSAGE", as the AWS CLI
//   255  twinbox itself failed (the state store cannot be written...)
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cli {

namespace ec2_status {
inline constexpr int kUsage = 252;
inline constexpr int kServiceError = 254;
inline constexpr int kFailed = 255;
}  // namespace ec2_status

struct Ec2Output {
    std::string format = "json";  // json | table | text
    std::string query;            // only a top-level key ("KeyMaterial")
};
void add_output_flags(CLI::App& verb, Ec2Output& output);

// Prints `result` as the flags ask; returns the exit status (252 for a
// --query or --output this CLI does not support).
int print_result(const nlohmann::json& result, const Ec2Output& output);

// Prints the error line for `operation` ("DescribeKeyPairs") and returns 254
// (an AWS error code) or 255 (twinbox's own failure).
int report_ec2(std::string_view operation, const Error& error);

// A blob argument as the AWS CLI reads it: fileb://F or file://F is the
// file's contents, anything else the text itself.
Result<std::string> read_blob_argument(const std::string& value, std::string_view flag);

// Runs `body` against the default state store (cloud/state_store.h); its
// error becomes the AWS CLI's line, its value is the exit status (print_result's).
template <typename Body>
int with_store(std::string_view operation, Body body) {
    auto store = cloud::StateStore::open();
    if (!store)
        return report_ec2(operation, store.error());
    Result<int> status = body(*store);
    if (!status)
        return report_ec2(operation, status.error());
    return *status;
}

// Verb groups (cli/ec2_*.cpp).
void register_ec2_key_pairs(CLI::App& ec2, int& exit_code);
void register_ec2_instance_types(CLI::App& ec2, int& exit_code);
void register_ec2_instances(CLI::App& ec2, int& exit_code);
void register_ec2_instance_states(CLI::App& ec2, int& exit_code);
void register_ec2_images(CLI::App& ec2, int& exit_code);
void register_ec2_security_groups(CLI::App& ec2, int& exit_code);
void register_ec2_network_acls(CLI::App& ec2, int& exit_code);
void register_ec2_vpcs(CLI::App& ec2, int& exit_code);

}  // namespace twinbox::cli
