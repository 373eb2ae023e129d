#!/usr/bin/env python3
"""Line coverage of the core kernel by its hosted tests (./hmk verify --coverage).

Builds the host tests of core/ and proofs/ with clang's source-based coverage
(-fprofile-instr-generate -fcoverage-mapping: the toolchain feature hmk_coverage, without
the sanitizers) in an output base of their own (.cache/bazel-coverage, so the ordinary build's
cache is left alone), runs them, merges the profiles and prints, per file of core/ (tests
excluded), the lines, the lines never run and the percentage. Then it lists the error
returns of the system-call layer that no test reached: each line of core/ outside the tests
that returns or passes up an error status (`return Status::k...`, `TRY(`, `return s;` after a
status check) and ran zero times.

Writes the report to .cache/coverage/report.txt and the merged profile beside it; --html DIR
also writes llvm-cov's annotated sources. Counts lines as llvm-cov does (a line is covered if
any region on it ran); what it measures is which code the tests execute, not whether they
check its results (the tests' own assertions and the mutation check do that).
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT_BASE = os.path.join(ROOT, ".cache", "bazel-coverage")
WORK = os.path.join(ROOT, ".cache", "coverage")
QUERY = "kind(cc_test, //core/... + //proofs/...)"
FEATURES = ["--features=hmk_coverage", "--features=-sanitizers"]
# A line that gives up with an error status.
ERROR_LINE = re.compile(r"return Status::k(?!Ok\b)\w+|TRY\(|return s;|kRestart")


def say(msg):
    print(f"coverage: {msg}", file=sys.stderr, flush=True)


def bazel(*args, capture=False):
    # A server of its own, which goes away a minute after the run instead of idling for hours.
    cmd = ["bazel", f"--output_base={OUTPUT_BASE}", "--max_idle_secs=60", *args]
    if capture:
        return subprocess.run(cmd, cwd=ROOT, check=True, text=True,
                              stdout=subprocess.PIPE).stdout
    subprocess.run(cmd, cwd=ROOT, check=True)
    return ""


def core_sources():
    files = sorted(glob.glob(os.path.join(ROOT, "core", "**", "*.cc"), recursive=True) +
                   glob.glob(os.path.join(ROOT, "core", "**", "*.h"), recursive=True))
    return [os.path.relpath(f, ROOT) for f in files
            if not f.endswith("_test.cc") and "/testdata/" not in f]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", metavar="DIR", help="also write annotated sources here")
    parser.add_argument("--min", type=float, default=None, metavar="PERCENT",
                        help="fail unless the total line coverage is at least this")
    args = parser.parse_args()

    profraw = os.path.join(WORK, "profraw")
    shutil.rmtree(profraw, ignore_errors=True)
    os.makedirs(profraw)
    targets = bazel("query", QUERY, capture=True).split()
    if not targets:
        sys.exit("coverage: no tests found by " + QUERY)
    say(f"building and running {len(targets)} hosted tests with coverage "
        f"(output base {os.path.relpath(OUTPUT_BASE, ROOT)})")
    bazel("test", *FEATURES, "--nocache_test_results", f"--sandbox_writable_path={profraw}",
          f"--test_env=LLVM_PROFILE_FILE={profraw}/%p-%m.profraw", *targets)
    raws = glob.glob(os.path.join(profraw, "*.profraw"))
    if not raws:
        sys.exit("coverage: the tests wrote no profiles (is the hmk_coverage feature on?)")
    merged = os.path.join(WORK, "core.profdata")
    subprocess.run(["llvm-profdata", "merge", "-sparse", "-o", merged, *raws], check=True)

    bin_dir = bazel("info", *FEATURES, "bazel-bin", capture=True).strip()
    objects = []
    for t in targets:
        package, name = t[2:].split(":")
        path = os.path.join(bin_dir, package, name)
        if os.path.exists(path):
            objects += ["-object", path]
    sources = core_sources()
    cov = ["llvm-cov"]
    base = [objects[1], "-instr-profile", merged, *objects[2:]]

    # The binaries name sources as Bazel compiled them: /proc/self/cwd/<workspace path>.
    data = json.loads(subprocess.run(cov + ["export", "-format=text", *base],
                                     cwd=ROOT, check=True, text=True,
                                     stdout=subprocess.PIPE).stdout)
    report = []
    total_lines = total_covered = 0
    rows = []
    segments = {}
    for f in data["data"][0]["files"]:
        name = f["filename"].removeprefix("/proc/self/cwd/")
        if name not in sources:
            continue
        lines = f["summary"]["lines"]
        rows.append((name, lines["count"], lines["count"] - lines["covered"], lines["percent"]))
        total_lines += lines["count"]
        total_covered += lines["covered"]
        segments[name] = f["segments"]
    rows.sort()
    width = max(len(r[0]) for r in rows)
    report.append(f"{'file':<{width}}  {'lines':>6}  {'missed':>6}  {'covered':>8}")
    for name, count, missed, percent in rows:
        report.append(f"{name:<{width}}  {count:>6}  {missed:>6}  {percent:>7.1f}%")
    percent = 100.0 * total_covered / total_lines if total_lines else 0.0
    report.append(f"{'total':<{width}}  {total_lines:>6}  {total_lines - total_covered:>6}  "
                  f"{percent:>7.1f}%")
    missing = sources_without_data(sources, {r[0] for r in rows})
    if missing:
        report.append("")
        report.append("no coverage data (no test binary links them): " + ", ".join(missing))

    report.append("")
    report.append("error returns no test reached (file:line):")
    unreached = 0
    for name in sorted(segments):
        with open(os.path.join(ROOT, name), encoding="utf-8") as src:
            text = src.read().split("\n")
        for number, line in enumerate(text, start=1):
            m = ERROR_LINE.search(line)
            if m is None or line.lstrip().startswith("//"):
                continue
            # Columns are 1-based: the count of the code where the error return starts.
            if count_at(segments[name], number, m.start() + 1) == 0:
                report.append(f"  {name}:{number}: {line.strip()}")
                unreached += 1
    if unreached == 0:
        report.append("  (none)")
    report.append(f"{unreached} unreached error returns")

    out = "\n".join(report) + "\n"
    with open(os.path.join(WORK, "report.txt"), "w", encoding="utf-8") as fh:
        fh.write(out)
    print(out, end="")
    if args.html:
        subprocess.run(cov + ["show", "-format=html", f"-output-dir={args.html}",
                              f"-path-equivalence=/proc/self/cwd,{ROOT}", *base,
                              *[os.path.join(ROOT, s) for s in sources]], cwd=ROOT, check=True)
        say(f"annotated sources in {args.html}/index.html")
    if args.min is not None and percent < args.min:
        say(f"total line coverage {percent:.1f}% is below {args.min}%")
        return 1
    return 0


def count_at(segments, line, col):
    """The execution count in force at (line, col): that of the last segment starting at or
    before it (llvm-cov's segments are sorted and each runs until the next), None if there is
    no counted code there (outside any function, or a skipped region)."""
    lo, hi = 0, len(segments)
    while lo < hi:  # the first segment after (line, col)
        mid = (lo + hi) // 2
        if (segments[mid][0], segments[mid][1]) <= (line, col):
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return None
    seg = segments[lo - 1]
    return seg[2] if seg[3] else None


def sources_without_data(sources, seen):
    return [s for s in sources if s not in seen and s.endswith(".cc")]


if __name__ == "__main__":
    sys.exit(main())
