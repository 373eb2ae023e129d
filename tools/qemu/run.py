#!/usr/bin/env python3
"""Boot an HMK image in QEMU (TCG) and either hand the console to the user or check it.

Interactive (./hmk run):   run.py --kernel K --initrd I
Boot test (bazel test):    run.py --kernel K --initrd I --expect REGEX ... --expect-exit success

--expect and --send patterns match from the start of a line (a leading ^ is implied): kernel
lines start with their subsystem ("boot:", "PANIC:"), user programs' lines with "[NAME] " (the
kernel adds it), so a program cannot print a line that meets a kernel-line expectation. A
pattern that may match inside a line says so with a leading ".*". --forbid patterns match
anywhere.

The kernel powers off through QEMU's isa-debug-exit device, which makes QEMU exit with
(code << 1) | 1; the codes are PowerOffReason in core/arch.h: 0x10 success, 0x11 failure,
0x12 panic. Timing runs use -icount shift=0 (one instruction per virtual nanosecond).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

EXIT_CODES = {0x21: "success", 0x23: "failure", 0x25: "panic"}

# What the kernel prints first when it panics, always at the start of a line (core/console.cc).
PANIC_LINE = r"^PANIC:"


def line_pattern(pattern):
    """`pattern` compiled to match only from the start of a line."""
    if not pattern.startswith("^"):
        pattern = "^" + pattern
    return re.compile(pattern, re.MULTILINE)


def qemu_command(args):
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        sys.exit("run.py: qemu-system-x86_64 not found (Debian package qemu-system-x86; "
                 "./hmk installs it)")
    cmd = [qemu]
    if args.firmware == "qboot":
        # qboot (from qemu-system-data) boots a PVH kernel in ~75 us of virtual time and prints
        # nothing; SeaBIOS takes ~17 ms and clears the terminal. -nic none drops the iPXE ROM.
        cmd += ["-bios", "/usr/share/qemu/qboot.rom"]
    cmd += [
        "-machine", "q35", "-cpu", args.cpu, "-m", args.memory, "-smp", "1", "-nic", "none",
        "-accel", "tcg", "-icount", "shift=0,sleep=off",
        "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", args.kernel,
    ]
    if args.initrd:
        cmd += ["-initrd", args.initrd]
    if args.append:
        cmd += ["-append", args.append]
    if args.gdb:
        cmd += ["-s", "-S"]
    return cmd


def interactive(args):
    cmd = qemu_command(args)
    if args.gdb:
        print("run.py: QEMU waits for GDB on localhost:1234; in another terminal run\n"
              "  ./hmk gdb   (or: gdb -x tools/gdbinit %s)" % args.kernel, file=sys.stderr)
    print("run.py: %s" % " ".join(cmd), file=sys.stderr)
    status = subprocess.call(cmd)
    outcome = EXIT_CODES.get(status)
    if outcome is None:
        print("run.py: QEMU exited with status %d (not an HMK power-off)" % status,
              file=sys.stderr)
        return 1
    print("run.py: HMK powered off: %s" % outcome, file=sys.stderr)
    return 0 if outcome == "success" else 1


def check_console(output, expect, forbid, expect_exit):
    """The problems with `output` (the console, CRs dropped): each `expect` pattern must match
    from the start of a line, in order; no `forbid` pattern may match anywhere; and unless a
    panic is expected, no line may start with "PANIC:"."""
    problems = []
    position = 0
    for pattern in expect:
        m = line_pattern(pattern).search(output, position)
        if m is None:
            where = "after the previous expectation" if position else "anywhere"
            problems.append("expected /%s/ %s" % (pattern, where))
        else:
            position = m.end()
    forbid = list(forbid)
    if expect_exit != "panic":
        forbid.append(PANIC_LINE)
    for pattern in forbid:
        m = re.search(pattern, output, re.MULTILINE)
        if m is not None:
            problems.append("forbidden /%s/ matched: %r" % (pattern, m.group(0)))
    return problems


def run_with_input(cmd, sends, timeout):
    """Runs QEMU, typing each (pattern, text) of `sends` into the serial console once the
    console output (CRs dropped) matches the pattern, in order. Returns (raw output, timed out,
    returncode)."""
    import select
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    raw = b""
    position = 0
    pending = list(sends)
    fd = proc.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            rest, _ = proc.communicate()
            return raw + rest, True, proc.returncode
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                proc.wait()
                return raw, False, proc.returncode
            raw += chunk
        while pending:
            text = raw.decode("utf-8", "replace").replace("\r", "")
            m = line_pattern(pending[0][0]).search(text, position)
            if m is None:
                break
            position = m.end()
            try:
                proc.stdin.write(pending.pop(0)[1].encode())
                proc.stdin.flush()
            except BrokenPipeError:
                pending = []


def boot_test(args):
    cmd = qemu_command(args)
    start = time.monotonic()
    sends = []
    for spec in args.send:
        if "=>" not in spec:
            sys.exit("run.py: --send wants REGEX=>TEXT, got %r" % spec)
        pattern, text = spec.split("=>", 1)
        sends.append((pattern, text.encode().decode("unicode_escape")))
    if sends:
        raw, timed_out, returncode = run_with_input(cmd, sends, args.timeout)
    else:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            raw, _ = proc.communicate(timeout=args.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            raw, _ = proc.communicate()
            timed_out = True
        returncode = proc.returncode
    elapsed = time.monotonic() - start
    output = raw.decode("utf-8", "replace").replace("\r", "")
    if args.log:
        with open(args.log, "w") as f:
            f.write(output)

    problems = []
    if timed_out:
        problems.append("timed out after %ds (host time)" % args.timeout)
    else:
        outcome = EXIT_CODES.get(returncode, "qemu status %d" % returncode)
        if outcome != args.expect_exit:
            problems.append("power-off: got %s, want %s" % (outcome, args.expect_exit))
    problems += check_console(output, args.expect, args.forbid, args.expect_exit)

    print("---- serial console (%.1fs host time) ----" % elapsed)
    print(output, end="" if output.endswith("\n") else "\n")
    print("---- end of console ----")
    print("command: %s" % " ".join(cmd))
    if problems:
        for p in problems:
            print("FAIL: %s" % p)
        return 1
    print("PASS: %d expectations met, power-off %s" % (len(args.expect), args.expect_exit))
    return 0


def parser():
    """The command-line parser; tools/bench/linux_baseline.py parses its own arguments with it,
    so that the Linux baseline gets every default (machine, CPU, memory) HMK boots with."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd")
    p.add_argument("--append", default="")
    p.add_argument("--memory", default="256M")
    p.add_argument("--cpu", default="max",
                   help="QEMU -cpu model and features, e.g. max,-smep,-smap")
    p.add_argument("--firmware", choices=["qboot", "seabios"], default="qboot",
                   help="BIOS QEMU runs before the kernel's PVH entry")
    p.add_argument("--gdb", action="store_true", help="QEMU waits for GDB on :1234")
    p.add_argument("--expect", action="append", default=[],
                   help="regex the console must show from the start of a line, in the order "
                        "given")
    p.add_argument("--forbid", action="append", default=[],
                   help="regex the console must not show anywhere ('^PANIC:' is implied "
                        "unless --expect-exit=panic)")
    p.add_argument("--send", action="append", default=[],
                   help="REGEX=>TEXT: type TEXT (\\n escapes allowed) into the serial console "
                        "once the output matches REGEX from the start of a line (in order)")
    p.add_argument("--expect-exit", choices=["success", "failure", "panic"])
    p.add_argument("--timeout", type=int, default=120, help="host seconds")
    p.add_argument("--log", help="also write the console output here")
    return p


def main():
    args = parser().parse_args()
    for path in (args.kernel, args.initrd):
        if path and not os.path.exists(path):
            sys.exit("run.py: no such file: %s (build it first: ./hmk build)" % path)
    if args.expect or args.expect_exit:
        if args.expect_exit is None:
            args.expect_exit = "success"
        if args.log is None and os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR"):
            args.log = os.path.join(os.environ["TEST_UNDECLARED_OUTPUTS_DIR"], "serial.log")
        return boot_test(args)
    return interactive(args)


if __name__ == "__main__":
    sys.exit(main())
