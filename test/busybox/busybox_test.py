#!/usr/bin/env python3
"""Debian's busybox-static, unmodified, on HMK and on the host: each command line below runs as
`busybox sh -c LINE` under ./hmk exec's runner (tools/exec/exec.py, with the built kernel and
shim) and on the host, and its stdout, stderr and exit status must be identical, byte for byte.

Lines work in their own directory, /tmp/bb-PROFILE-N, which they create and remove, so that the
host's /tmp and the image's agree (the profile in the name: two profiles' tests may run at once);
PATH names no directory, so every command is a busybox applet on both sides; dates and owners are kept out of the output (no real-time clock, no users on HMK).

    busybox_test.py KERNEL SHIM EXEC_DIR
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BUSYBOX = "/bin/busybox"
ENV = {"HOME": "/", "PATH": "/nonexistent"}

# (name, command line). {d} is the line's own scratch directory. A directory's size depends on
# the file system (ext4 4096, tmpfs 40), so ls -l's sizes are compared for files only.
LINES = [
    ("pipeline_wc", "echo hi | wc -c"),
    ("sort_reverse", "seq 1 10 | sort -rn | head -n 3"),
    ("uniq_count", "printf 'b\\na\\nb\\nc\\nb\\n' | sort | uniq -c"),
    ("tr_upper", "echo hello world | tr a-z A-Z"),
    ("cut_field", "echo a,b,c | cut -d, -f2"),
    ("grep_count", "seq 100 | grep -c 1"),
    ("grep_extended", "printf 'cat\\ndog\\ncow\\n' | grep -E '^c(a|o)'"),
    ("sed_subst", "printf 'x=1\\ny=2\\n' | sed 's/=/ is /; 2d'"),
    ("sed_print", "seq 5 | sed -n '2,3p'"),
    ("awk_sum", "seq 5 | awk '{s += $1} END {print s, NR}'"),
    ("awk_fields", "echo 'root:x:0:0' | awk -F: '{printf \"%s-%s\\n\", $1, $3}'"),
    ("head_tail", "seq 20 | head -n 12 | tail -n 3"),
    ("expr", "expr 6 \\* 7; expr length hello"),
    ("test_builtin", "test -d / && echo dir; [ 3 -lt 2 ] || echo no; [ -n x ] && echo yes"),
    ("mkdir_find", "mkdir -p {d}/a/b {d}/c && touch {d}/a/b/f && find {d} | sort; rm -r {d}"),
    ("cp_mv_rm", "mkdir {d} && cd {d} && echo data > f && cp f g && mv g h && cat h && ls && "
                 "rm f h && ls; cd / && rmdir {d}"),
    ("ln_readlink", "mkdir {d} && cd {d} && echo t > target && ln -s target link && "
                    "readlink link && cat link && ln target hard && cat hard; cd / && rm -r {d}"),
    ("ls_l_fields", "mkdir {d} && cd {d} && echo 12345 > five && mkdir sub && chmod 640 five && "
                    "ls -l | awk 'NR > 1 {print $1, ($1 ~ /^d/ ? \"dir\" : $5), $NF}'; cd / && rm -r {d}"),
    ("sha256sum", "echo hello | sha256sum"),
    ("md5sum", "printf 'abc' | md5sum"),
    ("gzip_roundtrip", "seq 1000 | gzip | gunzip | tail -n 1"),
    ("gzip_file", "mkdir {d} && cd {d} && seq 50 > n && gzip n && ls && gunzip n.gz && "
                  "wc -l n; cd / && rm -r {d}"),
    ("tar_roundtrip", "mkdir -p {d}/in/sub && cd {d} && echo one > in/a && echo two > in/sub/b && "
                      "tar cf t.tar in && rm -r in && tar xf t.tar && cat in/a in/sub/b && "
                      "tar tf t.tar | sort; cd / && rm -r {d}"),
    ("env_clean", "env -i A=1 B=two env | sort"),
    ("date_fixed", "date -u -d @86400 '+%Y-%m-%d %H:%M'"),
    ("sleep", "sleep 0.1; echo slept"),
    ("xargs", "echo a b c | xargs -n 1 echo item"),
    ("od", "printf 'abc\\n' | od -c"),
    ("dd_zero", "dd if=/dev/zero bs=512 count=3 2>/dev/null | wc -c"),
    ("subshell_cd", "(cd /tmp && pwd); pwd"),
    ("background_wait", "(sleep 0.1; echo background) & wait; echo foreground"),
    ("background_status", "(exit 7) & wait $!; echo status $?"),
    ("command_substitution", "echo $(echo nested $(echo deep)) end"),
    ("for_loop", "for i in 1 2 3; do echo line $i; done | tail -n 1"),
    ("while_read", "printf '1\\n2\\n3\\n' | while read x; do echo $((x * 2)); done"),
    ("case_statement", "for w in apple kiwi; do case $w in a*) echo A;; *) echo other;; esac; "
                       "done"),
    ("heredoc", "cat <<EOF\nfirst\nsecond $((1 + 1))\nEOF"),
    ("redirections", "mkdir {d} && cd {d} && echo out > f && echo more >> f && cat < f && "
                     "ls nothing 2> err; cat err | wc -l; cd / && rm -r {d}"),
    ("exit_status", "false; echo $?; (exit 3); echo $?; true | false; echo $?"),
    ("parameter_expansion", "x=prefix.tail.txt; echo ${x#*.} ${x%.txt} ${#x}"),
    ("trap_exit", "trap 'echo bye' EXIT; echo hi"),
    ("basename_dirname", "basename /a/b/c.txt .txt; dirname /a/b/c.txt"),
    ("wc_words", "printf 'one two\\nthree\\n' | wc -l -w"),
    ("sort_key", "printf 'b,2\\na,3\\nc,1\\n' | sort -t, -k2 -n"),
    ("cat_dev_null", "cat /dev/null; echo empty $?"),
    ("kill_term", "sh -c 'kill $$'; echo st $?"),
    ("yes_head", "yes | head -n 2"),
    ("printf_formats", "printf '%05d|%-4s|%x\\n' 42 ab 255"),
    ("seq_step", "seq 0 5 20"),
    ("missing_command", "no_such_command; echo after $?"),
]


def scratch_of(index):
    # The profile in the name: the tests of two profiles may run at once on the same host.
    return "/tmp/bb-%s-%d" % (BusyboxTest.profile, index)


def command(index, line):
    return line.replace("{d}", scratch_of(index))


def run_host(index, line):
    if os.path.exists(scratch_of(index)):
        shutil.rmtree(scratch_of(index))
    proc = subprocess.run([BUSYBOX, "sh", "-c", command(index, line)], env=ENV, cwd="/",
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


DRIVER = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import exec as hmk_exec
sys.exit(hmk_exec.main(sys.argv[5:],
                       artifacts=(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))
"""


