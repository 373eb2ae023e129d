#!/usr/bin/env python3
"""Checks that the core kernel stays in the subset of C++ a specification and a proof can handle
(proofs/README.md, "The checkable subset").

Rules, over the given sources (core/'s *.cc and *.h, without the *_test.cc host tests):

  recursion   no cycle in the call graph. The graph comes from LLVM IR: every *.cc compiled with
              the kernel's flags (KERNEL_FLAGS, checked against the toolchain) and
              -Xclang -disable-llvm-passes, so that nothing is inlined, no call is turned into a
              loop and every inline function the file uses is there; each direct `call`/`invoke`
              of a function defined in one of the files is an edge. A strongly connected component
              of more than one function, or a function calling itself, is a violation (printed as
              the cycle, with demangled names). Calls through pointers (function pointers,
              virtual calls) have no edge: they are counted and listed, a known limit.
  loop        every `for`, `while` and `do` is either a counted `for` (see counted_for) or carries
              a comment `bound: <reason>` on its line or in the comment lines just above it.
  allocation  no `new` without a placement argument, no `delete` expression, no std:: container
              or smart pointer, no #include of anything but the compiler's freestanding headers;
              in the IR, no call of malloc & co. or of the non-placement operators new and
              delete, and no alloca of a run-time size (a variable-length array). Placement new
              (`new (where) T`) constructs in storage someone else owns (a slab block, a static
              buffer, a member) and is allowed.
  float       no `float` or `double` and no floating literal in the code; no floating type
              anywhere in the IR; and the toolchain compiles the kernel with -mgeneral-regs-only
              (the compiler then cannot use SSE/x87 registers on its own either).

Exceptions (exceptions.toml): [[exception]] entries with `rule`, the place (`file` and `match`, a
piece of the violating line's text; for recursion `cycle`, the demangled names of the
component's functions) and a non-empty `reason`. An exception that matches nothing is an error
too, so the list cannot go stale.

    check_subset.py [--exceptions FILE] [--toolchain FILE] [--expect RULE=N ...] SOURCE...

Paths are relative to the current directory (the workspace root, or Bazel's runfiles root, where
the generated headers sit beside the sources). Exit status 0 only when there is no violation left
after the exceptions and no stale exception; with --expect, only when the violations per rule are
exactly the counts given, `stale` counting stale exceptions (the checker's own test, on
proofs/subset/fixtures/).
"""

import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

RULES = ("recursion", "loop", "allocation", "float")

# The kernel's compile flags (platform/toolchains/cc_toolchain_config.bzl: _FREESTANDING_COMMON,
# the "kernel" mode and _FREESTANDING_CXX), without -O2/-g/-Werror; check_toolchain() requires
# each of them to be there still.
KERNEL_FLAGS = [
    "--target=x86_64-unknown-none-elf",
    "-ffreestanding",
    "-nostdinc",
    "-fno-pic",
    "-fno-pie",
    "-fno-stack-protector",
    "-fno-omit-frame-pointer",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-mcmodel=kernel",
    "-mno-red-zone",
    "-mgeneral-regs-only",
    "-std=c++20",
    "-fno-exceptions",
    "-fno-rtti",
]
IR_FLAGS = ["-O0", "-Xclang", "-disable-llvm-passes", "-gline-tables-only", "-S", "-emit-llvm"]
CLANG = "clang++"
CXXFILT = "llvm-cxxfilt"

# What the compiler itself provides to freestanding code (clang's resource directory).
FREESTANDING_HEADERS = {"stddef.h", "stdint.h", "stdarg.h", "stdbool.h", "limits.h", "stdalign.h",
                        "stdnoreturn.h", "stdatomic.h", "iso646.h", "cpuid.h"}
ALLOC_FUNCTIONS = {"malloc", "calloc", "realloc", "reallocarray", "free", "aligned_alloc",
                   "posix_memalign", "memalign", "valloc", "pvalloc", "strdup", "strndup",
                   "alloca", "__builtin_alloca"}
# Itanium names of the operators new/delete taking a pointer to place into: not allocation.
PLACEMENT_OPERATORS = {"_ZnwmPv", "_ZnamPv", "_ZdlPvS_", "_ZdaPvS_"}
STD_ALLOCATING = {"vector", "deque", "list", "forward_list", "map", "multimap", "set", "multiset",
                  "unordered_map", "unordered_multimap", "unordered_set", "unordered_multiset",
                  "string", "basic_string", "wstring", "u8string", "u16string", "u32string",
                  "shared_ptr", "unique_ptr", "weak_ptr", "make_shared", "make_unique",
                  "allocate_shared", "function", "any", "allocator", "stringstream",
                  "ostringstream", "istringstream", "priority_queue", "queue", "stack"}
