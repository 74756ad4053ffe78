#!/bin/busybox sh
# domU /init for the pcipt system test (tests/system/).  Runs inside the
# guest; every check prints "GUEST PASS <name>: ..." or "GUEST FAIL <name>: ...".
# dom0's scenario (dom0-init.sh) reads this console through xenconsoled's log
# and answers a "WAIT <what>" line by typing "go" into the guest console.
#
# Kernel command line: systest.guest=plain    plumbing only (lspci works)
#                      systest.guest=scenario steps 3-7 of the scenario, DMA
#                      systest.guest=nodma    edu attached with DMA off
#                      systest.guest=xl       xl pci-attach/-detach of edu, nvme from xl's pci=[...]
/bin/busybox --install -s /bin
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev

EDU_ID=1234:11e8
VSLOT=0000:00:01.0
MEM_LO=$((0x23000000)); MEM_HI=$((0x23000000 + 0x10000000))   # GUEST_VPCI_MEM

say() { echo "GUEST $*"; }
check() { # name condition-rc message
    if [ "$2" = 0 ]; then say "PASS $1: $3"; else say "FAIL $1: $3"; fi
}
# wait_go WHAT: tell dom0 we are waiting, block until it types "go" (or 300 s)
wait_go() {
    say "WAIT $1"
    local line
    while read -t 300 line; do
        case $line in *go*) GO_LINE=$line; return 0 ;; esac
    done
    say "FAIL handshake: no 'go' from dom0 for $1"
    return 1
}
. /edu.sh

# nvme_find: load the nvme driver, wait for its namespace; prints /dev/nvmeXn1
nvme_find() {
    local i=0 nb
    for m in crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme; do
        insmod /lib/modules/$m.ko 2>/dev/null
    done
    while [ $i -lt 450 ]; do
        for nb in /dev/nvme[0-9]n1 ""; do [ -b "$nb" ] && break; done
        [ -n "$nb" ] && { echo $nb; return 0; }
        sleep 0.2; i=$((i + 1))
    done
    return 1
}
# nvme_pattern DEV BLOCK: a random 64 KiB pattern written at 64 KiB block
# BLOCK and read back (O_DIRECT); prints "pattern offset=... readback=ok|MISMATCH ..."
nvme_pattern() {
    local h wrc rrc rb
    dd if=/dev/urandom of=/tmp/pat bs=65536 count=1 2>/dev/null
    h=$(sha256sum /tmp/pat | cut -d' ' -f1)
    dd if=/tmp/pat of=$1 bs=65536 seek=$2 count=1 oflag=direct conv=fsync 2>/tmp/w.txt; wrc=$?
    dd if=$1 of=/tmp/back bs=65536 skip=$2 count=1 iflag=direct 2>/tmp/r.txt; rrc=$?
    [ "$(wc -c < /tmp/pat)" = 65536 ] && cmp -s /tmp/pat /tmp/back && rb=ok || rb=MISMATCH
    echo "pattern offset=$(($2 * 65536)) len=65536 sha256=$h readback=$rb (write rc=$wrc, read rc=$rrc) on $1"
}

mode=$(sed -n 's/.*systest\.guest=\([a-z]*\).*/\1/p' /proc/cmdline)
say "INIT mode=$mode uptime=$(cut -d' ' -f1 /proc/uptime)"

if [ "$mode" = plain ]; then
    lspci --version >/dev/null 2>&1; check guest-lspci $? "lspci runs: $(lspci --version 2>&1)"
    lspci -n > /tmp/lspci.txt 2>&1; check guest-lspci-bus $? "lspci -n exit 0 ($(wc -l < /tmp/lspci.txt) device(s) without pcipt)"
    wait_go handshake && say "PASS guest-handshake: dom0 answered through the console"
    say "DONE"
    poweroff -f
fi

# ------------------------------------------- edu attached with DMA off
# (dom0 decides dma-off-without-iommu from these lines and pcipt status)
if [ "$mode" = nodma ]; then
    wait_go boot || true
    D=/sys/bus/pci/devices/$VSLOT
    echo 1 > $D/enable 2>/dev/null
    bm=$(dmatool bm $D 1 2>&1)
    rt=$(dmatool roundtrip $D 2>&1); rc=$?
    say "DMA off: bus master after setting it reads ${bm:-nothing}; roundtrip rc=$rc: $(echo $rt)"
    say "DONE"
    while :; do sleep 60; done
fi

