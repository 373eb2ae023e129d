"""The Linux half of the IPC benchmark (and of ./hmk bench linux, linux_bench.py): Debian's
cloud kernel booted in the same QEMU as HMK, running static musl programs from bench/linux/ in
an initramfs.

Everything is cached under .cache/hmk-bench/ in the repo: the kernel (fetched once with
apt-get download), the programs and the initramfs (rebuilt every run; it takes well under
a second and means a changed source is never measured stale).
"""

import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

import benchlines
import newc

META_PACKAGE = "linux-image-cloud-amd64"
# The IPC benchmark's programs, in order (./hmk bench linux brings its own list to prepare()).
# timers reports on the clocks (BENCH_INFO only).
PROGRAMS = ["timers", "null_syscall", "pipe_roundtrip", "futex_pingpong"]
# What a complete run prints; null_syscall also times getppid sel4bench's way.
CASES = ["linux.null_syscall", "linux.sel4bench.null_syscall", "linux.pipe_roundtrip",
         "linux.futex_pingpong"]
BUSYBOX = "/bin/busybox"  # Debian's busybox-static: one static binary, no libraries needed
MEMORY = "256M"  # HMK's default (tools/qemu/run.py); Linux needs at least ~80 MiB to boot
APPEND = "console=ttyS0 quiet panic=-1"


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kw)


def build_programs(repo, cache, programs=None):
    """Compiles `programs` (default PROGRAMS) from bench/linux/ (fast, so on every run);
    returns {name: path}."""
    cc = shutil.which("musl-gcc")
    if cc is None:
        raise benchlines.BenchError("musl-gcc not found (Debian package musl-tools; "
                                    "./hmk bench installs it)")
    src = os.path.join(repo, "bench", "linux")
    out = os.path.join(cache, "bin")
    os.makedirs(out, exist_ok=True)
    built = {}
    for name in programs or PROGRAMS:
        dest = os.path.join(out, name)
        r = _run([cc, "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", dest,
                  os.path.join(src, name + ".c")])
        if r.returncode != 0:
            raise benchlines.BenchError("musl-gcc failed for bench/linux/%s.c:\n%s"
                                        % (name, r.stdout))
        built[name] = dest
    return built


def _resolve_package():
    """The versioned kernel package the meta package currently points at (e.g.
    linux-image-6.1.0-56-cloud-amd64): the newest real package of the stable series."""
    r = _run(["apt-cache", "depends", META_PACKAGE])
    m = re.search(r"Depends: (linux-image-\S+-cloud-amd64)\s*$", r.stdout, re.MULTILINE)
    return m.group(1) if m else None


def _apt_update():
    cmd = ["apt-get", "update", "-q"]
    if os.geteuid() != 0:
        cmd = ["sudo"] + cmd
    log("apt-cache does not know %s; running %s" % (META_PACKAGE, " ".join(cmd)))
    _run(cmd)


def fetch_kernel(cache, package=None):
    """Returns (vmlinuz path, package name, package version). Downloads only on a cache miss:
    apt-get download needs no root (it writes to the current directory)."""
    kdir = os.path.join(cache, "kernel")
    cached = sorted(glob.glob(os.path.join(kdir, "*", "vmlinuz")))
    if package is None:
        package = _resolve_package()
        if package is None:
            _apt_update()
            package = _resolve_package()
        if package is None:
            if not cached:
                raise benchlines.BenchError(
                    "cannot resolve %s to a kernel package (apt-cache depends found no "
                    "linux-image-*-cloud-amd64) and no kernel is cached in %s"
                    % (META_PACKAGE, kdir))
            # Offline with a cache: measure against what we measured before.
            package = os.path.basename(os.path.dirname(cached[-1]))
            log("using cached %s (apt lists unavailable)" % package)
    pdir = os.path.join(kdir, package)
    vmlinuz = os.path.join(pdir, "vmlinuz")
    version_file = os.path.join(pdir, "version")
    if not os.path.exists(vmlinuz):
        os.makedirs(pdir, exist_ok=True)
        log("fetching %s with apt-get download" % package)
        with tempfile.TemporaryDirectory(dir=kdir) as tmp:
            r = _run(["apt-get", "download", package], cwd=tmp)
            debs = glob.glob(os.path.join(tmp, "*.deb"))
            if r.returncode != 0 or len(debs) != 1:
                raise benchlines.BenchError("apt-get download %s failed:\n%s"
                                            % (package, r.stdout))
            version = _run(["dpkg-deb", "-f", debs[0], "Version"]).stdout.strip()
            # Only boot/vmlinuz-* is needed; the modules would be ~100 MiB unpacked.
            root = os.path.join(tmp, "root")
            r = _run(["dpkg-deb", "-x", debs[0], root])
            images = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
            if r.returncode != 0 or len(images) != 1:
                raise benchlines.BenchError("dpkg-deb -x %s: no single boot/vmlinuz-*:\n%s"
                                            % (debs[0], r.stdout))
            with open(version_file, "w") as f:
                f.write("%s %s\n" % (version, os.path.basename(images[0])[len("vmlinuz-"):]))
            # Rename last, so an interrupted fetch leaves no vmlinuz to trust.
            shutil.move(images[0], vmlinuz)
    version = "unknown"
    if os.path.exists(version_file):
        with open(version_file) as f:
            version = f.read().split()[0]
    return vmlinuz, package, version


INIT = """#!/bin/busybox sh
# PID 1 of the Linux baseline (generated by tools/bench/linux_baseline.py).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
# Firmware may leave its last line unterminated (SeaBIOS does); BENCH lines must start a line.
echo
clocksource=/sys/devices/system/clocksource/clocksource0/current_clocksource
echo "BENCH_INFO linux.release=$(uname -r) linux.clocksource=$(cat $clocksource)"
{run}
echo BENCH_DONE
poweroff -f
"""


