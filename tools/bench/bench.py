#!/usr/bin/env python3
"""HMK benchmark driver (./hmk bench). See docs/benchmarks.md.

  bench.py ipc [--json FILE] [--runs N] [--skip-linux] [--skip-hmk]
  bench.py compose [--json FILE] [--profiles split,coalesced,kernel]
  bench.py linux [--json FILE] [--profile P] [--timeout S] [--skip-linux] [--skip-hmk]

Boots the HMK IPC benchmark image and the Linux baseline (Debian's cloud kernel with static
musl programs) on the same QEMU machine (tools/qemu/run.py's: q35, TCG, -icount shift=0),
prints a Markdown table of every case, the HMK/Linux ratios, HMK's sel4bench-style figures
beside seL4's and the reference figures, and writes JSON (default bench-results/ipc.json),
the report (.md) and a chart (.svg) beside it. `linux` runs the static Linux programs of
bench/linux/ on HMK (under the shim, as ./hmk exec does) and on Linux (linux_bench.py).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

import benchlines
import hmk_image
import linux_baseline
import linux_bench
import plot
from benchlines import UNIT_NOTE

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(REPO, ".cache", "hmk-bench")

# (HMK case, Linux case) pairs whose median ratio is printed; HMK names are only used here.
RATIOS = [
    ("null syscall", "hmk.null_syscall", "linux.null_syscall"),
    ("IPC round trip, 0 words, cross address space vs pipe",
     "hmk.roundtrip.0w.xas", "linux.pipe_roundtrip"),
    ("IPC round trip, 0 words, cross address space vs futex",
     "hmk.roundtrip.0w.xas", "linux.futex_pingpong"),
    ("null syscall, sel4bench's way (HMK: a call that does nothing, Linux: getppid)",
     "hmk.sel4bench.null_syscall", "linux.sel4bench.null_syscall"),
]

# Not measured by this driver: figures from the issue (same QEMU harness, earlier date).
REFERENCES = [
    ("seL4 (sel4bench ipc, x86_64 fast path)", "one-way Call, 0 words", 188),
    ("seL4 (sel4bench ipc, x86_64 fast path)", "one-way ReplyRecv, 0 words", 215),
    ("seL4 (sel4bench ipc, x86_64 fast path)", "round trip, 0 words", 403),
    ("seL4 (sel4bench ipc, x86_64)", "one-way Call, 10 words", 829),
    ("seL4 (sel4bench ipc, x86_64)", "one-way ReplyRecv, 10 words", 795),
    ("seL4 (sel4bench ipc, x86_64)", "round trip, 10 words (829 + 795)", 1624),
    ("seL4 (sel4bench hardware)", "null syscall", 89),
    ("Linux 6.1 (earlier measurement)", "null syscall", 361),
    ("Linux 6.1 (earlier measurement)", "pipe round trip", 12150),
    ("Linux 6.1 (earlier measurement)", "futex process ping-pong", 11670),
]

# HMK measured sel4bench's way (hmk.sel4bench.*: a nop calibration of the same instructions
# subtracted) beside seL4's figures, which sel4bench took that way: (what, HMK cases whose
# medians are added, seL4's figure). seL4's round trips are the sums of its two one-way
# figures, so HMK's call + reply is the like-for-like row; HMK's client-timed round trip also
# counts the null server's few instructions between receiving and replying.
SEL4BENCH_COMPARISON = [
    ("one-way call, 0 words, cross address space", ["hmk.sel4bench.call.0w.xas"], 188),
    ("one-way reply, 0 words, cross address space", ["hmk.sel4bench.reply.0w.xas"], 215),
    ("round trip = call + reply, 0 words",
     ["hmk.sel4bench.call.0w.xas", "hmk.sel4bench.reply.0w.xas"], 403),
    ("round trip timed by the client, 0 words", ["hmk.sel4bench.roundtrip.0w.xas"], 403),
    ("one-way call, 10 words, cross address space", ["hmk.sel4bench.call.10w.xas"], 829),
    ("one-way reply, 10 words, cross address space", ["hmk.sel4bench.reply.10w.xas"], 795),
    ("round trip = call + reply, 10 words",
     ["hmk.sel4bench.call.10w.xas", "hmk.sel4bench.reply.10w.xas"], 1624),
    ("round trip timed by the client, 10 words", ["hmk.sel4bench.roundtrip.10w.xas"], 1624),
    ("null syscall (HMK: an undefined number; seL4: SysBenchmarkNullSyscall)",
     ["hmk.sel4bench.null_syscall"], 89),
]

# The machine-defining options of a QEMU command line (both halves must agree on them).
machine = benchlines.machine

STABILITY_LIMIT = 0.01  # the acceptance bar: two runs' medians agree within 1%


def fmt(n):
    return "{:,}".format(n)


def cases_table(sides):
    rows = ["| case | n | min | median | mean | max |", "|---|---:|---:|---:|---:|---:|"]
    for side in sides:
        for name, c in side["cases"].items():
            rows.append("| %s | %d | %s | %s | %s | %s |" % (
                name, c["n"], fmt(c["min"]), fmt(c["median"]), fmt(c["mean"]), fmt(c["max"])))
    return rows


def stability(runs):
    """Per case: every run's median and the spread (max-min)/min. Returns (rows, worst)."""
    medians = {}
    for run in runs:
        for side in ("hmk", "linux"):
            for name, c in (run.get(side) or {}).get("cases", {}).items():
                medians.setdefault(name, []).append(c["median"])
    table, worst = {}, None
    for name, values in medians.items():
        lo = min(values)
        spread = (max(values) - lo) / lo if lo else (0.0 if max(values) == 0 else float("inf"))
        table[name] = {"medians": values, "relative_spread": spread}
        if len(values) == len(runs) and (worst is None or spread > worst[1]):
            worst = (name, spread)
    return table, worst


