#!/usr/bin/python3
"""Writes the seed corpus of the PVH ELF fuzzer (pvh_elf_fuzz.cpp): small
vmlinux-shaped 64-bit ELF files with PT_LOAD segments and a PT_NOTE segment
of Xen notes, plus a few broken ones. usage: make_pvh_seeds.py DIR"""
import hashlib
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4


def note(name, kind, descriptor):
    name_bytes = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name_bytes), len(descriptor), kind) + pad(name_bytes) + pad(descriptor)


def elf(segments, notes, note_align=4):
    """segments: (paddr, data, memsz); notes: bytes of the PT_NOTE segment."""
    count = len(segments) + (1 if notes else 0)
    offset = 64 + 56 * count
    body, headers = b"", []
    for paddr, data, memsz in segments:
        offset += -offset % 16
        body += b"\0" * (offset - 64 - 56 * count - len(body))
        headers.append(struct.pack("<IIQQQQQQ", PT_LOAD, 5, offset, 0xffffffff80000000 + paddr,
                                   paddr, len(data), memsz, 16))
        body += data
        offset += len(data)
    if notes:
        offset += -offset % 16
        body += b"\0" * (offset - 64 - 56 * count - len(body))
        headers.append(struct.pack("<IIQQQQQQ", PT_NOTE, 4, offset, 0, 0, len(notes), len(notes),
                                   note_align))
        body += notes
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0xffffffff81000000, 64, 0, 0, 64,
                                 56, count, 64, 0, 0)
    return header + b"".join(headers) + body


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    code = bytes((i * 7 + 1) & 0xff for i in range(256))
    entry = lambda address, size=8: note("Xen", 18, address.to_bytes(8, "little")[:size])
    seeds = [
        elf([(0x1000000, code, 0x400)], note("Xen", 6, b"linux\0") + entry(0x1000010)),
        elf([(0x1000000, code, 0x100), (0x1100000, code[:64], 0x2000)], entry(0x1000020, 4)),
        elf([(0x1000000, code, 0x100)], entry(0x1000010), note_align=8),
        elf([(0x1000000, code, 0x100)], note("GNU", 3, b"\1" * 20)),
        elf([(0x1000000, code, 0x100)], entry(0x1000010, 2)),
        elf([(0x6000, code, 0x100)], entry(0x6010)),
        elf([(0x1000000, code, 0x100)], b""),
    ]
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(directory, name), "wb") as out:
            out.write(seed)


if __name__ == "__main__":
    main()
