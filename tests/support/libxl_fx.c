/* libxl's pci nodes, written as libxl writes them (see libxl_fx.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/attach_fx.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/libxl_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define BE LXFX_BE
#define FE LXFX_FE
#define OPTS LXFX_OPTS

void lxfx_sh(const char *cmd)
{
    char *err = NULL;
    int rc = run_sh(NULL, NULL, &err, "%s", cmd);
    ck_assert_msg(rc == 0, "%s: %d %s", cmd, rc, err ? err : "");
    free(err);
}

/* One transaction of libxl: one xenstore-write call; the backend head
 * first for the first device. */
void lxfx_add(unsigned n, const char *bdf, const char *vdevfn)
{
    char cmd[2048], vfn[64] = "";

    if (vdevfn)
        snprintf(vfn, sizeof(vfn), "%s/vdevfn-%u %s ", BE, n, vdevfn);
    if (n == 0) {
        snprintf(cmd, sizeof(cmd),
                 "xenstore-write %s/frontend %s %s/frontend-id 5 %s/online 1 %s/state 1 "
                 "%s/domain guest5 %s/key-0 %s %s/dev-0 %s %s%s/opts-0 %s %s/state-0 1 "
                 "%s/num_devs 1 && xenstore-chmod %s n0 r5 && "
                 "xenstore-write %s/backend %s %s/backend-id 0 %s/state 1",
                 BE, FE, BE, BE, BE, BE, BE, bdf, BE, bdf, vfn, BE, OPTS, BE, BE, BE, FE, BE,
                 FE, FE);
    } else {
        snprintf(cmd, sizeof(cmd),
                 "xenstore-write %s/key-%u %s %s/dev-%u %s %s%s/opts-%u %s %s/state-%u 1 "
                 "%s/num_devs %u %s/state 7",
                 BE, n, bdf, BE, n, bdf, vfn, BE, n, OPTS, BE, n, BE, n + 1, BE);
    }
    lxfx_sh(cmd);
}

void lxfx_close(unsigned i)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "xenstore-write %s/state-%u 5 %s/state 7", BE, i, BE);
    lxfx_sh(cmd);
}

void lxfx_remove(unsigned i, unsigned num)
{
    static const char *const keys[] = { "state", "dev", "key", "vdev", "opts", "vdevfn", "name" };
    char cmd[4096];
    size_t len = 0;

    len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "set -e; ");
    for (unsigned k = 0; k < 7; k++)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                "xenstore-rm %s/%s-%u 2>/dev/null || true; ", BE, keys[k], i);
    len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "xenstore-write %s/num_devs %u; ", BE,
                            num - 1);
    for (unsigned j = i + 1; j < num; j++)
        for (unsigned k = 0; k < 7; k++)
            len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                    "if v=$(xenstore-read %s/%s-%u 2>/dev/null); then "
                                    "xenstore-write %s/%s-%u \"$v\"; xenstore-rm %s/%s-%u; fi; ",
                                    BE, keys[k], j, BE, keys[k], j - 1, BE, keys[k], j);
    if (num == 1)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                "xenstore-rm %s; xenstore-rm /local/domain/0/backend/pci/5; "
                                "xenstore-rm /local/domain/0/backend/pci; "
                                "xenstore-rm /local/domain/0/backend; xenstore-rm %s; "
                                "xenstore-rm /local/domain/5/device/pci; "
                                "xenstore-rm /local/domain/5/device", BE, FE);
    ck_assert_uint_lt(len, sizeof(cmd));
    lxfx_sh(cmd);
}

char *lxfx_read(const char *path)
{
    char *v = xsw_read(afx_ctx.xs, XBT_NULL, path);
    return v ? v : strdup("(absent)");
}

void lxfx_expect(const char *path, const char *want)
{
    char *v = lxfx_read(path);
    ck_assert_msg(!strcmp(v, want), "%s = '%s', want '%s'", path, v, want);
    free(v);
}

bool lxfx_wait_node(const char *path, const char *want)
{
    bool ok = false;
    ck_assert_int_eq(xsw_watch(afx_ctx.xs, path, "t"), 0);
    for (int i = 0; i < 200 && !ok; i++) {
        char *v = lxfx_read(path);
        ok = !strcmp(v, want);
        free(v);
        if (!ok)
            xsw_wait_watch(afx_ctx.xs, 100);
    }
    xsw_unwatch(afx_ctx.xs, path, "t");
    return ok;
}

bool lxfx_maps_host(uint64_t host, uint64_t size)
{
    struct sim_mapping m[256];
    int n = sim_list_mappings(simfx_hv, 5, m, 256);

    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++) {
        uint64_t a = m[i].mfn << 12, b = (m[i].mfn + m[i].nr) << 12;
        if (a < host + size && host < b)
            return true;
    }
    return false;
}

uint64_t lxfx_bar_host(const char *dev, unsigned i)
{
    char p[256];
    snprintf(p, sizeof(p), BE "/pcipt/%s/bar-%u/host", dev, i);
    char *v = lxfx_read(p);
    uint64_t h = strtoull(v, NULL, 16);
    free(v);
    return h;
}

bool lxfx_unmapped_soon(uint64_t host)
{
    for (int i = 0; i < 100 && lxfx_maps_host(host, 4096); i++)
        usleep(100 * 1000);
    return !lxfx_maps_host(host, 4096);
}

uint32_t lxfx_guest_id(unsigned slot)
{
    return dfx_cfg_read(simfx_hv, 5, 0, slot, 0, 4);
}

bool lxfx_guest_id_becomes(unsigned slot, uint32_t want)
{
    for (int i = 0; i < 100; i++) {
        if (lxfx_guest_id(slot) == want)
            return true;
        usleep(100 * 1000);
    }
    return false;
}
