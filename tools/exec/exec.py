#!/usr/bin/env python3
"""./hmk exec: run a static Linux x86-64 program (ET_EXEC or static-PIE) on HMK, under the Linux
shim, in QEMU.

    ./hmk exec [--profile=P] [--add HOSTPATH:GUESTPATH]... [--env NAME=VALUE]... [--log FILE]
               [--verbose] [--timeout SECONDS] -- /path/prog args...

Profiles: ic0 (the default, as HongMeng places the shim: linked into the kernel), ic2 (the
shim in a process of its own), userpager (ic2 with page faults going to the shim), and the
composition profiles split, coalesced and kernel (ic2, the shim granted the vfs, procmgr and
memmgr services, with the services ramfs, vfs, procmgr and memmgr each in a process, all in
one, or linked into the kernel: the images of tools/exec/images).
The image is the profile's kernel and an initrd (cpio newc) holding
  /manifest        the profile's lines: in ic0 (the shim linked into the kernel,
                   //linuxcompat:kernel_ic0) a kernel line granting it the initrd and COM2/COM3's
                   ports, and `run /bin/lxwait uses=linux`; in ic2 and userpager: run the shim
                   (/bin/lxshim) with those; in split, coalesced and kernel the image's generated
                   manifest: the services' domain (or kernel) lines, then the shim's ic2 line
                   with uses=vfs,procmgr,memmgr
  /bin/ramfs, /bin/vfs, /bin/procmgr, /bin/memmgr, /bin/services
                   in split and coalesced: the image's domain programs (the services)
  /bin/lxwait      in ic0 (//linuxcompat:lxwait): asks the shim in the kernel to start the
                   Linux program and waits for it; in ic2 and userpager /bin/lxshim instead,
                   the shim (//linuxcompat:shim), which loads and runs the Linux program
  /hmk/exec.argv   the program's argv (argv[0] = the path after `--`), each string NUL-terminated
  /hmk/exec.env    its environment, each NAME=value NUL-terminated: HOME=/ and
                   PATH=/bin:/sbin:/usr/bin:/usr/sbin, then --env additions (an existing NAME
                   keeps its place and takes the new value)
  /hmk/exec.config the profile's shim settings, NAME=VALUE lines: pager=kernel (profiles ic0
                   and ic2: kernel paging resolves the program's page faults) or pager=user
                   (profile userpager: they go to the shim as IPC, a user-level pager)
  /bin/busybox     Debian's busybox-static (no applet links: `/bin/busybox sh`, not `/bin/sh`)
  every --add      a host directory, recursively (files, directories and symlinks, with their
                   modes; symlinks stay symlinks), or a single file, at an absolute guest path.

QEMU gets three serial ports, in -serial order COM1 (0x3f8), COM2 (0x2f8), COM3 (0x3e8):
COM1 is the kernel console, written to the log (CRs dropped; with --verbose also to stderr as it
comes); COM2 and COM3 are the program's stdout and stderr, copied to this command's stdout and
stderr as they come, byte for byte. Each port is a QEMU `file` chardev on /dev/fd/N, the write
end of a pipe this process reads: a file chardev writes the guest's bytes unchanged (the `stdio`
chardev would turn \\n into \\r\\n on a terminal, its termios keep OPOST). Nothing else is
written to stdout; QEMU's own messages are shown only when the run fails.

Exit status: N from the kernel console line `[lxshim] exit-status N` (the program's exit code,
or 128 + signal), which the shim prints last; 124 if --timeout (host seconds) ran out; 125 if
QEMU ended without exactly one such line, or the image could not be built; 2 for a bad command
line.
"""

import argparse
import dataclasses
import math
import os
import posixpath
import re
import select
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import typing

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
import newc  # noqa: E402  the deterministic cpio writer
import run as qemu_run  # noqa: E402  the QEMU machine of ./hmk run, and its power-off codes

EXIT_USAGE = 2
EXIT_NOT_FOUND = 127  # as a shell says for a command it cannot find
EXIT_TIMEOUT = 124
EXIT_FAILED = 125