def ratios(run):
    out = []
    hmk = (run.get("hmk") or {}).get("cases", {})
    linux = (run.get("linux") or {}).get("cases", {})
    for label, h, l in RATIOS:
        entry = {"label": label, "hmk_case": h, "linux_case": l, "hmk_median": None,
                 "linux_median": None, "ratio": None}
        if h in hmk:
            entry["hmk_median"] = hmk[h]["median"]
        if l in linux:
            entry["linux_median"] = linux[l]["median"]
        if entry["hmk_median"] is not None and entry["linux_median"]:
            entry["ratio"] = entry["hmk_median"] / entry["linux_median"]
        out.append(entry)
    return out


def sel4bench_comparison(run):
    """SEL4BENCH_COMPARISON for one run: HMK's summed medians (None if a case is missing)
    against seL4's figure."""
    hmk = (run.get("hmk") or {}).get("cases", {})
    out = []
    for label, cases, sel4 in SEL4BENCH_COMPARISON:
        value = None
        if all(c in hmk for c in cases):
            value = sum(hmk[c]["median"] for c in cases)
        out.append({"label": label, "hmk_cases": cases, "hmk_median": value, "sel4": sel4,
                    "ratio": None if value is None else value / sel4})
    return out


def report(result):
    lines = []
    runs = result["runs"]
    first = runs[0]
    sides = [first[s] for s in ("hmk", "linux") if first.get(s)]
    lines.append("## IPC benchmark, %s" % result["date"])
    lines.append("")
    if sides:
        lines.append("Run 1 of %d; all figures in %s." % (len(runs), UNIT_NOTE))
        lines.append("")
        lines += cases_table(sides)
        lines.append("")
    for side in ("hmk", "linux"):
        if first.get(side):
            k = first[side]["kernel"]
            lines.append("- %s: %s; QEMU %s" % (k["name"], ", ".join(
                "%s %s" % (key, v) for key, v in k.items() if key != "name" and v),
                result["machine"][side] or "(command unknown)"))
    if len(set(result["machine"].values())) > 1:
        lines.append("- THE TWO HALVES RAN ON DIFFERENT QEMU MACHINES: their ratios compare "
                     "different hardware models")
    for side, err in result["errors"].items():
        lines.append("- %s: FAILED: %s (details above, and in the JSON)"
                     % (side, err.splitlines()[0].rstrip(":")))
    warmup = {side: n for side, n in result["warmup"].items() if n is not None}
    if warmup:
        lines.append("- warm-up: %s untimed rounds before every case%s" % (
            " / ".join("%s %s" % (side, n) for side, n in warmup.items()),
            "" if len(set(warmup.values())) == 1 else " (THE HALVES DIFFER)"))
    lines.append("")
    if len(runs) > 1:
        lines.append("Stability over %d runs (medians, %s):" % (len(runs), UNIT_NOTE))
        lines.append("")
        lines.append("| case | " + " | ".join("run %d" % (i + 1) for i in range(len(runs)))
                     + " | spread |")
        lines.append("|---|" + "---:|" * (len(runs) + 1))
        for name, s in result["stability"]["cases"].items():
            lines.append("| %s | %s | %.2f%% |" % (
                name, " | ".join(fmt(m) for m in s["medians"]), 100 * s["relative_spread"]))
        worst = result["stability"]["worst"]
        if worst:
            lines.append("")
            lines.append("Largest relative difference of medians between runs: %.3f%% (%s); "
                         "%s the 1%% bar." % (100 * worst["relative_spread"], worst["case"],
                                              "within" if worst["within_limit"] else "OUTSIDE"))
        lines.append("")
    lines.append("HMK / Linux, ratio of medians; the medians are in %s:" % UNIT_NOTE)
    lines.append("")
    for r in result["ratios"]:
        if r["ratio"] is None:
            missing = [c for c, v in ((r["hmk_case"], r["hmk_median"]),
                                      (r["linux_case"], r["linux_median"])) if v is None]
            lines.append("- %s: n/a (not measured this run: %s)" % (
                r["label"], ", ".join(missing) or "Linux median is 0"))
        else:
            lines.append("- %s: %s %s / %s %s = %.3f" % (
                r["label"], r["hmk_case"], fmt(r["hmk_median"]), r["linux_case"],
                fmt(r["linux_median"]), r["ratio"]))
    lines.append("")
    lines.append("HMK measured sel4bench's way (hmk.sel4bench.*: the cost of the same "
                 "instructions with the system call replaced by a nop subtracted) against "
                 "seL4's sel4bench figures from the issue (NOT measured by this run); medians "
                 "in %s:" % UNIT_NOTE)
    lines.append("")
    lines.append("| figure | HMK | seL4 | HMK / seL4 |")
    lines.append("|---|---:|---:|---:|")
    for r in result["sel4bench"]:
        lines.append("| %s | %s | %s | %s |" % (
            r["label"], "n/a" if r["hmk_median"] is None else fmt(r["hmk_median"]),
            fmt(r["sel4"]), "n/a" if r["ratio"] is None else "%.2f" % r["ratio"]))
    lines.append("")
    lines.append("References from the issue, NOT measured by this run; %s:" % UNIT_NOTE)
    lines.append("")
    for system, what, value in REFERENCES:
        lines.append("- %s, %s: %s" % (system, what, fmt(value)))
    return "\n".join(lines) + "\n"


