"""The network workloads' peer and how each environment reaches it.

net-stream and net-rr (bench/workload/workload_net.c) are clients: they
need a peer, `workload net-server`, which the harness runs natively on the
host side. To leave the host's network untouched, the peer runs in a
network namespace made for the run (`ip netns add tbbench-PID`, only `lo`
up), and every client is started in that namespace through `nsenter --net`:

  native             connects to 127.0.0.1 (loopback in the namespace)
  twinbox-container  `twinbox run --network bridge ...`: twinbox makes its
                     bridge twinbox0 inside the namespace; the container
                     connects to its default gateway, the bridge address
                     (10.88.0.1 unless the network was made with another
                     subnet): veth -> bridge -> the peer
  twinbox-vm         the same with --isolation vm: virtio-net -> tap ->
                     bridge -> the peer
  crun, runc         the bundle joins a second namespace made for the run
                     (`tbbench-PID-oci`, its config's network namespace
                     gets that `path`, as CNI does for podman), linked to
                     the peer's by a veth pair 10.123.45.2 <-> 10.123.45.1
                     with the default route via the peer's end: veth -> the
                     peer, no bridge

Deleting the namespaces at the end removes the bridge, veths, taps and
nftables rules made in them; the traffic never leaves them. Environments
without a network set-up here are skipped for these workloads with the
reason.

Another environment can take part by defining
`network_argv(workload_args, netns_path)`, returning the argv that runs the
workload in that namespace with a route to the peer, whose address the
workload finds itself with `--host gateway`, or `None` when it cannot.
"""

import json
import os
import select
import subprocess

from . import environments

PEER_SECONDS = 3600  # the peer's own time limit (the most --seconds takes); the harness
                     # stops it after the workload's last round

# Where each built-in environment's client finds the peer (--host).
HOSTS = {"native": "127.0.0.1", "twinbox-container": "gateway", "twinbox-vm": "gateway",
         "crun": "gateway", "runc": "gateway"}
OCI_RUNTIMES = ("crun", "runc")
# The veth pair between the peer's namespace and the OCI bundles' one.
OCI_PEER_ADDRESS, OCI_ADDRESS, OCI_PREFIX = "10.123.45.1", "10.123.45.2", 24


class PeerError(Exception):
    """The peer could not be started; the message says why."""


def substitute(args, host, port):
    """The workload arguments with {host} and {port} filled in."""
    return [arg.replace("{host}", host).replace("{port}", str(port)) for arg in args]


def with_network(argv):
    """A `twinbox run ...` argv with `--network bridge` right after `run`."""
    if len(argv) < 2 or argv[1] != "run":
        raise ValueError(f"not a twinbox run command line: {argv[:3]}")
    return argv[:2] + ["--network", "bridge"] + argv[2:]


def unsupported(env):
    """Why `env` cannot run the network workloads, or None when it can."""
    if env.name in HOSTS or hasattr(env, "network_argv"):
        return None
    return (f"{env.name}: no network set-up in the suite (define network_argv, "
            f"bench/suite/network.py); skipped")


def join_namespace(config_path, netns_path):
    """Points the network namespace of the OCI config at `config_path` to `netns_path`."""
    with open(config_path) as config_file:
        config = json.load(config_file)
    namespaces = config.get("linux", {}).get("namespaces", [])
    network = [ns for ns in namespaces if ns.get("type") == "network"]
    if not network:
        namespaces.append({"type": "network", "path": netns_path})
    for ns in network:
        ns["path"] = netns_path
    with open(config_path, "w") as config_file:
        json.dump(config, config_file, indent=4)


def _ip(*argv):
    """Runs `ip ARGV`; raises ValueError with its message when it fails."""
    try:
        result = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ValueError(f"ip {' '.join(argv)}: {error}")
    if result.returncode != 0:
        raise ValueError(f"ip {' '.join(argv)} failed: {result.stderr.strip()}")


