// twinbox build -t NAME:TAG [-f FILE] DIR: a Dockerfile into an image.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/image/builder.h"

namespace twinbox::cli {

void register_build(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<image::BuildOptions>();
    auto build_args = std::make_shared<std::vector<std::string>>();
    CLI::App* build = app.add_subcommand("build", "Build an image from a Dockerfile");
    build->footer(
        "Example:\n  twinbox build -t hello:1 examples/hello\n\n"
        "The Dockerfile subset: FROM RUN COPY ENV ARG WORKDIR USER CMD ENTRYPOINT EXPOSE LABEL\n"
        "(see docs/images.md). Exit status 125 when the build fails; nothing is tagged then.");
    build->add_option("-t,--tag", options->tag, "NAME[:TAG] of the image")->required();
    build->add_option("-f,--file", options->dockerfile, "the Dockerfile (default DIR/Dockerfile)");
    build->add_flag("--no-cache", options->no_cache, "do not reuse layers of earlier builds");
    build->add_option("--build-arg", *build_args, "set an ARG: NAME=VALUE")
        ->allow_extra_args(false);
    build->add_option("DIR", options->context, "the build context directory")->required();
    build->callback([options, build_args, &exit_code] {
        for (const auto& arg : *build_args) {
            auto equals = arg.find('=');
            if (equals == std::string::npos || equals == 0) {
                exit_code =
                    report(Error::message(fmt::format("--build-arg {}: expected NAME=VALUE", arg)));
                return;
            }
            options->build_args[arg.substr(0, equals)] = arg.substr(equals + 1);
        }
        auto store = image::ImageStore::open();
        if (!store) {
            exit_code = report(store.error());
            return;
        }
        auto built = image::build_image(*store, *options);
        exit_code = built ? 0 : report(built.error());
    });
}

}  // namespace twinbox::cli
