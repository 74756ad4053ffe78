/* Per-domain lock for the toolstack commands that change a domain's PCI
 * devices.  Two concurrent `pcipt attach` (or attach + detach) for one
 * domain would otherwise both plan from the same xenstore state and could
 * give two devices overlapping guest BARs or the same slot; attach_device
 * and detach_device hold this lock from their checks to their xenstore
 * publish/remove.  It is an flock() on $PCIPT_RUN_DIR/lock/dom<D> (default
 * /run/pcipt/lock), so the kernel releases it when the process dies. */
#ifndef PCIPT_DOMLOCK_H
#define PCIPT_DOMLOCK_H

#include <stddef.h>
#include <stdint.h>

#define DOMLOCK_RUN_DIR_DEFAULT "/run/pcipt"
#define DOMLOCK_ENV             "PCIPT_RUN_DIR"

/* Block until this process holds domain domid's lock.  Creates the run and
 * lock directories (0700) when missing.  Returns a descriptor >= 0 for
 * domlock_release, or -errno with a sentence naming the path in err. */
int domlock_acquire(uint32_t domid, char *err, size_t errlen);
/* Release (close) a descriptor from domlock_acquire; negative is a no-op. */
void domlock_release(int fd);

#endif
