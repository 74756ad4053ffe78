# tests/system/cache.sh: the cached preparation steps of the system test
# (sourced by systest.sh).  Everything comes from Debian's archive: host tools
# with apt-get, arm64 .debs with `apt-get download` into a private apt state,
# the Xen source with `apt-get source`.  Each step runs through `cached`, which
# skips it when its stamp holds the same key (the step's inputs) as now.
#
# Layout under $W (build/systest):
#   apt/ srcapt/    private apt state (arm64 binary lists, deb-src lists)
#   debs/           the arm64 .debs                          (stamp fetch)
#   sysroot/        every .deb extracted: cross-build sysroot and the
#                   source of every file put in the initramfs (stamp sysroot)
#   src/            Xen source package, unpacked            (stamp xensrc)
#   xen/            xen-ioreq (the hypervisor), its .config, build logs
#                   (stamp xen)
#   arm64/          pcipt cross build (make BUILD=...; make decides)
#   dom0-root/ domu-root/ dom0-initrd.gz                     (stamp initrd)
#   logs/           every log: apt, build, QEMU serial, daemon logs
#   stamps/NAME     the key a step was last completed with

HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross make flex bison
 python3 dpkg-dev xz-utils cpio gzip ca-certificates pkg-config debian-archive-keyring"

# arm64 packages.  Guests: busybox, the Xen tools (real xenstored, xl), lspci.
# Sysroot for cross-building pcipt: the -dev packages and their libraries.
ARM64_PKGS="busybox-static
 xen-hypervisor-4.17-arm64 xen-utils-4.17 xen-utils-common xenstore-utils
 libxentoolcore1 libxentoollog1 libxencall1 libxendevicemodel1 libxenevtchn1
 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxenmisc4.17
 libc6 libgcc-s1 libyajl2 libfdt1 zlib1g libuuid1 libncurses6 libtinfo6 libext2fs2
 libcom-err2 libblkid1 libzstd1 liblzma5 libbz2-1.0
 pciutils libpci3 pci.ids libkmod2 libudev1 libssl3 libcap2
 libxen-dev libpci-dev libfdt-dev libudev-dev zlib1g-dev"

# Hypervisor options on top of Debian's arm64 config (docs/xen-facts.md "CONFIG_IOREQ_SERVER").
XEN_CONFIG='CONFIG_EXPERT=y\nCONFIG_UNSUPPORTED=y\nCONFIG_IOREQ_SERVER=y\nCONFIG_HAS_ITS=y\n'

A64="-oAPT::Architecture=arm64 -oAPT::Architectures=arm64 -oDir::State::status=/dev/null
 -oDir::State::Lists=$W/apt/lists -oDir::Cache=$W/apt/cache"
SRCO="-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts=$W/srcapt/sources.list.d
 -oDir::State::Lists=$W/srcapt/lists"

keyof() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# cached NAME KEY FUNC [ARGS]: run FUNC unless stamps/NAME holds KEY.
# FUNC must return non-zero on failure by itself (`|| return 1`): set -e is
# off when `cached` runs inside a condition.
# Prints one line: "CACHED name" or "BUILT name (N s)"; a failure is a FAIL.
cached() {
    local name=$1 key=$2 t0 rc; shift 2
    mkdir -p "$W/stamps"
    if [ "$(cat "$W/stamps/$name" 2>/dev/null)" = "$key" ]; then
        echo "CACHED $name"
        return 0
    fi
    rm -f "$W/stamps/$name"
    t0=$(date +%s)
    set +e; ( set -e; "$@" ); rc=$?; set -e
    if [ $rc -ne 0 ]; then
        echo "FAIL prepare $name (rc=$rc; logs in $W/logs)"
        return $rc
    fi
    echo "$key" > "$W/stamps/$name"
    echo "BUILT $name ($(( $(date +%s) - t0 )) s)"
}

