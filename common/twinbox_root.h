// Where twinbox keeps its state on the host (docs/design.md "Defaults"):
//
//   /run/twinbox/        runtime state: containers/<id>/, vms/<name>/ (gone at reboot)
//   /var/lib/twinbox/    storage that outlives a reboot (overlay layers, logs)
//
// TWINBOX_ROOT=DIR moves both under DIR/run and DIR/lib, so that tests (and
// users without root) get a private tree. The container engine and the VM
// registry both derive their directories from here.
#pragma once

#include <string>

namespace twinbox {

// DIR/run with TWINBOX_ROOT=DIR, else /run/twinbox.
std::string twinbox_run_root();
// DIR/lib with TWINBOX_ROOT=DIR, else /var/lib/twinbox.
std::string twinbox_lib_root();

}  // namespace twinbox
