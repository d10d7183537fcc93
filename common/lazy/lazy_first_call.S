/* The first call of a lazily loaded function (lazy.h). A stub made by
 * lazy_stubs.py comes here with the function's index pushed and its
 * library's descriptor in r11, the caller's arguments still in their
 * registers (System V x86-64 ABI 3.2.3: rdi rsi rdx rcx r8 r9, xmm0-7, al
 * the vector-register count of a variadic call). They are saved, the
 * function is resolved in C, and the call continues there as if the stub
 * had been the function: the return goes straight back to the caller. */
	.section .note.GNU-stack,"",@progbits
	.text
	.globl twinbox_lazy_first_call
	.hidden twinbox_lazy_first_call
	.type twinbox_lazy_first_call,@function
	.p2align 4
twinbox_lazy_first_call:
	/* rsp is 16-byte aligned here: the caller's return address and the index. */
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %r8
	pushq %r9
	pushq %rax
	/* 7 pushes leave rsp 8 off alignment; 136 = 8 xmm registers + 8 restores it. */
	subq $136, %rsp
	movdqu %xmm0, 0(%rsp)
	movdqu %xmm1, 16(%rsp)
	movdqu %xmm2, 32(%rsp)
	movdqu %xmm3, 48(%rsp)
	movdqu %xmm4, 64(%rsp)
	movdqu %xmm5, 80(%rsp)
	movdqu %xmm6, 96(%rsp)
	movdqu %xmm7, 112(%rsp)
	movq %r11, %rdi
	movq 192(%rsp), %rsi /* the index: 136 + 7 * 8 */
	call twinbox_lazy_resolve
	movq %rax, %r11
	movdqu 0(%rsp), %xmm0
	movdqu 16(%rsp), %xmm1
	movdqu 32(%rsp), %xmm2
	movdqu 48(%rsp), %xmm3
	movdqu 64(%rsp), %xmm4
	movdqu 80(%rsp), %xmm5
	movdqu 96(%rsp), %xmm6
	movdqu 112(%rsp), %xmm7
	addq $136, %rsp
	popq %rax
	popq %r9
	popq %r8
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	addq $8, %rsp /* the index */
	jmp *%r11
	.size twinbox_lazy_first_call,.-twinbox_lazy_first_call