class Peer:
    """`workload net-server` in a network namespace of its own."""

    def __init__(self, workload, name=None):
        self.workload = workload
        self.name = name or f"tbbench-{os.getpid()}"
        self.path = f"/run/netns/{self.name}"
        self.process, self.port, self.made = None, None, False
        self.oci_name, self.oci_made = f"{self.name}-oci", False

    def start(self, log, timeout=10):
        """Makes the namespace and starts the peer; raises PeerError."""
        for argv in (["ip", "netns", "add", self.name],
                     ["ip", "-n", self.name, "link", "set", "lo", "up"]):
            try:
                result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise PeerError(f"{' '.join(argv)}: {error}")
            if result.returncode != 0:
                raise PeerError(f"{' '.join(argv)} failed: {result.stderr.strip()} "
                                f"(needs root and iproute2)")
            self.made = True
        self.process = subprocess.Popen(
            ["nsenter", f"--net={self.path}", self.workload, "net-server", "--port", "0",
             "--seconds", str(PEER_SECONDS)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().decode(errors="replace") if ready else ""
        if '"port":' not in line:
            if self.process.poll() is not None:
                line += self.process.stderr.read().decode(errors="replace")
            self.stop()
            raise PeerError(f"workload net-server did not start: "
                            f"{' '.join(line.split()) or 'no output'}")
        self.port = int(line.split('"port":')[1].split("}")[0])
        log(f"network peer: workload net-server on port {self.port} in namespace {self.name}")

    def argv(self, env, workload_args):
        """The argv running `workload_args` (with {host}/{port}) in `env` against the peer."""
        hook = getattr(env, "network_argv", None)
        if hook is not None:
            argv = hook(substitute(workload_args, "gateway", self.port), self.path)
            if argv is None:
                raise ValueError(f"{env.name} cannot run the network workloads")
            return argv
        args = substitute(workload_args, HOSTS[env.name], self.port)
        argv = env.argv(args)
        if env.name in OCI_RUNTIMES:
            return self._oci_argv(env, args, argv)
        if env.name != "native":
            argv = with_network(argv)
        return ["nsenter", f"--net={self.path}", *argv]

    def _oci_argv(self, env, args, argv):
        """crun/runc: the run's bundle joins the namespace linked to the peer."""
        self._oci_namespace()
        key = (environments.GUEST_WORKLOAD, *args)
        directory = (getattr(env, "bundles", None) or {}).get(key)
        if not directory:
            raise ValueError(f"{env.name}: no bundle for {' '.join(args)} (network.py expects "
                             f"the OciRuntime of environments.py)")
        join_namespace(os.path.join(directory, "config.json"), f"/run/netns/{self.oci_name}")
        return argv

    def _oci_namespace(self):
        """The bundles' namespace, linked to the peer's by a veth pair (made once)."""
        if self.oci_made:
            return
        _ip("netns", "add", self.oci_name)
        self.oci_made = True
        _ip("-n", self.oci_name, "link", "set", "lo", "up")
        _ip("-n", self.name, "link", "add", "tbb-oci", "type", "veth", "peer", "name", "eth0",
            "netns", self.oci_name)
        _ip("-n", self.name, "addr", "add", f"{OCI_PEER_ADDRESS}/{OCI_PREFIX}", "dev", "tbb-oci")
        _ip("-n", self.name, "link", "set", "tbb-oci", "up")
        _ip("-n", self.oci_name, "addr", "add", f"{OCI_ADDRESS}/{OCI_PREFIX}", "dev", "eth0")
        _ip("-n", self.oci_name, "link", "set", "eth0", "up")
        _ip("-n", self.oci_name, "route", "add", "default", "via", OCI_PEER_ADDRESS)

    def stop(self):
        """Stops the peer and deletes the namespace (and all twinbox made in it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            for stream in (self.process.stdout, self.process.stderr):
                stream.close()
        self.process = None
        if self.oci_made:  # the veth pair goes with it
            subprocess.run(["ip", "netns", "del", self.oci_name], capture_output=True, timeout=30)
            self.oci_made = False
        if self.made:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)
            self.made = False
