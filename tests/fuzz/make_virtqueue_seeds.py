#!/usr/bin/env python3
"""Writes hand-made seed inputs for virtqueue_fuzz (see the input layout in
virtqueue_fuzz.cpp): well-formed rings with direct and indirect chains, and a
few classic hostile ones (a loop, an out-of-range buffer, a nested indirect
table), so the fuzzer starts from inputs that reach deep into queue.cpp.

Usage: make_virtqueue_seeds.py OUTPUT_DIRECTORY
"""
import struct
import sys
from pathlib import Path

NEXT, WRITE, INDIRECT = 1, 2, 4
DESC, AVAIL, USED = 0x100, 0x200, 0x300


def descriptor(address, length, flags, next_index=0):
    return struct.pack("<QIHH", address, length, flags, next_index)


def seed(size_log2, flags, descriptors, heads, extra=(), raw_fields=None, tail=b""):
    """descriptors: list at DESC; heads: avail ring; extra: (address, bytes)."""
    size = 1 << size_log2
    memory = bytearray(0x1000)
    table = b"".join(descriptors)
    memory[DESC:DESC + len(table)] = table
    avail = struct.pack("<HH", 0, len(heads)) + b"".join(struct.pack("<H", h) for h in heads)
    memory[AVAIL:AVAIL + len(avail)] = avail
    for address, data in extra:
        memory[address:address + len(data)] = data
    fields = raw_fields or (DESC // 16, AVAIL // 2, USED // 4)
    header = bytes([size_log2, flags]) + struct.pack("<HHH", *fields)
    assert size >= len(descriptors) or flags & 4
    return header + bytes(memory) + tail


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    block_read = [descriptor(0x400, 16, NEXT, 1), descriptor(0x500, 512, WRITE | NEXT, 2),
                  descriptor(0x800, 1, WRITE)]
    indirect_table = (descriptor(0x400, 16, NEXT, 1) + descriptor(0x500, 512, NEXT, 2) +
                      descriptor(0x800, 1, WRITE))
    seeds = {
        "direct-chain": seed(3, 0, block_read, [0]),
        "direct-chain-event-idx": seed(3, 1, block_read, [0]),
        "indirect-chain": seed(3, 3, block_read + [descriptor(0x900, 48, INDIRECT)], [0, 3],
                               extra=[(0x900, indirect_table)]),
        "loop": seed(3, 0, [descriptor(0x400, 16, NEXT, 1), descriptor(0x500, 16, NEXT, 0)], [0]),
        "out-of-range": seed(3, 0, [descriptor(0xfffffffffffff000, 0x2000, WRITE)], [0]),
        "nested-indirect": seed(3, 3, [descriptor(0x900, 16, INDIRECT)], [0],
                                extra=[(0x900, descriptor(0x900, 16, INDIRECT))]),
        "write-before-read": seed(3, 0, [descriptor(0x400, 16, WRITE | NEXT, 1),
                                         descriptor(0x500, 16, 0)], [0]),
        "avail-too-far": seed(2, 0, block_read, [0, 1, 2, 0, 1, 2]),
        "misaligned-raw": seed(3, 4, block_read, [0], raw_fields=(DESC + 1, AVAIL, USED)),
        "size-1": seed(0, 0, [descriptor(0x400, 64, WRITE)], [0, 0, 0]),
    }
    for name, data in seeds.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
