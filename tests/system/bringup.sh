# tests/system/bringup.sh: manual bring-up of pcipt on real Xen, sourced by
# dom0-init.sh when booted with systest.mode=bringup (systest.sh --bringup).
# Drives BY HAND the sequence `pcipt create` will automate:
#   pcipt dtb -> xl create -p (device_tree=, vuart) -> pcipt attach --force
#   -> uio_pci_generic on the host function -> pcipt [-v] serve D & -> ready
#   -> xl unpause -> guest steps 3-5 (guest-init.sh) -> pcipt detach
#   -> xl destroy -> leftovers.
# A debugging tool, not a test: it prints "==> " narration and the same
# SYSTEST PASS/FAIL lines as the scenario where it can.
# Uses from dom0-init.sh: EDU, EDU_SBDF, EDU_BAR0, GUEST_SLOT, relay,
# wait_guest, send_go, guest_results, check, say, narrate, show, up.

BG=bringup
BCFG=/etc/xen/bringup.cfg
DTB=/run/g.dtb
SLOG=/var/log/pcipt/pciptd-bringup.log
# default: warnings and stats lines; systest.serve=-v (SYSTEST_SERVE=-v) adds the
# setup messages and a trace of every config access (slower)
SERVE_V=$(sed -n 's/.*systest\.serve=\(-v*\).*/\1/p' /proc/cmdline)
run() { narrate "$*"; "$@" < /dev/null > /run/cmd.out 2>&1; local rc=$?; show < /run/cmd.out; narrate "rc=$rc"; return $rc; }

