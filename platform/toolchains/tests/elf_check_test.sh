#!/bin/bash
# Checks the kernel and a user program, built through the platform transitions, have the shape
# the boot loader and the kernel's ELF loader expect.
# Usage: elf_check_test.sh READELF OBJDUMP KERNEL_ELF USER_ELF
#
# Tool output is captured before it is searched: piping a tool into a grep that quits at the
# first match, under pipefail, fails with the tool's SIGPIPE and turns a found X into "not found".
set -euo pipefail
readelf="$1" objdump="$2" kernel="$3" user="$4"
fails=0
for tool in "$readelf" "$objdump"; do
  [[ -x "$tool" ]] || { echo "FAIL: $tool is not an executable"; exit 1; }
done

check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

# Each helper runs its tool into a variable, then searches the text.
field() {
  local text
  text="$("$readelf" --file-header "$1")"
  sed -n "s/^ *$2: *//p" <<<"$text"
}
segments() { "$readelf" --program-headers --wide "$1"; }
no_segment() {
  local text
  text="$(segments "$1")"
  ! grep -q "^ *$2 " <<<"$text"
}
nth_load() {  # nth_load FILE N: the virtual address of the Nth PT_LOAD
  local text
  text="$(segments "$1")"
  awk -v n="$2" '$1 == "LOAD" && ++seen == n { print $3 }' <<<"$text"
}
has_pvh_note() {
  local text
  text="$("$readelf" --notes "$1")"
  grep -q 'Xen.*0x00000012' <<<"$text"
}
no_xmm() {
  local text
  text="$("$objdump" -d "$1")"
  [[ -n "$text" ]] && ! grep -q '%xmm' <<<"$text"
}

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
check "kernel has the PVH note" has_pvh_note "$kernel"
higher="$(nth_load "$kernel" 2)"
check "kernel text PT_LOAD vaddr $higher is in the top 2 GiB" \
  [ "$(( (higher & 0xffffffff80000000) == 0xffffffff80000000 ))" = 1 ]

uload="$(nth_load "$user" 1)"
check "user first PT_LOAD vaddr $uload is 0x400000" [ "$((uload))" = "$((0x400000))" ]
uentry="$(field "$user" 'Entry point address')"
check "user entry $uentry is in [0x400000, 0x500000)" \
  [ "$((uentry >= 0x400000 && uentry < 0x500000))" = 1 ]

# Kernel code must not use SSE registers (-mgeneral-regs-only).
check "kernel has no xmm register use" no_xmm "$kernel"

[ "$fails" -eq 0 ] && echo "all ELF checks passed"
exit "$fails"
