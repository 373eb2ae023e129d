"""The console protocol both halves share, and the QEMU invocation around it.

A benchmark program prints, on the serial console:
  BENCH <name> n=<n> min=<int> median=<int> mean=<int> max=<int>   one line per case
  BENCH_OVERHEAD <ns>        the timing overhead already subtracted from the cases after it
  BENCH_INFO key=value ...   free-form facts worth keeping (clock source, kernel release)
Values are virtual ns. Any name is a case: nothing here knows which cases exist.
"""

import re
import subprocess
import time

UNIT_NOTE = ("virtual ns under QEMU TCG -icount shift=0 "
             "(counts instructions, not cache/TLB effects)")

_CASE = re.compile(r"^BENCH (\S+) n=(\d+) min=(\d+) median=(\d+) mean=(\d+) max=(\d+)\s*$")
_OVERHEAD = re.compile(r"^BENCH_OVERHEAD (\d+)\s*$")
_INFO = re.compile(r"^BENCH_INFO (.*)$")
_FAIL = re.compile(r"^BENCH_FAIL (.*)$")
# Firmware and the Linux console reset the terminal (ESC c, ESC [2J ...) right before
# userspace prints, so escape sequences can prefix the first BENCH line.
_ESCAPE = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[A-Za-z])")
# HMK's kernel starts every line a program prints with "[NAME] " (the program's name, see
# docs/kernel.md); Linux prints the lines as they are.
_PROGRAM = re.compile(r"^\[[^\]\s]+\] ")
# A program's output, as the HMK boot run (tools/qemu/run.py) waits for it.
HMK_LINE = r"\[[^\]\s]+\] BENCH "


class BenchError(Exception):
    """A failure the driver reports as one message (build, fetch, boot or parse)."""


def parse(console):
    """Returns (cases, info, failures): cases maps name -> stats dict in console order."""
    cases, info, failures = {}, {}, []
    overhead = None
    # Only "\n" ends a line (as for the boot tests' matchers), not the other line breaks
    # str.splitlines knows.
    for line in _ESCAPE.sub("", console.replace("\r", "")).split("\n"):
        # Kernel messages can land in the middle of a line on a shared console; a BENCH line
        # is only trusted when it is whole, from its start.
        line = _PROGRAM.sub("", line, count=1)
        m = _CASE.match(line)
        if m:
            name = m.group(1)
            if name in cases:
                failures.append("case %s printed twice" % name)
            n, lo, med, mean, hi = (int(g) for g in m.groups()[1:])
            cases[name] = {"n": n, "min": lo, "median": med, "mean": mean, "max": hi,
                           "overhead": overhead}
            continue
        m = _OVERHEAD.match(line)
        if m:
            overhead = int(m.group(1))
            continue
        m = _INFO.match(line)
        if m:
            for item in m.group(1).split():
                key, _, value = item.partition("=")
                info[key] = value
            continue
        m = _FAIL.match(line)
        if m:
            failures.append(m.group(1))
    return cases, info, failures


def tail(console, lines=40):
    rows = console.replace("\r", "").rstrip("\n").splitlines()
    return "\n".join("  | " + r for r in rows[-lines:])


def run_qemu(cmd, timeout, cwd=None):
    """Runs QEMU to completion; returns (console text without \\r, exit status or None on
    timeout, host seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd)
    try:
        raw, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        raw, _ = proc.communicate()
        status = None
    return raw.decode("utf-8", "replace").replace("\r", ""), status, time.monotonic() - start
