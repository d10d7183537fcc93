// The structures of the Multiboot Specification version 0.6.96
// (https://www.gnu.org/software/grub/manual/multiboot/): the header a kernel
// embeds in its image (section 3.1.1) and the boot information a loader hands
// it in EBX (section 3.3). All fields are little-endian 32-bit unless noted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace twinbox::multiboot {

// Section 3.1.2: the header's magic field.
inline constexpr uint32_t kHeaderMagic = 0x1BADB002;
// Section 3.2: the value in EAX that tells the kernel a multiboot loader started it.
inline constexpr uint32_t kBootloaderMagic = 0x2BADB002;
// Section 3.1.1: the header lies within the first 8192 bytes of the image, 32-bit aligned.
inline constexpr uint64_t kHeaderSearchLength = 8192;
inline constexpr uint64_t kHeaderAlignment = 4;

// Section 3.1.2, the header's flags. Bits 0-15 are requirements: a loader that
// does not understand one must refuse the kernel. Bits 16-31 are optional.
inline constexpr uint32_t kHeaderPageAlignModules = 1u << 0;  // modules on 4 KiB boundaries
inline constexpr uint32_t kHeaderMemoryInfo = 1u << 1;        // mem_* (and the memory map) wanted
inline constexpr uint32_t kHeaderVideoMode = 1u << 2;         // video mode table wanted
inline constexpr uint32_t kHeaderRequiredMask = 0xffff;
// header_addr..entry_addr are valid (the "a.out kludge" of section 3.1.3).
inline constexpr uint32_t kHeaderAddressFields = 1u << 16;

// Section 3.1.1, "The layout of Multiboot header". Only the first three fields
// are always present; the address fields follow when kHeaderAddressFields is
// set, the graphics fields when kHeaderVideoMode is set.
struct [[gnu::packed]] Header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;       // magic + flags + checksum == 0 (mod 2^32)
    uint32_t header_addr;    // physical address the header's magic is loaded to
    uint32_t load_addr;      // physical address of the first byte loaded
    uint32_t load_end_addr;  // end of the loaded bytes; 0 means the rest of the file
    uint32_t bss_end_addr;   // end of the zero-filled area; 0 means no BSS
    uint32_t entry_addr;     // physical address to jump to
    uint32_t mode_type;
    uint32_t width;
    uint32_t height;
    uint32_t depth;
};
static_assert(sizeof(Header) == 48);
static_assert(offsetof(Header, header_addr) == 12);
static_assert(offsetof(Header, entry_addr) == 28);
static_assert(offsetof(Header, mode_type) == 32);
inline constexpr size_t kHeaderBaseSize = 12;          // magic, flags, checksum
inline constexpr size_t kHeaderAddressFieldsEnd = 32;  // through entry_addr
inline constexpr size_t kHeaderVideoFieldsEnd = 48;    // through depth

// Section 3.3: which fields of Info are valid.
inline constexpr uint32_t kInfoMemory = 1u << 0;  // mem_lower, mem_upper
inline constexpr uint32_t kInfoBootDevice = 1u << 1;
inline constexpr uint32_t kInfoCommandLine = 1u << 2;     // cmdline
inline constexpr uint32_t kInfoModules = 1u << 3;         // mods_count, mods_addr
inline constexpr uint32_t kInfoMemoryMap = 1u << 6;       // mmap_length, mmap_addr
inline constexpr uint32_t kInfoBootLoaderName = 1u << 9;  // boot_loader_name

// Section 3.3, "Boot information format": the structure EBX points to.
struct [[gnu::packed]] Info {
    uint32_t flags;
    uint32_t mem_lower;  // KiB of RAM from 0, up to 640 KiB
    uint32_t mem_upper;  // KiB of RAM from 1 MiB up to the first hole
    uint32_t boot_device;
    uint32_t cmdline;  // physical address of a NUL-terminated string
    uint32_t mods_count;
    uint32_t mods_addr;    // physical address of an array of ModuleEntry
    uint32_t syms[4];      // a.out symbol table or ELF section headers; twinbox gives neither
    uint32_t mmap_length;  // bytes in the memory map buffer
    uint32_t mmap_addr;    // physical address of the first MemoryMapEntry
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;  // physical address of a NUL-terminated string
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;
    uint8_t color_info[6];
};
static_assert(sizeof(Info) == 116);
static_assert(offsetof(Info, cmdline) == 16);
static_assert(offsetof(Info, mods_addr) == 24);
static_assert(offsetof(Info, mmap_length) == 44);
static_assert(offsetof(Info, boot_loader_name) == 64);
static_assert(offsetof(Info, vbe_mode) == 80);
static_assert(offsetof(Info, framebuffer_addr) == 88);

// Section 3.3, "mods_addr": one entry per boot module.
struct [[gnu::packed]] ModuleEntry {
    uint32_t mod_start;  // first byte of the module
    uint32_t mod_end;    // first byte after the module
    uint32_t string;     // physical address of the module's NUL-terminated command line
    uint32_t reserved;   // 0
};
static_assert(sizeof(ModuleEntry) == 16);

// Section 3.3, "mmap_addr": one memory map entry. `size` counts the bytes
// after itself (20), so a kernel can step over entries of future, larger formats.
struct [[gnu::packed]] MemoryMapEntry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;  // 1 available RAM, 3 ACPI, 2 and others reserved
};
static_assert(sizeof(MemoryMapEntry) == 24);
inline constexpr uint32_t kMemoryMapEntrySize = sizeof(MemoryMapEntry) - sizeof(uint32_t);

}  // namespace twinbox::multiboot