@dataclasses.dataclass(frozen=True)
class Profile:
    kernel_target: str
    kernel_file: str  # relative to the repository root
    shim_target: str
    shim_file: str
    manifest: str     # /manifest's lines
    memory: str       # QEMU -m
    config: str = ""  # /hmk/exec.config: the shim's settings, NAME=VALUE lines
    about: str = ""   # one line for --help
    shim_path: str = "bin/lxshim"  # where shim_file goes in the initrd
    # A composition profile's files from its image (tools/exec/images): ((name in the initrd,
    # target, file relative to the repository root), ...), the manifest among them (and then
    # `manifest` is empty).
    image_files: tuple = ()


# QEMU gives the i-th -serial port the i-th ISA COM base: COM1 0x3f8 (the kernel console),
# COM2 0x2f8 (stdout), COM3 0x3e8 (stderr). The manifest grants the shim the last two.
_IC2 = Profile(
    kernel_target="//platform/qemu_pc:kernel",
    kernel_file="bazel-bin/platform/qemu_pc/kernel",
    shim_target="//linuxcompat:shim",
    shim_file="bazel-bin/linuxcompat/shim",
    manifest="run /bin/lxshim initrd=yes ioports=stdout:0x2f8:8 ioports=stderr:0x3e8:8 "
             "quota=256M",
    # The initrd is in RAM twice (QEMU's copy, the shim's), next to busybox and the program.
    memory="512M",
    config="pager=kernel\n",
    about="the shim in its own process (IC2); page faults resolved by kernel paging",
)
PROFILES = {
    "ic2": _IC2,
    # The same, but every page fault of a Linux process goes to the shim as IPC, which
    # resolves it with space_resolve_fault: a user-level pager, to compare with kernel paging.
    "userpager": dataclasses.replace(
        _IC2, config="pager=user\n",
        about="the shim in its own process (IC2); page faults go to the shim (a user-level "
              "pager)"),
    # The shim linked into the kernel (IC0), as HongMeng places it, and the default: a Linux
    # system call is a call the kernel answers on the caller's own entry, with no IPC
    # (linuxcompat/ic0.cc).
    "ic0": dataclasses.replace(
        _IC2, kernel_target="//linuxcompat:kernel_ic0",
        kernel_file="bazel-bin/linuxcompat/kernel_ic0", shim_target="//linuxcompat:lxwait",
        shim_file="bazel-bin/linuxcompat/lxwait", shim_path="bin/lxwait",
        manifest="kernel serves=linux initrd=yes ioports=stdout:0x2f8:8 "
                 "ioports=stderr:0x3e8:8 quota=256M\nrun /bin/lxwait uses=linux",
        about="the shim in the kernel (IC0), ramfs, vfs, procmgr and memmgr beside it; page "
              "faults resolved by kernel paging"),
}


def _composition(name, domains, placement):
    """The ic2 profile with the image //tools/exec/images:NAME's kernel and manifest (whose
    shim line adds uses=vfs,procmgr,memmgr) and its user domains' programs (hmk_image's NAME_DOMAIN,
    at /bin/DOMAIN as its manifest names them; tools/compose/defs.bzl). `placement` says where
    ramfs, vfs, procmgr and memmgr run."""
    target = "//tools/exec/images:" + name
    out = "bazel-bin/tools/exec/images/" + name
    files = (("manifest", target + ".manifest", out + ".manifest"),) + tuple(
        ("bin/" + d, "%s_%s" % (target, d), "%s_%s" % (out, d)) for d in domains)
    return dataclasses.replace(_IC2, kernel_target=target + ".kernel.elf",
                               kernel_file=out + ".kernel.elf", manifest="", image_files=files,
                               about="the shim in its own process (IC2), granted the vfs, "
                                     "procmgr and memmgr services; %s; page faults resolved "
                                     "by "
                                     "kernel paging"
                                     % placement)


