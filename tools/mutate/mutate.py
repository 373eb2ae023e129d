#!/usr/bin/env python3
"""The mutation check (./hmk mutate): applies each one-line mutant of mutants.toml to a scratch
copy of the tree, runs the mutant's Bazel test targets there and reports which mutants the
tests kill. See docs/testing.md, "The mutation check".

The working tree is never touched. The scratch copy holds the tracked files and the untracked,
not ignored ones of the working tree (so uncommitted changes are measured too) and lives with
its own Bazel output base in the cache directory (--cache-dir), which later runs reuse, so
only what a mutant changes is rebuilt. A shared --disk_cache makes putting a file back cheap.

Verdicts: killed (a target failed or timed out), survived (all passed), stale (the text to
mutate is not found exactly once: the list needs updating), broken (the mutant does not build:
fix the mutant, a broken one proves nothing). Exit status 0 only when every mutant is killed.
"""

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants as mutant_list  # noqa: E402

# Bazel's exit codes for `bazel test`.
BAZEL_OK = 0
BAZEL_BUILD_FAILED = 1
BAZEL_TESTS_FAILED = 3
BAZEL_NO_TESTS = 4

RESULT_RE = re.compile(r"^(//\S+)\s+(?:\(cached\) )?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|"
                       r"INCOMPLETE|FAILED TO BUILD)\b", re.M)


def say(msg):
    print(msg, flush=True)


def repo_root():
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["git", "-C", here, "rev-parse", "--show-toplevel"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def default_cache_dir(root):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    key = hashlib.sha1(root.encode()).hexdigest()[:12]
    return os.path.join(base, "hmk-mutate", key)


# ---- the scratch tree -----------------------------------------------------------------------

def source_files(root):
    """Tracked files plus untracked ones not ignored, as in the working tree now."""
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "-co", "--exclude-standard"],
                         check=True, capture_output=True)
    files = []
    for rel in out.stdout.decode().split("\0"):
        if rel and os.path.lexists(os.path.join(root, rel)):
            files.append(rel)
    return sorted(set(files))


def same_file(a, b):
    try:
        if os.path.islink(a) or os.path.islink(b):
            return os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)
        if os.path.getsize(a) != os.path.getsize(b):
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def mirror(root, tree):
    """Makes `tree` hold exactly the working tree's source files (copying only what differs,
    so Bazel sees unchanged files as unchanged)."""
    files = source_files(root)
    wanted = set(files)
    copied = 0
    for rel in files:
        src, dst = os.path.join(root, rel), os.path.join(tree, rel)
        if same_file(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst) or os.path.isdir(dst):
            if os.path.isdir(dst) and not os.path.islink(dst):
                shutil.rmtree(dst)
            else:
                os.unlink(dst)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        copied += 1
    removed = 0
    for dirpath, dirnames, filenames in os.walk(tree, topdown=True):
        rel_dir = os.path.relpath(dirpath, tree)
        if rel_dir == ".":
            # Bazel's convenience symlinks (bazel-*) are not ours to mirror.
            dirnames[:] = [d for d in dirnames if not d.startswith("bazel-")]
            filenames = [f for f in filenames if not f.startswith("bazel-")]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel not in wanted:
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    return len(files), copied, removed


# ---- running Bazel --------------------------------------------------------------------------

