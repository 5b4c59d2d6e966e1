#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# A Debian release of another generation, in a directory, for building and
# testing with its compilers and its Boost (the CI matrix; see
# tools/run-tests.sh). As root, on a Debian machine.
#
#   tools/chroot.sh make <dir> <suite> <package>...
#       debootstrap (--variant=minbase) <suite> into <dir> with <package>s,
#       from the Debian archive this machine's apt configuration names. Does
#       nothing if <dir> was completed before with the same suite and packages.
#   tools/chroot.sh install <dir> <package>...
#       apt-get install into the chroot (what it replaces is removed).
#   tools/chroot.sh sync <dir>
#       copies this source tree (without build/) to <dir>/src.
#   tools/chroot.sh run <dir> <command>...
#       runs <command> inside, with /proc mounted while it runs.
#
# The archive's address is never written here: it is the first Debian
# archive (not its security archive) in /etc/apt/sources.list or
# /etc/apt/sources.list.d/, one-line or deb822 format.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
    echo "chroot.sh: $*" >&2
    exit 1
}

# The first http(s) URI of a Debian archive of type deb in this machine's apt
# configuration, whose suites are not security updates.
debian_mirror() {
    local f uri
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && files+=("$f")
    done
    for f in "${files[@]}"; do
        if [[ $f == *.list ]]; then
            uri=$(awk '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($i ~ /^https?:\/\// && $i !~ /security/ && $(i + 1) !~ /security/) {
                        print $i; exit
                    }
                }' "$f")
        else
            # deb822: stanzas separated by blank lines.
            uri=$(awk '
                function check() {
                    if (types ~ /(^| )deb( |$)/ && suites !~ /security/ && enabled != "no" &&
                        uris ~ /^https?:\/\// && uris !~ /security/) { print uris; done = 1 }
                    types = ""; uris = ""; suites = ""; enabled = ""
                }
                done { exit }
                /^[[:space:]]*$/ { check(); next }
                $1 == "Types:" { $1 = ""; types = $0 }
                $1 == "URIs:" { uris = $2 }
                $1 == "Suites:" { $1 = ""; suites = $0 }
                $1 == "Enabled:" { enabled = $2 }
                END { if (!done) check() }' "$f")
        fi
        if [[ -n "$uri" ]]; then
            echo "$uri"
            return
        fi
    done
}

mount_proc() {
    local dir="$1"
    if ! mountpoint -q "$dir/proc"; then
        mount -t proc proc "$dir/proc" 2>/dev/null || true
    fi
}

umount_proc() {
    local dir="$1"
    if mountpoint -q "$dir/proc"; then
        umount "$dir/proc" 2>/dev/null || umount -l "$dir/proc" 2>/dev/null || true
    fi
}

cmd="${1:-}"
[[ $# -ge 2 ]] || die "usage: chroot.sh make|install|sync|run <dir> ..."
dir="$2"
shift 2
[[ $(id -u) -eq 0 ]] || die "must run as root"

case "$cmd" in
    make)
        [[ $# -ge 1 ]] || die "make: no suite"
        suite="$1"
        shift
        stamp="$suite $*"
        if [[ -f "$dir/.boost-affine-chroot" && "$(cat "$dir/.boost-affine-chroot")" == "$stamp" ]]; then
            echo "chroot.sh: $dir is $suite already"
            exit 0
        fi
        command -v debootstrap > /dev/null || die "debootstrap is not installed"
        mirror="$(debian_mirror)"
        [[ -n "$mirror" ]] || die "no Debian archive in this machine's apt configuration"
        umount_proc "$dir"
        rm -rf "$dir"
        mkdir -p "$dir"
        include="$(IFS=,; echo "$*")"
        echo "chroot.sh: debootstrap $suite into $dir (${include:-no extra packages})"
        debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$dir" "$mirror"
        # No daemon may start inside; the archive's lists stay for `install`.
        printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
        chmod +x "$dir/usr/sbin/policy-rc.d"
        echo "$stamp" > "$dir/.boost-affine-chroot"
        ;;
    install)
        [[ -f "$dir/.boost-affine-chroot" ]] || die "$dir is not a chroot made by chroot.sh"
        mount_proc "$dir"
        trap 'umount_proc "$dir"' EXIT
        chroot "$dir" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@"
        ;;
    sync)
        [[ -f "$dir/.boost-affine-chroot" ]] || die "$dir is not a chroot made by chroot.sh"
        mkdir -p "$dir/src"
        # The tree as it is (a CI clone, or a working copy), without builds.
        find "$dir/src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
        tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$dir/src" -xf -
        ;;
    run)
        [[ -f "$dir/.boost-affine-chroot" ]] || die "$dir is not a chroot made by chroot.sh"
        mount_proc "$dir"
        trap 'umount_proc "$dir"' EXIT
        chroot "$dir" "$@"
        ;;
    *)
        die "unknown command '$cmd'"
        ;;
esac
