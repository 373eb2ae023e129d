"""Write a newc ("070701") cpio archive, the format the Linux kernel unpacks as initramfs.

Written here rather than with cpio(1) so the archive can hold /dev/console as a device node
without root, and so it is byte-for-byte reproducible (fixed inode numbers, mtime 0).
"""

import os
import stat

_TRAILER = "TRAILER!!!"


def _pad4(n):
    return (4 - n % 4) % 4


class Archive:
    def __init__(self):
        self._entries = []

    def directory(self, name, mode=0o755):
        self._entries.append((name, stat.S_IFDIR | mode, b"", (0, 0)))

    def file(self, name, data, mode=0o644):
        self._entries.append((name, stat.S_IFREG | mode, data, (0, 0)))

    def symlink(self, name, target):
        self._entries.append((name, stat.S_IFLNK | 0o777, os.fsencode(target), (0, 0)))

    def char_device(self, name, major, minor, mode=0o600):
        self._entries.append((name, stat.S_IFCHR | mode, b"", (major, minor)))

    def write(self, path):
        out = bytearray()
        entries = self._entries + [(_TRAILER, 0, b"", (0, 0))]
        for ino, (name, mode, data, (rmajor, rminor)) in enumerate(entries, start=1):
            # fsencode: a host file name that is not UTF-8 keeps its bytes.
            encoded = os.fsencode(name) + b"\0"
            nlink = 2 if stat.S_ISDIR(mode) else 1
            fields = [ino if name != _TRAILER else 0, mode, 0, 0, nlink, 0, len(data),
                      0, 0, rmajor, rminor, len(encoded), 0]
            header = b"070701" + b"".join(b"%08X" % f for f in fields)
            out += header + encoded + b"\0" * _pad4(len(header) + len(encoded))
            out += data + b"\0" * _pad4(len(data))
        # The kernel reads the archive in 512-byte blocks, like cpio(1) writes it.
        out += b"\0" * ((512 - len(out) % 512) % 512)
        with open(path, "wb") as f:
            f.write(out)