# The composition profiles: the services ramfs, vfs, procmgr and memmgr placed as
# profiles/profiles.bzl's LINUX_* profiles say, the shim (in its own process) granted vfs,
# procmgr and memmgr.
PROFILES.update({
    "split": _composition("split", ["ramfs", "vfs", "procmgr", "memmgr"],
                          "ramfs, vfs, procmgr and memmgr each in its own process"),
    "coalesced": _composition("coalesced", ["services"],
                              "ramfs, vfs, procmgr and memmgr together in one process"),
    "kernel": _composition("kernel", [],
                           "ramfs, vfs, procmgr and memmgr linked into the kernel (IC0)"),
})

DEFAULT_PROFILE = "ic0"  # the shim in the kernel, as HongMeng places it
DEFAULT_ENV = [("HOME", "/"), ("PATH", "/bin:/sbin:/usr/bin:/usr/sbin")]
BUSYBOX = "/bin/busybox"
DEFAULT_LOG = os.path.join(ROOT, ".cache", "exec", "last.log")
LOG_TAIL_LINES = 40

# Guest paths (archive names: no leading "/") that only this tool writes, whatever the profile:
# the manifest, the shims and the composition profiles' domain programs.
RESERVED_FILES = tuple(sorted(
    {"manifest"} | {p.shim_path for p in PROFILES.values()}
    | {name for p in PROFILES.values() for name, _, _ in p.image_files}))
RESERVED_DIR = "hmk"

USAGE = ("./hmk exec [--profile=P] [--add HOSTPATH:GUESTPATH]... [--env NAME=VALUE]... "
         "[--log FILE] [--verbose] [--timeout SECONDS] -- /path/prog args...")


def say(message):
    sys.stderr.write("hmk exec: %s\n" % message)
    sys.stderr.flush()


class Failure(Exception):
    """An error that ends the command with `code`, after printing its message."""

    def __init__(self, message, code=EXIT_FAILED):
        super().__init__(message)
        self.code = code


# ---- the command line --------------------------------------------------------------------

@dataclasses.dataclass
class Options:
    profile: str
    adds: list      # [(absolute host path, normalized absolute guest path)]
    env: list       # [(name, value)], defaults first
    log: str
    verbose: bool
    timeout: float
    argv: list      # [bytes]: the program and its arguments


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Failure("%s\nusage: %s" % (message, USAGE), EXIT_USAGE)


def _parser():
    p = _Parser(prog="./hmk exec", usage=USAGE, allow_abbrev=False, description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default=DEFAULT_PROFILE,
                   help="what to boot (default: %s): %s"
                        % (DEFAULT_PROFILE,
                           "; ".join("%s: %s" % (n, PROFILES[n].about) for n in sorted(PROFILES))))
    p.add_argument("--add", action="append", default=[], metavar="HOSTPATH:GUESTPATH",
                   help="put a host directory (recursively) or file into the image at the "
                        "absolute GUESTPATH; repeatable; HOSTPATH may not contain ':'")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="add or override an environment variable; repeatable")
    p.add_argument("--log", help="the kernel console log (default: .cache/exec/last.log)")
    p.add_argument("--verbose", action="store_true",
                   help="also copy the kernel console to stderr as it comes")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="host seconds before QEMU is killed (exit 124; default 300)")
    return p


def parse_add(spec, base):
    """HOSTPATH:GUESTPATH -> (absolute host path, normalized absolute guest path)."""
    host, sep, guest = spec.partition(":")
    if not sep or not host or not guest:
        raise Failure("--add wants HOSTPATH:GUESTPATH, got %r" % spec, EXIT_USAGE)
    if not guest.startswith("/"):
        raise Failure("--add %s: the guest path must be absolute" % spec, EXIT_USAGE)
    guest = posixpath.normpath("/" + guest.lstrip("/"))
    return os.path.join(base, host), guest


def parse_env(spec):
    name, sep, value = spec.partition("=")
    if not sep or not name:
        raise Failure("--env wants NAME=VALUE, got %r" % spec, EXIT_USAGE)
    return name, value


