// Turning OCI mount options ("nosuid", "ro", "rbind", "mode=755") into the
// flags and data string of mount(2).
//
// config.md "Mounts" lists options as strings; mount(8) documents their
// meaning. Options the kernel takes as MS_* flags become flags; the rest
// ("mode=755", "size=64m", "newinstance") are passed to the file system as
// the data string, comma-separated. Propagation options (private, rslave...)
// need a separate mount(2) call of their own, so they are kept apart.
#pragma once

#include <string>
#include <vector>

namespace twinbox::container {

struct MountOptions {
    unsigned long flags = 0;        // MS_RDONLY | MS_NOSUID | ...
    unsigned long propagation = 0;  // MS_PRIVATE / MS_SLAVE / MS_SHARED / MS_UNBINDABLE
    bool bind = false;              // "bind" or "rbind"
    bool recursive = false;         // "rbind", "rprivate"...
    std::string data;               // "mode=755,size=65536k"
    bool readonly() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace twinbox::container