def summarize(result):
    """Adds what is computed from the runs: stability, HMK/Linux ratios, the sel4bench
    comparison. `result` is the JSON dict (see cmd_ipc); a side that was skipped or failed is
    None in every run."""
    table, worst = stability(result["runs"])
    result["stability"] = {
        "limit": STABILITY_LIMIT, "cases": table,
        "worst": worst and {"case": worst[0], "relative_spread": worst[1],
                            "within_limit": worst[1] <= STABILITY_LIMIT}}
    first = result["runs"][0] if result["runs"] else {}
    # Both halves print their warm-up (bench/common/report.h, bench/linux/bench.h).
    result["warmup"] = {side: (first.get(side) or {}).get("info", {}).get(key)
                        for side, key in (("hmk", "warmup"), ("linux", "linux.warmup"))}
    # The halves are only comparable on one machine (linux_baseline.qemu_command).
    result["machine"] = {side: machine((first.get(side) or {}).get("qemu_command"))
                         for side in ("hmk", "linux") if first.get(side)}
    result["ratios"] = ratios(first)
    result["sel4bench"] = sel4bench_comparison(first)
    return result


def write_outputs(result, text, json_path):
    """Writes the JSON, the report `text` beside it (.md) and the chart (.svg, if there is
    anything to plot); returns the paths written."""
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    base = os.path.splitext(json_path)[0]
    with open(base + ".md", "w") as f:
        f.write(text)
    written = [json_path, base + ".md"]
    # The seL4 figures only: the older Linux ones would sit next to today's measured Linux rows.
    references = [("seL4 " + what, value) for system, what, value in REFERENCES
                  if system.startswith("seL4")]
    if plot.write_svg(result, references, base + ".svg"):
        written.append(base + ".svg")
    return written


