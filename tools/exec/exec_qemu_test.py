#!/usr/bin/env python3
"""./hmk exec's QEMU command with the real QEMU: the three serial ports are COM1, COM2 and
COM3 at the ports the manifest grants (0x3f8 console, 0x2f8 stdout, 0x3e8 stderr), and QEMU's
file chardevs on /dev/fd/N pass every byte unchanged (no \\n -> \\r\\n, \\0 and \\r kept).

No kernel or shim is needed: a 64 KiB BIOS ROM built here (assembled by hand, real mode) writes
known bytes to the three UARTs, then powers off through isa-debug-exit. The qemu-system-x86_64
that exec.py runs is testdata/fake_qemu.py in its FAKE_QEMU_REAL_BIOS mode, which runs the
real QEMU with exec.py's arguments but this ROM as -bios and no -kernel/-initrd."""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_harness  # noqa: E402

COM1, COM2, COM3 = 0x3f8, 0x2f8, 0x3e8
ROM_SIZE = 0x10000  # QEMU wants a multiple of 64 KiB; mapped below 1 MiB at 0xf0000
DEBUG_EXIT_SUCCESS = 0x10  # PowerOffReason::kSuccess: QEMU exits (0x10 << 1) | 1


def uart_write(port, data):
    """Real-mode code writing `data` to the 16550 at `port`, each byte once the transmitter
    holding register is empty (line status bit 5), as a driver would."""
    code = bytearray()
    for byte in data:
        code += b"\xba" + struct.pack("<H", port + 5)  # mov dx, port+5 (line status)
        code += b"\xec\xa8\x20\x74\xfb"                # in al, dx; test al, 0x20; jz -5
        code += b"\xba" + struct.pack("<H", port)      # mov dx, port
        code += bytes([0xb0, byte]) + b"\xee"          # mov al, byte; out dx, al
    return bytes(code)


def rom(writes, exit_code):
    code = b"".join(uart_write(port, data) for port, data in writes)
    code += bytes([0xb0, exit_code]) + b"\xe6\xf4"     # mov al, code; out 0xf4, al
    code += b"\xf4\xeb\xfd"                            # hlt; jmp back to hlt
    assert len(code) <= ROM_SIZE - 16, "ROM code too long"
    image = bytearray(code.ljust(ROM_SIZE, b"\xf4"))
    # The reset vector (physical 0xfffffff0, the ROM's last 16 bytes): jmp far 0xf000:0x0000,
    # the ROM's first byte in its copy below 1 MiB.
    image[ROM_SIZE - 16:ROM_SIZE - 11] = b"\xea\x00\x00\x00\xf0"
    return bytes(image)


class RealQemuTest(unittest.TestCase):
    def setUp(self):
        self.scratch = test_harness.Scratch()
        self.addCleanup(self.scratch.close)
        if self.scratch.real_qemu is None:
            self.fail("qemu-system-x86_64 not found (Debian package qemu-system-x86)")

    def run_rom(self, writes, exit_code=DEBUG_EXIT_SUCCESS):
        path = self.scratch.path("rom.bin")
        with open(path, "wb") as f:
            f.write(rom(writes, exit_code))
        self.scratch.env["FAKE_QEMU_REAL_QEMU"] = self.scratch.real_qemu
        self.scratch.env["FAKE_QEMU_REAL_BIOS"] = path
        return self.scratch.run(["--log", self.scratch.log, "--timeout", "50",
                                 "--", "/bin/busybox", "true"], timeout=60)

    def test_ports_and_bytes(self):
        out = bytes(range(256)) + b"\r\n\n\r\0line\n"
        err = bytes(reversed(range(256))) + b"\0err\r\n"
        status, stdout, stderr = self.run_rom([
            (COM1, b"boot: rom\r\n"),
            (COM2, out[:128]), (COM3, err[:128]), (COM2, out[128:]), (COM3, err[128:]),
            (COM1, b"[lxshim] exit-status 42\r\n")])
        self.assertEqual(stdout, out)
        self.assertEqual(stderr, err)
        self.assertEqual(status, 42)
        self.assertEqual(self.scratch.read_log(), b"boot: rom\n[lxshim] exit-status 42\n")

    def test_a_status_line_on_com2_is_not_one(self):
        status, stdout, stderr = self.run_rom([
            (COM2, b"[lxshim] exit-status 0\n"), (COM1, b"boot: rom\r\n")])
        self.assertEqual(status, 125)
        self.assertEqual(stdout, b"[lxshim] exit-status 0\n")
        self.assertIn(b"no '[lxshim] exit-status N' line; the kernel powered off (success)",
                      stderr)


if __name__ == "__main__":
    unittest.main()
