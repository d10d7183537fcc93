; boot-marker.asm: the trivial guest of the boot benchmark (bench/boot). It
; prints one marker line on COM1 and ends the VM at once through the
; isa-debug-exit port, so that "start to exit" measures the VMM and almost
; nothing else.
;
; One ELF file that two boot protocols can start, so that twinbox and QEMU
; run byte-for-byte the same guest code:
;   - Multiboot Specification 0.6.96 (twinbox --multiboot): a header in the
;     first 8192 bytes (section 3.1); entry in 32-bit protected mode, paging
;     off, EAX = 0x2BADB002 (section 3.2).
;   - Xen PVH direct boot ABI (QEMU -kernel, also on -M microvm): an ELF note
;     XEN_ELFNOTE_PHYS32_ENTRY carrying the 32-bit physical entry address
;     (Xen public/elfnote.h; docs/misc/pvh.pandoc "Boot protocol"); entry in
;     32-bit protected mode, paging off, EBX = start_info address.
; Both protocols give flat 4 GiB code and data segments, so the code below
; needs nothing from either loader: no stack, no memory, no boot information.
;
; Build (bench/CMakeLists.txt): nasm -f elf32, then link with boot-marker.ld.
; Variants, chosen with nasm -D:
;   PVH_ONLY     no Multiboot header (for QEMU, which prefers Multiboot when
;                it finds both and would then boot through an option ROM);
;   HALT_AT_END  halt for good after the marker instead of ending the VM, so
;                that the benchmark can look at the VMM's memory while the VM
;                still exists (boot_bench.py, guest RAM resident).

bits 32

; Multiboot 0.6.96 section 3.1.1: magic, flags, checksum; the sum is zero.
; No flags: this guest needs neither aligned modules nor memory information,
; and bit 16 (addresses in the header) stays clear because this is an ELF
; file whose program headers give the load addresses.
MULTIBOOT_HEADER_MAGIC  equ 0x1BADB002
MULTIBOOT_HEADER_FLAGS  equ 0
MULTIBOOT_CHECKSUM      equ -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

%ifndef PVH_ONLY
section .multiboot
align 4
    dd MULTIBOOT_HEADER_MAGIC
    dd MULTIBOOT_HEADER_FLAGS
    dd MULTIBOOT_CHECKSUM
%endif

; Xen public/elfnote.h: note type 18, "the physical address of the 32-bit
; PVH entry point". An ELF note (System V ABI, "Note Section") is namesz,
; descsz, type, then the name and the descriptor, each padded to 4 bytes.
XEN_ELFNOTE_PHYS32_ENTRY equ 18

section .note.Xen note alloc noexec nowrite align=4
    dd 4                        ; namesz: "Xen" and its terminating NUL
    dd 4                        ; descsz: one 32-bit address
    dd XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd _start

; COM1's Transmitter Holding Register (PC16550D data sheet, Table II).
COM1_DATA_PORT  equ 0x3f8
; isa-debug-exit (QEMU hw/misc/debugexit.c; twinbox vmm/devices/debug_exit.h):
; a write of V ends the VM with exit status (V << 1) | 1.
DEBUG_EXIT_PORT equ 0xf4
; The value this guest writes: both VMMs then exit with (0x10 << 1) | 1 = 33,
; which the harness checks, so a run that failed in another way is not timed
; as a success.
EXIT_VALUE      equ 0x10

section .rodata
marker:
    db "twinbox-bench: guest up", 10
marker_length equ $ - marker

section .text
global _start

; Each OUT is one exit to the VMM. The transmitter is not polled (LSR bit 5):
; both VMMs' 16550 models send a byte the moment it is written, and a poll
; would add one more exit per character to both sides alike.
_start:
    cli
    cld
    mov esi, marker
    mov ecx, marker_length
    mov dx, COM1_DATA_PORT
    rep outsb
%ifndef HALT_AT_END
    mov al, EXIT_VALUE
    out DEBUG_EXIT_PORT, al
%endif
.hang:                          ; interrupts are off: HLT waits for good
    hlt
    jmp .hang
