#!/usr/bin/env bash
# The generated code built for the kernel and for user programs (the archives are this test's
# data, so a compile error already fails the build). Checks what the objects need from outside,
# only the transport (rpc::Channel::call, rpc::drop_cap) and the compiler's mem* helpers, and that the kernel's
# copy uses no SSE register.
# Usage: freestanding_test.sh LLVM_NM LLVM_OBJDUMP KERNEL_ARCHIVE USER_ARCHIVE
set -euo pipefail
nm="$1"
objdump="$2"
kernel="$3"
user="$4"
status=0
for archive in "$kernel" "$user"; do
  [[ -s "$archive" ]] || { echo "FAIL $archive: missing or empty" >&2; status=1; continue; }
  undefined="$("$nm" --undefined-only --demangle "$archive" |
    awk 'NF >= 2 { $1 = ""; print substr($0, 2) }' | sort -u)"
  unexpected="$(grep -v -e '^hmk::rpc::Channel::call(hmk::rpc::Message&) const$' \
    -e '^hmk::rpc::drop_cap(unsigned int)$' \
    -e '^memcpy$' -e '^memset$' -e '^memmove$' <<<"$undefined" || true)"
  if [[ -n "$unexpected" ]]; then
    echo "FAIL $archive needs symbols a freestanding program does not have:" >&2
    echo "$unexpected" >&2
    status=1
  else
    echo "PASS $archive needs only: $(tr '\n' ' ' <<<"$undefined")"
  fi
done
# The disassembly goes into a variable first: piping objdump into a grep that quits at the first
# match would, under pipefail, fail with objdump's SIGPIPE and so pass exactly when it should not.
disassembly="$("$objdump" -d "$kernel")"
[[ -n "$disassembly" ]] || { echo "FAIL $kernel: no disassembly" >&2; exit 1; }
if grep -q '%[xy]mm' <<<"$disassembly"; then
  echo "FAIL $kernel uses SSE registers (the kernel builds with -mgeneral-regs-only)" >&2
  status=1
else
  echo "PASS $kernel uses no SSE register"
fi
exit "$status"
