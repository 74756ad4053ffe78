#!/bin/bash
# pcipt's end-to-end system test: real Xen 4.17 (rebuilt with IOREQ) on arm64
# under QEMU TCG, Debian's arm64 kernel as dom0 and domU, QEMU's `edu` PCI
# device passed through by the cross-built pcipt.  See docs/testing/systest.md.
#
#   tests/system/systest.sh            run the test: PASS/FAIL per step
#   tests/system/systest.sh --demo     the same testbed, narrated for a person
#   tests/system/systest.sh --prepare  only fetch/build/cache (no boot)
# Env: SYSTEST_DIR (default build/systest), PCIPT_SRC (the pcipt tree to
#      cross-build, default this one; built out of tree into $SYSTEST_DIR/arm64,
#      or arm64-HASH for another tree), JOBS, MEM (QEMU MiB, default 1536),
#      QTIMEOUT (seconds for the whole QEMU run, default 1500: TCG is slow, and a loaded machine slower),
#      SYSTEST_SERVE=-v (--bringup: the daemon logs setup and traces every config access),
#      SYSTEST_REQUIRE=all|plumbing (which results decide the exit status).
# Exit status: 0 when every required step passed, 1 otherwise.
# Must run as root (apt-get for the host tools).  Needs Debian's archive.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=${SYSTEST_DIR:-$ROOT/build/systest}
PCIPT_SRC=$(cd "${PCIPT_SRC:-$ROOT}" && pwd)
# one build directory per source tree: make's timestamps must not mix trees
ARM64=$W/arm64
[ "$PCIPT_SRC" = "$ROOT" ] || ARM64=$W/arm64-$(echo "$PCIPT_SRC" | sha256sum | cut -c1-8)
JOBS=${JOBS:-$(nproc)}
MEM=${MEM:-1536}
QTIMEOUT=${QTIMEOUT:-1500}
REQUIRE=${SYSTEST_REQUIRE:-all}
MODE=test
case ${1:-} in
    --demo) MODE=demo ;;
    --prepare) MODE=prepare ;;
    --bringup) MODE=bringup ;;     # manual bring-up (bringup.sh), see its header
    "") ;;
    *) echo "usage: $0 [--demo|--prepare|--bringup]" >&2; exit 2 ;;
esac
mkdir -p "$W/logs"
T0=$(date +%s)

# shellcheck source=cache.sh
. "$HERE/cache.sh"
# shellcheck source=initramfs.sh
. "$HERE/initramfs.sh"

PLUMBING_STEPS="prepare-xen-ioreq prepare-pcipt-arm64 prepare-initramfs plumbing-xl
 plumbing-pcipt-runs plumbing-edu-dom0 plumbing-smmu plumbing-dom0-edu-id plumbing-dom0-edu-liveness
 plumbing-dom0-edu-factorial plumbing-dom0-edu-bind plumbing-dom0-edu-irq1 plumbing-dom0-edu-irq2
 plumbing-intx-alone plumbing-domU-create
 plumbing-domU-boot guest-lspci guest-lspci-bus guest-handshake"
SCENARIO_STEPS="step1-list step2-create step2-daemon step3-root-complex step3-edu step3-bar0
 step4-id step4-liveness step4-factorial step5-bind step5-irq1 step5-irq2
 step6-guest-remove step6-pci-detach step6-no-permission step6-unmapped step6-gone step6-destroy
 step6-daemon-gone step6-domain-gone step6-xenstore-clean step6-no-bar-traps
 step7-pci-attach step7-same-daemon step7-rescan step7-id step7-guest-remove step7-pci-detach
 msi-edu nvme-msix msi-unannounced-refused intx-hotplug
 check-ready dma-roundtrip dma-contained dma-quarantined dma-given-back dma-off-without-iommu
 nvme-dom0-read nvme-io
 xl-create-pci xl-pci-attach xl-pci-detach xl-watch-all xl-destroy-clean"

RESULTS=$W/logs/results.txt
: > "$RESULTS"
result() { echo "$1 $2" | tee -a "$RESULTS"; }

