/* See daemon_fx.h. */
#include "tests/support/daemon_fx.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/dump.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"

char dfx_tree[64];
char dfx_host_dt[128];
void (*dfx_access_hook)(void);
const char *dfx_verbosity = "-v";
const char *dfx_serve_opt;

static void patch_bar(struct dump_func *f, unsigned off, uint32_t delta)
{
    uint32_t v = dump_cfg32(f, off);

    v -= delta;
    for (unsigned i = 0; i < 4; i++)
        f->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void build_tree(void)
{
    struct tree_opts o = { .driver = "pciback", .reset_method = "flr" };
    struct dump dp;
    char err[512];

    testdata_dump("cap-pcie-2", &dp);
    ck_assert_int_eq(sysfs_tree_mkdtemp(dfx_tree, sizeof(dfx_tree)), 0);
    for (unsigned n = 1; n <= DFX_NDEVS; n++) {
        struct dump_func f = dp.f[0];
        f.addr = (struct sbdf){ 0, (uint8_t)n, 0, 0 };
        patch_bar(&f, 0x10, n * 0x08000000u);
        patch_bar(&f, 0x14, n * 0x08000000u);
        patch_bar(&f, 0x1c, n * 0x08000000u);
        ck_assert_msg(sysfs_tree_add(dfx_tree, &f, &o, err, sizeof(err)) == 0, "%s", err);
    }
    dump_free(&dp);
}

static void clean_store(void)
{
    struct xs_handle *xs = xsw_open();

    ck_assert_ptr_nonnull(xs);
    ck_assert_int_eq(xsw_rm(xs, XBT_NULL, "/local/domain/0/backend"), 0);
    /* IOREQ server records a daemon of an earlier test left in the run dir
     * name servers of an earlier simulator */
    for (uint32_t d = 1; d < 256; d++)
        ck_assert_int_eq(serve_record_remove(d), 0);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/0/name", "Domain-0"), 0);
    xsw_close(xs);
}

void dfx_setup(void)
{
    simfx_setup();
    build_tree();
    clean_store();
    dfx_host_dt[0] = '\0';
    dfx_msi = "vits";
}

void dfx_use_host_dt(const char *name)
{
    char rel[128], src[512], cmd[1024], *err = NULL;

    snprintf(rel, sizeof(rel), "tests/data/host-dt/%s", name);
    snprintf(dfx_host_dt, sizeof(dfx_host_dt), "%s/host.dtb", dfx_tree);
    snprintf(cmd, sizeof(cmd), "dtc -I dts -O dtb -o %s %s", dfx_host_dt,
             test_src_path(rel, src, sizeof(src)));
    ck_assert_int_eq(run_sh(NULL, NULL, &err, "%s", cmd), 0);
    ck_assert_msg(err && !err[0], "dtc %s: %s", name, err);
    free(err);
}

void dfx_teardown(void)
{
    dfx_host_dt[0] = '\0';
    sysfs_tree_remove(dfx_tree);
    simfx_teardown();
}

void dfx_domain(uint32_t domid, unsigned vcpus)
{
    ck_assert_int_eq(sim_domain_create(simfx_hv, domid, vcpus, 0x40000000ull, 0x8000000ull, 64),
                     0);
}

void (*dfx_pre_publish)(void);
const char *dfx_msi;

/* pcipt/dev-N/msi of the device just published (the last N), as attach
 * writes it (none when dfx_msi is NULL), with the DeviceIDs attach writes
 * next to `vits` (guest: the guest RID; host: a made-up one). */
static void put_msi(struct xs_handle *xs, uint32_t domid, const struct dev_assign *d)
{
    char p[160], dir[128], *num;

    if (!dfx_msi)
        return;
    snprintf(p, sizeof(p), "/local/domain/0/backend/pci/%u/0/num_devs", domid);
    num = xsw_read(xs, XBT_NULL, p);
    ck_assert_ptr_nonnull(num);
    snprintf(dir, sizeof(dir), "/local/domain/0/backend/pci/%u/0/pcipt/dev-%d", domid,
             atoi(num) - 1);
    free(num);
    snprintf(p, sizeof(p), "%s/msi", dir);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, p, dfx_msi), 0);
    if (strcmp(dfx_msi, "vits"))
        return;
    snprintf(p, sizeof(p), "%s/its-guest-devid", dir);
    ck_assert_int_eq(xsw_printf(xs, XBT_NULL, p, "0x%x",
                                (unsigned)(d->guest.bus << 8 | d->guest.dev << 3 | d->guest.fn)),
                     0);
    snprintf(p, sizeof(p), "%s/its-host-devid", dir);
    ck_assert_int_eq(xsw_printf(xs, XBT_NULL, p, "0x%x",
                                (unsigned)(0x10000 | d->host.bus << 8 | d->host.dev << 3 |
                                           d->host.fn)), 0);
}