FP_KEYWORDS = {"float", "double", "_Float16", "__fp16", "__float128", "_Complex"}
IR_FP_TYPE = re.compile(r"(?<![\w.@%$\"])(half|bfloat|float|double|x86_fp80|fp128|ppc_fp128)"
                        r"(?![\w\"])")
IR_FP_OP = re.compile(r"\b(fadd|fsub|fmul|fdiv|frem|fneg|fcmp|fptosi|fptoui|sitofp|uitofp|fpext|"
                      r"fptrunc)\b")


class Violation:
    def __init__(self, rule, file, line, text, detail, key=None):
        self.rule = rule
        self.file = file
        self.line = line
        self.text = text  # the source line (or the cycle), for exceptions to match
        self.detail = detail
        self.key = key  # recursion: the frozenset of demangled names

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"[{self.rule}] {where}: {self.detail}"


# ---- lexing -------------------------------------------------------------------------------

Token = collections.namedtuple("Token", "kind text line")  # kind: id num punct str pp

PUNCT3 = {"<<=", ">>=", "...", "->*", "<=>"}
PUNCT2 = {"::", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=",
          "*=", "/=", "%=", "&=", "|=", "^=", ".*", "##"}
RAW_PREFIX = re.compile(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(')
STR_PREFIX = re.compile(r'(?:u8|u|U|L)?(["\'])')


class Lexed:
    """Tokens without comments, plus the comments by line and which lines hold only comments."""

    def __init__(self, path, text):
        self.path = path
        self.lines = text.split("\n")
        self.tokens = []
        self.comments = collections.defaultdict(list)  # line -> [comment text]
        self.code_lines = set()  # lines holding a token
        self._lex(text)

    def _lex(self, s):
        i, line, n = 0, 1, len(s)
        at_line_start = True
        while i < n:
            c = s[i]
            if c == "\n":
                line += 1
                i += 1
                at_line_start = True
                continue
            if c in " \t\r\f\v":
                i += 1
                continue
            if c == "\\" and i + 1 < n and s[i + 1] == "\n":
                i += 2
                line += 1
                continue
            if s.startswith("//", i):
                j = s.find("\n", i)
                j = n if j < 0 else j
                self.comments[line].append(s[i + 2:j])
                i = j
                continue
            if s.startswith("/*", i):
                j = s.find("*/", i + 2)
                j = n if j < 0 else j + 2
                body = s[i + 2:j - 2]
                for k, part in enumerate(body.split("\n")):
                    self.comments[line + k].append(part)
                line += body.count("\n")
                i = j
                continue
            if c == "#" and at_line_start:
                # A directive: to the end of the line, continuations included. A #define's body is
                # lexed as code (a macro's loop is still a loop); an #include is kept whole.
                j = i
                while True:
                    k = s.find("\n", j)
                    k = n if k < 0 else k
                    if k > 0 and s[k - 1] == "\\":
                        j = k + 1
                        continue
                    break
                directive = s[i:k]
                self.tokens.append(Token("pp", directive, line))
                self.code_lines.add(line)
                m = re.match(r"#\s*define\s+\w+(\([^)]*\))?", directive)
                if m:
                    body = Lexed(self.path, "\n" * (line - 1) + directive[m.end():])
                    self.tokens.extend(body.tokens)
                    for ln, texts in body.comments.items():
                        self.comments[ln].extend(texts)
                line += directive.count("\n")
                i = k
                continue
            at_line_start = False
            self.code_lines.add(line)
            m = RAW_PREFIX.match(s, i)
            if m:
                end = s.find(")" + m.group(1) + '"', m.end())
                end = n if end < 0 else end + len(m.group(1)) + 2
                self.tokens.append(Token("str", s[i:end], line))
                line += s.count("\n", i, end)
                i = end
                continue
            m = STR_PREFIX.match(s, i)
            if m and (c in "\"'" or not (c.isalnum() and i > 0 and
                                         (s[i - 1].isalnum() or s[i - 1] == "_"))):
                q = m.group(1)
                j = m.end()
                while j < n and s[j] != q:
                    j += 2 if s[j] == "\\" else 1
                self.tokens.append(Token("str", s[i:j + 1], line))
                i = j + 1
                continue
            if c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] in "._'" or
                                 (s[j] in "+-" and s[j - 1] in "eEpP" and
                                  not s[i:j].lower().startswith("0x") or
                                  s[j] in "+-" and s[j - 1] in "pP")):
                    j += 1
                self.tokens.append(Token("num", s[i:j], line))
                i = j
                continue
            if c.isalpha() or c == "_":
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                self.tokens.append(Token("id", s[i:j], line))
                i = j
                continue
            for width, table in ((3, PUNCT3), (2, PUNCT2)):
                if s[i:i + width] in table:
                    self.tokens.append(Token("punct", s[i:i + width], line))
                    i += width
                    break
            else:
                self.tokens.append(Token("punct", c, line))
                i += 1

    def line_text(self, line):
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""


