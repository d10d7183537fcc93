// A hook for the integration test of the sandbox (tests/integration/vm_seccomp.sh):
// TWINBOX_TEST_SECCOMP_VIOLATION=vcpu|eventloop, read once when the first
// machine is built, makes that thread call getppid(2) once after it installed
// its filter. No filter allows getppid, so the VMM must stop with the
// reporter's one line and status 125. Without the sandbox (--no-seccomp) the
// call just runs and does nothing, so the variable is harmless in production.
#pragma once

namespace twinbox::sandbox {

enum class TestViolation { none, vcpu, event_loop };

// The site asked for by the environment (read on the first call).
TestViolation requested_test_violation();

// Makes the forbidden call when `site` is the one asked for.
void run_test_violation(TestViolation site);

}  // namespace twinbox::sandbox
