"""./hmk bench linux: the same static Linux programs (bench/linux/) on HMK, each under the
Linux shim as ./hmk exec runs it, and on Debian's Linux kernel in the same QEMU machine; per
case both medians and their ratio. See docs/benchmarks.md, "The Linux benchmark".
"""

import contextlib
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time

import benchlines
import hmk_image
import linux_baseline
import plot
from benchlines import UNIT_NOTE

# The benchmark, written once for both halves: (program in bench/linux/, samples, the cases it
# prints with what one sample of each is). Both halves run every program with the same
# arguments: the samples and the timer ("tsc"); the file cases work in $TMPDIR (hmk_tmpdir).
PROGRAMS = [
    ("null_syscall", 1000, [
        ("linux.null_syscall", "`syscall(SYS_getppid)` through musl"),
        ("linux.sel4bench.null_syscall", "`getppid` as a bare `syscall` instruction, the same "
                                         "instructions with a nop instead subtracted")]),
    ("pipe_roundtrip", 1000, [
        ("linux.pipe_roundtrip", "1 byte parent -> child -> parent over two pipes")]),
    ("futex_pingpong", 1000, [
        ("linux.futex_pingpong", "a turn word handed parent -> child -> parent with "
                                 "FUTEX_WAKE/FUTEX_WAIT in MAP_SHARED memory")]),
    ("read_zero_4k", 1000, [("linux.read_zero_4k", "`read` of 4 KiB from /dev/zero")]),
    ("write_null_4k", 1000, [("linux.write_null_4k", "`write` of 4 KiB to /dev/null")]),
    ("open_close", 1000, [("linux.open_close", "`open` O_RDONLY + `close` of $TMPDIR/FILE")]),
    ("stat", 1000, [("linux.stat", "`stat` of $TMPDIR/FILE")]),
    ("fork_exit_wait", 100, [
        ("linux.fork_exit_wait", "`fork`, the child `_exit(0)`s, the parent `waitpid`s")]),
    ("fork_exec_wait", 50, [
        ("linux.fork_exec_wait", "`fork`, the child `execve`s the program itself (static, "
                                 "~50 KiB), which exits at once; `waitpid`")]),
    ("anon_fault", 1000, [
        ("linux.anon_fault", "first write to one page of a fresh private anonymous mapping")]),
    ("mmap_munmap_64k", 1000, [
        ("linux.mmap_munmap_64k", "`mmap` 64 KiB anonymous, untouched, then `munmap`")]),
    ("create_write_unlink", 1000, [
        ("linux.create_write_unlink", "`open` O_CREAT of a new file in $TMPDIR, `write` 4 KiB, "
                                      "`close`, `unlink`")]),
]
CASES = [case for _, _, cases in PROGRAMS for case, _ in cases]
WHAT = {case: what for _, _, cases in PROGRAMS for case, what in cases}
SAMPLES = {case: n for _, n, cases in PROGRAMS for case, _ in cases}

# The file cases' directory ($TMPDIR) on HMK: /tmp under every profile. Where it lives is the
# profile's choice: the root is HMK's vfs service (with ramfs behind it) under the profiles that
# give the shim one (ROOT_ON_VFS: ic0 beside the shim in the kernel, split, coalesced and kernel
# placed as the profile says), so that open+close, stat and create+write+unlink go through them;
# under ic2 and userpager it is the shim's own tmpfs. Linux: /tmp, a tmpfs. A program whose
# directory does not exist fails (its rows are n/a); the others still run.
ROOT_ON_VFS = ("ic0", "split", "coalesced", "kernel")
DEFAULT_TMPDIR = "/tmp"
# `./hmk bench linux --tmpdir=DIR`: the directory for this run instead (e.g. /dev/shm, the
# shim's own devtmpfs, to measure the file cases without the services under ic0).
_chosen_tmpdir = None
LINUX_TMPDIR = "/tmp"

HEADER = ("Measured in QEMU TCG with `-icount shift=0`: virtual ns count instructions, not cache "
          "or TLB effects. HMK: each program under the Linux shim (`./hmk exec --profile={profile}`, "
          "one boot per program): {about}; memory is lazy and fork copies it copy-on-write. "
          "Linux: Debian's kernel booted on the same QEMU machine, the same static musl "
          "binaries run from an initramfs's /init (/tmp a tmpfs, /dev a devtmpfs). "
          "The file cases work in $TMPDIR: {hmk_tmpdir} on HMK ({hmk_tmpdir_about}), "
          "{linux_tmpdir} on Linux.")


def hmk_tmpdir(profile):
    """The file cases' directory on HMK under ./hmk exec's `profile` (or as --tmpdir chose)."""
    return _chosen_tmpdir or DEFAULT_TMPDIR


