#!/usr/bin/env python3
"""Security group cost (issue 20 "Performance", docs/cloud.md "Security groups").

TCP throughput and new-connection rate from an "outside" namespace, routed
through a VPC-like router namespace (named as cloud/vpc_names.h names a
VPC's, with a subnet bridge and an instance namespace on a tbi... port), to
the instance, with the instance's group holding 1, 10 or 60 ingress rules
(the rule that matches last, the worst case) against no firewall at all.
The rules are set with `twinbox ec2 authorize-security-group-ingress` in a
private TWINBOX_ROOT. Conditions are interleaved round after round in a
rotating order; each figure is the median (min-max) over the rounds, with
its ratio to "none". Throughput is bench/virtio/netperf.c stream-send;
connection rate is connect()+close() in a loop for --seconds. Needs root.

usage: sg_bench.py --twinbox BIN --netperf BIN [--rounds N] [--seconds S]
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PORT = 5201
CONNECT_PORT = 5202
CONDITIONS = ("none", "1", "10", "60")


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kwargs)


def hex17():
    return secrets.token_hex(9)[:17]


CONNECT_LOOP = """
import socket, struct, sys, time
end = time.monotonic() + float(sys.argv[2]); count = 0
while time.monotonic() < end:
    s = socket.create_connection((sys.argv[1], %d), timeout=2)
    # An abortive close (RST): no TIME_WAIT, so the client's ports do not run out.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close(); count += 1
print(count / float(sys.argv[2]))
""" % CONNECT_PORT

ACCEPT_LOOP = """
import socket
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", %d)); server.listen(512)
while True:
    connection, _ = server.accept(); connection.close()
