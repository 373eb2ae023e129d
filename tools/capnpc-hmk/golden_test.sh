#!/usr/bin/env bash
# Golden test of capnpc-hmk: generates the test schemas' headers twice (different output
# directories, schemas in the other order) and requires byte-identical output, equal to the
# checked-in goldens and to what the hmk_capnp_library rule built; the goldens must also be
# clang-format clean.
#
# Usage (from the BUILD rule): golden_test.sh CAPNP PLUGIN SCHEMA...
# Regenerate the goldens after an intended change: bazel run //tools/capnpc-hmk:update_goldens
set -euo pipefail

capnp="$PWD/$1"
plugin="$PWD/$2"
shift 2
schemas=("$@")
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
status=0
fail() {
  echo "FAIL: $*" >&2
  status=1
}

reversed=()
for ((i = ${#schemas[@]} - 1; i >= 0; i--)); do reversed+=("${schemas[i]}"); done
mkdir -p "$tmp/first" "$tmp/second"
"$capnp" compile -I. -o"$plugin:$tmp/first" "${schemas[@]}"
"$capnp" compile -I. -o"$plugin:$tmp/second" "${reversed[@]}"

if ! diff -r "$tmp/first" "$tmp/second"; then
  fail "the generator is not deterministic: two runs differ (diff above)"
fi

for schema in "${schemas[@]}"; do
  header="${schema%.capnp}.hmk.h"
  golden="$header.golden"
  [[ -f "$tmp/first/$header" ]] || { fail "$schema: no $header generated"; continue; }
  if ! diff -u "$golden" "$tmp/first/$header"; then
    fail "$header differs from $golden (diff above: - golden, + generated)"
  fi
  # The header the hmk_capnp_library rule built (a data dependency of this test).
  if ! cmp -s "$header" "$tmp/first/$header"; then
    fail "$header built by Bazel differs from the plugin's direct output"
  fi
  if command -v clang-format >/dev/null; then
    # The repository's .clang-format is at the runfiles root, above the golden.
    if ! clang-format --style=file --assume-filename="$PWD/$header" <"$golden" |
      diff -u "$golden" -; then
      fail "$golden is not clang-format clean (diff above: + what clang-format wants)"
    fi
  fi
done

if ((status != 0)); then
  echo >&2
  echo "If the change to the generated code is intended, regenerate the goldens with" >&2
  echo "  bazel run //tools/capnpc-hmk:update_goldens" >&2
  echo "and review the diff of tools/capnpc-hmk/testdata/*.hmk.h.golden." >&2
  exit 1
fi
echo "PASS: ${#schemas[@]} schemas match their goldens; two runs are byte-identical"