def cmd_ipc(args):
    result = {
        "benchmark": "ipc",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "unit": UNIT_NOTE,
        "host": {"machine": platform.machine(), "python": platform.python_version(),
                 "qemu": subprocess.run(["qemu-system-x86_64", "--version"],
                                        stdout=subprocess.PIPE, text=True).stdout.split("\n")[0]},
        "runs": [],
        "errors": {},
    }
    hmk_ok = not args.skip_hmk
    linux_setup = None
    if hmk_ok:
        try:
            hmk_image.build(REPO)
        except benchlines.BenchError as e:
            print("bench: %s" % e, file=sys.stderr)
            result["errors"]["hmk"] = str(e)
            hmk_ok = False
    if not args.skip_linux:
        try:
            linux_setup = linux_baseline.prepare(REPO, CACHE, args.samples, args.timer,
                                                 args.linux_package)
        except benchlines.BenchError as e:
            print("bench: %s" % e, file=sys.stderr)
            result["errors"]["linux"] = str(e)
    for i in range(args.runs):
        run = {"hmk": None, "linux": None}
        if hmk_ok:
            try:
                run["hmk"] = hmk_image.boot(REPO, CACHE, args.timeout)
            except benchlines.BenchError as e:
                print("bench: run %d: %s" % (i + 1, e), file=sys.stderr)
                result["errors"]["hmk"] = str(e)
                hmk_ok = False
        if linux_setup:
            try:
                run["linux"] = linux_baseline.boot(linux_setup, args.timeout)
            except benchlines.BenchError as e:
                print("bench: run %d: %s" % (i + 1, e), file=sys.stderr)
                result["errors"]["linux"] = str(e)
                linux_setup = None
        for side in ("hmk", "linux"):
            if run[side]:
                print("bench: run %d/%d: %s took %.1f s of host time" % (
                    i + 1, args.runs, side, run[side]["host_seconds"]), file=sys.stderr)
        result["runs"].append(run)
    summarize(result)
    text = report(result)
    print(text, end="")
    written = write_outputs(result, text, os.path.abspath(
        args.json or os.path.join(REPO, "bench-results", "ipc.json")))
    print("bench: wrote %s" % ", ".join(written), file=sys.stderr)

    failed = bool(result["errors"])
    for side, err in result["errors"].items():
        print("bench: %s side FAILED: %s" % (side, err.splitlines()[0]), file=sys.stderr)
    worst = result["stability"]["worst"]
    if len(result["runs"]) > 1 and worst and not worst["within_limit"]:
        print("bench: runs disagree by more than 1%% (%s)" % worst["case"], file=sys.stderr)
        failed = True
    if args.skip_hmk and args.skip_linux:
        print("bench: both halves skipped; nothing measured", file=sys.stderr)
    return 1 if failed else 0


# The composition benchmark's images (bench/compose/BUILD), in report order; split is the base.
COMPOSE_PROFILES = ["split", "coalesced", "kernel"]
COMPOSE_CASES = [
    ("compose.null_rpc", "null call (ping, answered by vfs)"),
    ("compose.create", "create a file"),
    ("compose.write_4k", "write 4 KiB (8 x 512 B)"),
    ("compose.read_4k", "read 4 KiB (8 x 512 B)"),
    ("compose.remove", "remove the file"),
    ("compose.file_cycle", "create + write + read + remove"),
]


def compose_report(result):
    profiles = [p for p in result["profiles"] if result["profiles"][p]]
    lines = ["# HMK composition benchmark", "",
             "Medians in %s; n = samples per case. Ratio = profile / split "
             "(below 1: faster than split)." % UNIT_NOTE, "",
             "Every file call goes client -> vfs -> ramfs: split crosses two address spaces "
             "per call, coalesced one (vfs calls ramfs directly), kernel none (one system call "
             "into vfs and ramfs linked into the kernel).", ""]
    head = "| operation | n |" + "".join(" %s |" % p for p in profiles)
    head += "".join(" %s / split |" % p for p in profiles if p != "split")
    lines += [head, "|---|---:|" + "---:|" * (2 * len(profiles) - 1)]
    base = result["profiles"].get("split")
    for case, what in COMPOSE_CASES:
        cells = []
        n = None
        for p in profiles:
            c = result["profiles"][p]["cases"].get(case)
            cells.append(fmt(c["median"]) if c else "-")
            n = n or (c and c["n"])
        ratios = []
        for p in profiles:
            if p == "split":
                continue
            c = result["profiles"][p]["cases"].get(case)
            b = base and base["cases"].get(case)
            ratios.append("%.2f" % (c["median"] / b["median"]) if c and b and b["median"] else "-")
        lines.append("| %s | %s | %s |" % (what, n or "-", " | ".join(cells + ratios)))
    return "\n".join(lines) + "\n"


