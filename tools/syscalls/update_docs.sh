#!/usr/bin/env bash
# Rewrites the system call table in docs/kernel.md from core/abi/syscalls.tbl.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 tools/syscalls/docs.py update docs/kernel.md core/abi/syscalls.tbl
echo "docs/kernel.md: system call table updated"