def match_close(tokens, i):
    """Index of the bracket closing tokens[i] (one of ( [ {)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text if tokens[j].kind == "punct" else None
        if t in pairs:
            depth += 1
        elif t in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def statement_end(tokens, i):
    """Index of the last token of the statement starting at tokens[i]."""
    if i >= len(tokens):
        return len(tokens) - 1
    if tokens[i].kind == "punct" and tokens[i].text == "{":
        return match_close(tokens, i)
    if tokens[i].kind == "id" and tokens[i].text in ("for", "while", "if", "switch"):
        close = match_close(tokens, i + 1)
        end = statement_end(tokens, close + 1)
        if tokens[i].text == "if" and end + 1 < len(tokens) and tokens[end + 1].text == "else":
            end = statement_end(tokens, end + 2)
        return end
    if tokens[i].kind == "id" and tokens[i].text == "do":
        end = statement_end(tokens, i + 1)  # the body; then `while (...) ;`
        close = match_close(tokens, end + 2)
        return close + 1
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text if tokens[j].kind == "punct" else None
        if t in ("(", "[", "{"):
            depth += 1
        elif t in (")", "]", "}"):
            depth -= 1
        elif t == ";" and depth == 0:
            return j
    return len(tokens) - 1


# ---- loops ----------------------------------------------------------------------------------

def split_top(tokens, sep):
    """The tokens split at `sep` (one punctuation token, e.g. ";" or "&&") outside brackets."""
    parts, depth, cur = [], 0, []
    for t in tokens:
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "punct" and t.text == sep:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    return parts


ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="}
BOUND_ALLOWED_CALLS = {"sizeof", "alignof", "static_cast", "size", "count", "array_size"}


def modified_in(name, body):
    for k, t in enumerate(body):
        if t.kind != "id" or t.text != name:
            continue
        prev = body[k - 1] if k > 0 else None
        nxt = body[k + 1] if k + 1 < len(body) else None
        if prev is not None and prev.kind == "punct" and prev.text in (".", "->", "::"):
            continue  # another object's member of that name
        if nxt is not None and nxt.kind == "punct" and (nxt.text in ASSIGN_OPS or
                                                        nxt.text in ("++", "--")):
            return True
        if prev is not None and prev.kind == "punct" and prev.text in ("++", "--", "&"):
            if prev.text != "&" or k < 2 or body[k - 2].kind == "punct":
                return True  # ++v, --v or &v (address taken: may change through a pointer)
    return False


def bound_ok(bound):
    """A bound is an expression of names, members, literals, arithmetic, sizeof, casts and
    argument-less member calls (getters): no assignment, no call with arguments."""
    if not bound:
        return False
    for k, t in enumerate(bound):
        if t.kind == "punct" and t.text in {"&&", "||", "?", ",", "++", "--"} | ASSIGN_OPS:
            return False
        if t.kind == "punct" and t.text == "(" and k > 0 and bound[k - 1].kind == "id" and \
                bound[k - 1].text not in BOUND_ALLOWED_CALLS:
            getter = k + 1 < len(bound) and bound[k + 1].text == ")" and k > 1 and \
                bound[k - 2].text in (".", "->")
            if not getter:
                return False
    return True


def counted_for(header, body):
    """Whether `for (header) body` counts a variable to a bound fixed in its header: the
    condition, or one of its &&-joined parts, compares a variable v with a bound (bound_ok); the
    step (its first comma-separated part) moves v towards the bound by a constant and the other
    parts leave v alone; the init, if any, only initialises v; the body changes neither v nor the
    bound's names. Other parts of the condition can only end the loop sooner."""
    parts = split_top(header, ";")
    if len(parts) != 3:
        return False
    init, cond, step = parts
    if not cond or not step:
        return False
    ops = {"<": "up", "<=": "up", ">": "down", ">=": "down", "!=": "unit"}
    steps = split_top(step, ",")
    texts = [t.text for t in steps[0]]
    if len(texts) == 2 and "++" in texts:
        var, moves, unit = [x for x in texts if x != "++"][0], "up", True
    elif len(texts) == 2 and "--" in texts:
        var, moves, unit = [x for x in texts if x != "--"][0], "down", True
    elif len(texts) == 3 and texts[1] in ("+=", "-=") and steps[0][2].kind in ("num", "id"):
        var, moves, unit = texts[0], "up" if texts[1] == "+=" else "down", False
    else:
        return False
    if steps[0][0].kind != "id" and steps[0][-1].kind != "id":
        return False
    if any(modified_in(var, other) for other in steps[1:]):
        return False
    if init:
        eq = [k for k, t in enumerate(init) if t.kind == "punct" and t.text in ("=", "{")]
        if not eq or eq[0] == 0 or init[eq[0] - 1].text != var or len(split_top(init, ",")) != 1:
            return False
    bound = None
    for conj in split_top(cond, "&&"):
        if len(conj) >= 3 and conj[0].kind == "id" and conj[0].text == var and \
                conj[1].kind == "punct" and conj[1].text in ops:
            direction = ops[conj[1].text]
            if direction == moves or (direction == "unit" and unit):
                if bound_ok(conj[2:]):
                    bound = conj[2:]
                    break
    if bound is None:
        return False
    if modified_in(var, body):
        return False
    for k, t in enumerate(bound):
        if t.kind == "id" and not (k > 0 and bound[k - 1].text in (".", "->", "::")) and \
                modified_in(t.text, body):
            return False
    return True


