#!/usr/bin/env python3
"""Stands in for qemu-system-x86_64 in exec_test.py, as a `qemu-system-x86_64` wrapper on PATH.

It finds the serial ports the way QEMU assigns them (the i-th `-serial chardev:ID` is COM i+1,
ID a `-chardev file,id=ID,path=P`), opens each path as QEMU does (O_WRONLY|O_CREAT|O_TRUNC),
then follows the JSON script named by $FAKE_QEMU_SCRIPT, a list of steps:

  ["com", N, HEX]        write the bytes (hex) to COM N
  ["qemu_stderr", TEXT]  QEMU's own message on its stderr
  ["wait_for", PATH]     wait until the file PATH exists (the test says "go on")
  ["pid", PATH]          write this process's pid to PATH
  ["copy", OPTION, PATH] copy the file given after OPTION (-kernel, -initrd) to PATH
  ["hang"]               sleep until killed
  ["exit", STATUS]       exit with STATUS (0x21: the kernel powered off with success)

With $FAKE_QEMU_REAL_BIOS set it is a different wrapper: it runs the real QEMU
($FAKE_QEMU_REAL_QEMU) with the same arguments, but with that file as -bios and without -kernel
and -initrd, so that a tiny ROM (exec_qemu_test.py) stands in for the kernel and the shim.
"""

import json
import os
import shutil
import sys
import time


def serial_paths(argv):
    chardevs = {}
    ports = []
    for flag, value in zip(argv, argv[1:]):
        if flag == "-chardev":
            kind, *options = value.split(",")
            fields = dict(o.split("=", 1) for o in options)
            if kind == "file":
                chardevs[fields["id"]] = fields["path"]
        elif flag == "-serial":
            ports.append(value)
    paths = []
    for port in ports:
        if not port.startswith("chardev:") or port[len("chardev:"):] not in chardevs:
            sys.exit("fake qemu: -serial %s is not a file chardev" % port)
        paths.append(chardevs[port[len("chardev:"):]])
    return paths


def real_qemu(argv, qemu, bios):
    cmd = [qemu]
    i = 0
    while i < len(argv):
        if argv[i] in ("-kernel", "-initrd"):
            i += 2
            continue
        if argv[i] == "-bios":
            cmd += ["-bios", bios]
            i += 2
            continue
        cmd.append(argv[i])
        i += 1
    os.execv(qemu, cmd)


def main():
    argv = sys.argv[1:]
    if os.environ.get("FAKE_QEMU_REAL_BIOS"):
        real_qemu(argv, os.environ["FAKE_QEMU_REAL_QEMU"], os.environ["FAKE_QEMU_REAL_BIOS"])
    fds = [os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) for p in serial_paths(argv)]
    with open(os.environ["FAKE_QEMU_SCRIPT"]) as f:
        script = json.load(f)
    for step in script:
        op = step[0]
        if op == "com":
            data = bytes.fromhex(step[2])
            while data:
                data = data[os.write(fds[step[1] - 1], data):]
        elif op == "qemu_stderr":
            sys.stderr.write(step[1])
            sys.stderr.flush()
        elif op == "wait_for":
            while not os.path.exists(step[1]):
                time.sleep(0.01)
        elif op == "pid":
            with open(step[1], "w") as f:
                f.write(str(os.getpid()))
        elif op == "copy":
            shutil.copyfile(argv[argv.index(step[1]) + 1], step[2])
        elif op == "hang":
            while True:
                time.sleep(60)
        elif op == "exit":
            sys.exit(step[1])
        else:
            sys.exit("fake qemu: unknown step %r" % (step,))
    sys.exit("fake qemu: the script did not end with exit or hang")


if __name__ == "__main__":
    main()