def cmd_compose(args):
    profiles = args.profiles.split(",")
    for p in profiles:
        if p not in COMPOSE_PROFILES:
            print("bench: unknown profile %r (known: %s)" % (p, ", ".join(COMPOSE_PROFILES)),
                  file=sys.stderr)
            return 2
    targets = ["//bench/compose:%s" % p for p in profiles]
    hmk_image.log("bazel build " + " ".join(targets))
    r = subprocess.run(["bazel", "build"] + targets, cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print("bench: bazel build failed:\n%s" % benchlines.tail(r.stdout, 30), file=sys.stderr)
        return 1
    result = {
        "benchmark": "compose",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "unit": UNIT_NOTE,
        "revision": hmk_image.revision(REPO),
        "profiles": {},
        "errors": {},
    }
    for p in profiles:
        try:
            run = hmk_image.boot(
                REPO, CACHE, args.timeout,
                image_file="bazel-bin/bench/compose/%s.cpio" % p,
                kernel_file="bazel-bin/bench/compose/%s.kernel.elf" % p,
                image_target="//bench/compose:%s" % p, log_name="compose-%s.log" % p)
            result["profiles"][p] = run
            hmk_image.log("%s: %.1f s of host time" % (p, run["host_seconds"]))
        except benchlines.BenchError as e:
            print("bench: %s: %s" % (p, e), file=sys.stderr)
            result["errors"][p] = str(e)
            result["profiles"][p] = None
    text = compose_report(result)
    print(text, end="")
    json_path = os.path.abspath(args.json or os.path.join(REPO, "bench-results", "compose.json"))
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(os.path.splitext(json_path)[0] + ".md", "w") as f:
        f.write(text)
    print("bench: wrote %s and %s" % (json_path, os.path.splitext(json_path)[0] + ".md"),
          file=sys.stderr)
    return 1 if result["errors"] else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    sub.required = True
    ipc = sub.add_parser("ipc", help="HMK IPC vs the Linux baseline")
    ipc.add_argument("--json", help="result file (default bench-results/ipc.json; a .md "
                                    "with the printed report is written beside it)")
    ipc.add_argument("--runs", type=int, default=1,
                     help="boot each side N times and report how far the medians move")
    ipc.add_argument("--skip-linux", action="store_true")
    ipc.add_argument("--skip-hmk", action="store_true")
    ipc.add_argument("--samples", type=int, default=1000,
                     help="timed iterations per Linux case (the HMK image sets its own)")
    ipc.add_argument("--timer", choices=["tsc", "mono"], default="tsc",
                     help="Linux programs time with rdtsc (default) or CLOCK_MONOTONIC")
    ipc.add_argument("--timeout", type=int, default=900, help="host seconds per boot")
    ipc.add_argument("--linux-package",
                     help="kernel package to fetch instead of the one "
                          "linux-image-cloud-amd64 depends on")
    compose = sub.add_parser("compose", help="one workload under every composition profile")
    compose.add_argument("--json", help="result file (default bench-results/compose.json)")
    compose.add_argument("--profiles", default=",".join(COMPOSE_PROFILES),
                         help="comma-separated profiles (default: all)")
    compose.add_argument("--timeout", type=int, default=900, help="host seconds per boot")
    linux = sub.add_parser("linux", help="static Linux programs on HMK (the shim) vs Linux")
    linux.add_argument("--json", help="result file (default bench-results/linux.json; the "
                                      "report .md and the chart .svg are written beside it)")
    linux.add_argument("--profile", default="ic0",
                       help="./hmk exec's profile the HMK half runs under (default: ic0, the "
                            "shim in the kernel; ic2: in its own process; userpager: ic2 with "
                            "page faults going to the shim; split, coalesced, kernel: ic2 with "
                            "the shim granted the vfs, procmgr and memmgr services, ramfs, vfs, "
                            "procmgr and memmgr placed as the profile says; the root, /tmp included, "
                            "is the vfs service's except under ic2 and userpager); results of "
                            "another profile go to bench-results/linux-PROFILE.json")
    linux.add_argument("--tmpdir",
                       help="the file cases' directory on HMK instead of /tmp: e.g. "
                            "--tmpdir=/dev/shm for the shim's own devtmpfs, without the vfs "
                            "service; results go to bench-results/linux[-PROFILE]-dev-shm.json")
    linux.add_argument("--skip-linux", action="store_true")
    linux.add_argument("--skip-hmk", action="store_true")
    linux.add_argument("--timer", choices=["tsc", "mono"], default="tsc",
                       help="the programs time with rdtsc (default) or CLOCK_MONOTONIC")
    linux.add_argument("--timeout", type=int, default=600,
                       help="host seconds per boot (one per program on HMK, one for Linux)")
    linux.add_argument("--linux-package",
                       help="kernel package to fetch instead of the one "
                            "linux-image-cloud-amd64 depends on")
    args = p.parse_args()
    if args.benchmark == "linux":
        return linux_bench.run(args, REPO, CACHE)
    if args.benchmark == "compose":
        return cmd_compose(args)
    if args.runs < 1 or args.samples < 1:
        p.error("--runs and --samples must be at least 1")
    return cmd_ipc(args)


if __name__ == "__main__":
    sys.exit(main())
