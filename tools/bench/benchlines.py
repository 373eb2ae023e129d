"""The console protocol both halves share, and the QEMU invocation around it.

A benchmark program prints, on the serial console:
  BENCH <name> n=<n> min=<int> median=<int> mean=<int> max=<int>   one line per case
  BENCH_OVERHEAD <ns>        the timing overhead already subtracted from the cases after it
  BENCH_INFO key=value ...   free-form facts worth keeping (clock source, kernel release)
and, for a case measured sel4bench's way (docs/benchmarks.md), instead of its BENCH line:
  BENCH_CALIBRATION <name> <stats>  the same instructions with the system call replaced by a nop
  BENCH_RAW <name> <stats>          the measurement with nothing subtracted
from which parse() makes the case <name>: the raw statistics minus the calibration's minimum.
Values are virtual ns. Any name is a case: nothing here knows which cases exist.
"""

import os
import re
import subprocess
import time

UNIT_NOTE = ("virtual ns under QEMU TCG -icount shift=0 "
             "(counts instructions, not cache/TLB effects)")

_STATS = r"(\S+) n=(\d+) min=(\d+) median=(\d+) mean=(\d+) max=(\d+)\s*$"
_CASE = re.compile(r"^BENCH " + _STATS)
_RAW = re.compile(r"^BENCH_RAW " + _STATS)
_CALIBRATION = re.compile(r"^BENCH_CALIBRATION " + _STATS)
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


STAT_KEYS = ("n", "min", "median", "mean", "max")


def _stats(match):
    return dict(zip(STAT_KEYS, (int(g) for g in match.groups()[1:])))


def subtract_calibration(raw, calibration):
    """The case sel4bench's way: every statistic of `raw` less the calibration's minimum (the
    cost of the same instructions without the system call), as sel4bench subtracts the
    minimum of its overhead runs from every sample.

    Subtracting after the statistics gives what subtracting from each sample would: a constant
    moves min, max and every order statistic by itself, the even-n median (a+b)//2 too since
    (a-c + b-c)//2 == (a+b)//2 - c, and the guest's rounded mean (sum + n//2)//n by exactly c.
    Returns None if the raw minimum is below the overhead: a real call cannot cost less than
    the same code without it, so the two lines do not belong together."""
    overhead = calibration["min"]
    if raw["min"] < overhead:
        return None
    case = {k: raw[k] if k == "n" else raw[k] - overhead for k in STAT_KEYS}
    case.update({"overhead": overhead, "method": "sel4bench", "raw": raw,
                 "calibration": calibration})
    return case


def parse(console):
    """Returns (cases, info, failures): cases maps name -> stats dict in console order."""
    cases, info, failures = {}, {}, []
    overhead = None
    calibrations = {}
    # Only "\n" ends a line (as for the boot tests' matchers), not the other line breaks
    # str.splitlines knows.
    for line in _ESCAPE.sub("", console.replace("\r", "")).split("\n"):
        # Kernel messages can land in the middle of a line on a shared console; a BENCH line
        # is only trusted when it is whole, from its start.
        line = _PROGRAM.sub("", line, count=1)
        m = _CASE.match(line) or _RAW.match(line)
        if m:
            name = m.group(1)
            if name in cases:
                failures.append("case %s printed twice" % name)
            stats = _stats(m)
            if m.re is _CASE:
                cases[name] = dict(stats, overhead=overhead)
                continue
            calibration = calibrations.pop(name, None)
            if calibration is None:
                failures.append("BENCH_RAW %s without a BENCH_CALIBRATION before it" % name)
                continue
            case = subtract_calibration(stats, calibration)
            if case is None:
                failures.append("case %s: raw minimum %d below its calibration's %d"
                                % (name, stats["min"], calibration["min"]))
                continue
            cases[name] = case
            continue
        m = _CALIBRATION.match(line)
        if m:
            calibrations[m.group(1)] = _stats(m)
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
    for name in calibrations:
        failures.append("BENCH_CALIBRATION %s without its BENCH_RAW" % name)
    return cases, info, failures


# The QEMU options that make the machine (both halves of a comparison must agree on them).
MACHINE_OPTIONS = ["-machine", "-cpu", "-m", "-smp", "-accel", "-icount", "-bios"]


def machine(cmd):
    """The machine-defining options of a QEMU command line, as one string ('' if unknown)."""
    if not cmd:
        return ""
    parts = []
    for i, arg in enumerate(cmd[:-1]):
        if arg in MACHINE_OPTIONS:
            value = cmd[i + 1]
            parts.append("%s %s" % (arg, os.path.basename(value) if arg == "-bios" else value))
    return " ".join(parts)


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
