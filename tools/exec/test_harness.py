"""Runs exec.py's main() in a child process, with testdata/fake_qemu.py as qemu-system-x86_64
(first on PATH), stand-in kernel, shim and busybox files and a scratch directory; the child's
stdout, stderr and exit status are what a user of ./hmk exec would see."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_QEMU = os.path.join(HERE, "testdata", "fake_qemu.py")

# main() with the build replaced by the given kernel, shim and image files (a JSON object,
# {name in the initrd: path}, for the composition profiles): the only seam.
DRIVER = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[6:], artifacts=(sys.argv[2], sys.argv[3], json.loads(sys.argv[5])),
                       busybox=sys.argv[4]))
"""


class Scratch:
    """A scratch directory with a qemu-system-x86_64 wrapper and the stand-in files."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="exec-test-")
        self.dir = self._tmp.name
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        wrapper = os.path.join(bin_dir, "qemu-system-x86_64")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (sys.executable, FAKE_QEMU))
        os.chmod(wrapper, 0o755)
        self.env = dict(os.environ)
        self.real_qemu = shutil.which("qemu-system-x86_64")
        self.env["PATH"] = bin_dir + os.pathsep + self.env.get("PATH", "/usr/bin:/bin")
        self.env.pop("HMK_CALLER_DIR", None)
        self.artifacts = []
        for name in ("kernel", "shim", "busybox"):
            path = self.path(name)
            with open(path, "wb") as f:
                f.write(b"stand-in " + name.encode())
            self.artifacts.append(path)
        self.log = self.path("console.log")
        self.files = {}  # the image's files given to main() (composition profiles)

    def path(self, name):
        return os.path.join(self.dir, name)

    def script(self, steps):
        """The fake QEMU's steps (testdata/fake_qemu.py)."""
        path = self.path("script.json")
        with open(path, "w") as f:
            json.dump(steps, f)
        self.env["FAKE_QEMU_SCRIPT"] = path

    def command(self, args):
        return ([sys.executable, "-c", DRIVER, HERE] + self.artifacts
                + [json.dumps(self.files)] + list(args))

    def run(self, args, timeout=60):
        """(exit status, stdout bytes, stderr bytes) of ./hmk exec ARGS."""
        proc = subprocess.run(self.command(args), env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, cwd=self.dir)
        return proc.returncode, proc.stdout, proc.stderr

    def read_log(self):
        with open(self.log, "rb") as f:
            return f.read()

    def close(self):
        self._tmp.cleanup()
