"""The system call table's parser and generators: every piece names every call of the real
table at its number, and a bad table is refused with its line."""

import os
import re
import unittest

import gen
import table as tbl

REAL_TABLE = os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""),
                          "core/abi/syscalls.tbl")

SMALL = """\
# a comment
0 call   ipc  (endpoint:Endpoint/Send) | send and wait
1 map    sys  (space:Space/Manage, memory:Memory, vaddr:uaddr, rights:rights) | map it
2 info   sys  (handle:cap) -> (type:ObjectType@0:8 + rights:u32@8:24, badge:u64) | what it is
3 make   sys  (pages:u64) -> (memory:handle) | make one
4 leave  exit (code:i64) | go
"""


class ParserTest(unittest.TestCase):
    def test_small_table(self):
        calls = tbl.parse(SMALL)
        self.assertEqual([c.name for c in calls], ["call", "map", "info", "make", "leave"])
        self.assertEqual(calls[1].args[0], tbl.Arg("space", "Space", ("Manage",)))
        self.assertEqual(calls[1].args[1], tbl.Arg("memory", "Memory", ()))
        self.assertEqual(calls[2].results[0][1], tbl.Field("rights", "u32", 8, 24))

    def assert_refused(self, text, message, line):
        with self.assertRaises(tbl.TableError) as e:
            tbl.parse(text, "t.tbl")
        self.assertIn(f"t.tbl:{line}: ", str(e.exception))
        self.assertIn(message, str(e.exception))

    def test_bad_tables(self):
        self.assert_refused("0 a sys () | x\n2 b sys () | y\n", "number 2: expected 1", 2)
        self.assert_refused("0 a sys () | x\n0 b sys () | y\n", "number 0: expected 1", 2)
        self.assert_refused("0 a sys () | x\n1 a sys () | y\n", "'a' is defined twice", 2)
        self.assert_refused("0 a sys (x:Spcae) | x\n", "unknown type 'Spcae'", 1)
        self.assert_refused("0 a sys (x:Space/Mange) | x\n", "unknown right 'Mange'", 1)
        self.assert_refused("0 a sys (a:u64,b:u64,c:u64,d:u64,e:u64,f:u64,g:u64) | x\n",
                            "7 arguments", 1)
        self.assert_refused("0 a ipc () -> (x:u64) | x\n", "no results in registers", 1)
        self.assert_refused("0 a sys () -> (x:u64, y:u64, z:u64) | x\n", "3 result registers", 1)
        self.assert_refused("0 a sys () -> (x:u64 + y:u64@8:8) | x\n", "@SHIFT:BITS", 1)
        self.assert_refused("0 a sys () -> (x:u64@60:8) | x\n", "does not fit", 1)
        self.assert_refused("0 a sys (x:u64) -> (x:u64) | x\n", "used twice", 1)
        self.assert_refused("0 a call () | x\n", "unknown kind 'call'", 1)
        self.assert_refused("0 a sys ()\n", "want: NUMBER NAME KIND", 1)
        with self.assertRaises(tbl.TableError):
            tbl.parse("# nothing\n")


class GeneratorTest(unittest.TestCase):
    def test_decoder_looks_up_in_order_then_checks_rights(self):
        text = gen.emit_kernel_dispatch(tbl.parse(SMALL))
        body = text[text.index("Status dispatch_map"):text.index("Status dispatch_info")]
        space = body.index("caps.lookup(r[0], abi::ObjectType::kSpace, abi::kRightManage)")
        memory = body.index("caps.lookup(r[1], abi::ObjectType::kMemory)")
        rights = body.index("if (r[3] > abi::kRightsAll) return Status::kInvalidArgument;")
        handler = body.index("sys_map(self, SysMap{*space, *memory, r[2], "
                             "static_cast<uint32_t>(r[3])})")
        self.assertLess(space, memory)
        self.assertLess(memory, rights)
        self.assertLess(rights, handler)

    def test_results_are_packed_and_unpacked_alike(self):
        kernel = gen.emit_kernel_dispatch(tbl.parse(SMALL))
        self.assertIn("r[0] = (static_cast<uint64_t>(out.type) & 0xffu) | "
                      "(static_cast<uint64_t>(out.rights) & 0xffffffu) << 8;", kernel)
        self.assertIn("r[1] = static_cast<uint64_t>(out.badge);", kernel)
        user = gen.emit_user(tbl.parse(SMALL))
        self.assertIn("return Info{static_cast<abi::ObjectType>((r.value0 & 0xffu)), "
                      "static_cast<uint32_t>(((r.value0 >> 8) & 0xffffffu)), "
                      "static_cast<uint64_t>(r.value1)};", user)

    def test_exit_and_ipc_shapes(self):
        calls = tbl.parse(SMALL)
        user = gen.emit_user(calls)
        self.assertIn("[[noreturn]] inline void leave(int64_t code) {", user)
        self.assertIn("inline Status call(abi::Handle endpoint, abi::IpcRegisters& regs) {", user)
        header = gen.emit_kernel_header(calls)
        self.assertIn("void sys_leave(Thread* self, const SysLeave& a);", header)
        self.assertIn("Status sys_call(Thread* self, IpcArgs m);", header)
        self.assertIn("Status sys_make(Thread* self, const SysMake& a, SysMakeOut& out);", header)


class RealTableTest(unittest.TestCase):
    """Every generated piece names every call of core/abi/syscalls.tbl, at its number."""

    @classmethod
    def setUpClass(cls):
        cls.calls = tbl.load(REAL_TABLE)

    def test_numbers(self):
        text = gen.emit_numbers(self.calls)
        found = re.findall(r"^  k(\w+) = (\d+),", text, re.M)
        self.assertEqual(found, [(c.camel, str(c.number)) for c in self.calls])
        self.assertIn(f"kSyscallCount = {len(self.calls)};", text)

    def test_list(self):
        found = re.findall(r'\{Syscall::k(\w+), "(\w+)"', gen.emit_list(self.calls))
        self.assertEqual(found, [(c.camel, c.name) for c in self.calls])

    def test_kernel(self):
        header = gen.emit_kernel_header(self.calls)
        declared = re.findall(r"^(?:Status|void) sys_(\w+)\(Thread\* self", header, re.M)
        self.assertEqual(declared, [c.name for c in self.calls])
        dispatch = gen.emit_kernel_dispatch(self.calls)
        table = dispatch[dispatch.index("kSyscallTable[abi::kSyscallCount] = {"):]
        self.assertEqual(re.findall(r"^    dispatch_(\w+),", table, re.M),
                         [c.name for c in self.calls])

    def test_user(self):
        user = gen.emit_user(self.calls)
        wrapped = re.findall(r"^(?:\[\[noreturn\]\] )?inline [\w<>:]+ (\w+)\(", user, re.M)
        self.assertEqual(wrapped, [c.name for c in self.calls])
        for c in self.calls:
            self.assertIn(f"abi::Syscall::k{c.camel}", user)

    def test_docs(self):
        rows = re.findall(r"^\| (\d+) \| `(\w+)`", gen.emit_docs(self.calls), re.M)
        self.assertEqual(rows, [(str(c.number), c.name) for c in self.calls])


if __name__ == "__main__":
    unittest.main()
