#!/usr/bin/env python3
"""Model-checks HMK's protocol models with SPIN (proofs/models/, proofs/README.md).

For every [[model]] of models.toml (a model file in one configuration, its `defines`):
`spin -a`, the verifier (pan.c) compiled with the C compiler, and an exhaustive search
  - for safety: assertions and invalid end states (deadlocks), with the LTL claims left out
    (-DNOCLAIM);
  - for each LTL claim the model declares (`ltl NAME {...}`, all of which models.toml must list):
    acceptance cycles under weak fairness (pan -a -f -N NAME).
Every run must end with "errors: 0" after a complete search: no "Search not completed", no
depth limit reached, a full (not bitstate) state space, and no more states than the model's
stated `max_states`.

For every [[mutant]]: the model with `find` (one line or a part of it, exactly once in the
file) replaced by `replace`, checked by its one `run` (safety or a claim), which must report an
error whose text contains `expect`. A mutant SPIN accepts ("survived") or that does not build
("broken") fails the check.

Last, the canary: a mutant that changes only a comment must survive, so a runner that calls
everything killed cannot pass.

    check_models.py [--manifest models.toml] [--only NAME...] [--jobs N] [--keep DIR]

Exit status 0 only if every run holds, every mutant is rejected and the canary survives.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field

SPIN = "spin"
CC = "clang"
# spin runs the C preprocessor on the model (#define); clang's, since the project has no gcc.
PREPROCESSOR = f"{CC} -E -x c"
# pan.c compiles in about a second at -O0 and runs these models about as fast as at -O2.
CFLAGS = ["-O0", "-w", "-DNFAIR=3"]
MEMLIM_MB = 1024  # pan stops at this much memory ("reached -DMEMLIM bound"): a failure
MAX_DEPTH = 10000  # pan -m; "max search depth too small" is a failure

MODEL_KEYS = {"name", "file", "defines", "ltl", "max_states", "hash_bits"}
DEFINE_RE = re.compile(r"^[A-Z][A-Z0-9_]*=[0-9]+$")
MUTANT_KEYS = {"name", "model", "find", "replace", "reason", "run", "expect"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LTL_RE = re.compile(r"^\s*ltl\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{", re.M)


@dataclass
class Model:
    name: str
    file: str
    defines: list  # ["NAME=VALUE"]: the configuration, passed to spin as -D
    ltl: list
    max_states: int
    hash_bits: int


@dataclass
class Mutant:
    name: str
    model: str
    find: str
    replace: str
    reason: str
    run: str
    expect: str


@dataclass
class Result:
    what: str  # "model.pml safety", "model.pml ltl NAME", "mutant NAME"
    ok: bool
    verdict: str  # holds / FAILED / killed / SURVIVED / BROKEN
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    detail: str = ""
    log: str = field(default="", repr=False)


class ManifestError(Exception):
    pass


def load_manifest(path):
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ManifestError(f"{path}: {e}") from e
    errors = [f"unknown top-level key '{k}'" for k in sorted(set(data) - {"model", "mutant"})]
    base = os.path.dirname(os.path.abspath(path))
    models = {}
    for i, entry in enumerate(data.get("model", []), start=1):
        where = f"model #{i} ({entry.get('name', '?')})"
        if set(entry) != MODEL_KEYS:
            errors.append(f"{where}: keys must be exactly {', '.join(sorted(MODEL_KEYS))}")
            continue
        m = Model(**entry)
        if not NAME_RE.match(m.name) or m.name in models:
            errors.append(f"{where}: name must be unique lower-case words joined by '-'")
        if not all(isinstance(d, str) and DEFINE_RE.match(d) for d in m.defines):
            errors.append(f"{where}: defines must be strings NAME=NUMBER")
        text = read_model(base, m.file, errors, where)
        if text is not None:
            declared = LTL_RE.findall(text)
            if sorted(declared) != sorted(m.ltl):
                errors.append(f"{where}: ltl {m.ltl} but the model declares {declared}")
        models[m.name] = m
    mutants = []
    names = set()
    for i, entry in enumerate(data.get("mutant", []), start=1):
        where = f"mutant #{i} ({entry.get('name', '?')})"
        if set(entry) != MUTANT_KEYS:
            errors.append(f"{where}: keys must be exactly {', '.join(sorted(MUTANT_KEYS))}")
            continue
        m = Mutant(**entry)
        if not NAME_RE.match(m.name) or m.name in names:
            errors.append(f"{where}: name must be unique lower-case words joined by '-'")
        names.add(m.name)
        if m.model not in models:
            errors.append(f"{where}: model '{m.model}' is not a [[model]]")
            continue
        if m.run != "safety" and m.run not in models[m.model].ltl:
            errors.append(f"{where}: run must be 'safety' or one of {models[m.model].ltl}")
        if "\n" in m.find or "\n" in m.replace or m.find == m.replace or not m.expect:
            errors.append(f"{where}: find and replace must be one line each and differ; "
                          "expect must say what SPIN reports")
        text = read_model(base, models[m.model].file, errors, where)
        if text is not None and text.count(m.find) != 1:
            errors.append(f"{where}: 'find' occurs {text.count(m.find)} times in "
                          f"{models[m.model].file}, not once")
        mutants.append(m)
    for file in sorted({m.file for m in models.values()}):
        if not any(models[mu.model].file == file for mu in mutants if mu.model in models):
            errors.append(f"model {file}: no mutant (every model needs one SPIN must reject)")
    if errors:
        raise ManifestError("\n".join(errors))
    return base, models, mutants


def read_model(base, file, errors, where):
    try:
        with open(os.path.join(base, file)) as f:
            return f.read()
    except OSError as e:
        errors.append(f"{where}: {e}")
        return None


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0


def verify(workdir, model, text, mode):
    """Generates, builds and runs pan for `mode` ('safety' or a claim name) on the text of
    `model`'s file in its configuration. Returns (built, pan output, log, seconds)."""
    model_file = model.file
    os.makedirs(workdir, exist_ok=True)
    pml = os.path.join(workdir, model_file)
    with open(pml, "w") as f:
        f.write(text)
    start = time.monotonic()
    log = []
    config = [f"-D{d}" for d in model.defines]
    gen = run([SPIN, f"-P{PREPROCESSOR}", *config, "-a", model_file], workdir)
    log.append(f"$ spin {' '.join(config)} -a {model_file}\n{gen.stdout}{gen.stderr}")
    if gen.returncode != 0 or not os.path.exists(os.path.join(workdir, "pan.c")):
        return False, "", "".join(log), time.monotonic() - start
    defines = [f"-DMEMLIM={MEMLIM_MB}"] + (["-DNOCLAIM"] if mode == "safety" else [])
    build = run([CC, *CFLAGS, *defines, "-o", "pan", "pan.c"], workdir)
    log.append(f"$ {CC} {' '.join(CFLAGS + defines)} -o pan pan.c\n{build.stdout}{build.stderr}")
    if build.returncode != 0:
        return False, "", "".join(log), time.monotonic() - start
    args = [f"-m{MAX_DEPTH}", f"-w{model.hash_bits}"]
    if mode != "safety":
        args += ["-a", "-f", "-N", mode]
    pan = run(["./pan", *args], workdir)
    out = pan.stdout + pan.stderr
    log.append(f"$ ./pan {' '.join(args)}\n{out}")
    return True, out, "".join(log), time.monotonic() - start


