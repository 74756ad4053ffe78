/* A libxl double: what `xl pci-attach`, `xl pci-detach` and `xl destroy`
 * do on Arm (a PVH-type domain, no device model, no legacy IRQ), in
 * libxl 4.17.5's order (tools/libs/light/libxl_pci.c), against the attach
 * fixture's sysfs tree, the sim hypervisor (simfx_hv) and the real
 * xenstored (afx_ctx.xs):
 *
 * attach (pci_add_dm_done, then libxl__device_pci_add_xenstore):
 *   for each line of the function's sysfs `resource` with a start: a memory
 *   BAR -> iomem_permission(start >> 12, (size + 4095) >> 12, grant); an I/O
 *   BAR -> fatal (xc_domain_ioport_permission is x86-only: -EOPNOTSUPP
 *   here); then assign_device; then num_devs read OUTSIDE any transaction,
 *   [the race hook], and one transaction writes key-N, dev-N, [vdevfn-N],
 *   opts-N, state-N = 1, num_devs = N+1 (+ state = 7 when N > 0), the first
 *   device also the backend's base nodes (libxl__create_pci_backend).
 * detach (do_pci_remove, pci_remove_detached, then
 * libxl__device_pci_remove_xenstore): revoke iomem per BAR, reset (function
 * 0 only: "1" into sysfs `reset` when the tree has one), deassign_device,
 * transaction 1 state-N = 5 + state = 7, transaction 2 removes the *-N
 * nodes, moves every later *-J to *-(J-1) (vdev-J included) and writes
 * num_devs = num - 1; the last device removes the backend and frontend
 * (libxl__device_destroy).  No wait for any backend (PV only).
 * destroy: detach of every listed device (libxl__device_pci_destroy_all,
 * force), then the domain.
 *
 * Each returns 0 or the first -errno (nothing written after a failed
 * step, as libxl). */
#ifndef TESTS_FAKE_LIBXL_H
#define TESTS_FAKE_LIBXL_H

#include <stdint.h>

/* vslot < 0: none (no vdevfn-N); else vdevfn-N = vslot << 3. */
int libxl_double_attach(uint32_t domid, const char *sbdf, int vslot);
int libxl_double_detach(uint32_t domid, const char *sbdf);
int libxl_double_destroy(uint32_t domid);

/* Called by attach between its num_devs read and its transaction (the
 * window where a concurrent `pcipt pci-attach` can take the same N);
 * NULL = none.  Cleared by libxl_double_reset. */
typedef void (*libxl_double_hook)(void *arg);
void libxl_double_set_hook(libxl_double_hook fn, void *arg);
void libxl_double_reset(void);

/* How many resets detach wrote (tests check the order they see). */
unsigned libxl_double_resets(void);

#endif