def bound_comment(lexed, line):
    """The reason of a `bound:` comment on the line or in the comment-only lines just above it."""
    candidates = [line]
    above = line - 1
    while above > 0 and above in lexed.comments and above not in lexed.code_lines:
        candidates.append(above)
        above -= 1
    for ln in candidates:
        for text in lexed.comments.get(ln, []):
            m = re.search(r"\bbound:(.*)", text)
            if m:
                return m.group(1).strip() or None
    return None


def check_loops(lexed):
    out = []
    tokens = lexed.tokens
    trailers = set()  # indices of the `while` ending a do loop
    for i, t in enumerate(tokens):
        if t.kind != "id" or t.text not in ("for", "while", "do") or i in trailers:
            continue
        if t.text == "do":
            body_end = statement_end(tokens, i + 1)
            if body_end + 1 < len(tokens) and tokens[body_end + 1].text == "while":
                trailers.add(body_end + 1)
            counted = False
        else:
            if i + 1 >= len(tokens) or tokens[i + 1].text != "(":
                continue
            close = match_close(tokens, i + 1)
            header = tokens[i + 2:close]
            body = tokens[close + 1:statement_end(tokens, close + 1) + 1]
            counted = t.text == "for" and counted_for(header, body)
        if counted:
            continue
        reason = bound_comment(lexed, t.line)
        if reason:
            continue
        kind = "range-for" if t.text == "for" and any(
            x.text == ":" for x in split_top(tokens[i + 2:match_close(tokens, i + 1)], ";")[0]) \
            else t.text
        out.append(Violation("loop", lexed.path, t.line, lexed.line_text(t.line),
                             f"`{kind}` loop without a counted header or a `bound:` comment"))
    return out


# ---- allocation and floating point in the source --------------------------------------------

def check_tokens(lexed):
    out = []
    tokens = lexed.tokens

    def add(rule, t, detail):
        out.append(Violation(rule, lexed.path, t.line, lexed.line_text(t.line), detail))

    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i > 0 else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.kind == "pp":
            m = re.match(r"#\s*include\s*<([^>]+)>", t.text)
            if m and m.group(1) not in FREESTANDING_HEADERS:
                add("allocation", t, f"#include <{m.group(1)}>: only the compiler's freestanding "
                    "headers (no library, no allocator behind it)")
            continue
        if t.kind == "id" and t.text == "new":
            if prev is not None and prev.text == "operator":
                continue  # declaring or naming an operator new: placement ones are checked in IR
            if nxt is not None and nxt.text == "(":
                continue  # placement new: constructs in storage given to it
            add("allocation", t, "`new` without a placement argument allocates")
        elif t.kind == "id" and t.text == "delete":
            if prev is not None and (prev.text == "operator" or prev.text == "="):
                continue  # `= delete` or naming an operator delete
            add("allocation", t, "`delete` expression")
        elif t.kind == "id" and t.text == "std" and nxt is not None and nxt.text == "::":
            name = tokens[i + 2].text if i + 2 < len(tokens) else ""
            if name in STD_ALLOCATING:
                add("allocation", t, f"std::{name} allocates")
        elif t.kind == "id" and t.text in ("alloca", "__builtin_alloca"):
            add("allocation", t, f"{t.text}: a stack allocation of a run-time size")
        elif t.kind == "id" and t.text in FP_KEYWORDS:
            add("float", t, f"floating-point type `{t.text}`")
        elif t.kind == "num":
            lit = t.text.lower().replace("'", "")
            is_hex = lit.startswith("0x")
            if (not is_hex and ("." in lit or re.search(r"\de[+-]?\d", lit))) or \
                    (is_hex and "p" in lit):
                add("float", t, f"floating-point literal `{t.text}`")
    return out


