/* container_probe: tries one privileged or filtered operation inside a
 * container and says whether the kernel allowed it, so the integration
 * tests can check that a security layer really blocks it.
 *   container_probe keyctl     the kernel keyring (denied by the default seccomp profile)
 *   container_probe mknod      a character device node (needs CAP_MKNOD)
 *   container_probe sethostname (needs CAP_SYS_ADMIN)
 * Prints "NAME: allowed" (exit 0) or "NAME: denied: <error>" (exit 1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int report(const char* name, long result) {
    if (result < 0) {
        printf("%s: denied: %s\n", name, strerror(errno));
        return 1;
    }
    printf("%s: allowed\n", name);
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: container_probe keyctl|mknod|sethostname\n");
        return 2;
    }
    if (strcmp(argv[1], "keyctl") ==
        0) /* KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create */
        return report("keyctl", syscall(SYS_keyctl, 0, -3, 1));
    if (strcmp(argv[1], "mknod") == 0)
        return report("mknod", mknod("/tmp/probe-null", S_IFCHR | 0600, makedev(1, 3)));
    if (strcmp(argv[1], "sethostname") == 0)
        return report("sethostname", sethostname("probe", 5));
    fprintf(stderr, "container_probe: unknown probe %s\n", argv[1]);
    return 2;
}
