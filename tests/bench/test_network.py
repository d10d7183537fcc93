"""bench/suite/network.py and the network rows of the report: argument
substitution, the --network flag, which environments take part, and how a
skipped cell is reported. (The peer itself runs in test_workload.py and in
the real suite; these need no root.)"""

import json
import os
import tempfile
import unittest

import fixture
from suite import network, report, workloads


class FakeEnv:
    def __init__(self, name, argv):
        self.name, self._argv = name, argv

    def argv(self, args):
        return [*self._argv, *args]


class NetworkTest(unittest.TestCase):
    def test_substitute(self):
        args = workloads.WORKLOADS["net-rr"].args
        self.assertEqual(network.substitute(args, "gateway", 4711),
                         ["net-rr", "--host", "gateway", "--port", "4711", "--seconds", "2"])

    def test_with_network(self):
        self.assertEqual(network.with_network(["tb", "run", "--rm", "img", "/w", "x"]),
                         ["tb", "run", "--network", "bridge", "--rm", "img", "/w", "x"])
        with self.assertRaises(ValueError):
            network.with_network(["unshare", "-m", "crun", "run"])

    def test_unsupported(self):
        for name in ("native", "twinbox-container", "twinbox-vm", "crun", "runc"):
            self.assertIsNone(network.unsupported(FakeEnv(name, [])))
        self.assertIn("network_argv", network.unsupported(FakeEnv("qemu-microvm", [])))
        hooked = FakeEnv("qemu-microvm", [])
        hooked.network_argv = lambda args, path: ["q", path, *args]
        self.assertIsNone(network.unsupported(hooked))

    def test_peer_argv(self):
        peer = network.Peer("/bin/workload", name="tbbench-test")
        peer.port = 5555
        args = list(workloads.WORKLOADS["net-stream"].quick_args)
        native = peer.argv(FakeEnv("native", ["/bin/workload"]), args)
        self.assertEqual(native, ["nsenter", "--net=/run/netns/tbbench-test", "/bin/workload",
                                  "net-stream", "--host", "127.0.0.1", "--port", "5555",
                                  "--seconds", "0.5"])
        container = peer.argv(FakeEnv("twinbox-container", ["tb", "run", "--rm", "img", "/w"]),
                              args)
        self.assertEqual(container[:6], ["nsenter", "--net=/run/netns/tbbench-test", "tb", "run",
                                         "--network", "bridge"])
        self.assertEqual(container[container.index("--host") + 1], "gateway")
        hooked = FakeEnv("qemu-microvm", [])
        hooked.network_argv = lambda args, path: ["q", path, *args]
        self.assertEqual(peer.argv(hooked, ["net-rr", "--port", "{port}"])[:4],
                         ["q", "/run/netns/tbbench-test", "net-rr", "--port"])

    def test_join_namespace(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "config.json")
            with open(path, "w") as config:
                json.dump({"linux": {"namespaces": [{"type": "pid"}, {"type": "network"}]}},
                          config)
            network.join_namespace(path, "/run/netns/x")
            with open(path) as config:
                self.assertEqual(json.load(config)["linux"]["namespaces"],
                                 [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}])

    def test_oci_argv_without_bundle_is_refused(self):
        peer = network.Peer("/bin/workload", name="tbbench-test")
        peer.port, peer.oci_made = 5555, True  # no namespace is made by this test
        env = FakeEnv("crun", ["crun", "run"])
        env.bundles = {}
        with self.assertRaisesRegex(ValueError, "no bundle for net-rr"):
            peer.argv(env, ["net-rr", "--host", "{host}", "--port", "{port}"])
        peer.oci_made = False

    def test_suites(self):
        self.assertEqual(workloads.resolve_suite("network"), ["net-stream", "net-rr"])
        self.assertIn("net-rr", workloads.resolve_suite("full"))
        for name in ("net-stream", "net-rr"):
            self.assertTrue(workloads.WORKLOADS[name].needs_peer)

    def test_skipped_cells_are_reported(self):
        results = fixture.results()
        results["metrics"]["net-rr"] = workloads.metric_table(["net-rr"])["net-rr"]
        results["results"]["net-rr"] = {
            "native": fixture.cell([{"transactions_per_s": 20000.0, "latency_us": 50.0}]),
            "crun": {"runs": [], "failures": [], "status": "skipped",
                     "reason": "crun: no network set-up"}}
        text = report.render(results)
        self.assertIn("| network: 1-byte request/response | transactions/s, higher is better | "
                      "20,000 (1.00) | - |", text)
        self.assertIn("## Not run\n\n- net-rr in crun: crun: no network set-up", text)


if __name__ == "__main__":
    unittest.main()
