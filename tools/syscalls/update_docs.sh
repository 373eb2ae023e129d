#!/usr/bin/env bash
# Rewrites the docs generated from the system call tables: the table in docs/kernel.md from
# core/abi/syscalls.tbl, docs/linux-syscalls.md from linuxcompat/syscalls.tbl.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 tools/syscalls/docs.py update docs/kernel.md core/abi/syscalls.tbl
echo "docs/kernel.md: system call table updated"
python3 tools/syscalls/linux_gen.py linuxcompat/syscalls.tbl docs docs/linux-syscalls.md
echo "docs/linux-syscalls.md: rewritten"
