// libFuzzer target: the PVH loader's reading of a hostile kernel file
// (vmm/boot/elf.cpp: ELF header, program headers, PT_NOTE notes;
// vmm/boot/pvh.cpp: the Xen entry note, segment placement, start info).
//
// Input layout: the whole input is the kernel file, loaded into a fresh
// 32 MiB guest with a fixed command line and a small initrd. Seeds are
// vmlinux-shaped ELF files (tests/fuzz/corpus/pvh_elf, written by
// tests/fuzz/make_pvh_seeds.py).
//
// The oracle: load_pvh either fails with an error or returns a 32-bit entry
// inside guest RAM with EBX at the start info, whose magic is then in guest
// RAM; has_pvh_entry agrees with a successful load. Any violation aborts;
// AddressSanitizer catches any read outside the input.
//
// Build and run (clang, not in ALL): make fuzz-pvh-elf, then
//   BUILD/tests/fuzz/pvh_elf_fuzz -max_total_time=300 tests/fuzz/corpus/pvh_elf
// The ctest pvh_elf_fuzz_corpus replays the kept corpus with replay_main.cpp.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/pvh.h"
#include "vmm/boot/pvh_start_info.h"
#include "vmm/memory/guest_memory.h"

namespace {

using namespace twinbox;

constexpr uint64_t kMemoryBytes = 32ull << 20;

void check(bool condition) {
    if (!condition)
        std::abort();
}

const GuestMemory& guest_memory() {
    static std::optional<GuestMemory> memory;
    if (!memory) {
        auto created = GuestMemory::create(kMemoryBytes);
        check(created.has_value());
        memory.emplace(std::move(*created));
    }
    return *memory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> kernel(data, size);
    const GuestMemory& memory = guest_memory();
    check(memory.fill(layout::kPvhStartInfoAddress, 0, layout::kPvhStartInfoMax).has_value());
    std::vector<uint8_t> initrd(4096, 0x5a);
    LinuxBootConfig config{kernel, initrd, "console=ttyS0", 0};
    bool detected = has_pvh_entry(kernel);
    auto entry = load_pvh(memory, config);
    if (!entry.has_value())
        return 0;
    check(detected);
    check(entry->mode == CpuMode::protected32);
    check(entry->instruction_pointer < (1ull << 32) &&
          memory.contains(entry->instruction_pointer, 1));
    check(entry->rbx == layout::kPvhStartInfoAddress);
    auto info = memory.read_object<pvh::StartInfo>(layout::kPvhStartInfoAddress);
    check(info.has_value() && info->magic == pvh::kStartMagic);
    return 0;
}