""" % CONNECT_PORT


class Vpc:
    def __init__(self, twinbox, root):
        self.twinbox, self.env = twinbox, dict(os.environ, TWINBOX_ROOT=root)
        self.vpc = "vpc-" + hex17()
        self.subnet = "subnet-" + hex17()
        self.instance = "i-" + hex17()
        self.router = "twinbox-" + self.vpc
        self.bridge = ("tbs" + self.subnet[7:])[:15]
        self.port = ("tbi" + self.instance[2:])[:15]
        self.inst, self.out = "sgbench-i-%d" % os.getpid(), "sgbench-o-%d" % os.getpid()
        self.root = root

    def ip(self, *args):
        sh("ip", *args)

    def build(self):
        self.ip("netns", "add", self.router)
        self.ip("netns", "add", self.inst)
        self.ip("netns", "add", self.out)
        r = ["-n", self.router]
        self.ip(*r, "link", "set", "lo", "up")
        self.ip(*r, "link", "add", self.bridge, "type", "bridge")
        self.ip(*r, "addr", "add", "10.0.1.1/24", "dev", self.bridge)
        self.ip(*r, "link", "set", self.bridge, "up")
        sh("ip", "netns", "exec", self.router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.ip(*r, "link", "add", self.port, "type", "veth", "peer", "name", "eth0", "netns", self.inst)
        self.ip(*r, "link", "set", self.port, "master", self.bridge, "up")
        self.ip(*r, "link", "add", "tbbenchout", "type", "veth", "peer", "name", "eth0", "netns", self.out)
        self.ip(*r, "addr", "add", "192.168.77.1/24", "dev", "tbbenchout")
        self.ip(*r, "link", "set", "tbbenchout", "up")
        for ns, address, gateway in ((self.inst, "10.0.1.10/24", "10.0.1.1"),
                                     (self.out, "192.168.77.2/24", "192.168.77.1")):
            self.ip("-n", ns, "link", "set", "lo", "up")
            self.ip("-n", ns, "addr", "add", address, "dev", "eth0")
            self.ip("-n", ns, "link", "set", "eth0", "up")
            self.ip("-n", ns, "route", "add", "default", "via", gateway)

    def ec2(self, *args):
        return json.loads(sh(self.twinbox, "ec2", *args, env=self.env).stdout or "{}")

    def groups(self):
        """One group per rule count, each with N ingress rules, the matching one last."""
        ids = {}
        for count in CONDITIONS[1:]:
            group = self.ec2("create-security-group", "--group-name", "rules" + count,
                             "--description", "bench", "--vpc-id", self.vpc)["GroupId"]
            permissions = [{"IpProtocol": "tcp", "FromPort": 10000 + i, "ToPort": 10000 + i,
                            "IpRanges": [{"CidrIp": "192.168.77.0/24"}]} for i in range(int(count) - 2)]
            for port in (PORT, CONNECT_PORT):
                permissions.append({"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                    "IpRanges": [{"CidrIp": "192.168.77.0/24"}]})
            if count == "1":  # one rule: both ports in one range
                permissions = [{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": CONNECT_PORT,
                                "IpRanges": [{"CidrIp": "192.168.77.0/24"}]}]
            self.ec2("authorize-security-group-ingress", "--group-id", group,
                     "--ip-permissions", json.dumps(permissions))
            ids[count] = group
        record = {"InstanceId": self.instance, "ReservationId": "r-" + hex17(),
                  "ImageId": "ami-" + hex17(), "InstanceType": "t3.micro",
                  "Isolation": "container", "Workload": "sgbench", "VpcId": self.vpc,
                  "SubnetId": self.subnet, "SecurityGroupIds": [ids["1"]], "State": "running",
                  "PrivateIpAddress": "10.0.1.10", "LaunchTime": "2026-12-07T18:00:00.000Z"}
        with open(os.path.join(self.root, "lib", "cloud", "instances.json"), "w") as f:
            json.dump({"Instances": [record]}, f)
        return ids

    def select(self, condition, ids):
        if condition == "none":
            script = ("add table ip twinbox_sg\ndelete table ip twinbox_sg\n"
                      "add table bridge twinbox_sg\ndelete table bridge twinbox_sg\n"
                      "add table inet twinbox_nacl\ndelete table inet twinbox_nacl\n")
            nft_list = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "tests", "integration", "nft_list.py")
            sh("ip", "netns", "exec", self.router, "/usr/bin/python3", nft_list, script)
            return
        sh(self.twinbox, "ec2", "modify-instance-attribute", "--instance-id", self.instance,
           "--groups", ids[condition], env=self.env)

    def destroy(self):
        for ns in (self.inst, self.out, self.router):
            sh("ip", "netns", "del", ns, check=False)


def measure(vpc, netperf, seconds):
    line = sh("ip", "netns", "exec", vpc.out, netperf, "stream-send", "10.0.1.10", str(PORT),
              str(seconds)).stdout
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    mbit = float(fields["mbit_per_s"])
    rate = float(sh("ip", "netns", "exec", vpc.out, "/usr/bin/python3", "-c", CONNECT_LOOP,
                    "10.0.1.10", str(seconds)).stdout)
    return mbit, rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twinbox", required=True)
    parser.add_argument("--netperf", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2)
    args = parser.parse_args()
    if os.getuid() != 0:
        print("sg_bench: needs root", file=sys.stderr)
        return 77
    root = tempfile.mkdtemp(prefix="twinbox-sgbench.")
    vpc = Vpc(os.path.abspath(args.twinbox), root)
    servers = []
    try:
        vpc.build()
        ids = vpc.groups()
        servers.append(subprocess.Popen(["ip", "netns", "exec", vpc.inst, args.netperf, "server", str(PORT)]))
        servers.append(subprocess.Popen(["ip", "netns", "exec", vpc.inst, "/usr/bin/python3", "-c", ACCEPT_LOOP]))
        time.sleep(0.5)
        results = {c: ([], []) for c in CONDITIONS}
        for round_index in range(args.rounds):
            order = CONDITIONS[round_index % 4:] + CONDITIONS[:round_index % 4]
            for condition in order:
                vpc.select(condition, ids)
                mbit, rate = measure(vpc, args.netperf, args.seconds)
                results[condition][0].append(mbit)
                results[condition][1].append(rate)
        base = [statistics.median(results["none"][i]) for i in (0, 1)]
        print("rules  Mbit/s (median, min-max)  ratio   connections/s (median, min-max)  ratio")
        for condition in CONDITIONS:
            t, r = results[condition]
            print("%-5s  %7.0f (%.0f-%.0f)  %5.3f   %7.0f (%.0f-%.0f)  %5.3f" % (
                condition, statistics.median(t), min(t), max(t), statistics.median(t) / base[0],
                statistics.median(r), min(r), max(r), statistics.median(r) / base[1]))
    finally:
        for server in servers:
            server.kill()
            server.wait()
        vpc.destroy()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
