#!/usr/bin/env python3
"""The Linux shim booted for real: ./hmk exec's runner (tools/exec/exec.py) with the built
kernel and shim, Debian's busybox-static and small static musl programs. Each case is one
boot; they run in parallel."""

import atexit
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

KERNEL = "platform/qemu_pc/kernel"
SHIM = "linuxcompat/shim"
# The shim in the kernel (profile ic0): its kernel, and lxwait in place of the shim.
KERNEL_IC0 = "linuxcompat/kernel_ic0"
LXWAIT = "linuxcompat/lxwait"
TESTDATA = "linuxcompat/testdata"
EXEC_DIR = "tools/exec"
BUSYBOX = "/bin/busybox"

# exec.py's main() with the given kernel and shim instead of a Bazel build, and the shim's
# test settings from $HMK_TEST_EXEC_CONFIG added to /hmk/exec.config.
DRIVER = """\
import os, sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[4:], artifacts=(sys.argv[2], sys.argv[3]), busybox="%s",
                       extra_config=os.environ.get("HMK_TEST_EXEC_CONFIG", "")))
""" % BUSYBOX
# A case's first argument may be this, followed by a line for /hmk/exec.config.
TEST_CONFIG = "--test-config"


def run(args):
    """(status, stdout, stderr, console log) of ./hmk exec ARGS: with --profile=ic0 first the
    kernel with the shim inside, and lxwait; with another profile first, or none (then ic2, the
    shim in its own process: these cases were written for it), the kernel and the shim.
    TEST_CONFIG LINE first adds LINE to /hmk/exec.config."""
    extra_config = ""
    if args[:1] == [TEST_CONFIG]:
        extra_config, args = args[1] + "\n", args[2:]
    if not args[:1] or not args[0].startswith("--profile="):
        args = ["--profile=ic2"] + list(args)
    kernel, shim = (KERNEL_IC0, LXWAIT) if args[:1] == ["--profile=ic0"] else (KERNEL, SHIM)
    with tempfile.TemporaryDirectory(prefix="shim-test-") as scratch:
        log = os.path.join(scratch, "console.log")
        cmd = [sys.executable, "-c", DRIVER, os.path.abspath(EXEC_DIR), os.path.abspath(kernel),
               os.path.abspath(shim), "--log", log, "--timeout", "240"] + list(args)
        env = dict(os.environ, HMK_TEST_EXEC_CONFIG=extra_config)
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=300, cwd=scratch, env=env)
        console = ""
        if os.path.exists(log):  # not when exec.py refused before booting
            with open(log, "rb") as f:
                console = f.read().decode("utf-8", "replace")
    return proc.returncode, proc.stdout, proc.stderr, console


def program(name):
    return "%s:/bin/%s" % (os.path.abspath(os.path.join(TESTDATA, name)), name)


# A directory of the user's (./hmk exec --add DIR:/mnt) with hello as a static-PIE and as a
# dynamically linked program: copies, since a runfiles tree holds symlinks, which --add keeps.
MNT = tempfile.mkdtemp(prefix="shim-mnt-")
atexit.register(shutil.rmtree, MNT, True)
for _name in ("hello_pie", "hello_dynamic"):
    shutil.copy(os.path.join(TESTDATA, _name), MNT)


