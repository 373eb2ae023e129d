"""The HMK half of the IPC benchmark: the //bench/ipc:image initrd on the normal kernel,
booted by tools/qemu/run.py exactly as ./hmk run and the boot tests boot it, so HMK is
measured under the same QEMU settings as everything else in the project.
"""

import os
import subprocess
import sys

import benchlines

IMAGE_TARGET = "//bench/ipc:image"
KERNEL_TARGET = "//platform/qemu_pc:kernel"
IMAGE_FILE = "bazel-bin/bench/ipc/image.cpio"
KERNEL_FILE = "bazel-bin/platform/qemu_pc/kernel"


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def build(repo):
    log("bazel build %s %s" % (IMAGE_TARGET, KERNEL_TARGET))
    r = subprocess.run(["bazel", "build", IMAGE_TARGET, KERNEL_TARGET], cwd=repo,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise benchlines.BenchError(
            "HMK side: bazel build %s %s failed (use --skip-hmk to run the Linux half "
            "alone):\n%s" % (IMAGE_TARGET, KERNEL_TARGET, benchlines.tail(r.stdout, 30)))
    for path in (IMAGE_FILE, KERNEL_FILE):
        if not os.path.exists(os.path.join(repo, path)):
            raise benchlines.BenchError("HMK side: bazel built, but %s is missing" % path)


def revision(repo):
    r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=repo,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip() or "unknown"


def boot(repo, log_dir, timeout=600, image_file=IMAGE_FILE, kernel_file=KERNEL_FILE,
         image_target=IMAGE_TARGET, log_name="hmk-console.log"):
    """One boot; returns a result dict shaped like linux_baseline.boot()'s."""
    console_log = os.path.join(log_dir, log_name)
    os.makedirs(log_dir, exist_ok=True)
    # run.py's boot-test mode gives the verdict (power-off status, no PANIC) and, through
    # --log, the console without run.py's own framing around it.
    cmd = [sys.executable, "tools/qemu/run.py", "--kernel", kernel_file, "--initrd", image_file,
           "--expect", benchlines.HMK_LINE, "--expect-exit", "success", "--timeout", str(timeout),
           "--log", console_log]
    log("booting HMK (%s) in QEMU TCG" % image_target)
    # run.py enforces the timeout itself; the margin here only catches run.py hanging.
    report, status, seconds = benchlines.run_qemu(cmd, timeout + 60, cwd=repo)
    qemu_cmd = None
    for line in report.splitlines():
        if line.startswith("command: "):
            qemu_cmd = line[len("command: "):].split(" ")
    console = ""
    if os.path.exists(console_log):
        with open(console_log) as f:
            console = f.read()
    cases, info, failures = benchlines.parse(console)
    problems = list(failures)
    if status != 0:
        problems += [l[len("FAIL: "):] for l in report.splitlines() if l.startswith("FAIL: ")]
        if status is None or not problems:
            problems.append("tools/qemu/run.py exited with status %s" % status)
    if not cases:
        problems.append("no BENCH lines on the console")
    if problems:
        raise benchlines.BenchError(
            "HMK side failed: %s\ncommand: %s\nlast console lines (all of it in %s):\n%s"
            % ("; ".join(problems), " ".join(qemu_cmd or cmd), console_log,
               benchlines.tail(console or report)))
    return {"cases": cases, "info": info, "qemu_command": qemu_cmd,
            "host_seconds": round(seconds, 1),
            "kernel": {"name": "HMK", "revision": revision(repo), "image": image_target}}
