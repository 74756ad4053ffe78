#!/bin/bash
# The Debian package, end to end: build it (toolstack-hooks/debian/), check
# what it holds, run lintian, then install it into a scratch dpkg root, run
# the installed pcipt, and remove and purge it again.  Prints one PASS/FAIL
# line per check and closes with "package: N passed, N failed".
#   tests/package/test-deb.sh OUT      (OUT: where the .deb is built)
set -uo pipefail
out=${1:?usage: test-deb.sh OUT}
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "package: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

if ! bash "$top/toolstack-hooks/debian/build-deb.sh" "$out" > /dev/null; then
    bad "deb-build: dpkg-buildpackage failed (see $out/build.log)"; finish
fi
deb=$(ls "$out"/pcipt_*.deb | head -1)
ver=$(dpkg-parsechangelog -l "$top/toolstack-hooks/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
check "deb-name: $(basename "$deb") is pcipt_${ver}_${arch}.deb" \
    test "$(basename "$deb")" = "pcipt_${ver}_${arch}.deb"

# what it holds: the binary, the shim, the unit, the man page, examples,
# the config file (a conffile) and the logrotate file
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/pcipt /usr/lib/pcipt/fakexen.so /usr/lib/systemd/system/pciptd@.service \
         /usr/lib/systemd/system/pcipt-watch.service \
         /usr/share/man/man1/pcipt.1.gz /usr/share/doc/pcipt/examples/guest-pcipt.cfg \
         /usr/share/doc/pcipt/examples/pcipt.conf /usr/share/doc/pcipt/copyright \
         /etc/xen/pcipt.conf /etc/logrotate.d/pcipt; do
    check "deb-has $f" grep -qxF "$f" <<< "$contents"
done
check "deb-conffiles: /etc/xen/pcipt.conf and /etc/logrotate.d/pcipt are conffiles" \
    bash -c "dpkg-deb -I '$deb' conffiles | sort | tr '\n' ' ' | grep -qx '/etc/logrotate.d/pcipt /etc/xen/pcipt.conf '"
check "deb-unit: ExecStart names the installed binary" \
    bash -c "dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/lib/systemd/system/pciptd@.service | grep -q '^ExecStart=/usr/bin/pcipt '"

# lintian: no errors (warnings are printed, not fatal)
lint=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1); rc=$?
[ -n "$lint" ] && sed 's/^/  lintian: /' <<< "$lint"
check "deb-lintian: no errors" test "$rc" = 0

# install into a scratch dpkg root, run, remove, purge
root=$(mktemp -d /tmp/pcipt-deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log/xen"
: > "$root/var/lib/dpkg/status"
D=(dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null)
check "deb-install: dpkg -i into a scratch root" bash -c "$(printf '%q ' "${D[@]}") -i '$deb' > '$out/install.log' 2>&1"
check "deb-runs: the installed pcipt --help prints its usage" \
    bash -c "'$root/usr/bin/pcipt' --help | grep -q '^usage: pcipt'"
check "deb-no-test-switches: the installed pcipt ignores PCIPT_XEN_CAPS (a test switch) and says so" \
    bash -c "PCIPT_XEN_CAPS=ioreq '$root/usr/bin/pcipt' check 2>&1 | grep -q '^pcipt: PCIPT_XEN_CAPS is ignored: this build does not honour test switches'"
check "deb-status: dpkg reports pcipt installed" \
    bash -c "dpkg-query --admindir='$root/var/lib/dpkg' -W -f='\${Status}' pcipt | grep -q 'install ok installed'"
check "deb-remove: dpkg -r leaves no binary, keeps conffiles" \
    bash -c "$(printf '%q ' "${D[@]}") -r pcipt > '$out/remove.log' 2>&1 && [ ! -e '$root/usr/bin/pcipt' ] && [ -e '$root/etc/xen/pcipt.conf' ]"
check "deb-purge: dpkg -P leaves nothing of pcipt" \
    bash -c "$(printf '%q ' "${D[@]}") -P pcipt > '$out/purge.log' 2>&1 && [ -z \"\$(cd '$root' && find . -path '*pcipt*' -not -path './var/lib/dpkg/*')\" ]"
finish