def merge_env(additions):
    env = dict(DEFAULT_ENV)
    for name, value in additions:
        env[name] = value  # an existing name keeps its position
    return list(env.items())


def parse_args(argv, base=None):
    """The Options for `argv` (the words after `./hmk exec`). Relative paths are taken from
    `base` (default: $HMK_CALLER_DIR, where ./hmk was started, or the current directory)."""
    if base is None:
        base = os.environ.get("HMK_CALLER_DIR") or os.getcwd()
    if "--" in argv:
        split = argv.index("--")
        words, command = argv[:split], argv[split + 1:]
    else:
        words, command = argv, None
    parser = _parser()
    args, extra = parser.parse_known_args(words)
    if extra:
        parser.error("unexpected %s (the program and its arguments go after '--')"
                     % " ".join(extra))
    if command is None:
        parser.error("missing '--' and the program to run")
    if not command or not command[0]:
        parser.error("no program after '--'")
    if args.profile not in PROFILES:
        raise Failure("unknown profile %r; known profiles: %s"
                      % (args.profile, ", ".join(sorted(PROFILES))), EXIT_USAGE)
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        parser.error("--timeout must be a positive number of seconds")
    return Options(
        profile=args.profile,
        adds=[parse_add(spec, base) for spec in args.add],
        env=merge_env(parse_env(spec) for spec in args.env),
        log=os.path.join(base, args.log) if args.log else DEFAULT_LOG,
        verbose=args.verbose,
        timeout=args.timeout,
        argv=[os.fsencode(word) for word in command],
    )


# ---- the image ---------------------------------------------------------------------------

@dataclasses.dataclass
class Entry:
    kind: str      # "dir", "file" or "symlink"
    mode: int      # permission bits
    data: bytes    # file contents or symlink target
    source: str    # where it came from, for error messages
    implied: bool = False  # a directory made only because something is inside it


