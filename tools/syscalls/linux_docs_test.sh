#!/usr/bin/env bash
# docs/linux-syscalls.md is the page the build generates from linuxcompat/syscalls.tbl.
set -euo pipefail
checked_in="$1"
generated="$2"
if diff -u "$checked_in" "$generated" >"$TEST_TMPDIR/diff"; then
  echo "$checked_in: the page generated from linuxcompat/syscalls.tbl"
  exit 0
fi
cat "$TEST_TMPDIR/diff"
echo "$checked_in differs from the page generated from linuxcompat/syscalls.tbl; run" \
  "tools/syscalls/update_docs.sh"
exit 1
