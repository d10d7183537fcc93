"""bench/suite/vm_guest.py and where.py: QEMU argv, libvirt XML, backend, test-host mode."""

import argparse
import json
import os
import unittest
import xml.etree.ElementTree as ElementTree

import fixture  # noqa: F401  (puts bench/ on sys.path)
from suite import host, vm_guest, where

VM = {"kernel": "/boot/vmlinuz-6.1", "initrd": "/b/guest/initramfs.cpio.gz",
      "command_line": "console=ttyS0 reboot=t quiet root=/dev/vda ro init=/.twinbox/init",
      "memory_bytes": 1 << 30, "cpus": 2, "console": "virtio",
      "disks": [{"path": "/s/vmdisks/a,b.ext4", "read_only": True},
                {"path": "/s/vol0.ext4", "read_only": False}],
      "fw_cfg": [{"name": "opt/twinbox/run", "file": "/w/guest-0/fw_cfg0.bin"}]}


def option_values(argv, option):
    return [argv[i + 1] for i, word in enumerate(argv) if word == option]


class QemuArgvTest(unittest.TestCase):
    def test_same_guest_as_twinbox(self):
        argv = vm_guest.qemu_argv(VM, "qemu", "/w/serial.log")
        self.assertEqual(argv[0], "qemu")
        self.assertEqual(option_values(argv, "-M"), ["microvm,acpi=on,rtc=on"])
        self.assertEqual(option_values(argv, "-kernel"), [VM["kernel"]])
        self.assertEqual(option_values(argv, "-initrd"), [VM["initrd"]])
        self.assertEqual(option_values(argv, "-append"), [VM["command_line"]])
        self.assertEqual(option_values(argv, "-m"), ["1024M"])
        self.assertEqual(option_values(argv, "-smp"), ["2"])
        self.assertEqual(option_values(argv, "-serial"), ["file:/w/serial.log"])
        self.assertIn("-no-reboot", argv)

    def test_disks_in_order_commas_doubled_and_fw_cfg(self):
        argv = vm_guest.qemu_argv(VM)
        self.assertEqual(option_values(argv, "-drive"), [
            "id=disk0,file=/s/vmdisks/a,,b.ext4,format=raw,if=none,readonly=on",
            "id=disk1,file=/s/vol0.ext4,format=raw,if=none"])
        self.assertEqual(option_values(argv, "-fw_cfg"),
                         ["name=opt/twinbox/run,file=/w/guest-0/fw_cfg0.bin"])
        devices = option_values(argv, "-device")
        self.assertEqual(devices[:2], ["virtio-blk-device,drive=disk0",
                                       "virtio-blk-device,drive=disk1"])
        self.assertIn("virtconsole,chardev=hvc0", devices)
        self.assertEqual(option_values(argv, "-serial"), ["null"])


class LibvirtXmlTest(unittest.TestCase):
    def test_qemu_domain(self):
        text = vm_guest.libvirt_qemu_xml(VM, "tb<1>", "/w/console.log", "/w/serial.log")
        domain = ElementTree.fromstring(text)
        self.assertEqual(domain.get("type"), "kvm")
        self.assertEqual(domain.findtext("name"), "tb<1>")
        self.assertEqual(domain.findtext("memory"), str(1 << 20))
        self.assertEqual(domain.find("os/type").get("machine"), "microvm")
        self.assertEqual(domain.findtext("os/cmdline"), VM["command_line"])
        self.assertIsNotNone(domain.find("features/acpi"))
        entry = domain.find("sysinfo[@type='fwcfg']/entry")
        self.assertEqual((entry.get("name"), entry.get("file")),
                         ("opt/twinbox/run", "/w/guest-0/fw_cfg0.bin"))
        disks = domain.findall("devices/disk")
        self.assertEqual([d.find("target").get("dev") for d in disks], ["vda", "vdb"])
        self.assertEqual([d.find("readonly") is not None for d in disks], [True, False])
        for disk in disks:
            self.assertEqual(disk.find("address").get("type"), "virtio-mmio")
        console = domain.find("devices/console")
        self.assertEqual((console.get("type"), console.find("target").get("type"),
                          console.find("source").get("path")), ("file", "virtio", "/w/console.log"))
        self.assertEqual(domain.find("devices/serial/source").get("path"), "/w/serial.log")
        self.assertEqual(domain.find("devices/controller[@type='usb']").get("model"), "none")
        self.assertEqual(domain.findtext("on_poweroff"), "destroy")

    def test_lxc_domain(self):
        domain = ElementTree.fromstring(vm_guest.libvirt_lxc_xml(
            "c1", "/w/rootfs", ["/bin/sh", "-c", "a & b"], 1 << 30))
        self.assertEqual(domain.get("type"), "lxc")
        self.assertEqual(domain.findtext("os/init"), "/bin/sh")
        self.assertEqual([e.text for e in domain.findall("os/initarg")], ["-c", "a & b"])
        self.assertEqual(domain.find("devices/filesystem/source").get("dir"), "/w/rootfs")
        self.assertEqual(domain.find("devices/filesystem/target").get("dir"), "/")

    def test_exit_status_from_the_serial_console(self):
        self.assertEqual(vm_guest.guest_exit_status(
            "[ 1.2] x\ntwinbox-init: exit status 0\n[ 9.2] reboot: Power down\n"), 0)
        self.assertEqual(vm_guest.guest_exit_status("twinbox-init: exit status 127\r\n"), 127)
        self.assertIsNone(vm_guest.guest_exit_status("[ 9.2] Kernel panic\n"))
        self.assertIsNone(vm_guest.guest_exit_status(None))


