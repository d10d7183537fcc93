; entry.asm: the Multiboot header and the first instructions of
; hello-multiboot.elf (see hello.c for the rest).
;
; Multiboot Specification version 0.6.96 defines how a boot loader (GRUB,
; QEMU -kernel, twinbox --multiboot) starts a 32-bit kernel: the kernel
; carries a small header near the start of its file (section 3.1), and the
; loader enters it in 32-bit protected mode with paging off, EAX = 0x2BADB002
; and EBX = the physical address of a Multiboot information structure
; (section 3.2).
;
; Build: nasm -f elf32 -o entry.o entry.asm

bits 32

; Section 3.1.1: the header must lie within the first 8192 bytes of the file,
; 32-bit aligned. hello.ld puts the .multiboot section first.
MULTIBOOT_HEADER_MAGIC  equ 0x1BADB002
; Section 3.1.2, flags bit 1: "information on available memory via at least
; the mem_* fields of the Multiboot information structure must be included".
; Bit 16 (load addresses in the header) stays clear: this is an ELF file and
; the loader reads the addresses from its program headers.
MULTIBOOT_HEADER_FLAGS  equ 1 << 1
; Section 3.1.2: magic + flags + checksum must be zero (mod 2^32).
MULTIBOOT_CHECKSUM      equ -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

section .multiboot
align 4
    dd MULTIBOOT_HEADER_MAGIC
    dd MULTIBOOT_HEADER_FLAGS
    dd MULTIBOOT_CHECKSUM

; Section 3.2: "ESP: The OS image must create its own stack as soon as it
; needs one." 4 KiB is plenty for hello.c.
section .bss
align 16
stack_bottom:
    resb 4096
stack_top:

section .text
global _start
extern hello_main

_start:
    cli                         ; section 3.2 promises IF = 0; keep it that way
    mov esp, stack_top
    cld                         ; the C calling convention expects DF = 0
    ; hello_main(magic, info): cdecl passes arguments on the stack, last first.
    push ebx                    ; physical address of the Multiboot information
    push eax                    ; the magic value 0x2BADB002
    call hello_main             ; does not return: it ends the VM

hang:
    hlt
    jmp hang