missing_host_pkgs() {
    local p
    for p in $HOST_PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

step_host() {
    local miss; miss=$(missing_host_pkgs)
    [ -z "$miss" ] && return 0
    echo "installing host packages:" $miss
    [ "$(id -u)" = 0 ] || { echo "FAIL prepare host: run as root to install them"; return 1; }
    apt-get update > "$W/logs/host-apt-update.log" 2>&1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $miss \
        > "$W/logs/host-apt.log" 2>&1
}

step_fetch() {
    rm -rf "$W/debs"
    mkdir -p "$W"/apt/lists/partial "$W"/apt/cache/archives/partial "$W"/debs
    # shellcheck disable=SC2086
    apt-get $A64 update > "$W/logs/arm64-update.log" 2>&1 || return 1
    # newest Debian arm64 kernel flavour (the unsigned variant has the same Image)
    local kpkg
    # shellcheck disable=SC2086
    kpkg=$(apt-cache $A64 depends linux-image-arm64 | awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$kpkg" ] || { echo "no arm64 kernel package found"; return 1; }
    # shellcheck disable=SC2086
    (cd "$W/debs" && apt-get $A64 download "${kpkg}-unsigned" $ARM64_PKGS) \
        > "$W/logs/arm64-download.log" 2>&1 || { tail -5 "$W/logs/arm64-download.log"; return 1; }
}

step_sysroot() {
    local d
    rm -rf "$W/sysroot"; mkdir -p "$W/sysroot"
    for d in "$W"/debs/*.deb; do dpkg-deb -x "$d" "$W/sysroot" || return 1; done
    # modules: make the ones the initramfs needs plain .ko files
    find "$W/sysroot/lib/modules" -name '*.ko.xz' -exec xz -d {} + || return 1
    find "$W/sysroot/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} + 2>/dev/null || true
}

write_src_sources() {
    mkdir -p "$W/srcapt/sources.list.d" "$W/srcapt/lists/partial"
    cat > "$W/srcapt/sources.list.d/src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

step_xensrc() {
    local v bv
    rm -rf "$W/src"; mkdir -p "$W/src"
    write_src_sources
    # shellcheck disable=SC2086
    apt-get $SRCO update > "$W/logs/src-update.log" 2>&1 || return 1
    bv=$(dpkg-deb -f "$W"/debs/xen-hypervisor-4.17-arm64_*.deb Version)
    : > "$W/logs/src-get.log"
    # the binary hypervisor's version first; the mirror may lack its source
    # shellcheck disable=SC2086
    for v in $bv $(apt-cache $SRCO showsrc xen | awk '/^Version:/{print $2}' | sort -rV); do
        (cd "$W/src" && apt-get $SRCO source "xen=$v") >> "$W/logs/src-get.log" 2>&1 && break
        v=
    done
    [ -n "$v" ] || { echo "no xen source could be fetched"; return 1; }
    echo "xen source $v (binary hypervisor $bv)" > "$W/src/VERSION"
    ls -d "$W"/src/xen-4.17*/ | head -1 > "$W/src/DIR"
}

step_xen() {
    local s o=$W/xen
    s=$(cat "$W/src/DIR")
    local M="make -C $s/xen XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
    rm -rf "$o"; mkdir -p "$o"
    $M distclean > "$W/logs/xen-clean.log" 2>&1 || true
    cp "$W/sysroot/boot/xen-4.17-arm64.config" "$s/xen/.config" || return 1
    printf '%b' "$XEN_CONFIG" >> "$s/xen/.config"
    $M olddefconfig > "$W/logs/xen-olddefconfig.log" 2>&1 || return 1
    cp "$s/xen/.config" "$o/xen.config" || return 1
    grep -q '^CONFIG_IOREQ_SERVER=y' "$o/xen.config" || { echo "IOREQ_SERVER not in .config"; return 1; }
    $M -j"$JOBS" > "$W/logs/xen-build.log" 2>&1 || { tail -20 "$W/logs/xen-build.log"; return 1; }
    cp "$s/xen/xen" "$o/xen-ioreq"
}

kernel_image() { ls "$W"/sysroot/boot/vmlinuz-* | head -1; }
kmod() { find "$W/sysroot/lib/modules" -name "$1.ko" | head -1; }

prepare_all() {
    step_host || { echo "FAIL prepare host packages (see $W/logs/host-apt.log)"; return 1; }
    cached fetch "$(keyof "$ARM64_PKGS")" step_fetch
    cached sysroot "$(keyof "$(cat "$W/stamps/fetch")" 3)" step_sysroot
    cached xensrc "$(keyof "$(cat "$W/stamps/fetch")")" step_xensrc
    cached xen "$(keyof "$(cat "$W/stamps/xensrc")" "$XEN_CONFIG")" step_xen
}