class Bazel:
    def __init__(self, tree, output_base, disk_cache, jobs, log_dir):
        self.tree = tree
        self.output_base = output_base
        self.disk_cache = disk_cache
        self.jobs = jobs
        self.log_dir = log_dir

    def test(self, targets, log_name, keep_going=False):
        """Runs `bazel test` on targets; returns (exit code, {target: status}, log path)."""
        cmd = ["bazel", f"--output_base={self.output_base}", "test",
               f"--disk_cache={self.disk_cache}", "--color=no", "--curses=no",
               "--test_output=errors", "--test_summary=short",
               "--test_keep_going" if keep_going else "--notest_keep_going"]
        if self.jobs:
            cmd.append(f"--jobs={self.jobs}")
        cmd += ["--"] + list(targets)
        log_path = os.path.join(self.log_dir, log_name + ".log")
        with open(log_path, "w") as log:
            log.write("$ " + " ".join(cmd) + "\n")
            log.flush()
            proc = subprocess.Popen(cmd, cwd=self.tree, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            try:
                rc = proc.wait()
            except KeyboardInterrupt:
                # Bazel's own Ctrl-C: the server cancels the command (a killed client would leave
                # it running, and `bazel shutdown` waiting for it).
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise
        with open(log_path, errors="replace") as log:
            text = log.read()
        results = {m.group(1): m.group(2) for m in RESULT_RE.finditer(text)}
        return rc, results, log_path

    def shutdown(self):
        subprocess.run(["bazel", f"--output_base={self.output_base}", "shutdown"], cwd=self.tree,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def verdict_of(rc, results):
    """(verdict, detail) for one mutant's bazel test run."""
    bad = sorted(t for t, s in results.items() if s != "PASSED")
    if rc == BAZEL_OK:
        return "survived", ""
    if rc == BAZEL_TESTS_FAILED:
        detail = ", ".join(f"{t} {results[t]}" for t in bad) or "a test failed"
        return "killed", detail
    if rc == BAZEL_BUILD_FAILED:
        return "broken", "does not build"
    return "error", f"bazel exited with {rc}"


def fmt_time(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


# ---- the run --------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="./hmk mutate",
        description="Apply each listed one-line mutant to a scratch copy of the tree, run its "
                    "tests, report the survivors (docs/testing.md).")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    p.add_argument("--list", action="store_true", help="print the mutants and exit")
    p.add_argument("--keep", action="store_true",
                   help="leave the scratch tree (with the last mutant still applied) and its "
                        "Bazel server for debugging")
    p.add_argument("--jobs", type=int, default=0, help="Bazel --jobs for each run")
    p.add_argument("--mutants", default=mutant_list.default_list_path(),
                   help="the mutant list (default: tools/mutate/mutants.toml)")
    p.add_argument("--cache-dir", help="scratch tree, output base and logs (default: "
                                       "~/.cache/hmk-mutate/<hash of the checkout path>)")
    p.add_argument("--clean", action="store_true",
                   help="delete the cache directory (scratch tree and output base) and exit")
    return p.parse_args(argv)


def print_list(mutants):
    for m in mutants:
        say(f"{m.index:3d} {m.name}\n      {m.file}: {m.reason}\n      "
            f"{' '.join(m.targets)}")
    say(f"{len(mutants)} mutants")


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    # SIGINT and SIGTERM end the run with the mutated file put back (a shell that starts us in
    # the background would otherwise have SIGINT ignored, and SIGTERM would skip the `finally`).
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    args = parse_args(argv)
    try:
        everything = mutant_list.load(args.mutants)
    except mutant_list.ListError as e:
        say(f"mutate: bad mutant list: {e}")
        return 2
    selected = everything
    if args.only:
        by_name = {m.name: m for m in everything}
        unknown = [n for n in args.only if n not in by_name]
        if unknown:
            say(f"mutate: no mutant named {', '.join(unknown)} (see ./hmk mutate --list)")
            return 2
        selected = [by_name[n] for n in args.only]
    if args.list:
        print_list(selected)
        return 0

    root = repo_root()
    cache = os.path.abspath(args.cache_dir or default_cache_dir(root))
    if args.clean:
        if os.path.isdir(cache):
            out_base = os.path.join(cache, "output_base")
            if os.path.isdir(os.path.join(cache, "tree")) and os.path.isdir(out_base):
                Bazel(os.path.join(cache, "tree"), out_base, "", 0, cache).shutdown()
            subprocess.run(["chmod", "-R", "u+w", cache], check=False)
            shutil.rmtree(cache)
        say(f"mutate: removed {cache}")
        return 0
    os.makedirs(cache, exist_ok=True)
    lock = open(os.path.join(cache, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say(f"mutate: another mutation run is using {cache}")
        return 2

    tree = os.path.join(cache, "tree")
    log_dir = os.path.join(cache, "logs")
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(tree, exist_ok=True)
    os.makedirs(log_dir)
    disk_cache = os.path.join(os.path.dirname(cache), "disk")
    bazel = Bazel(tree, os.path.join(cache, "output_base"), disk_cache, args.jobs, log_dir)

    started = time.monotonic()
    n_files, copied, removed = mirror(root, tree)
    say(f"mutate: scratch tree {tree} ({n_files} files, {copied} copied, {removed} removed)")

    # Stale mutants are found before anything runs, in the copy that will be mutated.
    verdicts = {}
    for m in selected:
        why = mutant_list.stale_reason(tree, m)
        missing = mutant_list.missing_targets(tree, m)
        if missing:
            why = (why + "; " if why else "") + f"no such target {', '.join(missing)}"
        if why:
            verdicts[m.name] = ("stale", why, 0.0)
            say(f"mutate: STALE {m.name} ({m.file}): {why}")
    runnable = [m for m in selected if m.name not in verdicts]

    # The unmutated tree must pass every target first: otherwise every mutant looks killed.
    targets = sorted({t for m in runnable for t in m.targets})
    if targets:
        say(f"mutate: baseline: {len(targets)} targets on the unmutated tree ...")
        t0 = time.monotonic()
        try:
            rc, results, log = bazel.test(targets, "baseline", keep_going=True)
        except KeyboardInterrupt:
            say("mutate: interrupted")
            bazel.shutdown()
            return 130
        if rc != BAZEL_OK:
            bad = ", ".join(f"{t} {s}" for t, s in sorted(results.items()) if s != "PASSED")
            say(f"mutate: the unmutated tree fails ({bad or f'bazel exit {rc}'}); see {log}")
            if not args.keep:
                bazel.shutdown()
            return 2
        say(f"mutate: baseline passed ({fmt_time(time.monotonic() - t0)})")

    interrupted = False
    for i, m in enumerate(runnable, start=1):
        path = os.path.join(tree, m.file)
        with open(path, encoding="utf-8") as f:
            original = f.read()
        mutated = mutant_list.apply(original, m)
        t0 = time.monotonic()
        say(f"[{i}/{len(runnable)}] {m.name} ({m.file}) ...")
        keep_this = args.keep and i == len(runnable)
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(mutated)
            rc, results, log = bazel.test(m.targets, m.name)
        except KeyboardInterrupt:
            interrupted = True
            keep_this = False
            say(f"[{i}/{len(runnable)}] {m.name}: interrupted")
            break
        finally:
            if not keep_this:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original)
        verdict, detail = verdict_of(rc, results)
        elapsed = time.monotonic() - t0
        verdicts[m.name] = (verdict, detail, elapsed)
        say(f"[{i}/{len(runnable)}] {m.name}: {verdict.upper()}"
            f"{' (' + detail + ')' if detail else ''} in {fmt_time(elapsed)}")
        if verdict in ("survived", "broken", "error"):
            say(f"    log: {log}")

    total = time.monotonic() - started
    say("")
    say(f"{'#':>3}  {'mutant':<40} {'verdict':<9} {'time':>6}  detail")
    for m in selected:
        if m.name not in verdicts:
            continue
        verdict, detail, elapsed = verdicts[m.name]
        say(f"{m.index:3d}  {m.name:<40} {verdict:<9} {fmt_time(elapsed):>6}  {detail}")
    counts = {v: sum(1 for x in verdicts.values() if x[0] == v)
              for v in ("killed", "survived", "stale", "broken", "error")}
    summary = (f"{len(verdicts)} mutants: {counts['killed']} killed, {counts['survived']} "
               f"survived, {counts['stale']} stale")
    if counts["broken"]:
        summary += f", {counts['broken']} broken"
    if counts["error"]:
        summary += f", {counts['error']} errors"
    say(summary + f" ({fmt_time(total)})")
    if args.keep:
        say(f"mutate: scratch tree kept at {tree} (logs in {log_dir})")
    else:
        bazel.shutdown()
    if interrupted:
        say("mutate: interrupted")
        return 130
    ok = counts["killed"] == len(verdicts) and len(verdicts) == len(selected)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