# ------------------------------------------- xl's verbs (issue 16)
# Created by `pcipt create` from xl's `pci = [ "NVME@2" ]`; edu comes and goes
# with `xl pci-attach D EDU@3` / `xl pci-detach`.  dom0 decides the PASS
# lines from these "XL ..." lines, its own checks and Xen's log.
if [ "$mode" = xl ]; then
    wait_go boot || true
    lspci -n > /tmp/lspci.txt 2>&1
    say "XL lspci at boot: $(tr '\n' ';' < /tmp/lspci.txt)"
    nb=$(nvme_find)
    if [ -n "$nb" ]; then say "XL nvme $(nvme_pattern $nb 32)"; else say "XL nvme none: $(dmesg | grep -i nvme | tail -2 | tr '\n' ' ')"; fi
    wait_go attach || true
    X=/sys/bus/pci/devices/0000:00:03.0
    echo 1 > /sys/bus/pci/rescan
    say "XL lspci after xl pci-attach: $(lspci -n | tr '\n' ';')"
    XB=$(head -1 $X/resource 2>/dev/null | cut -d' ' -f1)
    if [ -e $X ] && [ -n "$XB" ] && [ $((XB)) -ne 0 ]; then
        echo 1 > $X/enable 2>/dev/null
        say "XL bar0 $XB id $(devmem $XB 32)"
        r=$(msitest msi $X 20 2>&1); say "XL msi rc=$?: $r"
        r=$(msitest intx $X 20 2>&1); say "XL intx rc=$?: $r"
        bm=$(dmatool bm $X 1 2>&1)
        r=$(dmatool roundtrip $X 2>&1); say "XL dma roundtrip rc=$? bm=$bm: $(echo $r)"
        dmatool dma $X 0x40000 0x48000000 64 3; say "XL dma stray edu -> 0x48000000 rc=$?"
    else
        say "XL no edu at 00:03.0 after rescan"
    fi
    wait_go attach-checked || true
    [ -e $X ] && echo 1 > $X/remove
    say "XL removed 00:03.0: $([ -e $X ] && echo no || echo yes)"
    wait_go detached || true
    if [ -n "$XB" ]; then
        v=$( (devmem $XB 32) 2>/dev/null )
        say "XL old bar0 $XB reads ${v:-nothing (access aborted)}"
    fi
    echo 1 > /sys/bus/pci/rescan
    say "XL lspci after xl pci-detach: $(lspci -n | tr '\n' ';')"
    say "DONE"
    while :; do sleep 60; done
fi

# ---------------------------------------------------------------- scenario
wait_go boot || true             # dom0 snapshots the daemon's boot-time stats

say "step3: lspci"
lspci -nn
lspci -n > /tmp/lspci.txt 2>&1
rc=$?
grep -q '^00:00.0 0600:' /tmp/lspci.txt
check step3-root-complex $? "lspci (rc=$rc) shows a host bridge (class 0600) at 00:00.0"
grep -q "^00:01.0 [0-9a-f]*: $EDU_ID" /tmp/lspci.txt
had_edu=$?
check step3-edu $had_edu "lspci shows edu ($EDU_ID) at 00:01.0"
# (2>/dev/null: lspci -v asks libkmod for modules.* files the initramfs lacks)
lspci -vv -s 00:01.0 2>/dev/null
bar=$(lspci -vv -s 00:01.0 2>/dev/null | sed -n 's/.*Region 0: Memory at \([0-9a-f]*\).*/\1/p' | head -1)
[ -n "$bar" ] && [ $((0x$bar)) -ge $MEM_LO ] && [ $((0x$bar)) -lt $MEM_HI ]
check step3-bar0 $? "edu BAR0 at 0x${bar:-none}, inside GUEST_VPCI_MEM [0x23000000, 0x33000000)"
wait_go lspci-done || true       # dom0 snapshots the stats after lspci

say "step4: BAR0 registers"
D=/sys/bus/pci/devices/$VSLOT
echo 1 > $D/enable 2>/dev/null
B=$(head -1 $D/resource 2>/dev/null | cut -d' ' -f1)
[ -n "$B" ] && [ $((B)) -eq 0 ] && B=
if [ -n "$B" ]; then
    edu_regs step4 $B
    say "step5: INTx through uio_pci_generic"
    edu_intx step5 $D $B
else
    for s in step4-id step4-liveness step4-factorial step5-bind step5-irq1 step5-irq2; do
        say "FAIL $s: edu has no BAR0 in the guest's sysfs"
    done
fi

