"""Host tests of the benchmark driver: everything ./hmk bench ipc does after QEMU has run.

Fed canned serial consoles (testdata/, from a real run of both halves), they check the report,
JSON and plot for HMK alone (--skip-linux), Linux alone (--skip-hmk) and both; the arithmetic
of sel4bench's method (a calibration's minimum subtracted after the statistics); that the Linux
baseline boots on HMK's QEMU machine; and that both halves warm up alike.
"""

import json
import os
import random
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

import bench
import benchlines
import linux_baseline
import linux_bench
import plot

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TESTDATA = os.path.join(HERE, "testdata")
SVG = "{http://www.w3.org/2000/svg}"


def read(path):
    with open(path) as f:
        return f.read()


def canned_run(side):
    """A run dict as hmk_image.boot() / linux_baseline.boot() return it, from the canned
    console of `side`."""
    cases, info, failures = benchlines.parse(read(os.path.join(TESTDATA, side + "-console.log")))
    assert not failures, failures
    name = {"hmk": "HMK", "linux": "Linux"}[side]
    return {"cases": cases, "info": info, "host_seconds": 1.0,
            "qemu_command": ["qemu-system-x86_64", "-bios", "/usr/share/qemu/qboot.rom",
                             "-machine", "q35", "-cpu", "max", "-m", "256M", "-kernel", "k"],
            "kernel": {"name": name, "revision": "canned"}}


def canned_result(sides):
    """bench.py's result dict with the given sides measured and the others skipped (None)."""
    run = {side: canned_run(side) if side in sides else None for side in ("hmk", "linux")}
    return {"benchmark": "ipc", "date": "2026-12-04T00:00:00+00:00", "unit": bench.UNIT_NOTE,
            "host": {}, "runs": [run], "errors": {}}


