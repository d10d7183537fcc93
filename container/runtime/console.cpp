// Opening a pty inside the container's devpts and making it the controlling terminal.
#include "container/runtime/console.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace twinbox::container {

Result<Console> open_console(const std::string& devpts_dir,
                             const std::optional<oci::ConsoleSize>& size) {
    Console console;
    std::string ptmx = devpts_dir + "/ptmx";
    console.master.reset(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!console.master)
        return Error::from_errno("open", ptmx)
            .with_hint("process.terminal needs a devpts mount at /dev/pts");
    int unlock = 0;
    if (::ioctl(console.master.get(), TIOCSPTLCK, &unlock) < 0)
        return Error::from_errno("ioctl(TIOCSPTLCK)", ptmx);
    int number = 0;
    if (::ioctl(console.master.get(), TIOCGPTN, &number) < 0)
        return Error::from_errno("ioctl(TIOCGPTN)", ptmx);
    console.slave_path = fmt::format("{}/{}", devpts_dir, number);
    // TIOCGPTPEER opens the slave through the master (Linux 4.13), with no
    // path lookup that a container could redirect.
    console.slave.reset(::ioctl(console.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
    if (!console.slave)
        console.slave.reset(::open(console.slave_path.c_str(), O_RDWR | O_NOCTTY));
    if (!console.slave)
        return Error::from_errno("open", console.slave_path);
    if (size && size->width && size->height) {
        struct winsize window {};
        window.ws_row = static_cast<unsigned short>(size->height);
        window.ws_col = static_cast<unsigned short>(size->width);
        ::ioctl(console.master.get(), TIOCSWINSZ, &window);
    }
    return console;
}

Result<void> attach_terminal(int slave) {
    if (::setsid() < 0 && errno != EPERM)
        return Error::from_errno("setsid", "container terminal");
    if (::ioctl(slave, TIOCSCTTY, 0) < 0)
        return Error::from_errno("ioctl(TIOCSCTTY)", "container terminal");
    for (int fd = 0; fd <= 2; ++fd)
        if (::dup2(slave, fd) < 0)
            return Error::from_errno("dup2", "container terminal");
    if (slave > 2)
        ::close(slave);
    return ok();
}

}  // namespace twinbox::container
