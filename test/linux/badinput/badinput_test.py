#!/usr/bin/env python3
"""Bad input for every system call the shim implements: badinput (generated from
linuxcompat/syscalls.tbl by gen_badinput.py) calls each one with one bad argument at a time (a
bad descriptor, an unmapped pointer, a huge length, every flag bit) and prints each answer. It
runs on the host Linux and on HMK (./hmk exec's runner, the built kernel and shim); the two
outputs must be the same line for line, except the lines known_differences.txt explains (which
must still differ). On HMK the run must also end cleanly: exit 0, no leaked frame or object.

    badinput_test.py PROGRAM KNOWN_DIFFERENCES KERNEL SHIM EXEC_DIR
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

DRIVER = """\
import sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[4:], artifacts=(sys.argv[2], sys.argv[3])))
"""


def answers(text):
    """{case: answer} from lines "CASE -> ANSWER"."""
    out = {}
    for line in text.splitlines():
        case, sep, answer = line.partition(" -> ")
        if sep:
            out[case] = answer
    return out


def known(path):
    cases = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, arg, reason = line.split(None, 2)
                cases["%s %s" % (name, arg)] = reason
    return cases


def frames_balance(console):
    """Whether the boot's last line says every frame came back: free after (plus what a kernel
    domain keeps for good, its heap) equals free before."""
    m = re.search(r"frames free before (\d+), after (\d+)(?:, (\d+) kept by the kernel domain)?"
                  r"(.*)", console)
    return (m is not None and "LEAK" not in m.group(4)
            and int(m.group(1)) == int(m.group(2)) + int(m.group(3) or 0))


class BadInputTest(unittest.TestCase):
    args = None
    profile = "ic0"

    def test_the_same_errors_as_the_host(self):
        program, differences, kernel, shim, exec_dir = self.args
        # Standard input /dev/null read-only, as the shim gives it (subprocess.DEVNULL would
        # open it read-write, and writes to fd 0 would then succeed on the host).
        with tempfile.TemporaryDirectory(prefix="badinput-") as scratch, \
                open(os.devnull, "rb") as null:
            host = subprocess.run([program], cwd=scratch, stdin=null,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            log = os.path.join(scratch, "console.log")
            hmk = subprocess.run(
                [sys.executable, "-c", DRIVER, exec_dir, kernel, shim,
                 "--profile=" + self.profile, "--log", log,
                 "--add", "%s:/bin/badinput" % program, "--", "/bin/badinput"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=300, cwd=scratch)
            with open(log) as f:
                console = f.read()
        self.assertEqual(host.returncode, 0, host.stderr)
        self.assertEqual(hmk.returncode, 0, console[-3000:])
        self.assertTrue(frames_balance(console), console[-3000:])
        on_host = answers(host.stdout.decode())
        on_hmk = answers(hmk.stdout.decode())
        self.assertGreater(len(on_host), 100)  # the generated program calls something
        self.assertEqual(sorted(on_hmk), sorted(on_host))
        expected = known(differences)
        for case, answer in on_host.items():
            with self.subTest(case=case):
                if case in expected:
                    self.assertNotEqual(on_hmk[case], answer,
                                        "%s is the same now: remove it from %s" %
                                        (case, differences))
                else:
                    self.assertEqual(on_hmk[case], answer)
        print("%d bad-input calls, %d answered as on the host, %d known differences"
              % (len(on_host), sum(on_hmk[c] == a for c, a in on_host.items()), len(expected)))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0].startswith("--profile="):  # ./hmk exec's profile (default: ic0)
        BadInputTest.profile = args[0][len("--profile="):]
        args = args[1:]
    BadInputTest.args = [os.path.abspath(a) for a in args[:5]]
    unittest.main(argv=sys.argv[:1])