# How the IPC benchmark's /init runs its programs: each with the same arguments.
RUN_ALL = """for p in {programs}; do
  /bin/$p {args} || echo "BENCH_FAIL $p exited with status $?"
done"""


def run_lines(commands):
    """/init's lines for `commands`, [(program, [argument, ...])], run in that order."""
    return "\n".join('/bin/{0} {1} || echo "BENCH_FAIL {0} exited with status $?"'
                     .format(name, " ".join(args)) for name, args in commands)


def build_initramfs(cache, programs, samples, timer, commands=None, cpio="bench.cpio"):
    """`commands`: [(program, [argument, ...])] for /init to run, in order; by default every
    program of PROGRAMS with `samples` and `timer`, as the IPC benchmark runs them."""
    archive = newc.Archive()
    for d in ("bin", "dev", "proc", "sys", "tmp"):
        archive.directory(d)
    # The kernel opens /dev/console for PID 1's stdio before /init can mount devtmpfs.
    archive.char_device("dev/console", 5, 1)
    with open(BUSYBOX, "rb") as f:
        archive.file("bin/busybox", f.read(), 0o755)
    for name, path in programs.items():
        with open(path, "rb") as f:
            archive.file("bin/" + name, f.read(), 0o755)
    if commands is None:
        run = RUN_ALL.format(programs=" ".join(PROGRAMS), args="%d %s" % (samples, timer))
    else:
        run = run_lines(commands)
    archive.file("init", INIT.format(run=run).encode(), 0o755)
    path = os.path.join(cache, cpio)
    archive.write(path)
    return path


def load_runner(repo):
    """tools/qemu/run.py, HMK's QEMU runner, as a module."""
    spec = importlib.util.spec_from_file_location(
        "hmk_qemu_run", os.path.join(repo, "tools", "qemu", "run.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner


def qemu_command(repo, vmlinuz, initrd, memory=MEMORY):
    """The QEMU command line of HMK's own runner (tools/qemu/run.py, with the defaults ./hmk
    run and the benchmark's HMK half use), with the Linux kernel and initramfs: so both halves
    run on one machine (-machine q35 -cpu max, qboot, -icount shift=0,sleep=off, no NIC,
    256 MiB) and the baseline follows whatever that runner changes. Linux never touches the
    isa-debug-exit port that comes with it, and powers off through ACPI."""
    try:
        runner = load_runner(repo)
        args = runner.parser().parse_args(["--kernel", vmlinuz, "--initrd", initrd, "--append",
                                           APPEND, "--memory", memory, "--firmware", "qboot"])
        return runner.qemu_command(args)
    except (OSError, AttributeError, TypeError) as e:
        raise benchlines.BenchError(
            "cannot take the QEMU command line from tools/qemu/run.py (%s: %s); the Linux "
            "baseline must boot on HMK's machine" % (type(e).__name__, e))


def prepare(repo, cache, samples=1000, timer="tsc", package=None, commands=None, cases=None,
            name="bench", memory=MEMORY):
    """Builds everything one boot needs; returns a dict for boot(). Done once per driver
    invocation, however many runs follow. By default the IPC benchmark's programs and CASES;
    another benchmark passes its `commands` ([(program, [argument, ...])], see
    build_initramfs), the `cases` a complete run prints, and a `name` for its files in the
    cache (NAME.cpio, NAME-console.log; the IPC benchmark's are bench.cpio and
    linux-console.log); `memory` is QEMU's -m."""
    for tool in ("qemu-system-x86_64", "apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise benchlines.BenchError("%s not found" % tool)
    if not os.path.exists(BUSYBOX):
        raise benchlines.BenchError("%s missing (Debian package busybox-static)" % BUSYBOX)
    os.makedirs(cache, exist_ok=True)
    programs = build_programs(repo, cache, commands and [c[0] for c in commands])
    vmlinuz, package, version = fetch_kernel(cache, package)
    initrd = build_initramfs(cache, programs, samples, timer, commands, name + ".cpio")
    return {"cmd": qemu_command(repo, vmlinuz, initrd, memory), "package": package, "version": version,
            "timer": timer, "cache": cache, "cases": cases or CASES,
            "console_log": "linux-console.log" if commands is None else name + "-console.log"}


def boot(setup, timeout=900):
    """One boot of the baseline; returns a result dict (see bench.py for the JSON shape)."""
    cmd = setup["cmd"]
    log("booting Linux (%s %s) in QEMU TCG" % (setup["package"], setup["version"]))
    console, status, seconds = benchlines.run_qemu(cmd, timeout)
    console_log = os.path.join(setup["cache"], setup["console_log"])
    with open(console_log, "w") as f:
        f.write(console)
    cases, info, failures = benchlines.parse(console)
    problems = list(failures)
    if status is None:
        problems.append("QEMU timed out after %d s of host time" % timeout)
    elif "BENCH_DONE" not in console:
        problems.append("the initramfs never finished (QEMU exited with status %d)" % status)
    missing = [c for c in setup["cases"] if c not in cases]
    if missing:
        problems.append("missing cases: %s" % ", ".join(missing))
    if problems:
        raise benchlines.BenchError(
            "Linux baseline failed: %s\ncommand: %s\nlast console lines (all of it in %s):\n%s"
            % ("; ".join(problems), " ".join(cmd), console_log, benchlines.tail(console)))
    return {"cases": cases, "info": info, "qemu_command": cmd, "host_seconds": round(seconds, 1),
            "kernel": {"name": "Linux", "package": setup["package"],
                       "version": setup["version"], "release": info.get("linux.release")},
            "timer": setup["timer"]}