CASES = {
    "hello": ["--add", program("hello"), "--", "/bin/hello", "one", "two words"],
    "busybox_echo": ["--", "/bin/busybox", "echo", "hi", "there"],
    "busybox_sh": ["--", "/bin/busybox", "sh", "-c", "echo hi; echo $((6 * 7)); exit 5"],
    "pipeline": ["--", "/bin/busybox", "sh", "-c", "echo hi | wc -c"],
    "processes": ["--", "/bin/busybox", "sh", "-c",
                  "echo a; (echo b; exit 3); echo \"sub=$?\"; x=$(echo hello | tr a-z A-Z); "
                  "echo \"$x\"; seq 1 5 | sort -r | head -n 2; yes | head -n 2; false || "
                  "echo \"false=$?\""],
    "signals": ["--", "/bin/busybox", "sh", "-c",
                "trap 'echo got USR1' USR1; kill -USR1 $$; echo after; "
                "sh -c 'kill -TERM $$'; echo \"st=$?\"; (exit 4) & wait $!; echo \"w=$?\""],
    "fork_50": ["--add", program("fork_loop"), "--", "/bin/fork_loop", "50"],
    "fork_1000": ["--add", program("fork_loop"), "--", "/bin/fork_loop", "1000"],
    # The user-level pager: every page fault of the Linux processes comes to the shim.
    "userpager_fork_50": ["--profile=userpager", "--add", program("fork_loop"), "--",
                          "/bin/fork_loop", "50"],
    # The shim in the kernel (IC0).
    "ic0_fork_50": ["--profile=ic0", "--add", program("fork_loop"), "--", "/bin/fork_loop",
                    "50"],
    "ic0_fork_1000": ["--profile=ic0", "--add", program("fork_loop"), "--", "/bin/fork_loop",
                      "1000"],
    "ic0_background": ["--profile=ic0", "--", "/bin/busybox", "sh", "-c",
                       "sleep 5 & echo started; exit 0"],
    # A panic in the shim's code on a call's fiber: the backtrace goes on into the fiber.
    "ic0_panic_in_call": [TEST_CONFIG, "test=panic-in-call", "--profile=ic0", "--",
                          "/bin/busybox", "true"],
    "shared_futex": ["--add", program("shared_futex"), "--", "/bin/shared_futex"],
    "segv": ["--add", program("segv"), "--", "/bin/segv"],
    "enosys": ["--add", program("enosys"), "--", "/bin/enosys"],
    "static_pie": ["--add", MNT + ":/mnt", "--", "/mnt/hello_pie", "one", "two words"],
    "dynamic": ["--add", MNT + ":/mnt", "--", "/bin/busybox", "sh", "-c",
                "/mnt/hello_dynamic; /mnt/hello_dynamic a; echo \"st=$?\""],
    "missing": ["--", "/bin/busybox-not-here"],
    "missing_in_guest": ["--", "nothere"],
    # Files: the same program on the host (run_on_host) and here; busybox applets that need no
    # fork.
    "files": ["--add", program("files"), "--", "/bin/files", "/tmp"],
    "busybox_ls": ["--", "/bin/busybox", "ls", "-l", "/"],
    "busybox_cat": ["--", "/bin/busybox", "cat", "/hmk/exec.argv"],
    "busybox_sh_files": ["--", "/bin/busybox", "sh", "-c",
                         "echo hello > /tmp/f; echo more >> /tmp/f; cd /tmp; pwd; echo *; "
                         "echo /proc/self/*; echo /dev/std*; echo to stderr > /dev/stderr"],
    "busybox_readlink": ["--", "/bin/busybox", "readlink", "/proc/self/exe"],
}


