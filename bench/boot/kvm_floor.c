/*
 * kvm_floor.c: the least a KVM virtual machine monitor pays to start and end
 * a VM, as a reference row of the boot benchmark (bench/boot/boot_bench.py).
 *
 * It does what every VMM does before and after running a guest, and nothing
 * else: open /dev/kvm, create a VM (KVM_CREATE_VM), an in-kernel interrupt
 * controller (KVM_CREATE_IRQCHIP) and one vCPU (KVM_CREATE_VCPU), then close
 * them all, which makes the kernel destroy the VM. The calls are those of the
 * KVM API (Linux Documentation/virt/kvm/api.rst, sections 4.1-4.7 and 4.24).
 * A small C program has almost no start-up cost of its own, so its
 * start-to-exit time is the floor under any VMM's on the same machine; on a
 * nested host, creating and destroying the VM is most of it.
 *
 * With an argument (any), it prints how long each step took to stderr.
 * Exit status: 0 on success, 1 when a KVM call failed.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now_milliseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
    (void)argv;
    double opened_at = now_milliseconds();
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        perror("kvm_floor: open /dev/kvm");
        return 1;
    }
    double created_at = now_milliseconds();
    /* Machine type 0: the default VM type on x86 (api.rst 4.2). */
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        perror("kvm_floor: KVM_CREATE_VM");
        return 1;
    }
    double irqchip_at = now_milliseconds();
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
        perror("kvm_floor: KVM_CREATE_IRQCHIP");
        return 1;
    }
    double vcpu_at = now_milliseconds();
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0); /* vCPU id 0 */
    if (vcpu < 0) {
        perror("kvm_floor: KVM_CREATE_VCPU");
        return 1;
    }
    double destroy_at = now_milliseconds();
    /* The last reference to the VM goes with these two descriptors. */
    close(vcpu);
    close(vm);
    double closed_at = now_milliseconds();
    close(kvm);
    if (argc > 1) {
        fprintf(
            stderr,
            "open %.2f ms, KVM_CREATE_VM %.2f ms, KVM_CREATE_IRQCHIP %.2f ms, KVM_CREATE_VCPU %.2f ms, destroying the VM %.2f ms\n",
            created_at - opened_at, irqchip_at - created_at, vcpu_at - irqchip_at,
            destroy_at - vcpu_at, closed_at - destroy_at);
    }
    return 0;
}
