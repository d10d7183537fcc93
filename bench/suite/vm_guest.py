"""The guest of `twinbox run --isolation vm`, for other VMMs to boot unchanged.

`twinbox bench vm-config --out DIR -m MEM IMAGE CMD...` (workload/vm_backend.h,
write_vm_config) writes what twinbox would boot: DIR/vm.json (kernel,
initrd, command line, memory, vCPUs, the image's cached ext4 disk) and the
guest agent's run configuration (fw_cfg "opt/twinbox/run") as a file. The
QEMU and libvirt baselines boot exactly that, so the kernel, initramfs, disk,
agent (guest/agent/twinbox-init.c) and command line are twinbox's own.

Pure functions here build QEMU's argv and libvirt's domain XML from vm.json
(unit-tested in tests/bench/test_vm_guest.py). The agent writes the
command's output to virtio-console (hvc0) and, with no twinbox exit-status
port (0x604) to write to, "twinbox-init: exit status N" on the serial
console, then powers off through ACPI (QEMU microvm needs acpi=on for that).
"""

import json
import os
import re
import subprocess
from xml.sax.saxutils import escape, quoteattr

EXIT_LINE = re.compile(r"twinbox-init: exit status (\d+)")


def load(twinbox, image, memory, command, out_dir, env=None):
    """Runs `twinbox bench vm-config`; returns vm.json as a dict.

    Raises RuntimeError with twinbox's last output line on failure.
    """
    argv = [twinbox, "bench", "vm-config", "--out", out_dir, "-m", memory, image, *command]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        last = lines[-1] if lines else f"exit status {result.returncode}"
        raise RuntimeError(f"twinbox bench vm-config failed: {last}")
    with open(os.path.join(out_dir, "vm.json")) as config:
        return json.load(config)


def guest_exit_status(serial_text):
    """The command's exit status the agent printed on the serial console, or None."""
    found = EXIT_LINE.findall(serial_text or "")
    return int(found[-1]) if found else None


def _qemu_escape(text):
    """QEMU's option parser takes a doubled comma as a literal comma."""
    return text.replace(",", ",,")


