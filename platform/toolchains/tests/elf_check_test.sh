#!/bin/bash
# Checks the kernel and a user program, built through the platform transitions, have the shape
# the boot loader and the kernel's ELF loader expect.
# Usage: elf_check_test.sh READELF KERNEL_ELF USER_ELF
set -euo pipefail
readelf="$1" kernel="$2" user="$3"
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

# The PVH loader jumps to the physical entry at 1 MiB; everything else is in the higher half.
kentry="$(field "$kernel" 'Entry point address')"
check "kernel entry $kentry is 0x100000" [ "$((kentry))" = "$((0x100000))" ]
check "kernel has the PVH note" bash -c "'$readelf' --notes '$kernel' | grep -q 'Xen.*0x00000012'"
higher="$("$readelf" --program-headers --wide "$kernel" | awk '$1 == "LOAD" { n++; if (n == 2) print $3 }')"
check "kernel text PT_LOAD vaddr $higher is in the top 2 GiB" \
  [ "$(( (higher & 0xffffffff80000000) == 0xffffffff80000000 ))" = 1 ]

uload="$(first_load "$user")"
check "user first PT_LOAD vaddr $uload is 0x400000" [ "$((uload))" = "$((0x400000))" ]
uentry="$(field "$user" 'Entry point address')"
check "user entry $uentry is in [0x400000, 0x500000)" \
  [ "$((uentry >= 0x400000 && uentry < 0x500000))" = 1 ]

# Kernel code must not use SSE registers (-mgeneral-regs-only).
objdump="$(dirname "$readelf")/llvm-objdump"
if [ -x "$objdump" ]; then
  check "kernel has no xmm register use" \
    bash -c "! '$objdump' -d '$kernel' | grep -q '%xmm'"
fi

[ "$fails" -eq 0 ] && echo "all ELF checks passed"
exit "$fails"
