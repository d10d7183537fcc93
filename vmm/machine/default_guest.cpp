#include "vmm/machine/default_guest.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace twinbox {

namespace {

bool readable(const std::string& path) {
    return ::access(path.c_str(), R_OK) == 0;
}

}  // namespace

std::string newest_boot_kernel() {
    std::vector<std::string> kernels;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/boot", error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with("vmlinuz-") && readable(entry.path().string()))
            kernels.push_back(entry.path().string());
    }
    if (kernels.empty())
        return {};
    return *std::max_element(kernels.begin(), kernels.end(),
                             [](const std::string& a, const std::string& b) {
                                 return ::strverscmp(a.c_str(), b.c_str()) < 0;
                             });
}

Result<DefaultGuest> find_default_guest(const std::vector<std::string>& guest_directories) {
    DefaultGuest guest;
    guest.command_line = kDefaultLinuxCommandLine;
    for (const std::string& directory : guest_directories) {
        if (guest.initrd.empty() && readable(directory + "/initramfs.cpio.gz"))
            guest.initrd = directory + "/initramfs.cpio.gz";
        if (guest.kernel.empty() && readable(directory + "/bzImage-twinbox"))
            guest.kernel = directory + "/bzImage-twinbox";
    }
    if (guest.initrd.empty())
        return Error::message("the default guest initramfs (initramfs.cpio.gz) has not been built")
            .with_hint("build twinbox first (cmake --build build), or pass --kernel and --initrd");
    if (guest.kernel.empty())
        guest.kernel = newest_boot_kernel();
    if (guest.kernel.empty())
        return Error::message("no guest kernel found: /boot has no readable vmlinuz-*")
            .with_hint(
                "install Debian's kernel (apt-get install linux-image-amd64) or pass --kernel");
    return guest;
}

}  // namespace twinbox