# ---- IR: call graph, allocation calls, floating point ---------------------------------------

DEFINE_RE = re.compile(r'^define\b.*?@("(?:[^"\\]|\\.)*"|[\w.$-]+)\(')
DECLARE_RE = re.compile(r'^declare\b.*?@("(?:[^"\\]|\\.)*"|[\w.$-]+)\(')
CALL_RE = re.compile(r"\b(?:call|invoke)\b")
CALLEE_RE = re.compile(r'([@%](?:"(?:[^"\\]|\\.)*"|[\w.$-]+))\(')
BITCAST_CALLEE_RE = re.compile(r'\bbitcast \([^@]*?(@(?:"[^"]*"|[\w.$-]+)) to')
ASM_RE = re.compile(r"\b(?:call|invoke)\b[^(]*?\basm\b")
FUNC_REF_RE = re.compile(r'@("(?:[^"\\]|\\.)*"|[\w.$-]+)')
DBG_RE = re.compile(r"!dbg !(\d+)")
# String constants and attribute strings, not quoted names (@"...", %"..."), which clang uses for
# names with `$` in them (lambdas).
STRING_RE = re.compile(r'c"[^"]*"|(?<![@%\w])"(?:[^"\\]|\\.)*"')
ALIAS_RE = re.compile(r'^@("(?:[^"\\]|\\.)*"|[\w.$-]+) = .*?\balias\b'
                      r'[^@]*@("(?:[^"\\]|\\.)*"|[\w.$-]+)')
DYN_ALLOCA_RE = re.compile(r"=\s*alloca\b[^,]*,\s*i\d+\s+%")


class Module:
    def __init__(self, path, text, graph_only=False):
        self.path = path
        self.graph_only = graph_only  # only for the call graph (platform/), no other rule
        self.aliases = {}  # name -> aliased name (the C1 constructor for the C2 one, ...)
        self.defined = {}  # name -> define-line !dbg id
        self.calls = []  # (caller, callee or None, dbg id, line text)
        self.refs = collections.defaultdict(set)  # function -> names referenced, not called
        self.global_refs = set()  # names referenced from globals (tables, vtables)
        self.fp_lines = []  # (function or None, line text)
        self.dyn_allocas = []  # (function, dbg id)
        self.metadata = {}
        current = None
        for raw in text.split("\n"):
            if raw.startswith("!"):
                m = re.match(r"!(\d+) = (.*)", raw)
                if m:
                    self.metadata[m.group(1)] = m.group(2)
                continue
            if raw.startswith(("attributes #", "source_filename", "target ", ";", "declare ")):
                continue
            m = ALIAS_RE.match(raw)
            if m:
                self.aliases[m.group(1)] = m.group(2)
                continue
            m = DEFINE_RE.match(raw)
            if m:
                current = m.group(1)
                dbg = DBG_RE.search(raw)
                self.defined[current] = dbg.group(1) if dbg else None
                continue
            if current is not None and raw == "}":
                current = None
                continue
            code = STRING_RE.sub('""', raw.split(", !dbg")[0] if "!dbg" in raw else raw)
            if IR_FP_TYPE.search(code) or IR_FP_OP.search(code):
                self.fp_lines.append((current, raw.strip()))
            if current is None:
                for name in FUNC_REF_RE.findall(code):
                    self.global_refs.add(name)
                continue
            dbg = DBG_RE.search(raw)
            dbg = dbg.group(1) if dbg else None
            if DYN_ALLOCA_RE.search(code):
                self.dyn_allocas.append((current, dbg))
            callee_name = None
            if CALL_RE.search(code) and not ASM_RE.search(code):
                after = code[CALL_RE.search(code).end():]
                m = BITCAST_CALLEE_RE.search(after)
                c = CALLEE_RE.search(after)
                if m and (c is None or m.start() < c.start()):
                    callee_name = m.group(1)
                elif c:
                    callee_name = c.group(1)
                if callee_name is not None:
                    if callee_name.startswith("%"):
                        self.calls.append((current, None, dbg, raw.strip()))
                        callee_name = None
                    else:
                        callee_name = callee_name[1:]
                        if not callee_name.startswith("llvm."):
                            self.calls.append((current, callee_name, dbg, raw.strip()))
            for name in FUNC_REF_RE.findall(code):
                if name != callee_name and not name.startswith("llvm."):
                    self.refs[current].add(name)

    def location(self, dbg):
        """file:line of a !DILocation id, or None."""
        loc = self.metadata.get(dbg or "")
        if not loc:
            return None
        line = re.search(r"\bline: (\d+)", loc)
        scope = re.search(r"\bscope: !(\d+)", loc)
        file_name = None
        seen = 0
        while scope and seen < 64:  # bound: a scope chain is at most as deep as nested blocks
            seen += 1
            text = self.metadata.get(scope.group(1), "")
            f = re.search(r"\bfile: !(\d+)", text)
            if f:
                fm = re.search(r'filename: "([^"]*)"', self.metadata.get(f.group(1), ""))
                if fm:
                    file_name = fm.group(1)
                    break
            scope = re.search(r"\bscope: !(\d+)", text)
        return f"{file_name or self.path}:{line.group(1) if line else '?'}"


