#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Builds the documentation: doc/index.adoc -> doc/html/index.html.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$root/tools/install-deps.sh"

mkdir -p "$root/doc/html"
# --failure-level WARN: a broken include or cross reference fails the build.
asciidoctor \
    --failure-level WARN \
    -a source-highlighter=rouge \
    -D "$root/doc/html" \
    -o index.html \
    "$root/doc/index.adoc"

echo "Wrote $root/doc/html/index.html"
