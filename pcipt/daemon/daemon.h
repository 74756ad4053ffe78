/* pcipt serve: the per-domain daemon (an IOREQ server, like QEMU as a device
 * model).  One process per guest; single-threaded: one poll() loop answers
 * the guest's config accesses (pcipt/daemon/ioreq.c -> hostbridge/), applies the
 * engine's events to the stage-2 p2m before each access completes, relays
 * INTx, and follows the domain's xenstore backend dir (hot attach/detach).
 * Files: daemon.c (setup/teardown), daemon_server.c (IOREQ server bring-up
 * and reuse), daemon_devs.c (devices on the bus), daemon_loop.c (event loop,
 * ioreq state machine), daemon_bars.c (engine events -> p2m), daemon_intx.c
 * (INTx relay), daemon_msi.c and daemon_msix.c (MSI, MSI-X), daemon_xs.c (watches, persistence, stats), cmd_serve.c. */
#ifndef PCIPT_DAEMON_H
#define PCIPT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/assign/assign.h"
#include "pcipt/hv/hv.h"
#include "pcipt/daemon/intx.h"
#include "pcipt/daemon/ioreq.h"
#include "pcipt/xs/xs_publish.h"

struct hostpci;
struct state_journal;

struct daemon_dev {
    bool used;
    struct dev_assign as;          /* as published */
    struct hostpci *hp;            /* NULL in in-process tests using host_dev */
    struct host_dev *hd;
    struct vdev *vdev;
    struct intx_line intx;
    bool state_dirty;              /* VDEV_EV_STATE seen during this access */
    bool xs_dirty;                 /* journaled, not yet in xenstore (daemon_xs.c) */
    bool p2m_released;             /* xlwatch released it: unmapped, revoked, records rewritten */
    bool msi_vits;                 /* pcipt/dev-N/msi = vits: the host follows the guest's
                                      MSI/MSI-X; else both are hidden (daemon_msi.c) */
    struct msix_entry *msix_phys;  /* what the physical MSI-X table holds (daemon_msix.c) */
};

struct daemon_stats {
    uint64_t remaps, refused_moves, maps, unmaps, flr;
    uint64_t intx_raised, intx_lowered, intx_reraised;   /* of devices removed since */
    bool first_seen;
    uint64_t first_access_ms;      /* start -> the guest's first config access */
    uint64_t first_cfg_us, last_cfg_us;   /* CLOCK_MONOTONIC of the first/last config access */
    uint64_t bar_mapped_hits;      /* ioreqs for addresses inside a mapped BAR: must stay 0 */
    uint64_t woken;                /* vCPUs found answered at start, notified (issue 15 item 6) */
    uint64_t state_changes;        /* accesses that changed a device's saved state */
    uint64_t state_writes;         /* of that state to xenstore (coalesced, STATE_FLUSH_MS) */
    uint64_t start_ms;
};

struct daemon {
    uint32_t domid;
    const char *sysfs;             /* --sysfs or NULL */
    const char *host_dt;           /* --host-dt or NULL (ITS_HOST_FDT_DEFAULT) */
    void *host_fdt;                /* the host DT blob, read at the first device */
    bool host_fdt_tried;
    struct hv *hv;
    struct xs_handle *xs;
    struct guest_layout layout;
    struct vpci_topology *topo;
    struct hostbridge *hb;
    uint8_t bus;                   /* the one populated guest bus */
    struct ioreq_router router;
    struct daemon_dev devs[PCIPT_MAX_DEVS];

    /* IOREQ server */
    uint16_t server_id;
    bool server_created;           /* by this process (undo on setup failure) */
    bool reused;                   /* taken over from a dead daemon */
    shared_iopage_t *page;
    unsigned nr_vcpus;
    uint32_t local_port[XSP_MAX_VCPUS];

    int sig_fd;
    int serve_lock_fd;             /* servelock (pcipt/assign/domlock.h), held while running */
    bool stop, domain_dead;
    struct daemon_stats stats;
    /* refused BAR maps/moves: the guest decides how many there are, so their
     * warnings go through a token bucket (10 burst, 1/s) like bad accesses */
    struct ratelimit refuse_rl;
    struct ratelimit xs_rl;        /* xenstore write failures */
    bool xs_lost;                  /* xenstored went away: exit for the supervisor */
    char last_stats[1024];
    uint64_t last_stats_ms, last_check_ms;
    uint64_t state_flush_ms;       /* last write of the state to xenstore */
    struct state_journal *journal; /* state_journal.c, mapped on first use */
    bool journal_tried;
};

/* The guest state reaches xenstore at most this often (docs/design/daemon.md
 * "Guest state"); the run-dir journal has every change at once. */
#define STATE_FLUSH_MS 100

uint64_t daemon_now_ms(void);

/* daemon.c */
int daemon_setup(struct daemon *d, char *err, size_t errlen);
/* Normal exit: the server and the assignment stay for the next daemon. */
void daemon_shutdown(struct daemon *d);
/* The domain is gone: remove everything of it, then free. */
void daemon_cleanup_dead(struct daemon *d);

