/* Memory BARs smaller than a page (docs/design/attach.md "Sub-page BARs"):
 * stage 2 maps whole 4 KiB pages, so a guest given a 256-byte BAR reaches
 * every other resource in the same host page.  One detection, two callers:
 * `pcipt check` warns (pcipt/check/check_dev.c), attach refuses unless every
 * function sharing the page goes to the same domain
 * (pcipt/assign/attach_check.c).  The cure on the host:
 * pci=resource_alignment= on the dom0 kernel command line (SUBPAGE_HOWTO). */
#ifndef PCIPT_SUBPAGE_H
#define PCIPT_SUBPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "hostbridge/common/sbdf.h"

#define SUBPAGE_SIZE ((uint64_t)4096)
#define SUBPAGE_HOWTO "pci=resource_alignment=4096 on the dom0 kernel command line " \
                      "(or a list of the devices: pci=resource_alignment=4096@SBDF;...) " \
                      "gives each such BAR a page of its own"

/* One host function's resources, as sysfs `resource` states them. */
struct subpage_fn {
    struct sbdf addr;
    struct host_bar bars[PCI_NUM_RES];
};

/* Every function under sysfs (NULL = /sys/bus/pci), bridges included.
 * 0 or -errno with a sentence in err; free *out with free(). */
int subpage_load(const char *sysfs, struct subpage_fn **out, size_t *n, char *err,
                 size_t errlen);

/* A memory resource (BAR or ROM, non-empty). */
bool subpage_is_mem(const struct host_bar *b);

/* One resource of another function in the page of a sub-page BAR. */
struct subpage_share {
    unsigned bar;                   /* me's BAR (PCI_ROM_SLOT: the ROM) */
    uint64_t page;                  /* host address of the page */
    uint64_t size;                  /* me's BAR's size (< SUBPAGE_SIZE) */
    const struct subpage_fn *who;   /* the neighbour, in fns[] */
    unsigned which;                 /* its resource */
};

/* Each memory BAR of me smaller than a page, and each memory resource of
 * another function of fns[] in that page: cb once per pair, in BAR order.
 * cb's non-zero return stops the walk and is returned; 0 otherwise. */
typedef int (*subpage_cb)(const struct subpage_share *s, void *opaque);
int subpage_shares(const struct subpage_fn *fns, size_t n, const struct subpage_fn *me,
                   subpage_cb cb, void *opaque);

/* "BAR 3" or "ROM" into buf (>= 8 bytes). */
const char *subpage_res_name(unsigned i, char *buf);

#endif