# ---------------------------------------------------------------- prepare
prepare_all
if grep -q '^CONFIG_IOREQ_SERVER=y' "$W/xen/xen.config"; then
    result PASS "prepare-xen-ioreq: hypervisor rebuilt from xen $(cut -d' ' -f3 "$W/src/VERSION") with CONFIG_IOREQ_SERVER=y"
else
    result FAIL "prepare-xen-ioreq: $W/xen/xen.config lacks CONFIG_IOREQ_SERVER=y"
fi

cross_build_pcipt() {
    local s=$W/sysroot l=$W/sysroot/usr/lib/aarch64-linux-gnu
    # a fresh make: nothing from an outer `make systest` (CC=, -j, BUILD=) leaks in
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    PKG_CONFIG_LIBDIR=$l/pkgconfig:$s/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$s \
    PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 \
    make -C "$PCIPT_SRC" -j"$JOBS" BUILD="$ARM64" CC=aarch64-linux-gnu-gcc PKG=pkg-config \
        LDFLAGS="-L$l -Wl,-rpath-link=$l -Wl,-rpath-link=$s/lib/aarch64-linux-gnu" \
        "$ARM64/pcipt" > "$W/logs/pcipt-cross-build.log" 2>&1
}
# dmatool: the edu DMA checks run in dom0 and the domU (static: no libraries)
build_dmatool() {
    aarch64-linux-gnu-gcc -static -s -O2 -Wall -Wextra -Werror -o "$ARM64/dmatool.tmp" "$HERE/dmatool.c" \
        >> "$W/logs/pcipt-cross-build.log" 2>&1 && mv "$ARM64/dmatool.tmp" "$ARM64/dmatool"
}
if cross_build_pcipt && file "$ARM64/pcipt" | grep -q 'ARM aarch64' && build_dmatool; then
    result PASS "prepare-pcipt-arm64: cross-built $ARM64/pcipt from $PCIPT_SRC, and dmatool"
else
    result FAIL "prepare-pcipt-arm64: cross build failed (tail of $W/logs/pcipt-cross-build.log):"
    tail -20 "$W/logs/pcipt-cross-build.log"
fi

if cached initrd "$(initrd_key)" build_initrds; then
    result PASS "prepare-initramfs: dom0 $(du -h "$W/dom0-initrd.gz" | cut -f1), domU $(du -h "$W/domu-initrd.gz" | cut -f1)"
else
    result FAIL "prepare-initramfs: no images (see $W/logs/initramfs.log); nothing to boot"
    exit 1
fi
echo "prepared in $(( $(date +%s) - T0 )) s"
[ "$MODE" = prepare ] && exit 0

# ------------------------------------------------------------------- boot
SERIAL=$W/logs/serial.log
# QEMU virt maps INTx of (slot, pin) onto 4 SPIs: (slot + pin) mod 4.  The
# PCI endpoints are edu (slot 1) and a file-backed nvme (slot 2; -nic none:
# no default virtio-net), so edu's line is its own.  dom0 checks that
# (plumbing-intx-alone).  The nvme image is new each run: the domU writes a
# pattern into it, checked here after QEMU exits (nvme-io).
# The SMMUv3 has stage 2 (QEMU >= 8.1), which Xen needs; Xen is built with
# the patch series of toolstack-hooks/xen-patches/4.17 and started with
# pci-passthrough=on, so dom0's PCI functions are SMMU masters attached to
# dom0 (plumbing-smmu).  dom0's MSIs are DMA writes to the host ITS's
# translater frame, which dom0's SMMU context (its p2m) maps only with patch
# 0007 (without it: dom0's nvme lost every interrupt, "I/O 12 QID 0
# timeout, completion polled").  edu's DMA mask covers guest RAM at 0x40000000.
QEMU=(qemu-system-aarch64
    -machine virt,virtualization=on,gic-version=3,iommu=smmuv3 -global arm-smmuv3.stage=2
    -cpu cortex-a57 -smp 2 -m "$MEM"
    -nographic -no-reboot -nic none
    -device edu,addr=01.0,dma_mask=0xffffffffffff
    -drive file="$W/nvme.img",if=none,id=nv0,format=raw -device nvme,drive=nv0,serial=pcipt0,addr=02.0
    -kernel "$W/xen/xen-ioreq"
    -append "console=dtuart dom0_mem=512M loglvl=all guest_loglvl=all bootscrub=false pci-passthrough=on"
    -device guest-loader,addr=0x42000000,kernel="$(kernel_image)",bootargs="console=hvc0 earlycon=xen rdinit=/init panic=-1 systest.mode=$MODE${SYSTEST_SERVE:+ systest.serve=$SYSTEST_SERVE}"
    -device guest-loader,addr=0x4c000000,initrd="$W/dom0-initrd.gz")