def run_on_host(name, *args):
    """(status, stdout) of testdata program NAME run on this Linux, in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="shim-host-") as scratch:
        proc = subprocess.run([os.path.abspath(os.path.join(TESTDATA, name))] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=60,
                              cwd=scratch)
    return proc.returncode, proc.stdout


class ShimBootTest(unittest.TestCase):
    results = {}

    @classmethod
    def setUpClass(cls):
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            futures = {name: pool.submit(run, args) for name, args in CASES.items()}
            cls.results = {name: f.result() for name, f in futures.items()}

    def result(self, name):
        status, out, err, console = self.results[name]
        # No leak: the summary line compares free frames and objects before and after (with
        # the shim in the kernel, its heap's frames are counted apart: kept).
        m = re.search(r"frames free before (\d+), after (\d+)(?:, (\d+) kept by the kernel "
                      r"domain)?(.*)", console)
        self.assertIsNotNone(m, console)
        self.assertEqual(int(m.group(1)), int(m.group(2)) + int(m.group(3) or 0), console)
        self.assertNotIn("LEAK", m.group(4), console)
        self.assertNotIn("PANIC", console)
        return status, out, err, console

    def test_musl_hello_arguments_and_exit_status(self):
        status, out, err, console = self.result("hello")
        self.assertEqual(out, b"hello from /bin/hello one two words\n")
        self.assertEqual(err, b"")
        self.assertEqual(status, 3, console)
        self.assertIn("[lxshim] exit-status 3", console)

    def test_a_static_pie_program_from_a_directory_of_the_users(self):
        status, out, err, console = self.result("static_pie")
        self.assertEqual(out, b"hello from /mnt/hello_pie one two words\n")
        self.assertEqual(err, b"")
        self.assertEqual(status, 3, console)

    def test_a_dynamically_linked_program_is_enoent_reported_once(self):
        status, out, err, console = self.result("dynamic")
        self.assertEqual(out, b"st=127\n")
        self.assertEqual(err.count(b"/mnt/hello_dynamic: not found\n"), 2, err)
        self.assertEqual(status, 0, console)
        self.assertEqual(console.count("is dynamically linked"), 1, console)
        self.assertRegex(console, r"\[lxshim\] pid \d+: /mnt/hello_dynamic is dynamically linked "
                                  r"\(interpreter /lib/ld-musl-x86_64.so.1\), the shim runs static "
                                  r"programs only: execve -> ENOENT \(reported once\)\n")

    def test_busybox_echo(self):
        status, out, err, console = self.result("busybox_echo")
        self.assertEqual(out, b"hi there\n")
        self.assertEqual(status, 0, console)

    def test_busybox_shell_builtins(self):
        status, out, err, console = self.result("busybox_sh")
        self.assertEqual(out, b"hi\n42\n")
        self.assertEqual(status, 5, console)

    def test_a_pipeline(self):
        # The acceptance line: fork, pipe, dup2, exec of /proc/self/exe, wait4.
        status, out, err, console = self.result("pipeline")
        self.assertEqual(out, b"3\n")
        self.assertEqual(status, 0, console)

    def test_subshells_substitution_pipes_and_sigpipe(self):
        status, out, err, console = self.result("processes")
        self.assertEqual(out, b"a\nb\nsub=3\nHELLO\n5\n4\ny\ny\nfalse=1\n")
        self.assertEqual(status, 0, console)

    def test_signal_handlers_default_actions_and_wait(self):
        # A handler runs (frame, rt_sigreturn), SIGTERM's default ends a process (143), and
        # `wait` (rt_sigsuspend until SIGCHLD) gets a background job's status.
        status, out, err, console = self.result("signals")
        self.assertEqual(out, b"got USR1\nafter\nst=143\nw=4\n")
        self.assertEqual(err, b"Terminated\n")
        self.assertEqual(status, 0, console)

    def assertIdsMatch(self, console):
        # procmgr has out exactly the ids the shim still holds: none lost, none leaked.
        m = re.search(r"\[lxshim\] procmgr: (\d+) ids in use, (\d+) held by the shim\n", console)
        self.assertIsNotNone(m, console)
        self.assertEqual(m.group(1), m.group(2), m.group(0))
        self.assertGreaterEqual(int(m.group(1)), 1, m.group(0))  # init, at least
        # memmgr has open exactly the address spaces of the shim's processes (none at the end:
        # every process has ended), and no region is left recorded.
        m = re.search(r"\[lxshim\] memmgr: (\d+) address spaces open, (\d+) held by the shim "
                      r"\((\d+) pages in (\d+) regions\)\n", console)
        self.assertIsNotNone(m, console)
        self.assertEqual(m.group(1), m.group(2), m.group(0))
        self.assertEqual((m.group(3), m.group(4)), ("0", "0"), m.group(0))

    def test_a_thousand_forks_leave_nothing_behind(self):
        # The shim's quota use after the program does not grow with the number of processes
        # it made and ended (the heap's pages level off after the first few), and the kernel's
        # own count of frames and objects is back where it began (result()).
        after = {}
        for name in ("fork_50", "fork_1000"):
            status, out, err, console = self.result(name)
            self.assertEqual(status, 0, console)
            m = re.search(r"\[lxshim\] quota: (\d+) bytes in use before the program, "
                          r"(\d+) after\n", console)
            self.assertIsNotNone(m, console)
            after[name] = int(m.group(2))
            self.assertIdsMatch(console)
        self.assertEqual(after["fork_1000"], after["fork_50"])

    def test_the_shim_in_the_kernel_gives_back_what_a_thousand_forks_took(self):
        # In IC0 the shim's objects come from the kernel's heap: once the program has ended,
        # the heap holds what it held before it, plus the fibers kept for reuse; a process
        # that ended with a child still running (killed at the end) too.
        for name in ("ic0_fork_50", "ic0_fork_1000", "ic0_background"):
            status, out, err, console = self.result(name)
            self.assertEqual(status, 0, console)
            m = re.search(r"\[lxshim\] heap: (\d+) bytes in use before the program, (\d+) "
                          r"after, (\d+) of them fibers kept for reuse\n", console)
            self.assertIsNotNone(m, console)
            before, after, fibers = (int(g) for g in m.groups())
            self.assertEqual(after - fibers, before, "%s: %s" % (name, m.group(0)))
            self.assertIdsMatch(console)
        self.assertEqual(self.result("ic0_background")[1], b"started\n")

    def test_a_panic_on_a_fiber_has_a_backtrace_through_the_fiber(self):
        # (Not self.result(): the boot ends in the panic, before any leak check.)
        status, out, err, console = self.results["ic0_panic_in_call"]
        self.assertEqual(status, 125, console)  # no exit status: the kernel panicked
        self.assertIn("PANIC: lxshim: test: a panic on a call's fiber", console)
        trace = console[console.index("backtrace:"):]
        # The frames of the fiber's stack, from the call's work up to the fiber's entry.
        self.assertRegex(trace, r"  #\d+ +0x[0-9a-f]+ hmk::lx::\(anonymous namespace\)::"
                                r"linux_call\(")
        self.assertRegex(trace, r"  #\d+ +0x[0-9a-f]+ hmk::lx::\(anonymous namespace\)::"
                                r"fiber_main\(")

    def test_the_userpager_profile_resolves_faults_in_the_shim(self):
        status, out, err, console = self.result("userpager_fork_50")
        self.assertEqual((status, err), (0, b""))
        self.assertEqual(out, self.result("fork_50")[1])
        faults = re.findall(r"user pager: (\d+) page faults resolved", console)
        self.assertEqual(len(faults), 1, console)
        self.assertGreater(int(faults[0]), 50, console)  # at least one per child
        # Under ic2 kernel paging resolves them: the shim hears of none.
        self.assertNotIn("user pager:", self.result("fork_50")[3])

    def test_futexes_in_shared_memory_meet_across_processes(self):
        status, out, err, console = self.result("shared_futex")
        self.assertEqual(status, 0, console)

    def test_a_fault_kills_with_sigsegv(self):
        status, out, err, console = self.result("segv")
        self.assertEqual(out, b"")
        self.assertEqual(err, b"before the fault\n")
        self.assertEqual(status, 139, console)
        self.assertRegex(console, r"\[lxshim\] pid 2 \(/bin/segv\) killed by signal 11: "
                                  r"exception 14 at pc 0x[0-9a-f]+, address 0x10\n")

    def test_unimplemented_calls_answer_enosys_logged_once(self):
        status, out, err, console = self.result("enosys")
        self.assertEqual(out, b"ENOSYS as expected\n")
        self.assertEqual(status, 0, console)
        self.assertEqual(len(re.findall(r"unimplemented syscall acct \(163\)", console)), 1,
                         console)
        self.assertIn("unimplemented syscall (no such call) (400)", console)
        self.assertIn("unimplemented syscall (no such call) (100000)", console)

    def test_a_missing_program_is_127(self):
        # Refused by the runner before booting...
        status, out, err, console = self.results["missing"]
        self.assertEqual(status, 127, err)
        self.assertEqual(out, b"")
        self.assertIn(b"/bin/busybox-not-here is not in the image", err)
        self.assertEqual(console, "")
        # ... or, for a path the runner does not check, by the shim.
        status, out, err, console = self.result("missing_in_guest")
        self.assertEqual(status, 127, err)
        self.assertIn("[lxshim] exec nothere: error 2", console)

    def test_files_program_does_what_it_does_on_linux(self):
        status, out, err, console = self.result("files")
        self.assertEqual(status, 0, console)
        with tempfile.TemporaryDirectory(prefix="shim-host-") as scratch:
            # The same program, the same argv[0], on the host: its output is the reference.
            host_status, host_out = run_on_host("files", scratch)
        self.assertEqual(host_status, 0)
        self.assertIn(b"read after unlink 22: Hello, files\nappended\n", host_out)
        self.assertIn(b"dir: .(4) ..(4) b(8) c(8) link(10) sub(4)\n", host_out)
        self.assertEqual(out.decode(), host_out.decode())
        self.assertNotIn("unimplemented syscall", console)

    def test_busybox_ls_lists_the_root(self):
        status, out, err, console = self.result("busybox_ls")
        self.assertEqual(status, 0, console)
        lines = out.decode().splitlines()
        self.assertRegex(lines[0], r"^total \d+$")
        modes = {line.split()[-1]: line.split()[0] for line in lines[1:]}
        # The boot's own files (/manifest, the shim: /hmk/exec.boot) are not in the root.
        self.assertEqual(modes, {"bin": "drwxr-xr-x", "dev": "drwxr-xr-x", "hmk": "drwxr-xr-x",
                                 "proc": "dr-xr-xr-x", "tmp": "drwxrwxrwt"})
        bin_line = [line for line in lines if line.endswith(" bin")][0]
        self.assertRegex(bin_line, r"^drwxr-xr-x +\d+ 0 +0 +\d+ ")

    def test_busybox_cat_reads_an_initrd_file(self):
        status, out, err, console = self.result("busybox_cat")
        self.assertEqual(status, 0, console)
        self.assertEqual(out, b"/bin/busybox\0cat\0/hmk/exec.argv\0")

    def test_busybox_sh_redirections_cd_and_globs(self):
        status, out, err, console = self.result("busybox_sh_files")
        self.assertEqual(status, 0, console)
        self.assertEqual(out, b"/tmp\nf\n/proc/self/cmdline /proc/self/comm /proc/self/cwd "
                              b"/proc/self/exe /proc/self/fd /proc/self/stat /proc/self/status\n"
                              b"/dev/stderr /dev/stdin /dev/stdout\n")
        self.assertEqual(err, b"to stderr\n")

    def test_busybox_readlink_proc_self_exe(self):
        status, out, err, console = self.result("busybox_readlink")
        self.assertEqual(status, 0, console)
        self.assertEqual(out, b"/bin/busybox\n")


if __name__ == "__main__":
    unittest.main()
