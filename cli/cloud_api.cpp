// twinbox cloud serve | credentials: the EC2 API (cloud/api/, docs/cloud.md
// "The EC2 API").
//   twinbox cloud serve [--listen 127.0.0.1:4566]
//   twinbox cloud credentials [--profile NAME] [--write-aws-config]
#include "cli/cloud_api.h"

#include <fmt/core.h>

#include "cli/cloud_command.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cloud/api/credentials.h"
#include "cloud/api/server.h"
#include "cloud/instance_json.h"
#include "common/log.h"

namespace twinbox::cli {

namespace {

Result<int> run_serve(const std::string& listen) {
    auto options = TRY(cloud::api::parse_listen(listen));
    auto store = TRY(cloud::StateStore::open());
    options.store_dir = store.dir();
    if (!log::enabled(log::Level::info))
        log::set_level(log::Level::info);
    TRY(cloud::api::serve(options));
    return 0;
}

struct CredentialsOptions {
    std::string profile = "twinbox";
    bool write_aws_config = false;
};

Result<int> run_credentials(const CredentialsOptions& options) {
    auto store = TRY(cloud::StateStore::open());
    auto key = TRY(cloud::api::create_access_key(store));
    fmt::print("AccessKeyId: {}\nSecretAccessKey: {}\nRegion: {}\n", key.access_key_id,
               key.secret_access_key, cloud::kRegion);
    if (options.write_aws_config) {
        auto [credentials, config] =
            TRY(cloud::api::write_aws_profile(key, options.profile, cloud::kRegion));
        fmt::print("Profile {} written to {} and {}\n", options.profile, credentials, config);
    }
    return 0;
}

}  // namespace

void register_cloud_api(CLI::App& app, int& exit_code) {
    CLI::App* cloud = cloud_command(app);
    auto listen = std::make_shared<std::string>(cloud::api::kDefaultListen);
    CLI::App* serve = cloud->add_subcommand(
        "serve", "Serve the EC2 API (aws --endpoint-url http://127.0.0.1:4566 ec2 ...)");
    serve->add_option("--listen", *listen,
                      "ADDRESS:PORT (default 127.0.0.1:4566; port 0 picks one and prints it)");
    serve->callback([listen, &exit_code] { exit_code = report_or_status(run_serve(*listen)); });

    auto options = std::make_shared<CredentialsOptions>();
    CLI::App* credentials =
        cloud->add_subcommand("credentials", "Create an access key for the EC2 API and print it");
    credentials->add_option("--profile", options->profile,
                            "The AWS CLI profile to write (default twinbox)");
    credentials->add_flag("--write-aws-config", options->write_aws_config,
                          "Write the profile to ~/.aws/credentials and ~/.aws/config "
                          "(AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)");
    credentials->callback(
        [options, &exit_code] { exit_code = report_or_status(run_credentials(*options)); });
}

}  // namespace twinbox::cli