echo "booting Xen + dom0 under QEMU (serial: $SERIAL, limit $QTIMEOUT s)"
TB=$(date +%s)
: > "$SERIAL"
rm -f "$W/nvme.img"; truncate -s 128M "$W/nvme.img"
# timeout forwards a TERM it gets to QEMU; on our exit (or ^C) QEMU goes too
timeout --signal=KILL "$QTIMEOUT" "${QEMU[@]}" < /dev/null > "$SERIAL" 2>&1 &
QPID=$!
trap 'kill $QPID 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
if [ "$MODE" = demo ]; then
    # show what a person wants to see: narration, results, the guest's console
    # (left out: the guest kernel's boot messages, and the guest's PASS/FAIL
    # lines, which dom0 relays as its own)
    tail --pid=$QPID -n +1 -F "$SERIAL" 2>/dev/null | sed -u 's/\r$//' | grep -a --line-buffered -E '^(==>|SYSTEST |GUEST\| |pcipt)' \
        | grep -a --line-buffered -v -E '^GUEST\| (\[ *[0-9]+\.[0-9]+\]|GUEST (PASS|FAIL) |go$)' &
    TPID=$!
fi
set +e; wait $QPID; QRC=$?; set -e
[ "$MODE" = demo ] && { wait $TPID 2>/dev/null || true; }      # tail ends with QEMU (--pid)
TBOOT=$(( $(date +%s) - TB ))
tr -d '\r' < "$SERIAL" > "$SERIAL.txt"
grep -a '^GUEST| ' "$SERIAL.txt" | cut -c8- > "$W/logs/guest-console.log" || true
grep -a '^PCIPTD| ' "$SERIAL.txt" | cut -c9- > "$W/logs/pciptd.log" || true
if grep -aq '^SYSTEST END' "$SERIAL.txt"; then
    result PASS "qemu-run: dom0 scenario ran to its end in $TBOOT s"
else
    result FAIL "qemu-run: dom0 scenario did not finish (QEMU rc=$QRC after $TBOOT s; 137 = killed at the $QTIMEOUT s limit)"
fi

# ---------------------------------------------------------------- report
if [ "$MODE" = demo ]; then               # already shown live
    grep -a -E '^SYSTEST INFO ' "$SERIAL.txt" | cut -c9- >> "$RESULTS"
else
    grep -a -E '^SYSTEST INFO ' "$SERIAL.txt" | cut -c9- | tee -a "$RESULTS"
