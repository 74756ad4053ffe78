/* Shared by `pcipt watch DOMID` (cmd_watch.c) and `pcipt watch --all`
 * (cmd_watch_all.c). */
#ifndef PCIPT_CMD_WATCH_H
#define PCIPT_CMD_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "pcipt/assign/attach.h"
#include "pcipt/xl/xlwatch.h"

struct watcher {
    struct attach_ctx *ctx;
    struct xlwatch *w;
    bool start_daemon;          /* not --no-daemon */
    pid_t follower;             /* the domain's daemon, following libxl itself; 0 = we do */
};

extern volatile sig_atomic_t watch_stop;
void watch_on_signal(int sig);
/* One round for x's domain; 1 if something failed, else 0. */
int watch_follow(struct watcher *x, bool first);
/* `pcipt watch --all`: every domain with a pci backend; returns the exit code. */
int watch_all(struct attach_ctx *ctx, bool start_daemon);

#endif
