"""The Linux system call table's parser and generators: a bad table is refused with its line,
the thunks convert registers as Linux does, and every piece names every call of the real table
(linuxcompat/syscalls.tbl) at its number."""

import os
import re
import unittest

import linux_gen as gen
import linux_table as ltbl
import table as tbl

REAL_TABLE = os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""),
                          "linuxcompat/syscalls.tbl")

SMALL = """\
# a comment
0 first   none    (fd:fd, buf:uptr) | read it
1 typed   full    (fd:fd, n:int, mode:mode, len:size, pos:off, fl:flags64) | every conversion
3 half    partial (who:pid, res:uint, fl:flags, p:ustr) | does some; missing: the rest
4 bare    full    () | no arguments
"""


def flat(text):
    """The text with every run of white space one space, so that line breaks do not matter."""
    return " ".join(text.split())


class ParserTest(unittest.TestCase):
    def test_small_table(self):
        calls = ltbl.parse(SMALL)
        self.assertEqual([(c.number, c.name, c.support) for c in calls],
                         [(0, "first", "none"), (1, "typed", "full"), (3, "half", "partial"),
                          (4, "bare", "full")])
        self.assertEqual(calls[1].args[2], ltbl.Arg("mode", "mode"))
        self.assertEqual((calls[2].summary, calls[2].missing), ("does some", "the rest"))
        self.assertEqual(calls[2].line, 4)
        self.assertEqual(ltbl.count(calls), 5)

    def assert_refused(self, text, message, line):
        with self.assertRaises(tbl.TableError) as e:
            ltbl.parse(text, "t.tbl")
        self.assertIn(f"t.tbl:{line}: ", str(e.exception))
        self.assertIn(message, str(e.exception))

    def test_bad_tables(self):
        self.assert_refused("0 a none () | x\n0 b none () | y\n",
                            "number 0 is defined twice (first on line 1)", 2)
        self.assert_refused("0 a none () | x\n# c\n1 a none () | y\n",
                            "'a' is defined twice (first on line 1)", 3)
        self.assert_refused("0 a none (x:i32) | x\n", "argument 'x': unknown type 'i32'", 1)
        self.assert_refused("\n0 a partial (x:int) | does some\n", "a partial call says what", 2)
        self.assert_refused("0 a partial () | does some; missing:  \n", "a partial call says", 1)
        self.assert_refused("0 a none (a1:int,a2:int,a3:int,a4:int,a5:int,a6:int,a7:int) | x\n",
                            "7 arguments", 1)
        self.assert_refused("0 a some () | x\n", "unknown support 'some'", 1)
        self.assert_refused("0 a full () | x; missing: y\n", "only a partial call", 1)
        self.assert_refused("0 a none () | x; missing: y\n", "only a partial call", 1)
        self.assert_refused("5 a none () | x\n3 b none () | y\n", "number 3 after 5", 2)
        self.assert_refused("0 a none (new:int) | x\n", "'new': a reserved name", 1)
        self.assert_refused("0 a none (task:int) | x\n", "'task': a reserved name", 1)
        self.assert_refused("0 a none (x:int, x:fd) | x\n", "used twice", 1)
        self.assert_refused("0 a none () | x | y\n", "'|' in the description", 1)
        self.assert_refused("0 a none () |\n", "no description", 1)
        self.assert_refused("0 a none ()\n", "want: NUMBER NAME SUPPORT", 1)
        self.assert_refused("0 a none (x) | y\n", "bad argument 'x'", 1)
        self.assert_refused("1024 a none () | x\n", "above 1023", 1)
        with self.assertRaises(tbl.TableError):
            ltbl.parse("# nothing\n")


class GeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.calls = ltbl.parse(SMALL)
        cls.header = gen.emit_header(cls.calls)
        cls.dispatch = gen.emit_dispatch(cls.calls)

    def test_thunks_convert_as_linux(self):
        # fd and int keep the low 32 bits, sign-extended; mode the low 16; size, off and
        # flags64 all 64.
        self.assertIn("int64_t call_typed(Task& task, const SyscallArgs& a) { return "
                      "sys_typed(task, static_cast<int32_t>(a.arg[0]), "
                      "static_cast<int32_t>(a.arg[1]), static_cast<uint32_t>(a.arg[2] & 0xffffu), "
                      "a.arg[3], static_cast<int64_t>(a.arg[4]), a.arg[5]); }", flat(self.dispatch))
        self.assertIn("return sys_half(task, static_cast<int32_t>(a.arg[0]), "
                      "static_cast<uint32_t>(a.arg[1]), static_cast<uint32_t>(a.arg[2]), "
                      "a.arg[3]);", flat(self.dispatch))
        self.assertIn("int64_t call_bare(Task& task, const SyscallArgs& /*a*/) { return "
                      "sys_bare(task); }", flat(self.dispatch))

    def test_handlers_typed_only_for_implemented_calls(self):
        header = flat(self.header)
        self.assertIn("// 1 typed (full): every conversion int64_t sys_typed(Task& task, "
                      "int32_t fd, int32_t n, uint32_t mode, uint64_t len, int64_t pos, "
                      "uint64_t fl);", header)
        self.assertIn("// 3 half (partial): does some; missing: the rest int64_t sys_half("
                      "Task& task, int32_t who, uint32_t res, uint32_t fl, uint64_t p);", header)
        self.assertIn("int64_t sys_bare(Task& task);", header)
        self.assertNotIn("sys_first", header + self.dispatch)
        self.assertIn("inline constexpr uint64_t kSyscallCount = 5;", header)

    def test_table_has_every_number(self):
        table = self.dispatch[self.dispatch.index("kSyscalls[kSyscallCount] = {"):]
        rows = re.findall(r"^    \{(.*)\},\s+// (\d+)", table, re.M)
        self.assertEqual(rows, [('"first", nullptr, Support::kNone', "0"),
                                ('"typed", call_typed, Support::kFull', "1"),
                                ("nullptr, nullptr, Support::kNone", "2"),
                                ('"half", call_half, Support::kPartial', "3"),
                                ('"bare", call_bare, Support::kFull', "4")])

    def test_docs(self):
        docs = gen.emit_docs(self.calls)
        self.assertIn("| full | 2 |\n| partial | 1 |\n| none | 1 |\n| all | 4 |\n", docs)
        self.assertIn("numbers not used on x86-64: 2;", flat(docs))
        self.assertIn("| 3 | `half` | partial | does some | the rest |\n", docs)
        self.assertIn("| 0 | `first` | none | read it | |\n", docs)

    def test_stubs_report_their_number(self):
        stubs = flat(gen.emit_test_stubs(self.calls))
        self.assertIn("int64_t sys_half(Task& task, int32_t who, uint32_t res, uint32_t fl, "
                      "uint64_t p) { return record_call(task, 3, who, res, fl, p); }", stubs)
        self.assertNotIn("sys_first", stubs)


class RealTableTest(unittest.TestCase):
    """Every generated piece names every call of linuxcompat/syscalls.tbl, at its number."""

    @classmethod
    def setUpClass(cls):
        cls.calls = ltbl.load(REAL_TABLE)
        cls.implemented = [c for c in cls.calls if c.implemented]

    def test_linux_6_1_numbers(self):
        # x86-64's calls in Linux 6.1: 0..334 and 424..450.
        self.assertEqual([c.number for c in self.calls],
                         list(range(0, 335)) + list(range(424, 451)))

    def test_header_declares_each_implemented_call_at_its_number(self):
        header = gen.emit_header(self.calls)
        blocks = [b for b in header.split("\n\n") if re.match(r"// \d+ \w+ \(", b)]
        found = []
        for block in blocks:
            number, name, support = re.match(r"// (\d+) (\w+) \((\w+)\)", block).groups()
            self.assertIn(f"\nint64_t sys_{name}(Task& task", block)
            found.append((int(number), name, support))
        self.assertEqual(found, [(c.number, c.name, c.support) for c in self.implemented])
        self.assertEqual(len(re.findall(r"^int64_t sys_", header, re.M)), len(self.implemented))
        self.assertIn(f"kSyscallCount = {self.calls[-1].number + 1};", header)

    def test_dispatch_has_every_number_in_order(self):
        dispatch = gen.emit_dispatch(self.calls)
        table = dispatch[dispatch.index("kSyscalls[kSyscallCount] = {"):]
        rows = re.findall(r"^    \{(.*)\},\s+// (\d+)", table, re.M)
        self.assertEqual([int(n) for _, n in rows], list(range(self.calls[-1].number + 1)))
        by_number = {c.number: c for c in self.calls}
        for init, n in rows:
            c = by_number.get(int(n))
            if c is None:
                self.assertEqual(init, "nullptr, nullptr, Support::kNone")
            elif c.implemented:
                self.assertEqual(init, f'"{c.name}", call_{c.name}, '
                                 f"{gen.SUPPORT_ENUM[c.support]}")
                self.assertIn(f"return sys_{c.name}(task", dispatch)
            else:
                self.assertEqual(init, f'"{c.name}", nullptr, Support::kNone')

    def test_docs(self):
        rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (\w+) \|", gen.emit_docs(self.calls), re.M)
        self.assertEqual(rows, [(str(c.number), c.name, c.support) for c in self.calls])


if __name__ == "__main__":
    unittest.main()
