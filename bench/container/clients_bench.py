#!/usr/bin/env python3
"""Start-up through real clients: Docker and containerd with runc and twinbox-oci.

Measures the wall time of

  docker run --rm --network none --runtime R IMG true     (dockerd 20.10)
  ctr run --rm --runc-binary B IMG ID true                 (containerd 1.6)

for R/B = runc and twinbox-oci, the four participants interleaved (the
order rotates every round) so that a slow moment of the machine hits each
alike. The image is the busybox root given by --rootfs (docker import, then
docker save | ctr images import). The daemons are this script's own:
private roots, sockets and exec-root in a temp dir, no bridge, no iptables
(the host's network and firewall are never touched); they are stopped by
PID at the end and their mounts, cgroups and files removed. Needs root and
Debian's docker.io and containerd.

Prints median, min and max per participant and twinbox-oci's ratio to
runc's median per client (the issue's target: at most 0.7x), and writes
clients_bench.json and clients_bench.md to --out.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 0.7

# Host paths the daemons create by themselves (dockerd's trust key, the
# shims' sockets and ctr's fifos): removed at the end when they did not
# exist before; directories only while empty (another daemon may use them).
HOST_PATHS = ("/etc/docker/key.json", "/run/containerd", "/run/docker", "/var/lib/docker",
              "/var/lib/containerd")


def package_binary(package, suffix):
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        if line.endswith(suffix):
            return line
    sys.exit(f"clients_bench: {package} is not installed (scripts/install-deps.sh)")


class Daemons:
    """containerd + dockerd under one temp dir, stopped by PID."""

    def __init__(self, twinbox_oci):
        self.work = tempfile.mkdtemp(prefix="twinbox-clients-bench.")
        # The cgroup parent and the containerd namespace (letters, digits, '-').
        self.parent = "twinbox-bench-" + os.urandom(4).hex()
        self.containerd_bin = package_binary("containerd", "bin/containerd")
        self.ctr_bin = package_binary("containerd", "bin/ctr")
        self.docker_bin = package_binary("docker.io", "bin/docker")
        self.dockerd_bin = package_binary("docker.io", "bin/dockerd")
        self.twinbox_oci = twinbox_oci
        self.processes = []
        self.existing = [path for path in HOST_PATHS if os.path.lexists(path)]

    def path(self, name):
        return os.path.join(self.work, name)

    def docker(self, *args):
        return [self.docker_bin, "-H", "unix://" + self.path("docker.sock"), *args]

    def ctr(self, *args):
        return [self.ctr_bin, "--address", self.path("containerd.sock"), "--namespace",
                self.parent, *args]

    def wait_ready(self, argv, what):
        for _ in range(300):
            if subprocess.run(argv, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        sys.exit(f"clients_bench: {what} did not start (logs in {self.work})")

    def start(self):
        os.environ["DOCKER_CONFIG"] = self.path("client")
        with open(self.path("containerd.toml"), "w") as config:
            config.write(f"""version = 2
root = "{self.path('containerd/root')}"
state = "{self.path('containerd/state')}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.path('containerd.sock')}"
[ttrpc]
  address = "{self.path('containerd.sock.ttrpc')}"
