/* A private real xenstored for tests through the product's launcher (see
 * xenstored_fx.h): this file only owns the directory and the shim path. */
#include "tests/support/xenstored_fx.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/xs/xsd_launch.h"

static struct xsd_proc xsd = { .pid = -1 };
static char run_dir[64];

/* The launcher's own fallbacks are the installed shim and one next to the
 * running binary (build/pcipt); the test runner lives in build/tests, so
 * name the build tree's shim unless `make unit` already did. */
static void shim_default(void)
{
    const char *s = getenv("PCIPT_FAKEXEN"), *src = getenv("PCIPT_SRC");
    char buf[512];

    if (s && *s)
        return;
    snprintf(buf, sizeof(buf), "%s/build/tests/fakexen.so", src ? src : ".");
    setenv("PCIPT_FAKEXEN", buf, 1);
}

/* xenstored leaves socket, socket_ro, the log, tdb and tdb.<n> copies. */
static void remove_dir(void)
{
    char cmd[96];

    if (!run_dir[0])
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "xenstored fixture: could not remove %s\n", run_dir);
    run_dir[0] = '\0';
}

int xsd_start(void)
{
    char err[512];

    shim_default();
    snprintf(run_dir, sizeof(run_dir), "/tmp/pcipt-xsd.XXXXXX");
    if (!mkdtemp(run_dir)) {
        fprintf(stderr, "xenstored fixture: mkdtemp /tmp/pcipt-xsd.XXXXXX: %s\n",
                strerror(errno));
        run_dir[0] = '\0';
        return -1;
    }
    if (xsd_launch(run_dir, &xsd, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "xenstored fixture: %s\n", err);
    remove_dir();
    return -1;
}

void xsd_stop(void)
{
    xsd_terminate(&xsd);
    remove_dir();
}

int xsd_pid(void)
{
    return (int)xsd.pid;
}

void xsd_fixture_start(void)
{
    if (xsd_start())
        ck_abort_msg("cannot start a private xenstored");
}

void xsd_fixture_stop(void)
{
    xsd_stop();
}
