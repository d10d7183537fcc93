// Disassembles one guest instruction with Capstone, for the exit tracer and
// the single-stepper: "what was the guest doing when it left?"
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace twinbox {

// The decoding width of the vCPU at the moment of the exit.
enum class GuestMode { real16, protected16, protected32, compat32, long64 };

const char* guest_mode_name(GuestMode mode);

struct Instruction {
    std::string text;     // "out dx, al"; "(bad)" when the bytes do not decode
    unsigned length = 0;  // bytes; 0 when undecodable
};

// Loads Capstone now (it is loaded lazily, common/lazy/lazy.h): a tracer
// calls this before its vCPU thread enters the seccomp sandbox, whose
// allow-list has no room for the dynamic loader.
void load_disassembler();

// Decodes the first instruction of `bytes` (at most 15 are looked at).
Instruction disassemble(std::span<const uint8_t> bytes, GuestMode mode, uint64_t address);

}  // namespace twinbox
