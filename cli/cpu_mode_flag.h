// --mode real|protected|long, the CPU mode a --flat guest starts in; shared by
// `twinbox vm run` and `twinbox vm step`.
#pragma once

#include <fmt/core.h>

#include <string>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"

namespace twinbox::cli {

inline Result<CpuMode> parse_cpu_mode(const std::string& text) {
    if (text == "real")
        return CpuMode::real;
    if (text == "long")
        return CpuMode::long64;
    if (text == "protected")
        return CpuMode::protected32;
    return Error::message(fmt::format("--mode {} is not one of real, protected, long", text));
}

}  // namespace twinbox::cli
