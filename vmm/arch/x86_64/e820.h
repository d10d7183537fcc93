// The BIOS E820 memory map (ACPI 6.5 section 15, "System Address Map
// Interfaces"), as Linux reads it from boot_params and multiboot from its
// mmap buffer. One function builds it from the guest's RAM layout, so every
// loader describes the same machine.
#pragma once

#include <cstdint>
#include <vector>

#include "vmm/memory/guest_memory.h"

namespace twinbox {

enum class E820Type : uint32_t {
    ram = 1,
    reserved = 2,
    acpi = 3,  // ACPI reclaimable: the tables twinbox writes
};

struct E820Entry {
    uint64_t address;
    uint64_t size;
    E820Type type;
};

// RAM below the EBDA, the ACPI/BIOS area as reserved, RAM from 1 MiB to the
// MMIO hole, and RAM above 4 GiB when the guest has more than 3 GiB.
std::vector<E820Entry> build_e820_map(const GuestMemory& memory);

// True when [address, address + size) lies inside one RAM entry of `map`
// (address + size must not wrap; the ELF loaders check that first).
bool is_e820_ram(const std::vector<E820Entry>& map, uint64_t address, uint64_t size);

}  // namespace twinbox
