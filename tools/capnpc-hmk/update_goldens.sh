#!/usr/bin/env bash
# Rewrites tools/capnpc-hmk/testdata/*.hmk.h.golden from the headers Bazel generated.
# Run as: bazel run //tools/capnpc-hmk:update_goldens
set -euo pipefail
[[ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]] || {
  echo "run me with: bazel run //tools/capnpc-hmk:update_goldens" >&2
  exit 1
}
for header in "$@"; do
  cat "$header" >"$BUILD_WORKSPACE_DIRECTORY/$header.golden"
  echo "updated $header.golden"
done
