#!/bin/busybox sh
# dom0 /init for the pcipt system test (tests/system/).  Brings up the Xen
# tools (real xenstored, xenconsoled, xl), checks the plumbing, then runs the
# six steps of the passthrough scenario.  Every check prints exactly one
# "SYSTEST PASS <name>: ..." or "SYSTEST FAIL <name>: ..." line on the serial
# console; systest.sh greps them.  Guest output is relayed as "GUEST| ...",
# the daemon's log as "PCIPTD| ...".  Every wait has a bound.
#
# Kernel command line: systest.mode=test|demo (same checks; in demo mode the
# host shows the "==>" narration and the guest console live)
/bin/busybox --install -s /bin
export PATH=/usr/lib/xen-4.17/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run; rm -rf /var/run; ln -s /run /var/run
mkdir -p /run/xen /run/xenstored /var/lib/xen /var/lib/xenstored /var/log/xen/console /var/log/pcipt

EDU_ID=1234:11e8
GUEST_SLOT=1
CFG=/etc/xen/systest-domu.cfg
GNAME=systest
CR=$(printf '\r')
MODE=$(sed -n 's/.*systest\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "SYSTEST $*"; }
pass() { say "PASS $*"; }
failm() { say "FAIL $*"; }
check() { if [ "$2" = 0 ]; then pass "$1: $3"; else failm "$1: $3"; fi; }
narrate() { echo "==> $*"; }
show() { while IFS= read -r l; do echo "==>   $l"; done; }     # indent a command's output

say "INFO dom0 init at $(up)s, mode=${MODE:-test}"

# ------------------------------------------------------------ plumbing
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-pciback uio uio_pci_generic \
         crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme; do
    [ -f /lib/modules/$m.ko ] && { insmod /lib/modules/$m.ko 2>/dev/null || echo "insmod $m failed"; }
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid
xen-init-dom0 > /run/xen-init-dom0.log 2>&1
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
xl list > /run/xl-list.txt 2>&1
check plumbing-xl $? "xenstored + xen-init-dom0 + xenconsoled up, xl list works ($(grep -c . /run/xl-list.txt) lines)"
xl info > /run/xl-info.txt 2>&1
say "INFO xen $(sed -n 's/^xen_version *: //p' /run/xl-info.txt), built $(sed -n 's/^cc_compile_date *: //p' /run/xl-info.txt)"

pcipt --help < /dev/null > /run/pcipt-help.txt 2>&1
check plumbing-pcipt-runs $? "cross-built pcipt --help exits 0 in dom0 ($(head -1 /run/pcipt-help.txt))"
# which of the scenario's commands are still placeholders ("(not implemented yet)")
todo=$(for c in list create serve pci-detach; do
    grep -qE "^ +$c +\(not implemented yet\)" /run/pcipt-help.txt && echo -n "$c "; done)
say "INFO pcipt commands the scenario needs that are placeholders: ${todo:-none}"

EDU=; NVME=
for d in /sys/bus/pci/devices/*; do
    [ -e "$d" ] || continue
    say "INFO dom0 pci $(basename $d) $(cat $d/vendor):$(cat $d/device) class=$(cat $d/class) irq=$(cat $d/irq)"
    [ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && EDU=$d
    [ "$(cat $d/class)" = 0x010802 ] && NVME=$d
done
NVME_SBDF=$(basename "${NVME:-none}")
EDU_SBDF=$(basename "${EDU:-none}")
EDU_BAR0=$( [ -n "$EDU" ] && head -1 $EDU/resource | cut -d' ' -f1)
[ -n "$EDU" ] && [ $((EDU_BAR0)) -ne 0 ]
check plumbing-edu-dom0 $? "edu ($EDU_ID) at $EDU_SBDF in dom0, BAR0 $EDU_BAR0"
# Xen (pci-passthrough=on, the SMMUv3 patches) took edu as an SMMU master at
# dom0's PHYSDEVOP_pci_device_add, attached to dom0's context
xl dmesg > /run/xl-dmesg-boot.txt 2>&1
dmesg > /run/dom0-dmesg-boot.txt 2>&1
smmu=$(grep -m1 -o 'SMMUv3: .*ias [0-9]*-bit, oas [0-9]*-bit' /run/xl-dmesg-boot.txt)
master=$(grep -m1 -o "SMMUv3: $EDU_SBDF: Added master device.*" /run/xl-dmesg-boot.txt)
addfail=$(grep -c 'Failed to add - passthrough or MSI/MSI-X might fail' /run/dom0-dmesg-boot.txt)
[ -n "$smmu" ] && [ -n "$master" ] && [ "$addfail" = 0 ]
check plumbing-smmu $? "Xen's SMMUv3 (${smmu:-no probe line}) took dom0's edu: ${master:-no 'Added master device' line}; dom0 'Failed to add' lines: $addfail"
# the edu checks the guest runs, on the real device in dom0 first: a guest
# failure is then pcipt's, not the check's
. /edu.sh
if [ -n "$EDU" ]; then
    was_enabled=$(cat $EDU/enable); was_cmd_lo=$(get_byte $EDU/config 4); was_cmd_hi=$(get_byte $EDU/config 5)
    say "INFO edu before the dom0 checks: enable=$was_enabled command=$(od -An -tx2 -j4 -N2 $EDU/config | tr -d ' ')"
    echo 1 > $EDU/enable 2>/dev/null
    edu_regs plumbing-dom0-edu $EDU_BAR0
    edu_intx plumbing-dom0-edu $EDU $EDU_BAR0
    # leave edu as the kernel had it: driverless, command register as it was
    [ "$was_enabled" = 0 ] && echo 0 > $EDU/enable 2>/dev/null
    # (uio's handler left Interrupt Disable set; memory decode stays on after enable)
    put_byte $EDU/config 4 $was_cmd_lo; put_byte $EDU/config 5 $was_cmd_hi
    say "INFO edu after the dom0 checks: driver=$(basename "$(readlink $EDU/driver)" 2>/dev/null) enable=$(cat $EDU/enable) command=$(od -An -tx2 -j4 -N2 $EDU/config | tr -d ' ')"
fi
# INTx: edu must not share its line with another endpoint: QEMU virt maps
# (slot + pin - 1) mod 4 onto 4 SPIs; systest.sh puts the nvme at slot 2
intx_line() { # DEVDIR: the SPI index of its INTx, or none
    local pin d; pin=$(get_byte $1/config $((0x3d)))
    [ "${pin:-0}" -gt 0 ] && { d=$(basename $1); d=${d##*:}; echo $(( (0x${d%.*} + pin - 1) % 4 )); } || echo none
}
n=0; others=; el=$( [ -n "$EDU" ] && intx_line $EDU)
for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/class)" = 0x060000 ] || [ "$d" = "$EDU" ] && continue
    others="$others $(basename $d):$(intx_line $d)"
    [ "$(intx_line $d)" = "$el" ] && n=$((n + 1))
done
[ -n "$el" ] && [ $n -eq 0 ]; check plumbing-intx-alone $? "no other PCI endpoint shares edu's INTx line ${el:-?} ($n sharing; others:${others:- none})"

# edu's interrupt latency in dom0 (pcipt_msitest.ko, the same module the
# guest runs): the baselines of irq_latency_msi and irq_latency_intx.  dom0's
# MSI is a DMA write to the host ITS through dom0's SMMU context (patch 0007
# maps the ITS translater frame there)
if [ -n "$EDU" ]; then
    DOM0_MSI=$(msitest msi $EDU 200 2>&1); say "INFO dom0 edu MSI: $DOM0_MSI"
    DOM0_INTX=$(msitest intx $EDU 200 2>&1); say "INFO dom0 edu INTx: $DOM0_INTX"
fi

# nvme in dom0: its own driver (DMA in dom0's SMMU context), a timed
# sequential read of 64 MiB: the baseline of nvme_read_ratio
# nvme_read DEV: seconds (uptime delta) for 64 MiB with O_DIRECT, or nothing
nvme_read() {
    local t0 t1
    sync; echo 3 > /proc/sys/vm/drop_caches
    t0=$(up)
    dd if=$1 of=/dev/null bs=1M count=64 iflag=direct > /run/nvme-dd.txt 2>&1 || return 1
    t1=$(up)
    grep -q '^64+0 records out' /run/nvme-dd.txt || return 1
    awk -v a=$t0 -v b=$t1 'BEGIN { d = b - a; if (d < 0.01) d = 0.01; printf "%.2f", d }'
}
# (the only nvme: with native multipath the namespace is nvme0n1, not under the PCI device)
NV0=; i=0
while [ -n "$NVME" ] && [ $i -lt 150 ]; do
    for NV0 in /dev/nvme[0-9]n1 ""; do [ -b "$NV0" ] && break; done
    [ -n "$NV0" ] && break
    sleep 0.2; i=$((i + 1))
done
DOM0_NVME_S=$( [ -n "$NV0" ] && nvme_read $NV0 )
DOM0_NVME_MBS=$( [ -n "$DOM0_NVME_S" ] && awk -v s=$DOM0_NVME_S 'BEGIN { printf "%.1f", 64 / s }')
[ -n "$DOM0_NVME_MBS" ]
check nvme-dom0-read $? "dom0's nvme driver read 64 MiB of ${NV0:-no nvme block device} ($NVME_SBDF) in ${DOM0_NVME_S:-?} s: ${DOM0_NVME_MBS:-?} MB/s ($(tr '\n' ' ' < /run/nvme-dd.txt 2>/dev/null))"

# pcipt check on the real hypervisor: everything passthrough with DMA
# isolation needs is there (uio_pci_generic was loaded above)
narrate "pcipt check"
pcipt check < /dev/null > /run/pcipt-check.txt 2>&1; rc=$?
show < /run/pcipt-check.txt
notok=
for c in dom0 ioreq smmu iommu-map holder xenstored; do
    grep -qE "^OK +$c " /run/pcipt-check.txt || notok="$notok $c"
done
[ -z "$notok" ]
check check-ready $? "pcipt check (rc=$rc): OK for dom0, ioreq, smmu, iommu-map, holder, xenstored${notok:+; not OK:$notok}"
# the host-wide watcher, as pcipt-watch.service runs it from boot: follows
# `xl pci-attach` for any domain whose daemon is not up (xl-watch-all)
pcipt watch --all < /dev/null > /var/log/pcipt/watch-all.log 2>&1 &
WATCH_ALL=$!

# ------------------------------------------------- helpers for domains
# console_log NAME: xenconsoled's log of domain NAME's console
console_log() { echo /var/log/xen/console/guest-$1.log; }
# relay NAME: copy the guest console to ours as "GUEST| ..." lines (background)
relay() {
    local f; f=$(console_log $1)
    touch $f        # xenconsoled appends to it; tail follows from the start
    tail -n +1 -f $f | while IFS= read -r l; do echo "GUEST| ${l%$CR}"; done &
    echo $! > /run/relay.$1
}
stop_relay() { kill $(cat /run/relay.$1) 2>/dev/null; }
# wait_guest NAME PATTERN SECONDS: wait for a console line; 0 if seen.  After
# one timeout the guest is taken as stuck and later waits for it fail at once
# (so a hung guest cannot eat the whole QEMU time limit).
wait_guest() {
    local i=0 n=$(( $3 * 5 ))
    if [ -e /run/stuck.$1 ]; then
        say "INFO skipped: waiting for '$2' from guest $1, which is stuck"
        return 1
    fi
    while [ $i -lt $n ]; do
        grep -q -- "$2" "$(console_log $1)" 2>/dev/null && return 0
        sleep 0.2; i=$((i + 1))
    done
    touch /run/stuck.$1
    say "INFO timeout: no '$2' from guest $1 within $3 s"
    return 1
}
# send_go DOMID [TEXT]: type "go" (or TEXT) into the guest's console (xenconsoled's pty)
send_go() {
    local tty; tty=$(xenstore-read /local/domain/$1/console/tty 2>/dev/null)
    [ -n "$tty" ] && echo "${2:-go}" > "$tty"
}
# smmu_faults FILE: "SID INPUTADDR IPA" per SMMUv3 translation fault (event
# 0x10) Xen logged in FILE (xl dmesg): the event record's 4 words follow its line
smmu_faults() {
    grep -A4 'event 0x10 received' "$1" | grep -o '0x[0-9a-fA-F]\{16\}' | {
        while read -r w0 && read -r w1 && read -r w2 && read -r w3; do
            printf '%d 0x%x 0x%x\n' $((w0 >> 32)) $((w2)) $((w3))
        done; }
}
# faulted FILE SID ADDR: a fault of SID at ADDR's page is in FILE
faulted() {
    local sid a2 a3
    smmu_faults "$1" > /run/faults.txt
    while read -r sid a2 a3; do
        [ "$sid" = "$2" ] || continue
        [ $((a2 >> 12)) = $(($3 >> 12)) ] || [ $((a3 >> 12)) = $(($3 >> 12)) ] && return 0
    done < /run/faults.txt
    return 1
}
# the edu's StreamID: its requester ID (iommu-map <0 &smmu 0 0x10000>)
sid_of() { local b d; b=$(echo $1 | cut -d: -f2); d=$(echo $1 | cut -d: -f3); echo $(( 0x$b * 256 + 0x${d%.*} * 8 + ${d#*.} )); }
EDU_SID=$(sid_of ${EDU_SBDF:-0000:00:00.0})
# relay guest PASS/FAIL lines as our own
guest_results() {
    grep -a -E '^GUEST (PASS|FAIL) ' "$(console_log $1)" | tr -d '\r' | sed 's/^GUEST /SYSTEST /' \
        | while read -r l; do grep -qxF "$l" /run/relayed 2>/dev/null || { echo "$l"; echo "$l" >> /run/relayed; }; done
}

# systest.mode=bringup: the manual bring-up (tests/system/bringup.sh) instead
# of the scenario
if [ "$MODE" = bringup ]; then
    . /bringup.sh
    for f in /var/log/pcipt/*.log; do echo "PCIPTD| ==> $f"; while IFS= read -r l; do echo "PCIPTD| $l"; done < $f; done
    say "END"
    poweroff -f
fi

# ----------------------------------------------- plumbing: a plain domU
cat > /etc/xen/plain.cfg <<'EOF'
name = "plain"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init cma=0 systest.guest=plain"
memory = 128
vcpus = 1
EOF
relay plain
xl create /etc/xen/plain.cfg > /run/xl-create-plain.log 2>&1
check plumbing-domU-create $? "xl create of a plain domU (no pcipt)"
if wait_guest plain 'GUEST WAIT handshake' 120; then
    pass "plumbing-domU-boot: plain domU booted to its /init"
    send_go $(xl domid plain)
    wait_guest plain 'GUEST DONE' 30
fi
guest_results plain
i=0; while xl list | grep -q '^plain ' && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
xl destroy plain 2>/dev/null
stop_relay plain

# ------------------------------------------------------------ scenario
# step 1: pcipt list shows edu with its BAR0
narrate "pcipt list"
pcipt list < /dev/null > /run/pcipt-list.txt 2>&1
rc=$?; show < /run/pcipt-list.txt
bar_hex=$(printf '%x' $((EDU_BAR0)) 2>/dev/null)
[ $rc = 0 ] && grep -qi "$EDU_ID" /run/pcipt-list.txt && grep -qiE "(0x)?0*$bar_hex\b" /run/pcipt-list.txt
check step1-list $? "pcipt list (rc=$rc) shows edu $EDU_ID with BAR0 0x$bar_hex"

# step 2: pcipt create starts the domU with edu at virtual slot 1, and its daemon
# (--bind: uio_pci_generic holds edu in dom0 and relays its INTx; --force: edu has no reset method in sysfs: no FLR, no PM, on the root bus;
# `pcipt attach` refuses it without --force)
cat > $CFG <<EOF
name = "$GNAME"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init cma=0 systest.guest=scenario"
memory = 128
vcpus = 1
pcipt = [ "$EDU_SBDF@$GUEST_SLOT"${NVME:+, \"$NVME_SBDF@2\"} ]
EOF
narrate "pcipt create --bind --force $CFG, with:"; show < $CFG
relay $GNAME
t_create=$(up)
timeout 120 pcipt create --bind --force $CFG < /dev/null > /var/log/pcipt/create.log 2>&1
rc=$?; t_created=$(up)
show < /var/log/pcipt/create.log
D=$(xl domid $GNAME 2>/dev/null)
narrate "xl list"; xl list | show
check step2-create $([ $rc = 0 ] && [ -n "$D" ]; echo $?) "pcipt create (rc=$rc, ${t_create}s..${t_created}s) started domain $GNAME (domid ${D:-none})"
# daemon_pid: pid of the process whose command line is "... pcipt ... serve $D ..."
daemon_pid() {
    local c
    for c in /proc/[0-9]*/cmdline; do
        { tr '\0' ' ' < $c; } 2>/dev/null | grep -qE "pcipt .*serve ${D:-none}( |$)" && { c=${c#/proc/}; echo ${c%/cmdline}; return; }
    done
}
P=$(daemon_pid)
[ -n "$D" ] && [ -n "$P" ]
check step2-daemon $? "daemon 'pcipt serve ${D:-?}' running (pid ${P:-none})"

# iomem_has DOMID PFN: "yes" if the domain's I/O Memory rangeset (Xen's 'q'
# debug key dump) holds frame PFN (hex), "no" if not, "unknown" if no dump
iomem_has() {
    local line r lo hi pfn=$((0x$2))
    # the domain is paused for the dump: once in seven runs Xen's 'q' handler
    # looped for ever printing a running guest's pending vtimer ("Pending
    # irq=27"), as if the list changed under it
    xl pause "$1" 2>/dev/null
    xl dmesg -c > /dev/null; xl debug-keys q; xl dmesg -c > /run/xl-dmesg.txt
    xl unpause "$1" 2>/dev/null
    line=$(awk -v d="Rangesets belonging to domain $1:" 'index($0,d){f=1;next} f&&/I\/O Memory/{print;exit}' /run/xl-dmesg.txt)
    [ -n "$line" ] || { echo unknown; return; }
    for r in $(echo "$line" | sed 's/.*{//; s/}.*//; s/,/ /g'); do
        lo=${r%-*}; hi=${r#*-}
        [ $((0x$lo)) -le $pfn ] && [ $pfn -le $((0x$hi)) ] && { echo yes; return; }
    done
    echo no
}

# the daemon's stats line (docs/testing/systest.md "The stats line"): "pciptd: stats dom=D k=v ..."
daemon_logs() { ls /var/log/pcipt/*.log /var/log/xen/*pcipt*.log /run/pcipt/*.log 2>/dev/null; }
# stats_lines: the daemon's stats lines for domain $D (/dev/null: never read stdin)
stats_lines() { cat $(daemon_logs) /dev/null 2>/dev/null | grep "pciptd: stats dom=$D "; }
# catches_usr1 PID: the process takes SIGUSR1 without dying: a handler (SigCgt)
# or, as pcipt serve does, blocked and read through a signalfd (SigBlk); bit 9
# is signal 10.  Asking a daemon without either would kill it.
catches_usr1() {
    local c b
    c=$(awk '/^SigCgt:/{print $2}' /proc/${1:-none}/status 2>/dev/null)
    b=$(awk '/^SigBlk:/{print $2}' /proc/${1:-none}/status 2>/dev/null)
    [ -n "$c" ] && [ $(( (0x$c | 0x${b:-0}) >> 9 & 1 )) = 1 ]
}
# stats_snapshot TAG: SIGUSR1 the daemon, wait for a new stats line, save it
stats_snapshot() {
    local before after i=0
    before=$(stats_lines | grep -c .)
    catches_usr1 $P && kill -USR1 $P 2>/dev/null
    while [ $i -lt 25 ]; do
        after=$(stats_lines | grep -c .)
        [ "$after" -gt "$before" ] && break
        sleep 0.2; i=$((i + 1))
    done
    stats_lines | tail -1 > /run/stats.$1
}
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" /run/stats.$1; }

if [ -n "$D" ]; then
    # steps 3-5 run in the guest; dom0 takes stats at each handshake
    if wait_guest $GNAME 'GUEST WAIT boot' 150; then
        stats_snapshot boot; send_go $D
    fi
    if wait_guest $GNAME 'GUEST WAIT lspci-done' 60; then
        stats_snapshot lspci; send_go $D
    fi
    # MSI through the vITS: 200 edu MSIs in the guest; the INTx relay must
    # count none of them; then 200 INTx for the latency comparison
    if wait_guest $GNAME 'GUEST WAIT msi' 60; then
        stats_snapshot msi0; send_go $D
    fi
    if wait_guest $GNAME 'GUEST WAIT intx' 120; then
        stats_snapshot msi1; send_go $D
    fi
    if wait_guest $GNAME 'GUEST WAIT msi-done' 120; then
        send_go $D
        gm=$(grep -a 'GUEST MSI edu rc=' "$(console_log $GNAME)" | tr -d '\r' | tail -1)
        gi=$(grep -a 'GUEST INTX edu rc=' "$(console_log $GNAME)" | tr -d '\r' | tail -1)
        r0=$(field msi0 intx_raised); r1=$(field msi1 intx_raised)
        st=$(pcipt status --json $D 2>/dev/null | tr -d ' \n' | grep -o '"msi":"[a-z]*"' | head -1)
        msitest_ok "$gm" 200 && echo "$gm" | grep -q 'ITS-MSI' && echo "$gm" | grep -q 'rc=0:' &&
            [ -n "$r0" ] && [ "$r0" = "$r1" ]
        check msi-edu $? "in the domU edu's MSI came through the vITS: ${gm#GUEST } ; INTx relay raised ${r0:-?} before and ${r1:-?} after; pcipt status: ${st:-no msi field}"
        for k in msi intx; do
            [ $k = msi ] && { g=$gm; b=$DOM0_MSI; } || { g=$gi; b=$DOM0_INTX; }
            gv=$(echo "$g" | sed -n 's/.* median_ns=\([0-9]*\).*/\1/p'); bv=$(echo "$b" | sed -n 's/.* median_ns=\([0-9]*\).*/\1/p')
            if [ -n "$gv" ] && [ -n "$bv" ] && [ "$gv" != 0 ] && [ "$bv" != 0 ]; then
                say "INFO metric=irq_latency_$k value=$((gv / 1000)) baseline=$((bv / 1000)) unit=us ratio=$(awk -v v=$gv -v b=$bv 'BEGIN { printf "%.3f", v / b }')"
            else
                say "INFO metric=irq_latency_$k unknown: domU median ${gv:-?} ns, dom0 median ${bv:-?} ns"
            fi
        done
    fi
    # DMA through the SMMU: the guest's roundtrip, then its stray DMAs
    hold_pid=
    if wait_guest $GNAME 'GUEST WAIT dma-stray' 180; then
        narrate "pcipt status $D"
        pcipt status $D < /dev/null > /run/pcipt-status.txt 2>&1; show < /run/pcipt-status.txt
        rt=$(grep -a -m1 '^GUEST DMA roundtrip' "$(console_log $GNAME)" | tr -d '\r' | cut -c7-)
        st=$(grep -m1 "$EDU_SBDF" /run/pcipt-status.txt | grep -o 'dma [a-z]*')
        echo "$rt" | grep -q 'rc=0 bm=1: roundtrip ok' && [ "$st" = "dma iommu" ]
        check dma-roundtrip $? "in the domU edu copied a random pattern RAM -> edu -> RAM: ${rt:-no result from the guest}; pcipt status: ${st:-no dma field for $EDU_SBDF}"
        # a canary page of dom0's memory outside the domU's RAM [0x40000000, 0x48000000)
        rm -f /run/canary.*
        dmatool hold /run/canary 300 0x40000000 0x48000000 > /run/canary.log 2>&1 &
        hold_pid=$!
        i=0; while [ ! -s /run/canary.pa ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        canary=$(cat /run/canary.pa 2>/dev/null)
        xl dmesg -c > /dev/null
        narrate "the guest aims edu's DMA at 0x48000000 (past its 128 MiB) and at dom0's canary page ${canary:-?}"
        send_go $D "go ${canary:-none}"
    fi
    if wait_guest $GNAME 'GUEST WAIT dma-checked' 60; then
        sleep 1
        xl dmesg > /run/xl-dmesg-stray.txt
        touch /run/canary.stop; [ -n "$hold_pid" ] && wait $hold_pid
        res=$(cat /run/canary.res 2>/dev/null)
        grep -a '^GUEST DMA stray' "$(console_log $GNAME)" | tr -d '\r' | cut -c7- | show
        grep -A4 'event 0x10 received' /run/xl-dmesg-stray.txt | head -10 | show
        f1=no; faulted /run/xl-dmesg-stray.txt $EDU_SID 0x48000000 && f1=yes
        f2=no; [ -n "$canary" ] && faulted /run/xl-dmesg-stray.txt $EDU_SID $canary && f2=yes
        say "INFO SMMU translation faults after the stray DMAs: $(grep -c . /run/faults.txt) records; StreamID and page: $(while read -r sid a2 a3; do printf '%s:0x%x ' $sid $((a2 >> 12 << 12)); done < /run/faults.txt | tr ' ' '\n' | uniq | head -6 | tr '\n' ' ')"
        [ $f1 = yes ] && [ $f2 = yes ] && echo "$res" | grep -q '^unchanged'
        check dma-contained $? "stray guest DMA faulted in the SMMU (event 0x10, StreamID $EDU_SID): at 0x48000000 $f1, at dom0's canary ${canary:-none} $f2; canary ${res:-not checked ($(cat /run/canary.log))}"
        send_go $D
    fi
    # nvme (attached by pcipt create at slot 2: a function pci-attached later
    # at a new slot has no INTx route in the guest's device tree, which pcipt
    # writes at create time); the guest's own Linux driver does the I/O
    if wait_guest $GNAME 'GUEST WAIT nvme' 60; then
        narrate "the guest's nvme driver takes QEMU's nvme ($NVME_SBDF at guest slot 2)"
        send_go $D "go ${NVME:+nvme}"
    fi
    if wait_guest $GNAME 'GUEST WAIT nvme-done' 300; then
        grep -a '^GUEST NVME' "$(console_log $GNAME)" | tr -d '\r' | cut -c7- | show
        l=$(grep -a -m1 '^GUEST NVME pattern' "$(console_log $GNAME)" | tr -d '\r' | cut -c20-)
        say "NVME-PATTERN ${l:-none}"
        s=$(grep -a -m1 '^GUEST NVME read' "$(console_log $GNAME)" | tr -d '\r' | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')
        if [ -n "$s" ] && [ -n "$DOM0_NVME_MBS" ]; then
            v=$(awk -v s=$s 'BEGIN { if (s < 0.01) s = 0.01; printf "%.1f", 64 / s }')
            say "INFO metric=nvme_read_ratio value=$v baseline=$DOM0_NVME_MBS ratio=$(awk -v v=$v -v b=$DOM0_NVME_MBS 'BEGIN { printf "%.3f", v / b }')"
        else
            say "INFO metric=nvme_read_ratio unknown: domU read ${s:-failed} s, dom0 ${DOM0_NVME_MBS:-failed} MB/s"
        fi
        if [ -n "$NVME" ]; then
            timeout 60 pcipt pci-detach $D $NVME_SBDF < /dev/null > /var/log/pcipt/pci-detach-nvme.log 2>&1
            rc=$?; show < /var/log/pcipt/pci-detach-nvme.log
            say "INFO pcipt pci-detach of nvme $NVME_SBDF: rc=$rc"
        fi
        send_go $D
    fi
    # the guest's MAPD for a DeviceID pcipt never announced (it printed the
    # probe before "WAIT nvme-done"): Xen refuses it before any host ITS command
    xl dmesg > /run/xl-dmesg-mapd.txt 2>&1
    gp=$(grep -a 'GUEST MAPD probe:' "$(console_log $GNAME)" | tr -d '\r' | tail -1)
    xr=$(grep -a 'vITS: MAPD of DeviceID 0xf8 .*refused' /run/xl-dmesg-mapd.txt | tail -1)
    xb=$(grep -a -c 'guest DeviceID 0xf8 bound' /run/xl-dmesg-mapd.txt)
    echo "$gp" | grep -q 'consumed it' && [ -n "$xr" ] && [ "$xb" = 0 ]
    check msi-unannounced-refused $? "guest: ${gp#GUEST MAPD probe: }; Xen: ${xr:-no refusal logged}; host bindings of 0xf8: $xb"
    wait_guest $GNAME 'GUEST WAIT detached' 120
    guest_results $GNAME
    # step 6: detach, check the device left the guest, destroy, check leftovers
    bar_pfn=$(printf '%x' $(( EDU_BAR0 >> 12 )))
    granted_before=$(iomem_has $D $bar_pfn)
    narrate "pcipt pci-detach $D $EDU_SBDF"
    timeout 60 pcipt pci-detach $D $EDU_SBDF < /dev/null > /var/log/pcipt/pci-detach.log 2>&1
    rc=$?; show < /var/log/pcipt/pci-detach.log
    check step6-pci-detach $rc "pcipt pci-detach $D $EDU_SBDF (rc=$rc)"
    granted_after=$(iomem_has $D $bar_pfn)
    [ "$granted_before" = yes ] && [ "$granted_after" = no ]
    check step6-no-permission $? "iomem permission of dom$D for edu's BAR0 frame $bar_pfn: before pci-detach $granted_before, after $granted_after (want yes, no)"
    send_go $D
    # step 7: the device returns to the running guest and leaves again; the
    # daemon that kept serving the empty bus must serve it (no second daemon)
    if wait_guest $GNAME 'GUEST WAIT reattached' 120; then
        P1=$(daemon_pid)
        narrate "pcipt pci-attach --bind --force $D $EDU_SBDF"
        timeout 120 pcipt pci-attach --bind --force $D $EDU_SBDF < /dev/null > /var/log/pcipt/pci-attach.log 2>&1
        rc=$?; show < /var/log/pcipt/pci-attach.log
        check step7-pci-attach $rc "pcipt pci-attach --bind --force $D $EDU_SBDF after the last device left (rc=$rc)"
        P2=$(daemon_pid)
        [ -n "$P1" ] && [ "$P1" = "$P2" ]
        check step7-same-daemon $? "the daemon that served the empty bus (pid ${P1:-none}) serves the returned device (pid ${P2:-none})"
        send_go $D
    fi
    if wait_guest $GNAME 'GUEST WAIT redetached' 120; then
        narrate "pcipt pci-detach $D $EDU_SBDF"
        timeout 60 pcipt pci-detach $D $EDU_SBDF < /dev/null > /var/log/pcipt/pci-detach2.log 2>&1
        rc=$?; show < /var/log/pcipt/pci-detach2.log
        check step7-pci-detach $rc "pcipt pci-detach $D $EDU_SBDF a second time (rc=$rc)"
        send_go $D
    fi
    # intx-hotplug: edu into slot 3, which the domain's device tree got an
    # INTx route for at create although no device used it
    if wait_guest $GNAME 'GUEST WAIT hotplug' 120; then
        narrate "pcipt pci-attach --bind --force $D $EDU_SBDF@3 (a slot unused at create)"
        timeout 120 pcipt pci-attach --bind --force $D $EDU_SBDF@3 < /dev/null > /var/log/pcipt/pci-attach3.log 2>&1
        rc=$?; show < /var/log/pcipt/pci-attach3.log
        pcipt status $D 2>&1 | show
        say "INFO pcipt pci-attach of edu at slot 3: rc=$rc"
        send_go $D
    fi
    if wait_guest $GNAME 'GUEST WAIT hotplug-done' 120; then
        timeout 60 pcipt pci-detach $D $EDU_SBDF < /dev/null > /var/log/pcipt/pci-detach3.log 2>&1
        say "INFO pcipt pci-detach of edu from slot 3: rc=$?"
        send_go $D
    fi
    wait_guest $GNAME 'GUEST DONE' 60
    guest_results $GNAME
    stats_snapshot final
    xl destroy $D; rc=$?
    check step6-destroy $rc "xl destroy $D"
    i=0; while [ -n "$(daemon_pid)" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    [ -z "$(daemon_pid)" ]; check step6-daemon-gone $? "daemon for dom$D exited after destroy"
    # the stats line the daemon prints as it exits, if any, is the final word
    l=$(stats_lines | tail -1)
    [ -n "$l" ] && echo "$l" > /run/stats.final
    i=0; while xl list | awk 'NR>1{print $2}' | grep -qx "$D" && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    xl list > /run/xl-list-after.txt
    ! awk 'NR>1{print $2}' /run/xl-list-after.txt | grep -qx "$D"
    check step6-domain-gone $? "domain $D fully gone: no zombie holding foreign mappings ($(grep -c . /run/xl-list-after.txt) lines in xl list)"
    xenstore-ls -f > /run/xs-after.txt 2>&1
    left=$(grep -E "^/local/domain/$D(/| )|/backend/[^/]+/$D(/| )|pcipt.*/$D(/| )" /run/xs-after.txt | head -5)
    [ -z "$left" ]; check step6-xenstore-clean $? "no xenstore node left for dom$D${left:+: $left}"

    # after the domain: edu does no DMA as pcipt left it (host Bus Master off;
    # pci-detach of a live domain's device leaves it in Xen's quarantine,
    # DOMID_IO: "assigned to d[IO]"), and dom0 gets it back: deassigned from
    # quarantine (pcipt has no command for that: dmatool giveback makes the
    # domctl xl pci-assignable-remove makes), Bus Master set as a dom0 driver
    # would, its DMA in dom0's context works
    if [ -n "$EDU" ]; then
        echo 1 > $EDU/enable 2>/dev/null
        bm=$(dmatool bm $EDU); xl dmesg -c > /dev/null
        rt=$(dmatool roundtrip $EDU 2>&1); rc=$?
        xl dmesg > /run/xl-dmesg-quar.txt
        [ "$bm" = 0 ] && [ $rc = 1 ] && echo "$rt" | grep -q 'destination unchanged'
        check dma-quarantined $? "after pci-detach and destroy edu's host Bus Master reads ${bm:-?} and a dom0 edu DMA moves nothing (rc=$rc): $(echo $rt)"
        narrate "dom0 takes edu back from quarantine: deassign from DOMID_IO, Bus Master on, DMA in dom0's SMMU context"
        gb=$(dmatool giveback $EDU_SBDF 2>&1); echo "$gb" | show
        bm=$(dmatool bm $EDU 1)
        rt=$(dmatool roundtrip $EDU 2>&1); rc=$?
        echo "$rt" | show
        [ "$bm" = 1 ] && [ $rc = 0 ]
        check dma-given-back $? "$gb; dom0 set Bus Master (reads ${bm:-?}) and edu's DMA works in dom0 (rc=$rc): $(echo $rt)"
        dmatool bm $EDU 0 > /dev/null
    fi

    boot_cfg=$(field boot cfg); hits=$(field final bar_mapped_hits)
    # pcipt create unpauses as its last step: its return is the unpause time
    # (/proc/uptime and the daemon's CLOCK_MONOTONIC agree in a VM that never suspends)
    un=$(awk -v t="$t_created" 'BEGIN { printf "%d", t * 1000000 }'); first=$(field boot first_cfg_us); last=$(field lspci last_cfg_us)
    say "INFO stats: config ioreqs served while the guest booted: ${boot_cfg:-unknown}"
    [ -n "$hits" ] && [ "$hits" = 0 ]
    check step6-no-bar-traps $? "ioreqs that hit mapped BAR space after mapping: ${hits:-unknown} (must be 0)"
    if [ -n "$un" ] && [ -n "$first" ] && [ -n "$last" ] && [ "$un" != 0 ]; then
        say "INFO stats: xl unpause -> first config access $(( (first - un) / 1000 )) ms; -> lspci done $(( (last - un) / 1000 )) ms"
    else
        say "INFO stats: timings unknown (no 'pciptd: stats' line with first_cfg_us/last_cfg_us)"
    fi
fi
sleep 1
stop_relay $GNAME

# ------------------------------------------------- DMA off: no isolation
# A domain created without passthrough="enabled" cannot take edu into an
# IOMMU context: pcipt attaches it with DMA off (no --unsafe-dma); the
# guest's Bus Master must read 0 and an edu DMA must move nothing.
if [ -n "$EDU" ]; then
    sed -e "s/^name = .*/name = \"nodma\"/" -e 's/systest.guest=scenario/systest.guest=nodma/' \
        -e "s/^pcipt = .*/pcipt = [ \"$EDU_SBDF@$GUEST_SLOT\" ]/" $CFG > /etc/xen/nodma.cfg
    echo 'passthrough = "disabled"' >> /etc/xen/nodma.cfg
    narrate "pcipt create --bind --force /etc/xen/nodma.cfg (passthrough disabled: DMA off)"
    relay nodma
    timeout 120 pcipt create --bind --force /etc/xen/nodma.cfg < /dev/null > /var/log/pcipt/create-nodma.log 2>&1
    rc=$?; show < /var/log/pcipt/create-nodma.log
    N=$(xl domid nodma 2>/dev/null)
    if [ $rc = 0 ] && [ -n "$N" ] && wait_guest nodma 'GUEST WAIT boot' 150; then
        pcipt status $N < /dev/null > /run/pcipt-status-nodma.txt 2>&1; show < /run/pcipt-status-nodma.txt
        st=$(grep -m1 "$EDU_SBDF" /run/pcipt-status-nodma.txt | grep -o 'dma [a-z]*')
        hbm=$(dmatool bm $EDU)
        send_go $N
        wait_guest nodma 'GUEST DONE' 60
        off=$(grep -a -m1 '^GUEST DMA off' "$(console_log nodma)" | tr -d '\r' | cut -c7-)
        echo "$off" | grep -q 'reads 0; roundtrip rc=1: .*destination unchanged' && [ "$st" = "dma off" ] && [ "$hbm" = 0 ]
        check dma-off-without-iommu $? "pcipt create (rc=$rc) of a domain with passthrough disabled: pcipt status ${st:-no dma field}, host Bus Master ${hbm:-?}; guest: ${off:-no result}"
    else
        failm "dma-off-without-iommu: pcipt create (rc=$rc, domid ${N:-none}) or the guest's boot failed"
    fi
    [ -n "$N" ] && xl destroy $N
    i=0; while xl list | grep -q '^nodma ' && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    stop_relay nodma
fi
# ------------------------------------------------- xl's verbs (issue 16)
# xl-create-pci: `pcipt create` of a config with xl's own `pci = [...]`
# (nvme at slot 2); xl-pci-attach: `xl pci-assignable-add` + `xl
# pci-attach D EDU@3` into the running guest, which rescans and finds edu:
# BAR, MSI through the vITS, INTx (pciback holds edu: the relay polls its
# Status), DMA in the SMMU; xl-pci-detach: `xl pci-detach`, the old BAR
# no longer reaches edu, edu deassigned, `xl pci-list` and `pcipt status`
# agree; xl-destroy-clean: `xl destroy` with edu (libxl's) and nvme
# (pcipt's) attached leaves no mapping, assignment, node or daemon.
xl_line() { grep -a "^GUEST XL $1" "$(console_log xlpci)" | tr -d '\r' | tail -1 | cut -c10-; }
# smmu_owner SBDF: the domain Xen's SMMUv3 driver last gave SBDF to ("d3", "d[IO]")
smmu_owner() { xl dmesg | grep -a "SMMUv3: $1: assigned to" | tail -1 | sed 's/.*assigned to //'; }
if [ -n "$EDU" ] && [ -n "$NVME" ]; then
    cat > /etc/xen/xlpci.cfg <<EOF
name = "xlpci"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init cma=0 systest.guest=xl"
memory = 128
vcpus = 1
pci = [ "$NVME_SBDF@2" ]
EOF
    narrate "pcipt create /etc/xen/xlpci.cfg (xl's pci = [...]), with:"; show < /etc/xen/xlpci.cfg
    relay xlpci
    timeout 120 pcipt create /etc/xen/xlpci.cfg < /dev/null > /var/log/pcipt/create-xlpci.log 2>&1
    rc=$?; show < /var/log/pcipt/create-xlpci.log
    XD=$(xl domid xlpci 2>/dev/null)
    if [ $rc = 0 ] && [ -n "$XD" ] && wait_guest xlpci 'GUEST WAIT boot' 150; then
        send_go $XD
        wait_guest xlpci 'GUEST WAIT attach' 120
        xl pci-list $XD > /run/xl-pci-list0.txt 2>&1; show < /run/xl-pci-list0.txt
        bootls=$(xl_line 'lspci at boot'); nv=$(xl_line nvme)
        echo "$bootls" | grep -q '00:02.0 0108:' && echo "$nv" | grep -q 'readback=ok' &&
            grep -qE "^02\.0 +$NVME_SBDF" /run/xl-pci-list0.txt
        check xl-create-pci $? "pcipt create (rc=$rc) of pci = [ \"$NVME_SBDF@2\" ]: xl pci-list: $(tr '\n' ';' < /run/xl-pci-list0.txt); guest: ${bootls:-no lspci line}; ${nv:-no nvme line}"

        # edu is still pcipt's (uio_pci_generic through driver_override since
        # the DMA-off domain's --bind): give it back first, as an operator would
        narrate "pcipt pci-assignable-remove $EDU_SBDF; xl pci-assignable-add $EDU_SBDF; xl pci-attach $XD $EDU_SBDF@3"
        { pcipt pci-assignable-remove $EDU_SBDF && xl pci-assignable-add $EDU_SBDF &&
            xl pci-attach $XD $EDU_SBDF@3; } < /dev/null > /var/log/pcipt/xl-pci-attach.log 2>&1
        arc=$?; show < /var/log/pcipt/xl-pci-attach.log
        i=0; while ! pcipt status $XD 2>/dev/null | grep -q "^  $EDU_SBDF -> 0000:00:03.0" && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        pcipt status $XD < /dev/null > /run/pcipt-status-xl.txt 2>&1; show < /run/pcipt-status-xl.txt
        xl dmesg -c > /dev/null
        send_go $XD
        if wait_guest xlpci 'GUEST WAIT attach-checked' 120; then
            sleep 1; xl dmesg > /run/xl-dmesg-xl.txt
            id=$(xl_line bar0); gm=$(xl_line 'msi rc='); gi=$(xl_line 'intx rc='); rt=$(xl_line 'dma roundtrip')
            st=$(grep -m1 "$EDU_SBDF" /run/pcipt-status-xl.txt | grep -o 'dma [a-z]*')
            f=no; faulted /run/xl-dmesg-xl.txt $EDU_SID 0x48000000 && f=yes
            echo "$id" | grep -qi 'id 0x010000ED' && echo "$gm" | grep -q 'rc=0:' && msitest_ok "$gm" 20 &&
                echo "$gm" | grep -q 'ITS-MSI' && echo "$gi" | grep -q 'rc=0:' && msitest_ok "$gi" 20 &&
                echo "$rt" | grep -q 'rc=0 bm=1: roundtrip ok' && [ "$st" = "dma iommu" ] && [ $f = yes ] && [ $arc = 0 ]
            check xl-pci-attach $? "xl pci-attach (rc=$arc) of edu at slot 3, guest after rescan: ${id:-no BAR0}; MSI: ${gm:-none}; INTx: ${gi:-none}; ${rt:-no DMA roundtrip}; pcipt status: ${st:-no dma field}; stray DMA at 0x48000000 faulted in the SMMU: $f"
            send_go $XD
        fi
        if wait_guest xlpci 'GUEST WAIT detached' 60; then
            bar_pfn=$(printf '%x' $(( EDU_BAR0 >> 12 )))
            before=$(iomem_has $XD $bar_pfn)
            narrate "xl pci-detach $XD $EDU_SBDF"
            xl pci-detach $XD $EDU_SBDF < /dev/null > /var/log/pcipt/xl-pci-detach.log 2>&1
            drc=$?; show < /var/log/pcipt/xl-pci-detach.log
            sleep 1
            owner=$(smmu_owner $EDU_SBDF)      # (iomem_has clears Xen's console ring)
            after=$(iomem_has $XD $bar_pfn)
            xl pci-list $XD > /run/xl-pci-list1.txt 2>&1; show < /run/xl-pci-list1.txt
            pcipt status $XD < /dev/null > /run/pcipt-status-xl1.txt 2>&1; show < /run/pcipt-status-xl1.txt
            send_go $XD
            wait_guest xlpci 'GUEST DONE' 60
            old=$(xl_line 'old bar0')
            l1=$(grep -c "$EDU_SBDF" /run/xl-pci-list1.txt); s1=$(grep -c "$EDU_SBDF" /run/pcipt-status-xl1.txt)
            n1=$(grep -c "$NVME_SBDF" /run/xl-pci-list1.txt); m1=$(grep -c "$NVME_SBDF" /run/pcipt-status-xl1.txt)
            [ $drc = 0 ] && [ -n "$old" ] && ! echo "$old" | grep -qi '0x010000ED' && [ "$after" = no ] &&
                [ -n "$owner" ] && [ "$owner" != "d$XD" ] && [ $l1 = 0 ] && [ $s1 = 0 ] && [ $n1 = 1 ] && [ $m1 = 1 ]
            check xl-pci-detach $? "xl pci-detach (rc=$drc): guest ${old:-no line}; iomem permission before $before, after $after; Xen's SMMU gave edu to ${owner:-?}; edu in xl pci-list $l1, in pcipt status $s1; nvme in both $n1/$m1"
        fi
        # xl-watch-all: the domain's daemon dies; `xl pci-attach` again: the
        # host-wide watcher adopts edu and starts a new daemon, which takes
        # over the IOREQ server.  Then xl destroy with both kinds attached:
        # edu by xl, nvme by pcipt.
        XP0=$(D=$XD; daemon_pid)
        [ -n "$XP0" ] && kill -KILL $XP0
        i=0; while [ -n "$XP0" ] && kill -0 $XP0 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        narrate "daemon $XP0 killed; xl pci-attach $XD $EDU_SBDF@3"
        xl pci-attach $XD $EDU_SBDF@3 < /dev/null > /var/log/pcipt/xl-pci-attach2.log 2>&1; arc=$?; show < /var/log/pcipt/xl-pci-attach2.log
        i=0; while ! pcipt status $XD 2>/dev/null | grep -q "^  $EDU_SBDF" && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
        pcipt status $XD < /dev/null > /run/pcipt-status-xl2.txt 2>&1; show < /run/pcipt-status-xl2.txt
        XP=$(D=$XD; daemon_pid)
        wl=$(grep "started domain $XD's daemon" /var/log/pcipt/watch-all.log | tail -1)
        [ $arc = 0 ] && [ -n "$XP0" ] && [ -n "$XP" ] && [ "$XP" != "$XP0" ] && kill -0 $WATCH_ALL 2>/dev/null &&
            grep -q "^  $EDU_SBDF -> 0000:00:03.0" /run/pcipt-status-xl2.txt && echo "$wl" | grep -q "pid $XP)"
        check xl-watch-all $? "daemon $XP0 killed, then xl pci-attach (rc=$arc): the host-wide watcher: ${wl:-no 'started' line}; serving daemon ${XP:-none}; pcipt status: $(grep "$EDU_SBDF" /run/pcipt-status-xl2.txt | head -1)"
        narrate "xl destroy $XD (edu from xl pci-attach and nvme from pcipt create attached; daemon pid ${XP:-none})"
        xl destroy $XD < /dev/null > /var/log/pcipt/xl-destroy.log 2>&1; xrc=$?; show < /var/log/pcipt/xl-destroy.log
        i=0; while { [ -n "$XP" ] && kill -0 $XP 2>/dev/null || xl list | awk 'NR>1{print $2}' | grep -qx "$XD"; } && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
        dp=; [ -n "$XP" ] && kill -0 $XP 2>/dev/null && dp=$XP
        gone=yes; xl list | awk 'NR>1{print $2}' | grep -qx "$XD" && gone=no
        xenstore-ls -f > /run/xs-after-xl.txt 2>&1
        left=$(grep -E "^/local/domain/$XD(/| )|/backend/[^/]+/$XD(/| )|pcipt.*/$XD(/| )" /run/xs-after-xl.txt | head -3)
        eo=$(smmu_owner $EDU_SBDF); no=$(smmu_owner $NVME_SBDF)
        errs=$(grep -ci 'error\|cannot' /var/log/xen/pcipt-serve-$XD.log 2>/dev/null)
        [ $xrc = 0 ] && [ -n "$XP" ] && [ -z "$dp" ] && [ $gone = yes ] && [ -z "$left" ] &&
            [ "$eo" = "d[IO]" ] && [ "$no" = "d[IO]" ] && [ "${errs:-0}" = 0 ]
        check xl-destroy-clean $? "xl destroy (rc=$xrc): daemon pid ${XP:-none} ${dp:+still running}${dp:-exited}; domain gone: $gone; xenstore nodes left: ${left:-none}; Xen's SMMU gave edu to ${eo:-?} and nvme to ${no:-?}; error lines in the daemon's log: ${errs:-0}"
    else
        failm "xl-create-pci: pcipt create (rc=$rc, domid ${XD:-none}) or the guest's boot failed"
    fi
    [ -n "$XD" ] && xl destroy $XD 2>/dev/null
    stop_relay xlpci
fi
kill $WATCH_ALL 2>/dev/null
for f in $(daemon_logs); do echo "PCIPTD| ==> $f"; while IFS= read -r l; do echo "PCIPTD| $l"; done < $f; done
say "END"
poweroff -f
