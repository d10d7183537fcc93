"""bench/workload: every subcommand prints one JSON line; bad input exits 2.

The workload binary comes from $BENCH_WORKLOAD (set by CMake). These check
that the numbers are there and plausible in kind (positive, the sieve's
prime count is checked inside the workload), never how fast they are.
"""

import json
import os
import select
import socket
import subprocess
import tempfile
import unittest

WORKLOAD = os.environ.get("BENCH_WORKLOAD", "")

SUBCOMMANDS = {
    "cpu": (["--iterations", "1"], ["sieve_per_s", "matmul_mflops"]),
    "stream": (["--iterations", "1", "--size-mib", "4"],
               ["copy_mb_s", "scale_mb_s", "add_mb_s", "triad_mb_s"]),
    "gups": (["--iterations", "1", "--size-mib", "4"], ["mups"]),
    "syscall": (["--iterations", "1"], ["getpid_ns", "pipe_rw_ns"]),
    "forkexec": (["--iterations", "2"], ["fork_wait_us", "forkexec_us"]),
    "idle": (["--seconds", "0.05"], ["slept_s", "maxrss_kib"]),
}


def run(*args):
    return subprocess.run([WORKLOAD, *args], capture_output=True, text=True, timeout=120)


@unittest.skipUnless(WORKLOAD, "BENCH_WORKLOAD is not set (ctest sets it)")
class WorkloadTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.access(WORKLOAD, os.X_OK),
                        f"no workload at {WORKLOAD}: build the bench-workload target")

    def check_line(self, result, name, keys):
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        line = json.loads(lines[0])
        self.assertEqual(line["workload"], name)
        for key in keys:
            self.assertGreater(line[key], 0, key)
        return line

    def test_subcommands(self):
        for name, (args, keys) in SUBCOMMANDS.items():
            with self.subTest(name=name):
                self.check_line(run(name, *args), name, keys)

    def test_fileio_creates_and_removes_its_file(self):
        with tempfile.TemporaryDirectory(dir="/var/tmp") as directory:
            line = self.check_line(run("fileio", "--size-mib", "2", "--iterations", "2",
                                       "--dir", directory), "fileio",
                                   ["seq_write_mb_s", "seq_read_mb_s", "rand_read_iops"])
            self.assertIn(line["fs"], ("ext4", "xfs", "btrfs", "tmpfs", "overlay", "other"))
            self.assertIsInstance(line["o_direct"], bool)
            self.assertEqual(os.listdir(directory), [])

    def test_nop(self):
        result = run("nop")
        self.assertEqual((result.returncode, result.stdout), (0, ""))

    def test_bad_input(self):
        for args in (["bogus"], [], ["cpu", "--seconds", "x"], ["cpu", "--seconds", "0"],
                     ["cpu", "--iterations"], ["cpu", "--frobnicate", "1"],
                     ["stream", "--size-mib", "-1"], ["net-rr"], ["net-stream", "--port", "1"],
                     ["net-rr", "--host", "10.0.0", "--port", "1"],
                     ["net-rr", "--host", "127.0.0.1", "--port", "70000"],
                     ["net-stream", "--host", "127.0.0.1", "--port", "0"],
                     ["net-stream", "--host", "127.0.0.1", "--iterations", "3"],
                     ["net-server", "--connections", "0"]):
            with self.subTest(args=args):
                result = run(*args)
                self.assertEqual(result.returncode, 2)
                self.assertEqual(result.stdout, "")
                self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
                self.assertTrue(result.stderr.startswith("workload: "))

    def test_network_on_loopback(self):
        """net-server serves net-stream (2 connections) and net-rr (1), then exits."""
        server = subprocess.Popen([WORKLOAD, "net-server", "--port", "0", "--seconds", "60",
                                   "--connections", "3"], stdout=subprocess.PIPE, text=True)
        try:
            ready, _, _ = select.select([server.stdout], [], [], 10)
            self.assertTrue(ready, "net-server printed nothing within 10 s")
            hello = json.loads(server.stdout.readline())
            self.assertEqual(hello["workload"], "net-server")
            port = str(hello["port"])
            self.assertGreater(hello["port"], 0)
            stream = self.check_line(run("net-stream", "--host", "127.0.0.1", "--port", port,
                                         "--seconds", "0.2"), "net-stream",
                                     ["send_mb_s", "recv_mb_s", "send_bytes", "recv_bytes"])
            self.assertGreater(stream["send_bytes"], 1 << 20)  # loopback moves MBs in 0.2 s
            rr = self.check_line(run("net-rr", "--host", "127.0.0.1", "--port", port,
                                     "--iterations", "500"), "net-rr",
                                 ["transactions_per_s", "latency_us", "p50_us", "p99_us"])
            self.assertEqual(rr["transactions"], 500)
            self.assertLessEqual(rr["p50_us"], rr["p99_us"])
            self.assertEqual(server.wait(timeout=30), 0)  # after its 3 connections
            self.assertEqual(server.stdout.read(), "")
        finally:
            server.kill()
            server.wait()
            server.stdout.close()

    def test_network_peer_not_there(self):
        with socket.socket() as unused:  # a loopback port nobody listens on
            unused.bind(("127.0.0.1", 0))
            port = str(unused.getsockname()[1])
        result = run("net-rr", "--host", "127.0.0.1", "--port", port, "--seconds", "0.1")
        self.assertEqual((result.returncode, result.stdout), (1, ""))
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("cannot connect to the peer 127.0.0.1:", result.stderr)

    def test_fileio_missing_directory_fails_cleanly(self):
        result = run("fileio", "--size-mib", "1", "--dir", "/nonexistent-bench-dir")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot create the file", result.stderr)


if __name__ == "__main__":
    unittest.main()