class Image:
    """The initrd's entries by archive name (a guest path without its leading "/")."""

    def __init__(self):
        self.entries = {}
        # What the boot needs and the Linux programs do not (the manifest, the shim, the
        # services' programs): listed in hmk/exec.boot, which the shim leaves out of the root.
        self.boot = set()

    def _parents(self, name, source):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            entry = self.entries.get(parent)
            if entry is None:
                self.entries[parent] = Entry("dir", 0o755, b"", source, implied=True)
            elif entry.kind != "dir":
                raise Failure("/%s (from %s) needs /%s to be a directory, but it is a %s "
                              "from %s" % (name, source, parent, entry.kind, entry.source),
                              EXIT_USAGE)

    def add(self, name, kind, mode, data, source):
        if not name:  # the root directory itself: nothing to store
            return
        self._parents(name, source)
        old = self.entries.get(name)
        if old is not None and not (old.kind == kind == "dir"):
            raise Failure("/%s is given twice: by %s and by %s" % (name, old.source, source),
                          EXIT_USAGE)
        # Directories merge; the last one given explicitly sets the mode.
        self.entries[name] = Entry(kind, mode, data, source)

    def add_host_tree(self, host, guest, source):
        """`host` (a directory, recursively, or a file; followed if it is a symlink) at `guest`."""
        try:
            st = os.stat(host)
        except OSError as e:
            raise Failure("--add %s: %s" % (source, e.strerror), EXIT_USAGE)
        name = guest.lstrip("/")
        if stat.S_ISDIR(st.st_mode):
            self._check_not_reserved(name, source)
            self.add(name, "dir", stat.S_IMODE(st.st_mode), b"", source)
            self._add_children(host, name, source)
        elif stat.S_ISREG(st.st_mode):
            self._check_not_reserved(name, source)
            self.add(name, "file", stat.S_IMODE(st.st_mode), _read(host), source)
        else:
            raise Failure("--add %s: %s is not a directory or regular file" % (source, host),
                          EXIT_USAGE)

    def _add_children(self, host_dir, name, source):
        try:
            children = sorted(os.listdir(host_dir))
        except OSError as e:
            raise Failure("--add %s: %s: %s" % (source, host_dir, e.strerror), EXIT_USAGE)
        for child in children:
            host = os.path.join(host_dir, child)
            guest = child if not name else name + "/" + child
            self._check_not_reserved(guest, source)
            st = os.lstat(host)
            if stat.S_ISLNK(st.st_mode):
                self.add(guest, "symlink", 0o777, os.fsencode(os.readlink(host)), source)
            elif stat.S_ISDIR(st.st_mode):
                self.add(guest, "dir", stat.S_IMODE(st.st_mode), b"", source)
                self._add_children(host, guest, source)
            elif stat.S_ISREG(st.st_mode):
                self.add(guest, "file", stat.S_IMODE(st.st_mode), _read(host), source)
            else:
                raise Failure("--add %s: %s is not a file, directory or symlink" % (source, host),
                              EXIT_USAGE)

    @staticmethod
    def _check_not_reserved(name, source):
        if name in RESERVED_FILES or name == RESERVED_DIR or name.startswith(RESERVED_DIR + "/"):
            raise Failure("--add %s: /%s is reserved for ./hmk exec (%s, /%s/)"
                          % (source, name, ", ".join("/" + f for f in RESERVED_FILES),
                             RESERVED_DIR), EXIT_USAGE)

    def check_program(self, path):
        """Refuses an absolute program path that cannot be in the image: no entry of that name
        and no symlink on the way to it (which the shim would follow)."""
        if not path.startswith(b"/"):
            return
        name = posixpath.normpath(os.fsdecode(path)).lstrip("/")
        parts = name.split("/")
        for i in range(1, len(parts)):
            entry = self.entries.get("/".join(parts[:i]))
            if entry is not None and entry.kind == "symlink":
                return
        entry = self.entries.get(name)
        if entry is None:
            raise Failure("%s is not in the image (busybox has no applet links: run "
                          "/bin/busybox NAME; --add brings files)" % os.fsdecode(path),
                          EXIT_NOT_FOUND)
        if entry.kind == "dir":
            raise Failure("%s is a directory in the image" % os.fsdecode(path), EXIT_USAGE)
        interpreter = elf_interpreter(entry.data) if entry.kind == "file" else None
        if interpreter is not None:
            raise Failure("%s is dynamically linked (its interpreter is %s): the shim runs "
                          "static programs only, ET_EXEC or static-PIE (link with -static or "
                          "-static-pie), and would fail its execve with ENOENT"
                          % (os.fsdecode(path), os.fsdecode(interpreter)), EXIT_NOT_FOUND)

    def write(self, path):
        """A deterministic archive: sorted names (a parent before its children), mtime 0,
        uid/gid 0, fixed inode numbers."""
        archive = newc.Archive()
        entries = dict(self.entries)
        if self.boot:
            entries["hmk/exec.boot"] = Entry("file", 0o644, "".join(
                n + "\n" for n in sorted(self.boot)).encode(), "./hmk exec")
        for name in sorted(entries, key=os.fsencode):
            e = entries[name]
            if e.kind == "dir":
                archive.directory(name, e.mode)
            elif e.kind == "file":
                archive.file(name, e.data, e.mode)
            else:
                archive.symlink(name, os.fsdecode(e.data))
        archive.write(path)


