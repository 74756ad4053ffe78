#!/bin/bash
# Build pcipt's Debian package: copy the tree (the files git tracks, and the
# untracked ones it does not ignore) to OUT/src, put this directory there as
# debian/, and run `dpkg-buildpackage -us -uc -b`.  The .deb lands in OUT.
#   build-deb.sh OUT
set -euo pipefail
out=${1:?usage: build-deb.sh OUT}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"; out=$(cd "$out" && pwd)
src=$out/src
rm -rf "$src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    (cd "$top" && git ls-files -z -co --exclude-standard | grep -zv '^toolstack-hooks/debian/' |
        xargs -0 cp --parents -t "$src")
else
    (cd "$top" && tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
cp -r "$top/toolstack-hooks/debian" "$src/debian"
rm -f "$src/debian/build-deb.sh"
# a clean environment: no make flags of an outer `make deb`
cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b > "$out/build.log" 2>&1 ||
    { tail -30 "$out/build.log"; echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
ls "$out"/pcipt_*.deb
