/* What libxl writes to xenstore for `xl pci-attach` / `xl pci-detach` of
 * domain 5 on Xen 4.21+ (libxl__create_pci_backend +
 * libxl__device_pci_add_xenstore, in their order; then
 * libxl__device_pci_remove_xenstore: state-N = 5 and be/state = 7, then the
 * removal with renumbering, then libxl__device_destroy for the last
 * device), written with xenstore-write/-rm on the attach fixture's
 * xenstored; and checks on the result.  Used by test_xl_watch*.c. */
#ifndef TESTS_LIBXL_FX_H
#define TESTS_LIBXL_FX_H

#include <stdbool.h>
#include <stdint.h>

#define LXFX_BE "/local/domain/0/backend/pci/5/0"
#define LXFX_FE "/local/domain/5/device/pci/0"
#define LXFX_OPTS "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"

/* Run a shell command; the test fails unless it exits 0. */
void lxfx_sh(const char *cmd);
/* libxl__device_pci_add_xenstore for device n (vdevfn "%x" or NULL). */
void lxfx_add(unsigned n, const char *bdf, const char *vdevfn);
/* First transaction of libxl__device_pci_remove_xenstore. */
void lxfx_close(unsigned i);
/* Second transaction (and libxl__device_destroy when it was the last). */
void lxfx_remove(unsigned i, unsigned num);

/* xenstore read (malloc'd; "(absent)" when missing). */
char *lxfx_read(const char *path);
void lxfx_expect(const char *path, const char *want);
/* Wait (bounded, on a xenstore watch) until path reads want. */
bool lxfx_wait_node(const char *path, const char *want);
/* Does domain 5 map any page of host range [host, host+size)? */
bool lxfx_maps_host(uint64_t host, uint64_t size);
/* Host address of BAR i of be/pcipt/<dev>. */
uint64_t lxfx_bar_host(const char *dev, unsigned i);
/* Wait (bounded) until domain 5 maps no page at host; true when so. */
bool lxfx_unmapped_soon(uint64_t host);
/* What domain 5's guest reads at 00:SLOT.0 offset 0 (through the daemon). */
uint32_t lxfx_guest_id(unsigned slot);
/* Wait (bounded) until the guest reads want at slot. */
bool lxfx_guest_id_becomes(unsigned slot, uint32_t want);

#endif
