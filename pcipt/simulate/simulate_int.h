/* Internal to pcipt/simulate/simulate*.c. */
#ifndef PCIPT_SIMULATE_INT_H
#define PCIPT_SIMULATE_INT_H

#include <sys/types.h>

#include "pcipt/simulate/simulate.h"
#include "pcipt/xs/xsd_launch.h"

/* The throwaway machine: directory, xenstored, simulator, daemon. */
struct sim_machine {
    char dir[256];
    bool have_dir;
    struct xsd_proc xsd;
    struct hv *hv;              /* administration (dom0's tools) */
    bool have_domain;
    pid_t daemon;               /* -1: not running */
    char daemon_log[300];
};

/* simulate_env.c */
int simm_create(struct sim_machine *m, char *err, size_t errlen);
int simm_domain(struct sim_machine *m, const struct guest_layout *lay, unsigned vcpus,
                char *err, size_t errlen);
int simm_start_daemon(struct sim_machine *m, const struct simulate_opts *o, char *err,
                      size_t errlen);
/* SIGTERM the daemon, wait, keep its last stats line.  0 or -errno. */
int simm_stop_daemon(struct sim_machine *m, char *stats, size_t len, char *err,
                     size_t errlen);
/* The daemon's last "pcipt: ..." line (its failure), or "". */
void simm_daemon_error(const struct sim_machine *m, char *buf, size_t len);
void simm_destroy(struct sim_machine *m, bool keep);

/* simulate_vcpus.c: the vCPU threads (steps 5 of simulate.h). */
int simulate_guest_run(const struct simulate_opts *o, struct simulate_report *r, char *err,
                       size_t errlen);

#endif