def compile_ir(source, include_dir, out_dir, iquote, graph_only=False):
    out = os.path.join(out_dir, source.replace("/", "__") + ".ll")
    quote = [arg for d in ["."] + iquote for arg in ("-iquote", d)]
    cmd = [CLANG] + KERNEL_FLAGS + ["-isystem", resource_include()] + quote + \
        ["-I", include_dir] + IR_FLAGS + ["-o", out, source]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {source} to LLVM IR failed:\n{' '.join(cmd)}\n"
                           f"{proc.stderr}")
    with open(out, encoding="utf-8", errors="replace") as f:
        return Module(source, f.read(), graph_only)


_RESOURCE = []


def resource_include():
    if not _RESOURCE:
        proc = subprocess.run([CLANG, "-print-resource-dir"], check=True, capture_output=True,
                              text=True)
        _RESOURCE.append(proc.stdout.strip() + "/include")
    return _RESOURCE[0]


def demangle(names):
    names = sorted(set(names))
    if not names or shutil.which(CXXFILT) is None:
        return {n: n for n in names}
    proc = subprocess.run([CXXFILT], input="\n".join(n.strip('"') for n in names) + "\n",
                          capture_output=True, text=True, check=True)
    out = proc.stdout.split("\n")
    return {n: (out[k] if k < len(out) and out[k] else n) for k, n in enumerate(names)}


