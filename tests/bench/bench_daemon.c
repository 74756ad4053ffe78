/* 6. One guest must not load the host (issue 15 item 8): the real daemon
 * (`pcipt --hv sim serve`, build/pcipt) serving the measured device to a
 * simulated guest, with a private real xenstored (pcipt simulate's machine,
 * pcipt/simulate/simulate_int.h), under two hostile patterns:
 *   - a write storm: the guest rewrites an emulated state register (Cache
 *     Line Size) STORM times; metric=state_writes_per_access is the
 *     daemon's xenstore state writes (its stats line, state_writes) per
 *     guest write (baseline: the accesses; goal <= 0.01);
 *   - decode toggles: Memory Space Enable off and on TOGGLES times;
 *     metric=map_calls_per_toggle is XEN_DOMCTL_memory_mapping calls (the
 *     simulator's count) per toggle (baseline: the toggles), with the
 *     minimum a toggle can cost (2 x ceil(pages/64) per mapped run) noted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/assign/attach.h"
#include "pcipt/assign/plan.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/simulate/simulate_int.h"
#include "pcipt/xs/xs_watch.h"
#include "tests/bench/bench.h"
#include "tests/support/sysfs_tree.h"

#define BENCH_DUMP "tests/data/dumps/cap-pcie-2"   /* Intel 82576 at 01:00.0 */
#define WAIT_MS 20000

/* path without its last n components */
static void strip(char *path, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char *s = strrchr(path, '/');
        if (s)
            *s = '\0';
    }
}

/* `PCIPT --hv sim --sysfs TREE serve D --ready-fd 3`, stderr to m->daemon_log. */
static void start_daemon(struct sim_machine *m, const char *pcipt, const char *tree)
{
    char dom[16], line[64];
    int fds[2];

    snprintf(m->daemon_log, sizeof(m->daemon_log), "%s/serve.log", m->dir);
    snprintf(dom, sizeof(dom), "%u", SIMULATE_DOMID);
    if (pipe(fds))
        bench_fail("pipe: %s", strerror(errno));
    fflush(NULL);
    if ((m->daemon = fork()) < 0)
        bench_fail("fork: %s", strerror(errno));
    if (m->daemon == 0) {
        int lfd = open(m->daemon_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        close(fds[0]);
        if (lfd < 0 || dup2(lfd, 2) < 0 || dup2(fds[1], 3) < 0)
            _exit(120);
        execl(pcipt, "pcipt", "--hv", "sim", "--sysfs", tree, "serve", dom, "--ready-fd", "3",
              (char *)NULL);
        _exit(121);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    if (n <= 0)
        bench_fail("the daemon (%s serve) did not start: see %s", pcipt, m->daemon_log);
}

static long long stat_of(const char *stats, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), " %s=", key);
    const char *p = strstr(stats, k);
    return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

/* SIGUSR1: the daemon prints its stats line to its log; the newest line. */
static void usr1_stats(struct sim_machine *m, char *line, size_t len)
{
    char *text = NULL;
    unsigned before = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5000; i++) {
            FILE *f = fopen(m->daemon_log, "r");
            size_t n = 0;
            unsigned count = 0;
            free(text);
            text = NULL;
            if (f) {
                ssize_t r = getdelim(&text, &n, '\0', f);
                fclose(f);
                if (r < 0) {
                    free(text);
                    text = NULL;
                }
            }
            for (const char *p = text; p && (p = strstr(p, "pciptd: stats ")); p++)
                count++;
            if (round == 0) {
                before = count;
                break;
            }
            if (count > before)
                break;
            usleep(1000);
        }
        if (round == 0)
            kill(m->daemon, SIGUSR1);
    }
    const char *last = NULL;
    for (const char *p = text; p && (p = strstr(p, "pciptd: stats ")); p++)
        last = p;
    if (!last)
        bench_fail("no stats line from the daemon on SIGUSR1 (%s)", m->daemon_log);
    size_t l = strcspn(last, "\n");
    snprintf(line, len, "%.*s", (int)(l < len ? l : len - 1), last);
    free(text);
}

static uint64_t mapping_calls(struct sim_machine *m)
{
    struct sim_domain_info info;
    if (sim_domain_info(m->hv, SIMULATE_DOMID, &info))
        bench_fail("cannot read the simulator's counters");
    return info.memory_mapping_calls;
}

static void cfg(struct hv *g, unsigned slot, unsigned reg, unsigned size, bool write,
                uint64_t *v)
{
    uint64_t a = PCIPT_VPCI_ECAM_BASE + ((uint64_t)slot << 15) + reg;
    int rc = sim_guest_mmio(g, SIMULATE_DOMID, 0, a, size, write, v, WAIT_MS);
    if (rc != SIM_ACCESS_IOREQ)
        bench_fail("guest config %s of 0x%x: %d", write ? "write" : "read", reg, rc);
}

