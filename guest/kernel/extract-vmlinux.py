#!/usr/bin/python3
"""Extracts the uncompressed ELF vmlinux from a Linux bzImage, for PVH boot
(`twinbox vm run --kernel VMLINUX`).

The bzImage's setup header (Linux Documentation/arch/x86/boot.rst, protocol
2.08+) names the compressed payload: payload_offset (0x248) counts from the
start of the protected-mode code, which follows the (setup_sects + 1) 512-byte
sectors of the setup code, and payload_length (0x24c) is its size. The payload
is the kernel's vmlinux (ELF, symbols stripped, program headers and notes
kept, so the Xen PVH entry note survives) compressed with the kernel's
CONFIG_KERNEL_* method; Python's standard library reads xz/lzma (Debian's
kernels), gzip and bzip2. Linux's scripts/extract-vmlinux does the same by
scanning for magic numbers.

usage: extract-vmlinux.py BZIMAGE OUTPUT
"""
import bz2
import gzip
import lzma
import struct
import sys


def fail(message):
    print(f"extract-vmlinux: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: extract-vmlinux.py BZIMAGE OUTPUT")
    with open(sys.argv[1], "rb") as source:
        image = source.read()
    if len(image) < 0x250 or image[0x202:0x206] != b"HdrS":
        fail(f"{sys.argv[1]} is not a bzImage (no HdrS magic at 0x202)")
    (version,) = struct.unpack_from("<H", image, 0x206)
    if version < 0x208:
        fail(f"boot protocol {version >> 8}.{version & 0xff} has no payload fields (needs 2.08)")
    setup_sectors = image[0x1F1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sectors + 1) * 512 + payload_offset
    payload = image[start : start + payload_length]
    if len(payload) != payload_length:
        fail("the payload runs past the end of the file")
    if payload.startswith(b"\xfd7zXZ\x00") or payload.startswith(b"\x5d\x00\x00"):
        vmlinux = lzma.LZMADecompressor().decompress(payload)
    elif payload.startswith(b"\x1f\x8b"):
        vmlinux = gzip.decompress(payload)
    elif payload.startswith(b"BZh"):
        vmlinux = bz2.decompress(payload)
    else:
        fail(f"the payload's compression (magic {payload[:4].hex()}) is not xz, lzma, gzip or bzip2")
    if not vmlinux.startswith(b"\x7fELF"):
        fail("the decompressed payload is not an ELF file")
    with open(sys.argv[2], "wb") as output:
        output.write(vmlinux)


if __name__ == "__main__":
    main()
