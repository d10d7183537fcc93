#include "vmm/kvm/backend.h"

#include <unistd.h>

#include <string>

namespace twinbox {

namespace {
bool module_loaded(const char* name) {
    std::string path = std::string("/sys/module/") + name;
    return ::access(path.c_str(), F_OK) == 0;
}
}  // namespace

KvmBackend detect_kvm_backend() {
    // kvm_pvm is checked first: on a PVM host the hardware modules are absent anyway,
    // and PVM is the one whose limits the user must hear about.
    if (module_loaded("kvm_pvm"))
        return KvmBackend::pvm;
    if (module_loaded("kvm_intel"))
        return KvmBackend::vmx;
    if (module_loaded("kvm_amd"))
        return KvmBackend::svm;
    return KvmBackend::unknown;
}

std::string_view backend_name(KvmBackend backend) {
    switch (backend) {
        case KvmBackend::vmx:
            return "Intel VMX (kvm_intel)";
        case KvmBackend::svm:
            return "AMD SVM (kvm_amd)";
        case KvmBackend::pvm:
            return "PVM (kvm_pvm, software backend without VMX/SVM)";
        case KvmBackend::unknown:
            return "unknown";
    }
    return "unknown";
}

bool backend_boots_linux(KvmBackend backend) {
    return backend != KvmBackend::pvm;
}

}  // namespace twinbox