class WhereTest(unittest.TestCase):
    def backend(self, modules, dev=True, model="AMD EPYC", flags="fpu svm"):
        return where.kvm_backend(set(modules), dev, model, flags)

    def test_backends(self):
        self.assertEqual(self.backend({"kvm", "kvm_pvm"}, flags="fpu hypervisor")["kind"], "pvm")
        self.assertEqual(self.backend({"kvm", "kvm_pvm"}, dev=False)["kind"], "none")
        self.assertIn("kvm_pvm", self.backend({"kvm", "kvm_pvm"}, dev=False)["label"])
        self.assertEqual(self.backend({"kvm", "kvm_intel"}, flags="vmx")["label"], "VMX")
        self.assertEqual(self.backend({"kvm_amd"}, flags="svm hypervisor")["label"], "SVM (nested)")
        tcg = self.backend({"kvm_amd"}, model="QEMU TCG CPU version 2.5+", flags="svm hypervisor")
        self.assertEqual((tcg["kind"], tcg["label"], tcg["nested"]),
                         ("hardware", "SVM (nested, emulated by QEMU TCG)", True))
        self.assertEqual(self.backend({"kvm"})["kind"], "unknown")

    def test_host_description(self):
        # The header of every report: this host's CPU (where.cpu_info) and kernel.
        described = host.describe({"python": ["python3", "--version"]})
        model, _ = where.cpu_info()
        self.assertIn(model, json.dumps(described))
        self.assertIn(os.uname().release, json.dumps(described))

    def test_decide(self):
        pvm, svm = {"kind": "pvm"}, {"kind": "hardware"}
        script = "/bin/sh"  # any executable stands for testhost.sh here
        self.assertEqual(where.decide("auto", pvm, script, True), "testhost")
        self.assertEqual(where.decide("auto", svm, script, True), "here")
        self.assertEqual(where.decide("auto", pvm, script, False), "here")
        self.assertEqual(where.decide("auto", pvm, "/no/such/testhost.sh", True), "here")
        self.assertEqual(where.decide("here", pvm, script, True), "here")
        # Only containers and native selected: nothing needs the test host.
        self.assertEqual(where.decide("auto", pvm, script, True, boots_linux=False), "here")
        self.assertEqual(where.decide("testhost", svm, script, True), "testhost")
        with self.assertRaises(ValueError):
            where.decide("testhost", svm, "/no/such/testhost.sh", True)
        with self.assertRaises(ValueError):
            where.decide("testhost", svm, script, False)

    def test_inner_and_testhost_argv(self):
        arguments = argparse.Namespace(twinbox="/b/twinbox", workload="/b/workload", quick=True,
                                       suite="startup", runs=2, timeout=None,
                                       env=["native", "qemu-microvm"])
        inner = where.inner_run_argv("/usr/bin/python3", "/r/run.py", arguments, "/o")
        self.assertEqual(inner[:5], ["env", f"TWINBOX_ROOT={where.INNER_ROOT}",
                                     "/usr/bin/python3", "/r/run.py", "run"])
        for pair in (["--where", "here"], ["--out", "/o"], ["--suite", "startup"],
                     ["--runs", "2"], ["--env", "qemu-microvm"], ["--twinbox", "/b/twinbox"]):
            self.assertIn(pair, [inner[i:i + 2] for i in range(len(inner))])
        self.assertIn("--inside-testhost", inner)
        self.assertIn("--quick", inner)
        self.assertNotIn("--timeout", inner)
        outer = where.testhost_argv("/t/testhost.sh", "/o", 1234, inner)
        self.assertEqual(outer[:7], ["/t/testhost.sh", "--timeout", "1234", "--memory", "3072",
                                     "--share", "/o"])
        self.assertEqual(outer[7:10], ["--", "/bin/sh", "-c"])
        self.assertTrue(outer[10].endswith("/r/run.py run --twinbox /b/twinbox --workload "
                                           "/b/workload --out /o --where here --work "
                                           f"{where.INNER_WORK} --inside-testhost --quick "
                                           "--suite startup --runs 2 --env native --env "
                                           "qemu-microvm"))


if __name__ == "__main__":
    unittest.main()
