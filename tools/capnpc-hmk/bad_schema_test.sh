#!/usr/bin/env bash
# Runs capnpc-hmk on every schema in testdata/bad/ and requires that it fails, writes nothing,
# and prints exactly the problems listed in the schema's `# expect: <line>` comments (each line
# of stderr but capnp's own "plugin failed" line must be expected, and each expectation seen).
#
# Usage (from the BUILD rule): bad_schema_test.sh CAPNP PLUGIN SCHEMA...
set -euo pipefail

capnp="$PWD/$1"
plugin="$PWD/$2"
shift 2
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
for schema in "$@"; do
  out="$tmp/out/$(basename "$schema" .capnp)"
  mkdir -p "$out"
  rc=0
  "$capnp" compile -I. -o"$plugin:$out" "$schema" 2>"$tmp/stderr" >/dev/null || rc=$?
  grep '^# expect: ' "$schema" | sed 's/^# expect: //' >"$tmp/expected"
  grep -v 'plugin failed: exit code' "$tmp/stderr" >"$tmp/actual" || true
  ok=1
  if ((rc == 0)); then
    echo "FAIL $schema: capnp compile succeeded" >&2
    ok=0
  fi
  if [[ ! -s "$tmp/expected" ]]; then
    echo "FAIL $schema: no '# expect: ' line" >&2
    ok=0
  fi
  if [[ -n "$(find "$out" -type f)" ]]; then
    echo "FAIL $schema: the plugin wrote output despite the problems" >&2
    ok=0
  fi
  if ! diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
    echo "FAIL $schema: stderr is not the expected problem list (- expected, + actual):" >&2
    cat "$tmp/diff" >&2
    ok=0
  fi
  if ((ok)); then
    echo "PASS $schema"
  else
    failures=$((failures + 1))
  fi
done
if ((failures)); then
  echo "$failures of $# bad schemas did not fail as expected" >&2
  exit 1
fi
echo "all $# bad schemas rejected with the expected messages"