def complete_and_clean(out, mode, max_states):
    """Why a run does not show that the property holds, or None."""
    errors = re.search(r"errors: (\d+)", out)
    if errors is None:
        return "no result from pan"
    if int(errors.group(1)) != 0:
        first = re.search(r"^pan:1: (.*)$", out, re.M)
        return f"{errors.group(1)} error(s): {first.group(1) if first else '?'}"
    for bad, why in (("Search not completed", "the search was not completed"),
                     ("max search depth too small", "the depth limit was reached"),
                     ("-DMEMLIM bound", "the memory limit was reached")):
        if bad in out:
            return why
    if "Full statespace search" not in out:
        return "not an exhaustive search"
    if mode == "safety":
        if not re.search(r"assertion violations\s+\+", out) or \
                not re.search(r"invalid end states\s+\+", out):
            return "assertions or end states not checked"
    elif not re.search(r"acceptance\s+cycles\s+\+ \(fairness enabled\)", out) or \
            not re.search(rf"never claim\s+\+ \({re.escape(mode)}\)", out):
        return f"claim {mode} not checked for acceptance cycles under fairness"
    states = number(r"(\d+) states, stored", out)
    if states > max_states:
        return f"{states} states, above the stated bound of {max_states}"
    return None


def check_model(base, scratch, model, mode):
    with open(os.path.join(base, model.file)) as f:
        text = f.read()
    what = f"{model.name} {'safety' if mode == 'safety' else 'ltl ' + mode}"
    workdir = os.path.join(scratch, model.name, mode)
    built, out, log, seconds = verify(workdir, model, text, mode)
    if not built:
        return Result(what, False, "BROKEN", seconds=seconds, detail="spin -a or cc failed",
                      log=log)
    problem = complete_and_clean(out, mode, model.max_states)
    return Result(what, problem is None, "holds" if problem is None else "FAILED",
                  states=number(r"(\d+) states, stored", out),
                  transitions=number(r"(\d+) transitions", out),
                  depth=number(r"depth reached (\d+)", out), seconds=seconds,
                  detail=problem or "", log=log)


