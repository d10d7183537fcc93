// The Linux x86 boot protocol structures: the setup header found at offset
// 0x1f1 of every bzImage, and the "zero page" (struct boot_params) a boot
// loader hands to the kernel.
//
// Spec: Linux Documentation/arch/x86/boot.rst ("THE REAL-MODE KERNEL HEADER",
// "DETAILS OF HEADER FIELDS", "64-bit BOOT PROTOCOL") and
// Documentation/arch/x86/zero-page.rst, which describe the same layout as
// arch/x86/include/uapi/asm/bootparam.h. Every offset below is checked with a
// static_assert against those tables, so a typo cannot move a field.
#pragma once

#include <cstddef>
#include <cstdint>

namespace twinbox::linux_boot {

// boot.rst: the setup header starts at this file offset (and at this offset of the zero page).
inline constexpr uint64_t kSetupHeaderOffset = 0x1f1;
// boot.rst, boot_flag: the two bytes 0x55 0xaa that end a PC boot sector.
inline constexpr uint16_t kBootFlag = 0xaa55;
// boot.rst, header: the magic "HdrS" as a little-endian 32-bit number.
inline constexpr uint32_t kHeaderMagic = 0x53726448;
// boot.rst, setup_sects: "If this field is 0, the real value is 4."
inline constexpr uint8_t kDefaultSetupSectors = 4;
inline constexpr uint64_t kSectorSize = 512;
// boot.rst, "64-bit BOOT PROTOCOL": the 64-bit entry point is 0x200 bytes into
// the loaded protected-mode kernel.
inline constexpr uint64_t kEntry64Offset = 0x200;
// boot.rst, type_of_loader: "If your boot loader does not have an assigned id, enter 0xFF here".
inline constexpr uint8_t kUndefinedLoader = 0xff;

// boot.rst, field "loadflags" (bits of SetupHeader::loadflags).
// LOADED_HIGH: the protected-mode code loads at 0x100000 (a bzImage, not an old zImage).
inline constexpr uint8_t kLoadedHigh = 1 << 0;
// CAN_USE_HEAP: heap_end_ptr is valid.
inline constexpr uint8_t kCanUseHeap = 1 << 7;

// boot.rst, field "xloadflags" (bits of SetupHeader::xloadflags).
// XLF_KERNEL_64: the kernel has the 64-bit entry point at 0x200.
inline constexpr uint16_t kXlfKernel64 = 1 << 0;

// Protocol versions (boot.rst, "THE LINUX/x86 BOOT PROTOCOL" history), as (major << 8) | minor.
inline constexpr uint16_t kProtocol2_10 = 0x020a;  // pref_address, init_size exist
inline constexpr uint16_t kProtocol2_12 = 0x020c;  // xloadflags exists (XLF_KERNEL_64)
inline constexpr uint16_t kProtocol2_14 = 0x020e;  // acpi_rsdp_addr is honoured

// boot.rst, "Sample boot configuration": a modern loader puts the end of the
// setup heap at 0xe000 bytes past the real-mode code and stores it minus 0x200.
inline constexpr uint16_t kHeapEndPointer = 0xe000 - 0x200;

// zero-page.rst: e820_table holds at most this many entries (E820_MAX_ENTRIES_ZEROPAGE).
inline constexpr size_t kE820MaxEntries = 128;

// boot.rst, "THE REAL-MODE KERNEL HEADER": the table of fields from 0x1f1 to 0x26b.
struct [[gnu::packed]] SetupHeader {
    uint8_t setup_sects;         // 0x1f1 size of the setup code in 512-byte sectors
    uint16_t root_flags;         // 0x1f2 mount root read-only if nonzero
    uint32_t syssize;            // 0x1f4 size of the protected-mode code in 16-byte paragraphs
    uint16_t ram_size;           // 0x1f8 obsolete
    uint16_t vid_mode;           // 0x1fa video mode control
    uint16_t root_dev;           // 0x1fc default root device number
    uint16_t boot_flag;          // 0x1fe 0xaa55
    uint16_t jump;               // 0x200 jump instruction; its second byte gives the header length
    uint32_t header;             // 0x202 "HdrS"
    uint16_t version;            // 0x206 boot protocol version
    uint32_t realmode_swtch;     // 0x208 boot loader hook
    uint16_t start_sys_seg;      // 0x20c obsolete
    uint16_t kernel_version;     // 0x20e pointer to the kernel version string
    uint8_t type_of_loader;      // 0x210 boot loader identifier
    uint8_t loadflags;           // 0x211 boot protocol option flags
    uint16_t setup_move_size;    // 0x212 move to high memory size
    uint32_t code32_start;       // 0x214 32-bit entry point (32-bit protocol only)
    uint32_t ramdisk_image;      // 0x218 initrd load address (low 32 bits)
    uint32_t ramdisk_size;       // 0x21c initrd size (low 32 bits)
    uint32_t bootsect_kludge;    // 0x220 obsolete
    uint16_t heap_end_ptr;       // 0x224 end of the setup heap, minus 0x200
    uint8_t ext_loader_ver;      // 0x226 extended boot loader version
    uint8_t ext_loader_type;     // 0x227 extended boot loader id
    uint32_t cmd_line_ptr;       // 0x228 32-bit pointer to the kernel command line
    uint32_t initrd_addr_max;    // 0x22c highest legal initrd address (inclusive)
    uint32_t kernel_alignment;   // 0x230 physical alignment the kernel needs
    uint8_t relocatable_kernel;  // 0x234 whether the kernel is relocatable
    uint8_t min_alignment;       // 0x235 minimum alignment, as a power of two
    uint16_t xloadflags;         // 0x236 boot protocol option flags (XLF_*)
    uint32_t cmdline_size;       // 0x238 maximum command line length, without the NUL
    uint32_t hardware_subarch;   // 0x23c hardware subarchitecture (0 = PC)
    uint64_t hardware_subarch_data;  // 0x240
    uint32_t payload_offset;         // 0x248 offset of the compressed kernel
    uint32_t payload_length;         // 0x24c length of the compressed kernel
    uint64_t setup_data;             // 0x250 64-bit physical pointer to a setup_data list
    uint64_t pref_address;           // 0x258 preferred load address
    uint32_t init_size;              // 0x260 linear memory needed during initialization
    uint32_t handover_offset;        // 0x264 EFI handover entry offset
    uint32_t kernel_info_offset;     // 0x268 offset of kernel_info
};
static_assert(sizeof(SetupHeader) == 0x26c - kSetupHeaderOffset);

// Offsets within the bzImage file (= within the zero page), as boot.rst lists them.
#define TWINBOX_CHECK_SETUP(field, offset) \
    static_assert(kSetupHeaderOffset + offsetof(SetupHeader, field) == (offset))
TWINBOX_CHECK_SETUP(setup_sects, 0x1f1);
TWINBOX_CHECK_SETUP(syssize, 0x1f4);
TWINBOX_CHECK_SETUP(vid_mode, 0x1fa);
TWINBOX_CHECK_SETUP(boot_flag, 0x1fe);
TWINBOX_CHECK_SETUP(jump, 0x200);
TWINBOX_CHECK_SETUP(header, 0x202);
TWINBOX_CHECK_SETUP(version, 0x206);
TWINBOX_CHECK_SETUP(type_of_loader, 0x210);
TWINBOX_CHECK_SETUP(loadflags, 0x211);
TWINBOX_CHECK_SETUP(code32_start, 0x214);
TWINBOX_CHECK_SETUP(ramdisk_image, 0x218);
TWINBOX_CHECK_SETUP(ramdisk_size, 0x21c);
TWINBOX_CHECK_SETUP(heap_end_ptr, 0x224);
TWINBOX_CHECK_SETUP(cmd_line_ptr, 0x228);
TWINBOX_CHECK_SETUP(initrd_addr_max, 0x22c);
TWINBOX_CHECK_SETUP(kernel_alignment, 0x230);
TWINBOX_CHECK_SETUP(relocatable_kernel, 0x234);
TWINBOX_CHECK_SETUP(xloadflags, 0x236);
TWINBOX_CHECK_SETUP(cmdline_size, 0x238);
TWINBOX_CHECK_SETUP(hardware_subarch, 0x23c);
TWINBOX_CHECK_SETUP(payload_offset, 0x248);
TWINBOX_CHECK_SETUP(setup_data, 0x250);
TWINBOX_CHECK_SETUP(pref_address, 0x258);
TWINBOX_CHECK_SETUP(init_size, 0x260);
TWINBOX_CHECK_SETUP(handover_offset, 0x264);
TWINBOX_CHECK_SETUP(kernel_info_offset, 0x268);
#undef TWINBOX_CHECK_SETUP

// zero-page.rst (struct boot_e820_entry in bootparam.h): one BIOS E820 range.
struct [[gnu::packed]] E820ZeroPageEntry {
    uint64_t address;
    uint64_t size;
    uint32_t type;  // 1 RAM, 2 reserved, 3 ACPI (ACPI 6.5 table 15.1)
};
static_assert(sizeof(E820ZeroPageEntry) == 20);

// zero-page.rst: the 4096-byte struct boot_params. Only the fields a boot
// loader fills in have names; the rest (BIOS-era video, APM, disk and EDD
// information that twinbox leaves zero) are opaque byte arrays of the sizes
// the table gives.
struct [[gnu::packed]] BootParams {
    uint8_t screen_info[0x40];          // 0x000 struct screen_info
    uint8_t apm_bios_info[0x14];        // 0x040 struct apm_bios_info
    uint8_t padding_054[4];             // 0x054
    uint64_t tboot_addr;                // 0x058
    uint8_t ist_info[0x10];             // 0x060 struct ist_info
    uint64_t acpi_rsdp_addr;            // 0x070 physical address of the ACPI RSDP (protocol 2.14+)
    uint8_t padding_078[8];             // 0x078
    uint8_t hd0_info[0x10];             // 0x080 obsolete
    uint8_t hd1_info[0x10];             // 0x090 obsolete
    uint8_t sys_desc_table[0x10];       // 0x0a0 obsolete
    uint8_t olpc_ofw_header[0x10];      // 0x0b0
    uint32_t ext_ramdisk_image;         // 0x0c0 ramdisk_image, high 32 bits
    uint32_t ext_ramdisk_size;          // 0x0c4 ramdisk_size, high 32 bits
    uint32_t ext_cmd_line_ptr;          // 0x0c8 cmd_line_ptr, high 32 bits
    uint8_t padding_0cc[0x13c - 0xcc];  // 0x0cc
    uint32_t cc_blob_address;           // 0x13c confidential computing blob
    uint8_t edid_info[0x80];            // 0x140 struct edid_info
    uint8_t efi_info[0x20];             // 0x1c0 struct efi_info
    uint32_t alt_mem_k;                 // 0x1e0 alternative memory size, in KiB
    uint32_t scratch;                   // 0x1e4 scratch field for the setup code
    uint8_t e820_entries;               // 0x1e8 number of valid entries in e820_table
    uint8_t eddbuf_entries;             // 0x1e9
    uint8_t edd_mbr_sig_buf_entries;    // 0x1ea
    uint8_t kbd_status;                 // 0x1eb
    uint8_t secure_boot;                // 0x1ec
    uint8_t padding_1ed[2];             // 0x1ed
    uint8_t sentinel;  // 0x1ef the kernel checks it to catch loaders that do not zero this page
    uint8_t padding_1f0[1];              // 0x1f0
    SetupHeader hdr;                     // 0x1f1 the setup header, copied from the bzImage
    uint8_t padding_26c[0x290 - 0x26c];  // 0x26c
    uint32_t edd_mbr_sig_buffer[16];     // 0x290
    E820ZeroPageEntry e820_table[kE820MaxEntries];  // 0x2d0
    uint8_t padding_cd0[0x30];                      // 0xcd0
    uint8_t eddbuf[0x1ec];                          // 0xd00 6 x struct edd_info
    uint8_t padding_eec[0x1000 - 0xeec];            // 0xeec
};
static_assert(sizeof(BootParams) == 4096);
static_assert(offsetof(BootParams, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(BootParams, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(BootParams, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(BootParams, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(BootParams, cc_blob_address) == 0x13c);
static_assert(offsetof(BootParams, alt_mem_k) == 0x1e0);
static_assert(offsetof(BootParams, e820_entries) == 0x1e8);
static_assert(offsetof(BootParams, sentinel) == 0x1ef);
static_assert(offsetof(BootParams, hdr) == kSetupHeaderOffset);
static_assert(offsetof(BootParams, edd_mbr_sig_buffer) == 0x290);
static_assert(offsetof(BootParams, e820_table) == 0x2d0);
static_assert(offsetof(BootParams, eddbuf) == 0xd00);

}  // namespace twinbox::linux_boot