def run_hmk(kernel, shim, exec_dir, index, line, profile, image_files):
    with tempfile.TemporaryDirectory(prefix="bb-") as scratch:
        cmd = [sys.executable, "-c", DRIVER, exec_dir, kernel, shim, json.dumps(image_files),
               "--profile=" + profile,
               "--log", os.path.join(scratch, "console.log"), "--timeout", "120",
               "--env", "PATH=" + ENV["PATH"], "--", BUSYBOX, "sh", "-c", command(index, line)]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=180, cwd=scratch)
    return proc.returncode, proc.stdout, proc.stderr


class BusyboxTest(unittest.TestCase):
    artifacts = None
    profile = "ic0"
    image_files = {}  # the composition profiles' manifest and domain programs, by initrd name
    results = {}

    @classmethod
    def setUpClass(cls):
        kernel, shim, exec_dir = cls.artifacts
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            hmk = {i: pool.submit(run_hmk, kernel, shim, exec_dir, i, line, cls.profile,
                                  cls.image_files)
                   for i, (_, line) in enumerate(LINES)}
            cls.results = {i: (run_host(i, line), hmk[i].result())
                           for i, (_, line) in enumerate(LINES)}

    def test_every_line_as_on_the_host(self):
        self.assertGreaterEqual(len(LINES), 40)
        self.assertEqual(len(self.results), len(LINES))
        same = 0
        for i, (name, line) in enumerate(LINES):
            host, hmk = self.results[i]
            with self.subTest(name=name, line=line):
                self.assertEqual(hmk, host)
                same += 1
        print("%d of %d busybox command lines identical on HMK and the host" % (same, len(LINES)))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0].startswith("--profile="):  # ./hmk exec's profile (default: ic0)
        BusyboxTest.profile = args[0][len("--profile="):]
        args = args[1:]
    while args and args[0].startswith("--image-file="):  # NAME=PATH: an image's file
        name, _, path = args[0][len("--image-file="):].partition("=")
        BusyboxTest.image_files[name] = os.path.abspath(path)
        args = args[1:]
    BusyboxTest.artifacts = tuple(os.path.abspath(a) for a in args[:3])
    unittest.main(argv=sys.argv[:1])
