#!/usr/bin/env bash
# Bazel test entry for QEMU boot tests: runs tools/qemu/run.py with the test's arguments.
set -euo pipefail
here="$(dirname "$0")"
runner="${TEST_SRCDIR:-$here/..}/${TEST_WORKSPACE:-hmk}/tools/qemu/run.py"
[[ -f "$runner" ]] || runner="$here/run.py"
exec python3 "$runner" "$@"
