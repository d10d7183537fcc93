// `twinbox vm inspect NAME` as text: the reply of {"cmd":"inspect"} laid out
// for a person (memory map, devices, virtio slots, vCPU threads, exits).
// `--json` prints the reply itself.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace twinbox {

// Never throws: fields of the wrong type are shown as "?".
std::string format_vm_inspect(const nlohmann::json& reply);

// 268435456 -> "256 MiB".
std::string format_bytes(uint64_t bytes);

}  // namespace twinbox
