// Parsing of the device flags of `twinbox vm run`, kept out of the CLI so that
// unit tests cover every form:
//   --disk FILE[,ro]                       (also ro=on|off, readonly)
//   --net tap[=NAME][,mac=52:54:00:12:34:56]
//   --net bridge=NAME[,mac=...]
//   --net bridge[,mac=...]                 (the default twinbox network, twinbox0)
#pragma once

#include <string_view>

#include "common/result.h"
#include "vmm/machine/vm_config.h"

namespace twinbox {

Result<DiskConfig> parse_disk_option(std::string_view text);
Result<NetConfig> parse_net_option(std::string_view text);
Result<std::array<uint8_t, 6>> parse_mac_address(std::string_view text);

}  // namespace twinbox
