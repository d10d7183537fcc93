#!/usr/bin/env python3
"""Prints `list table ip twinbox` (nothing when the table does not exist),
through libnftables with ctypes, for tests on hosts without the nft tool."""
import ctypes
import ctypes.util
import sys

name = ctypes.util.find_library("nftables") or "libnftables.so.1"
nft = ctypes.CDLL(name)
nft.nft_ctx_new.restype = ctypes.c_void_p
nft.nft_ctx_new.argtypes = [ctypes.c_uint32]
nft.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
nft.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
nft.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
nft.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
nft.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
context = nft.nft_ctx_new(0)
nft.nft_ctx_buffer_output(context)
nft.nft_ctx_buffer_error(context)
command = sys.argv[1] if len(sys.argv) > 1 else "list table ip twinbox"
if nft.nft_run_cmd_from_buffer(context, command.encode()) == 0:
    sys.stdout.write(nft.nft_ctx_get_output_buffer(context).decode())
