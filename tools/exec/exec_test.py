#!/usr/bin/env python3
"""./hmk exec on the host, without the shim: its command line, the initrd it assembles (parsed
back from the cpio), the status-line parser, and the plumbing around QEMU with a fake QEMU
(testdata/fake_qemu.py) that writes given bytes to the serial ports it was given: byte-exact,
separate, streamed stdout and stderr, and the exit status (N, 125, 124)."""

import os
import select
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exec as hmk_exec  # noqa: E402
import test_harness  # noqa: E402

MANIFEST = (b"run /bin/lxshim initrd=yes ioports=stdout:0x2f8:8 ioports=stderr:0x3e8:8 "
            b"quota=256M\n")
MANIFEST_IC0 = (b"kernel serves=linux initrd=yes ioports=stdout:0x2f8:8 ioports=stderr:0x3e8:8 "
                b"quota=256M\nrun /bin/lxwait uses=linux\n")
# The composition profiles' manifests, as hmk_image generates them (tools/exec/images): the
# services' lines, then the ic2 line granting the shim vfs, procmgr and memmgr.
SHIM_LINE = (b"run /bin/lxshim uses=vfs,procmgr,memmgr initrd=yes ioports=stdout:0x2f8:8 ioports=stderr:0x3e8:8 "
             b"quota=256M\n")
MANIFESTS = {
    "split": (b"domain ramfs /bin/ramfs serves=ramfs quota=98M\n"
              b"domain vfs /bin/vfs serves=vfs uses=ramfs\n"
              b"domain procmgr /bin/procmgr serves=procmgr\n"
              b"domain memmgr /bin/memmgr serves=memmgr\n" + SHIM_LINE),
    "coalesced": (b"domain services /bin/services serves=ramfs,vfs,procmgr,memmgr quota=98M\n" +
                  SHIM_LINE),
    "kernel": b"kernel serves=ramfs,vfs,procmgr,memmgr\n" + SHIM_LINE,
}
DOMAIN_PROGRAMS = {"split": [b"bin/ramfs", b"bin/vfs", b"bin/procmgr", b"bin/memmgr"],
                   "coalesced": [b"bin/services"],
                   "kernel": []}
DEFAULT_ENV = b"HOME=/\0PATH=/bin:/sbin:/usr/bin:/usr/sbin\0"
ALL_BYTES = bytes(range(256))


def built_file(path):
    """A file Bazel builds (`path` as exec.py names it, under bazel-bin/): from the test's
    runfiles under `bazel test`, else from the workspace's bazel-bin."""
    rel = path[len("bazel-bin/"):] if path.startswith("bazel-bin/") else path
    if os.environ.get("TEST_SRCDIR"):
        return os.path.join(os.environ["TEST_SRCDIR"], "hmk", rel)
    return os.path.join(hmk_exec.ROOT, "bazel-bin", rel)


def generated_manifest(profile):
    return built_file(dict((n, f) for n, _, f in hmk_exec.PROFILES[profile].image_files)
                      ["manifest"])


def parse(argv, base="/caller"):
    return hmk_exec.parse_args(argv, base=base)


def read_cpio(path):
    """{name: (mode, data)} and the names in archive order, read independently of newc.py;
    every header must say ino != 0, uid 0, gid 0, mtime 0."""
    with open(path, "rb") as f:
        blob = f.read()
    entries, order = {}, []
    offset = 0
    while True:
        assert blob[offset:offset + 6] == b"070701", "bad magic at %d" % offset
        fields = [int(blob[offset + 6 + 8 * i:offset + 14 + 8 * i], 16) for i in range(13)]
        ino, mode, uid, gid, _, mtime, size = fields[:7]
        namesize = fields[11]
        name = blob[offset + 110:offset + 110 + namesize - 1]
        offset = (offset + 110 + namesize + 3) & ~3
        data = blob[offset:offset + size]
        offset = (offset + size + 3) & ~3
        if name == b"TRAILER!!!":
            return entries, order
        assert (uid, gid, mtime) == (0, 0, 0) and ino != 0, name
        assert name not in entries, "duplicate %r" % name
        entries[name] = (mode, data)
        order.append(name)


