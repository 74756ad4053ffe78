/* Per-domain lock for the toolstack commands that change a domain's PCI
 * devices.  Two concurrent `pcipt attach` (or attach + detach) for one
 * domain would otherwise both plan from the same xenstore state and could
 * give two devices overlapping guest BARs or the same slot; attach_device
 * and detach_device hold this lock from their checks to their xenstore
 * publish/remove.  It is an flock() on $PCIPT_RUN_DIR/lock/dom<D> (default
 * /run/pcipt/lock), so the kernel releases it when the process dies. */
#ifndef PCIPT_DOMLOCK_H
#define PCIPT_DOMLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "hostbridge/common/sbdf.h"

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
/* The host function's lock ($PCIPT_RUN_DIR/lock/dev-SSSS:BB:DD.F): held by
 * an attach from its "already attached to another domain?" check until it
 * has published (or undone everything), so that of two attaches of one
 * function to two domains exactly one wins.  Taken after the domain's lock.
 * The fd (release with domlock_release), or -errno + err. */
int devlock_acquire(const struct sbdf *host, char *err, size_t errlen);
/* Release (close) a descriptor from domlock_acquire; negative is a no-op. */
void domlock_release(int fd);

/* The daemon's own lock: `pcipt serve D` holds an flock() on
 * $PCIPT_RUN_DIR/serve/dom<D> (with its pid in it) for as long as it runs,
 * so a live daemon is found even when its xenstore record is gone (the
 * last device's detach removes the backend dir).  servelock_acquire returns
 * the descriptor to keep open, or -EBUSY with *holder = the live daemon's
 * pid, or -errno + err. */
int servelock_acquire(uint32_t domid, pid_t *holder, char *err, size_t errlen);
/* Whether domain domid's daemon is alive: THE test for it (serve,
 * pci-attach, watch, detach).  It is iff some process holds the serve lock:
 * the kernel drops an flock when its holder exits, so a daemon that died
 * (an unreaped zombie included) is dead here even while its pid still
 * answers kill(pid, 0), and a recycled pid in pcipt/server/pid (another
 * process) means nothing.  The pid in xenstore is only informational.
 * *pid (may be NULL) = the holder's pid as written in the lock file, 0 if
 * it never wrote one.  Probing takes a shared lock for an instant;
 * servelock_acquire tells that apart from a daemon's lock. */
bool servelock_held(uint32_t domid, pid_t *pid);
/* The pid of the daemon holding domain domid's serve lock, or 0. */
pid_t servelock_holder(uint32_t domid);

/* The IOREQ server a daemon created for the domain, also kept in the run
 * dir ($PCIPT_RUN_DIR/serve/dom<D>.server): its xenstore record lives in
 * the pci backend dir, which goes with the domain's last device (pcipt's
 * detach or libxl's), possibly while no daemon runs; without this a later
 * daemon would create a second server for the same ranges and Xen would
 * keep sending the guest's accesses to the first.  Written (by the lock
 * holder only) when the server is created or taken over, removed when the
 * daemon destroys it.  vm = the domain's xenstore `vm` node
 * (/vm/<uuid>, "" if absent): a record of an earlier domain with the same
 * domid is not taken for this one's. */
struct serve_record {
    uint16_t server_id;
    char vm[128];
};
/* 0, or -errno (the file is replaced atomically). */
int serve_record_write(uint32_t domid, const struct serve_record *r);
/* 0, -ENOENT (none), -EINVAL (unreadable: treated as none by callers). */
int serve_record_read(uint32_t domid, struct serve_record *r);
/* 0 or -errno; none is 0. */
int serve_record_remove(uint32_t domid);

#endif
