"""The system call table: parser and model (the format is described at the top of
core/abi/syscalls.tbl). Pure: no output, every error names the file and line. The Linux table
(linux_table.py) shares its error, line reading and loading."""

import dataclasses
import re

OBJECTS = ("Space", "Thread", "Endpoint", "Notification", "Memory", "Irq", "IrqControl",
           "IoPorts")
RIGHTS = ("Read", "Write", "Execute", "Send", "Receive", "Grant", "Manage")
# Plain value types: (C++ type on the user side, what the docs call it).
VALUES = {
    "u64": ("uint64_t", "u64"),
    "i64": ("int64_t", "i64"),
    "u32": ("uint32_t", "u32"),
    "u16": ("uint16_t", "u16"),
    "size": ("size_t", "size"),
    "uaddr": ("uint64_t", "user address"),
    "chars": ("const char*", "user text"),
    "rights": ("uint32_t", "rights"),
}
RESULT_TYPES = {"u64": "uint64_t", "u32": "uint32_t", "handle": "abi::Handle",
                "ObjectType": "abi::ObjectType"}
KINDS = ("sys", "ipc", "exit")
MAX_ARGS = 6  # rdi, rsi, rdx, r10, r8, r9
MAX_RESULT_REGISTERS = 2  # rdi, rsi

_LINE = re.compile(r"^(\d+)\s+([a-z][a-z0-9_]*)\s+(\w+)\s*\(([^)]*)\)\s*"
                   r"(?:->\s*\(([^)]*)\)\s*)?\|\s*(.+)$")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
# Results' C++ widths in bits, for packed fields.
_RESULT_BITS = {"u64": 64, "u32": 32, "handle": 32, "ObjectType": 32}


class TableError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Arg:
    name: str
    type: str  # a VALUES key, "cap", or an OBJECTS name (then `rights` lists the rights)
    rights: tuple = ()
    default: str = ""

    @property
    def is_handle(self):
        return self.type == "cap" or self.type in OBJECTS

    @property
    def is_lookup(self):
        return self.type in OBJECTS


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    type: str  # a RESULT_TYPES key
    shift: int = 0
    bits: int = 64


@dataclasses.dataclass(frozen=True)
class Call:
    number: int
    name: str
    kind: str
    args: tuple
    results: tuple  # one tuple of Fields per result register
    summary: str
    line: int

    @property
    def camel(self):
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def fields(self):
        return [f for register in self.results for f in register]


def fail(path, line, message):
    raise TableError(f"{path}:{line}: {message}")


def entries(text):
    """(line number, text) of every line that is neither blank nor a comment."""
    for line, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            yield line, stripped


def _parse_arg(text, path, line):
    m = re.match(r"^([a-z][a-z0-9_]*):([A-Za-z0-9_/+]+)(?:=(\w+))?$", text.strip())
    if not m:
        fail(path, line, f"bad argument '{text.strip()}': want NAME:TYPE[=DEFAULT]")
    name, type_, default = m.group(1), m.group(2), m.group(3) or ""
    if type_ in VALUES or type_ == "cap":
        return Arg(name, type_, (), default)
    obj, _, rights = type_.partition("/")
    if obj not in OBJECTS:
        fail(path, line, f"argument '{name}': unknown type '{obj}'")
    wanted = tuple(r for r in rights.split("+") if r) if rights else ()
    for right in wanted:
        if right not in RIGHTS:
            fail(path, line, f"argument '{name}': unknown right '{right}'")
    return Arg(name, obj, wanted, default)


def _parse_field(text, path, line):
    m = re.match(r"^([a-z][a-z0-9_]*):(\w+)(?:@(\d+):(\d+))?$", text.strip())
    if not m:
        fail(path, line, f"bad result '{text.strip()}': want NAME:TYPE[@SHIFT:BITS]")
    if m.group(2) not in RESULT_TYPES:
        fail(path, line, f"result '{m.group(1)}': unknown type '{m.group(2)}'")
    shift, bits = (int(m.group(3)), int(m.group(4))) if m.group(3) else (0, 64)
    if bits == 0 or shift + bits > 64:
        fail(path, line, f"result '{m.group(1)}': @{shift}:{bits} does not fit 64 bits")
    if m.group(3) and bits > _RESULT_BITS[m.group(2)]:
        fail(path, line, f"result '{m.group(1)}': {bits} bits do not fit its type {m.group(2)}")
    return Field(m.group(1), m.group(2), shift, bits)


