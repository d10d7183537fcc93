// Capstone (capstone-engine.org) wrapper: one instruction per call.
#include "vmm/trace/disassembler.h"

#include <capstone/capstone.h>

#include <algorithm>

namespace twinbox {

const char* guest_mode_name(GuestMode mode) {
    switch (mode) {
        case GuestMode::real16:
            return "real";
        case GuestMode::protected16:
            return "prot16";
        case GuestMode::protected32:
            return "prot32";
        case GuestMode::compat32:
            return "compat";
        case GuestMode::long64:
            return "long";
    }
    return "?";
}

void load_disassembler() {
    (void)cs_version(nullptr, nullptr);
}

Instruction disassemble(std::span<const uint8_t> bytes, GuestMode mode, uint64_t address) {
    cs_mode width = mode == GuestMode::long64                                     ? CS_MODE_64
                    : mode == GuestMode::real16 || mode == GuestMode::protected16 ? CS_MODE_16
                                                                                  : CS_MODE_32;
    csh handle;
    if (cs_open(CS_ARCH_X86, width, &handle) != CS_ERR_OK)
        return {"(capstone unavailable)", 0};
    cs_insn* insn = nullptr;
    size_t size = std::min<size_t>(bytes.size(), 15);  // the longest x86 instruction
    Instruction result{"(bad)", 0};
    if (cs_disasm(handle, bytes.data(), size, address, 1, &insn) == 1) {
        result.text = insn[0].mnemonic;
        if (insn[0].op_str[0] != '\0')
            result.text += std::string(" ") + insn[0].op_str;
        result.length = insn[0].size;
        cs_free(insn, 1);
    }
    cs_close(&handle);
    return result;
}

}  // namespace twinbox