def tmpdir_about(profile, tmpdir):
    """What holds `tmpdir` on HMK under `profile`, for the header."""
    if tmpdir.startswith("/dev/"):
        return "the shim's own devtmpfs"
    if profile in ROOT_ON_VFS:
        return "the vfs service"
    return "the shim's own file system"


def choose_tmpdir(tmpdir):
    """--tmpdir: the file cases' directory on HMK for this run (None: the profile's)."""
    global _chosen_tmpdir
    _chosen_tmpdir = tmpdir


def default_json(repo, profile):
    """bench-results/linux.json for ic0 in /tmp, else linux-PROFILE[-DIR].json."""
    name = "linux" if profile == "ic0" else "linux-" + profile
    if _chosen_tmpdir and _chosen_tmpdir != DEFAULT_TMPDIR:
        name += "-" + _chosen_tmpdir.strip("/").replace("/", "-")
    return os.path.join(repo, "bench-results", name + ".json")


def header(profile, about):
    tmpdir = hmk_tmpdir(profile)
    return HEADER.format(profile=profile, about=about, hmk_tmpdir=tmpdir,
                         hmk_tmpdir_about=tmpdir_about(profile, tmpdir),
                         linux_tmpdir=LINUX_TMPDIR)
TITLE = "Linux programs on HMK and on Linux: median virtual ns (log scale), min..max line"
# ./hmk exec's machine has 512 MiB (its initrd is in RAM twice); Linux gets the same.
MEMORY = "512M"


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def arguments(samples, timer):
    return [str(samples), timer]


# ---- the HMK half --------------------------------------------------------------------------

