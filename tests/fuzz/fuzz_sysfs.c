/* fuzz_sysfs: sysfs-shaped input and the layout file.
 *
 * Byte 0 even: /etc/xen/pcipt.conf.  The rest of the input is written to a
 *   file and read with guest_layout_load.
 *   L1 0 or -errno; on 0 the layout passes guest_layout_validate (holes
 *      non-empty, aligned, disjoint, no wrap, ECAM <= 256 MiB, mem hole
 *      below 4 GiB, SPIs in 32..1019); on error a non-empty message that
 *      names the file.
 * Byte 0 odd: one host function under a sysfs tree (built once from
 *   cap-pcie-2, an Intel 82576, with tests/support/sysfs_tree.c).  Bytes
 *   1-2 give the length of the new `config` file (any length, 0..4200),
 *   then its bytes; the rest is the new `resource` file.  Then, as attach
 *   and the daemon do: hostpci_open, hostbridge_add_device, every dword of
 *   the guest view read, plan_domain with the BARs found.
 *   S1 hostpci_open returns 0, or -errno with a message (libpci's fatal
 *      errors never end the process);
 *   S2 cfg_size is 256 or 4096; every BAR of size 0 is BAR_NONE (a
 *      BAR_MEM64 followed by another BAR is possible: finding F5);
 *   S3 the engine accepts the function or refuses it with -errno; a guest
 *      reading all 4 KiB of it makes no host write (engine statistics);
 *   S4 the planner places every BAR naturally aligned (page-aligned for
 *      sub-page BARs' pages, in-page offset kept), inside the holes, and
 *      disjoint, or fails with a message;
 *   S5 no file descriptor is left open (libpci's fatal errors are raised
 *      with files open: finding F8). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostbridge/hostbridge.h"
#include "pcipt/host/hostpci.h"
#include "hostbridge/common/log.h"
#include "pcipt/assign/plan.h"
#include "tests/fuzz/fuzz_topo.h"
#include "tests/support/sysfs_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char tree[64], devdir[200], conf[128];
static struct sbdf addr;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail);
    abort();
}

static void put(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "w");
    if (!fp || (n && fwrite(p, 1, n, fp) != n) || fclose(fp))
        fail("cannot write", path);
}

static void cleanup(void)
{
    sysfs_tree_remove(tree);
    unlink(conf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char name[SBDF_STR_LEN];

    log_set_level(LOG_LVL_ERR);
    fz_pciback_tree(tree, sizeof(tree), &addr);
    snprintf(devdir, sizeof(devdir), "%s/devices/%s", tree, sbdf_format(&addr, name));
    snprintf(conf, sizeof(conf), "%s/pcipt.conf", tree);
    atexit(cleanup);
    return 0;
}

static void layout(const uint8_t *p, size_t n)
{
    struct guest_layout l;
    char err[300] = "";
    int rc;

    put(conf, p, n);
    rc = guest_layout_load(conf, true, &l, err, sizeof(err));
    if (rc > 0 || (rc && (!err[0] || !strstr(err, conf))))
        fail("guest_layout_load error without a message naming the file", err);
    if (!rc && guest_layout_validate(&l, "x", err, sizeof(err)))
        fail("guest_layout_load accepted an invalid layout", err);
}

static bool inside(uint64_t a, uint64_t s, uint64_t base, uint64_t len)
{
    return a >= base && a + s - 1 >= a && a + s - 1 <= base + len - 1;
}

static void check_plan(const struct host_dev *hd)
{
    static struct domain_assign dom;
    struct plan_request req = { .host = addr, .slot = -1 };
    struct guest_layout lay;
    char err[300] = "";

    guest_layout_defaults(&lay);
    memset(&dom, 0, sizeof(dom));
    memcpy(req.bars, hd->bars, sizeof(req.bars));
    if (plan_domain(&lay, &dom, &req, 1, err, sizeof(err))) {
        if (!err[0])
            fail("plan_domain", "error without a message");
        return;
    }
    const struct dev_assign *d = &dom.devs[0];
    for (int i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *b = &d->bars[i];
        if (b->type == BAR_NONE || b->type == BAR_IO)
            continue;
        uint64_t s = b->size, g = b->guest;
        if (!inside(g, s, lay.mem_base, lay.mem_size) && !inside(g, s, lay.pref_base, lay.pref_size))
            fail("plan_domain", "BAR outside the holes");
        if (s >= 4096 ? (g & (s - 1)) != 0 : (g & 4095) != (b->host & 4095))
            fail("plan_domain", "BAR misaligned");
        for (int j = 0; j < i; j++) {
            const struct bar_assign *o = &d->bars[j];
            if (o->type == BAR_NONE || o->type == BAR_IO)
                continue;
            if ((g & ~4095ull) <= ((o->guest + o->size - 1) | 4095) &&
                (o->guest & ~4095ull) <= ((g + s - 1) | 4095))
                fail("plan_domain", "two BARs share a page");
        }
    }
}

static unsigned open_fds(void)
{
    unsigned k = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        fail("opendir", "/proc/self/fd");
    while (readdir(d))
        k++;
    closedir(d);
    return k;
}

static void device_once(const uint8_t *p, size_t n);

static void device(const uint8_t *p, size_t n)
{
    unsigned before = open_fds();

    device_once(p, n);
    if (open_fds() != before)        /* S5 (finding F8) */
        fail("hostpci", "file descriptors leaked");
}

static void device_once(const uint8_t *p, size_t n)
{
    char path[300], err[300] = "";
    size_t clen = n >= 2 ? (size_t)(p[0] | p[1] << 8) % 4201 : 0;
    struct hostpci *hp;
    int rc;

    p += n >= 2 ? 2 : n;
    n -= n >= 2 ? 2 : n;
    if (clen > n)
        clen = n;
    snprintf(path, sizeof(path), "%s/config", devdir);
    put(path, p, clen);
    snprintf(path, sizeof(path), "%s/resource", devdir);
    put(path, p + clen, n - clen);

    rc = hostpci_open(tree, &addr, &hp, err, sizeof(err));
    if (rc) {
        if (rc > 0 || !err[0])
            fail("hostpci_open", "error without a message");
        return;
    }
    struct host_dev *hd = hostpci_host_dev(hp);
    if (hd->cfg_size != 256 && hd->cfg_size != 4096)
        fail("hostpci", "cfg_size");
    for (int i = 0; i < PCI_NUM_RES; i++) {
        if (!hd->bars[i].size && hd->bars[i].type != BAR_NONE)
            fail("hostpci", "a BAR of size 0 has a type");
    }
    struct vpci_topology *t = vpci_topology_new();
    struct hostbridge *hb;
    struct vdev_config vc = { .slot = 1 };
    struct vdev *v;
    if (vpci_topology_add_bridge(t, 0, 0, 0, &hb))
        fail("topology", "bridge");
    rc = hostbridge_add_device(hb, hd, &vc, &v);
    if (rc > 0)
        fail("hostbridge_add_device", "positive return");
    if (!rc) {
        for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4) {
            struct cfg_req r = { .dev = 1, .reg = (uint16_t)reg, .size = 4 };
            (void)vpci_cfg_read(t, &r);
        }
        struct vpci_stats st;
        vpci_topology_stats(t, &st);
        if (st.host_writes)
            fail("engine", "wrote host config space");
    }
    vpci_topology_free(t);
    check_plan(hd);
    hostpci_close(hp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (data[0] & 1)
        device(data + 1, size - 1);
    else
        layout(data + 1, size - 1);
    return 0;
}