/* Grant the function's memory BARs, publish it. */
static void grant_publish(struct xs_handle *xs, uint32_t domid, const struct dev_assign *d)
{
    for (int i = 0; i < PCI_NUM_RES; i++)
        if (d->bars[i].type != BAR_NONE && d->bars[i].type != BAR_IO)
            ck_assert_int_eq(hv_grant_iomem(simfx_hv, domid, d->bars[i].host,
                                            d->bars[i].size), 0);
    ck_assert_int_eq(xsp_publish_device(xs, domid, d), 0);
    put_msi(xs, domid, d);
}

void dfx_assign_fns(uint32_t domid, const struct dfx_fn *fns, unsigned count,
                    struct dev_assign *out)
{
    static struct domain_assign dom;
    struct plan_request req[PCIPT_MAX_DEVS];
    struct guest_layout lay;
    struct hostpci *hp;
    struct xs_handle *xs = xsw_open();
    unsigned first;
    char err[512];
    int rc;

    ck_assert_ptr_nonnull(xs);
    ck_assert_uint_le(count, PCIPT_MAX_DEVS);
    guest_layout_defaults(&lay);
    rc = xsp_read_domain(xs, domid, &dom, err, sizeof(err));
    ck_assert_msg(rc == 0 || rc == -ENOENT, "%s", err);
    if (rc == -ENOENT)
        dom = (struct domain_assign){ .domid = domid };
    first = dom.ndevs;
    for (unsigned k = 0; k < count; k++) {
        req[k] = (struct plan_request){ .slot = fns[k].slot, .fn = fns[k].fn };
        req[k].host = (struct sbdf){ 0, (uint8_t)fns[k].n, 0, 0 };
        ck_assert_msg(hostpci_open(dfx_tree, &req[k].host, &hp, err, sizeof(err)) == 0, "%s",
                      err);
        memcpy(req[k].bars, hostpci_host_dev(hp)->bars, sizeof(req[k].bars));
        req[k].intx_pin = hostpci_info(hp)->intx_pin;
        hostpci_close(hp);
    }
    ck_assert_msg(plan_domain(&lay, &dom, req, count, err, sizeof(err)) == 0, "%s", err);
    if (dfx_pre_publish)
        dfx_pre_publish();
    /* in plan order (functions 0 first), as attach publishes them */
    for (unsigned k = first; k < dom.ndevs; k++)
        grant_publish(xs, domid, &dom.devs[k]);
    for (unsigned k = 0; k < count; k++)
        for (unsigned j = first; j < dom.ndevs; j++)
            if (sbdf_equal(&dom.devs[j].host, &req[k].host))
                out[k] = dom.devs[j];
    xsw_close(xs);
}

void dfx_assign(uint32_t domid, unsigned n, struct dev_assign *out)
{
    dfx_assign_at(domid, n, -1, out);
}

void dfx_assign_at(uint32_t domid, unsigned n, int slot, struct dev_assign *out)
{
    struct dfx_fn f = { .n = n, .slot = slot, .fn = 0 };

    dfx_assign_fns(domid, &f, 1, out);
}

