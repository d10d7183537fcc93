#include "cli/report.h"

#include "common/log.h"

namespace twinbox::cli {

int report(const Error& error) {
    log::error("{}", error.to_string());
    return error.exit_status();
}

}  // namespace twinbox::cli
