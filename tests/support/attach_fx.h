/* Fixture for the attach/detach tests: a private simulator with guest
 * domains 3 and 5, a real xenstored (one per test case, started by
 * xsd_fixture_start as an unchecked fixture), and a sysfs-shaped tree from
 * real dumps:
 *   0000:01:00.0  cap-pcie-2 (Intel 82576): 32-bit BARs 0,1,3, I/O BAR 2,
 *                 ROM; MSI-X table and PBA in BAR3 (pages 0 and 2 of 4)
 *   0000:09:00.0  cap-rebar (AMD Fiji): 64-bit prefetchable 256 MiB BAR0
 *                 (moved to host 0x4000000000 so that it does not overlap
 *                 the 82576's BAR1 from another machine), BAR2 2 MiB,
 *                 I/O BAR4, 32-bit BAR5, ROM
 * both unbound, host Bus Master off, reset method "flr bus";
 * DIR/drivers/uio_pci_generic exists
 * (the holder's module is loaded). */
#ifndef TESTS_ATTACH_FX_H
#define TESTS_ATTACH_FX_H

#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/attach.h"

#define AFX_NIC  "0000:01:00.0"
#define AFX_GPU  "0000:09:00.0"

extern char afx_tree[64];
extern struct attach_ctx afx_ctx;          /* hv = simfx_hv, xs open */

void afx_setup(void);
void afx_teardown(void);

/* Rewrite line index of DEV's sysfs `resource` (Linux's "start end flags"). */
void afx_set_resource(const char *dev, unsigned index, uint64_t start, uint64_t size,
                      uint64_t flags);
/* A copy of AFX_NIC as function NEIGHBOUR whose 256-byte BAR 0 shares the
 * host page 0xe0900000 with AFX_NIC's (also made 256 bytes); its other
 * BARs elsewhere.  The sub-page BAR tests' host. */
void afx_add_subpage_neighbour(const char *neighbour);
/* Set DEV's driver link (NULL: unbound). */
void afx_set_driver(const char *dev, const char *driver);

/* Everything attach may touch: the sim's mappings, iomem permissions and
 * vITS bindings of domains 3 and 5, each device's driver link and driver_override in the
 * tree, its SMMU owner and host Bus Master, and `xenstore-ls -fp /`.
 * malloc'd. */
char *afx_snapshot(void);
/* memory_mapping calls the sim counted for domain 5. */
uint64_t afx_sim_mapping_calls(uint32_t domid);

/* attach_device / detach_device on afx_ctx with an SBDF string. */
/* One byte of dev's sysfs config file. */
uint8_t afx_config_byte(const char *dev, unsigned off);
/* The host function's Command.BusMaster (its config file), 0/1. */
int afx_host_bus_master(const char *dev);
/* Who owns dev's StreamID in the simulated SMMU: 0, a domid, HV_DOMID_IO. */
uint32_t afx_smmu_owner(const char *dev);
/* Overwrite one byte of dev's sysfs config file (e.g. the Interrupt Pin). */
void afx_set_config_byte(const char *dev, unsigned off, uint8_t val);
int afx_attach_fn(uint32_t domid, const char *sbdf, int slot, int fn, unsigned flags,
                  char *err, size_t errlen);
int afx_attach(uint32_t domid, const char *sbdf, int slot, unsigned flags, char *err,
               size_t errlen);
int afx_detach(uint32_t domid, const char *sbdf, char *err, size_t errlen);
/* The environment (for `env ...` in a shell command) that runs a program
 * with Linux's driver core played on the tree by the LD_PRELOAD shim
 * build/tests/drivercore.so (tests/drivercore/drivercore.c, $PCIPT_DRIVERCORE).
 * afx_setup loads uio_pci_generic (makes DIR/drivers/uio_pci_generic).  Static. */
const char *afx_driver_core_env(void);
/* The shim's log of stores, DIR/driver-core.log ("" if none).  malloc'd. */
char *afx_driver_core_log(void);
/* DEV's driver link ("" = none) and driver_override, as the snapshot shows them. */
void afx_driver_state(const char *dev, char *buf, size_t len);

/* pcipt's options for this fixture, "--hv sim --sysfs TREE", to put
 * before a command run with run_pcipt() (tests/support/run_util.h). */
const char *afx_args(void);

#endif
