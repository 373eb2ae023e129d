#!/bin/bash
# The host toolchain's default `sanitizers` feature must catch both bugs.
set -u
bin="$1"
for kind in asan ubsan; do
  out="$("$bin" "$kind" 2>&1)"
  rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "FAIL: $kind misbehaviour was not caught:"; echo "$out"; exit 1
  fi
  case "$kind" in
    asan) pattern="AddressSanitizer: heap-buffer-overflow" ;;
    ubsan) pattern="runtime error: signed integer overflow" ;;
  esac
  if ! grep -q "$pattern" <<<"$out"; then
    echo "FAIL: $kind output lacks '$pattern':"; echo "$out"; exit 1
  fi
  echo "ok: $kind caught (exit $rc)"
done
