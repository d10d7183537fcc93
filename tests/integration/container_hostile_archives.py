#!/usr/bin/env python3
"""Writes hostile image archives for container_hostile_paths.sh (docs/security.md). Each names a VICTIM file of the test's own temp dir that
the importer must never read:

  docker-layer-link OUT VICTIM   docker save whose layer tar is a symbolic
                                 link to VICTIM (a tar), config matching it
  oci-blob-link OUT VICTIM       OCI layout tar whose layer blob is a link to
                                 VICTIM, its descriptor matching it
  docker-config-link OUT VICTIM  docker save whose config is a link to VICTIM
  docker-config-garbage OUT      docker save whose config is not JSON ("S...")
  docker-fifo OUT                docker save with a FIFO member
  oci-wrong-size OUT WHICH       OCI layout tar, all digests right, the size
                                 of the WHICH descriptor (manifest, config,
                                 layer) one byte too large
  seeds DIR                      small archives for the fuzz corpus
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def small_layer():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        data = b"hello\n"
        info.size = len(data)
        info.mtime = 1700000000
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def config(diff_ids):
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()


class Writer:
    def __init__(self, out):
        self.tar = tarfile.open(out, "w")

    def file(self, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))

    def link(self, name, target):
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self.tar.addfile(info)

    def fifo(self, name):
        info = tarfile.TarInfo(name)
        info.type = tarfile.FIFOTYPE
        self.tar.addfile(info)

    def close(self):
        self.tar.close()


def docker_manifest(w, cfg_name, layers):
    w.file("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": ["hostile:1"],
                                         "Layers": layers}]).encode())


def docker_layer_link(out, victim):
    with open(victim, "rb") as f:
        layer = f.read()
    cfg = config([sha(layer)])
    w = Writer(out)
    w.file("config.json", cfg)
    w.link("l/layer.tar", victim)
    docker_manifest(w, "config.json", ["l/layer.tar"])
    w.close()


def docker_config_link(out, victim):
    w = Writer(out)
    w.link("config.json", victim)
    layer = small_layer()
    w.file("l/layer.tar", layer)
    docker_manifest(w, "config.json", ["l/layer.tar"])
    w.close()


def docker_config_garbage(out):
    w = Writer(out)
    w.file("config.json", b"SECRET-FIRST-BYTE")
    w.file("l/layer.tar", small_layer())
    docker_manifest(w, "config.json", ["l/layer.tar"])
    w.close()


def docker_fifo(out):
    layer = small_layer()
    w = Writer(out)
    w.file("config.json", config([sha(layer)]))
    w.fifo("l/layer.tar")
    docker_manifest(w, "config.json", ["l/layer.tar"])
    w.close()


def oci(out, layer_data=None, layer_link=None, wrong=None):
    """An OCI layout tar with one layer; `wrong` names the descriptor whose
    size is one byte too large."""
    w = Writer(out)
    blobs = {}

    def put(data):
        blobs[sha(data)] = data
        return sha(data)

    def size(which, data):
        return len(data) + (1 if wrong == which else 0)

    layer = layer_data if layer_data is not None else small_layer()
    cfg = config([sha(layer)])
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(cfg), "size": size("config", cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha(layer), "size": size("layer", layer)}],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
        "size": size("manifest", manifest),
        "annotations": {"io.containerd.image.name": "hostile:oci"}}]}).encode()
    w.file("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    w.file("index.json", index)
    for digest, data in blobs.items():
        w.file("blobs/sha256/" + digest[7:], data)
    if layer_link:
        w.link("blobs/sha256/" + sha(layer)[7:], layer_link)
    else:
        w.file("blobs/sha256/" + sha(layer)[7:], layer)
    w.close()


def oci_blob_link(out, victim):
    with open(victim, "rb") as f:
        oci(out, layer_data=f.read(), layer_link=victim)


def seeds(directory):
    os.makedirs(directory, exist_ok=True)
    victim = "/etc/hostname"
    docker_layer_link(directory + "/docker-layer-link.tar", "/dev/null")
    docker_config_link(directory + "/docker-config-link.tar", victim)
    docker_config_garbage(directory + "/docker-config-garbage.tar")
    docker_fifo(directory + "/docker-fifo.tar")
    oci(directory + "/oci-good.tar")
    oci(directory + "/oci-wrong-size.tar", wrong="manifest")
    w = Writer(directory + "/rootfs.tar")
    w.file("etc/hostname", b"seed\n")
    w.close()


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    {
        "docker-layer-link": lambda: docker_layer_link(out, args[0]),
        "oci-blob-link": lambda: oci_blob_link(out, args[0]),
        "docker-config-link": lambda: docker_config_link(out, args[0]),
        "docker-config-garbage": lambda: docker_config_garbage(out),
        "docker-fifo": lambda: docker_fifo(out),
        "oci-wrong-size": lambda: oci(out, wrong=args[0]),
        "oci-good": lambda: oci(out),
        "seeds": lambda: seeds(out),
    }[kind]()
