/* The environment library code works in: which hypervisor backend, which
 * sysfs tree, which host device tree and layout config, how talkative.  The
 * CLI fills one from its global options (pcipt/cli/main.c) and passes it to
 * the library functions that need it (attach_ctx_open, create_domain,
 * daemon_start, daemon_ensure); nothing in libpcipt.a reads the CLI's
 * globals. */
#ifndef PCIPT_ENV_H
#define PCIPT_ENV_H

struct pcipt_env {
    const char *hv;         /* hypervisor backend "xen" | "sim"; NULL = "xen" */
    const char *sysfs;      /* sysfs-shaped tree; NULL = /sys/bus/pci */
    const char *host_dt;    /* host DT blob; NULL = /sys/firmware/fdt */
    const char *config;     /* layout config; NULL = /etc/xen/pcipt.conf */
    int verbose;            /* 0 quiet, 1 info, 2 trace */
};

#endif
