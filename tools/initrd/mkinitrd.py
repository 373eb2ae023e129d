#!/usr/bin/env python3
"""Write a deterministic cpio (newc) initrd: the files given plus a generated manifest.

mkinitrd.py --out image.cpio [--manifest-line LINE ...] PATH_IN_ARCHIVE=HOST_FILE ...

Every entry gets mtime 0, uid/gid 0 and a fixed inode number, so the same inputs always give
the same bytes. Parent directories are created as needed.
"""

import argparse
import sys


def header(ino, mode, nlink, size, namesize):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return (4 - n % 4) % 4


def entry(ino, name, mode, data):
    name_bytes = name.encode() + b"\0"
    out = header(ino, mode, 2 if mode & 0o040000 else 1, len(data), len(name_bytes))
    out += name_bytes + b"\0" * pad4(110 + len(name_bytes))
    out += data + b"\0" * pad4(len(data))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--manifest-line", action="append", default=[])
    p.add_argument("files", nargs="*", help="PATH_IN_ARCHIVE=HOST_FILE")
    args = p.parse_args()

    files = {}
    for spec in args.files:
        if "=" not in spec:
            sys.exit("mkinitrd.py: expected PATH=FILE, got %r" % spec)
        path, host = spec.split("=", 1)
        path = path.strip("/")
        with open(host, "rb") as f:
            files[path] = f.read()
    if args.manifest_line:
        files["manifest"] = ("\n".join(args.manifest_line) + "\n").encode()

    dirs = set()
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))

    blob = b""
    ino = 1
    for d in sorted(dirs):
        blob += entry(ino, d, 0o040755, b"")
        ino += 1
    for path in sorted(files):
        blob += entry(ino, path, 0o100755, files[path])
        ino += 1
    blob += entry(0, "TRAILER!!!", 0, b"")
    with open(args.out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
