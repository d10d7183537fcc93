// The one place where twinbox prints an error: libraries return Result and
// never print (STYLE.md "Errors"); each subcommand hands its error here.
#pragma once

#include "common/result.h"

namespace twinbox::cli {

// Prints the error as one line on stderr (with its hint) and returns the
// exit status it carries: 125 (Docker's "the engine failed") unless the
// workload could not be executed (126) or found (127); common/exit_codes.h.
int report(const Error& error);

// A command's own exit status, or its error reported.
inline int report_or_status(const Result<int>& result) {
    return result ? result.value() : report(result.error());
}

}  // namespace twinbox::cli
