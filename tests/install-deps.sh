#!/bin/bash
# Install the Debian packages pcipt needs to build and run its tests.
# Idempotent; quiet unless something is missing.
set -euo pipefail
PKGS=(build-essential pkg-config clang libpci-dev pciutils check libsubunit-dev
      libxen-dev libfdt-dev device-tree-compiler xenstore-utils xen-utils-4.17
      kmod groff-base man-db bsdextrautils libclang-rt-14-dev valgrind systemd
      dpkg-dev debhelper fakeroot lintian)
# libclang-rt-14-dev: the libFuzzer and sanitizer runtimes clang links (`make
# fuzz`, `fuzz-smoke`); only a Recommends of clang.  valgrind: `make bench`.
# systemd: `systemd-analyze verify` of the unit (tests/unit/xl/test_xl_systemd.c).
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
