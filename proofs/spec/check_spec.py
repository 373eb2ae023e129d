#!/usr/bin/env python3
"""Checks HMK's Coq specification (proofs/spec/, README.md there).

For the manifest (spec.toml): every .v file it lists, and no other .v file beside it, must
  - contain, outside comments and strings, none of the words that let a development skip a
    proof or assume something: Admitted, admit, give_up, Axiom(s), Parameter(s),
    Conjecture(s), Hypothesis/Hypotheses, Variable(s), and no "Unset ... Checking";
  - compile with coqc, in the listed order, into a temporary directory (-Q DIR HMK);
and `Print Assumptions` of every listed theorem must print exactly "Closed under the global
context".

Before that, the canary: a two-line development whose theorem rests on an Axiom must NOT be
reported closed, so a checker that reads every output as closed cannot pass.

    check_spec.py --manifest spec.toml [--coqc /usr/bin/coqc] [--keep DIR]

Exit status 0 only if all of it holds.
"""

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

CLOSED = "Closed under the global context"
FORBIDDEN_WORDS = [
    "Admitted", "admit", "give_up",
    "Axiom", "Axioms", "Parameter", "Parameters", "Conjecture", "Conjectures",
    "Hypothesis", "Hypotheses", "Variable", "Variables",
]
FORBIDDEN_RE = re.compile(r"(?<![\w'.])(" + "|".join(FORBIDDEN_WORDS) + r")(?![\w'])")
UNSET_CHECKING_RE = re.compile(r"\bUnset\s+\w+\s+Checking\b")


def strip_comments(text):
    """The text with Coq comments (nested) and string literals blanked out."""
    out = []
    depth = 0
    i = 0
    in_string = False
    while i < len(text):
        two = text[i:i + 2]
        ch = text[i]
        if in_string:
            if ch == '"':
                if text[i + 1:i + 2] == '"':  # "" is a quote inside a string
                    i += 2
                    continue
                in_string = False
            out.append("\n" if ch == "\n" else " ")
            i += 1
        elif two == "(*":
            depth += 1
            out.append("  ")
            i += 2
        elif two == "*)" and depth > 0:
            depth -= 1
            out.append("  ")
            i += 2
        elif depth > 0:
            out.append("\n" if ch == "\n" else " ")
            i += 1
        elif ch == '"':
            in_string = True
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def forbidden(path):
    """(line, word) for every forbidden word of the file outside comments and strings."""
    code = strip_comments(path.read_text())
    found = []
    for n, line in enumerate(code.splitlines(), 1):
        found += [(n, m.group(1)) for m in FORBIDDEN_RE.finditer(line)]
        found += [(n, m.group(0)) for m in UNSET_CHECKING_RE.finditer(line)]
    return found


def coqc(coqc_bin, workdir, vfile):
    return subprocess.run([coqc_bin, "-q", "-Q", ".", "HMK", vfile], cwd=workdir,
                          capture_output=True, text=True, timeout=600)


def assumptions(coqc_bin, workdir, modules, theorems):
    """{theorem: what Print Assumptions prints}, from one coqc run (Redirect writes each
    theorem's output to its own file), or None if it did not compile."""
    lines = [f"From HMK Require Import {' '.join(modules)}."]
    lines += [f'Redirect "assumptions{i}" Print Assumptions {t}.' for i, t in enumerate(theorems)]
    (workdir / "Assumptions.v").write_text("\n".join(lines) + "\n")
    r = coqc(coqc_bin, workdir, "Assumptions.v")
    if r.returncode != 0:
        print(f"FAILED: Print Assumptions:\n{r.stdout}{r.stderr}")
        return None
    return {t: (workdir / f"assumptions{i}.out").read_text().strip()
            for i, t in enumerate(theorems)}


def canary(coqc_bin, workdir):
    """A theorem proved from an Axiom must not look closed."""
    (workdir / "Canary.v").write_text("Axiom canary_axiom : False.\n"
                                      "Theorem canary : 0 = 1. Proof. destruct canary_axiom. Qed.\n")
    r = coqc(coqc_bin, workdir, "Canary.v")
    if r.returncode != 0:
        print(f"FAILED: the canary does not compile:\n{r.stdout}{r.stderr}")
        return False
    outs = assumptions(coqc_bin, workdir, ["Canary"], ["Canary.canary"])
    out = outs and outs["Canary.canary"]
    if out is None or out == CLOSED or "canary_axiom" not in out:
        print(f"FAILED: the canary's axiom was not reported: {out!r}")
        return False
    print("canary: an axiom is reported (ok)")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--coqc", default="/usr/bin/coqc")
    ap.add_argument("--keep", help="compile here (kept) instead of a temporary directory")
    args = ap.parse_args()

    manifest = pathlib.Path(args.manifest)
    spec_dir = manifest.parent
    config = tomllib.loads(manifest.read_text())
    files, theorems = config["files"], config["theorems"]
    if not shutil.which(args.coqc):
        print(f"FAILED: no coqc at {args.coqc} (./hmk installs Debian's coq)")
        return 1

    ok = True
    present = sorted(p.name for p in spec_dir.glob("*.v"))
    unlisted = sorted(set(present) - set(files))
    if unlisted:
        print(f"FAILED: .v files not in {manifest.name}: {', '.join(unlisted)}")
        ok = False
    for name in files:
        for line, word in forbidden(spec_dir / name):
            print(f"FAILED: {name}:{line}: '{word}' outside a comment")
            ok = False

    base = args.keep or os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(prefix="hmk-spec-")
    workdir = pathlib.Path(base) / "coq"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    ok = canary(args.coqc, workdir) and ok

    for name in files:
        shutil.copy(spec_dir / name, workdir / name)
    modules = []
    for name in files:
        r = coqc(args.coqc, workdir, name)
        if r.returncode != 0:
            print(f"FAILED: coqc {name}:\n{r.stdout}{r.stderr}")
            return 1
        modules.append(name[:-2])
        print(f"compiled {name}")

    outs = assumptions(args.coqc, workdir, modules, theorems)
    if outs is None:
        return 1
    for theorem, out in outs.items():
        if out != CLOSED:
            print(f"FAILED: {theorem} is not closed:\n{out}")
            ok = False
        else:
            print(f"closed: {theorem}")

    print("spec check: " + ("all holds" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
