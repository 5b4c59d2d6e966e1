#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Formats the C++ sources with .clang-format, which needs clang-format 16 or
# newer (RequiresClausePosition). With no arguments, every tracked .hpp/.cpp
# file; otherwise the files given. --check reports files that would change
# and fails if any would, changing nothing.

set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

fmt=""
for c in clang-format-16 clang-format-17 clang-format-18 clang-format-19 clang-format; do
    if command -v "$c" > /dev/null; then
        v=$("$c" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
        if [[ -n "$v" && "$v" -ge 16 ]]; then fmt="$c"; break; fi
    fi
done
if [[ -z "$fmt" ]]; then
    echo "format.sh: needs clang-format 16 or newer (Debian: apt-get install clang-format-16)" >&2
    exit 1
fi

check=0
if [[ "${1:-}" == "--check" ]]; then check=1; shift; fi
if [[ $# -eq 0 ]]; then
    mapfile -t files < <(git ls-files '*.hpp' '*.cpp' | grep -v '^example/\(asio\|beast\)/\|^test/asio/')
else
    files=("$@")
fi

if [[ $check -eq 1 ]]; then
    bad=0
    for f in "${files[@]}"; do
        if ! diff -q <("$fmt" "$f") "$f" > /dev/null; then echo "$f"; bad=1; fi
    done
    exit $bad
fi
"$fmt" -i "${files[@]}"
