/*
 * hello.c: a tiny Multiboot kernel in freestanding C (no C library, no
 * operating system). entry.asm sets up a stack and calls hello_main with the
 * values the boot loader left in EAX and EBX (Multiboot Specification
 * 0.6.96, section 3.2).
 *
 *   twinbox vm run --multiboot hello-multiboot.elf --cmdline exit=21
 *
 * It prints a greeting, the command line, the memory sizes and the number of
 * boot modules from the Multiboot information structure, then ends the VM by
 * writing the number given as "exit=N" on its command line (0 if there is
 * none) to the debug-exit port. twinbox then exits with status (N << 1) | 1:
 * 43 for exit=21, 1 without exit=.
 */
#include <stdint.h>

/* Section 3.2: the value a Multiboot-compliant loader puts in EAX. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Section 3.3: bits of multiboot_info.flags saying which fields are valid. */
#define MULTIBOOT_INFO_MEMORY (1u << 0)       /* mem_lower, mem_upper */
#define MULTIBOOT_INFO_COMMAND_LINE (1u << 2) /* cmdline */
#define MULTIBOOT_INFO_MODULES (1u << 3)      /* mods_count, mods_addr */
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)  /* boot_loader_name */

/*
 * Section 3.3, "Boot information format": the structure EBX points to.
 * Addresses in it are 32-bit physical addresses; paging is off, so they can
 * be used as pointers directly. Only the fields up to boot_loader_name are
 * declared, because this program reads no later ones.
 */
struct multiboot_info {
    uint32_t flags;            /* offset 0 */
    uint32_t mem_lower;        /* 4: KiB of memory below 1 MiB */
    uint32_t mem_upper;        /* 8: KiB of memory from 1 MiB to the first hole */
    uint32_t boot_device;      /* 12 */
    uint32_t cmdline;          /* 16: address of a zero-terminated string */
    uint32_t mods_count;       /* 20 */
    uint32_t mods_addr;        /* 24 */
    uint32_t syms[4];          /* 28-40: a.out or ELF symbol information */
    uint32_t mmap_length;      /* 44 */
    uint32_t mmap_addr;        /* 48 */
    uint32_t drives_length;    /* 52 */
    uint32_t drives_addr;      /* 56 */
    uint32_t config_table;     /* 60 */
    uint32_t boot_loader_name; /* 64: address of a zero-terminated string */
};
_Static_assert(sizeof(struct multiboot_info) == 68, "Multiboot 0.6.96 section 3.3 layout");

/* COM1 Transmitter Holding Register (PC16550D data sheet, Table II). */
#define COM1_DATA_PORT 0x3f8
/* isa-debug-exit (as in QEMU): writing V ends the VM with status (V << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

static inline void port_write_byte(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

/* Every byte written to the serial port is one exit to the VMM. */
static void print(const char* text) {
    while (*text != '\0') {
        port_write_byte(COM1_DATA_PORT, (uint8_t)*text);
        ++text;
    }
}

static void print_unsigned(uint32_t value) {
    char digits[10]; /* 4294967295 has ten digits */
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0) {
        port_write_byte(COM1_DATA_PORT, (uint8_t)digits[--count]);
    }
}

/*
 * Returns N from a word "exit=N" in the command line, or 0. Words are
 * separated by spaces; GRUB puts the kernel's file name first, twinbox does
 * not, so the word may be anywhere. Only the low 8 bits reach the port.
 */
static uint8_t exit_value_from(const char* command_line) {
    static const char key[] = "exit=";
    const char* word = command_line;
    while (*word != '\0') {
        int matched = 0;
        while (key[matched] != '\0' && word[matched] == key[matched]) {
            ++matched;
        }
        if (key[matched] == '\0') {
            uint32_t value = 0;
            for (const char* digit = word + matched; *digit >= '0' && *digit <= '9'; ++digit) {
                value = value * 10 + (uint32_t)(*digit - '0');
            }
            return (uint8_t)value;
        }
        while (*word != '\0' && *word != ' ') { /* skip to the next word */
            ++word;
        }
        while (*word == ' ') {
            ++word;
        }
    }
    return 0;
}

/* Marked used because only entry.asm calls it; it never returns. */
__attribute__((used, noreturn)) void hello_main(uint32_t magic, const struct multiboot_info* info) {
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        print("not started by a Multiboot loader (EAX is not 0x2BADB002)\n");
        port_write_byte(DEBUG_EXIT_PORT, 0x7f); /* status 255 */
        for (;;) {
            __asm__ volatile("hlt");
        }
    }

    print("Hello from multiboot!\n");

    const char* command_line = "";
    if (info->flags & MULTIBOOT_INFO_COMMAND_LINE) {
        command_line = (const char*)(uintptr_t)info->cmdline;
    }
    print("command line: ");
    print(command_line);
    print("\n");

    if (info->flags & MULTIBOOT_INFO_MEMORY) {
        print("memory: lower ");
        print_unsigned(info->mem_lower);
        print(" KiB, upper ");
        print_unsigned(info->mem_upper);
        print(" KiB\n");
    }

    print("modules: ");
    print_unsigned((info->flags & MULTIBOOT_INFO_MODULES) ? info->mods_count : 0);
    print("\n");

    if (info->flags & MULTIBOOT_INFO_LOADER_NAME) {
        print("boot loader: ");
        print((const char*)(uintptr_t)info->boot_loader_name);
        print("\n");
    }

    port_write_byte(DEBUG_EXIT_PORT, exit_value_from(command_line));
    for (;;) { /* only reached if the VMM has no debug-exit port */
        __asm__ volatile("hlt");
    }
}
