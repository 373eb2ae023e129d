#!/usr/bin/env python3
"""Line coverage of the core kernel by its hosted tests (./hmk verify --coverage).

Builds the host tests of core/ and proofs/ with clang's source-based coverage
(-fprofile-instr-generate -fcoverage-mapping: the toolchain feature hmk_coverage, without
the sanitizers) in an output base of their own (.cache/bazel-coverage, so the ordinary build's
cache is left alone), runs them, merges the profiles and prints, per file of core/ (tests
excluded), the lines, the lines never run and the percentage. Then it lists the error
returns of the system-call layer that no test reached: each line of core/ outside the tests
that returns or passes up an error status (`return Status::k...`, `TRY(`, `return s;` after a
status check) and ran zero times (for a `TRY(`, whose return is inside the macro, that its
error branch was never taken), apart from those tools/coverage/unreachable.toml lists as
unreachable by construction, each with its reason, which it reports separately. A listed entry
that matches no error return, or more than one, or one a test did reach, is reported and fails
the run (exit status 1); with --all-error-returns so does an error return neither reached nor
listed.

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
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT_BASE = os.path.join(ROOT, ".cache", "bazel-coverage")
WORK = os.path.join(ROOT, ".cache", "coverage")
QUERY = "kind(cc_test, //core/... + //proofs/...)"
FEATURES = ["--features=hmk_coverage", "--features=-sanitizers"]
# A line that gives up with an error status.
ERROR_LINE = re.compile(r"return Status::k(?!Ok\b)\w+|TRY\(|return s;|kRestart")
UNREACHABLE = os.path.join(ROOT, "tools", "coverage", "unreachable.toml")


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
    parser.add_argument("--all-error-returns", action="store_true",
                        help="fail unless every error return is reached or listed unreachable")
    args = parser.parse_args()

    profraw = os.path.join(WORK, "profraw")
    shutil.rmtree(profraw, ignore_errors=True)
    os.makedirs(profraw)
    targets = bazel("query", QUERY, capture=True).split()
    if not targets:
        sys.exit("coverage: no tests found by " + QUERY)
    say(f"building and running {len(targets)} hosted tests with coverage "
        f"(output base {os.path.relpath(OUTPUT_BASE, ROOT)})")
    # No convenience symlinks: bazel-<workspace> would point into this output base, and the
    # ordinary server would then read its external repositories as packages of //... .
    bazel("test", *FEATURES, "--experimental_convenience_symlinks=ignore",
          "--nocache_test_results", f"--sandbox_writable_path={profraw}",
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
    try_errors = {}
    for f in data["data"][0]["files"]:
        name = f["filename"].removeprefix("/proc/self/cwd/")
        if name not in sources:
            continue
        lines = f["summary"]["lines"]
        rows.append((name, lines["count"], lines["count"] - lines["covered"], lines["percent"]))
        total_lines += lines["count"]
        total_covered += lines["covered"]
        segments[name] = f["segments"]
        try_errors[name] = try_error_counts(f.get("expansions", []))
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

    error_lines = []  # (file, line number, text, count of the code where the error return starts)
    texts = {}
    for name in sorted(segments):
        with open(os.path.join(ROOT, name), encoding="utf-8") as src:
            text = texts[name] = src.read().split("\n")
        for number, line in enumerate(text, start=1):
            m = ERROR_LINE.search(line)
            if m is None or line.lstrip().startswith("//"):
                continue
            # Columns are 1-based: the count of the code where the error return starts, or for
            # a TRY( how often its error branch was taken (the statement's own count says
            # only that it ran).
            count = count_at(segments[name], number, m.start() + 1)
            if m.group(0) == "TRY(":
                count = try_errors[name].get((number, m.start() + 1), count)
            error_lines.append((name, number, line.strip(), count))
    unlisted, listed, problems = classify(error_lines, load_unreachable(UNREACHABLE), texts)

    report.append("")
    report.append("error returns no test reached (file:line):")
    for name, number, line in unlisted:
        report.append(f"  {name}:{number}: {line}")
    if not unlisted:
        report.append("  (none)")
    report.append(f"{len(unlisted)} unreached error returns")
    report.append("")
    report.append(f"{len(listed)} unreachable by construction, listed with reasons "
                  f"({os.path.relpath(UNREACHABLE, ROOT)}):")
    for (name, number, line), reason in listed:
        report.append(f"  {name}:{number}: {line}")
        report.append(f"      {' '.join(reason.split())}")
    if problems:
        report.append("")
        report.append(f"{len(problems)} entries of {os.path.relpath(UNREACHABLE, ROOT)} "
                      "to correct:")
        report += [f"  {p}" for p in problems]

    out = "\n".join(report) + "\n"
    with open(os.path.join(WORK, "report.txt"), "w", encoding="utf-8") as fh:
        fh.write(out)
    print(out, end="")
    if args.html:
        subprocess.run(cov + ["show", "-format=html", f"-output-dir={args.html}",
                              f"-path-equivalence=/proc/self/cwd,{ROOT}", *base,
                              *[os.path.join(ROOT, s) for s in sources]], cwd=ROOT, check=True)
        say(f"annotated sources in {args.html}/index.html")
    failed = False
    if args.min is not None and percent < args.min:
        say(f"total line coverage {percent:.1f}% is below {args.min}%")
        failed = True
    if problems:
        say(f"{len(problems)} entries of {os.path.relpath(UNREACHABLE, ROOT)} to correct")
        failed = True
    if unlisted and args.all_error_returns:
        say(f"{len(unlisted)} error returns neither reached nor listed as unreachable")
        failed = True
    return 1 if failed else 0


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


def try_error_counts(expansions):
    """How often each TRY( of a file took its error branch, by the (line, column) where the
    macro is used: llvm-cov export's expansion regions of the file, each with the branches of
    the expanded macro body; TRY's first branch is its `if (failed(...))`, whose true count is
    the early return. Instantiations of one template (and the same code in several binaries)
    add up. A use without branch data is left out (the caller falls back to the line's count)."""
    counts = {}
    for e in expansions:
        branches = e.get("branches") or []
        if not branches:
            continue
        where = (e["source_region"][0], e["source_region"][1])
        counts[where] = counts.get(where, 0) + branches[0][4]
    return counts


def load_unreachable(path):
    """The entries of the unreachable list: dicts with file, match and reason."""
    with open(path, "rb") as f:
        return tomllib.load(f).get("unreachable", [])


def classify(error_lines, entries, texts):
    """Splits the error returns no test reached (count 0) into those an entry of the list
    excuses and the rest. error_lines: (file, line number, text, count) for every error return
    (count None where llvm-cov has no count); texts: each file's lines. An entry names its file
    and a piece of the line's text (`match`), which must pick out exactly one error return of
    the file, or, with `after` (a piece of an earlier line, e.g. the function's signature), the
    first one after the first line holding `after`; that error return must be one no test
    reached, and the entry must give a reason. Anything else is a problem to correct.
    Returns (unlisted, listed, problems): unlisted as (file, number, text), listed as
    ((file, number, text), reason), problems as messages."""
    problems = []
    excused = {}
    for entry in entries:
        where = f"{entry.get('file', '?')}: {entry.get('match', '?')!r}"
        missing = [k for k in ("file", "match", "reason") if not str(entry.get(k, "")).strip()]
        unknown = sorted(set(entry) - {"file", "match", "after", "reason"})
        if missing or unknown:
            problems.append(f"{where}: " + "; ".join(
                ([f"no {', '.join(missing)}"] if missing else []) +
                ([f"unknown keys {', '.join(unknown)}"] if unknown else [])))
            continue
        hits = [e for e in error_lines if e[0] == entry["file"] and entry["match"] in e[2]]
        if "after" in entry:
            lines = texts.get(entry["file"], [])
            anchor = next((i for i, line in enumerate(lines, start=1) if entry["after"] in line),
                          None)
            if anchor is None:
                problems.append(f"{where}: no line holds after={entry['after']!r} "
                                "(stale: correct or remove it)")
                continue
            hits = [e for e in hits if e[1] > anchor][:1]
        if not hits:
            problems.append(f"{where}: matches no error return (stale: correct or remove it)")
        elif len(hits) > 1:
            numbers = ", ".join(str(e[1]) for e in hits)
            problems.append(f"{where}: matches {len(hits)} error returns (lines {numbers}); "
                            "make it pick one (a longer match, or after=)")
        elif hits[0][3] != 0:
            problems.append(f"{where}: line {hits[0][1]} is reached by the tests "
                            "(not unreachable: remove it)")
        elif hits[0][:2] in excused:
            problems.append(f"{where}: line {hits[0][1]} is listed twice")
        else:
            excused[hits[0][:2]] = entry["reason"]
    unlisted, listed = [], []
    for name, number, text, count in error_lines:
        if count != 0:
            continue
        if (name, number) in excused:
            listed.append(((name, number, text), excused[(name, number)]))
        else:
            unlisted.append((name, number, text))
    return unlisted, listed, problems


def sources_without_data(sources, seen):
    return [s for s in sources if s not in seen and s.endswith(".cc")]


if __name__ == "__main__":
    sys.exit(main())
