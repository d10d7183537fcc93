// The exit statuses twinbox's VMM reports (`twinbox vm run`; also in --help
// and docs/vmm.md). They live in common/ because the VMM's sandbox supervisor
// and seccomp filter, below the machine layer, report them too.
#pragma once

namespace twinbox {

namespace exit_status {
inline constexpr int kGuestPoweredOff = 0;  // guest poweroff, reboot, or Ctrl-A x
inline constexpr int kTwinboxError = 125;   // twinbox failed before or while running the guest
// A signal that stopped twinbox gives 128 + its number (SIGTERM: 143), as shells report it.
inline constexpr int kSignalBase = 128;
}  // namespace exit_status

}  // namespace twinbox
