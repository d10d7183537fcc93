; hello-real.asm: the smallest twinbox guest. A flat binary that runs in
; 16-bit real mode, the mode an x86 processor starts in (Intel SDM Vol. 3A,
; section 9.1.1). twinbox loads it at guest-physical 0x7c00, where a BIOS
; loads a boot sector, and starts it at CS:IP = 0000:7C00.
;
;   twinbox vm run --flat hello-real.bin --mode real
;
; It prints one line on the serial port and ends the VM. There is no BIOS and
; no operating system: the guest talks to the virtual hardware directly with
; the `out` instruction, and every `out` makes the vCPU exit to twinbox,
; which emulates the device.
;
; Build: nasm -f bin -o hello-real.bin hello-real.asm

bits 16
org 0x7c00                      ; the load address, so `message` below is right

; COM1, the first PC serial port, has its registers at I/O ports 0x3f8-0x3ff.
; Writing a byte to 0x3f8 (the Transmitter Holding Register, PC16550D data sheet,
; Table II) sends that byte. twinbox's UART is always ready, so there is no
; need to poll the Line Status Register first.
COM1_DATA       equ 0x3f8

; QEMU's isa-debug-exit device, which twinbox also provides: writing a value V
; to port 0xf4 ends the VM and the VMM exits with status (V << 1) | 1.
DEBUG_EXIT_PORT equ 0xf4

start:
    cli                         ; no interrupt handlers exist, keep interrupts off
    xor ax, ax
    mov ds, ax                  ; DS = 0 so [si] addresses the message at 0x7cxx
    mov si, message
    mov dx, COM1_DATA
    cld                         ; lodsb counts upwards

print:
    lodsb                       ; al = [ds:si], si = si + 1
    test al, al                 ; the string ends with a zero byte
    jz done
    out dx, al                  ; one character to the serial port (one VM exit)
    jmp print

done:
    ; End the VM. Value 0 gives twinbox exit status (0 << 1) | 1 = 1, which is
    ; how QEMU test kernels report success; a halt would not work, because with
    ; interrupts off and an in-kernel interrupt controller a HLT never returns
    ; to the VMM.
    mov al, 0
    out DEBUG_EXIT_PORT, al

hang:                           ; only reached if the VMM has no debug-exit port
    hlt
    jmp hang

message:
    db "Hello from real mode!", 10, 0
