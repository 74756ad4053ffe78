/* One vCPU's slot in an IOREQ server's shared page: its state field, read
 * and written the way both sides of Xen's protocol need it (Xen's public
 * header <xen/hvm/ioreq.h>, struct ioreq and the STATE_* values):
 *   the guest side (Xen, or the sim) writes the request, then READY;
 *   the device model takes it (INPROCESS), answers `data`, then IORESP_READY;
 *   the guest side reads the answer and puts the slot back to NONE.
 * `state` is a 4-bit field sharing its byte with data_is_ptr, dir and df, and
 * the other side writes it concurrently, so the byte is loaded with acquire
 * (nothing of the request is read before the state says it is there) and
 * stored with release (the answer's data is visible before the state), and a
 * store keeps the byte's other bits.  The states are Xen's STATE_IOREQ_NONE,
 * STATE_IOREQ_READY, STATE_IOREQ_INPROCESS and STATE_IORESP_READY.
 * Used by the daemon (pcipt/daemon/daemon_loop.c), the simulator's guest side
 * (pcipt/sim/sim_vcpu.c) and the tests' responder. */
#ifndef PCIPT_IOREQ_SLOT_H
#define PCIPT_IOREQ_SLOT_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

/* The byte holding state:4 (low nibble) is the one before `type`. */
#define IOREQ_SLOT_STATE_BYTE (offsetof(ioreq_t, type) - 1)
#define IOREQ_SLOT_STATE_MASK 0xfu

_Static_assert(offsetof(ioreq_t, type) == 31, "ioreq_t: state shares byte 30, type is byte 31");

static inline unsigned ioreq_slot_state(ioreq_t *slot)
{
    return __atomic_load_n((uint8_t *)slot + IOREQ_SLOT_STATE_BYTE, __ATOMIC_ACQUIRE) &
           IOREQ_SLOT_STATE_MASK;
}

static inline void ioreq_slot_set_state(ioreq_t *slot, unsigned state)
{
    uint8_t *b = (uint8_t *)slot + IOREQ_SLOT_STATE_BYTE;
    uint8_t keep = __atomic_load_n(b, __ATOMIC_RELAXED) & (uint8_t)~IOREQ_SLOT_STATE_MASK;

    __atomic_store_n(b, (uint8_t)(keep | (state & IOREQ_SLOT_STATE_MASK)), __ATOMIC_RELEASE);
}

#endif
