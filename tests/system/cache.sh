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
#   xen/            src/ (a copy of the Xen source with the project's patch
#                   series applied), xen-ioreq (the hypervisor), its .config
#                   (stamp xen)
#   arm64/          pcipt cross build (make BUILD=...; make decides)
#   dom0-root/ domu-root/ dom0-initrd.gz                     (stamp initrd)
#   logs/           every log: apt, build, QEMU serial, daemon logs
#   stamps/NAME     the key a step was last completed with

HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross make flex bison
 python3 dpkg-dev xz-utils cpio gzip ca-certificates pkg-config debian-archive-keyring patch
 linux-kbuild-6.1 bc"

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

# Hypervisor options on top of Debian's arm64 config (docs/xen-facts.md
# "CONFIG_IOREQ_SERVER"),
# and the SMMUv3 with PCI passthrough of the patch series
# (docs/notes/xen-patches.md).
XEN_CONFIG='CONFIG_EXPERT=y\nCONFIG_UNSUPPORTED=y\nCONFIG_IOREQ_SERVER=y\nCONFIG_HAS_ITS=y\nCONFIG_ARM_SMMU_V3=y\nCONFIG_ARM_PCI_PASSTHROUGH_PCIPT=y\n'
XEN_CONFIG_REQUIRED="CONFIG_IOREQ_SERVER CONFIG_ARM_SMMU_V3 CONFIG_ARM_PCI_PASSTHROUGH_PCIPT CONFIG_HAS_PCI"
# The project's Xen patch series, applied in name order to the source.
XEN_PATCHES=$ROOT/toolstack-hooks/xen-patches/4.17
xen_patches_key() { cat "$XEN_PATCHES"/*.patch 2>/dev/null | sha256sum | cut -c1-16; }

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

# archive_uri SUITE: the URI that serves SUITE in this machine's own apt
# configuration (the repository names no package host).  apt-get indextargets
# first, then the sources files themselves (deb822 and one-line formats).
archive_uri() {
    local u
    u=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null | awk -v s="$1" '$2 == s { print $1; exit }')
    [ -n "$u" ] || u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$1" '
        function flush() { if (ok && uri != "" && t ~ /(^| )deb( |$)/) { print uri; ok = 0; uri = ""; exit } ok = 0; uri = ""; t = "" }
        /^[ \t]*$/ { flush(); next }
        /^Types:/ { t = $0 }
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
        END { flush() }')
    [ -n "$u" ] || u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v s="$1" '
        $1 == "deb" || $1 == "deb-src" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
                                         if ($(i + 1) == s) { print $i; exit } }')
    [ -n "$u" ] || return 1
    echo "${u%/}"
}

# QEMU >= 8.1: Debian 12's 7.2 SMMUv3 has no stage 2, which Xen needs
# (docs/notes/xen-patches.md).  bookworm-backports has 10.0.x.
BACKPORTS_LIST=/etc/apt/sources.list.d/pcipt-systest-backports.sources
qemu_new_enough() {
    local v; v=$(dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null) || return 1
    [ -n "$v" ] && dpkg --compare-versions "$v" ge 1:8.1
}

step_host() {
    local miss uri; miss=$(missing_host_pkgs)
    [ -z "$miss" ] && qemu_new_enough && return 0
    echo "installing host packages:" $miss "(qemu-system-arm from bookworm-backports)"
    [ "$(id -u)" = 0 ] || { echo "FAIL prepare host: run as root to install them"; return 1; }
    if [ ! -e "$BACKPORTS_LIST" ]; then
        uri=$(archive_uri bookworm) || { echo "FAIL prepare host: no apt source serves bookworm"; return 1; }
        cat > "$BACKPORTS_LIST" <<EOF
# written by pcipt tests/system/cache.sh: QEMU >= 8.1 (SMMUv3 stage 2)
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt-get update > "$W/logs/host-apt-update.log" 2>&1
    miss=$(echo $miss | tr ' ' '\n' | grep -vx qemu-system-arm || true)
    : > "$W/logs/host-apt.log"
    # shellcheck disable=SC2086
    [ -z "$miss" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $miss \
        >> "$W/logs/host-apt.log" 2>&1 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -t bookworm-backports qemu-system-arm >> "$W/logs/host-apt.log" 2>&1 || return 1
    qemu_new_enough || { echo "FAIL prepare host: qemu-system-arm $(dpkg-query -W -f='${Version}' qemu-system-arm) < 8.1"; return 1; }
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
    # and its headers: the system test's kernel module (msitest/) is built against them
    local kv=${kpkg#linux-image-}
    (cd "$W/debs" && apt-get $A64 download "${kpkg}-unsigned" "linux-headers-$kv" \
        "linux-headers-${kv%-arm64}-common" $ARM64_PKGS) \
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
    local main sec
    main=$(archive_uri bookworm) || { echo "no apt source serves bookworm"; return 1; }
    sec=$(archive_uri bookworm-security) || sec=
    mkdir -p "$W/srcapt/sources.list.d" "$W/srcapt/lists/partial"
    {
        printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\n' "$main"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        [ -z "$sec" ] || printf '\nTypes: deb-src\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$sec"
    } > "$W/srcapt/sources.list.d/src.sources"
}

step_xensrc() {
    local v bv
    rm -rf "$W/src"; mkdir -p "$W/src"
    write_src_sources || return 1
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
    local s o=$W/xen p c
    rm -rf "$o"; mkdir -p "$o"
    # a fresh copy of the unpacked source: the patches apply to it once
    cp -a "$(cat "$W/src/DIR")" "$o/src" || return 1
    s=$o/src
    : > "$W/logs/xen-patch.log"
    for p in "$XEN_PATCHES"/*.patch; do
        [ -e "$p" ] || continue
        echo "== $(basename "$p")" >> "$W/logs/xen-patch.log"
        patch -d "$s" -p1 --forward --no-backup-if-mismatch < "$p" >> "$W/logs/xen-patch.log" 2>&1 ||
            { echo "patch $(basename "$p") does not apply (see $W/logs/xen-patch.log)"; return 1; }
        basename "$p" >> "$o/patches-applied"
    done
    local M="make -C $s/xen XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
    $M distclean > "$W/logs/xen-clean.log" 2>&1 || true
    cp "$W/sysroot/boot/xen-4.17-arm64.config" "$s/xen/.config" || return 1
    printf '%b' "$XEN_CONFIG" >> "$s/xen/.config"
    $M olddefconfig > "$W/logs/xen-olddefconfig.log" 2>&1 || return 1
    cp "$s/xen/.config" "$o/xen.config" || return 1
    for c in $XEN_CONFIG_REQUIRED; do
        grep -q "^$c=y" "$o/xen.config" || { echo "$c not in .config"; return 1; }
    done
    $M -j"$JOBS" > "$W/logs/xen-build.log" 2>&1 || { tail -20 "$W/logs/xen-build.log"; return 1; }
    cp "$s/xen/xen" "$o/xen-ioreq"
}

kernel_image() { ls "$W"/sysroot/boot/vmlinuz-* | head -1; }

# The test module (msitest/pcipt_msitest.c) cross-built against Debian's
# linux-headers-<version>-arm64 in the sysroot.  Those headers include their
# -common half by an absolute path and take the build tools (fixdep,
# modpost) from linux-kbuild-6.1, which is installed on the host (the amd64
# build of the same source version): both are pointed at here.
step_kmod() {
    local kv h o=$W/kmod
    kv=$(basename "$(kernel_image)"); kv=${kv#vmlinuz-}
    h=$W/sysroot/usr/src/linux-headers-$kv
    [ -d "$h" ] && [ -d /usr/lib/linux-kbuild-6.1 ] || { echo "no headers for $kv or no linux-kbuild-6.1"; return 1; }
    sed -i "s#^include /usr/src/#include $W/sysroot/usr/src/#" "$h/Makefile" || return 1
    mkdir -p "$W/sysroot/usr/lib" && ln -sfn /usr/lib/linux-kbuild-6.1 "$W/sysroot/usr/lib/linux-kbuild-6.1" || return 1
    rm -rf "$o"; mkdir -p "$o"; cp "$HERE"/msitest/* "$o/" || return 1
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
        make -C "$h" M="$o" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules \
        > "$W/logs/kmod-build.log" 2>&1 || { tail -20 "$W/logs/kmod-build.log"; return 1; }
    aarch64-linux-gnu-strip --strip-debug "$o/pcipt_msitest.ko" || return 1
    grep -q "vermagic=$kv " <(aarch64-linux-gnu-strings "$o/pcipt_msitest.ko") ||
        { echo "pcipt_msitest.ko was not built for $kv"; return 1; }
}
kmod() { find "$W/sysroot/lib/modules" -name "$1.ko" | head -1; }

prepare_all() {
    step_host || { echo "FAIL prepare host packages (see $W/logs/host-apt.log)"; return 1; }
    cached fetch "$(keyof "$ARM64_PKGS" "kernel headers")" step_fetch
    cached sysroot "$(keyof "$(cat "$W/stamps/fetch")" 3)" step_sysroot
    cached xensrc "$(keyof "$(cat "$W/stamps/fetch")")" step_xensrc
    cached xen "$(keyof "$(cat "$W/stamps/xensrc")" "$XEN_CONFIG" "$(xen_patches_key)")" step_xen
    cached kmod "$(keyof "$(cat "$W/stamps/sysroot")" "$(cat "$HERE"/msitest/* | sha256sum)")" step_kmod
}
