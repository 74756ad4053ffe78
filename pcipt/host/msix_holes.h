/* Which pages of a BAR must stay unmapped because they hold the MSI-X table
 * or the PBA (docs/design/attach.md "attach, in order" step 3: the guest's
 * accesses there must trap
 * so that the vectors stay emulated). */
#ifndef PCIPT_MSIX_HOLES_H
#define PCIPT_MSIX_HOLES_H

#include "hostbridge/hostdev.h"
#include "pcipt/hv/map.h"

/* From the host's MSI-X capability (read through hd's config ops): the page
 * runs of BAR bar holding the table and the PBA, as page indexes relative to
 * the BAR's first host page.  Returns how many were written (0..2), 0 for a
 * device without MSI-X or a BAR that holds neither, -EIO if config space
 * cannot be read. */
int msix_bar_holes(const struct host_dev *hd, unsigned bar, struct page_range holes[2]);

#endif