""")
        log = open(self.path("containerd.log"), "w")
        self.processes.append(subprocess.Popen(
            [self.containerd_bin, "--config", self.path("containerd.toml")],
            stdout=log, stderr=log))
        self.wait_ready(self.ctr("version"), "containerd")
        with open(self.path("daemon.json"), "w") as config:
            config.write("{}")
        log = open(self.path("dockerd.log"), "w")
        self.processes.append(subprocess.Popen(
            [self.dockerd_bin, "--config-file", self.path("daemon.json"), "--iptables=false",
             "--ip6tables=false", "--bridge=none", "--data-root", self.path("docker"),
             "--exec-root", self.path("docker-exec"), "-H", "unix://" + self.path("docker.sock"),
             "--containerd", self.path("containerd.sock"), "--pidfile", self.path("dockerd.pid"),
             "--cgroup-parent", "/" + self.parent, "--add-runtime",
             "twinbox=" + self.twinbox_oci], stdout=log, stderr=log))
        self.wait_ready(self.docker("version"), "dockerd")

    def load_image(self, rootfs, image):
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(self.docker("import", "-", image), stdin=tar.stdout, check=True,
                       capture_output=True)
        tar.wait()
        save = subprocess.Popen(self.docker("save", image), stdout=subprocess.PIPE)
        subprocess.run(self.ctr("images", "import", "-"), stdin=save.stdout, check=True,
                       capture_output=True)
        save.wait()

    def stop(self):
        subprocess.run(self.docker("container", "prune", "-f"), capture_output=True)
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        # Shims that outlived containerd name our socket on their command line.
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if self.work.encode() in cmdline.read():
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        with open("/proc/self/mountinfo") as mounts:
            points = [line.split()[4] for line in mounts if self.work in line]
        for point in sorted(points, reverse=True):
            subprocess.run(["umount", "-R", point], capture_output=True)
        for hierarchy in os.listdir("/sys/fs/cgroup"):
            parent = os.path.join("/sys/fs/cgroup", hierarchy, self.parent)
            for directory, _, _ in sorted(os.walk(parent), reverse=True):
                try:
                    os.rmdir(directory)
                except OSError:
                    pass
        subprocess.run(["rm", "-rf", self.work])
        for path in HOST_PATHS:
            if path in self.existing or not os.path.lexists(path):
                continue
            if os.path.isdir(path):
                subprocess.run(["find", path, "-depth", "-type", "d", "-empty", "-delete"])
            else:
                os.remove(path)


def timed(argv, timeout):
    start = time.monotonic()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            timeout=timeout)
    elapsed = (time.monotonic() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"clients_bench: {' '.join(argv)} failed: {result.stderr.decode().strip()}")
    return elapsed


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox-oci", required=True, help="the twinbox-oci binary")
    parser.add_argument("--runc", default="/usr/sbin/runc", help="the runc binary")
    parser.add_argument("--rootfs", required=True, help="busybox root to import as the image")
    parser.add_argument("--runs", type=int, default=20, help="rounds (each runs all four)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one run may take")
    parser.add_argument("--out", default="", help="directory for clients_bench.json and .md")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("clients_bench: needs root (it starts containerd and dockerd)")
    twinbox_oci = os.path.abspath(arguments.twinbox_oci)
    daemons = Daemons(twinbox_oci)
    image = "twinbox-bench:latest"
    participants = {
        "docker + runc": lambda i: daemons.docker(
            "run", "--rm", "--network", "none", "--runtime", "runc", image, "true"),
        "docker + twinbox-oci": lambda i: daemons.docker(
            "run", "--rm", "--network", "none", "--runtime", "twinbox", image, "true"),
        "ctr + runc": lambda i: daemons.ctr(
            "run", "--rm", "--runc-binary", arguments.runc, "--runc-root",
            daemons.path("runc-root"), "docker.io/library/" + image, f"r{i}", "true"),
        "ctr + twinbox-oci": lambda i: daemons.ctr(
            "run", "--rm", "--runc-binary", twinbox_oci, "--runc-root",
            daemons.path("twinbox-root"), "docker.io/library/" + image, f"t{i}", "true"),
    }
    names = list(participants)
    times = {name: [] for name in names}
    try:
        daemons.start()
        daemons.load_image(arguments.rootfs, image)
        for name in names:  # warm-up: first runs pay for page cache and lazy setup
            timed(participants[name](-1), arguments.timeout)
        for round_number in range(arguments.runs):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(participants[name](round_number), arguments.timeout))
    finally:
        daemons.stop()
    results = {name: summary(values) for name, values in times.items()}
    ratios = {client: results[f"{client} + twinbox-oci"]["median"] /
              results[f"{client} + runc"]["median"] for client in ("docker", "ctr")}
    lines = ["| participant | median ms | min ms | max ms | runs |", "|---|---|---|---|---|"]
    for name, value in results.items():
        lines.append(f"| {name} | {value['median']:.1f} | {value['min']:.1f} | "
                     f"{value['max']:.1f} | {value['runs']} |")
    lines.append("")
    for client, found in ratios.items():
        verdict = "met" if found <= TARGET_RATIO else "NOT met"
        lines.append(f"- {client}: twinbox-oci / runc median = {found:.2f}x "
                     f"(target <= {TARGET_RATIO}x: {verdict})")
    text = "\n".join(lines)
    print(text)
    if arguments.out:
        os.makedirs(arguments.out, exist_ok=True)
        with open(os.path.join(arguments.out, "clients_bench.json"), "w") as out:
            json.dump({"results": results, "ratios": ratios, "times_ms": times}, out, indent=2)
        with open(os.path.join(arguments.out, "clients_bench.md"), "w") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
