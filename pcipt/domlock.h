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
#include <sys/types.h>

#define DOMLOCK_RUN_DIR_DEFAULT "/run/pcipt"
#define DOMLOCK_ENV             "PCIPT_RUN_DIR"

/* The run directory: $PCIPT_RUN_DIR, else /run/pcipt. */
const char *domlock_run_dir(void);
/* Create it (0700) when missing.  0, or -errno with a sentence in err. */
int domlock_make_run_dir(char *err, size_t errlen);

/* Block until this process holds domain domid's lock.  Creates the run and
 * lock directories (0700) when missing.  Returns a descriptor >= 0 for
 * domlock_release, or -errno with a sentence naming the path in err. */
int domlock_acquire(uint32_t domid, char *err, size_t errlen);
/* Release (close) a descriptor from domlock_acquire; negative is a no-op. */
void domlock_release(int fd);

/* The daemon's own lock: `pcipt serve D` holds an flock() on
 * $PCIPT_RUN_DIR/serve/dom<D> (with its pid in it) for as long as it runs,
 * so a live daemon is found even when its xenstore record is gone (the
 * last device's detach removes the backend dir).  servelock_acquire returns
 * the descriptor to keep open, or -EBUSY with *holder = the live daemon's
 * pid, or -errno + err. */
int servelock_acquire(uint32_t domid, pid_t *holder, char *err, size_t errlen);
/* The pid of the daemon holding domain domid's serve lock, or 0. */
pid_t servelock_holder(uint32_t domid);

#endif
