#!/usr/bin/env bash
# The user runtime's layering (docs/layout.md): svc/lib includes nothing of the kernel beyond
# what user programs share with it, core/abi/ and the freestanding core/lib/; no other core/
# header, no port header (platform/, arch/) and nothing of proofs/. Kernel-side glue lives
# elsewhere (the kernel domain: svc/kernel/). Arguments: every source file of svc/lib.
set -euo pipefail
(($# > 0)) || { echo "FAIL: no files to check"; exit 1; }
checked=0 bad=0 seen_syscall_h=0
for file in "$@"; do
  [[ "$file" == */svc/lib/syscall.h || "$file" == svc/lib/syscall.h ]] && seen_syscall_h=1
  # Each #include of a kernel-side header that is not core/abi/ or core/lib/.
  hits="$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<](core|platform|arch|proofs)/' "$file" |
    grep -vE '["<]core/(abi|lib)/' || true)"
  if [[ -n "$hits" ]]; then
    while IFS= read -r hit; do echo "FAIL: $file:$hit"; done <<<"$hits"
    bad=1
  fi
  checked=$((checked + 1))
done
# A file list that missed the runtime's own headers would check nothing that matters.
((seen_syscall_h)) || { echo "FAIL: svc/lib/syscall.h is not among the files checked"; exit 1; }
((bad == 0)) || exit 1
echo "svc/lib includes: $checked files, nothing of core/ beyond core/abi/ and core/lib/"
