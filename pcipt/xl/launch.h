/* Starting, finding and stopping a domain's daemon (`pcipt serve DOMID`)
 * from the toolstack side (pcipt create, pcipt pci-attach).
 *
 * A daemon serves the domain while it holds its serve lock
 * (servelock_held, pcipt/assign/domlock.h; xenstore's pcipt/server/pid is only
 * informational: a zombie or a recycled pid would look alive); it is ready
 * when pcipt/server/state = "ready" (docs/design/attach.md "Hand-over:
 * daemon readiness").
 *
 * Starting: with systemd running (/run/systemd/system exists) and the unit
 * pciptd@.service installed, `systemctl start pciptd@DOMID`; otherwise
 * the pcipt binary itself (or $PCIPT_SERVE_BIN) is started as
 * `pcipt [--hv H --sysfs D --config F] serve DOMID` in its own session,
 * logging to $PCIPT_LOG_DIR/pcipt-serve-DOMID.log (default /var/log/xen).
 * Either way the daemon gets the caller's environment (struct pcipt_env)
 * (pcipt/xl/launch_opts.h: through the unit's environment file with systemd).
 * PCIPT_NO_SYSTEMD=1 forces the second way; PCIPT_SYSTEMD_DIR names the
 * directory whose presence means systemd runs (default /run/systemd/system). */
#ifndef PCIPT_DAEMON_CTL_H
#define PCIPT_DAEMON_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <xenstore.h>

#include "pcipt/util/env.h"

#define DAEMON_UNIT          "pciptd@.service"
#define DAEMON_SYSTEMD_DIR   "/run/systemd/system"
#define DAEMON_LOG_DIR       "/var/log/xen"
#define DAEMON_READY_TIMEOUT_MS 30000   /* a loaded dom0 under TCG took >10 s */

struct daemon_ref {
    uint32_t domid;
    bool systemd;       /* started as pciptd@DOMID */
    pid_t pid;          /* spawned child (0 with systemd) */
    char log[256];      /* the spawned daemon's log file */
};

/* Whether a live daemon serves domid (servelock_held); *pid = its pid
 * (0 if it has not written one). */
bool daemon_serving(uint32_t domid, pid_t *pid);
/* Start one (see above).  0 or -errno + err. */
int daemon_start(const struct pcipt_env *env, uint32_t domid, struct daemon_ref *d, char *err,
                 size_t errlen);
/* Make sure a daemon serves domid: the live one (daemon_serving: its
 * serve lock), or one started here and waited
 * for (stopped again if it never gets ready).  *pid = its pid (as far as
 * known: 0 for a systemd unit without a record yet), *started = whether it
 * was started here.  0 or -errno + err. */
int daemon_ensure(const struct pcipt_env *env, struct xs_handle *xs, uint32_t domid, pid_t *pid,
                  bool *started, char *err, size_t errlen);
/* Wait until it says "ready" (a xenstore watch, not a poll loop), it dies,
 * or timeout_ms pass.  0 or -errno + err. */
int daemon_wait_ready(struct xs_handle *xs, const struct daemon_ref *d, int timeout_ms,
                      char *err, size_t errlen);
/* Stop what daemon_start started (SIGTERM, then SIGKILL after 5 s; or
 * systemctl stop).  Best effort. */
void daemon_stop(struct daemon_ref *d);

#endif