# systest.bringup=1 (bringup.sh only): time 1024 config reads (16 reads of
# the 256-byte config file, 64 dword accesses each), then move the mapped BAR0 with decode on,
# byte by byte through sysfs config (the move completes with the most
# significant byte: the daemon unmaps the old and maps the new range), check
# both addresses, move it back
if [ -n "$B" ] && grep -q 'systest\.bringup=1' /proc/cmdline; then
    t0=$(cut -d' ' -f1 /proc/uptime)
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do dd if=$D/config bs=256 count=1 2>/dev/null > /dev/null; done
    t1=$(cut -d' ' -f1 /proc/uptime)
    say "INFO timing: 16 x 256-byte config reads (1024 dword ioreqs) took ${t0}s..${t1}s"
    say "move: BAR0 $B -> $((B + 0x100000)) with decode on"
    put_byte $D/config $((0x12)) $(( (B >> 16 & 0xff) + 0x10 )); put_byte $D/config $((0x13)) $((B >> 24 & 0xff))
    nb=$((B + 0x100000))
    v=$(devmem $nb 32); hexeq "$v" 0x010000ED
    check bringup-move-new $? "after the move BAR0's new address $(printf 0x%x $nb) reads $v (expect 0x010000ED)"
    v=$(devmem $B 32); hexeq "$v" 0xFFFFFFFF
    check bringup-move-old $? "after the move the old address $B reads $v (expect 0xFFFFFFFF from the daemon's hole window)"
    put_byte $D/config $((0x12)) $((B >> 16 & 0xff)); put_byte $D/config $((0x13)) $((B >> 24 & 0xff))
    v=$(devmem $B 32); hexeq "$v" 0x010000ED
    check bringup-move-back $? "moved back: $B reads $v (expect 0x010000ED)"
fi

# MSI through the vITS (msi-edu, irq_latency_msi/intx): pcipt_msitest.ko
# takes edu with one MSI, then with its INTx, 200 interrupts each, timed in
# this kernel; dom0 reads the daemon's INTx relay counters at each "WAIT"
if [ -n "$B" ]; then
    wait_go msi || true
    r=$(msitest msi $D 200 2>&1); rc=$?
    say "MSI edu rc=$rc: $r"
    wait_go intx || true
    r=$(msitest intx $D 200 2>&1); rc=$?
    say "INTX edu rc=$rc: $r"
fi
wait_go msi-done || true

# DMA through the SMMU (the domain's p2m is edu's IOMMU context): a random
# pattern RAM -> edu -> RAM; then two stray DMAs (edu -> RAM): past the end
# of this domain's 128 MiB at 0x48000000, and at a canary page of dom0's
# memory whose machine address dom0 types after "go"; dom0 checks the SMMU's
# faults and the canary
if [ -n "$B" ]; then
    say "dma: edu DMA through the SMMU"
    bm=$(dmatool bm $D 1 2>&1)
    rt=$(dmatool roundtrip $D 2>&1); rc=$?
    say "DMA roundtrip rc=$rc bm=$bm: $(echo $rt)"
fi
wait_go dma-stray || true
canary=$(echo "$GO_LINE" | sed -n 's/.*go \(0x[0-9a-fA-F]*\).*/\1/p')
if [ -n "$B" ]; then
    for a in 0x48000000 $canary; do
        dmatool dma $D 0x40000 $a 64 3; say "DMA stray edu -> $a (64 bytes) rc=$?"
    done
fi
wait_go dma-checked || true

# nvme: pcipt create put QEMU's nvme at slot 2 ("go nvme"); the guest's
# own nvme driver (MSI-X through the vITS) does the I/O: a
# random 64 KiB pattern at 1 MiB, read back; then a timed 64 MiB read.
# Its vectors in /proc/interrupts (nvme-msix): one per queue, each counting.
# systest.sh checks the pattern in the image file after QEMU exits.
wait_go nvme || true
case $GO_LINE in *"go nvme"*)
    N=/sys/bus/pci/devices/0000:00:02.0
    nb=$(nvme_find)
    if [ -n "$nb" ]; then
        say "NVME $(nvme_pattern $nb 16)"
        sync; echo 3 > /proc/sys/vm/drop_caches
        t0=$(cut -d' ' -f1 /proc/uptime)
        dd if=$nb of=/dev/null bs=1M count=64 iflag=direct 2>/tmp/rd.txt; rc=$?
        t1=$(cut -d' ' -f1 /proc/uptime)
        if [ $rc = 0 ] && grep -q '^64+0 records out' /tmp/rd.txt; then
            say "NVME read 64 MiB in $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') s ($(echo $(cat /tmp/rd.txt)))"
        else
            say "NVME read failed rc=$rc: $(echo $(cat /tmp/rd.txt))"
        fi
    else
        say "NVME no block device: $(ls $N 2>&1 | head -3 | tr '\n' ' ') $(dmesg | grep -i nvme | tail -3 | tr '\n' ' ')"
    fi
    dmesg | grep -i nvme | tail -5
    grep nvme /proc/interrupts | tr -s ' '
    q=$(grep -c nvme /proc/interrupts); c=$(grep nvme /proc/interrupts | grep -c 'ITS-MSI')
    z=$(grep nvme /proc/interrupts | awk '$2 > 0' | grep -c .)
    say "NVME msix queues=$q its-msi=$c counting=$z: $(grep nvme /proc/interrupts | tr -s ' ' | tr '\n' ';')"
    [ -e $N ] && echo 1 > $N/remove
    ;;
