# tests/system/edu.sh: checks of QEMU's `edu` device through its BAR0 and its
# INTx, shared by dom0 (on the real device: proves the checks themselves) and
# the guest (through pcipt).  Sourced by busybox sh; needs devmem, dd, od,
# timeout and the uio + uio_pci_generic modules in /lib/modules.
# Each check calls `check NAME RC MESSAGE` (defined by the caller).
#
# edu's BAR0 registers (QEMU docs/specs/edu.rst):
#   0x00 ID 0x010000ED (RO)        0x04 liveness: reads back ~written value
#   0x08 factorial (RW)            0x20 status: bit 0 = factorial busy
#   0x24 interrupt status (RO)     0x60 interrupt raise: status |= value
#   0x64 interrupt ack: status &= ~value; INTx is asserted while status != 0
EDU_VENDOR=1234
EDU_DEVICE=11e8

hexeq() { [ "$(printf '%d' "$1" 2>/dev/null)" = "$(printf '%d' "$2" 2>/dev/null)" ]; }

# edu_regs PREFIX BAR0: ID register, liveness, factorial 5! = 120
edu_regs() {
    local p=$1 b=$2 id live fact i=0
    id=$(devmem $b 32); hexeq "$id" 0x010000ED
    check $p-id $? "ID register at $b reads $id (expect 0x010000ED)"
    devmem $((b + 4)) 32 0x12345678; live=$(devmem $((b + 4)) 32); hexeq "$live" 0xEDCBA987
    check $p-liveness $? "liveness: wrote 0x12345678, read $live (expect 0xEDCBA987)"
    devmem $((b + 8)) 32 5
    while [ $(( $(devmem $((b + 0x20)) 32) & 1 )) -ne 0 ] && [ $i -lt 100 ]; do i=$((i + 1)); usleep 10000; done
    fact=$(devmem $((b + 8)) 32); hexeq "$fact" 120
    check $p-factorial $? "factorial unit: 5! = $((fact)) (expect 120)"
}