/* daemon_server.c */
int daemon_server_start(struct daemon *d, char *err, size_t errlen);
void daemon_server_detach(struct daemon *d);        /* unbind ports, unmap page */
/* Destroy the server and its run-dir record (domain death, failed setup). */
void daemon_server_destroy(struct daemon *d);
int daemon_server_claim_dev(struct daemon *d, const struct daemon_dev *dd, bool add);

/* daemon_devs.c */
int daemon_dev_add(struct daemon *d, const struct dev_assign *as, char *err, size_t errlen);
/* Remove from the bus, unmap its BARs (records "none"), close. */
void daemon_dev_remove(struct daemon *d, struct daemon_dev *dd);
struct daemon_dev *daemon_dev_by_vdev(struct daemon *d, const struct vdev *v);
struct daemon_dev *daemon_dev_by_host(struct daemon *d, const struct sbdf *host);

/* daemon_bars.c */
int daemon_event(void *opaque, const struct vdev_event *ev);
/* Bring the p2m in line with the vdev's view (restart, attach). */
void daemon_bars_reconcile(struct daemon *d, struct daemon_dev *dd);
void daemon_bars_unmap_all(struct daemon *d, struct daemon_dev *dd);
/* 0 if [addr, addr+size) of dd's BAR bar may be mapped, else -errno + why. */
int daemon_bar_allowed(struct daemon *d, const struct daemon_dev *dd, int bar, uint64_t addr,
                       uint64_t size, const char **why);

/* daemon_msi.c */
/* pcipt/dev-N/msi of host is `vits` (false when absent or unreadable). */
bool daemon_msi_mode_vits(struct daemon *d, const struct sbdf *host);
/* Said once per device at add when its MSI and MSI-X are hidden. */
void daemon_msi_note_hidden(struct daemon *d, struct daemon_dev *dd);
/* The host's MSI capability := the guest's (vits only; disable first). */
void daemon_msi_program(struct daemon *d, struct daemon_dev *dd);
/* The INTx relay treats the line as disabled while MSI or MSI-X is on. */
void daemon_msi_intx_sync(struct daemon_dev *dd);
void daemon_msi_release(struct daemon *d);

/* daemon_msix.c */
/* At add, after the state is restored: reset the physical table (fresh
 * device) or rebuild the guest's from it (restored: a taken-over domain). */
void daemon_msix_setup(struct daemon *d, struct daemon_dev *dd, bool restored);
void daemon_msix_release(struct daemon_dev *dd);
/* The host function was reset: the physical table is unknown until rewritten. */
void daemon_msix_forget(struct daemon_dev *dd);
/* Physical entry i := the guest's (VDEV_EV_MSIX_ENTRY). */
void daemon_msix_entry(struct daemon *d, struct daemon_dev *dd, unsigned i);
/* The host's MSI-X Enable and Function Mask := the guest's (VDEV_EV_MSIX). */
void daemon_msix_ctrl(struct daemon *d, struct daemon_dev *dd);
/* The ioreq router's mmio hook: a guest access to a trapped MSI-X page. */
int daemon_msix_mmio(void *opaque, ioreq_t *req);

/* daemon_loop.c */
int daemon_run(struct daemon *d);
/* Answer every slot in READY or INPROCESS (startup after a restart). */
/* A xenstore operation failed with rc: lost connection (daemon->xs_lost) or a
 * rate-limited error line. */
void daemon_xs_failed(struct daemon *d, int rc, const char *what);
void daemon_handle_all_slots(struct daemon *d);

/* daemon_xs.c */
int daemon_xs_watch(struct daemon *d);
void daemon_xs_changed(struct daemon *d);
/* Adopt what `xl pci-attach` published, release what libxl removed
 * (pcipt/xl/xlwatch.h); at setup, before the assignment is read, and on every
 * change of the backend dir. */
void daemon_follow_libxl(struct daemon *d);
/* Save every changed device's state now: journal and xenstore. */
void daemon_flush_state(struct daemon *d);
/* After an access: journal the changed devices (a memcpy); xenstore later. */
void daemon_note_state(struct daemon *d);
/* From the loop: write what xenstore lacks, at most every STATE_FLUSH_MS
 * (or now when force); returns ms until the next write is due, -1 if none. */
int daemon_flush_due(struct daemon *d, uint64_t now, bool force);

/* state_journal.c: the run dir's copy of every device's state (kill-safe) */
void daemon_journal_put(struct daemon *d, const struct sbdf *host, const struct vdev_state *st);
bool daemon_journal_get(struct daemon *d, const struct sbdf *host, struct vdev_state *st);
void daemon_journal_drop(struct daemon *d, const struct sbdf *host);
/* Unmap; remove the file too when the domain is gone. */
void daemon_journal_close(struct daemon *d, bool remove);
void daemon_stats_line(struct daemon *d, char *buf, size_t len);
void daemon_stats_publish(struct daemon *d, bool force);
int daemon_server_state(struct daemon *d, const char *state);
/* (Re)write the server record pcipt/server/ (also after the last device's
 * detach took the backend dir and a new device brought it back). */
int daemon_server_record(struct daemon *d);

#endif
