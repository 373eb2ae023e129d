#!/usr/bin/env python3
"""Make broken inputs for the bad-input boot tests, from a good file.

damage.py MODE IN OUT
  truncate-half   keep the first half of the file (a truncated initrd)
  cpio-magic      overwrite the first cpio magic with garbage (a corrupt initrd)
  elf-magic       break the ELF magic
  elf-machine     claim EM_386 instead of EM_X86_64
  elf-phoff       point the program headers past the end of the file
  elf-kernel-addr move the first PT_LOAD segment into the kernel half
  elf-wx          make the first PT_LOAD segment writable and executable
  elf-truncate    cut the file in the middle of the first segment's data
"""

import struct
import sys


def first_load(data):
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        off = phoff + i * phentsize
        if struct.unpack_from("<I", data, off)[0] == 1:  # PT_LOAD
            return off
    sys.exit("damage.py: no PT_LOAD segment")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mode, src, dst = sys.argv[1:]
    data = bytearray(open(src, "rb").read())
    if mode == "truncate-half":
        data = data[: len(data) // 2]
    elif mode == "cpio-magic":
        data[0:6] = b"07x7q1"
    elif mode == "elf-magic":
        data[1:4] = b"ELV"
    elif mode == "elf-machine":
        struct.pack_into("<H", data, 18, 3)
    elif mode == "elf-phoff":
        struct.pack_into("<Q", data, 32, len(data) + 4096)
    elif mode == "elf-kernel-addr":
        ph = first_load(data)
        for field in (16, 24):  # p_vaddr, p_paddr
            v, = struct.unpack_from("<Q", data, ph + field)
            struct.pack_into("<Q", data, ph + field, 0xffffffff80000000 + (v & 0xfffffff))
    elif mode == "elf-wx":
        ph = first_load(data)
        struct.pack_into("<I", data, ph + 4, 7)
    elif mode == "elf-truncate":
        ph = first_load(data)
        offset, = struct.unpack_from("<Q", data, ph + 8)
        filesz, = struct.unpack_from("<Q", data, ph + 32)
        data = data[: offset + filesz // 2]
    else:
        sys.exit("damage.py: unknown mode %r\n%s" % (mode, __doc__))
    open(dst, "wb").write(bytes(data))


if __name__ == "__main__":
    main()
