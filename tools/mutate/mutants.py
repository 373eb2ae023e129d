"""The mutant list (mutants.toml): loading, locating a mutant's text, applying it, and the
checks that keep the list in step with the code (used by mutate.py and mutants_test.py).

A mutant is found by text, never by line number: `find` must occur exactly once in its file
(or, with `after`, exactly once in the AFTER_WINDOW lines from the one line holding the
unique text `after`). Anything
else makes the mutant stale.
"""

import os
import re
import tomllib
from dataclasses import dataclass

# Where mutants may live: the code whose tests the check measures.
MUTABLE_ROOTS = (
    "core/", "svc/", "proofs/", "platform/x86_64/", "platform/fiber/", "linuxcompat/")
REQUIRED_KEYS = ("name", "file", "find", "replace", "reason", "targets")
OPTIONAL_KEYS = ("after",)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# With `after`, `find` is looked for in the anchor's line and this many lines below it.
AFTER_WINDOW = 8
LABEL_RE = re.compile(r"^//([A-Za-z0-9_/.-]*):([A-Za-z0-9_.-]+)$")


@dataclass
class Mutant:
    name: str
    file: str
    find: str
    replace: str
    reason: str
    targets: list
    after: str = ""
    index: int = 0  # position in the list, 1-based


class ListError(Exception):
    pass


def default_list_path():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "mutants.toml")


def load(path):
    """Reads the list. Malformed entries raise ListError naming every problem."""
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ListError(f"{path}: {e}") from e
    unknown_top = set(data) - {"mutant"}
    errors = [f"unknown top-level key '{k}'" for k in sorted(unknown_top)]
    mutants = []
    seen = set()
    for i, entry in enumerate(data.get("mutant", []), start=1):
        where = f"mutant #{i} ({entry.get('name', '?')})"
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        extra = [k for k in entry if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
        if missing:
            errors.append(f"{where}: missing {', '.join(missing)}")
            continue
        if extra:
            errors.append(f"{where}: unknown keys {', '.join(extra)}")
        m = Mutant(index=i, **{k: entry[k] for k in REQUIRED_KEYS + OPTIONAL_KEYS if k in entry})
        for key in ("name", "file", "find", "replace", "reason", "after"):
            if not isinstance(getattr(m, key), str):
                errors.append(f"{where}: '{key}' must be a string")
        if errors and errors[-1].startswith(where):
            continue
        if not NAME_RE.match(m.name):
            errors.append(f"{where}: name must be lower-case words joined by '-'")
        if m.name in seen:
            errors.append(f"{where}: duplicate name")
        seen.add(m.name)
        if not m.file.startswith(MUTABLE_ROOTS):
            errors.append(f"{where}: file must be under {', '.join(MUTABLE_ROOTS)}")
        for key in ("find", "replace", "after"):
            if "\n" in getattr(m, key):
                errors.append(f"{where}: '{key}' must be one line")
        if not m.find.strip():
            errors.append(f"{where}: 'find' is empty")
        if m.find == m.replace:
            errors.append(f"{where}: 'replace' equals 'find'")
        if not m.reason.strip():
            errors.append(f"{where}: 'reason' is empty")
        if (not isinstance(m.targets, list) or not m.targets or
                not all(isinstance(t, str) and LABEL_RE.match(t) for t in m.targets)):
            errors.append(f"{where}: 'targets' must be a non-empty list of //package:name labels")
        mutants.append(m)
    if errors:
        raise ListError(f"{path}:\n  " + "\n  ".join(errors))
    return mutants


def locate(text, mutant):
    """Returns (offset of the one occurrence of `find`, None) or (None, why it is stale)."""
    start, end = 0, len(text)
    if mutant.after:
        anchors = _occurrences(text, mutant.after)
        if len(anchors) != 1:
            return None, f"'after' text found {len(anchors)} times (must be once)"
        start = text.rfind("\n", 0, anchors[0]) + 1
        for _ in range(AFTER_WINDOW + 1):  # the anchor's line and the lines below it
            nl = text.find("\n", start if end == len(text) else end + 1)
            end = len(text) if nl < 0 else nl
            if nl < 0:
                break
    hits = [h for h in _occurrences(text, mutant.find, start) if h + len(mutant.find) <= end]
    if len(hits) != 1:
        where = f" within {AFTER_WINDOW} lines of the 'after' line" if mutant.after else ""
        return None, f"'find' text found {len(hits)} times{where} (must be once)"
    return hits[0], None


def _occurrences(text, needle, start=0):
    hits = []
    i = text.find(needle, start)
    while i >= 0:
        hits.append(i)
        i = text.find(needle, i + 1)
    return hits


def apply(text, mutant):
    """The mutated file content; raises ValueError if the mutant is stale."""
    at, why = locate(text, mutant)
    if at is None:
        raise ValueError(f"{mutant.name}: stale: {why}")
    return text[:at] + mutant.replace + text[at + len(mutant.find):]


def stale_reason(root, mutant):
    """Why `mutant` no longer applies to the tree at `root`, or None if it applies once."""
    path = os.path.join(root, mutant.file)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return f"{mutant.file} does not exist"
    return locate(text, mutant)[1]


def _build_names(build_text):
    """Target names a BUILD file declares: name = "..." (a "%s" in a list comprehension's
    name matches any word), and the first string of each tuple a list comprehension with
    `name = name` runs over: ("hmk_ic0_test", "ic0", ...)."""
    names = []
    for n in re.findall(r'\bname\s*=\s*"([^"]+)"', build_text):
        names.append(re.compile("^" + re.escape(n).replace("%s", "[A-Za-z0-9_]+") + "$"))
    if re.search(r'\bname\s*=\s*name\b', build_text):
        for n in re.findall(r'^\s*\(\s*"([A-Za-z0-9_]+)"\s*,', build_text, re.MULTILINE):
            names.append(re.compile("^" + re.escape(n) + "$"))
    return names


def missing_targets(root, mutant):
    """The mutant's targets that no BUILD file declares (a text search, not a Bazel query)."""
    missing = []
    for label in mutant.targets:
        package, name = LABEL_RE.match(label).groups()
        build = os.path.join(root, package, "BUILD")
        if not os.path.isfile(build):
            build += ".bazel"
        try:
            with open(build, encoding="utf-8") as f:
                names = _build_names(f.read())
        except FileNotFoundError:
            missing.append(label)
            continue
        if not any(n.match(name) for n in names):
            missing.append(label)
    return missing
