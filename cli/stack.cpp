// twinbox stack plan|apply|destroy|refresh|show -f FILE.tf.json [-var NAME=VALUE]...:
// infrastructure as code in Terraform's JSON syntax (cloud/stack/stack.h,
// docs/cloud.md "Stacks"). Flags only; the exit statuses are `twinbox ec2`'s
// (cli/ec2_common.h): 252 a usage error or a stack file refused, 254 the
// cloud refused a request (AWS's code), 255 twinbox failed.
#include "cloud/stack/stack.h"

#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "cli/commands.h"
#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "common/log.h"

namespace twinbox::cli {
namespace {

using StackVerb = Result<void> (*)(const cloud::StateStore&, const cloud::stack::StackOptions&);

struct StackArgs {
    std::string file;
    std::vector<std::string> vars;
};

int run_verb(StackVerb verb, const StackArgs& args) {
    static std::mutex print_mutex;
    cloud::stack::StackOptions options;
    options.file = args.file;
    for (const auto& var : args.vars) {
        size_t equals = var.find('=');
        if (equals == std::string::npos || equals == 0) {
            log::error("twinbox stack: -var takes NAME=VALUE, not '{}'", var);
            return ec2_status::kUsage;
        }
        options.vars[var.substr(0, equals)] = var.substr(equals + 1);
    }
    options.print = [](const std::string& line) {
        std::lock_guard lock(print_mutex);
        fmt::print("{}\n", line);
        std::fflush(stdout);
    };
    auto store = cloud::StateStore::open();
    Result<void> result = store ? verb(*store, options) : Result<void>(store.error());
    if (result)
        return 0;
    std::string code = cloud::aws_error_code(result.error());
    if (!code.empty()) {
        // "aws_instance.web: The image id '[ami-...]' does not exist (InvalidAMIID.NotFound)"
        log::error("{} ({})", result.error().context(), code);
        return ec2_status::kServiceError;
    }
    log::error("{}", result.error().to_string());
    return result.error().exit_status() == ec2_status::kUsage ? ec2_status::kUsage
                                                              : ec2_status::kFailed;
}

void add_verb(CLI::App& stack, int& exit_code, const char* name, const char* help, StackVerb verb,
              bool takes_vars) {
    auto args = std::make_shared<StackArgs>();
    CLI::App* sub = stack.add_subcommand(name, help);
    sub->add_option("-f,--file", args->file,
                    "The stack file, FILE.tf.json (state: FILE.tfstate.json)")
        ->required();
    if (takes_vars)
        sub->add_option("--var", args->vars,
                        "-var NAME=VALUE: a variable's value (repeatable; Terraform's -var)");
    sub->callback([args, verb, &exit_code] { exit_code = run_verb(verb, *args); });
}

}  // namespace

void rewrite_stack_flags(int argc, char** argv) {
    // Terraform spells its flags with one dash (-var, -var-file); CLI11 reads
    // one dash as a one-letter flag, so `-var` becomes `--var` here.
    static std::vector<std::string> rewritten;
    rewritten.reserve(argc);
    if (argc < 2 || std::string_view(argv[1]) != "stack")
        return;
    for (int i = 2; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-var" || arg.starts_with("-var=")) {
            rewritten.push_back("-" + std::string(arg));
            argv[i] = rewritten.back().data();
        }
    }
}

void register_stack(CLI::App& app, int& exit_code) {
    CLI::App* stack = app.add_subcommand(
        "stack", "Infrastructure as code: Terraform's JSON syntax (FILE.tf.json) over the cloud");
    stack->require_subcommand(1);
    stack->footer(
        "Resource types: " + cloud::stack::supported_resource_types() +
        " (docs/cloud.md \"Stacks\").\n"
        "Exit status: 252 usage error or stack file refused, 254 error from the cloud (AWS's "
        "code), 255 twinbox failed.");
    using namespace cloud::stack;
    add_verb(*stack, exit_code, "plan", "Show what apply would change", stack_plan, true);
    add_verb(*stack, exit_code, "apply", "Create, update and replace resources to match the file",
             stack_apply, true);
    add_verb(*stack, exit_code, "destroy", "Destroy every resource of the stack's state",
             stack_destroy, true);
    add_verb(*stack, exit_code, "refresh", "Read every resource back into the state", stack_refresh,
             true);
    add_verb(*stack, exit_code, "show", "Print the stack's state", stack_show, false);
}

}  // namespace twinbox::cli