void dfx_start(struct dfx_daemon *dm, uint32_t domid)
{
    char buf[16], host_dt[sizeof(dfx_host_dt)];
    struct run_opts o = { .err_file = dm->log, .ready_fd = 3, .timeout_ms = DFX_WAIT_MS };

    dm->domid = domid;
    if (dfx_host_dt[0])
        snprintf(host_dt, sizeof(host_dt), "%s", dfx_host_dt);
    else
        snprintf(host_dt, sizeof(host_dt), "%s/no-host-fdt", dfx_tree);
    snprintf(dm->log, sizeof(dm->log), "%s/serve-%u.log", dfx_tree, domid);
    ck_assert_int_eq(run_start(&dm->proc, &o, "%s --hv sim --sysfs %s --host-dt %s serve %s %u "
                               "--ready-fd 3", dfx_verbosity ? dfx_verbosity : "", dfx_tree,
                               host_dt, dfx_serve_opt ? dfx_serve_opt : "", domid), 0);
    dm->pid = dm->proc.pid;
    if (run_ready(&dm->proc, buf, sizeof(buf), DFX_WAIT_MS) <= 0) {
        char *log = dfx_log(dm);
        ck_abort_msg("daemon for dom%u did not get ready: %s", domid, log ? log : "");
    }
    ck_assert_str_eq(buf, "READY=1\n");
}

int dfx_stop(struct dfx_daemon *dm, int sig)
{
    kill(dm->pid, sig);
    return run_wait(&dm->proc, NULL, NULL);
}

int dfx_wait_exit(struct dfx_daemon *dm)
{
    int st = run_wait(&dm->proc, NULL, NULL);

    if (st < 0)
        ck_abort_msg("daemon for dom%u did not exit", dm->domid);
    return st;
}

/* All of it: with -v the daemon traces every access, so a log can be large. */
char *dfx_log(const struct dfx_daemon *dm)
{
    FILE *f = fopen(dm->log, "r");
    size_t cap = 1 << 20, n = 0;
    char *buf = calloc(1, cap);

    ck_assert_ptr_nonnull(buf);
    while (f) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
    }
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

long long dfx_stat(const char *text, const char *key)
{
    const char *line = NULL, *p = text;
    char pat[64];

    while ((p = strstr(p, "pciptd: stats "))) {
        line = p;
        p++;
    }
    if (!line)
        return -1;
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *eol = strchr(line, '\n');
    p = strstr(line, pat);
    if (!p || (eol && p > eol))
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

static uint64_t ecam(unsigned slot, unsigned reg)
{
    return PCIPT_VPCI_ECAM_BASE + ((uint64_t)slot << 15) + reg;
}

uint32_t dfx_cfg_read(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot, unsigned reg,
                      unsigned size)
{
    uint64_t v = 0;
    if (dfx_access_hook)
        dfx_access_hook();
    int rc = sim_guest_mmio(g, domid, vcpu, ecam(slot, reg), size, false, &v, DFX_WAIT_MS);

    ck_assert_msg(rc == SIM_ACCESS_IOREQ, "config read slot %u reg 0x%x: %d", slot, reg, rc);
    return (uint32_t)v;
}

void dfx_cfg_write(struct hv *g, uint32_t domid, unsigned vcpu, unsigned slot, unsigned reg,
                   unsigned size, uint32_t val)
{
    uint64_t v = val;
    if (dfx_access_hook)
        dfx_access_hook();
    int rc = sim_guest_mmio(g, domid, vcpu, ecam(slot, reg), size, true, &v, DFX_WAIT_MS);

    ck_assert_msg(rc == SIM_ACCESS_IOREQ, "config write slot %u reg 0x%x: %d", slot, reg, rc);
}

static int cmp_page(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;

    return x[0] < y[0] ? -1 : x[0] > y[0];
}

unsigned dfx_p2m_pages(uint32_t domid, uint64_t (*pages)[2], unsigned max)
{
    struct sim_mapping m[256];
    unsigned n = 0;
    int k = sim_list_mappings(simfx_hv, domid, m, 256);

    ck_assert_int_ge(k, 0);
    ck_assert_int_le(k, 256);
    for (int i = 0; i < k; i++)
        for (uint64_t j = 0; j < m[i].nr; j++) {
            ck_assert_uint_lt(n, max);
            pages[n][0] = m[i].gfn + j;
            pages[n][1] = m[i].mfn + j;
            n++;
        }
    qsort(pages, n, sizeof(pages[0]), cmp_page);
    return n;
}

char *dfx_be_read(uint32_t domid, const char *rel)
{
    struct xs_handle *xs = xsw_open();
    char be[XSW_PATH_MAX], p[XSW_PATH_MAX * 2];
    char *v;

    ck_assert_ptr_nonnull(xs);
    snprintf(p, sizeof(p), "%s/%s", xsp_backend_path(domid, be), rel);
    v = xsw_read(xs, XBT_NULL, p);
    xsw_close(xs);
    return v;
}
