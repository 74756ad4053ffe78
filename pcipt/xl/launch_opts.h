/* The global options a daemon started from the toolstack (pcipt create,
 * pci-attach, watch: pcipt/xl/launch.h) is given, so that it sees the
 * same hypervisor backend, sysfs tree and guest layout as the command that
 * started it: `--hv H` always, `--sysfs DIR` and `--config FILE` when they
 * were given, with relative paths made absolute (the daemon does not run in
 * the caller's working directory).
 *
 * Spawned directly, the daemon gets them as arguments.  Started by systemd
 * (`systemctl start pciptd@D.service`), it gets them through an environment
 * file the unit reads (toolstack-hooks/pciptd@.service):
 *     EnvironmentFile=-/run/pcipt/pciptd-%i.env
 *     ExecStart=.../pcipt $PCIPT_ARGS serve %i
 * written just before `systemctl start` as $PCIPT_RUN_DIR/pciptd-D.env
 * (default /run/pcipt) holding one line `PCIPT_ARGS=--hv xen --sysfs ...`.
 * systemd splits an unbraced $VAR at whitespace, and its environment-file
 * and command-line parsers give quotes, backslashes and `$` meanings of
 * their own (which differ between systemd versions), so a word holding any
 * of those, a control character or bytes that are not UTF-8 (systemd
 * ignores such an assignment) is refused rather than quoted. */
#ifndef PCIPT_DAEMON_OPTS_H
#define PCIPT_DAEMON_OPTS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define DAEMON_OPTS_VAR   "PCIPT_ARGS"
#define DAEMON_OPTS_WORDS 8

struct daemon_opts {
    unsigned argc;
    char *argv[DAEMON_OPTS_WORDS + 1];   /* "--hv", "xen", ...; NULL-terminated */
    char hv[16];
    char sysfs[PATH_MAX];
    char config[PATH_MAX];
    char host_dt[PATH_MAX];
};

/* Build o from the caller's options (hv must be set; sysfs and config may
 * be NULL).  0, or -errno + err (a path too long or no working directory). */
int daemon_opts_build(struct daemon_opts *o, const char *hv, const char *sysfs,
                      const char *config, char *err, size_t errlen);
/* Append `--host-dt FILE` (made absolute) when path is set. */
int daemon_opts_add_host_dt(struct daemon_opts *o, const char *path, char *err, size_t errlen);
/* The environment file of domain domid's unit: $PCIPT_RUN_DIR/pciptd-D.env. */
int daemon_opts_env_path(uint32_t domid, char *path, size_t len);
/* Write it (atomically: a temporary file renamed over it), creating the run
 * directory when missing.  -EINVAL with a sentence naming the option when a
 * word cannot be passed through systemd (see above); nothing is written
 * then.  0, or -errno + err. */
int daemon_opts_write_env(uint32_t domid, const struct daemon_opts *o, char *err,
                          size_t errlen);

#endif
