// Which kernel module implements /dev/kvm: Intel VMX (kvm_intel), AMD SVM
// (kvm_amd), or PVM (kvm_pvm), a software backend for hosts that are
// themselves VMs without nested virtualisation. PVM runs guest ring-3 code
// natively but emulates ring-0 code, so unmodified Linux kernels do not boot
// on it; bare-metal guests do, slowly. twinbox names the backend in `-v`
// output, in errors about unbootable guests and in every benchmark figure.
#pragma once

#include <string_view>

namespace twinbox {

enum class KvmBackend { vmx, svm, pvm, unknown };

// Reads /sys/module to see which backend module is loaded.
KvmBackend detect_kvm_backend();
std::string_view backend_name(KvmBackend backend);
// True when the backend can run an unmodified Linux kernel.
bool backend_boots_linux(KvmBackend backend);

}  // namespace twinbox
