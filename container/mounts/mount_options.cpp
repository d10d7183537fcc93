// OCI mount option strings to mount(2) flags (mount(8) "FILESYSTEM-INDEPENDENT MOUNT OPTIONS").
#include "container/mounts/mount_options.h"

#include <sys/mount.h>

#include <string_view>

namespace twinbox::container {

namespace {

struct FlagOption {
    std::string_view name;
    bool clear;  // "rw" clears MS_RDONLY, "suid" clears MS_NOSUID...
    unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

struct PropagationOption {
    std::string_view name;
    unsigned long flag;
    bool recursive;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE, false},       {"rprivate", MS_PRIVATE, true},
    {"shared", MS_SHARED, false},         {"rshared", MS_SHARED, true},
    {"slave", MS_SLAVE, false},           {"rslave", MS_SLAVE, true},
    {"unbindable", MS_UNBINDABLE, false}, {"runbindable", MS_UNBINDABLE, true},
};

}  // namespace

bool MountOptions::readonly() const {
    return (flags & MS_RDONLY) != 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions result;
    for (const std::string& option : options) {
        if (option == "bind" || option == "rbind") {
            result.bind = true;
            result.recursive = result.recursive || option == "rbind";
            continue;
        }
        bool known = false;
        for (const auto& entry : kFlagOptions) {
            if (entry.name == option) {
                result.flags =
                    entry.clear ? (result.flags & ~entry.flag) : (result.flags | entry.flag);
                known = true;
                break;
            }
        }
        for (const auto& entry : kPropagationOptions) {
            if (!known && entry.name == option) {
                result.propagation = entry.flag;
                result.recursive = result.recursive || entry.recursive;
                known = true;
            }
        }
        if (!known)
            result.data += (result.data.empty() ? "" : ",") + option;
    }
    return result;
}

}  // namespace twinbox::container
