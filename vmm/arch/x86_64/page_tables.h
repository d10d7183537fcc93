// Identity page tables for guests entered in long mode: the first 4 GiB of
// guest-physical memory mapped 1:1 with 2 MiB pages (Intel SDM vol. 3A,
// section 4.5 "4-Level Paging", tables 4-15 to 4-18). Long mode cannot be
// entered without paging, and Linux's 64-bit entry needs its own image, the
// zero page and the command line mapped; mapping all of the low 4 GiB covers
// any guest twinbox can place.
#pragma once

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// Writes PML4, PDPT and four page directories at their layout.h addresses; returns CR3.
Result<uint64_t> write_identity_page_tables(const GuestMemory& memory);

}  // namespace twinbox