def load_exec(repo):
    """tools/exec/exec.py (./hmk exec) as a module: main(argv, artifacts=(kernel, shim)) runs
    one program from an image it builds."""
    spec = importlib.util.spec_from_file_location(
        "hmk_exec", os.path.join(repo, "tools", "exec", "exec.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def fd_to(fd, path):
    """Points file descriptor `fd` (1 or 2) at `path` for the block: exec.main() copies the
    program's stdout (COM2) to 1 and its stderr (COM3, with ./hmk exec's own messages) to 2,
    byte for byte."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(path, "wb") as out:
            os.dup2(out.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def stdout_to(path):
    return fd_to(1, path)


def hmk_argv(profile, program, binary, console_log, timeout, samples, timer):
    """./hmk exec's arguments for one program: the program at /bin/NAME, and under a profile
    whose file cases work elsewhere than /tmp, TMPDIR."""
    argv = ["--profile=" + profile, "--add", "%s:/bin/%s" % (binary, program),
            "--log", console_log, "--timeout", str(timeout)]
    if hmk_tmpdir(profile) != DEFAULT_TMPDIR:
        argv += ["--env", "TMPDIR=" + hmk_tmpdir(profile)]
    return argv + ["--", "/bin/" + program] + arguments(samples, timer)


def parse_program_output(program, stdout, status, expected, stderr=b""):
    """The cases of one program run under ./hmk exec, from its stdout (plain BENCH lines, no
    console prefix), exit status and stderr; raises BenchError with what went wrong, the
    last line of stderr (a failing program's perror, or ./hmk exec's error) first."""
    text = stdout.decode("utf-8", "replace")
    cases, info, failures = benchlines.parse(text)
    problems = list(failures)
    if status != 0:
        problems.append("./hmk exec exited with status %d" % status)
        said = [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        if said:
            problems.insert(0, "stderr: %s" % said[-1].strip()[:200])
    missing = [c for c in expected if c not in cases]
    if missing:
        problems.append("missing cases: %s" % ", ".join(missing))
    if problems:
        raise benchlines.BenchError("%s on HMK: %s\nits stdout:\n%s"
                                    % (program, "; ".join(problems), benchlines.tail(text)))
    return cases, info


def hmk_half(repo, cache, binaries, timer, timeout, profile_name="ic0"):
    """Runs every program on HMK under ./hmk exec's profile `profile_name`; returns the side
    dict (its per-program failures in "errors"). Raises BenchError if the kernel and shim
    cannot be built."""
    exec_mod = load_exec(repo)
    profile = exec_mod.PROFILES[profile_name]
    log("bazel build %s" % " ".join([profile.kernel_target, profile.shim_target]
                                     + [t for _, t, _ in profile.image_files]))
    try:
        artifacts = exec_mod.build(profile)
        qemu_cmd = exec_mod.qemu_command(profile, artifacts[0], "initrd.cpio", [3, 4, 5])
    except exec_mod.Failure as e:
        raise benchlines.BenchError("HMK side: %s (use --skip-hmk to run the Linux half "
                                    "alone)" % e)
    side = {"cases": {}, "info": {}, "errors": {}, "host_seconds": 0.0, "runs": {},
            "qemu_command": qemu_cmd, "memory": profile.memory,
            "tmpdir": hmk_tmpdir(profile_name),
            "kernel": {"name": "HMK", "revision": hmk_image.revision(repo),
                       "runner": "./hmk exec (tools/exec/exec.py), profile %s" % profile_name}}
    for program, samples, cases in PROGRAMS:
        console_log = os.path.join(cache, "hmk-linux-%s.log" % program)
        argv = hmk_argv(profile_name, program, binaries[program], console_log, timeout, samples,
                        timer)
        log("HMK: ./hmk exec %s-- /bin/%s %s" % (
            "--env TMPDIR=%s " % side["tmpdir"] if "--env" in argv else "", program,
            " ".join(argv[-2:])))
        start = time.monotonic()
        out = os.path.join(cache, "hmk-linux-%s.stdout" % program)
        err = os.path.join(cache, "hmk-linux-%s.stderr" % program)
        with stdout_to(out), fd_to(2, err):
            status = exec_mod.main(argv, artifacts=artifacts)
        with open(out, "rb") as f:
            stdout = f.read()
        with open(err, "rb") as f:
            stderr = f.read()
        sys.stderr.buffer.write(stderr)  # as it would have come, had it not been kept
        sys.stderr.flush()
        seconds = time.monotonic() - start
        side["host_seconds"] += seconds
        side["runs"][program] = {"status": status, "host_seconds": round(seconds, 1),
                                 "console_log": console_log, "stdout": out, "stderr": err}
        try:
            cases_found, info = parse_program_output(program, stdout, status,
                                                     [c for c, _ in cases], stderr)
        except benchlines.BenchError as e:
            log("%s (kernel console: %s)" % (e, console_log))
            side["errors"][program] = "%s\nkernel console: %s" % (e, console_log)
            continue
        side["cases"].update(cases_found)
        side["info"].update(info)
    side["host_seconds"] = round(side["host_seconds"], 1)
    return side


# ---- the Linux half ------------------------------------------------------------------------

def linux_half(repo, cache, timer, timeout, package=None):
    commands = [(program, arguments(samples, timer)) for program, samples, _ in PROGRAMS]
    setup = linux_baseline.prepare(repo, cache, timer=timer, package=package, commands=commands,
                                   cases=CASES, name="linux-bench", memory=MEMORY)
    side = linux_baseline.boot(setup, timeout)
    side["memory"] = MEMORY
    side["tmpdir"] = LINUX_TMPDIR  # /init's tmpfs, the programs' default
    return side


# ---- the report ----------------------------------------------------------------------------

def rows(result):
    """Per case (CASES, then any other either side printed): n, both medians, the ratio."""
    hmk = (result.get("hmk") or {}).get("cases", {})
    linux = (result.get("linux") or {}).get("cases", {})
    names = CASES + [c for side in (hmk, linux) for c in side if c not in CASES]
    out = []
    for name in dict.fromkeys(names):
        h, l = hmk.get(name), linux.get(name)
        # The samples taken (both halves take the table's), else the samples asked for.
        ns = sorted({c["n"] for c in (h, l) if c}) or [SAMPLES[name]] if name in SAMPLES else []
        out.append({"case": name, "what": WHAT.get(name, ""), "n": ns,
                    "hmk_median": h and h["median"], "linux_median": l and l["median"],
                    "ratio": h["median"] / l["median"] if h and l and l["median"] else None})
    return out


def ratio_text(ratio):
    """Two decimals, or three significant digits below 0.1 (so it never reads 0.00)."""
    if ratio is None:
        return "n/a"
    return "%.2f" % ratio if ratio >= 0.1 else "%.3g" % ratio


def fmt(value):
    return "n/a" if value is None else "{:,}".format(value)


def summarize(result):
    result["rows"] = rows(result)
    result["machine"] = {side: benchlines.machine(result[side].get("qemu_command"))
                         for side in ("hmk", "linux") if result.get(side)}
    return result


def report(result):
    lines = ["## Linux programs on HMK and on Linux, %s" % result["date"], "", result["header"],
             ""]
    lines.append("| case | what one sample is | n | HMK median | Linux median | HMK / Linux |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for r in result["rows"]:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            r["case"], r["what"], " / ".join(str(n) for n in r["n"]) or "-",
            fmt(r["hmk_median"]), fmt(r["linux_median"]),
            ratio_text(r["ratio"])))
    lines.append("")
    lines.append("Medians in %s." % UNIT_NOTE)
    lines.append("")
    for side in ("hmk", "linux"):
        if result.get(side):
            k = result[side]["kernel"]
            lines.append("- %s: %s; QEMU %s; %.1f s of host time" % (
                k["name"], ", ".join("%s %s" % (key, v) for key, v in k.items()
                                     if key != "name" and v),
                result["machine"][side] or "(command unknown)", result[side]["host_seconds"]))
        else:
            lines.append("- %s: not measured%s" % (
                {"hmk": "HMK", "linux": "Linux"}[side],
                "" if side in result["errors"] else " (skipped)"))
    if len(set(result["machine"].values())) > 1:
        lines.append("- THE TWO HALVES RAN ON DIFFERENT QEMU MACHINES: their ratios compare "
                     "different hardware models")
    for side, err in result["errors"].items():
        lines.append("- %s: FAILED: %s" % (side, err.splitlines()[0].rstrip(":")))
    for program, err in ((result.get("hmk") or {}).get("errors") or {}).items():
        lines.append("- hmk: %s FAILED: %s" % (program, err.splitlines()[0]))
    return "\n".join(lines) + "\n"


def chart_rows(result):
    """plot.write_rows()'s rows: per case HMK's bar, then Linux's."""
    out = []
    for r in result["rows"]:
        for side, label in (("hmk", "HMK"), ("linux", "Linux")):
            c = (result.get(side) or {}).get("cases", {}).get(r["case"])
            if c:
                out.append(("%s %s" % (label, r["case"]), side, c["median"], c["min"], c["max"]))
    return out


def write_outputs(result, text, json_path):
    """The JSON, the report beside it (.md) and the chart (.svg, if anything was measured);
    returns the paths written."""
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    base = os.path.splitext(json_path)[0]
    with open(base + ".md", "w") as f:
        f.write(text)
    written = [json_path, base + ".md"]
    if plot.write_rows(chart_rows(result), TITLE, result["date"], base + ".svg"):
        written.append(base + ".svg")
    return written


def new_result(profile="ic0", about="the shim in the kernel (IC0), ramfs, vfs, procmgr and "
                                    "memmgr beside it; page faults resolved by kernel paging"):
    return {
        "benchmark": "linux",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "unit": UNIT_NOTE,
        "profile": profile,
        "tmpdir": {"hmk": hmk_tmpdir(profile), "linux": LINUX_TMPDIR},
        "header": header(profile, about),
        "host": {"machine": platform.machine(), "python": platform.python_version()},
        "programs": [{"program": p, "samples": n, "cases": [c for c, _ in cases]}
                     for p, n, cases in PROGRAMS],
        "hmk": None,
        "linux": None,
        "errors": {},
    }


def run(args, repo, cache):
    """./hmk bench linux; returns the exit status (1 if anything failed)."""
    profiles = load_exec(repo).PROFILES
    if args.profile not in profiles:
        log("unknown profile %r; known profiles: %s" % (args.profile, ", ".join(sorted(profiles))))
        return 2
    if args.tmpdir is not None and not args.tmpdir.startswith("/"):
        log("--tmpdir %r: an absolute guest path, please (e.g. /dev/shm)" % args.tmpdir)
        return 2
    choose_tmpdir(args.tmpdir)
    result = new_result(args.profile, profiles[args.profile].about)
    try:
        result["host"]["qemu"] = subprocess.run(
            ["qemu-system-x86_64", "--version"], stdout=subprocess.PIPE,
            text=True).stdout.split("\n")[0]
    except OSError:
        pass
    if not args.skip_hmk:
        try:
            binaries = linux_baseline.build_programs(repo, cache, [p for p, _, _ in PROGRAMS])
            result["hmk"] = hmk_half(repo, cache, binaries, args.timer, args.timeout,
                                     args.profile)
            if result["hmk"]["errors"]:
                result["errors"]["hmk"] = "%d of %d programs failed: %s" % (
                    len(result["hmk"]["errors"]), len(PROGRAMS),
                    ", ".join(result["hmk"]["errors"]))
        except benchlines.BenchError as e:
            log(str(e))
            result["errors"]["hmk"] = str(e)
    if not args.skip_linux:
        try:
            result["linux"] = linux_half(repo, cache, args.timer, args.timeout,
                                         args.linux_package)
            log("Linux took %.1f s of host time" % result["linux"]["host_seconds"])
        except benchlines.BenchError as e:
            log(str(e))
            result["errors"]["linux"] = str(e)
    summarize(result)
    text = report(result)
    print(text, end="")
    written = write_outputs(result, text, os.path.abspath(
        args.json or default_json(repo, args.profile)))
    log("wrote %s" % ", ".join(written))
    for side, err in result["errors"].items():
        log("%s side FAILED: %s" % (side, err.splitlines()[0]))
    if args.skip_hmk and args.skip_linux:
        log("both halves skipped; nothing measured")
    return 1 if result["errors"] else 0