def qemu_argv(vm, qemu="qemu-system-x86_64", serial_log=None, cpu="host"):
    """QEMU microvm booting vm.json's guest with KVM; hvc0 on QEMU's stdout.

    The devices are twinbox's: virtio-blk disks (read-only, vda first),
    virtio-console, fw_cfg with the agent's configuration, the 8250 serial
    console (to `serial_log`), an RTC (without one Linux waits ~7 s), ACPI
    (for the agent's power-off). -no-reboot: reboot=t and panic end QEMU too.
    """
    argv = [qemu, "-M", "microvm,acpi=on,rtc=on", "-accel", "kvm", "-cpu", cpu,
            "-m", f"{vm['memory_bytes'] >> 20}M", "-smp", str(vm["cpus"]),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", vm["kernel"], "-append", vm["command_line"]]
    if vm.get("initrd"):
        argv += ["-initrd", vm["initrd"]]
    argv += ["-serial", f"file:{serial_log}" if serial_log else "null"]
    for index, disk in enumerate(vm["disks"]):
        drive = f"id=disk{index},file={_qemu_escape(disk['path'])},format=raw,if=none"
        if disk.get("read_only"):
            drive += ",readonly=on"
        argv += ["-drive", drive, "-device", f"virtio-blk-device,drive=disk{index}"]
    argv += ["-device", "virtio-serial-device", "-chardev", "stdio,id=hvc0,signal=off",
             "-device", "virtconsole,chardev=hvc0"]
    for entry in vm.get("fw_cfg", []):
        argv += ["-fw_cfg", f"name={entry['name']},file={_qemu_escape(entry['file'])}"]
    return argv


def libvirt_qemu_xml(vm, name, console_log, serial_log, domain_type="kvm"):
    """libvirt domain XML for the same microvm (cf. vmm/machine/libvirt_xml.cpp).

    hvc0 and the serial console go to files; fw_cfg through <sysinfo
    type='fwcfg'> (libvirt 6.5+). Every virtio device sits on virtio-mmio.
    """
    mmio = "      <address type='virtio-mmio'/>\n"
    xml = [f"<domain type='{domain_type}'>\n", f"  <name>{escape(name)}</name>\n",
           f"  <memory unit='KiB'>{vm['memory_bytes'] >> 10}</memory>\n",
           f"  <vcpu>{vm['cpus']}</vcpu>\n", "  <os>\n",
           "    <type arch='x86_64' machine='microvm'>hvm</type>\n",
           f"    <kernel>{escape(vm['kernel'])}</kernel>\n"]
    if vm.get("initrd"):
        xml.append(f"    <initrd>{escape(vm['initrd'])}</initrd>\n")
    xml.append(f"    <cmdline>{escape(vm['command_line'])}</cmdline>\n  </os>\n")
    if vm.get("fw_cfg"):
        xml.append("  <sysinfo type='fwcfg'>\n")
        xml += [f"    <entry name={quoteattr(e['name'])} file={quoteattr(e['file'])}/>\n"
                for e in vm["fw_cfg"]]
        xml.append("  </sysinfo>\n")
    xml.append("  <features>\n    <acpi/>\n  </features>\n")
    xml.append("  <cpu mode='host-passthrough'/>\n" if domain_type == "kvm"
               else "  <cpu mode='maximum'/>\n")
    xml.append("  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
               "  <on_reboot>destroy</on_reboot>\n  <on_crash>destroy</on_crash>\n"
               "  <devices>\n    <controller type='usb' model='none'/>\n")
    for index, disk in enumerate(vm["disks"]):
        xml.append("    <disk type='file' device='disk'>\n"
                   "      <driver name='qemu' type='raw'/>\n"
                   f"      <source file={quoteattr(disk['path'])}/>\n"
                   f"      <target dev='vd{chr(ord('a') + index)}' bus='virtio'/>\n")
        if disk.get("read_only"):
            xml.append("      <readonly/>\n")
        xml.append(mmio + "    </disk>\n")
    xml.append(f"    <serial type='file'>\n      <source path={quoteattr(serial_log)}/>\n"
               "      <target port='0'/>\n    </serial>\n")
    xml.append(f"    <console type='file'>\n      <source path={quoteattr(console_log)}/>\n"
               "      <target type='virtio' port='0'/>\n    </console>\n")
    xml.append("    <controller type='virtio-serial' index='0'>\n" + mmio + "    </controller>\n")
    xml.append("    <memballoon model='none'/>\n  </devices>\n</domain>\n")
    return "".join(xml)


def libvirt_lxc_xml(name, rootfs, argv, memory_bytes):
    """libvirt-lxc domain running argv[0] as init in `rootfs` (crun's root file system).

    The LXC driver accepts only pty consoles, so argv redirects its own output."""
    xml = [f"<domain type='lxc'>\n  <name>{escape(name)}</name>\n",
           f"  <memory unit='KiB'>{memory_bytes >> 10}</memory>\n  <vcpu>1</vcpu>\n",
           f"  <os>\n    <type>exe</type>\n    <init>{escape(argv[0])}</init>\n"]
    xml += [f"    <initarg>{escape(arg)}</initarg>\n" for arg in argv[1:]]
    xml.append("  </os>\n  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
               "  <on_crash>destroy</on_crash>\n  <devices>\n"
               f"    <filesystem type='mount'>\n      <source dir={quoteattr(rootfs)}/>\n"
               "      <target dir='/'/>\n    </filesystem>\n")
    xml.append("    <console type='pty'>\n      <target type='lxc' port='0'/>\n"
               "    </console>\n")
    xml.append("  </devices>\n</domain>\n")
    return "".join(xml)
