; exit-loop.asm: the guest of the exit micro-benchmarks (bench/micro). It
; makes one kind of VM exit over and over, so that the host can time exits of
; that kind and nothing else.
;
; One ELF file, started by Multiboot 0.6.96 (twinbox --multiboot, and the
; benchmark binary through twinbox's Machine) or by the Xen PVH entry (QEMU
; -kernel; the PVH_ONLY variant has no Multiboot header, because QEMU
; prefers Multiboot and would boot through an option ROM). Both enter in
; 32-bit protected mode with flat segments (see
; bench/boot/guest/boot-marker.asm for the two protocols).
;
; What to do comes from the command line: the first '@' is followed by a
; kind letter, a space and a decimal count N, e.g. "@c 200". Multiboot's
; command line is at [info + 16] when flag bit 2 is set (Multiboot 0.6.96
; section 3.3); PVH's start_info (magic 0x336ec578) has cmdline_paddr at
; offset 24 (Xen public/arch-x86/hvm/start_info.h).
;
;   kind  loop                                   exits per round
;   o     out dx, al ; jmp                       1 port write to user space
;   i     in al, dx ; jmp                        1 port read to user space
;   w     mov [MMIO], al ; jmp                   1 MMIO write to user space
;   r     mov al, [MMIO] ; jmp                   1 MMIO read to user space
;   c     N x (mov eax,1; cpuid; dec; jnz), out      N CPUID in the kernel + 1 out
;   v     N x (mov eax,1; vmcall; dec; jnz), out     N hypercalls (Intel) + 1 out
;   a     N x (mov eax,1; vmmcall; dec; jnz), out    N hypercalls (AMD) + 1 out
;   n     N x (mov eax,1; nop; dec; jnz), out        the same loop without an exit
;   h     hlt ; jmp                              1 HLT (a VM without in-kernel irqchip)
;   q     N x (out dx, al; dec; jnz), then debug-exit 0x10: N port writes, then the
;         VM ends with status 33 (the QEMU comparison, exit_compare.py)
; Anything else ends the VM through debug-exit with 0x7f (status 255).
;
; The port is COM1's scratch register (16550, offset 7: a byte with no
; effect, PC16550D data sheet Table II), served by the UART model in user
; space by twinbox and QEMU alike. The MMIO address is twinbox's boot-timer
; page (vmm/devices/boot_timer.h): writes of anything but 123 and all reads do
; nothing. KVM hypercall 1 (KVM_HC_VAPIC_POLL_IRQ) returns 0 at once in the
; kernel (Documentation/virt/kvm/x86/hypercalls.rst).

bits 32

%ifndef PVH_ONLY
section .multiboot
align 4
    dd 0x1BADB002               ; Multiboot magic
    dd 0                        ; flags
    dd -0x1BADB002              ; checksum
%endif

section .note.Xen note alloc noexec nowrite align=4
    dd 4
    dd 4
    dd 18                       ; XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd _start

SCRATCH_PORT    equ 0x3ff
MMIO_ADDRESS    equ 0xc0000000
DEBUG_EXIT_PORT equ 0xf4
MULTIBOOT_EAX   equ 0x2BADB002
PVH_MAGIC       equ 0x336ec578
KVM_HC_VAPIC_POLL_IRQ equ 1

section .text
global _start

_start:
    cli
    cld
    ; PVH first: QEMU's PVH loader (microvm) leaves EAX = 0x2BADB002 as well.
    xor esi, esi                ; the command line, 0 when there is none
    cmp dword [ebx], PVH_MAGIC
    jne .multiboot
    mov esi, [ebx + 24]
    jmp .find
.multiboot:
    cmp eax, MULTIBOOT_EAX
    jne .find
    test dword [ebx], 4
    jz .find
    mov esi, [ebx + 16]
.find:
    test esi, esi
    jz bad
.seek:                          ; to the character after '@'
    lodsb
    test al, al
    jz bad
    cmp al, '@'
    jne .seek
    lodsb
    movzx edi, al               ; edi = kind
    xor ebp, ebp                ; ebp = N
.spaces:
    lodsb
    cmp al, ' '
    je .spaces
.digits:
    sub al, '0'
    cmp al, 9
    ja .parsed
    imul ebp, ebp, 10
    movzx eax, al
    add ebp, eax
    lodsb
    jmp .digits
.parsed:
    mov dx, SCRATCH_PORT
    mov ebx, MMIO_ADDRESS
    cmp edi, 'o'
    je out_loop
    cmp edi, 'i'
    je in_loop
    cmp edi, 'w'
    je mmio_write_loop
    cmp edi, 'r'
    je mmio_read_loop
    cmp edi, 'c'
    je cpuid_batch
    cmp edi, 'v'
    je vmcall_batch
    cmp edi, 'a'
    je vmmcall_batch
    cmp edi, 'n'
    je nop_batch
    cmp edi, 'h'
    je hlt_loop
    cmp edi, 'q'
    je count_then_exit
bad:
    mov al, 0x7f
    out DEBUG_EXIT_PORT, al
    jmp halt_forever

out_loop:
    out dx, al
    jmp out_loop

in_loop:
    in al, dx
    jmp in_loop

mmio_write_loop:
    mov [ebx], al
    jmp mmio_write_loop

mmio_read_loop:
    mov al, [ebx]
    jmp mmio_read_loop

hlt_loop:
    hlt
    jmp hlt_loop

; The batches: N in-kernel exits, then one port write that returns to the host.
%macro batch 2                  ; %1 label, %2 the instruction under test
%1:
    mov esi, ebp
    test esi, esi
    jz %%done
%%one:
    mov eax, KVM_HC_VAPIC_POLL_IRQ
    %2
    dec esi
    jnz %%one
%%done:
    mov dx, SCRATCH_PORT
    out dx, al
    jmp %1
%endmacro

batch cpuid_batch, cpuid
batch vmcall_batch, vmcall
batch vmmcall_batch, vmmcall
batch nop_batch, nop

count_then_exit:
    mov esi, ebp
    test esi, esi
    jz .done
.one:
    out dx, al
    dec esi
    jnz .one
.done:
    mov al, 0x10                ; debug-exit: status (0x10 << 1) | 1 = 33
    out DEBUG_EXIT_PORT, al
halt_forever:
    hlt
    jmp halt_forever