fi
status_of() { # step -> PASS/FAIL line from dom0, or a FAIL for a step never reached
    local l
    l=$(grep -a -E "^SYSTEST (PASS|FAIL) $1:" "$SERIAL.txt" | cut -c9- | tail -1)
    echo "${l:-FAIL $1: no result (never reached)}"
}
# nvme-io: the domU wrote a random pattern through its nvme driver and read
# it back (dom0 relays "SYSTEST NVME-PATTERN offset=O len=L sha256=H
# readback=ok ..."); the image file must hold it at O
nvme_io_result() {
    local l o n h f
    l=$(grep -a -m1 '^SYSTEST NVME-PATTERN offset=' "$SERIAL.txt" | cut -c22-)
    o=$(echo "$l" | sed -n 's/^offset=\([0-9]*\) .*/\1/p'); n=$(echo "$l" | sed -n 's/.* len=\([0-9]*\) .*/\1/p')
    h=$(echo "$l" | sed -n 's/.* sha256=\([0-9a-f]*\) .*/\1/p')
    [ -n "$o" ] && [ -n "$n" ] && [ -n "$h" ] || { echo "FAIL nvme-io: no pattern line from the domU (${l:-none})"; return; }
    f=$(dd if="$W/nvme.img" bs=4096 skip=$((o / 4096)) count=$((n / 4096)) 2>/dev/null | sha256sum | cut -d' ' -f1)
    if echo "$l" | grep -q 'readback=ok' && [ "$f" = "$h" ]; then
        echo "PASS nvme-io: the domU's nvme driver wrote $n random bytes at $o and read them back; $W/nvme.img holds them there (sha256 ${h:0:16}...)"
    else
        echo "FAIL nvme-io: domU: $l; image at $o: sha256 $f"
    fi
}
# nvme-msix: the domU's nvme driver ran on MSI-X through the vITS ("NVME
# msix queues=Q its-msi=M counting=C" relayed by dom0: every nvme vector an
# ITS-MSI one, each counting, at least the admin and one I/O queue) and the
# I/O check passed with it
nvme_msix_result() {
    local l q m c
    l=$(grep -a -m1 '^GUEST| GUEST NVME msix ' "$SERIAL.txt" | cut -c19-)
    q=$(echo "$l" | sed -n 's/^msix queues=\([0-9]*\) .*/\1/p'); m=$(echo "$l" | sed -n 's/.* its-msi=\([0-9]*\) .*/\1/p')
    c=$(echo "$l" | sed -n 's/.* counting=\([0-9]*\):.*/\1/p')
    if [ -n "$q" ] && [ "$q" -ge 2 ] && [ "$m" = "$q" ] && [ "$c" = "$q" ] && nvme_io_result | grep -q '^PASS'; then
        echo "PASS nvme-msix: the domU's nvme driver used $q MSI-X vectors through the vITS, all counting, and nvme-io passed: $l"
    else
        echo "FAIL nvme-msix: ${l:-no NVME msix line from the domU}; nvme-io: $(nvme_io_result | cut -c1-4)"
    fi
}
failed_required=0
for s in $PLUMBING_STEPS $SCENARIO_STEPS; do
    case $s in prepare-*) l=$(grep -E "^(PASS|FAIL) $s:" "$RESULTS" | tail -1) ;;
               nvme-io) l=$(nvme_io_result); echo "$l" >> "$RESULTS" ;;
               nvme-msix) l=$(nvme_msix_result); echo "$l" >> "$RESULTS" ;;
               *) l=$(status_of "$s"); echo "$l" >> "$RESULTS" ;; esac
    [ "$MODE" = demo ] || case $s in prepare-*) ;; *) echo "$l" ;; esac
    case $l in FAIL*)
        case " $PLUMBING_STEPS " in *" $s "*) failed_required=1 ;;
            *) [ "$REQUIRE" = all ] && failed_required=1 ;; esac ;;
    esac
done
grep -q '^FAIL qemu-run' "$RESULTS" && failed_required=1
npass=$(grep -c '^PASS' "$RESULTS" || true); nfail=$(grep -c '^FAIL' "$RESULTS" || true)
if [ $nfail -gt 0 ] && [ "$MODE" != demo ]; then
    echo "----- tail of the serial log ($SERIAL.txt)"
    grep -av -E '^(GUEST|PCIPTD)\| ' "$SERIAL.txt" | tail -25
    echo "----- tail of the guest console ($W/logs/guest-console.log)"
    tail -15 "$W/logs/guest-console.log"
    echo "----- tail of the daemon logs ($W/logs/pciptd.log)"
    tail -15 "$W/logs/pciptd.log"
fi
echo "systest: total $(( $(date +%s) - T0 )) s (boot $TBOOT s); logs in $W/logs"
# the closing line, alone, in the form CI reads: "systest: N passed, N failed"
echo "systest: $npass passed, $nfail failed"
exit $failed_required
