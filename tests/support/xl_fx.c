/* Fixture for the xl-integration tests (see xl_fx.h). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xl_fx.h"

void xlfx_setup(void)
{
    afx_setup();
}

void xlfx_teardown(void)
{
    int pids[16], n = xlfx_serve_pids(pids, 16);

    for (int i = 0; i < n; i++)      /* a double left by a failed test */
        kill(pids[i], 9);
    for (uint32_t dom = 5; dom <= 7; dom += 2) {     /* real daemons still serving */
        int pid = xlfx_daemon_pid(dom);
        if (pid > 0)
            kill(pid, SIGKILL);
        if ((pid = servelock_holder(dom)) > 0)      /* one whose record went with be */
            kill(pid, SIGKILL);
    }
    afx_teardown();
}

int xlfx_daemon_pid(uint32_t domid)
{
    char p[128], *v;
    int pid = 0;

    snprintf(p, sizeof(p), "/local/domain/0/backend/pci/%u/0/pcipt/server/pid", domid);
    if ((v = xsw_read(afx_ctx.xs, XBT_NULL, p))) {
        pid = atoi(v);
        free(v);
    }
    return pid;
}

bool xlfx_alive(int pid)
{
    char p[64], buf[256];
    FILE *f;
    bool run = false;

    snprintf(p, sizeof(p), "/proc/%d/stat", pid);
    if (pid > 0 && (f = fopen(p, "r"))) {
        if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')'))
            run = strrchr(buf, ')')[2] != 'Z';
        fclose(f);
    }
    return run;
}

bool xlfx_wait_gone(int pid)
{
    for (int i = 0; i < 100 && xlfx_alive(pid); i++)
        usleep(100 * 1000);
    return !xlfx_alive(pid);
}

const char *xlfx_path(const char *name, char *buf, unsigned len)
{
    snprintf(buf, len, "%s/%s", simfx_dir, name);
    return buf;
}

void xlfx_write(const char *name, const char *body)
{
    char p[256];
    FILE *f = fopen(xlfx_path(name, p, sizeof(p)), "w");

    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    ck_assert_int_eq(fclose(f), 0);
}

const struct run_opts *xlfx_opts(const char *env)
{
    static char e[4096];
    static struct run_opts o;
    char fakebin[256], dbl[512] = "";

    test_src_path("tests/support/fakebin", fakebin, sizeof(fakebin));
    if (env && strstr(env, "FAKE_SERVE_MODE="))
        snprintf(dbl, sizeof(dbl), "PCIPT_SERVE_BIN=%s/pcipt-serve-double", fakebin);
    snprintf(e, sizeof(e),
             "PATH=%s:\"$PATH\" FAKE_XL_PCIPT=%s FAKE_XL_LOG=%s/xl.log "
             "%s FAKE_SERVE_LOG=%s/serve.log "
             "PCIPT_NO_SYSTEMD=1 PCIPT_LOG_DIR=%s PCIPT_STATE_DIR=%s %s",
             fakebin, test_pcipt_bin(), simfx_dir, dbl, simfx_dir, simfx_dir,
             simfx_dir, env ? env : "");
    o = (struct run_opts){ .env = e, .cwd = simfx_dir };
    return &o;
}

char *xlfx_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;

    ck_assert_ptr_nonnull(m);
    while (f && (c = fgetc(f)) != EOF)
        fputc(c, m);
    if (f)
        fclose(f);
    fclose(m);
    return buf;
}

bool xlfx_domain_exists(uint32_t domid)
{
    uint32_t ids[32];
    int n = sim_list_domains(simfx_hv, ids, 32);

    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++)
        if (ids[i] == domid)
            return true;
    return false;
}

int xlfx_serve_pids(int *pids, int max)
{
    char p[256], *log = xlfx_slurp(xlfx_path("serve.log", p, sizeof(p))), *line, *save = NULL;
    int n = 0;

    for (line = strtok_r(log, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
        pids[n++] = atoi(line);
    free(log);
    return n;
}