void bench_daemon(const struct bench_opts *o)
{
    static const struct tree_opts topts = { .driver = "pciback", .reset_method = "flr" };
    struct sbdf host = { .seg = 0, .bus = 1, .dev = 0, .fn = 0 }, guest;
    struct guest_layout lay;
    struct sim_machine m;
    char tree[64], dump[512], err[512], bdir[4000], pcipt[4100], shim[4100], stats[1024];
    unsigned storm = o->quick ? 500 : 5000, toggles = o->quick ? 20 : 200;

    /* build/pcipt and build/tests/fakexen.so, next to build/bench/pcipt-bench */
    snprintf(bdir, sizeof(bdir), "%s", o->self);
    strip(bdir, 2);
    snprintf(pcipt, sizeof(pcipt), "%s/pcipt", bdir);
    snprintf(shim, sizeof(shim), "%s/tests/fakexen.so", bdir);
    if (!getenv("PCIPT_FAKEXEN"))
        setenv("PCIPT_FAKEXEN", shim, 1);
    snprintf(dump, sizeof(dump), "%s/%s", o->src, BENCH_DUMP);
    if (sysfs_tree_mkdtemp(tree, sizeof(tree)) ||
        sysfs_tree_from_dump(tree, dump, &topts, err, sizeof(err)))
        bench_fail("cannot build a sysfs tree from %s: %s", dump, err);
    guest_layout_defaults(&lay);
    if (simm_create(&m, err, sizeof(err)) || simm_domain(&m, &lay, 1, err, sizeof(err)))
        bench_fail("the simulated machine: %s", err);
    struct attach_ctx ctx = { .hv = m.hv, .sysfs = tree, .layout = lay, .out = stderr };
    if (!(ctx.xs = xsw_open()))
        bench_fail("cannot reach the private xenstored");
    if (attach_device(&ctx, SIMULATE_DOMID, &host, -1, 0, ATTACH_PREVIEW, &guest, err,
                      sizeof(err)))
        bench_fail("attach: %s", err);
    xsw_close(ctx.xs);
    start_daemon(&m, pcipt, tree);

    struct hv *g;
    if (hv_open("sim", &g, err, sizeof(err)))
        bench_fail("%s", err);
    uint64_t v, cmd;
    cfg(g, guest.dev, 0x04, 2, false, &cmd);
    cmd |= 0x2;                                    /* decode on: BARs mapped */
    cfg(g, guest.dev, 0x04, 2, true, &cmd);

    /* the write storm, after the last state write of the set-up (the tail
     * write is waited for: STATE_FLUSH_MS = 100 ms) */
    char line[1024];
    usleep(150 * 1000);
    usr1_stats(&m, line, sizeof(line));
    long long w0 = stat_of(line, "state_writes"), c0 = stat_of(line, "state_changes");
    uint64_t t0 = bench_now_ns();
    for (unsigned i = 0; i < storm; i++) {
        v = (i & 0x7f) + 1;
        cfg(g, guest.dev, 0x0c, 1, true, &v);
    }
    uint64_t t_storm = bench_now_ns() - t0;
    usleep(150 * 1000);
    usr1_stats(&m, line, sizeof(line));
    long long writes = stat_of(line, "state_writes") - w0;
    long long changes = stat_of(line, "state_changes") - c0;
    if (w0 < 0 || changes < (long long)storm || writes < 1)
        bench_fail("the daemon's stats do not count the storm: %s", line);

    /* decode toggles */
    uint64_t calls0 = mapping_calls(&m);
    t0 = bench_now_ns();
    for (unsigned i = 0; i < toggles; i++) {
        v = cmd & ~0x2ull;
        cfg(g, guest.dev, 0x04, 2, true, &v);
        cfg(g, guest.dev, 0x04, 2, true, &cmd);
    }
    uint64_t t_toggle = bench_now_ns() - t0, calls = mapping_calls(&m) - calls0;
    hv_close(g);
    if (simm_stop_daemon(&m, stats, sizeof(stats), err, sizeof(err)))
        bench_fail("stopping the daemon: %s", err);

    /* the minimum a toggle costs: unmap + map of every mapped run, 64 pages a call */
    struct sim_mapping maps[64];
    int nm = sim_list_mappings(m.hv, SIMULATE_DOMID, maps, 64);
    uint64_t min = 0;
    for (int i = 0; i < nm && i < 64; i++)
        min += 2 * ((maps[i].nr + 63) / 64);
    simm_destroy(&m, false);
    sysfs_tree_remove(tree);

    bench_metric("state_writes_per_access", (double)writes, (double)storm, "writes",
                 "guest writes of emulated state (a write storm)");
    bench_metric("map_calls_per_toggle", (double)calls, (double)toggles, "calls",
                 "Memory Space Enable off+on toggles");
    bench_note("write storm: %u Cache Line writes in %.0f ms (%.0f us each); the daemon wrote "
               "xenstore %lld times for %lld state changes: at most one per %d ms, so the "
               "ratio is about (time per access) / 100 ms (docs/design/daemon.md \"Guest "
               "state\")", storm, (double)t_storm / 1e6, (double)t_storm / storm / 1e3, writes,
               changes, 100);
    bench_note("decode toggles: %u off+on pairs, %llu memory_mapping calls (%.1f us a toggle); "
               "the minimum is 2 x ceil(pages/64) per mapped run = %llu a toggle",
               toggles, (unsigned long long)calls, (double)t_toggle / toggles / 1e3,
               (unsigned long long)min);
}
