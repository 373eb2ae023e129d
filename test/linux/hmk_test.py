#!/usr/bin/env python3
"""The Linux conformance suite on HMK: every program of programs.bzl booted through ./hmk exec's
runner (tools/exec/exec.py) with the built kernel and shim, as on the host (host_test.sh): it
passes when it exits 0, writes nothing to stderr and at most one line to stdout.

hmk_known_failures.txt lists the programs that do not pass on HMK yet, each with the reason;
every other program must pass, and every listed one must still fail (so that the list shrinks
when the shim gets better, rather than hiding programs that pass). A run that boots fewer
programs than the list has fails.

    hmk_test.py [--profile=P] KERNEL SHIM EXEC_DIR KNOWN_FAILURES COUNT PROGRAM...

--profile is ./hmk exec's (default: ic0); BUILD runs the suite under every profile.
"""

import concurrent.futures
import os
import subprocess
import sys
import tempfile

DRIVER = """\
import sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[4:], artifacts=(sys.argv[2], sys.argv[3])))
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


def run(kernel, shim, exec_dir, program, profile):
    """(name, passed, why) for one program booted on HMK."""
    name = os.path.basename(program)
    with tempfile.TemporaryDirectory(prefix="hmk-linux-") as scratch:
        log = os.path.join(scratch, "console.log")
        cmd = [sys.executable, "-c", DRIVER, exec_dir, kernel, shim, "--profile=" + profile,
               "--log", log,
               "--timeout", "120", "--env", "TMPDIR=/tmp", "--add",
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


def main(argv):
    profile = "ic0"
    if argv and argv[0].startswith("--profile="):
        profile = argv[0][len("--profile="):]
        argv = argv[1:]
    kernel, shim, exec_dir = (os.path.abspath(a) for a in argv[:3])
    known_path, count = argv[3:5]
    programs = argv[5:]
    if len(programs) != int(count) or not programs:
        sys.exit("hmk_test: expected %s programs, got %d" % (count, len(programs)))
    known = known_failures(known_path)
    names = {os.path.basename(p) for p in programs}
    unknown = sorted(set(known) - names)
    if unknown:
        sys.exit("hmk_test: %s lists programs that do not exist: %s" % (known_path, unknown))
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda p: run(kernel, shim, exec_dir, p, profile), programs))
    problems = []
    passed = 0
    for name, ok, why in results:
        passed += ok
        if ok and name in known:
            problems.append("%s passes now: remove it from %s" % (name, known_path))
        elif not ok and name not in known:
            problems.append("%s fails on HMK: %s" % (name, why))
        elif not ok:
            first = why.splitlines()[0][:160] if why else ""
            print("known failure %s (%s): %s" % (name, known[name], first))
    print("%d of %d programs pass on HMK (profile %s), %d known failures"
          % (passed, len(results), profile, len(known)))
    if len(results) != len(programs):
        problems.append("ran %d of %d programs" % (len(results), len(programs)))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