esac
# msi-unannounced-refused: a MAPD for DeviceID 0xf8 (guest 00:1f.0: no
# device there, so pcipt announced nothing for it) queued straight into the
# guest's ITS command queue at 0x04020000; dom0 reads Xen's verdict.  The
# guest's own ITS driver does not know of the command, so this runs after
# the last interrupt allocation of the test (nvme is gone).
insmod /lib/modules/pcipt_msitest.ko mapd_devid=0xf8 its_base=0x04020000 2>&1
say "MAPD probe: $(dmesg | grep 'pcipt_msitest: MAPD' | tail -1)"
rmmod pcipt_msitest 2>/dev/null
wait_go nvme-done || true

say "step6: removal, pcipt pci-detach, rescan"
if [ -e $D ]; then
    echo 1 > $D/remove
    [ ! -e $D ]; check step6-guest-remove $? "guest removed $VSLOT (echo 1 > remove)"
else
    say "FAIL step6-guest-remove: $VSLOT was not there to remove"
fi
wait_go detached || true
# the old BAR0 address must no longer reach the device (unmapped from the
# guest's p2m; the daemon may answer all-ones, or the access aborts: SIGBUS)
if [ -n "$B" ]; then
    v=$( (devmem $B 32) 2>/dev/null )
    [ -n "$v" ] && ! hexeq "$v" 0x010000ED || [ -z "$v" ]
    check step6-unmapped $? "after pci-detach the old BAR0 $B reads ${v:-nothing (access aborted)}, not edu's ID"
else
    say "FAIL step6-unmapped: edu's BAR0 was never known"
fi
echo 1 > /sys/bus/pci/rescan
lspci -n > /tmp/lspci2.txt 2>&1
[ $had_edu = 0 ] && ! grep -q "$EDU_ID" /tmp/lspci2.txt
check step6-gone $? "after pci-detach and rescan lspci no longer shows edu (it was there before: $([ $had_edu = 0 ] && echo yes || echo no))"
cat /tmp/lspci2.txt

# step 7: the device comes back to the running guest (pcipt pci-attach, as
# `xl pci-attach` would) and is served by the daemon that kept the empty bus,
# then leaves again
say "step7: pcipt pci-attach again, rescan, remove, pci-detach"
wait_go reattached || true
echo 1 > /sys/bus/pci/rescan
lspci -n > /tmp/lspci3.txt 2>&1
grep -q "^00:01.0 [0-9a-f]*: $EDU_ID" /tmp/lspci3.txt
check step7-rescan $? "after pcipt pci-attach and rescan lspci shows edu ($EDU_ID) at 00:01.0 again"
cat /tmp/lspci3.txt
B2=$(head -1 $D/resource 2>/dev/null | cut -d' ' -f1)
if [ -n "$B2" ] && [ $((B2)) -ne 0 ]; then
    echo 1 > $D/enable 2>/dev/null
    v=$(devmem $B2 32); hexeq "$v" 0x010000ED
    check step7-id $? "the returned edu's BAR0 at $B2 reads $v (expect 0x010000ED)"
else
    say "FAIL step7-id: the returned edu has no BAR0 in the guest's sysfs"
fi
[ -e $D ] && echo 1 > $D/remove
[ ! -e $D ]; check step7-guest-remove $? "guest removed $VSLOT again"
wait_go redetached || true

# intx-hotplug: dom0 pci-attaches edu into slot 3, which no device used when
# the domain was created; its INTx must reach this guest
wait_go hotplug || true
H=/sys/bus/pci/devices/0000:00:03.0
echo 1 > /sys/bus/pci/rescan
if [ -e $H ]; then
    r=$(msitest intx $H 20 2>&1); rc=$?
    bad=$(dmesg | grep -c 'of_irq_parse_pci: failed')
    [ $rc = 0 ] && msitest_ok "$r" 20 && [ "$bad" = 0 ]
    check intx-hotplug $? "edu hot-plugged at 00:03.0: 20 INTx raised, ${r:-nothing} (rc=$rc); of_irq_parse_pci failures: $bad"
    echo 1 > $H/remove
else
    say "FAIL intx-hotplug: no device at 00:03.0 after pcipt pci-attach and rescan: $(lspci -n | tr '\n' ';')"
fi
wait_go hotplug-done || true
say "DONE"
# dom0 destroys the domain (xl destroy); stay alive until then
while :; do sleep 60; done
