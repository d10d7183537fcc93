#!/usr/bin/env python3
"""Writes test image archives for container_image.sh, by hand, so that the
importer is checked against the formats themselves and not only against
twinbox's own writer:

  docker-save OUT BASE_TAR [arch] [bad-diff-id]
      a `docker save` archive (manifest.json, <hex>.json config, <id>/layer.tar)
      named dsave:1 with three layers: BASE_TAR, one adding /a.txt and
      /dir/{b,keep}.txt, one deleting /a.txt (.wh.a.txt) and making /dir
      opaque (.wh..wh..opq) with only /dir/c.txt
  oci-layout OUT_DIR BASE_TAR [only-arm64]
      an OCI image layout directory: index.json -> an image index (arm64 and
      amd64 manifests) -> manifest -> config + gzip layers
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def tar_bytes(entries):
    """entries: list of (name, data or None for a directory)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layers(base_tar):
    with open(base_tar, "rb") as f:
        base = f.read()
    add = tar_bytes([("a.txt", b"lower a\n"), ("dir", None), ("dir/b.txt", b"lower b\n"),
                     ("dir/keep.txt", b"lower keep\n")])
    delete = tar_bytes([(".wh.a.txt", b""), ("dir", None), ("dir/.wh..wh..opq", b""),
                        ("dir/c.txt", b"upper c\n")])
    return [base, add, delete]


def config(diff_ids, arch):
    return json.dumps({
        "architecture": arch, "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FROM_ARCHIVE=yes"],
                   "Cmd": ["sh", "-c", "echo default cmd"], "WorkingDir": "/dir"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()


def docker_save(out, base_tar, arch="amd64", bad=False):
    blobs = layers(base_tar)
    diff_ids = [sha(b) for b in blobs]
    if bad:
        diff_ids[1] = "sha256:" + "0" * 64
    cfg = config(diff_ids, arch)
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = []
    with tarfile.open(out, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add(cfg_name, cfg)
        for i, blob in enumerate(blobs):
            name = "layer%d/layer.tar" % i
            names.append(name)
            add(name, blob)
        add("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": ["dsave:1"],
                                          "Layers": names}]).encode())
        add("repositories", b"{}")


def oci_layout(out, base_tar, only_arm=False):
    os.makedirs(out + "/blobs/sha256", exist_ok=True)

    def put(data):
        digest = sha(data)
        with open(out + "/blobs/sha256/" + digest[7:], "wb") as f:
            f.write(data)
        return digest

    plain = layers(base_tar)
    zipped = [gzip.compress(b, mtime=0) for b in plain]
    cfg = config([sha(b) for b in plain], "amd64")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(cfg), "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": put(z), "size": len(z)} for z in zipped],
    }).encode()
    entries = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha(b"arm"), "size": 3,
                "platform": {"architecture": "arm64", "os": "linux"}}]
    if not only_arm:
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": put(manifest), "size": len(manifest),
                        "platform": {"architecture": "amd64", "os": "linux"}})
    image_index = json.dumps({"schemaVersion": 2,
                              "mediaType": "application/vnd.oci.image.index.v1+json",
                              "manifests": entries}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": put(image_index),
        "size": len(image_index),
        "annotations": {"org.opencontainers.image.ref.name": "hand:1"}}]}
    with open(out + "/index.json", "w") as f:
        json.dump(index, f)
    with open(out + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    return manifest


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "docker-save":
        docker_save(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "amd64",
                    len(sys.argv) > 5 and sys.argv[5] == "bad-diff-id")
    elif kind == "oci-layout":
        oci_layout(sys.argv[2], sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == "only-arm64")
    else:
        sys.exit("unknown kind " + kind)