def guest_stats(samples):
    """The statistics line exactly as bench/common/report.h and bench/linux/bench.h compute
    it (integer median of the middle two, mean rounded half up)."""
    v = sorted(samples)
    n = len(v)
    median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2
    return {"n": n, "min": v[0], "median": median, "mean": (sum(v) + n // 2) // n, "max": v[-1]}


class OutputsTest(unittest.TestCase):
    """Report, JSON and SVG for each combination of halves (--skip-hmk, --skip-linux)."""

    def write(self, result):
        bench.summarize(result)
        text = bench.report(result)
        out = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        paths = bench.write_outputs(result, text, os.path.join(out, "ipc.json"))
        return text, paths

    def check_outputs(self, sides):
        result = canned_result(sides)
        text, paths = self.write(result)
        names = [os.path.basename(p) for p in paths]
        self.assertEqual(names, ["ipc.json", "ipc.md", "ipc.svg"])
        with open(paths[0]) as f:
            saved = json.load(f)
        self.assertEqual(saved["runs"][0].keys(), {"hmk", "linux"})
        self.assertEqual(read(paths[1]), text)

        measured = [name for side in sides for name in result["runs"][0][side]["cases"]]
        self.assertGreater(len(measured), 0)
        for side in ("hmk", "linux"):
            rows = [l for l in text.splitlines() if l.startswith("| %s." % side)]
            expected = len(result["runs"][0][side]["cases"]) if side in sides else 0
            self.assertEqual(len(rows), expected, side)

        # One bar per measured case and per seL4 reference, each labelled; nothing else.
        svg = ElementTree.parse(paths[2]).getroot()
        references = [r for r in bench.REFERENCES if r[0].startswith("seL4")]
        bars = [r for r in svg.iter(SVG + "rect") if r.get("height") != "100%"]
        self.assertEqual(len(bars), len(measured) + len(references))
        labels = {t.text for t in svg.iter(SVG + "text")}
        for name in measured:
            self.assertIn(name, labels)

        # The JSON written is itself a valid input: plotting it again gives the same chart.
        again = os.path.join(os.path.dirname(paths[2]), "again.svg")
        self.assertTrue(plot.write_svg(saved, [("seL4 " + w, v) for _, w, v in references],
                                       again))
        self.assertEqual(read(again), read(paths[2]))
        return result, text

    def test_hmk_only(self):  # ./hmk bench ipc --skip-linux
        result, text = self.check_outputs(["hmk"])
        self.assertIn("- null syscall: n/a (not measured this run: linux.null_syscall)", text)
        self.assertTrue(all(r["ratio"] is None for r in result["ratios"]))
        self.assertTrue(all(r["hmk_median"] is not None for r in result["sel4bench"]))

    def test_linux_only(self):  # ./hmk bench ipc --skip-hmk
        result, text = self.check_outputs(["linux"])
        self.assertIn("- null syscall: n/a (not measured this run: hmk.null_syscall)", text)
        self.assertTrue(all(r["hmk_median"] is None for r in result["sel4bench"]))
        self.assertIn("| round trip = call + reply, 0 words | n/a | 403 | n/a |", text)

    def test_both(self):
        result, text = self.check_outputs(["hmk", "linux"])
        self.assertTrue(all(r["ratio"] is not None for r in result["ratios"]))
        self.assertIn("- null syscall: hmk.null_syscall 177 / linux.null_syscall 357 = 0.496",
                      text)
        self.assertNotIn("DIFFERENT QEMU MACHINES", text)
        self.assertNotIn("DIFFER)", text)

    def test_nothing_measured(self):  # both halves skipped or failed: references only
        result = canned_result([])
        result["errors"] = {"hmk": "bazel build failed"}
        text, paths = self.write(result)
        self.assertIn("- hmk: FAILED: bazel build failed", text)
        svg = ElementTree.parse(paths[2]).getroot()
        bars = [r for r in svg.iter(SVG + "rect") if r.get("height") != "100%"]
        self.assertEqual(len(bars), len([r for r in bench.REFERENCES if r[0].startswith("seL4")]))

    def test_different_machines_are_flagged(self):
        result = canned_result(["hmk", "linux"])
        result["runs"][0]["linux"]["qemu_command"] = ["qemu-system-x86_64", "-cpu", "max"]
        bench.summarize(result)
        self.assertIn("DIFFERENT QEMU MACHINES", bench.report(result))

    def test_different_warmups_are_flagged(self):
        result = canned_result(["hmk", "linux"])
        result["runs"][0]["linux"]["info"]["linux.warmup"] = "200"
        bench.summarize(result)
        self.assertIn("- warm-up: hmk 100 / linux 200 untimed rounds before every case "
                      "(THE HALVES DIFFER)", bench.report(result))


class Sel4benchArithmeticTest(unittest.TestCase):
    """sel4bench's method: the case is the raw statistics less the calibration's minimum."""

    def test_same_as_subtracting_from_every_sample(self):
        rng = random.Random(4)
        for n in (1, 2, 3, 999, 1000):
            for _ in range(50):
                samples = [rng.randrange(100, 400) for _ in range(n)]
                # Odd totals and medians between two samples are where rounding could slip.
                overhead = rng.randrange(0, min(samples) + 1)
                case = benchlines.subtract_calibration(
                    guest_stats(samples), {"n": 5, "min": overhead, "median": 99, "mean": 99,
                                           "max": 99})
                expected = guest_stats([x - overhead for x in samples])
                self.assertEqual({k: case[k] for k in benchlines.STAT_KEYS}, expected)
                self.assertEqual(case["overhead"], overhead)
                self.assertEqual(case["method"], "sel4bench")

    def test_known_values(self):
        raw = {"n": 4, "min": 10, "median": 15, "mean": 16, "max": 25}
        case = benchlines.subtract_calibration(raw, {"n": 4, "min": 7, "median": 8, "mean": 8,
                                                      "max": 9})
        self.assertEqual([case[k] for k in benchlines.STAT_KEYS], [4, 3, 8, 9, 18])
        self.assertEqual(case["raw"], raw)

    def test_raw_below_calibration_is_refused(self):
        self.assertIsNone(benchlines.subtract_calibration(
            {"n": 1, "min": 6, "median": 6, "mean": 6, "max": 6},
            {"n": 1, "min": 7, "median": 7, "mean": 7, "max": 7}))
        _, _, failures = benchlines.parse(
            "BENCH_CALIBRATION x n=1 min=7 median=7 mean=7 max=7\n"
            "BENCH_RAW x n=1 min=6 median=6 mean=6 max=6\n")
        self.assertEqual(failures, ["case x: raw minimum 6 below its calibration's 7"])

    def test_unpaired_lines_fail(self):
        cases, _, failures = benchlines.parse(
            "BENCH_RAW a n=1 min=9 median=9 mean=9 max=9\n"
            "BENCH_CALIBRATION b n=1 min=7 median=7 mean=7 max=7\n"
            "BENCH_CALIBRATION c n=1 min=7 median=7 mean=7 max=7\n"
            "BENCH_RAW c n=1 min=9 median=9 mean=9 max=9\n")
        self.assertEqual(list(cases), ["c"])
        self.assertEqual(failures, ["BENCH_RAW a without a BENCH_CALIBRATION before it",
                                    "BENCH_CALIBRATION b without its BENCH_RAW"])

    def lines(self, kind, name):
        """The key=value fields of the canned HMK console's `kind` line for `name`, read
        without benchlines' regular expressions."""
        found = [l.split()[2:] for l in read(os.path.join(TESTDATA, "hmk-console.log")).split("\n")
                 if l.split()[:2] == [kind, name]]
        self.assertEqual(len(found), 1, (kind, name))
        return {k: int(v) for k, v in (f.split("=") for f in found[0])}

    def test_canned_console(self):
        cases = canned_run("hmk")["cases"]
        sel4 = [n for n in cases if n.startswith("hmk.sel4bench.")]
        self.assertEqual(len(sel4), 14)
        for name in sel4:
            raw, cal = self.lines("BENCH_RAW", name), self.lines("BENCH_CALIBRATION", name)
            self.assertEqual(cases[name]["median"], raw["median"] - cal["min"], name)
            self.assertEqual(cases[name]["overhead"], cal["min"], name)
        # Today's cases keep their own method: the rdtsc-pair overhead, no calibration.
        self.assertEqual(cases["hmk.roundtrip.0w.xas"]["overhead"], 4)
        self.assertNotIn("method", cases["hmk.roundtrip.0w.xas"])

    def test_comparison_adds_one_way_medians(self):
        run = canned_run("hmk")
        rows = {r["label"]: r for r in bench.sel4bench_comparison({"hmk": run, "linux": None})}
        cases = run["cases"]
        call = cases["hmk.sel4bench.call.0w.xas"]["median"]
        reply = cases["hmk.sel4bench.reply.0w.xas"]["median"]
        row = rows["round trip = call + reply, 0 words"]
        self.assertEqual(row["hmk_median"], call + reply)
        self.assertEqual(row["sel4"], 403)
        self.assertAlmostEqual(row["ratio"], (call + reply) / 403)
        self.assertEqual(rows["round trip timed by the client, 0 words"]["hmk_median"],
                         cases["hmk.sel4bench.roundtrip.0w.xas"]["median"])


class MachineTest(unittest.TestCase):
    """The Linux baseline boots on the machine HMK boots on (tools/qemu/run.py)."""

    def test_linux_command_is_hmk_machine(self):
        linux = linux_baseline.qemu_command(REPO, "vmlinuz", "bench.cpio")
        runner = linux_baseline.load_runner(REPO)
        hmk = runner.qemu_command(runner_args(kernel="kernel", initrd="image.cpio"))
        self.assertNotEqual(bench.machine(hmk), "")
        self.assertEqual(bench.machine(linux), bench.machine(hmk))
        for option in ("-machine", "-cpu", "-icount", "-bios"):
            self.assertIn(option, linux)
        self.assertEqual(linux[linux.index("-kernel") + 1], "vmlinuz")
        self.assertEqual(linux[linux.index("-initrd") + 1], "bench.cpio")
        self.assertEqual(linux[linux.index("-append") + 1], linux_baseline.APPEND)


def runner_args(kernel, initrd):
    """tools/qemu/run.py's arguments with its own defaults, as hmk_image.boot() leaves them."""
    runner = linux_baseline.load_runner(REPO)
    return runner.parser().parse_args(["--kernel", kernel, "--initrd", initrd])


class WarmupTest(unittest.TestCase):
    """HMK's and Linux's programs warm up for the same number of rounds."""

    def constant(self, path, pattern):
        found = re.findall(pattern, read(os.path.join(REPO, path)))
        self.assertEqual(len(found), 1, (path, pattern, found))
        return int(found[0])

    def test_programs_agree(self):
        hmk = self.constant("bench/common/report.h", r"constexpr int kWarmupRounds = (\d+);")
        linux = self.constant("bench/linux/bench.h", r"\bkWarmup = (\d+)")
        self.assertEqual(hmk, linux)

    def test_guests_report_it(self):
        self.assertEqual(canned_run("hmk")["info"]["warmup"], "100")
        self.assertEqual(canned_run("linux")["info"]["linux.warmup"], "100")


def stats_line(name, median, n=1000):
    return "BENCH %s n=%d min=%d median=%d mean=%d max=%d\n" % (
        name, n, median - 1, median, median + 2, median * 3)


class LinuxBenchTest(unittest.TestCase):
    """./hmk bench linux (linux_bench.py) after the programs ran: each HMK program's stdout,
    the Linux console, the report, JSON and chart, and the one table both halves run."""

    def hmk_side(self, medians):
        side = {"cases": {}, "info": {}, "errors": {}, "host_seconds": 2.0,
                "qemu_command": ["qemu-system-x86_64", "-machine", "q35", "-m", "512M"],
                "kernel": {"name": "HMK", "revision": "canned"}}
        for program, samples, cases in linux_bench.PROGRAMS:
            text = "BENCH_OVERHEAD 8\n" + "".join(
                stats_line(c, medians[c], samples) for c, _ in cases if c in medians)
            try:
                found, _ = linux_bench.parse_program_output(
                    program, text.encode(), 0, [c for c, _ in cases])
                side["cases"].update(found)
            except benchlines.BenchError as e:
                side["errors"][program] = str(e)
        return side

    def linux_side(self, medians):
        console = "\x1bc\nBENCH_INFO linux.release=6.1\n" + "".join(
            stats_line(c, m, n) for p, n, cases in linux_bench.PROGRAMS for c, _ in cases
            for m in [medians[c]])
        cases, info, failures = benchlines.parse(console)
        self.assertEqual(failures, [])
        return {"cases": cases, "info": info, "host_seconds": 9.0,
                "qemu_command": ["qemu-system-x86_64", "-machine", "q35", "-m", "512M"],
                "kernel": {"name": "Linux", "package": "p", "version": "v"}}

    def result(self, hmk, linux):
        result = linux_bench.new_result()
        result["date"] = "2026-12-04T00:00:00+00:00"
        result["hmk"], result["linux"] = hmk, linux
        return linux_bench.summarize(result)

    def test_program_output(self):
        out = b"BENCH_OVERHEAD 8\n" + stats_line("linux.stat", 5000).encode()
        cases, _ = linux_bench.parse_program_output("stat", out, 0, ["linux.stat"])
        self.assertEqual(cases["linux.stat"]["median"], 5000)
        self.assertEqual(cases["linux.stat"]["overhead"], 8)
        for status, expected, why in ((3, ["linux.stat"], "exited with status 3"),
                                      (0, ["linux.stat", "linux.x"], "missing cases: linux.x")):
            with self.assertRaisesRegex(benchlines.BenchError, why):
                linux_bench.parse_program_output("stat", out, status, expected)
        with self.assertRaisesRegex(benchlines.BenchError, "printed twice"):
            linux_bench.parse_program_output("stat", out + out, 0, ["linux.stat"])

    def test_report_both(self):
        medians = {c: 1000 + 10 * i for i, c in enumerate(linux_bench.CASES)}
        hmk = dict(medians, **{"linux.null_syscall": 1551})
        result = self.result(self.hmk_side(hmk),
                             self.linux_side(dict(medians, **{"linux.null_syscall": 357})))
        text = linux_bench.report(result)
        rows = [l for l in text.splitlines() if l.startswith("| linux.")]
        self.assertEqual(len(rows), len(linux_bench.CASES))
        self.assertEqual(len(linux_bench.CASES), 13)
        self.assertIn("| linux.null_syscall | `syscall(SYS_getppid)` through musl | 1000 | 1,551 "
                      "| 357 | 4.34 |", text)
        self.assertIn("| linux.fork_exec_wait |", text)
        self.assertRegex(text, r"\| linux\.fork_exec_wait \|[^|]*\| 50 \|")
        self.assertIn("-icount shift=0", text.splitlines()[2])
        self.assertIn("--profile=ic0", text.splitlines()[2])
        self.assertIn("page faults resolved by kernel paging", text.splitlines()[2])
        self.assertIn("The file cases work in $TMPDIR: /tmp on HMK (the vfs service), /tmp on "
                      "Linux.", text.splitlines()[2])
        self.assertNotIn("DIFFERENT QEMU MACHINES", text)
        self.assertNotIn("FAILED", text)
        # A ratio far below 1 (HMK's anonymous "fault" is a plain store) must not read 0.00.
        self.assertEqual([linux_bench.ratio_text(r) for r in (1 / 6358, 0.5, 4.3412, None)],
                         ["0.000157", "0.50", "4.34", "n/a"])

        out = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        paths = linux_bench.write_outputs(result, text, os.path.join(out, "linux.json"))
        self.assertEqual([os.path.basename(p) for p in paths],
                         ["linux.json", "linux.md", "linux.svg"])
        with open(paths[0]) as f:
            saved = json.load(f)
        self.assertEqual([r["ratio"] for r in saved["rows"]],
                         [r["ratio"] for r in result["rows"]])
        self.assertAlmostEqual(saved["rows"][0]["ratio"], 1551 / 357)
        self.assertEqual(read(paths[1]), text)
        svg = ElementTree.parse(paths[2]).getroot()
        bars = [r for r in svg.iter(SVG + "rect") if r.get("height") != "100%"]
        self.assertEqual(len(bars), 2 * len(linux_bench.CASES))
        labels = {t.text for t in svg.iter(SVG + "text")}
        self.assertIn("HMK linux.anon_fault", labels)
        self.assertIn("Linux linux.anon_fault", labels)

    def test_one_side_or_a_failed_program(self):
        medians = {c: 100 for c in linux_bench.CASES}
        result = self.result(None, self.linux_side(medians))
        text = linux_bench.report(result)
        self.assertIn("- HMK: not measured (skipped)", text)
        self.assertIn("| linux.stat | `stat` of $TMPDIR/FILE | 1000 | n/a | 100 | n/a |", text)
        # One HMK program without its line: its row is n/a, the rest are measured.
        del medians["linux.stat"]
        hmk = self.hmk_side(medians)
        self.assertEqual(list(hmk["errors"]), ["stat"])
        result = self.result(hmk, None)
        result["errors"]["hmk"] = "1 of 12 programs failed: stat"
        text = linux_bench.report(result)
        self.assertIn("| linux.stat | `stat` of $TMPDIR/FILE | 1000 | n/a | n/a | n/a |", text)
        self.assertIn("| linux.open_close | `open` O_RDONLY + `close` of $TMPDIR/FILE | 1000 | "
                      "100 | n/a | n/a |", text)
        self.assertIn("- hmk: stat FAILED: stat on HMK: missing cases: linux.stat", text)

    def test_file_cases_in_tmp_wherever_the_root_is(self):
        # Every profile runs the file cases in /tmp (no --env); the header says what holds it:
        # the vfs service where the shim has one (ic0 and the composition profiles), the shim's
        # own file system under ic2 and userpager.
        exec_mod = linux_bench.load_exec(REPO)
        self.assertTrue(set(n for n, p in exec_mod.PROFILES.items() if p.image_files)
                        < set(linux_bench.ROOT_ON_VFS))
        for profile in ("ic0", "split", "coalesced", "kernel", "ic2", "userpager"):
            argv = linux_bench.hmk_argv(profile, "stat", "/b/stat", "/log", 600, 1000, "tsc")
            self.assertEqual(argv, ["--profile=" + profile, "--add", "/b/stat:/bin/stat", "--log",
                                    "/log", "--timeout", "600", "--",
                                    "/bin/stat", "1000", "tsc"])
            result = linux_bench.new_result(profile, exec_mod.PROFILES[profile].about)
            self.assertEqual(result["tmpdir"], {"hmk": "/tmp", "linux": "/tmp"})
            holder = ("the shim's own file system" if profile in ("ic2", "userpager")
                      else "the vfs service")
            self.assertIn("The file cases work in $TMPDIR: /tmp on HMK (%s), /tmp on Linux."
                          % holder, result["header"])
        self.assertIn("granted the vfs, procmgr and memmgr services",
                      linux_bench.new_result("split", exec_mod.PROFILES["split"].about)["header"])
        self.assertEqual(linux_bench.default_json("/r", "ic0"), "/r/bench-results/linux.json")
        self.assertEqual(linux_bench.default_json("/r", "split"),
                         "/r/bench-results/linux-split.json")

    def test_tmpdir_chosen_for_a_run(self):
        # --tmpdir=/dev/shm under ic0 (the shim's devtmpfs, not the vfs service): every program
        # gets it, the result says so, and it goes to a file of its own.
        linux_bench.choose_tmpdir("/dev/shm")
        try:
            for profile, json_name in (("ic0", "linux-dev-shm.json"),
                                       ("split", "linux-split-dev-shm.json")):
                argv = linux_bench.hmk_argv(profile, "stat", "/b/stat", "/log", 600, 1000, "tsc")
                self.assertIn("TMPDIR=/dev/shm", argv)
                result = linux_bench.new_result(profile)
                self.assertEqual(result["tmpdir"], {"hmk": "/dev/shm", "linux": "/tmp"})
                self.assertIn("/dev/shm on HMK (the shim's own devtmpfs)", result["header"])
                self.assertEqual(linux_bench.default_json("/r", profile),
                                 "/r/bench-results/" + json_name)
        finally:
            linux_bench.choose_tmpdir(None)

    def test_a_failing_program_says_why(self):
        stderr = (b"[some earlier line]\n/vfs/bench.open_close: No such file or directory\n"
                  b"\n")
        with self.assertRaises(benchlines.BenchError) as cm:
            linux_bench.parse_program_output("open_close", b"BENCH_OVERHEAD 8\n", 1,
                                             ["linux.open_close"], stderr)
        self.assertEqual(str(cm.exception).splitlines()[0],
                         "open_close on HMK: stderr: /vfs/bench.open_close: No such file or "
                         "directory; ./hmk exec exited with status 1; missing cases: "
                         "linux.open_close")
        # A program that exits 0 is judged by its stdout alone.
        out = b"BENCH_OVERHEAD 8\n" + stats_line("linux.stat", 5000).encode()
        cases, _ = linux_bench.parse_program_output("stat", out, 0, ["linux.stat"], b"warning\n")
        self.assertEqual(list(cases), ["linux.stat"])

    def test_hmk_half_goes_on_after_a_failing_program(self):
        # hmk_half with a stand-in ./hmk exec (tools/exec/exec.py in a scratch tree) that
        # prints every program's cases, except that the file programs fail as they do without
        # the directory: each failure is reported with its stderr, the other rows still come.
        repo = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        os.makedirs(os.path.join(repo, "tools", "exec"))
        with open(os.path.join(repo, "tools", "exec", "exec.py"), "w") as f:
            f.write(FAKE_EXEC)
        cache = os.path.join(repo, "cache")
        os.makedirs(cache)
        calls = os.path.join(repo, "calls")
        os.environ["FAKE_EXEC_CALLS"] = calls
        self.addCleanup(os.environ.pop, "FAKE_EXEC_CALLS")
        binaries = {p: "/b/" + p for p, _, _ in linux_bench.PROGRAMS}
        linux_bench.choose_tmpdir("/vfs")  # a directory the guest does not have
        self.addCleanup(linux_bench.choose_tmpdir, None)
        side = linux_bench.hmk_half(repo, cache, binaries, "tsc", 60, "split")
        failing = ["open_close", "stat", "create_write_unlink"]
        self.assertEqual(sorted(side["errors"]), sorted(failing))
        for program in failing:
            self.assertIn("%s on HMK: stderr: /vfs/bench.%s: No such file or directory; "
                          "./hmk exec exited with status 1" % (program, program),
                          side["errors"][program])
            with open(side["runs"][program]["stderr"], "rb") as f:
                self.assertIn(b"No such file or directory", f.read())
        self.assertEqual(side["tmpdir"], "/vfs")
        self.assertEqual(sorted(side["cases"]), sorted(
            c for p, _, cases in linux_bench.PROGRAMS if p not in failing for c, _ in cases))
        with open(calls) as f:
            argvs = [json.loads(line) for line in f]
        self.assertEqual(len(argvs), len(linux_bench.PROGRAMS))
        for argv in argvs:
            self.assertEqual(argv[argv.index("--env") + 1], "TMPDIR=/vfs")
        result = self.result(side, None)
        result["errors"]["hmk"] = "3 of 12 programs failed"
        text = linux_bench.report(result)
        self.assertIn("- hmk: stat FAILED: stat on HMK: stderr: /vfs/bench.stat: No such file "
                      "or directory; ./hmk exec exited with status 1; missing cases: linux.stat",
                      text)
        self.assertIn("| linux.stat | `stat` of $TMPDIR/FILE | 1000 | n/a | n/a | n/a |", text)
        self.assertRegex(text, r"\| linux\.null_syscall \|[^|]*\| 1000 \| 1,000 \|")

    def test_programs_print_their_cases(self):
        """The table is the truth for both halves: each program exists and prints its cases
        (by their names in its source), fork cases take fewer samples."""
        samples = {p: n for p, n, _ in linux_bench.PROGRAMS}
        self.assertEqual((samples["fork_exit_wait"], samples["fork_exec_wait"]), (100, 50))
        for program, _, cases in linux_bench.PROGRAMS:
            source = read(os.path.join(REPO, "bench", "linux", program + ".c"))
            for case, what in cases:
                self.assertIn('"%s"' % case, source, program)
                self.assertTrue(what, case)

    def test_init_runs_the_table(self):
        commands = [(p, linux_bench.arguments(n, "tsc")) for p, n, _ in linux_bench.PROGRAMS]
        init = linux_baseline.INIT.format(run=linux_baseline.run_lines(commands))
        self.assertIn('/bin/fork_exec_wait 50 tsc || echo "BENCH_FAIL fork_exec_wait exited '
                      'with status $?"\n', init)
        self.assertEqual(len(re.findall(r"^/bin/\w+ \d+ tsc \|\|", init, re.M)),
                         len(linux_bench.PROGRAMS))
        self.assertIn("mount -t tmpfs tmpfs /tmp", init)
        # The IPC benchmark keeps its programs and its loop.
        self.assertEqual(linux_baseline.PROGRAMS,
                         ["timers", "null_syscall", "pipe_roundtrip", "futex_pingpong"])
        ipc = linux_baseline.INIT.format(run=linux_baseline.RUN_ALL.format(
            programs=" ".join(linux_baseline.PROGRAMS), args="1000 tsc"))
        self.assertIn("\nfor p in timers null_syscall pipe_roundtrip futex_pingpong; do\n"
                      '  /bin/$p 1000 tsc || echo "BENCH_FAIL $p exited with status $?"\n'
                      "done\necho BENCH_DONE\n", ipc)


# A stand-in for tools/exec/exec.py (./hmk exec) as hmk_half uses it: every program prints its
# cases (median 1000) on stdout, except those whose file cases have no directory, which fail
# as bench.h's die() does. Each call's argv is a line of JSON in $FAKE_EXEC_CALLS.
FAKE_EXEC = """
import dataclasses
import json
import os

import linux_bench


class Failure(Exception):
    pass


@dataclasses.dataclass
class Profile:
    kernel_target: str = "//k"
    shim_target: str = "//s"
    image_files: tuple = ()
    memory: str = "512M"
    about: str = "a stand-in"


PROFILES = {"split": Profile(), "ic0": Profile()}


def build(profile):
    return ("kernel", "shim")


def qemu_command(profile, kernel, initrd, fds):
    return ["qemu-system-x86_64", "-machine", "q35", "-m", "512M"]


def main(argv, artifacts):
    with open(os.environ["FAKE_EXEC_CALLS"], "a") as f:
        f.write(json.dumps(argv) + "\\n")
    program = argv[argv.index("--") + 1].rsplit("/", 1)[1]
    if program in ("open_close", "stat", "create_write_unlink"):
        os.write(2, b"/vfs/bench.%s: No such file or directory\\n" % program.encode())
        return 1
    for p, n, cases in linux_bench.PROGRAMS:
        if p == program:
            for case, _ in cases:
                os.write(1, b"BENCH %s n=%d min=999 median=1000 mean=1001 max=1002\\n"
                         % (case.encode(), n))
    return 0
"""

EXPECTED_TESTS = 24  # a run that found fewer (or none) must not pass

if __name__ == "__main__":
    outcome = unittest.main(exit=False).result
    if outcome.testsRun != EXPECTED_TESTS:
        print("bench_test: ran %d tests, expected %d" % (outcome.testsRun, EXPECTED_TESTS))
    sys.exit(0 if outcome.wasSuccessful() and outcome.testsRun == EXPECTED_TESTS else 1)
