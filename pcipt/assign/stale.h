/* Assignments nobody should act on any more (docs/design/attach.md
 * "Hand-over: a stale assignment", "Hand-over: crash-atomic mappings"):
 *
 *   - a stale assignment: the pci backend dir of domid D names another
 *     domain (be/pcipt/vm, pcipt/xs/xs_owner.h) than the one D is now: its
 *     domain was destroyed while no daemon ran, and the domid may have been
 *     reused.  Nothing of it is served; attach_reap_stale takes its devices
 *     back (Bus Master off, out of Xen's quarantine) and removes its records
 *     (the backend dir, the run dir's serve record of the old domain).  The
 *     old domain's p2m and iomem permissions went with it.
 *   - an attach intent: before attach touches anything it records, in
 *     $PCIPT_RUN_DIR/intent/dom<D>-<SBDF>, what it is about to grant and map
 *     (and the domain's `vm`), and removes the record once the device is
 *     published with its p2m records, or undone.  A record left behind (an
 *     attach killed in between) is undone by the next attach or detach of
 *     the domain or of the device, under its lock: unmap, revoke, deassign.
 *
 * Both are called with the domain lock held (domlock.h). */
#ifndef PCIPT_ASSIGN_STALE_H
#define PCIPT_ASSIGN_STALE_H

#include <stdbool.h>

#include "pcipt/assign/attach.h"

/* 0 when domid's assignment is its own (or there is none); when it is
 * stale, clean it up, set *reaped_host (optional) if `host` (optional) was
 * one of its devices, and return 0 too unless xenstore could not be read
 * (-errno, sentence in err).  Logs one warning line per clean-up. */
int attach_reap_stale(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host,
                      bool *reaped_host, char *err, size_t errlen);

/* Record job's plan before attach touches anything (0, or -errno and a
 * sentence in err) / forget it. */
int attach_intent_write(struct attach_ctx *ctx, const struct attach_job *job, char *err,
                        size_t errlen);
void attach_intent_clear(const struct attach_job *job);
/* Undo what intents left by killed attaches name (devices not published
 * to the intent's domain), those of domid and (host not NULL) those of
 * host in any domain; remove the records.  Safe with domid's lock held
 * (an attach writes an intent of its domain only under it) or host's
 * (devlock_acquire: the same for its device). */
void attach_intent_reap(struct attach_ctx *ctx, uint32_t domid, const struct sbdf *host);

#endif
