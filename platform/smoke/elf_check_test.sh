#!/bin/bash
# Checks the smoke kernel and user ELFs built through the platform transition.
# Usage: elf_check_test.sh READELF KERNEL_ELF USER_ELF KERNEL_SYMS
set -euo pipefail
readelf="$1" kernel="$2" user="$3" syms="$4"
fails=0

check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

header() { "$readelf" --file-header "$1"; }
field() { header "$1" | sed -n "s/^ *$2: *//p"; }
no_segment() { ! "$readelf" --program-headers --wide "$1" | grep -q "^ *$2 "; }
first_load() { "$readelf" --program-headers --wide "$1" | awk '$1 == "LOAD" { print $3; exit }'; }

for f in "$kernel" "$user"; do
  name="$(basename "$f")"
  check "$name is ELF64"            [ "$(field "$f" Class)" = "ELF64" ]
  check "$name is x86-64"           [ "$(field "$f" Machine)" = "Advanced Micro Devices X86-64" ]
  check "$name is EXEC (non-PIE)"   grep -q '^EXEC' <<<"$(field "$f" Type)"
  check "$name has no PT_INTERP"    no_segment "$f" INTERP
  check "$name has no PT_DYNAMIC"   no_segment "$f" DYNAMIC
done

kentry="$(field "$kernel" 'Entry point address')"
check "kernel entry $kentry is 0xffffffff80200000" [ "$((kentry))" = "$((0xffffffff80200000))" ]
kload="$(first_load "$kernel")"
check "kernel first PT_LOAD vaddr $kload is 0xffffffff80200000" \
  [ "$((kload))" = "$((0xffffffff80200000))" ]

uload="$(first_load "$user")"
check "user first PT_LOAD vaddr $uload is 0x400000" [ "$((uload))" = "$((0x400000))" ]
uentry="$(field "$user" 'Entry point address')"
check "user entry $uentry is in [0x400000, 0x500000)" \
  [ "$((uentry >= 0x400000 && uentry < 0x500000))" = 1 ]

# The llvm-nm genrule consumed the transitioned kernel ELF.
check "kmain is a higher-half text symbol" grep -Eq '^ffffffff802[0-9a-f]{5} T kmain$' "$syms"

# Kernel code must not use SSE registers (-mgeneral-regs-only).
objdump="$(dirname "$readelf")/llvm-objdump"
if [ -x "$objdump" ]; then
  check "kernel has no xmm register use" \
    bash -c "! '$objdump' -d '$kernel' | grep -q '%xmm'"
fi

[ "$fails" -eq 0 ] && echo "all ELF checks passed"
exit "$fails"
