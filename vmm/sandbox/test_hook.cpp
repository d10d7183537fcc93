#include "vmm/sandbox/test_hook.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace twinbox::sandbox {

TestViolation requested_test_violation() {
    static const TestViolation site = [] {
        const char* value = std::getenv("TWINBOX_TEST_SECCOMP_VIOLATION");
        std::string_view text = value != nullptr ? value : "";
        if (text == "vcpu")
            return TestViolation::vcpu;
        if (text == "eventloop")
            return TestViolation::event_loop;
        return TestViolation::none;
    }();
    return site;
}

void run_test_violation(TestViolation site) {
    if (site != TestViolation::none && site == requested_test_violation())
        ::syscall(SYS_getppid);  // raw, so no libc caching can hide it
}

}  // namespace twinbox::sandbox
