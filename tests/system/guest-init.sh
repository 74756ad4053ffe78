#!/bin/busybox sh
# domU /init for the pcipt system test (tests/system/).  Runs inside the
# guest; every check prints "GUEST PASS <name>: ..." or "GUEST FAIL <name>: ...".
# dom0's scenario (dom0-init.sh) reads this console through xenconsoled's log
# and answers a "WAIT <what>" line by typing "go" into the guest console.
#
# Kernel command line: systest.guest=plain    plumbing only (lspci works)
#                      systest.guest=scenario steps 3-7 of the scenario
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
        case $line in *go*) return 0 ;; esac
    done
    say "FAIL handshake: no 'go' from dom0 for $1"
    return 1
}
. /edu.sh

mode=$(sed -n 's/.*systest\.guest=\([a-z]*\).*/\1/p' /proc/cmdline)
say "INIT mode=$mode uptime=$(cut -d' ' -f1 /proc/uptime)"

if [ "$mode" = plain ]; then
    lspci --version >/dev/null 2>&1; check guest-lspci $? "lspci runs: $(lspci --version 2>&1)"
    lspci -n > /tmp/lspci.txt 2>&1; check guest-lspci-bus $? "lspci -n exit 0 ($(wc -l < /tmp/lspci.txt) device(s) without pcipt)"
    wait_go handshake && say "PASS guest-handshake: dom0 answered through the console"
    say "DONE"
    poweroff -f
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
say "DONE"
# dom0 destroys the domain (xl destroy); stay alive until then
while :; do sleep 60; done