class ArgsTest(unittest.TestCase):
    def test_defaults(self):
        o = parse(["--", "/bin/busybox", "sh", "-c", "echo hi"])
        self.assertEqual(o.profile, "ic0")  # the shim in the kernel, as HongMeng places it
        self.assertEqual(o.argv, [b"/bin/busybox", b"sh", b"-c", b"echo hi"])
        self.assertEqual(o.env, [("HOME", "/"), ("PATH", "/bin:/sbin:/usr/bin:/usr/sbin")])
        self.assertEqual(o.adds, [])
        self.assertEqual(o.log, os.path.join(hmk_exec.ROOT, ".cache", "exec", "last.log"))
        self.assertEqual((o.verbose, o.timeout), (False, 300.0))

    def test_options(self):
        o = parse(["--profile=ic2", "--add", "d:/mnt/", "--add=/abs/f:/x//y/../z",
                   "--env", "A=1", "--env=HOME=/root", "--env", "E=", "--env", "B=x=y",
                   "--log", "out.log", "--verbose", "--timeout", "2.5",
                   "--", "/mnt/prog", "--", "--add", ""])
        self.assertEqual(o.adds, [("/caller/d", "/mnt"), ("/abs/f", "/x/z")])
        self.assertEqual(o.env, [("HOME", "/root"), ("PATH", "/bin:/sbin:/usr/bin:/usr/sbin"),
                                 ("A", "1"), ("E", ""), ("B", "x=y")])
        self.assertEqual(o.log, "/caller/out.log")
        self.assertEqual((o.verbose, o.timeout), (True, 2.5))
        # Everything after the first "--" is the program's, options and "--" included.
        self.assertEqual(o.argv, [b"/mnt/prog", b"--", b"--add", b""])

    def test_caller_dir(self):
        os.environ["HMK_CALLER_DIR"] = "/where/hmk/ran"
        try:
            o = hmk_exec.parse_args(["--add", "d:/mnt", "--log", "l", "--", "/p"])
        finally:
            del os.environ["HMK_CALLER_DIR"]
        self.assertEqual(o.adds, [("/where/hmk/ran/d", "/mnt")])
        self.assertEqual(o.log, "/where/hmk/ran/l")

    def assertUsageError(self, argv, message):
        with self.assertRaises(hmk_exec.Failure) as cm:
            parse(argv)
        self.assertEqual(cm.exception.code, 2)
        self.assertIn(message, str(cm.exception))

    def test_errors(self):
        self.assertUsageError([], "missing '--' and the program")
        self.assertUsageError(["/bin/busybox"], "unexpected /bin/busybox")
        self.assertUsageError(["--verbose"], "missing '--' and the program")
        self.assertUsageError(["--"], "no program after '--'")
        self.assertUsageError(["--", ""], "no program after '--'")
        self.assertUsageError(["--profile=linux", "--", "/p"],
                              "unknown profile 'linux'; known profiles: coalesced, ic0, ic2, "
                              "kernel, split, userpager")
        self.assertUsageError(["--frobnicate", "--", "/p"], "unexpected --frobnicate")
        self.assertUsageError(["--verb", "--", "/p"], "unexpected --verb")  # no abbreviations
        self.assertUsageError(["--add", "dir", "--", "/p"], "--add wants HOSTPATH:GUESTPATH")
        self.assertUsageError(["--add", ":/mnt", "--", "/p"], "--add wants HOSTPATH:GUESTPATH")
        self.assertUsageError(["--add", "d:", "--", "/p"], "--add wants HOSTPATH:GUESTPATH")
        self.assertUsageError(["--add", "d:mnt", "--", "/p"], "must be absolute")
        self.assertUsageError(["--env", "NAME", "--", "/p"], "--env wants NAME=VALUE")
        self.assertUsageError(["--env", "=v", "--", "/p"], "--env wants NAME=VALUE")
        for bad in ("0", "-1", "nan", "inf"):
            self.assertUsageError(["--timeout", bad, "--", "/p"],
                                  "--timeout must be a positive number")
        self.assertUsageError(["--timeout", "soon", "--", "/p"], "invalid float value")
        self.assertUsageError(["--log", "--", "/p"], "expected one argument")

    def test_errors_exit_2_with_nothing_on_stdout(self):
        scratch = test_harness.Scratch()
        self.addCleanup(scratch.close)
        for args in (["/bin/busybox"], ["--"], ["--profile=nope", "--", "/p"]):
            status, out, err = scratch.run(args)
            self.assertEqual((status, out), (2, b""), args)
            self.assertIn(b"hmk exec: error: ", err)
        status, out, err = scratch.run(["--profile=nope", "--", "/p"])
        self.assertIn(b"known profiles: coalesced, ic0, ic2, kernel, split, userpager", err)


class ImageTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name
        self.busybox = self.make_file("busybox", b"BUSYBOX", 0o755)
        self.shim = self.make_file("shim", b"SHIM", 0o755)
        self.kernel = self.make_file("kernel", b"KERNEL", 0o644)

    def make_file(self, rel, data, mode):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def make_dir(self, rel, mode):
        path = os.path.join(self.tmp, rel)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        return path

    def make_tree(self):
        """src/: files, directories and symlinks with their own modes."""
        self.make_file("src/prog", b"\x7fELF prog", 0o755)
        self.make_file("src/data.txt", b"data\r\n\0", 0o640)
        self.make_file("src/.hidden", b"", 0o600)
        self.make_file("src/sub/deep/file", b"deep", 0o644)
        self.make_dir("src/sub/deep", 0o700)
        self.make_dir("src/sub/empty", 0o711)
        self.make_dir("src/sub", 0o750)
        self.make_dir("src", 0o751)
        os.symlink("prog", os.path.join(self.tmp, "src/link"))
        os.symlink("../nowhere", os.path.join(self.tmp, "src/dangling"))
        os.symlink("sub", os.path.join(self.tmp, "src/dirlink"))
        return os.path.join(self.tmp, "src")

    def image_files(self, profile):
        """The files main() takes from a composition profile's image: the manifest Bazel
        generated, stand-ins for the domain programs."""
        files = {}
        for name, _, _ in hmk_exec.PROFILES[profile].image_files:
            files[name] = (generated_manifest(profile) if name == "manifest" else
                           self.make_file("built/" + name, b"DOMAIN " + name.encode(), 0o755))
        return files

    def build(self, argv, out="image.cpio", files=None):
        """The initrd main() boots for `argv`, with stand-ins for what is built (the kernel,
        the shim, a composition profile's domain programs; `files` to give others)."""
        options = parse(argv, base=self.tmp)
        profile = hmk_exec.PROFILES[options.profile]
        image = hmk_exec.image_for(options, profile, self.busybox)
        if files is None:
            files = self.image_files(options.profile)
        hmk_exec.add_built(image, hmk_exec.Artifacts(self.kernel, self.shim, files),
                           options.profile, profile)
        path = os.path.join(self.tmp, out)
        image.write(path)
        return path

    def test_contents(self):
        self.make_tree()
        single = self.make_file("single.bin", b"one file", 0o604)
        path = self.build(["--profile=ic2", "--add", "src:/mnt", "--add", single + ":/etc/single",
                           "--env", "FOO=bar", "--env", "HOME=/root",
                           "--", "/mnt/prog", "a b", "", "x\ny"])
        entries, order = read_cpio(path)
        d, f, ln = stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK
        self.assertEqual(entries, {
            b"manifest": (f | 0o644, MANIFEST),
            b"bin": (d | 0o755, b""),
            b"bin/busybox": (f | 0o755, b"BUSYBOX"),
            b"bin/lxshim": (f | 0o755, b"SHIM"),
            b"hmk": (d | 0o755, b""),
            b"hmk/exec.argv": (f | 0o644, b"/mnt/prog\0a b\0\0x\ny\0"),
            b"hmk/exec.env": (f | 0o644, b"HOME=/root\0PATH=/bin:/sbin:/usr/bin:/usr/sbin\0"
                                         b"FOO=bar\0"),
            b"hmk/exec.config": (f | 0o644, b"pager=kernel\n"),
            b"hmk/exec.boot": (f | 0o644, b"bin/lxshim\nmanifest\n"),
            b"etc": (d | 0o755, b""),
            b"etc/single": (f | 0o604, b"one file"),
            b"mnt": (d | 0o751, b""),
            b"mnt/prog": (f | 0o755, b"\x7fELF prog"),
            b"mnt/data.txt": (f | 0o640, b"data\r\n\0"),
            b"mnt/.hidden": (f | 0o600, b""),
            b"mnt/sub": (d | 0o750, b""),
            b"mnt/sub/deep": (d | 0o700, b""),
            b"mnt/sub/deep/file": (f | 0o644, b"deep"),
            b"mnt/sub/empty": (d | 0o711, b""),
            b"mnt/link": (ln | 0o777, b"prog"),
            b"mnt/dangling": (ln | 0o777, b"../nowhere"),
            b"mnt/dirlink": (ln | 0o777, b"sub"),
        })
        self.assertEqual(order, sorted(order))  # so every directory precedes its contents

    def test_defaults(self):
        # The shim in the kernel: a kernel line for it, and lxwait to start the program.
        entries, _ = read_cpio(self.build(["--", "/bin/busybox", "true"]))
        self.assertEqual(sorted(entries), [b"bin", b"bin/busybox", b"bin/lxwait", b"hmk",
                                           b"hmk/exec.argv", b"hmk/exec.boot", b"hmk/exec.config",
                                           b"hmk/exec.env", b"manifest"])
        self.assertEqual(entries[b"hmk/exec.boot"][1], b"bin/lxwait\nmanifest\n")
        self.assertEqual(entries[b"manifest"][1], MANIFEST_IC0)
        self.assertEqual(entries[b"hmk/exec.config"][1], b"pager=kernel\n")
        self.assertEqual(entries[b"hmk/exec.env"][1], DEFAULT_ENV)
        self.assertEqual(entries[b"hmk/exec.argv"][1], b"/bin/busybox\0true\0")

    def test_profile_userpager(self):
        entries, _ = read_cpio(self.build(["--profile=userpager", "--", "/bin/busybox", "true"]))
        self.assertEqual(entries[b"hmk/exec.config"][1], b"pager=user\n")
        self.assertEqual(entries[b"manifest"][1], MANIFEST)  # the same kernel and shim

    def test_composition_profiles(self):
        # The ic2 image, but the manifest and the services' programs come from the profile's
        # image: the domain (or kernel) lines, then the shim's line with uses=vfs.
        for name in ("split", "coalesced", "kernel"):
            entries, _ = read_cpio(self.build(["--profile=" + name, "--", "/bin/busybox", "true"]))
            self.assertEqual(sorted(entries), sorted(
                [b"bin", b"bin/busybox", b"bin/lxshim", b"hmk", b"hmk/exec.argv",
                 b"hmk/exec.boot", b"hmk/exec.config", b"hmk/exec.env", b"manifest"]
                + DOMAIN_PROGRAMS[name]), name)
            # The boot's own files, which the shim leaves out of the Linux programs' root.
            self.assertEqual(entries[b"hmk/exec.boot"][1], b"".join(
                n + b"\n" for n in sorted([b"bin/lxshim", b"manifest"] + DOMAIN_PROGRAMS[name])))
            self.assertEqual(entries[b"manifest"], (
                stat.S_IFREG | 0o644,
                b'# Generated by hmk_image for image "%s". Do not edit.\n' % name.encode()
                + MANIFESTS[name]), name)
            for program in DOMAIN_PROGRAMS[name]:
                self.assertEqual(entries[program], (stat.S_IFREG | 0o755, b"DOMAIN " + program))
            self.assertEqual(entries[b"bin/lxshim"], (stat.S_IFREG | 0o755, b"SHIM"))
            self.assertEqual(entries[b"hmk/exec.config"][1], b"pager=kernel\n")
            self.assertEqual(entries[b"hmk/exec.env"][1], DEFAULT_ENV)

    def test_composition_profiles_name_what_bazel_builds(self):
        # exec.py's table names the image's targets and files; they must be where hmk_image
        # puts them (BUILD gives this test all of them), and the domain programs must be those
        # the image's manifest starts.
        found = 0
        for name, profile in sorted(hmk_exec.PROFILES.items()):
            if not profile.image_files:
                self.assertTrue(profile.manifest, name)
                continue
            found += 1
            self.assertEqual(profile.manifest, "", name)
            self.assertEqual(profile.kernel_target,
                             "//tools/exec/images:%s.kernel.elf" % name)
            self.assertTrue(os.path.isfile(built_file(profile.kernel_file)), name)
            for file_name, target, path in profile.image_files:
                package, _, target_name = target.partition(":")
                self.assertEqual(path, "bazel-bin/%s/%s" % (package[2:], target_name))
                self.assertTrue(os.path.isfile(built_file(path)), path)
            with open(generated_manifest(name)) as f:
                started = [line.split()[2][1:] for line in f if line.startswith("domain ")]
            self.assertEqual(sorted(started), sorted(
                n for n, _, _ in profile.image_files if n != "manifest"), name)
        self.assertEqual(found, 3)

    def test_what_was_built_must_match_the_profile(self):
        self.assertRefused(["--profile=split", "--", "/bin/busybox"],
                           "profile split takes bin/memmgr, bin/procmgr, bin/ramfs, bin/vfs, "
                           "manifest from its image; given nothing", code=125, files={})
        self.assertRefused(["--profile=coalesced", "--", "/bin/busybox"],
                           "profile coalesced takes bin/services, manifest from its image; "
                           "given bin/memmgr, bin/procmgr, bin/ramfs, bin/vfs, manifest",
                           code=125,
                           files=self.image_files("split"))
        self.assertRefused(["--profile=ic2", "--", "/bin/busybox"],
                           "profile ic2 takes nothing from its image; given manifest", code=125,
                           files={"manifest": generated_manifest("kernel")})
        files = self.image_files("split")
        files["bin/vfs"] = os.path.join(self.tmp, "missing")
        self.assertRefused(["--profile=split", "--", "/bin/busybox"],
                           "%s was not built" % files["bin/vfs"], code=125, files=files)

    def test_at_the_root_and_merged_directories(self):
        self.make_file("a/usr/bin/x", b"x", 0o755)
        self.make_file("b/usr/bin/y", b"y", 0o700)
        self.make_dir("b/usr", 0o555)
        entries, _ = read_cpio(self.build(["--add", "a:/", "--add", "b:/", "--", "/usr/bin/y"]))
        self.assertEqual(entries[b"usr/bin/x"], (stat.S_IFREG | 0o755, b"x"))
        self.assertEqual(entries[b"usr/bin/y"], (stat.S_IFREG | 0o700, b"y"))
        self.assertEqual(entries[b"usr"][0], stat.S_IFDIR | 0o555)  # the later --add's mode
        self.assertNotIn(b"", entries)
        self.assertNotIn(b".", entries)

    def test_deterministic(self):
        src = self.make_tree()
        first = self.build(["--add", "src:/mnt", "--", "/mnt/prog"], out="1.cpio")
        for root, dirs, files in os.walk(src):
            for name in dirs + files:
                os.utime(os.path.join(root, name), (12345, 67890), follow_symlinks=False)
        second = self.build(["--add", "src:/mnt", "--", "/mnt/prog"], out="2.cpio")
        with open(first, "rb") as a, open(second, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def assertRefused(self, argv, message, code=2, files=None):
        with self.assertRaises(hmk_exec.Failure) as cm:
            self.build(argv, files=files)
        self.assertEqual(cm.exception.code, code)
        self.assertIn(message, str(cm.exception))

    def test_reserved_paths(self):
        self.make_tree()
        f = self.make_file("f", b"f", 0o644)
        self.make_file("withmanifest/manifest", b"m", 0o644)
        self.make_file("withhmk/hmk/x", b"x", 0o644)
        self.make_file("withvfs/bin/vfs", b"v", 0o755)
        for argv in (["--add", f + ":/manifest"], ["--add", f + ":/bin/lxshim"],
                     ["--add", f + ":/hmk/exec.env"], ["--add", f + ":/hmk/other"],
                     ["--add", "src:/hmk"], ["--add", "withmanifest:/"],
                     ["--add", "withhmk:/"], ["--add", f + ":/bin/lxwait"],
                     ["--add", f + ":/bin/ramfs"], ["--add", f + ":/bin/vfs"],
                     ["--add", f + ":/bin/services"], ["--add", f + ":/bin/procmgr"],
                     ["--add", f + ":/bin/memmgr"],
                     ["--add", "withvfs:/"]):
            # Whatever the profile: the composition profiles' programs too.
            for profile in ("ic0", "ic2", "split", "kernel"):
                self.assertRefused(["--profile=" + profile] + argv + ["--", "/bin/busybox"],
                                   "is reserved for ./hmk exec (/bin/lxshim, /bin/lxwait, "
                                   "/bin/memmgr, /bin/procmgr, /bin/ramfs, /bin/services, "
                                   "/bin/vfs, "
                                   "/manifest, /hmk/)")

    def test_overlaps(self):
        self.make_tree()
        f = self.make_file("f", b"f", 0o644)
        self.assertRefused(["--add", f + ":/x", "--add", f + ":/x", "--", "/x"],
                           "/x is given twice: by %s:/x and by %s:/x" % (f, f))
        self.assertRefused(["--add", f + ":/bin/busybox", "--", "/bin/busybox"],
                           "/bin/busybox is given twice")
        self.assertRefused(["--add", "src:/m", "--add", f + ":/m/sub", "--", "/m/prog"],
                           "/m/sub is given twice")
        self.assertRefused(["--add", f + ":/m", "--add", "src:/m/d", "--", "/m"],
                           "needs /m to be a directory, but it is a file")
        self.assertRefused(["--add", "src:/m", "--add", f + ":/m/link/f", "--", "/m/prog"],
                           "needs /m/link to be a directory, but it is a symlink")

    def test_bad_host_files(self):
        self.make_tree()
        os.mkfifo(os.path.join(self.tmp, "src", "fifo"))
        self.assertRefused(["--add", "src:/m", "--", "/m/prog"],
                           "fifo is not a file, directory or symlink")
        self.assertRefused(["--add", "missing:/m", "--", "/bin/busybox"],
                           "No such file or directory")

    def test_program_must_be_in_the_image(self):
        self.make_tree()
        self.assertRefused(["--", "/bin/sh"], "/bin/sh is not in the image", code=127)
        self.assertRefused(["--add", "src:/m", "--", "/m/sub"], "/m/sub is a directory")
        # Behind a symlink, or relative, it is the shim's to find.
        self.build(["--add", "src:/m", "--", "/m/dirlink/deep/file"])
        self.build(["--add", "src:/m", "--", "/m/link"])
        self.build(["--", "busybox"])

    def test_dynamically_linked_programs_are_refused(self):
        # A static-PIE (ET_DYN, no PT_INTERP) and an ET_EXEC program go in; one with PT_INTERP
        # is refused with 127 (what the shim's execve would end in: ENOENT) and says why.
        self.make_file("d/pie", elf_program(3), 0o755)
        self.make_file("d/exec", elf_program(2), 0o755)
        self.make_file("d/dynamic", elf_program(3, b"/lib/ld-musl-x86_64.so.1\0"), 0o755)
        self.make_file("d/cut", elf_program(3, b"/lib/ld.so\0")[:-4], 0o755)
        self.build(["--add", "d:/mnt", "--", "/mnt/pie"])
        self.build(["--add", "d:/mnt", "--", "/mnt/exec"])
        self.assertRefused(["--add", "d:/mnt", "--", "/mnt/dynamic"],
                           "/mnt/dynamic is dynamically linked (its interpreter is "
                           "/lib/ld-musl-x86_64.so.1)", code=127)
        self.build(["--add", "d:/mnt", "--", "/mnt/cut"])  # damaged: the shim's to judge
        self.assertEqual(hmk_exec.elf_interpreter(elf_program(2, b"/x\0")), b"/x")
        for data in (b"", b"\x7fELF", elf_program(3)[:100], b"#!/bin/sh\n" + b"x" * 100):
            self.assertIsNone(hmk_exec.elf_interpreter(data))


def elf_program(elf_type, interpreter=None):
    """An x86-64 ELF file of `elf_type` (2 ET_EXEC, 3 ET_DYN): a PT_LOAD, and a PT_INTERP with
    `interpreter` at its end if given."""
    phdrs = [(1, 5, 0, 0x400000, 0x400000, 0x200, 0x200, 0x1000)]
    if interpreter is not None:
        phdrs.insert(0, (3, 4, 0x200, 0, 0, len(interpreter), len(interpreter), 1))
    header = struct.pack("<4sBBBB8xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, elf_type, 62, 1,
                         0x400000, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    body = header + b"".join(struct.pack("<IIQQQQQQ", *p) for p in phdrs)
    return body.ljust(0x200, b"\0") + (interpreter or b"")


class BuildTest(unittest.TestCase):
    """build(): what it asks Bazel for (a stand-in `bazel` on PATH records it), what it returns."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.calls = os.path.join(self._tmp.name, "calls")
        bazel = os.path.join(self._tmp.name, "bazel")
        with open(bazel, "w") as f:
            f.write('#!/bin/sh\necho "$@" >> "%s"\n' % self.calls)
        os.chmod(bazel, 0o755)
        path = os.environ["PATH"]
        os.environ["PATH"] = self._tmp.name + os.pathsep + path
        self.addCleanup(os.environ.__setitem__, "PATH", path)
        # A tree with the shim's package (build() checks for it), where the files would be.
        self.root = os.path.join(self._tmp.name, "tree")
        os.makedirs(os.path.join(self.root, "linuxcompat"))
        with open(os.path.join(self.root, "linuxcompat", "BUILD"), "w"):
            pass
        self.addCleanup(setattr, hmk_exec, "ROOT", hmk_exec.ROOT)
        hmk_exec.ROOT = self.root

    def targets(self):
        with open(self.calls) as f:
            words = f.read().split()
        return [w for w in words if w.startswith("//")]

    def test_ic2(self):
        built = hmk_exec.build(hmk_exec.PROFILES["ic2"])
        self.assertEqual(self.targets(), ["//platform/qemu_pc:kernel", "//linuxcompat:shim"])
        self.assertEqual(built, (os.path.join(self.root, "bazel-bin/platform/qemu_pc/kernel"),
                                 os.path.join(self.root, "bazel-bin/linuxcompat/shim"), {}))

    def test_split(self):
        built = hmk_exec.build(hmk_exec.PROFILES["split"])
        image = "//tools/exec/images:"
        self.assertEqual(self.targets(), [
            image + "split.kernel.elf", "//linuxcompat:shim", image + "split.manifest",
            image + "split_ramfs", image + "split_vfs", image + "split_procmgr",
            image + "split_memmgr"])
        out = os.path.join(self.root, "bazel-bin/tools/exec/images/")
        self.assertEqual(built.kernel, out + "split.kernel.elf")
        self.assertEqual(built.files, {"manifest": out + "split.manifest",
                                       "bin/ramfs": out + "split_ramfs",
                                       "bin/vfs": out + "split_vfs",
                                       "bin/procmgr": out + "split_procmgr",
                                       "bin/memmgr": out + "split_memmgr"})

    def test_kernel(self):
        built = hmk_exec.build(hmk_exec.PROFILES["kernel"])
        self.assertEqual(self.targets(), ["//tools/exec/images:kernel.kernel.elf",
                                          "//linuxcompat:shim",
                                          "//tools/exec/images:kernel.manifest"])
        self.assertEqual(sorted(built.files), ["manifest"])


class StatusTest(unittest.TestCase):
    def status(self, console):
        return hmk_exec.parse_status(console)

    def test_the_exact_line(self):
        for n in (0, 1, 42, 128 + 9, 255):
            console = b"boot: ...\n[lxshim] exit-status %d\nprocess /bin/lxshim exited\n" % n
            self.assertEqual(self.status(console), (n, None))
        self.assertEqual(self.status(b"[lxshim] exit-status 7\r\nhmk: powering off\r\n"),
                         (7, None))

    def test_lines_that_are_not_it(self):
        for forged in (b"[hello] exit-status 3", b"x[lxshim] exit-status 3",
                       b" [lxshim] exit-status 3", b"[hello] [lxshim] exit-status 3",
                       b"lxshim exit-status 3", b"[LXSHIM] exit-status 3"):
            self.assertEqual(self.status(b"boot\n%s\nend\n" % forged),
                             (None, "no '[lxshim] exit-status N' line"), forged)

    def test_a_cut_off_line_does_not_count(self):
        self.assertEqual(self.status(b"boot\n[lxshim] exit-status 12"),
                         (None, "no '[lxshim] exit-status N' line"))

    def test_malformed(self):
        for bad in (b"256", b"007", b"-1", b"3 ", b"3x", b"", b"1000", b"+3"):
            line = b"[lxshim] exit-status " + bad
            status, problem = self.status(b"%s\n" % line)
            self.assertIsNone(status, bad)
            self.assertEqual(problem, "malformed status line %r" % line.decode(), bad)
        self.assertEqual(self.status(b"[lxshim] exit-status\n"),
                         (None, "malformed status line '[lxshim] exit-status'"))

    def test_exactly_one(self):
        self.assertEqual(self.status(b"[lxshim] exit-status 1\n[lxshim] exit-status 2\n"),
                         (None, "2 '[lxshim] exit-status N' lines (exactly one expected)"))
        self.assertEqual(self.status(b"[lxshim] exit-status 1\n[lxshim] exit-status 1\n"),
                         (None, "2 '[lxshim] exit-status N' lines (exactly one expected)"))


def console(*lines):
    return "".join(line + "\r\n" for line in lines).encode().hex()


class PlumbingTest(unittest.TestCase):
    """./hmk exec with the fake QEMU: what reaches stdout, stderr, the log, and the status."""

    def setUp(self):
        self.scratch = test_harness.Scratch()
        self.addCleanup(self.scratch.close)

    def run_exec(self, steps, *options):
        self.scratch.script(steps)
        return self.scratch.run(["--log", self.scratch.log] + list(options)
                                + ["--", "/bin/busybox", "sh"])

    def test_streams_are_separate_and_byte_exact(self):
        out = ALL_BYTES + b"\r\n\n\r\0\0line\r\n"
        err = bytes(reversed(ALL_BYTES)) + b"\n\r\x1b[0m\0"
        status, stdout, stderr = self.run_exec([
            ["qemu_stderr", "qemu-system-x86_64: warning: fake\n"],
            ["com", 1, console("boot: fake kernel")],
            ["com", 2, out[:100].hex()], ["com", 3, err[:7].hex()],
            ["com", 2, out[100:].hex()], ["com", 3, err[7:].hex()],
            ["com", 1, console("[lxshim] exit-status 0", "hmk: powering off")],
            ["exit", 0x21]])
        self.assertEqual(status, 0)
        self.assertEqual(stdout, out)
        self.assertEqual(stderr, err)  # QEMU's own warning is not shown when all went well
        self.assertEqual(self.scratch.read_log(),
                         b"boot: fake kernel\n[lxshim] exit-status 0\nhmk: powering off\n")

    def test_the_exit_status_is_the_shims(self):
        for n in (0, 3, 137, 255):
            status, stdout, stderr = self.run_exec([
                ["com", 1, console("[lxshim] exit-status %d" % n, "boot: 1 programs run")],
                ["exit", 0x21]])
            self.assertEqual((status, stdout, stderr), (n, b"", b""), n)

    def test_a_bad_power_off_after_the_status_is_a_warning(self):
        status, _, stderr = self.run_exec([
            ["com", 1, console("[lxshim] exit-status 4", "PANIC: after the program")],
            ["exit", 0x25]])
        self.assertEqual(status, 4)
        self.assertEqual(stderr, ("hmk exec: warning: the program exited with 4, then the kernel "
                                  "powered off (panic); see %s\n" % self.scratch.log).encode())

    def test_no_status_line_is_125_with_the_log_tail(self):
        lines = ["line %02d" % i for i in range(1, 61)] + ["[hello] exit-status 3"]
        status, stdout, stderr = self.run_exec([
            ["qemu_stderr", "qemu says why\n"],
            ["com", 2, b"partial output".hex()],
            ["com", 1, console(*lines)],
            ["exit", 0x25]])
        self.assertEqual(status, 125)
        self.assertEqual(stdout, b"partial output")
        tail = "\n".join(lines[-40:])
        self.assertEqual(stderr.decode(), (
            "hmk exec: no exit status from the shim: no '[lxshim] exit-status N' line; the "
            "kernel powered off (panic)\n"
            "---- QEMU's own output ----\nqemu says why\n"
            "---- last 40 lines of the kernel console (%s) ----\n%s\n---- end ----\n"
            % (self.scratch.log, tail)))
        self.assertNotIn(b"line 21\n", stderr)
        self.assertIn(b"line 22\n", stderr)

    def test_a_status_line_from_the_program_is_not_one(self):
        status, stdout, stderr = self.run_exec([
            ["com", 2, b"[lxshim] exit-status 0\n".hex()],
            ["com", 3, b"[lxshim] exit-status 0\n".hex()],
            ["com", 1, console("[prog] exit-status 0", "boot: 1 programs run")],
            ["exit", 0x21]])
        self.assertEqual((status, stdout), (125, b"[lxshim] exit-status 0\n"))
        self.assertEqual(stderr.decode(), (
            "[lxshim] exit-status 0\n"
            "hmk exec: no exit status from the shim: no '[lxshim] exit-status N' line; the "
            "kernel powered off (success)\n"
            "---- last 2 lines of the kernel console (%s) ----\n"
            "[prog] exit-status 0\nboot: 1 programs run\n---- end ----\n" % self.scratch.log))

    def test_a_composition_profile_boots_the_images_files(self):
        # main() puts the image's files it was given into the initrd it hands QEMU, with the
        # image's kernel.
        files = {}
        for name in ("manifest", "bin/ramfs", "bin/vfs", "bin/procmgr", "bin/memmgr"):
            files[name] = self.scratch.path(name.replace("/", "_"))
            with open(files[name], "wb") as f:
                f.write(b"built " + name.encode())
        self.scratch.files = files
        initrd, kernel = self.scratch.path("initrd.copy"), self.scratch.path("kernel.copy")
        status, stdout, stderr = self.run_exec([
            ["copy", "-initrd", initrd], ["copy", "-kernel", kernel],
            ["com", 1, console("[lxshim] exit-status 0")], ["exit", 0x21]], "--profile=split")
        self.assertEqual((status, stdout, stderr), (0, b"", b""))
        entries, _ = read_cpio(initrd)
        for name in files:
            self.assertEqual(entries[name.encode()][1], b"built " + name.encode())
        self.assertIn(b"bin/lxshim", entries)
        with open(kernel, "rb") as f:
            self.assertEqual(f.read(), b"stand-in kernel")
        # Without them (the artifacts of ic2), nothing boots.
        self.scratch.files = {}
        status, stdout, stderr = self.run_exec([["exit", 0x21]], "--profile=split")
        self.assertEqual((status, stdout), (125, b""))
        self.assertEqual(stderr, b"hmk exec: error: profile split takes bin/memmgr, bin/procmgr, "
                                 b"bin/ramfs, bin/vfs, manifest from its image; given nothing\n")

    def test_qemu_failing_to_start_is_125(self):
        status, _, stderr = self.run_exec([
            ["qemu_stderr", "qemu-system-x86_64: -chardev file: bad\n"], ["exit", 1]])
        self.assertEqual(status, 125)
        self.assertIn(b"QEMU exited with status 1 (not an HMK power-off)", stderr)
        self.assertIn(b"qemu-system-x86_64: -chardev file: bad", stderr)

    def test_timeout_kills_qemu_and_is_124(self):
        pid_file = self.scratch.path("pid")
        start = time.monotonic()
        status, stdout, stderr = self.run_exec([
            ["pid", pid_file], ["com", 2, b"before".hex()],
            ["com", 1, console("[lxshim] exit-status 0")], ["hang"]], "--timeout", "1")
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual((status, stdout), (124, b"before"))
        self.assertTrue(stderr.startswith(b"hmk exec: timed out after 1s (host time); QEMU "
                                          b"killed\n"), stderr)
        with open(pid_file) as f:
            pid = int(f.read())
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)

    def test_verbose_copies_the_console_to_stderr(self):
        status, stdout, stderr = self.run_exec([
            ["com", 1, console("boot: fake")], ["com", 3, b"err\r".hex()],
            ["com", 1, console("[lxshim] exit-status 0")], ["exit", 0x21]], "--verbose")
        self.assertEqual((status, stdout), (0, b""))
        # The order between the two streams is the reader's; each stream's own order is kept.
        self.assertEqual(stderr.count(b"err\r"), 1, stderr)
        self.assertEqual(stderr.replace(b"err\r", b""),
                         b"boot: fake\n[lxshim] exit-status 0\n")

    def test_output_is_streamed_as_it_comes(self):
        # The fake QEMU writes, then waits for the test to have read it: a runner that only
        # passed output on at the end would never let it go on (and the read times out).
        go = self.scratch.path("go")
        self.scratch.script([
            ["com", 2, b"first".hex()], ["com", 3, b"ERR1".hex()], ["wait_for", go],
            ["com", 2, b" second".hex()], ["com", 1, console("[lxshim] exit-status 9")],
            ["exit", 0x21]])
        proc = subprocess.Popen(
            self.scratch.command(["--log", self.scratch.log, "--", "/bin/busybox"]),
            env=self.scratch.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        try:
            got = {proc.stdout: b"", proc.stderr: b""}
            want = {proc.stdout: b"first", proc.stderr: b"ERR1"}
            deadline = time.monotonic() + 30
            while got != want:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "not streamed: got %r so far" % list(got.values()))
                ready, _, _ = select.select([p for p in got if got[p] != want[p]], [], [], left)
                for pipe in ready:
                    got[pipe] += os.read(pipe.fileno(), 100)
            with open(go, "w"):
                pass
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual((proc.returncode, stdout, stderr), (9, b" second", b""))


if __name__ == "__main__":
    unittest.main()
