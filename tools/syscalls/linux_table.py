"""The Linux system call table: parser and model (the format is described at the top of
linuxcompat/syscalls.tbl). Pure: no output, every error names the file and line. Errors, line
reading and loading are the native table's (table.py)."""

import dataclasses
import re

import table as tbl

# Argument types: the handler's C++ type and how many low bits of the register Linux keeps
# (the kernel's SYSCALL_DEFINE casts each register to the prototype's type).
TYPES = {
    "fd": ("int32_t", 32),
    "int": ("int32_t", 32),
    "pid": ("int32_t", 32),
    "uint": ("uint32_t", 32),
    "flags": ("uint32_t", 32),
    "mode": ("uint32_t", 16),
    "long": ("int64_t", 64),
    "off": ("int64_t", 64),
    "flags64": ("uint64_t", 64),
    "ulong": ("uint64_t", 64),
    "size": ("uint64_t", 64),
    "uptr": ("uint64_t", 64),
    "ustr": ("uint64_t", 64),
}
SUPPORT = ("full", "partial", "none")
MAX_ARGS = 6  # rdi, rsi, rdx, r10, r8, r9
MAX_NUMBER = 1023  # the dispatch table has an entry for every number up to the highest
MISSING = "; missing:"
# Names a generated handler cannot give a parameter: its own and C++'s.
RESERVED = frozenset("""
    task a alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast
    continue co_await co_return co_yield decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable
    namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast requires return short signed sizeof static static_assert
    static_cast struct switch template this thread_local throw true try typedef typeid
    typename union unsigned using virtual void volatile wchar_t while xor xor_eq
    """.split())

_LINE = re.compile(r"^(\d+)\s+(_?[a-z][a-z0-9_]*)\s+(\w+)\s*\(([^)]*)\)\s*\|\s*(.*)$")
_ARG = re.compile(r"^([a-z][a-z0-9_]*):(\w+)$")


@dataclasses.dataclass(frozen=True)
class Arg:
    name: str
    type: str  # a TYPES key

    @property
    def ctype(self):
        return TYPES[self.type][0]

    @property
    def bits(self):
        return TYPES[self.type][1]


@dataclasses.dataclass(frozen=True)
class Call:
    number: int
    name: str
    support: str  # a SUPPORT word
    args: tuple
    summary: str
    missing: str  # what a partial call does not do; "" for the others
    line: int

    @property
    def implemented(self):
        return self.support != "none"


def _parse_arg(text, path, line):
    m = _ARG.match(text.strip())
    if not m:
        tbl.fail(path, line, f"bad argument '{text.strip()}': want NAME:TYPE")
    name, type_ = m.groups()
    if type_ not in TYPES:
        tbl.fail(path, line, f"argument '{name}': unknown type '{type_}' (one of "
                 f"{', '.join(TYPES)})")
    if name in RESERVED:
        tbl.fail(path, line, f"argument '{name}': a reserved name in the generated C++")
    return Arg(name, type_)


def _parse_line(text, path, line):
    m = _LINE.match(text)
    if not m:
        tbl.fail(path, line, "want: NUMBER NAME SUPPORT (ARGS) | WHAT IT DOES[; missing: ...]")
    number, name, support, args_text, description = m.groups()
    if support not in SUPPORT:
        tbl.fail(path, line, f"unknown support '{support}' (one of {', '.join(SUPPORT)})")
    if int(number) > MAX_NUMBER:
        tbl.fail(path, line, f"number {number} is above {MAX_NUMBER}")
    args = tuple(_parse_arg(a, path, line) for a in args_text.split(",") if a.strip())
    if len(args) > MAX_ARGS:
        tbl.fail(path, line, f"{len(args)} arguments; the ABI has {MAX_ARGS} registers")
    names = [a.name for a in args]
    if len(set(names)) != len(names):
        tbl.fail(path, line, "an argument name is used twice")
    if "|" in description:
        tbl.fail(path, line, "'|' in the description (it would break the docs table)")
    summary, marker, missing = description.partition(MISSING)
    summary, missing = summary.strip(), missing.strip()
    if not summary:
        tbl.fail(path, line, "no description")
    if support == "partial" and not missing:
        tbl.fail(path, line, f"a partial call says what it does not do: '{MISSING} ...'")
    if support != "partial" and marker:
        tbl.fail(path, line, f"only a partial call has a '{MISSING}' part (this one is "
                 f"{support})")
    return Call(int(number), name, support, args, summary, missing, line)


def parse(text, path="<table>"):
    """The calls of a table, in number order; numbers increase, gaps allowed."""
    calls = []
    lines = {}  # number or name -> the line that defines it
    for line, stripped in tbl.entries(text):
        call = _parse_line(stripped, path, line)
        if call.number in lines:
            tbl.fail(path, line, f"number {call.number} is defined twice (first on line "
                     f"{lines[call.number]})")
        if call.name in lines:
            tbl.fail(path, line, f"'{call.name}' is defined twice (first on line "
                     f"{lines[call.name]})")
        if calls and call.number < calls[-1].number:
            tbl.fail(path, line, f"number {call.number} after {calls[-1].number}: numbers "
                     "increase down the table")
        lines[call.number] = lines[call.name] = line
        calls.append(call)
    if not calls:
        raise tbl.TableError(f"{path}: no system calls")
    return calls


def load(path):
    return tbl.load(path, parse)


def count(calls):
    """The dispatch table's size: one more than the highest number."""
    return calls[-1].number + 1