def _parse_results(text, path, line):
    if text is None or not text.strip():
        return ()
    registers = tuple(tuple(_parse_field(f, path, line) for f in reg.split("+"))
                      for reg in text.split(","))
    if len(registers) > MAX_RESULT_REGISTERS:
        fail(path, line, f"{len(registers)} result registers; the ABI has {MAX_RESULT_REGISTERS}")
    for reg in registers:
        if len(reg) > 1 and any(f.bits == 64 for f in reg):
            fail(path, line, "a packed register needs @SHIFT:BITS on every field")
        used = 0
        for f in reg:
            mask = ((1 << f.bits) - 1) << f.shift
            if used & mask:
                fail(path, line, f"result '{f.name}' overlaps another field of its register")
            used |= mask
    return registers


def _parse_line(text, path, line):
    m = _LINE.match(text)
    if not m:
        fail(path, line, "want: NUMBER NAME KIND (ARGS) [-> (RESULTS)] | WHAT IT DOES")
    number, name, kind, args_text, results_text, summary = m.groups()
    if kind not in KINDS:
        fail(path, line, f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
    args = tuple(_parse_arg(a, path, line) for a in args_text.split(",") if a.strip())
    if len(args) > MAX_ARGS:
        fail(path, line, f"{len(args)} arguments; the ABI has {MAX_ARGS} registers")
    results = _parse_results(results_text, path, line)
    if kind != "sys" and results:
        fail(path, line, f"a '{kind}' call has no results in registers")
    if kind == "ipc" and (len(args) > 1 or any(a.type != "Endpoint" for a in args)):
        fail(path, line, "an 'ipc' call takes one Endpoint argument or none (the rest of its "
              "registers are the message)")
    if kind == "exit" and any(a.is_handle for a in args):
        fail(path, line, "an 'exit' call takes no handle (a failed lookup would return)")
    if "|" in summary:
        fail(path, line, "'|' in the description (it would break the docs table)")
    defaults = [a.default != "" for a in args]
    if any(d and not later for d, later in zip(defaults, defaults[1:])):
        fail(path, line, "only trailing arguments may have a default")
    names = [a.name for a in args] + [f.name for reg in results for f in reg]
    if len(set(names)) != len(names):
        fail(path, line, "an argument or result name is used twice")
    return Call(int(number), name, kind, args, results, summary.strip(), line)


def parse(text, path="<table>"):
    """The calls of a table, in number order; numbers must run 0, 1, 2, ... without gaps."""
    calls = []
    for line, stripped in entries(text):
        call = _parse_line(stripped, path, line)
        if call.number != len(calls):
            fail(path, line, f"number {call.number}: expected {len(calls)} (numbers run 0, 1, "
                  "2, ... in order)")
        if any(c.name == call.name for c in calls):
            fail(path, line, f"'{call.name}' is defined twice")
        calls.append(call)
    if not calls:
        raise TableError(f"{path}: no system calls")
    return calls


def load(path, parser=parse):
    """The table in the file at `path`, read by `parser` (parse, or linux_table.parse)."""
    with open(path, encoding="utf-8") as f:
        return parser(f.read(), path)


def generate(argv, load, emitters, usage, program):
    """A generator's command line: TABLE PIECE OUT. Loads TABLE with `load`, writes
    emitters[PIECE](calls) to OUT; 2 for a bad command line, 1 for a bad table."""
    import sys
    if len(argv) != 4 or argv[2] not in emitters:
        sys.stderr.write(usage)
        return 2
    try:
        calls = load(argv[1])
    except (TableError, OSError) as e:
        sys.stderr.write(f"{program}: {e}\n")
        return 1
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(emitters[argv[2]](calls))
    return 0
