; tick-real.asm: a real-mode guest that runs until it is stopped, making a
; steady trickle of VM exits for `twinbox top`, `twinbox vm pause` and the
; control socket tests (docs/tools.md).
;
;   twinbox vm run --name ticker --flat tick-real.bin --mode real &
;   twinbox top
;
; It programs the two chips a PC BIOS would: the 8259 PIC (IRQ 0 -> vector 8)
; and the 8254 PIT (channel 0 at 20 Hz), installs a timer handler in the
; real-mode interrupt vector table, and then sleeps in HLT. Each timer tick
; writes one '.' to the serial port (one exit to twinbox) and a newline every
; second, so top shows about 21 port-I/O exits per second on "serial" and
; almost no vCPU time. The PIC, the PIT and HLT are emulated inside KVM:
; programming them and sleeping cost no exits to twinbox at all.
;
; Build: nasm -f bin -o tick-real.bin tick-real.asm

bits 16
org 0x7c00

COM1_DATA   equ 0x3f8
PIC1_CMD    equ 0x20            ; 8259A master: command, then data (Intel 8259A data sheet)
PIC1_DATA   equ 0x21
PIC_EOI     equ 0x20            ; OCW2: non-specific end of interrupt
PIT_CH0     equ 0x40            ; 8254 counter 0 (Intel 82C54 data sheet)
PIT_MODE    equ 0x43
PIT_HZ      equ 1193182         ; the PIT's input clock
TICK_HZ     equ 20
TIMER_VECTOR equ 0x08           ; where a PC BIOS puts IRQ 0

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00              ; the stack grows down below the code

    ; Interrupt vector table entry 8: offset, then segment (SDM Vol. 3A, 20.1.4).
    mov word [TIMER_VECTOR * 4], timer
    mov word [TIMER_VECTOR * 4 + 2], 0

    ; Initialise the master PIC: ICW1 (edge, cascade, ICW4 follows), ICW2
    ; (vector base 8), ICW3 (slave on IRQ 2), ICW4 (8086 mode). Then OCW1
    ; masks every line but IRQ 0.
    mov al, 0x11
    out PIC1_CMD, al
    mov al, TIMER_VECTOR
    out PIC1_DATA, al
    mov al, 0x04
    out PIC1_DATA, al
    mov al, 0x01
    out PIC1_DATA, al
    mov al, 0xfe
    out PIC1_DATA, al

    ; PIT counter 0: low then high byte, mode 2 (rate generator), binary.
    mov al, 0x34
    out PIT_MODE, al
    mov ax, PIT_HZ / TICK_HZ
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al

    mov si, banner
    mov dx, COM1_DATA
    cld
print:
    lodsb
    test al, al
    jz idle
    out dx, al
    jmp print

idle:
    sti
    hlt                         ; sleep until the next tick (no exit to twinbox)
    jmp idle

timer:
    push ax
    push dx
    mov dx, COM1_DATA
    mov al, '.'
    out dx, al                  ; one exit to twinbox per tick
    inc byte [ticks]
    cmp byte [ticks], TICK_HZ
    jb .done
    mov byte [ticks], 0
    mov al, 10
    out dx, al                  ; a newline once a second
.done:
    mov al, PIC_EOI
    out PIC1_CMD, al
    pop dx
    pop ax
    iret

ticks:
    db 0
banner:
    db "tick-real: one '.' per timer tick (20 Hz), HLT in between", 10, 0
