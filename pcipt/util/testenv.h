/* Test-only switches from the environment: fault injection (PCIPT_XS_FAIL,
 * PCIPT_SIM_FAIL) and the programs, preloads and directories tests put in
 * place of the real ones (PCIPT_FAKEXEN, PCIPT_XENSTORED, PCIPT_MODPROBE,
 * PCIPT_SERVE_BIN, PCIPT_UIO_DEV_DIR, PCIPT_SYSTEMD_DIR, PCIPT_XEN_CAPS).
 *
 * A build made with PCIPT_TEST_HOOKS=0 (`make TEST_HOOKS=0`, what the
 * Debian package builds) honours none of them: test_env() returns NULL and
 * says once per name on stderr that the switch is ignored, so an installed
 * binary run as root cannot be steered by them.  The default build (the
 * one the tests run) honours them. */
#ifndef PCIPT_UTIL_TESTENV_H
#define PCIPT_UTIL_TESTENV_H

#include <stdbool.h>

#ifndef PCIPT_TEST_HOOKS
#define PCIPT_TEST_HOOKS 1
#endif

/* getenv(name) where test switches are honoured, else NULL. */
const char *test_env(const char *name);
/* Whether this build honours them. */
bool test_env_enabled(void);

#endif
