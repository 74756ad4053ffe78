# tests/system/initramfs.sh: the dom0 and domU initramfs images (sourced by
# systest.sh).  Every file comes from the extracted arm64 .debs ($W/sysroot),
# the cross-built pcipt, and the scripts next to this file.
#
# dom0: the Debian userland of the .debs (Xen tools, real xenstored, xl,
#       libraries, busybox), Xen + uio kernel modules, pcipt, /init =
#       dom0-init.sh, and under /boot the domU kernel and initramfs.
# Both: dmatool (dmatool.c, edu DMA checks): dom0 /usr/local/bin, domU /usr/bin;
#       the test module pcipt_msitest.ko (msitest/) in /lib/modules.
# domU: busybox, lspci with the libraries it needs (ELF closure), pci.ids,
#       uio + uio_pci_generic, /init = guest-init.sh.

# nvme and what it needs, in load order (insmod: no modules.dep)
NVME_MODULES="crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme"
DOM0_MODULES="xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-pciback uio uio_pci_generic $NVME_MODULES"
DOMU_MODULES="uio uio_pci_generic $NVME_MODULES"
LIBDIRS="lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu"

mk_cpio() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$2.tmp" && mv "$2.tmp" "$2"
}

# find_lib NAME: the sysroot path of a shared library, or nothing
find_lib() {
    local d
    for d in $LIBDIRS; do
        [ -e "$W/sysroot/$d/$1" ] && { echo "$W/sysroot/$d/$1"; return 0; }
    done
    return 1
}

# copy_elf ROOT FILE...: copy the libraries FILE needs (DT_NEEDED, recursively)
# into ROOT/lib/aarch64-linux-gnu; fails naming a library it cannot find.
copy_elf_libs() {
    local root=$1 f n p; shift
    mkdir -p "$root/lib/aarch64-linux-gnu"
    for f in "$@"; do
        for n in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$root/lib/aarch64-linux-gnu/$n" ] && continue
            p=$(find_lib "$n") || { echo "library $n (needed by $f) not in the arm64 sysroot"; return 1; }
            cp -L "$p" "$root/lib/aarch64-linux-gnu/$n"
            copy_elf_libs "$root" "$root/lib/aarch64-linux-gnu/$n" || return 1
        done
    done
}

copy_modules() { # ROOT MODULE...
    local root=$1 m p; shift
    mkdir -p "$root/lib/modules"
    for m in "$@"; do
        p=$(kmod "$m")
        [ -n "$p" ] || { echo "kernel module $m not found"; return 1; }
        cp "$p" "$root/lib/modules/"
    done
}

build_domu_root() {
    local r=$W/domu-root
    rm -rf "$r"; mkdir -p "$r"/{bin,sbin,usr/bin,usr/share/misc,dev,proc,sys,tmp,lib} || return 1
    cp "$W/sysroot/bin/busybox" "$r/bin/" || return 1
    cp "$W/sysroot/usr/bin/lspci" "$r/usr/bin/" || return 1
    install -m 0755 "$ARM64/dmatool" "$r/usr/bin/dmatool" || return 1
    cp "$W/sysroot/usr/share/misc/pci.ids" "$r/usr/share/misc/" || return 1
    cp -L "$W/sysroot/lib/ld-linux-aarch64.so.1" "$r/lib/" || return 1
    copy_elf_libs "$r" "$r/usr/bin/lspci" || return 1
    copy_modules "$r" $DOMU_MODULES || return 1
    cp "$W/kmod/pcipt_msitest.ko" "$r/lib/modules/" || return 1
    cp "$HERE/guest-init.sh" "$r/init" && chmod +x "$r/init" || return 1
    cp "$HERE/edu.sh" "$r/edu.sh" || return 1
    mk_cpio "$r" "$W/domu-initrd.gz"
}

build_dom0_root() {
    local r=$W/dom0-root
    rm -rf "$r"; mkdir -p "$r" || return 1
    (cd "$W/sysroot" && tar -c --exclude=./boot --exclude=./lib/modules --exclude=./usr/share/doc \
        --exclude=./usr/share/man --exclude=./usr/share/locale --exclude=./usr/include \
        --exclude='*.a' --exclude='./usr/lib/python3*' --exclude=./usr/lib/aarch64-linux-gnu/gconv \
        --exclude=./usr/lib/xen-4.17/bin/oxenstored --exclude=./usr/sbin/oxenstored \
        --exclude=./usr/lib/aarch64-linux-gnu/pkgconfig --exclude=./usr/src --exclude=./usr/lib/linux-kbuild-6.1 .) | tar -x -C "$r" || return 1
    mkdir -p "$r"/{bin,dev,proc,sys,tmp,run,boot,etc/xen,usr/local/bin} || return 1
    copy_modules "$r" $DOM0_MODULES || return 1
    cp "$W/kmod/pcipt_msitest.ko" "$r/lib/modules/" || return 1
    install -m 0755 "$ARM64/pcipt" "$r/usr/local/bin/pcipt" || return 1
    install -m 0755 "$ARM64/dmatool" "$r/usr/local/bin/dmatool" || return 1
    copy_elf_libs "$r" "$r/usr/local/bin/pcipt" || return 1
    cp "$(kernel_image)" "$r/boot/vmlinuz" || return 1
    cp "$W/domu-initrd.gz" "$r/boot/domu-initrd.gz" || return 1
    cp "$HERE/dom0-init.sh" "$r/init" && chmod +x "$r/init" || return 1
    cp "$HERE/edu.sh" "$r/edu.sh" || return 1
    cp "$HERE/bringup.sh" "$r/bringup.sh" || return 1
    mk_cpio "$r" "$W/dom0-initrd.gz"
}

build_initrds() {
    rm -f "$W/domu-initrd.gz" "$W/dom0-initrd.gz"
    build_domu_root > "$W/logs/initramfs.log" 2>&1 || { cat "$W/logs/initramfs.log"; return 1; }
    build_dom0_root >> "$W/logs/initramfs.log" 2>&1 || { cat "$W/logs/initramfs.log"; return 1; }
}

# the images depend on the sysroot, the scripts, this file and pcipt
initrd_key() {
    keyof "$(cat "$W/stamps/sysroot" 2>/dev/null)" "$(cat "$W/stamps/kmod" 2>/dev/null)" \
        "$(cat "$HERE/dom0-init.sh" "$HERE/guest-init.sh" "$HERE/edu.sh" "$HERE/bringup.sh" "$HERE/initramfs.sh" | sha256sum)" \
        "$(sha256sum < "$ARM64/pcipt" 2>/dev/null)" "$(sha256sum < "$ARM64/dmatool" 2>/dev/null)"
}
