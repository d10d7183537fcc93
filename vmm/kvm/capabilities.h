// The KVM capabilities twinbox relies on, checked once at start-up from one
// table, so a missing one is named instead of failing later in an obscure
// ioctl. Model: kvmtool x86/kvm.c kvm_req_ext[].
#pragma once

#include "common/result.h"

namespace twinbox {

class Kvm;

// Returns an error naming the first required capability the host lacks.
Result<void> check_required_capabilities(const Kvm& kvm);

}  // namespace twinbox