def elf_interpreter(data):
    """The interpreter (PT_INTERP's path) of a dynamically linked x86-64 ELF program, or None:
    for a static one, and for anything too damaged to say, which the shim judges itself."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4:6] != b"\x02\x01":  # 64-bit, LE
        return None
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    if phentsize != 56 or phoff + phnum * phentsize > len(data):
        return None
    for i in range(phnum):
        kind, _, offset, _, _, size = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if kind == 3:  # PT_INTERP
            path = data[offset:offset + size].split(b"\0", 1)[0]
            return path if offset + size <= len(data) and path else None
    return None


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise Failure("cannot read %s: %s" % (path, e.strerror))


def image_for(options, profile, busybox=BUSYBOX):
    """Everything in the image but what needs a build (the shim; for a composition profile the
    image's manifest and domain programs): the manifest, argv, env, busybox and the --add trees.
    User errors show here, before anything is built."""
    image = Image()
    if profile.manifest:
        image.add("manifest", "file", 0o644, (profile.manifest + "\n").encode(), "./hmk exec")
        image.boot.add("manifest")
    image.add("hmk/exec.argv", "file", 0o644, b"".join(a + b"\0" for a in options.argv),
              "./hmk exec")
    env = b"".join(os.fsencode("%s=%s" % (n, v)) + b"\0" for n, v in options.env)
    image.add("hmk/exec.env", "file", 0o644, env, "./hmk exec")
    image.add("hmk/exec.config", "file", 0o644, profile.config.encode(), "./hmk exec")
    image.add("bin/busybox", "file", 0o755, _read(busybox), "./hmk exec (%s)" % busybox)
    for host, guest in options.adds:
        image.add_host_tree(host, guest, "%s:%s" % (host, guest))
    image.check_program(options.argv[0])
    return image


def add_shim(image, shim, profile=_IC2):
    image.add(profile.shim_path, "file", 0o755, _read(shim), "./hmk exec (the shim)")
    image.boot.add(profile.shim_path)


def add_built(image, built, profile_name, profile):
    """What was built (Artifacts) into `image`: the shim and, for a composition profile, the
    image's manifest and domain programs. Raises Failure if a file is missing, or `built` does
    not have exactly the files the profile takes from its image."""
    built.check(profile_name, profile)
    add_shim(image, built.shim, profile)
    for name, path in sorted(built.files.items()):
        mode = 0o644 if name == "manifest" else 0o755
        image.add(name, "file", mode, _read(path), "./hmk exec (%s)" % path)
        image.boot.add(name)


class Artifacts(typing.NamedTuple):
    """What the image needs built: the kernel, the shim, and for a composition profile the
    image's files ({name in the initrd: host path}: the manifest and the domain programs).
    A plain (kernel, shim) tuple is one with no files."""
    kernel: str
    shim: str
    files: dict = {}

    def check(self, profile_name, profile):
        """Raises Failure unless these are the files `profile` takes from its image, and every
        path is a file."""
        want = sorted(name for name, _, _ in profile.image_files)
        if sorted(self.files) != want:
            raise Failure("profile %s takes %s from its image; given %s"
                          % (profile_name, ", ".join(want) or "nothing",
                             ", ".join(sorted(self.files)) or "nothing"))
        for path in [self.kernel, self.shim] + [self.files[n] for n in want]:
            if not os.path.isfile(path):
                raise Failure("%s was not built" % path)


# ---- building ----------------------------------------------------------------------------

def build(profile):
    """Builds the kernel, the shim and the image's files with Bazel (its output on stderr);
    returns their paths as Artifacts."""
    package = profile.shim_target[2:].split(":")[0]
    if not any(os.path.exists(os.path.join(ROOT, package, f)) for f in ("BUILD", "BUILD.bazel")):
        raise Failure("the Linux shim %s is not in this tree (no %s/BUILD): ./hmk exec runs "
                      "programs under it and cannot work without it"
                      % (profile.shim_target, package))
    targets = [profile.kernel_target, profile.shim_target] + [t for _, t, _ in profile.image_files]
    cmd = ["bazel", "build", "--noshow_progress", "--show_result=0", "--ui_event_filters=-info"]
    if subprocess.call(cmd + targets, cwd=ROOT, stdin=subprocess.DEVNULL,
                       stdout=sys.stderr.fileno()) != 0:
        raise Failure("bazel build %s failed (above)" % " ".join(targets))
    return Artifacts(os.path.join(ROOT, profile.kernel_file), os.path.join(ROOT, profile.shim_file),
                     {name: os.path.join(ROOT, f) for name, _, f in profile.image_files})


# ---- QEMU --------------------------------------------------------------------------------

def qemu_command(profile, kernel, initrd, com_fds):
    """./hmk run's QEMU command (tools/qemu/run.py) with its one `-serial stdio` replaced by
    one file chardev per fd of `com_fds` (COM1, COM2, COM3 in that order)."""
    if shutil.which("qemu-system-x86_64") is None:
        raise Failure("qemu-system-x86_64 not found (Debian package qemu-system-x86; ./hmk "
                      "installs it)")
    args = qemu_run.parser().parse_args(
        ["--kernel", kernel, "--initrd", initrd, "--memory", profile.memory])
    cmd = qemu_run.qemu_command(args)
    at = cmd.index("-serial")
    if cmd[at + 1] != "stdio":
        raise Failure("tools/qemu/run.py's command changed: -serial %s" % cmd[at + 1])
    serial = []
    for i, fd in enumerate(com_fds, start=1):
        serial += ["-chardev", "file,id=com%d,path=/dev/fd/%d" % (i, fd),
                   "-serial", "chardev:com%d" % i]
    return cmd[:at] + serial + cmd[at + 2:]


class _Sink:
    """Copies bytes to a file descriptor, all of them; after EPIPE (a reader that went away, as
    in `| head`) the rest is dropped, so QEMU is never blocked by it."""

    def __init__(self, fd):
        self.fd = fd
        self.broken = False

    def __call__(self, data):
        while data and not self.broken:
            try:
                data = data[os.write(self.fd, data):]
            except BrokenPipeError:
                self.broken = True


@dataclasses.dataclass
class Boot:
    console: bytes        # COM1, CRs dropped
    qemu_status: int      # QEMU's exit status (negative: killed by that signal)
    timed_out: bool
    qemu_output: bytes    # QEMU's own stdout and stderr


def boot(command_for, log_path, timeout, verbose=False, stdout_fd=1, stderr_fd=2):
    """Runs QEMU, `command_for(com_fds)` being its command for the write ends of three pipes
    (COM1, COM2, COM3), and copies each port as its bytes come: COM1 (CRs dropped) to the log
    file (and with `verbose` to `stderr_fd`), COM2 to `stdout_fd`, COM3 to `stderr_fd`.
    After `timeout` host seconds QEMU is killed."""
    pipes = [os.pipe() for _ in range(3)]
    write_ends = [w for _, w in pipes]
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    console = bytearray()
    qemu_output = bytearray()
    err_sink = _Sink(stderr_fd)
    with open(log_path, "wb") as log:
        def to_console(data):
            data = data.replace(b"\r", b"")
            console.extend(data)
            log.write(data)
            log.flush()
            if verbose:
                err_sink(data)

        try:
            proc = subprocess.Popen(command_for(write_ends), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    pass_fds=write_ends)
        finally:
            for fd in write_ends:  # QEMU holds them now; EOF comes when it exits
                os.close(fd)
        sinks = {pipes[0][0]: to_console, pipes[1][0]: _Sink(stdout_fd),
                 pipes[2][0]: err_sink, proc.stdout.fileno(): qemu_output.extend}
        deadline = time.monotonic() + timeout
        timed_out = False
        try:
            while sinks:
                left = deadline - time.monotonic()
                if left <= 0 and not timed_out:
                    proc.kill()  # its pipes close: the loop drains what was written and ends
                    timed_out = True
                ready, _, _ = select.select(list(sinks), [], [], max(left, 0) or 1.0)
                for fd in ready:
                    data = os.read(fd, 65536)
                    if data:
                        sinks[fd](data)
                    else:
                        del sinks[fd]
                        if fd != proc.stdout.fileno():
                            os.close(fd)
            status = proc.wait()
        finally:
            if proc.poll() is None:  # an exception (Ctrl-C): QEMU must not outlive us
                proc.kill()
                proc.wait()
            for fd in sinks:
                if fd != proc.stdout.fileno():
                    os.close(fd)
            proc.stdout.close()
    return Boot(bytes(console), status, timed_out, bytes(qemu_output))


# ---- the outcome -------------------------------------------------------------------------

STATUS_PREFIX = b"[lxshim] exit-status"
STATUS_LINE = re.compile(rb"\[lxshim\] exit-status (0|[1-9][0-9]{0,2})")


def parse_status(console):
    """(N, None) if the console has exactly one line `[lxshim] exit-status N`, N in 0..255;
    otherwise (None, why not). Only whole lines (ended by \\n, a \\r before it ignored) count,
    so a line cut off by the end of the run cannot pass for a shorter number. A line that starts
    with the prefix but is not exactly that form, or a second such line, is an error: only the
    shim can start a line with "[lxshim] " (the kernel starts each program's lines with its
    name; Linux programs' output never reaches the console), so either means a shim bug."""
    lines = console.split(b"\n")[:-1]
    found = []
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.startswith(STATUS_PREFIX):
            continue
        m = STATUS_LINE.fullmatch(line)
        if m is None or int(m.group(1)) > 255:
            return None, "malformed status line %r" % line.decode("utf-8", "replace")
        found.append(int(m.group(1)))
    if not found:
        return None, "no '[lxshim] exit-status N' line"
    if len(found) > 1:
        return None, "%d '[lxshim] exit-status N' lines (exactly one expected)" % len(found)
    return found[0], None


def qemu_outcome(status):
    if status < 0:
        return "QEMU was killed by signal %d" % -status
    reason = qemu_run.EXIT_CODES.get(status)
    if reason is not None:
        return "the kernel powered off (%s)" % reason
    return "QEMU exited with status %d (not an HMK power-off)" % status


def log_tail(console, log_path):
    lines = console.decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tail = lines[-LOG_TAIL_LINES:]
    return ("---- last %d lines of the kernel console (%s) ----\n%s\n---- end ----"
            % (len(tail), log_path, "\n".join(tail)))


def conclude(result, options):
    """The exit status for `result`, with the messages that go with it on stderr."""
    if result.timed_out:
        say("timed out after %gs (host time); QEMU killed" % options.timeout)
        sys.stderr.write(log_tail(result.console, options.log) + "\n")
        return EXIT_TIMEOUT
    status, problem = parse_status(result.console)
    outcome = qemu_outcome(result.qemu_status)
    if status is not None:
        if result.qemu_status != 0x21:
            say("warning: the program exited with %d, then %s; see %s"
                % (status, outcome, options.log))
        return status
    say("no exit status from the shim: %s; %s" % (problem, outcome))
    if result.qemu_output:
        sys.stderr.write("---- QEMU's own output ----\n%s\n"
                         % result.qemu_output.decode("utf-8", "replace").rstrip("\n"))
    sys.stderr.write(log_tail(result.console, options.log) + "\n")
    return EXIT_FAILED


def main(argv, artifacts=None, busybox=BUSYBOX, extra_config=""):
    """`artifacts`: what to use instead of building it (tests): (kernel, shim) paths, or for a
    composition profile (kernel, shim, {name in the initrd: path}) with the image's manifest and
    domain programs (Artifacts); `extra_config`: lines added to /hmk/exec.config (tests: the
    shim's test settings)."""
    try:
        options = parse_args(argv)
        profile = PROFILES[options.profile]
        if extra_config:
            profile = dataclasses.replace(profile, config=profile.config + extra_config)
        image = image_for(options, profile, busybox)
        built = Artifacts(*artifacts) if artifacts is not None else build(profile)
        add_built(image, built, options.profile, profile)
        kernel = built.kernel
        with tempfile.TemporaryDirectory(prefix="hmk-exec-") as scratch:
            initrd = os.path.join(scratch, "initrd.cpio")
            image.write(initrd)
            result = boot(lambda fds: qemu_command(profile, kernel, initrd, fds), options.log,
                          options.timeout, options.verbose)
        return conclude(result, options)
    except Failure as e:
        say("error: %s" % e)
        return e.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
