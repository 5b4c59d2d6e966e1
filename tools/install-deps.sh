#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Installs the Debian 12 packages that building, testing, the docs and the
# benchmarks need. Idempotent: does nothing when all are installed. As root
# it installs what is missing; otherwise it says what to install and fails.

set -euo pipefail

packages=(
    g++
    cmake
    make
    libboost1.81-dev
    libboost-test1.81-dev
    libboost-container1.81-dev
    libboost1.81-tools-dev
    libssl-dev
    clang-16
    libclang-rt-16-dev
    asciidoctor
    ruby-rouge
    gnuplot-nox
    python3
    debootstrap
    gdb
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
