// The control socket protocol of a running VM (docs/tools.md, "Control socket").
//
// A client connects to $TWINBOX_ROOT/run/vms/NAME/control.sock (a Unix stream
// socket) and sends one JSON object per line; the VMM answers each with one
// JSON object on one line, in order:
//
//   {"cmd":"stats"}    -> {"ok":true,"state":"running","exits":{...},"vcpus":[...],...}
//   {"cmd":"inspect"}  -> {"ok":true,"memory":{...},"devices":{...},"virtio":[...],...}
//   {"cmd":"pause"}    -> {"ok":true,"state":"paused"}
//   {"cmd":"resume"}   -> {"ok":true,"state":"running"}
//   {"cmd":"stop"}     -> {"ok":true,"state":"stopping"}
//   {"cmd":"powerdown"} -> {"ok":true,"state":"powering-down"}  (presses the ACPI
//                          power button; the guest shuts down on its own)
//   anything else      -> {"error":"..."}
//
// Like QMP (QEMU) and the Cloud Hypervisor API, replies are plain data, so
// `socat - UNIX-CONNECT:.../control.sock` is a client too. This file holds
// the parsing and dispatch, which never touch a VM, so unit tests drive it
// with a recording target; vmm/machine/control_socket.cpp serves it.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox {

// What a control request can ask of a VM. Each call returns the reply's
// fields (without "ok") or an error that becomes {"error": "..."}.
class ControlTarget {
public:
    virtual ~ControlTarget() = default;
    virtual Result<nlohmann::json> stats() = 0;
    virtual Result<nlohmann::json> inspect() = 0;
    virtual Result<nlohmann::json> pause() = 0;
    virtual Result<nlohmann::json> resume() = 0;
    virtual Result<nlohmann::json> stop() = 0;
    virtual Result<nlohmann::json> powerdown() = 0;
};

enum class ControlCommand { stats, inspect, pause, resume, stop, powerdown };

// The longest request line the server accepts; longer ones are answered with
// an error and the connection is closed.
inline constexpr size_t kMaxControlLine = 4096;

// {"cmd":"stats"} -> ControlCommand::stats; a clear error for anything else.
Result<ControlCommand> parse_control_request(std::string_view line);

// One request line in, one reply line out (with its '\n'). Never throws.
std::string handle_control_line(std::string_view line, ControlTarget& target);

// {"error": text} as a reply line.
std::string control_error_line(std::string_view text);

}  // namespace twinbox
