#!/usr/bin/env python3
"""The system call table in docs/kernel.md: check it against the generated one, or rewrite it.

    docs.py check DOC GENERATED   exit 1 (with a diff) unless DOC's table is GENERATED
    docs.py update DOC TABLE      rewrite DOC's table from TABLE (core/abi/syscalls.tbl)

The table sits between a line starting with BEGIN and one starting with END."""

import difflib
import sys

import gen
import table as tbl

BEGIN = "<!-- syscall table: generated from core/abi/syscalls.tbl"
END = "<!-- end of syscall table -->"


def split(doc_text, doc_path):
    """(before, table, after) of a document, the marker lines in before and after."""
    lines = doc_text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.startswith(BEGIN)]
    ends = [i for i, line in enumerate(lines) if line.startswith(END)]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ValueError(f"{doc_path}: want exactly one '{BEGIN}...' line, then one '{END}'")
    b, e = begins[0], ends[0]
    return "".join(lines[:b + 1]), "".join(lines[b + 1:e]), "".join(lines[e:])


def check(doc_path, generated_path):
    with open(doc_path, encoding="utf-8") as f:
        _, current, _ = split(f.read(), doc_path)
    with open(generated_path, encoding="utf-8") as f:
        wanted = f.read()
    if current == wanted:
        print(f"{doc_path}: the system call table matches core/abi/syscalls.tbl "
              f"({wanted.count(chr(10)) - 2} calls)")
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(keepends=True),
                                               wanted.splitlines(keepends=True),
                                               doc_path, "generated"))
    print(f"{doc_path}: the system call table differs from core/abi/syscalls.tbl; run "
          "tools/syscalls/update_docs.sh")
    return 1


def update(doc_path, table_path):
    with open(doc_path, encoding="utf-8") as f:
        before, _, after = split(f.read(), doc_path)
    text = before + gen.emit_docs(tbl.load(table_path)) + after
    with open(doc_path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


def main(argv):
    commands = {"check": check, "update": update}
    if len(argv) != 4 or argv[1] not in commands:
        sys.stderr.write(__doc__)
        return 2
    try:
        return commands[argv[1]](argv[2], argv[3])
    except (ValueError, OSError, tbl.TableError) as e:
        sys.stderr.write(f"docs.py: {e}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
