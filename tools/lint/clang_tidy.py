#!/usr/bin/env python3
"""Runs clang-tidy (.clang-tidy) on C++ files, each with the flags of its kind of code.

    clang_tidy.py [--jobs N] FILE...      (from the workspace root; ./hmk lint runs it)

Kinds, by path:
  kernel  core/, platform/, proofs/, svc/kernel/, linuxcompat/ (the shim runs in the kernel,
          IC0, by default): freestanding, ring 0 (the kernel's flags)
  host    tools/, svc/lib/test_env.cc: host C++ with the standard library
  user    the rest of svc/, test/ and bench/: freestanding, user mode (a user program's flags)

Headers are checked through the files that include them (HeaderFilterRegex); the generated ones
(.cache/lint-generated: the system call tables'; bazel-bin: the service stubs) are included as
system headers, so clang-tidy does not look at them. The flags go into a compilation database
(.cache/lint-db/compile_commands.json), which editors can use too.

A file that passed is remembered by the hash of its preprocessed text (comments and macro
definitions kept), its flags, .clang-tidy and clang-tidy's version (.cache/lint-tidy/): it is
checked again only when one of those changes. Problems are never cached; a header's problem is
printed once, however many files include it.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time

DB_DIR = pathlib.Path(".cache/lint-db")
CACHE_DIR = pathlib.Path(".cache/lint-tidy")
# The core includes the port's side of the arch contract as "arch/context.h" (Bazel maps it
# per configuration); ./hmk lint links the kernel's here.
ARCH_INCLUDE = ".cache/lint-include"
GENERATED = ".cache/lint-generated"


def flags_by_kind():
    resource = subprocess.run(["clang", "-print-resource-dir"], check=True, capture_output=True,
                              text=True).stdout.strip()
    common = ["-std=c++20", "-I.", "-I" + ARCH_INCLUDE, "-isystem", GENERATED, "-isystem",
              "bazel-bin"]
    freestanding = ["--target=x86_64-unknown-none-elf", "-ffreestanding", "-nostdinc", "-isystem",
                    resource + "/include", "-fno-exceptions", "-fno-rtti"]
    return {
        "kernel": freestanding + ["-mno-red-zone", "-mgeneral-regs-only", "-mcmodel=kernel"] +
        common,
        "user": freestanding + ["-mcmodel=small"] + common,
        "host": common,
    }


def kind_of(path):
    if re.match(r"(core|platform|proofs|svc/kernel|linuxcompat)/", path):
        return "kernel"
    if path.startswith("tools/") or path == "svc/lib/test_env.cc":
        return "host"
    if re.match(r"(svc|test|bench)/", path):
        return "user"
    sys.exit(f"clang_tidy.py: no kind of code for {path}")


def cache_key(path, args, salt):
    """The hash of what clang-tidy's verdict on `path` depends on, or None if it does not
    preprocess (clang-tidy then reports why)."""
    pre = subprocess.run(["clang++"] + args + ["-E", "-C", "-dD", "-o", "-", path],
                         capture_output=True)
    if pre.returncode != 0:
        return None
    h = hashlib.sha256(salt)
    h.update(json.dumps(args).encode())
    h.update(pre.stdout)
    return h.hexdigest()


def tidy(path):
    run = subprocess.run(["clang-tidy", "--quiet", "-p", str(DB_DIR), path], capture_output=True,
                         text=True)
    lines = (run.stdout + run.stderr).splitlines()
    text = "\n".join(l for l in lines if not re.search(r" warnings? generated\.$", l))
    return run.returncode, text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("files", nargs="+")
    opts = parser.parse_args()

    flags = flags_by_kind()
    commands = {f: flags[kind_of(f)] for f in opts.files}
    DB_DIR.mkdir(parents=True, exist_ok=True)
    root = os.getcwd()
    (DB_DIR / "compile_commands.json").write_text(json.dumps(
        [{"directory": root, "file": f, "arguments": ["clang++"] + a + ["-c", f]}
         for f, a in commands.items()], indent=1) + "\n")

    version = subprocess.run(["clang-tidy", "--version"], check=True, capture_output=True).stdout
    salt = version + pathlib.Path(".clang-tidy").read_bytes()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as pool:
        keys = dict(zip(opts.files, pool.map(lambda f: cache_key(f, commands[f], salt),
                                             opts.files)))
        todo = [f for f in opts.files if keys[f] is None or not (CACHE_DIR / keys[f]).exists()]
        results = dict(zip(todo, pool.map(tidy, todo)))

    failed = 0
    seen = set()  # a header's problem is reported by every file that includes it: print it once
    for f in todo:
        status, text = results[f]
        if status == 0:
            if keys[f] is not None:
                (CACHE_DIR / keys[f]).touch()
            continue
        failed += 1
        blocks = re.split(r"\n(?=\S+:\d+:\d+: (?:error|warning): )", text) if text else [
            f"{f}: clang-tidy failed (status {status})"]
        for block in blocks:
            if block not in seen:
                seen.add(block)
                print(block)
    # Forget verdicts not used for two weeks (a hit touches its entry), so the cache stays small.
    for f in opts.files:
        if keys[f] is not None and f not in todo:
            (CACHE_DIR / keys[f]).touch()
    for entry in CACHE_DIR.iterdir():
        if time.time() - entry.stat().st_mtime > 14 * 24 * 3600:
            entry.unlink()
    print(f"clang-tidy: {len(opts.files)} files, {len(opts.files) - len(todo)} unchanged since "
          f"they passed, {len(todo)} checked, {failed} with problems", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
