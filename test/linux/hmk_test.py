#!/usr/bin/env python3
"""The Linux conformance suite on HMK: every program of programs.bzl booted through ./hmk exec's
runner (tools/exec/exec.py) with the built kernel and shim, as on the host (host_test.sh): it
passes when it exits 0, writes nothing to stderr and at most one line to stdout.

hmk_known_failures.txt lists the programs that do not pass on HMK yet, each with the reason;
every other program must pass, and every listed one must still fail (so that the list shrinks
when the shim gets better, rather than hiding programs that pass). A run that boots fewer
programs than the list has fails.

    hmk_test.py [--profile=P] [--image-file=NAME=PATH]... [--tmpdir=DIR]
                [--known-failures=FILE]... KERNEL SHIM EXEC_DIR KNOWN_FAILURES COUNT PROGRAM...

--profile is ./hmk exec's (default: ic0); BUILD runs the suite under every profile.
--image-file: for a composition profile (split, coalesced, kernel), each file ./hmk exec takes
from the profile's image (its manifest, its domain programs) by its name in the initrd.
--tmpdir: the programs' TMPDIR, where they make their scratch directories (default: /tmp, which
is the vfs service's where the root is, the shim's own tmpfs under ic2 and userpager).
--known-failures: another list like KNOWN_FAILURES (e.g. the programs that fail only with
another --tmpdir), added to it; a program may be in one list only.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

DRIVER = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[5:],
                       artifacts=(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))
"""


def known_failures(path):
    """{name: reason} from lines "NAME  reason"; # comments and blank lines ignored."""
    known = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit("%s: %s has no reason" % (path, name))
            known[name] = reason.strip()
    return known


def run(args, program):
    """(name, passed, why) for one program booted on HMK."""
    name = os.path.basename(program)
    with tempfile.TemporaryDirectory(prefix="hmk-linux-") as scratch:
        log = os.path.join(scratch, "console.log")
        cmd = [sys.executable, "-c", DRIVER, args.exec_dir, args.kernel, args.shim,
               json.dumps(args.image_files), "--profile=" + args.profile, "--log", log,
               "--timeout", "120", "--env", "TMPDIR=" + args.tmpdir, "--add",
               "%s:/bin/%s" % (os.path.abspath(program), name), "--", "/bin/" + name]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=180, cwd=scratch)
    out, err = proc.stdout, proc.stderr
    if proc.returncode != 0:
        return name, False, "exit %d: %s" % (proc.returncode,
                                             (err or out).decode("utf-8", "replace")[-300:])
    if err:
        return name, False, "stderr: %s" % err.decode("utf-8", "replace")[-300:]
    if out.count(b"\n") > 1:
        return name, False, "more than one line on stdout"
    return name, True, ""


def image_file(spec):
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError("--image-file wants NAME=PATH, got %r" % spec)
    return name, os.path.abspath(path)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="hmk_test.py", allow_abbrev=False)
    p.add_argument("--profile", default="ic0")
    p.add_argument("--image-file", type=image_file, action="append", default=[],
                   dest="image_files", metavar="NAME=PATH")
    p.add_argument("--tmpdir", default="/tmp")
    p.add_argument("--known-failures", action="append", default=[], dest="more_known",
                   metavar="FILE")
    p.add_argument("kernel", type=os.path.abspath)
    p.add_argument("shim", type=os.path.abspath)
    p.add_argument("exec_dir", type=os.path.abspath)
    p.add_argument("known")
    p.add_argument("count", type=int)
    p.add_argument("programs", nargs="*")
    args = p.parse_args(argv)
    args.image_files = dict(args.image_files)
    if not args.tmpdir.startswith("/"):
        p.error("--tmpdir must be absolute")
    return args


def main(argv):
    args = parse_args(argv)
    profile, programs, count = args.profile, args.programs, args.count
    if len(programs) != count or not programs:
        sys.exit("hmk_test: expected %d programs, got %d" % (count, len(programs)))
    names = {os.path.basename(p) for p in programs}
    known, listed_in = {}, {}  # name: reason, name: the list that has it
    for known_path in [args.known] + args.more_known:
        listed = known_failures(known_path)
        unknown = sorted(set(listed) - names)
        if unknown:
            sys.exit("hmk_test: %s lists programs that do not exist: %s" % (known_path, unknown))
        twice = sorted(set(listed) & set(known))
        if twice:
            sys.exit("hmk_test: %s lists programs another list has: %s" % (known_path, twice))
        known.update(listed)
        listed_in.update((name, known_path) for name in listed)
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda p: run(args, p), programs))
    problems = []
    passed = 0
    for name, ok, why in results:
        passed += ok
        if ok and name in known:
            problems.append("%s passes now: remove it from %s" % (name, listed_in[name]))
        elif not ok and name not in known:
            problems.append("%s fails on HMK: %s" % (name, why))
        elif not ok:
            first = why.splitlines()[0][:160] if why else ""
            print("known failure %s (%s): %s" % (name, known[name], first))
    print("%d of %d programs pass on HMK (profile %s, TMPDIR=%s), %d known failures"
          % (passed, len(results), profile, args.tmpdir, len(known)))
    if len(results) != len(programs):
        problems.append("ran %d of %d programs" % (len(results), len(programs)))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
