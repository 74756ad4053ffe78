/* See hostile_fx.h. */
#include "tests/support/hostile_fx.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcipt/host/hostpci.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/host/msix_holes.h"
#include "pcipt/assign/plan.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/sim_fx.h"

#define MAX_MAPS 4096
#define MAX_RECS (HW_NDEVS * PCI_NUM_RES)

static const char *const dev_names[HW_NDEVS] = { AFX_NIC, AFX_GPU };

uint64_t hw_seed(void)
{
    const char *e = getenv("PCIPT_HOSTILE_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 0) : 0x484f5354494c45ull;

    fprintf(stderr, "hostile: seed 0x%" PRIx64 " (PCIPT_HOSTILE_SEED=0x%" PRIx64
            " to repeat)\n", seed, seed);
    return seed;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(1 << 16);

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void dev_file(const char *dev, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/devices/%s/%s", afx_tree, dev, name);
}

/* Without -v: warnings and stats lines only (a trace of every access of
 * the storm would be megabytes that fresh_stats reads again and again). */
static void start_quiet(struct hostile_world *w, uint32_t domid)
{
    const char *v = dfx_verbosity;

    dfx_verbosity = "";
    dfx_start(&w->dm, domid);
    dfx_verbosity = v;
}

void hw_setup(struct hostile_world *w, uint32_t domid, unsigned vcpus)
{
    char err[512], path[256];
    struct xs_handle *xs;

    memset(w, 0, sizeof(*w));
    w->domid = domid;
    w->vcpus = vcpus;
    sim_domain_destroy(simfx_hv, domid);
    ck_assert_int_eq(sim_domain_create(simfx_hv, domid, vcpus, 0x40000000, 0x20000000, 64), 0);
    for (unsigned i = 0; i < HW_NDEVS; i++) {
        int fd;
        ck_assert_msg(afx_attach(domid, dev_names[i], -1, 0, err, sizeof(err)) == 0, "%s", err);
        /* what FLR writes, emptied after attach's own reset */
        dev_file(dev_names[i], "reset", path, sizeof(path));
        ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
        close(fd);
        dev_file(dev_names[i], "config", path, sizeof(path));
        w->config[i] = slurp(path, &w->config_len[i]);
    }
    ck_assert_ptr_nonnull(xs = xsw_open());
    ck_assert_msg(xsp_read_domain(xs, domid, &w->dom, err, sizeof(err)) == 0, "%s", err);
    xsw_close(xs);
    ck_assert_uint_eq(w->dom.ndevs, HW_NDEVS);
    snprintf(dfx_tree, sizeof(dfx_tree), "%s", afx_tree);
    start_quiet(w, domid);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    w->start_ms = t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
    char *id = dfx_be_read(domid, "pcipt/server/id");
    ck_assert_ptr_nonnull(id);
    w->server = (uint16_t)atoi(id);
    free(id);
}

static void retire(struct hostile_world *w, unsigned v)
{
    struct hostile_guest *h = w->guests[v];

    if (!h)
        return;
    w->aborts_outside += h->aborts_outside;
    w->malformed_sent += h->malformed_sent;
    w->unknown_type_sent += h->unknown_type_sent;
    w->accesses += h->accesses;
    for (unsigned i = 0; i < HG_MAX_DEVS; i++)
        w->flr_sent[i] += h->flr_sent[i];
    hv_close(h->g);
    free(h);
    w->guests[v] = NULL;
}

void hw_teardown(struct hostile_world *w)
{
    for (unsigned v = 0; v < HW_MAX_VCPUS; v++)
        retire(w, v);
    if (w->dm.pid > 0 && waitpid(w->dm.pid, NULL, WNOHANG) == 0) {
        kill(w->dm.pid, SIGKILL);
        waitpid(w->dm.pid, NULL, 0);
    }
    for (unsigned i = 0; i < HW_NDEVS; i++)
        free(w->config[i]);
}

/* The host's MSI-X location from its config space (PCI 3.0 §6.7 list). */
static void host_msix(const unsigned char *cfg, size_t len, struct hg_dev *d)
{
    unsigned p = len > 0x34 ? cfg[0x34] & 0xfc : 0;

    for (unsigned n = 0; p >= 0x40 && p + 12 <= len && n < 48; n++, p = cfg[p + 1] & 0xfc) {
        if (cfg[p] != 0x11)
            continue;
        d->msix_n = ((cfg[p + 2] | cfg[p + 3] << 8) & 0x7ff) + 1u;
        for (unsigned k = 0; k < 2; k++)
            d->msix_loc[k] = cfg[p + 4 + 4 * k] | cfg[p + 5 + 4 * k] << 8 |
                             cfg[p + 6 + 4 * k] << 16 | (uint32_t)cfg[p + 7 + 4 * k] << 24;
        return;
    }
}

struct hostile_guest *hw_guest(struct hostile_world *w, unsigned v, uint64_t seed)
{
    struct hostile_guest *h = malloc(sizeof(*h));

    ck_assert_uint_lt(v, w->vcpus);
    ck_assert_ptr_nonnull(h);
    retire(w, v);
    hg_init(h, simfx_open(), w->domid, w->server, v, seed);
    for (unsigned i = 0; i < w->dom.ndevs; i++) {
        ck_assert_int_eq(hg_add_dev(h, &w->dom.devs[i]), 0);
        host_msix(w->config[i], w->config_len[i], &h->devs[i]);
    }
    hg_discover(h);
    w->guests[v] = h;
    return h;
}

/* ---- invariants ---- */

static void check_alive(struct hostile_world *w, const char *phase)
{
    struct hv *g = simfx_open();

    ck_assert_msg(waitpid(w->dm.pid, NULL, WNOHANG) == 0, "%s: the daemon died", phase);
    for (unsigned i = 0; i < HW_NDEVS; i++) {
        uint32_t want = (uint32_t)w->config[i][0] | (uint32_t)w->config[i][1] << 8 |
                        (uint32_t)w->config[i][2] << 16 | (uint32_t)w->config[i][3] << 24;
        ck_assert_msg(dfx_cfg_read(g, w->domid, 0, w->dom.devs[i].guest.dev, 0, 4) == want,
                      "%s: %s's vendor/device ID changed", phase, dev_names[i]);
    }
    hv_close(g);
}

struct rec {
    unsigned dev;
    int bar;
    uint64_t gfn, mfn, nr, hits;
    struct page_range holes[2];
    int nholes;
};

static bool in_hole(const struct guest_layout *l, uint64_t a, uint64_t len)
{
    return (a >= l->mem_base && a + len <= l->mem_base + l->mem_size) ||
           (a >= l->pref_base && a + len <= l->pref_base + l->pref_size);
}

static bool msix_page(const struct rec *r, uint64_t idx)
{
    for (int i = 0; i < r->nholes; i++)
        if (idx >= r->holes[i].first && idx - r->holes[i].first < r->holes[i].nr)
            return true;
    return false;
}

/* Every BAR's p2m record; the recorded ones into recs. */
static unsigned read_records(struct hostile_world *w, const char *phase, struct rec *recs)
{
    struct xs_handle *xs = xsw_open();
    struct guest_layout lay;
    unsigned n = 0;
    char err[256];

    guest_layout_defaults(&lay);
    ck_assert_ptr_nonnull(xs);
    for (unsigned i = 0; i < w->dom.ndevs; i++) {
        const struct dev_assign *a = &w->dom.devs[i];
        struct hostpci *hp;
        ck_assert_msg(hostpci_open(afx_tree, &a->host, &hp, err, sizeof(err)) == 0, "%s", err);
        for (int b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &a->bars[b];
            uint64_t g = 0;
            if (ba->type == BAR_NONE || ba->type == BAR_IO)
                continue;
            ck_assert_msg(xsp_read_bar_mapped(xs, w->domid, &a->host, b, &g) == 0,
                          "%s: no p2m record for %s BAR %d", phase, dev_names[i], b);
            if (!g)
                continue;
            struct rec *r = &recs[n++];
            *r = (struct rec){ .dev = i, .bar = b, .gfn = g >> 12, .mfn = ba->host >> 12,
                               .nr = (ba->size + 4095) >> 12 };
            ck_assert_msg(in_hole(&lay, g, ba->size), "%s: %s BAR %d recorded at 0x%" PRIx64
                          " outside the holes", phase, dev_names[i], b, g);
            ck_assert_msg((g & 0xfff) == (ba->host & 0xfff), "%s: in-page offset", phase);
            if (b < 6)
                r->nholes = msix_bar_holes(hostpci_host_dev(hp), (unsigned)b, r->holes);
            ck_assert_int_ge(r->nholes, 0);
        }
        hostpci_close(hp);
    }
    xsw_close(xs);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            ck_assert_msg(recs[i].gfn + recs[i].nr <= recs[j].gfn ||
                          recs[j].gfn + recs[j].nr <= recs[i].gfn,
                          "%s: recorded BARs %u/%d and %u/%d overlap", phase, recs[i].dev,
                          recs[i].bar, recs[j].dev, recs[j].bar);
    return n;
}

static struct rec *owner(struct rec *recs, unsigned n, uint64_t gfn)
{
    for (unsigned i = 0; i < n; i++)
        if (gfn >= recs[i].gfn && gfn - recs[i].gfn < recs[i].nr)
            return &recs[i];
    return NULL;
}

static void check_p2m(struct hostile_world *w, const char *phase)
{
    static struct sim_mapping m[MAX_MAPS];
    struct rec recs[MAX_RECS];
    struct guest_layout lay;
    unsigned nrec = read_records(w, phase, recs);
    int n = sim_list_mappings(simfx_hv, w->domid, m, MAX_MAPS);

    guest_layout_defaults(&lay);
    ck_assert_int_ge(n, 0);
    ck_assert_int_le(n, MAX_MAPS);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(in_hole(&lay, m[i].gfn << 12, m[i].nr << 12), "%s: mapping at gfn 0x%"
                      PRIx64 " outside the holes", phase, m[i].gfn);
        if (i)
            ck_assert_msg(m[i - 1].gfn + m[i - 1].nr <= m[i].gfn, "%s: mappings overlap", phase);
        for (uint64_t p = 0; p < m[i].nr; p++) {
            uint64_t gfn = m[i].gfn + p, mfn = m[i].mfn + p;
            struct rec *r = owner(recs, nrec, gfn);
            ck_assert_msg(r, "%s: gfn 0x%" PRIx64 " mapped but no BAR is recorded there",
                          phase, gfn);
            ck_assert_msg(mfn == r->mfn + (gfn - r->gfn), "%s: gfn 0x%" PRIx64 " -> mfn 0x%"
                          PRIx64 ", %s BAR %d wants 0x%" PRIx64, phase, gfn, mfn,
                          dev_names[r->dev], r->bar, r->mfn + (gfn - r->gfn));
            ck_assert_msg(!msix_page(r, gfn - r->gfn), "%s: MSI-X page mapped", phase);
            r->hits++;
        }
    }
    for (unsigned i = 0; i < nrec; i++) {
        uint64_t want = recs[i].nr;
        for (int k = 0; k < recs[i].nholes; k++)
            want -= recs[i].holes[k].nr;
        ck_assert_msg(recs[i].hits == want, "%s: %s BAR %d recorded but %" PRIu64 " of %"
                      PRIu64 " pages mapped", phase, dev_names[recs[i].dev], recs[i].bar,
                      recs[i].hits, want);
    }
}

/* Offset of capability id in a config image (0: none). */
static unsigned cap_at(const unsigned char *cfg, size_t len, unsigned char id)
{
    unsigned p = len > 0x34 ? cfg[0x34] & 0xfc : 0;

    for (unsigned n = 0; p >= 0x40 && p + 4 <= len && n < 48; n++, p = cfg[p + 1] & 0xfc)
        if (cfg[p] == id)
            return p;
    return 0;
}

/* The MSI capability past its header and the MSI-X control follow the
 * guest's for a device Xen's vITS knows (pcipt/daemon/daemon_msi.c,
 * daemon_msix.c; tested in tests/unit/daemon/test_daemon_msi.c): keep the
 * original bytes there in `now`. */
static void allow_msi(const unsigned char *orig, unsigned char *now, size_t len)
{
    unsigned m = cap_at(orig, len, 0x05), x = cap_at(orig, len, 0x11);

    if (m) {
        unsigned ctrl = orig[m + 2] | orig[m + 3] << 8;
        unsigned end = m + ((ctrl & 0x80) ? 0x0e : 0x0a) + ((ctrl & 0x100) ? 0x0a : 0);
        for (unsigned i = m + 2; i < end && i < len; i++)
            now[i] = orig[i];
    }
    if (x && x + 4 <= len) {
        now[x + 2] = orig[x + 2];
        now[x + 3] = orig[x + 3];
    }
}

/* Nothing the guest does changes the host's config space, except the
 * Expansion ROM Enable bit (0x30 bit 0), which follows the guest's ROM
 * mapping on purpose (pcipt/daemon/daemon_bars.c host_rom_decode; tested in
 * tests/unit/daemon/test_daemon_bars.c), and the MSI and MSI-X registers
 * (allow_msi). */
static void check_host_config(struct hostile_world *w, const char *phase)
{
    char path[256];

    for (unsigned i = 0; i < HW_NDEVS; i++) {
        size_t len;
        dev_file(dev_names[i], "config", path, sizeof(path));
        unsigned char *now = slurp(path, &len);
        if (len == w->config_len[i] && len > 0x30) {
            now[0x30] = (unsigned char)((now[0x30] & ~1u) | (w->config[i][0x30] & 1u));
            allow_msi(w->config[i], now, len);
        }
        ck_assert_msg(len == w->config_len[i] && !memcmp(now, w->config[i], len),
                      "%s: host config space of %s changed", phase, dev_names[i]);
        free(now);
    }
}

static void sums(struct hostile_world *w, uint64_t *aborts, uint64_t *malformed,
                 uint64_t *unknown)
{
    *aborts = w->aborts_outside;
    *malformed = w->malformed_sent;
    *unknown = w->unknown_type_sent;
    for (unsigned v = 0; v < HW_MAX_VCPUS; v++) {
        const struct hostile_guest *h = w->guests[v];
        if (!h)
            continue;
        ck_assert_msg(h->errors == 0 && h->aborts_claimed == 0,
                      "vCPU %u: %" PRIu64 " errors, %" PRIu64 " aborts in claimed ranges; "
                      "first: %s", v, h->errors, h->aborts_claimed, h->first_error);
        *aborts += h->aborts_outside;
        *malformed += h->malformed_sent;
        *unknown += h->unknown_type_sent;
    }
}

/* Complete stats lines only: the log is a file the daemon is writing, so
 * a read can catch the newest line half-written. */
static int count_stats(const char *log)
{
    int n = 0;

    for (const char *p = log; (p = strstr(p, "pciptd: stats ")); p++)
        if (strchr(p, '\n'))
            n++;
    return n;
}

/* SIGUSR1, then the new stats line (failsafe bound only). */
static char *fresh_stats(struct hostile_world *w)
{
    char *log = dfx_log(&w->dm);
    int before = count_stats(log);

    free(log);
    kill(w->dm.pid, SIGUSR1);
    for (int i = 0; i < DFX_WAIT_MS / 5; i++) {
        log = dfx_log(&w->dm);
        if (count_stats(log) > before)
            return log;
        free(log);
        usleep(5000);
    }
    ck_abort_msg("the daemon wrote no stats line on SIGUSR1");
    return NULL;
}

long long hw_stat(struct hostile_world *w, const char *key)
{
    char *log = fresh_stats(w);
    long long v = dfx_stat(log, key);

    free(log);
    return v;
}

void hw_check(struct hostile_world *w, const char *phase)
{
    struct sim_domain_info di;
    uint64_t aborts, malformed, unknown;

    check_alive(w, phase);
    sums(w, &aborts, &malformed, &unknown);
    check_p2m(w, phase);
    check_host_config(w, phase);
    ck_assert_int_eq(sim_domain_info(simfx_hv, w->domid, &di), 0);
    ck_assert_msg(!di.crashed && di.bad_state == 0 && di.emulator_gone == 0,
                  "%s: sim saw crashed=%d bad_state=%" PRIu64 " emulator_gone=%" PRIu64, phase,
                  di.crashed, di.bad_state, di.emulator_gone);
    ck_assert_msg(di.aborts == aborts, "%s: sim counted %" PRIu64 " aborts, the guests %"
                  PRIu64 " outside the claimed ranges", phase, di.aborts, aborts);
    char *log = fresh_stats(w);
    ck_assert_int_eq(dfx_stat(log, "malformed"), (long long)(malformed - w->malformed_base));
    ck_assert_int_eq(dfx_stat(log, "unknown_type"), (long long)(unknown - w->unknown_base));
    free(log);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(stderr, "hostile: %-24s ok at %5lld ms (%" PRIu64 " aborts outside, %" PRIu64
            " malformed)\n", phase,
            (long long)(now.tv_sec * 1000 + now.tv_nsec / 1000000) - w->start_ms, aborts,
            malformed);
}

void hw_check_home(struct hostile_world *w)
{
    struct xs_handle *xs = xsw_open();

    ck_assert_ptr_nonnull(xs);
    for (unsigned i = 0; i < w->dom.ndevs; i++)
        for (int b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &w->dom.devs[i].bars[b];
            uint64_t g = 0;
            if (ba->type == BAR_NONE || ba->type == BAR_IO)
                continue;
            ck_assert_int_eq(xsp_read_bar_mapped(xs, w->domid, &w->dom.devs[i].host, b, &g), 0);
            ck_assert_msg(g == ba->guest, "%s BAR %d: mapped at 0x%" PRIx64 ", planned 0x%"
                          PRIx64, dev_names[i], b, g, ba->guest);
        }
    xsw_close(xs);
}

void hw_check_flr_reset(struct hostile_world *w)
{
    char path[256];
    uint64_t sent[HG_MAX_DEVS] = { 0 };

    for (unsigned i = 0; i < HG_MAX_DEVS; i++) {
        sent[i] = w->flr_sent[i];
        for (unsigned v = 0; v < HW_MAX_VCPUS; v++)
            if (w->guests[v])
                sent[i] += w->guests[v]->flr_sent[i];
    }
    for (unsigned i = 0; i < HW_NDEVS; i++) {
        size_t len;
        dev_file(dev_names[i], "reset", path, sizeof(path));
        unsigned char *c = slurp(path, &len);
        if (sent[i])
            ck_assert_msg(len == 1 && c[0] == '1', "%s: FLR did not reach sysfs reset",
                          dev_names[i]);
        free(c);
    }
}

void hw_restart(struct hostile_world *w)
{
    uint64_t aborts;

    sums(w, &aborts, &w->malformed_base, &w->unknown_base);
    ck_assert_int_eq(dfx_stop(&w->dm, SIGKILL), 128 + SIGKILL);
    start_quiet(w, w->domid);
    char *id = dfx_be_read(w->domid, "pcipt/server/id");
    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(atoi(id), w->server);              /* taken over, not a new one */
    free(id);
}

void hw_finish(struct hostile_world *w)
{
    uint64_t aborts, malformed, unknown;

    sums(w, &aborts, &malformed, &unknown);
    ck_assert_int_eq(dfx_stop(&w->dm, SIGTERM), 0);
    w->dm.pid = 0;
    char *log = dfx_log(&w->dm);
    ck_assert_int_eq(dfx_stat(log, "malformed"), (long long)(malformed - w->malformed_base));
    ck_assert_int_eq(dfx_stat(log, "unknown_type"), (long long)(unknown - w->unknown_base));
    ck_assert_msg(strstr(log, "Assertion") == NULL && strstr(log, "Sanitizer") == NULL &&
                  strstr(log, "runtime error") == NULL, "%s", log);
    free(log);
}