run pcipt -v dtb -o $DTB "$EDU_SBDF@$GUEST_SLOT"
check bringup-dtb $? "pcipt dtb for $EDU_SBDF@$GUEST_SLOT"
cat > $BCFG <<EOF
name = "$BG"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init systest.guest=scenario systest.bringup=1"
memory = 128
vcpus = 2
EOF
relay $BG
run xl create -p $BCFG "device_tree=\"$DTB\"" 'vuart="sbsa_uart"'
check step2-create $? "xl create -p with device_tree"
D=$(xl domid $BG 2>/dev/null)
say "INFO bringup domid ${D:-none}"
# --bind hands edu to uio_pci_generic: the daemon relays INTx through its uio node
run pcipt -v attach --bind --force $D "$EDU_SBDF@$GUEST_SLOT"
check bringup-attach $? "pcipt attach --bind --force $D $EDU_SBDF@$GUEST_SLOT"
narrate "xenstore after attach"; xenstore-ls -f 2>/dev/null | grep -E "pci" | show
. /edu.sh
u=$(ls $EDU/uio 2>/dev/null | head -1)
[ -n "$u" ]; check bringup-uio $? "after attach --bind edu's dom0 driver is $(basename "$(readlink $EDU/driver)" 2>/dev/null), uio ${u:-none}"
narrate "pcipt $SERVE_V serve $D"
start_daemon() {
    rm -f /run/ready
    # every daemon line gets dom0's uptime in front (to time guest accesses)
    setsid sh -c "pcipt $SERVE_V serve --ready-fd 3 $D 2>&1 3> /run/ready | while IFS= read -r l; do echo \"\$(cut -d' ' -f1 /proc/uptime) \$l\"; done" < /dev/null >> $SLOG 2>&1 &
    sleep 0.5
    P=; for p in /proc/[0-9]*; do
        [ "$(cat $p/comm 2>/dev/null)" = pcipt ] && tr '\0' ' ' < $p/cmdline | grep -q "serve --ready-fd 3 $D" && P=${p#/proc/}
    done
    i=0; while ! grep -q READY /run/ready 2>/dev/null && [ $i -lt 150 ] && kill -0 ${P:-0} 2>/dev/null; do sleep 0.2; i=$((i + 1)); done
    grep -q READY /run/ready 2>/dev/null
}
start_daemon
check step2-daemon $? "pcipt serve $D ready (pid $P) after $((i / 5)) s"
tail -30 $SLOG | show
run xl unpause $D
if wait_guest $BG 'GUEST WAIT boot' 150; then
    kill -USR1 $P 2>/dev/null; send_go $D
fi
if wait_guest $BG 'GUEST WAIT lspci-done' 90; then
    kill -USR1 $P 2>/dev/null
    # a daemon killed outright: the next one takes over its IOREQ server
    narrate "kill -KILL $P (the daemon), start another"
    kill -KILL $P; sleep 1
    start_daemon
    check bringup-restart $([ -n "$P" ] && grep -q READY /run/ready; echo $?) "a new daemon (pid ${P:-none}) took over"
    tail -5 $SLOG | show
    send_go $D
fi
wait_guest $BG 'GUEST WAIT detached' 150
guest_results $BG
# dom D's I/O Memory rangeset from Xen's 'q' dump
iomem_line() { xl dmesg -c > /dev/null; xl debug-keys q; xl dmesg -c > /run/q.txt
    awk -v d="Rangesets belonging to domain $1:" 'index($0,d){f=1;next} f&&/I\/O Memory/{print;exit}' /run/q.txt; }
before=$(iomem_line $D)   # edu's BAR0 frames on this testbed: 10000-100ff
run pcipt -v detach $D "$EDU_SBDF"
narrate "xenstore after detach"; xenstore-ls -f 2>/dev/null | grep -E "backend/pci" | show
check step6-pci-detach $? "pcipt detach $D $EDU_SBDF"
after=$(iomem_line $D)
echo "$before" | grep -q '10000-100ff' && ! echo "$after" | grep -q '10000-100ff'
check step6-no-permission $? "dom$D I/O Memory before detach: $before; after: $after"
send_go $D
wait_guest $BG 'GUEST DONE' 60
guest_results $BG
kill -USR1 $P 2>/dev/null; sleep 1
run xl destroy $D
check step6-destroy $? "xl destroy $D"
i=0; while kill -0 $P 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
! kill -0 $P 2>/dev/null; check step6-daemon-gone $? "daemon exited after destroy"
sleep 1
xl list | show
xenstore-ls -f > /run/xs-after.txt 2>&1
left=$(grep -E "^/local/domain/$D(/| )|/backend/[^/]+/$D(/| )|pcipt.*/$D(/| )" /run/xs-after.txt | head -5)
[ -z "$left" ]; check step6-xenstore-clean $? "no xenstore node left for dom$D${left:+: $left}"
stop_relay $BG

# round 2: a new domain for the same device, destroyed while the device is
# still attached and mapped (a guest crash or a plain `xl destroy`): the
# daemon's domain-death path must clean up alone
narrate "round 2: same device, destroyed while attached"
BG=bringup2; sed -i "s/^name = .*/name = \"$BG\"/" $BCFG
relay $BG
run xl create -p $BCFG "device_tree=\"$DTB\"" 'vuart="sbsa_uart"'
D=$(xl domid $BG 2>/dev/null)
run pcipt -v attach --bind --force $D "$EDU_SBDF@$GUEST_SLOT"
check bringup2-attach $? "pcipt attach --bind --force $D $EDU_SBDF@$GUEST_SLOT (the device's second domain)"
start_daemon
check bringup2-daemon $? "pcipt serve $D ready (pid $P)"
run xl unpause $D
wait_guest $BG 'GUEST WAIT boot' 150
bar_pfn=$(printf '%x' $(( EDU_BAR0 >> 12 )))
xl debug-keys q; xl dmesg -c > /run/q.txt
awk -v d="Rangesets belonging to domain $D:" 'index($0,d){f=1;next} f&&/I\/O Memory/{print;exit}' /run/q.txt | show
run xl destroy $D
i=0; while kill -0 $P 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
! kill -0 $P 2>/dev/null; check bringup2-daemon-gone $? "daemon exited after destroying a domain with the device attached"
sleep 1
xl list > /run/xl-list2.txt; show < /run/xl-list2.txt
! awk 'NR>1{print $2}' /run/xl-list2.txt | grep -qx "$D"; check bringup2-domain-gone $? "domain $D fully gone"
xenstore-ls -f > /run/xs-after2.txt 2>&1
left=$(grep -E "^/local/domain/$D(/| )|/backend/[^/]+/$D(/| )|pcipt.*/$D(/| )" /run/xs-after2.txt | head -5)
[ -z "$left" ]; check bringup2-xenstore-clean $? "no xenstore node left for dom$D${left:+: $left}"
grep -E 'error|warning' $SLOG | tail -5 | show
edu_uio_unbind $EDU
narrate "xl dmesg (tail)"; xl dmesg | tail -20 | show
stop_relay $BG