# edu_uio_bind DEVDIR: bind uio_pci_generic; prints the /dev/uioN path
edu_uio_bind() {
    local d=$1 u i=0
    insmod /lib/modules/uio.ko 2>/dev/null; insmod /lib/modules/uio_pci_generic.ko 2>/dev/null
    echo "$EDU_VENDOR $EDU_DEVICE" > /sys/bus/pci/drivers/uio_pci_generic/new_id 2>/dev/null
    [ -e $d/driver ] || echo $(basename $d) > /sys/bus/pci/drivers/uio_pci_generic/bind 2>/dev/null
    while [ $i -lt 50 ]; do              # probe is synchronous; the node may lag (5 s bound)
        u=$(ls $d/uio 2>/dev/null | head -1)
        [ -n "$u" ] && [ -c /dev/$u ] && { echo /dev/$u; return 0; }
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

edu_uio_unbind() {
    local d=$1
    echo "$EDU_VENDOR $EDU_DEVICE" > /sys/bus/pci/drivers/uio_pci_generic/remove_id 2>/dev/null
    [ -e $d/driver ] && echo $(basename $d) > $d/driver/unbind 2>/dev/null
    return 0
}

# put_byte FILE OFFSET VALUE: one 1-byte write at OFFSET (busybox printf
# cannot print a NUL, so 0 comes from /dev/zero)
put_byte() {
    if [ $(($3)) -eq 0 ]; then
        dd if=/dev/zero of=$1 bs=1 seek=$2 count=1 conv=notrunc 2>/dev/null
    else
        printf "\\$(printf %o $(($3)))" | dd of=$1 bs=1 seek=$2 count=1 conv=notrunc 2>/dev/null
    fi
}
get_byte() { od -An -tu1 -j$2 -N1 $1 | tr -d ' '; }

# edu_intx_unmask DEVDIR: clear Interrupt Disable (command register bit 10,
# PCI Local Bus 3.0 §6.2.2) through sysfs config, as the uio howto does for
# uio_pci_generic (its irq handler sets the bit; it has no irqcontrol)
edu_intx_unmask() {
    put_byte $1/config 5 $(( $(get_byte $1/config 5) & ~4 ))
}

# uio_opened DEV: wait (5 s bound) until some process holds DEV open
uio_opened() {
    local i=0 f
    while [ $i -lt 50 ]; do
        for f in /proc/[0-9]*/fd/*; do
            [ "$(readlink $f 2>/dev/null)" = "$1" ] && return 0
        done
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

# edu_irq_wait UIO DEVDIR BAR0 BIT: unmask INTx, raise edu's interrupt BIT,
# print the uio event count that a blocking read of UIO returns (10 s bound).
# The interrupt is raised only once the reader has the device open (uio
# counts events from the open), so there is no race with the reader.
edu_irq_wait() {
    local u=$1 d=$2 b=$3 out=/tmp/uio.$4 pid
    edu_intx_unmask $d
    rm -f $out
    (timeout 10 dd if=$u bs=4 count=1 2>/dev/null | od -An -tu4 | tr -d ' ' > $out) &
    pid=$!
    uio_opened $u || echo "uio_opened: nobody opened $u" >&2
    devmem $((b + 0x60)) 32 $4
    wait $pid
    cat $out
}

# edu_intx PREFIX DEVDIR BAR0: two interrupts, acked in between
edu_intx() {
    local p=$1 d=$2 b=$3 u n1 n2 st
    u=$(edu_uio_bind $d)
    [ -n "$u" ]
    check $p-bind $? "uio_pci_generic bound to $(basename $d): ${u:-no uio device} (irq $(cat $d/irq 2>/dev/null))"
    if [ -z "$u" ]; then
        check $p-irq1 1 "no uio device"; check $p-irq2 1 "no uio device"; return
    fi
    n1=$(edu_irq_wait $u $d $b 1)
    st=$(devmem $((b + 0x24)) 32)
    [ -n "$n1" ] && [ "$n1" -ge 1 ] 2>/dev/null
    check $p-irq1 $? "first interrupt: $u event count ${n1:-none} (edu status $st, command $(od -An -tx2 -j4 -N2 $d/config | tr -d ' '))"
    devmem $((b + 0x64)) 32 $((st))                   # ack: INTx deasserts
    n2=$(edu_irq_wait $u $d $b 2)
    [ -n "$n2" ] && [ -n "$n1" ] && [ "$n2" -gt "$n1" ] 2>/dev/null
    check $p-irq2 $? "second interrupt after the ack: event count ${n2:-none} (> ${n1:-none})"
    devmem $((b + 0x64)) 32 $(( $(devmem $((b + 0x24)) 32) ))
    grep -i uio /proc/interrupts
    edu_uio_unbind $d
}

# msitest MODE DEVDIR N: give edu to the test module pcipt_msitest.ko
# (tests/system/msitest/) with one MSI (MODE msi) or its INTx (intx), raise N
# interrupts one at a time, print the module's stats line ("mode= irq=
# fired= handled= timeouts= spurious= min_ns= median_ns=": raise-to-handler
# times measured in this kernel) and its /proc/interrupts line, unload it.
# Non-zero when the module could not take the device.
msitest() {
    local m=/lib/modules/pcipt_msitest.ko d
    d=$(readlink $2/driver 2>/dev/null) && echo "$(basename $2)" > $2/driver/unbind
    insmod $m mode=$1 2> /tmp/msitest.err || { echo "insmod $m mode=$1: $(cat /tmp/msitest.err)"; return 1; }
    if [ ! -e $2/pcipt_fire ]; then
        echo "pcipt_msitest did not take $(basename $2): $(dmesg | grep -i 'pcipt_msitest\|of_irq' | tail -2 | tr '\n' ' ')"
        rmmod pcipt_msitest; return 1
    fi
    echo $3 > $2/pcipt_fire
    echo "$(cat $2/pcipt_stats) interrupts:$(grep pcipt_msitest /proc/interrupts | tr -s ' ')"
    rmmod pcipt_msitest
}
# msitest_ok LINE N: the line says N fired, N handled, no timeout
msitest_ok() {
    echo "$1" | grep -q " fired=$2 " && echo "$1" | grep -q " timeouts=0 " &&
        [ "$(echo "$1" | sed -n 's/.* handled=\([0-9]*\) .*/\1/p')" -ge "$2" ] 2>/dev/null
}
