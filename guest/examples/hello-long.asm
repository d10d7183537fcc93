; hello-long.asm: a flat binary that starts directly in 64-bit long mode.
;
;   twinbox vm run --flat hello-long.bin --mode long
;
; A real PC starts in 16-bit real mode and its boot code must build a GDT and
; page tables and switch through protected mode to reach long mode (Intel SDM
; Vol. 3A, section 9.8.5). twinbox does all of that before the first guest
; instruction: it loads this file at guest-physical 0x100000 (1 MiB), sets up
; flat 64-bit segments and page tables that map the first 4 GiB one-to-one
; (virtual address = physical address), and starts the vCPU here with a stack
; below 0x9000. So this program can use 64-bit registers right away.
;
; Build: nasm -f bin -o hello-long.bin hello-long.asm

bits 64
org 0x100000                    ; the load address, for the RIP-relative lea below

; COM1 Transmitter Holding Register (PC16550D data sheet, Table II): a byte
; written to I/O port 0x3f8 goes out on the serial line.
COM1_DATA       equ 0x3f8

; isa-debug-exit (as in QEMU): writing V to port 0xf4 ends the VM, and the VMM
; exits with status (V << 1) | 1.
DEBUG_EXIT_PORT equ 0xf4

start:
    cli
    lea rsi, [rel message]      ; RIP-relative: works wherever the code runs
    mov dx, COM1_DATA
    cld

print:
    lodsb                       ; al = [rsi], rsi = rsi + 1
    test al, al                 ; zero byte ends the string
    jz done
    out dx, al                  ; each `out` is one exit to the VMM
    jmp print

done:
    ; Value 0: twinbox exits with status (0 << 1) | 1 = 1, the "success"
    ; convention of QEMU test kernels.
    xor eax, eax
    out DEBUG_EXIT_PORT, al

hang:                           ; only reached without a debug-exit port
    hlt
    jmp hang

message:
    db "Hello from long mode!", 10, 0
