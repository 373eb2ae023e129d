#!/usr/bin/env bash
# Runs every Linux conformance program on the host (test/linux/README.md).
#
#   host_test.sh COUNT PROGRAM...
#
# COUNT is the length of PROGRAMS (programs.bzl); exactly that many programs must be given, run
# and pass, so a list that lost its entries or a loop that ran nothing cannot pass. Each program
# runs in a directory of its own under $TEST_TMPDIR (its cwd, $TMPDIR and $TEST_TMPDIR), with
# stdin from /dev/null. It passes when it exits 0 within the time limit, writes nothing to
# stderr, at most one line to stdout, and leaves its directory empty.
set -uo pipefail

expected="${1:?usage: host_test.sh COUNT PROGRAM...}"
shift
if ! [[ "$expected" =~ ^[1-9][0-9]*$ ]] || (($# != expected)); then
  echo "host_test: expected $expected programs, got $# arguments" >&2
  exit 1
fi

scratch="${TEST_TMPDIR:?TEST_TMPDIR is not set}/linux"
mkdir -p "$scratch"
ran=0
passed=0
failed=()
for prog in "$@"; do
  name="$(basename "$prog")"
  path="$PWD/$prog"
  if [[ ! -x "$path" ]]; then
    echo "FAIL $name: $path is not an executable file"
    failed+=("$name")
    continue
  fi
  dir="$scratch/$name"
  mkdir "$dir" || exit 1
  status=0
  (cd "$dir" && TMPDIR="$dir" TEST_TMPDIR="$dir" timeout 60 "$path" </dev/null \
    >"$scratch/$name.out" 2>"$scratch/$name.err") || status=$?
  ran=$((ran + 1))
  out="$(<"$scratch/$name.out")"
  err="$(<"$scratch/$name.err")"
  left="$(ls -A "$dir")"
  lines=$(wc -l <"$scratch/$name.out")
  problem=""
  if ((status == 124)); then
    problem="timed out after 60 s"
  elif ((status != 0)); then
    problem="exit status $status"
  elif [[ -n "$err" ]]; then
    problem="wrote to stderr"
  elif ((lines > 1)); then
    problem="wrote $lines lines to stdout (at most 1 allowed)"
  elif [[ -n "$left" ]]; then
    problem="left files behind: $left"
  fi
  if [[ -n "$problem" ]]; then
    echo "FAIL $name: $problem"
    [[ -n "$err" ]] && printf '  stderr: %s\n' "$err"
    [[ -n "$out" ]] && printf '  stdout: %s\n' "$out"
    failed+=("$name")
  else
    echo "ok   $name${out:+  ($out)}"
    passed=$((passed + 1))
  fi
done

if ((${#failed[@]} > 0)); then
  echo "${#failed[@]} of $expected programs failed on the host: ${failed[*]}"
  exit 1
fi
if ((ran != expected || passed != expected)); then
  echo "host_test: $ran programs ran and $passed passed, but the list has $expected" >&2
  exit 1
fi
echo "$passed programs passed on the host"