def strongly_connected(graph):
    """Tarjan's algorithm, iterative: the components of the graph (dict node -> set of nodes)."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:  # bound: each node enters work once; each edge is followed once
            node, it = work[-1]
            advanced = False
            for succ in it:  # bound: the successors of one node
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:  # bound: the stack holds the nodes of this component on top
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                comps.append(comp)
    return comps


def cycle_in(comp, graph):
    """One cycle through the component, as a list of nodes (first repeated at the end)."""
    members = set(comp)
    start = min(comp)
    # Breadth-first from start back to start, inside the component.
    prev = {}
    frontier = [start]
    while frontier:  # bound: each node of the component enters the frontier once
        nxt = []
        for node in frontier:
            for succ in sorted(graph[node] & members):
                if succ == start:
                    path = [node]
                    while path[-1] != start:  # bound: the BFS tree is at most |comp| deep
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if succ not in prev:
                    prev[succ] = node
                    nxt.append(succ)
        frontier = nxt
    return [start, start]


def check_ir(modules, report):
    out = []
    defined = {}
    aliases = {}
    for mod in modules:
        for name in mod.defined:
            defined.setdefault(name, mod)
        aliases.update(mod.aliases)
    graph = {name: set() for name in defined}
    indirect = []  # (caller, location)
    external = collections.Counter()
    call_site = {}  # (caller, callee) -> (module, dbg)
    for mod in modules:
        for caller, callee, dbg, _ in mod.calls:
            if callee is None:
                indirect.append((caller, mod.location(dbg) or mod.path))
                continue
            seen = 0
            while callee in aliases and seen < 8:  # bound: alias chains are short; 8 at most
                callee = aliases[callee]
                seen += 1
            if callee in defined:
                graph[caller].add(callee)
                call_site.setdefault((caller, callee), (mod, dbg))
            else:
                external[callee] += 1
            plain = callee.strip('"')
            if mod.graph_only:
                continue
            if plain in ALLOC_FUNCTIONS or (re.match(r"_Z(nw|na|dl|da)", plain) and
                                            plain not in PLACEMENT_OPERATORS):
                loc = mod.location(dbg) or mod.path
                file, _, line = loc.rpartition(":")
                out.append(Violation("allocation", file, int(line) if line.isdigit() else 0,
                                     plain, f"call of the allocator `{plain}`"))
        if mod.graph_only:
            continue
        for caller, dbg in mod.dyn_allocas:
            loc = mod.location(dbg) or mod.path
            file, _, line = loc.rpartition(":")
            out.append(Violation("allocation", file, int(line) if line.isdigit() else 0,
                                 "alloca", "stack allocation of a run-time size (alloca or VLA)"))
        for func, text in mod.fp_lines:
            out.append(Violation("float", mod.path, 0, text,
                                 f"floating point in the IR ({func or 'a global'}): {text[:100]}"))
    names = demangle(set(graph) | {c for c, _ in indirect} | set(external))
    comps = [c for c in strongly_connected(graph)
             if len(c) > 1 or c[0] in graph[c[0]]]
    for comp in comps:
        cyc = cycle_in(comp, graph)
        mod, dbg = call_site[(cyc[0], cyc[1])]
        loc = mod.location(dbg) or mod.path
        file, _, line = loc.rpartition(":")
        steps = "\n      -> ".join(names[n] for n in cyc)
        others = sorted(names[n] for n in comp if n not in cyc)
        detail = f"recursion: {len(comp)} function(s) call each other:\n      {steps}"
        if others:
            detail += "\n      (and in the same component: " + ", ".join(others) + ")"
        out.append(Violation("recursion", file, int(line) if line.isdigit() else 0,
                             " ".join(names[n] for n in comp), detail,
                             key=frozenset(names[n] for n in comp)))
    address_taken = set()
    for mod in modules:
        address_taken |= {n for n in mod.global_refs if n in defined}
        for refs in mod.refs.values():
            address_taken |= {n for n in refs if n in defined}
    report["functions"] = len(graph)
    report["edges"] = sum(len(v) for v in graph.values())
    report["indirect"] = sorted({(names[c], loc) for c, loc in indirect}, key=lambda x: x[1])
    report["address_taken"] = sorted(names[n] for n in address_taken)
    report["external"] = sorted(names[n] for n in external)
    return out


# ---- the toolchain ---------------------------------------------------------------------------

def check_toolchain(path):
    """The kernel mode of the toolchain must still compile with the flags this check assumes,
    -mgeneral-regs-only among them (no floating-point or vector registers in the kernel)."""
    out = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'"kernel":\s*struct\(\s*compile\s*=\s*_FREESTANDING_COMMON\s*\+\s*\[(.*?)\]',
                  text, re.S)
    common = re.search(r"_FREESTANDING_COMMON\s*=\s*\[(.*?)\]", text, re.S)
    cxx = re.search(r"_FREESTANDING_CXX\s*=\s*\[(.*?)\]", text, re.S)
    if not (m and common and cxx):
        return [Violation("float", path, 0, "", "cannot find the kernel's compile flags "
                          "(_FREESTANDING_COMMON, _MODES[\"kernel\"], _FREESTANDING_CXX)")]
    flags = set(re.findall(r'"([^"]+)"', m.group(1) + common.group(1) + cxx.group(1)))
    if "-mgeneral-regs-only" not in flags:
        out.append(Violation("float", path, 0, "-mgeneral-regs-only",
                             "the kernel is compiled without -mgeneral-regs-only"))
    missing = [f for f in KERNEL_FLAGS if f not in flags]
    if missing:
        out.append(Violation("float", path, 0, " ".join(missing),
                             f"KERNEL_FLAGS of check_subset.py are not the kernel's any more: "
                             f"{' '.join(missing)} missing from the toolchain"))
    return out


# ---- exceptions ------------------------------------------------------------------------------

def load_exceptions(path):
    if not path:
        return []
    with open(path, "rb") as f:
        data = tomllib.load(f)
    unknown = set(data) - {"exception"}
    if unknown:
        raise SystemExit(f"{path}: unknown keys {sorted(unknown)}")
    entries = data.get("exception", [])
    for k, e in enumerate(entries):
        where = f"{path}: exception {k + 1}"
        if e.get("rule") not in RULES:
            raise SystemExit(f"{where}: rule must be one of {RULES}")
        if not str(e.get("reason", "")).strip():
            raise SystemExit(f"{where}: no reason")
        if e["rule"] == "recursion":
            if set(e) != {"rule", "cycle", "reason"} or not e["cycle"]:
                raise SystemExit(f"{where}: a recursion exception has rule, cycle, reason")
        elif set(e) != {"rule", "file", "match", "reason"} or not e["match"]:
            raise SystemExit(f"{where}: an exception has rule, file, match, reason")
    return entries


def matches(e, v):
    if e["rule"] != v.rule:
        return False
    if v.rule == "recursion":
        return v.key == frozenset(e["cycle"])
    return v.file == e["file"] and e["match"] in v.text


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="+")
    ap.add_argument("--exceptions")
    ap.add_argument("--toolchain", help="platform/toolchains/cc_toolchain_config.bzl")
    ap.add_argument("--arch-context", default="platform/x86_64/context.h",
                    help='the header the core includes as "arch/context.h"')
    ap.add_argument("--expect", nargs="*", default=None, metavar="RULE=N")
    ap.add_argument("--iquote", action="append", default=[],
                    help="another root for quoted includes (bazel-bin, outside Bazel)")
    ap.add_argument("--graph", action="extend", nargs="+", default=[], metavar="FILE",
                    help="files for the call graph only (the ports, platform/); the *.cc are "
                    "compiled, no other rule applies to them")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="list indirect calls and the rest")
    args = ap.parse_args()

    for tool in (CLANG, CXXFILT):
        if shutil.which(tool) is None:
            print(f"check_subset: {tool} not found (Debian's clang and llvm)", file=sys.stderr)
            return 2
    sources = sorted(s for s in args.sources if not s.endswith("_test.cc"))
    code = [s for s in sources if s.endswith((".cc", ".cpp", ".h"))]
    units = [s for s in sources if s.endswith((".cc", ".cpp"))]  # fixtures: .cpp
    if not units:
        print("check_subset: no *.cc files given", file=sys.stderr)
        return 2
    exceptions = load_exceptions(args.exceptions)

    violations = []
    loops = 0
    for path in code:
        with open(path, encoding="utf-8") as f:
            lexed = Lexed(path, f.read())
        loops += sum(1 for t in lexed.tokens if t.kind == "id" and t.text in ("for", "while", "do"))
        violations += check_loops(lexed)
        violations += check_tokens(lexed)
    if args.toolchain:
        violations += check_toolchain(args.toolchain)

    report = {}
    with tempfile.TemporaryDirectory(prefix="subset-") as tmp:
        include_dir = os.path.join(tmp, "include")
        os.makedirs(os.path.join(include_dir, "arch"))
        if os.path.exists(args.arch_context):
            os.symlink(os.path.abspath(args.arch_context),
                       os.path.join(include_dir, "arch", "context.h"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            try:
                modules = list(pool.map(
                    lambda s: compile_ir(s, include_dir, tmp, args.iquote), units))
                graph_units = sorted(g for g in args.graph
                                     if g.endswith(".cc") and not g.endswith("_test.cc"))
                modules += list(pool.map(
                    lambda s: compile_ir(s, include_dir, tmp, args.iquote, True), graph_units))
            except RuntimeError as e:
                print(f"check_subset: {e}", file=sys.stderr)
                return 2
    violations += check_ir(modules, report)

    used = [0] * len(exceptions)
    left = []
    for v in violations:
        hit = [k for k, e in enumerate(exceptions) if matches(e, v)]
        for k in hit:
            used[k] += 1
        if not hit:
            left.append(v)
    stale = [e for k, e in enumerate(exceptions) if used[k] == 0]

    print(f"check_subset: {len(code)} files ({len(units)} compiled to IR; {len(graph_units)} more "
          f"for the call graph), {loops} loop keywords, "
          f"{report['functions']} functions, {report['edges']} direct call edges, "
          f"{len(violations) - len(left)} violation(s) excepted by {len(exceptions)} "
          f"exception(s)")
    print(f"  calls through pointers (no edge in the call graph): {len(report['indirect'])} "
          f"site(s); functions whose address is taken: {len(report['address_taken'])}")
    if args.verbose or left:
        for caller, loc in report["indirect"]:
            print(f"    indirect call in {caller} at {loc}")
        for name in report["address_taken"]:
            print(f"    address taken: {name}")
    if args.verbose:
        print(f"  functions called but not defined here ({len(report['external'])}):")
        for name in report["external"]:
            print(f"    {name}")
    for v in left:
        print(v)
    for e in stale:
        where = " / ".join(e["cycle"]) if e["rule"] == "recursion" else \
            f"{e['file']}: {e['match']!r}"
        print(f"[stale exception] {e['rule']} {where}: matches nothing any more; remove it")

    if args.expect is not None:
        want = {}
        for item in args.expect:
            rule, _, n = item.partition("=")
            if rule not in RULES + ("stale",) or not n.isdigit():
                print(f"check_subset: bad --expect {item!r}", file=sys.stderr)
                return 2
            want[rule] = int(n)
        got = collections.Counter(v.rule for v in left)
        got["stale"] = len(stale)
        kinds = RULES + ("stale",)
        ok = all(got[r] == want.get(r, 0) for r in kinds)
        print("check_subset: expected " + ", ".join(f"{r}={want.get(r, 0)}" for r in kinds) +
              "; found " + ", ".join(f"{r}={got[r]}" for r in kinds) +
              (" -- as expected" if ok else " -- MISMATCH"))
        return 0 if ok else 1
    if left or stale:
        print(f"check_subset: FAILED: {len(left)} violation(s), {len(stale)} stale exception(s)")
        return 1
    print("check_subset: the core is in the checkable subset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
