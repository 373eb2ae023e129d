#!/usr/bin/env bash
# The two kernel link passes must place every function at the same address, or the built-in
# symbol table (taken from pass 1) would name the wrong functions in backtraces.
set -euo pipefail
ksyms_gen="$1" pass1="$2" final="$3"
"$ksyms_gen" --check "$pass1" "$final"
echo "kernel symbols: pass 1 and final image agree"
