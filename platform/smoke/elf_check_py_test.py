"""py_test smoke: parses the transitioned ELFs with the standard library only.

Proves py_test runs offline with the system python3 (QEMU boot tests will
want a Python runner). Usage: elf_check_py_test.py KERNEL_ELF USER_ELF USER_ELF_FORWARDED
"""

import struct
import sys
import unittest

ET_EXEC = 2
EM_X86_64 = 62
PT_LOAD = 1


def read_elf(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF", path
    assert data[4] == 2, "not ELF64"
    e_type, e_machine, _, e_entry, e_phoff = struct.unpack_from("<HHIQQ", data, 16)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    loads = []
    for i in range(e_phnum):
        p_type, _, _, p_vaddr = struct.unpack_from("<IIQQ", data, e_phoff + i * e_phentsize)
        if p_type == PT_LOAD:
            loads.append(p_vaddr)
    return e_type, e_machine, e_entry, loads


class ElfTest(unittest.TestCase):
    def test_kernel(self):
        e_type, machine, entry, loads = read_elf(sys.argv[1])
        self.assertEqual((e_type, machine), (ET_EXEC, EM_X86_64))
        self.assertEqual(entry, 0xFFFFFFFF80200000)
        self.assertEqual(min(loads), 0xFFFFFFFF80200000)

    def test_user(self):
        e_type, machine, entry, loads = read_elf(sys.argv[2])
        self.assertEqual((e_type, machine), (ET_EXEC, EM_X86_64))
        self.assertEqual(min(loads), 0x400000)
        self.assertTrue(0x400000 <= entry < 0x500000)

    def test_forwarded_is_same_file(self):
        with open(sys.argv[2], "rb") as a, open(sys.argv[3], "rb") as b:
            self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
