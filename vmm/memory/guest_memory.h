// GuestMemory: the guest's RAM, and the one bounds-checked way to touch it.
//
// RAM is anonymous host memory, split in up to two regions around the 32-bit
// MMIO hole (see layout.h): [0, min(size, 3 GiB)) and, for larger guests,
// [4 GiB, 4 GiB + rest). Each region becomes one KVM memory slot.
//
// Every reader of guest memory (loaders, ACPI writer, devices, virtqueues)
// goes through slice()/read()/write() below. They check that the whole range
// [gpa, gpa + length) lies inside one RAM region, without integer overflow,
// so a hostile guest address can never make the host touch memory outside
// guest RAM.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "common/mapping.h"
#include "common/result.h"

namespace twinbox {

struct MemoryRegion {
    uint64_t guest_address;  // first guest-physical byte
    uint64_t size;           // bytes
    uint8_t* host;           // where it is mapped in twinbox
};

class GuestMemory {
public:
    // Maps `size` bytes of RAM laid out around the MMIO hole.
    static Result<GuestMemory> create(uint64_t size);

    uint64_t size() const { return m_size; }
    const std::vector<MemoryRegion>& regions() const { return m_regions; }

    // True when [gpa, gpa + length) is entirely RAM within a single region.
    bool contains(uint64_t gpa, uint64_t length) const;

    // The host view of [gpa, gpa + length), or an error naming the range.
    Result<std::span<uint8_t>> slice(uint64_t gpa, uint64_t length) const;

    Result<void> read(uint64_t gpa, std::span<uint8_t> out) const;
    Result<void> write(uint64_t gpa, std::span<const uint8_t> data) const;
    Result<void> fill(uint64_t gpa, uint8_t value, uint64_t length) const;

    // Copies a trivially copyable object out of or into guest memory.
    template <typename T>
    Result<T> read_object(uint64_t gpa) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T object;
        TRY(read(gpa, {reinterpret_cast<uint8_t*>(&object), sizeof(T)}));
        return object;
    }
    template <typename T>
    Result<void> write_object(uint64_t gpa, const T& object) const {
        static_assert(std::is_trivially_copyable_v<T>);
        return write(gpa, {reinterpret_cast<const uint8_t*>(&object), sizeof(T)});
    }

    // The end of RAM below the MMIO hole (where low-memory placement must stop).
    uint64_t low_ram_end() const;

private:
    const MemoryRegion* find(uint64_t gpa, uint64_t length) const;

    uint64_t m_size = 0;
    std::vector<Mapping> m_mappings;
    std::vector<MemoryRegion> m_regions;
};

}  // namespace twinbox