def check_mutant(base, scratch, models, mutant):
    model = models[mutant.model]
    with open(os.path.join(base, model.file)) as f:
        text = f.read()
    what = f"mutant {mutant.name}"
    workdir = os.path.join(scratch, "mutants", mutant.name)
    built, out, log, seconds = verify(workdir, model,
                                      text.replace(mutant.find, mutant.replace, 1), mutant.run)
    if not built:
        return Result(what, False, "BROKEN", seconds=seconds,
                      detail="the mutant does not build (spin -a or cc failed)", log=log)
    errors = number(r"errors: (\d+)", out)
    first = re.search(r"^pan:1: (.*)$", out, re.M)
    found = first.group(1) if first else ""
    if errors == 0:
        return Result(what, False, "SURVIVED", states=number(r"(\d+) states, stored", out),
                      seconds=seconds, detail=f"SPIN accepts it ({mutant.run})", log=log)
    if mutant.expect not in found:
        return Result(what, False, "FAILED", seconds=seconds,
                      detail=f"rejected for another reason: '{found}', expected "
                             f"'{mutant.expect}'", log=log)
    return Result(what, True, "killed", depth=number(r"depth reached (\d+)", out),
                  seconds=seconds, detail=f"{mutant.run}: {found}", log=log)


def canary(base, scratch, models):
    """A mutant that changes a comment only must survive: the runner can tell."""
    smallest = min(models.values(), key=lambda m: m.max_states)
    with open(os.path.join(base, smallest.file)) as f:
        first_line = f.readline().rstrip("\n")
    fake = Mutant(name="canary-comment-only", model=smallest.name, find=first_line,
                  replace=first_line + " (unchanged)", reason="", run="safety",
                  expect="(none)")
    r = check_mutant(base, scratch, models, fake)
    ok = r.verdict == "SURVIVED"
    return Result("canary (a comment changed)", ok, "survived" if ok else "FAILED",
                  seconds=r.seconds, detail="" if ok else f"judged {r.verdict}: {r.detail}",
                  log=r.log)


def print_table(results):
    print(f"{'check':<48} {'verdict':<9} {'states':>9} {'transitions':>11} {'depth':>6} "
          f"{'time':>6}  detail")
    for r in results:
        print(f"{r.what:<48} {r.verdict:<9} {r.states or '':>9} {r.transitions or '':>11} "
              f"{r.depth or '':>6} {r.seconds:5.1f}s  {r.detail}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", default=os.path.join(here, "models.toml"))
    parser.add_argument("--only", nargs="+", default=[],
                        help="only these models and mutants (names)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", help="keep the generated verifiers and logs in this directory")
    args = parser.parse_args()

    for tool in (SPIN, CC):
        if shutil.which(tool) is None:
            sys.exit(f"check_models: '{tool}' not found (./hmk installs it: "
                     "tools/debian-packages.txt)")
    try:
        base, models, mutants = load_manifest(args.manifest)
    except ManifestError as e:
        sys.exit(f"check_models: {args.manifest}:\n{e}")
    unknown = set(args.only) - set(models) - {m.name for m in mutants}
    if unknown:
        sys.exit(f"check_models: --only: no model or mutant {', '.join(sorted(unknown))}")

    scratch = args.keep or tempfile.mkdtemp(prefix="hmk-spin-",
                                            dir=os.environ.get("TEST_TMPDIR"))
    jobs = []
    for m in models.values():
        if args.only and m.name not in args.only:
            continue
        for mode in ["safety"] + m.ltl:
            jobs.append(("model", m, mode))
    for mu in mutants:
        if args.only and mu.name not in args.only:
            continue
        jobs.append(("mutant", mu, None))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(check_model, base, scratch, obj, mode) if kind == "model"
                   else pool.submit(check_mutant, base, scratch, models, obj)
                   for kind, obj, mode in jobs]
        results = [f.result() for f in futures]
    if not args.only:
        results.append(canary(base, scratch, models))

    print_table(results)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"\n==== {r.what}: {r.verdict} {r.detail}\n{r.log}")
    runs = [r for r in results if not r.what.startswith(("mutant", "canary"))]
    killed = [r for r in results if r.what.startswith("mutant") and r.ok]
    print(f"\n{sum(r.ok for r in runs)} of {len(runs)} model runs hold, {len(killed)} of "
          f"{sum(r.what.startswith('mutant') for r in results)} mutants rejected "
          f"({time.monotonic() - start:.0f}s)")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
