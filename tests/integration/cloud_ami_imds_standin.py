#!/usr/bin/env python3
"""TEST SCAFFOLDING ONLY: a stand-in for the instance metadata service, so
that tests/integration/cloud_ami.sh can boot the provided AMI's init without
twinbox's real IMDS (cloud/, another part of the project).

Serves, on ADDRESS:80, the few paths the instance init reads, IMDSv2 style:
PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) returns a
token; a GET with that token in X-aws-ec2-metadata-token is answered, a GET
without one gets 401 unless --allow-v1. Every request is logged to LOG.

usage: cloud_ami_imds_standin.py ADDRESS DATA_DIR LOG [--allow-v1] [--no-token]
DATA_DIR holds instance-id, hostname, openssh-key and (optional) user-data.
"""
import http.server
import os
import sys

TOKEN = "standin-token-0123456789"


def main():
    address, data_dir, log_path = sys.argv[1:4]
    allow_v1 = "--allow-v1" in sys.argv
    no_token = "--no-token" in sys.argv
    files = {
        "/latest/meta-data/instance-id": "instance-id",
        "/latest/meta-data/hostname": "hostname",
        "/latest/meta-data/public-keys/0/openssh-key": "openssh-key",
        "/latest/user-data": "user-data",
    }
    log = open(log_path, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            log.write(f"PUT {self.path} ttl={ttl}\n")
            if no_token or self.path != "/latest/api/token":
                return self.reply(405 if no_token else 404)
            if not ttl:
                return self.reply(400)
            self.reply(200, TOKEN.encode())

        def do_GET(self):
            token = self.headers.get("X-aws-ec2-metadata-token")
            log.write(f"GET {self.path} token={'yes' if token == TOKEN else 'no'}\n")
            if token != TOKEN and not allow_v1:
                return self.reply(401)
            name = files.get(self.path)
            path = os.path.join(data_dir, name) if name else None
            if not path or not os.path.exists(path):
                return self.reply(404)
            with open(path, "rb") as f:
                self.reply(200, f.read())

        def log_message(self, *args):
            pass

    http.server.HTTPServer((address, 80), Handler).serve_forever()


if __name__ == "__main__":
    main()
