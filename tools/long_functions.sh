#!/usr/bin/env bash
# Lists the functions longer than a limit in the C++ under the given directories, with
# clang-tidy's readability-function-size (LineThreshold): it counts the lines from a body's
# opening brace to its closing one, blank lines and comments included. Tests (*_test.cc) and the
# toolchain wrappers are left out; generated code is not tracked by git, so it is not looked at.
#
#   tools/long_functions.sh [--max=N] DIR...     (from the workspace root; N defaults to 80)
#
# Prints "path:line: function: N lines", longest first, and exits 1 if it found any. Files are
# parsed as host C++20 with the workspace, bazel-bin (generated headers) and the kernel's
# arch/context.h on the include path; a file that does not parse is named on stderr, because
# functions the parser gave up on are not counted.
set -euo pipefail

max=80
dirs=()
for arg in "$@"; do
  case "$arg" in
    --max=*) max="${arg#--max=}" ;;
    -*) echo "usage: $0 [--max=N] DIR..." >&2; exit 2 ;;
    *) dirs+=("${arg%/}") ;;
  esac
done
((${#dirs[@]})) || { echo "usage: $0 [--max=N] DIR..." >&2; exit 2; }

root="$(git rev-parse --show-toplevel)"
cd "$root"
mapfile -t files < <(git ls-files -co --exclude-standard -- "${dirs[@]/%//*.cc}" "${dirs[@]/%//*.h}" |
  grep -v -e '_test\.cc$' -e '^platform/toolchains/' -e '^third_party/' || true)
((${#files[@]})) || { echo "no C++ files under ${dirs[*]}" >&2; exit 2; }

include_dir="$root/.cache/lint-include"
mkdir -p "$include_dir/arch"
ln -sf "$root/platform/x86_64/context.h" "$include_dir/arch/context.h"
flags=(-x c++ -std=c++20 -I. -I"$include_dir" -I"$root/.cache/lint-generated" -Ibazel-bin
  -Wno-pragma-once-outside-header)
config="{Checks: '-*,readability-function-size', CheckOptions: [{key: readability-function-size.LineThreshold, value: $max}]}"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
# One file per clang-tidy run: headers are checked on their own, never through an includer.
for f in "${files[@]}"; do
  one="$(clang-tidy --quiet --config="$config" --header-filter='^$' "$f" -- "${flags[@]}" 2>/dev/null || true)"
  [[ "$one" != *" error: "* ]] || echo "warning: $f does not parse cleanly; its count may be short" >&2
  printf '%s\n' "${one//"$root/"/}" >>"$out"
done
# "path:L:C: warning: function 'name' exceeds ..." followed by "path:L:C: note: N lines ...".
result="$(awk '
  / warning: function .* exceeds recommended size/ {
    split($1, loc, ":"); name = $0; sub(/^.*function \x27/, "", name); sub(/\x27 exceeds.*$/, "", name)
    where = loc[1] ":" loc[2]; next
  }
  where != "" && / note: [0-9]+ lines including/ {
    n = $0; sub(/^.* note: /, "", n); sub(/ lines.*$/, "", n)
    if (!(where in seen)) { seen[where] = 1; print n "\t" where ": " name ": " n " lines" }
    where = ""
  }' "$out" | sort -t$'\t' -k1,1nr -k2 | cut -f2-)"
if [[ -n "$result" ]]; then
  echo "$result"
  status=1
fi
exit "$status"
