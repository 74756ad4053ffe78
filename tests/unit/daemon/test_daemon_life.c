/* pcipt serve: domain death, every request type and malformed request,
 * hot attach/detach through xenstore, one daemon per domain, readiness
 * through NOTIFY_SOCKET, stats on SIGUSR1. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/xs/xs_publish.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5

static uint64_t pages[8192][2];

static uint64_t mfn_at(uint64_t gaddr)
{
    unsigned n = dfx_p2m_pages(DOM, pages, 8192);
    for (unsigned i = 0; i < n; i++)
        if (pages[i][0] == gaddr >> 12)
            return pages[i][1];
    return ~0ull;
}

START_TEST(domain_death_removes_everything)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(DOM, 2);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 1, a.guest.dev, 0, 4), 0x10c98086u);
    hv_close(g);
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);
    struct serve_record rec;
    ck_assert_int_eq(serve_record_read(DOM, &rec), 0);     /* the server, in the run dir */
    struct sim_range perm[16];
    ck_assert_int_gt(sim_list_permissions(simfx_hv, DOM, perm, 16), 0);

    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(dfx_wait_exit(&dm), 0);
    char *v = dfx_be_read(DOM, "num_devs");
    ck_assert_ptr_null(v);
    struct xs_handle *xs = xsw_open();
    unsigned num;
    char **kids = xsw_directory(xs, XBT_NULL, "/local/domain/0/backend/pci", &num);
    ck_assert_ptr_null(kids);                 /* the empty parents went too */
    xsw_close(xs);
    uint32_t ids[16];
    int n = sim_list_domains(simfx_hv, ids, 16);
    for (int i = 0; i < n; i++)
        ck_assert_uint_ne(ids[i], DOM);
    ck_assert_int_lt(sim_list_servers(simfx_hv, DOM, NULL, 0), 0);
    ck_assert_int_lt(sim_list_mappings(simfx_hv, DOM, NULL, 0), 0);
    ck_assert_int_lt(sim_list_permissions(simfx_hv, DOM, perm, 16), 0);
    ck_assert_int_eq(serve_record_read(DOM, &rec), -ENOENT);   /* gone with the server */
    char *log = dfx_log(&dm);
    ck_assert_ptr_nonnull(strstr(log, "the domain is gone"));
    ck_assert_msg(strstr(log, "error:") == NULL, "%s", log);
    ck_assert_int_eq(dfx_stat(log, "cfg_reads"), 1);
    free(log);
}
END_TEST

static void raw(struct hv *g, uint16_t id, ioreq_t req, uint64_t want)
{
    ioreq_t resp;
    ck_assert_int_eq(sim_guest_raw_ioreq(g, DOM, 0, id, &req, &resp, DFX_WAIT_MS), 0);
    ck_assert_uint_eq(resp.state, STATE_IORESP_READY);
    if (req.dir == IOREQ_READ)
        ck_assert_msg(resp.data == want, "type %u addr 0x%llx size %u: 0x%llx", req.type,
                      (unsigned long long)req.addr, req.size, (unsigned long long)resp.data);
}

START_TEST(every_request_type_is_answered_and_counted)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    char *ids = dfx_be_read(DOM, "pcipt/server/id");
    uint16_t id = (uint16_t)atoi(ids);
    free(ids);
    struct hv *g = simfx_open();
    uint64_t ecam_vendor = 0x10000000ull | (uint64_t)a.guest.dev << 15;
    uint64_t sbdf = (uint64_t)a.guest.dev << 3;
    const uint64_t ones = ~0ull;

    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 4, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, 0x10c98086u);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 4, .dir = IOREQ_READ,
                          .data_is_ptr = 1, .type = IOREQ_TYPE_COPY }, 0xffffffffu);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 2, .size = 4, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, 0xffffffffu);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 0, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, ones);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 3, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, ones);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 16, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, ones);
    raw(g, id, (ioreq_t){ .addr = ecam_vendor, .count = 1, .size = 4, .dir = IOREQ_READ,
                          .type = 5 }, 0xffffffffu);
    raw(g, id, (ioreq_t){ .addr = sbdf << 32, .count = 1, .size = 4, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_PCI_CONFIG }, 0x10c98086u);
    raw(g, id, (ioreq_t){ .addr = sbdf << 32 | 0x3c, .data = 0x5a, .count = 1, .size = 1,
                          .dir = IOREQ_WRITE, .type = IOREQ_TYPE_PCI_CONFIG }, 0);
    raw(g, id, (ioreq_t){ .type = IOREQ_TYPE_INVALIDATE, .count = 1 }, 0);
    raw(g, id, (ioreq_t){ .addr = 0x32000000, .count = 1, .size = 8, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, ones);
    raw(g, id, (ioreq_t){ .addr = 0x90000000, .count = 1, .size = 2, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, 0xffff);
    /* a trap inside a BAR the daemon has mapped: impossible on Xen once the
     * p2m holds it, so it is answered all-ones and counted as a mapped hit */
    raw(g, id, (ioreq_t){ .addr = a.bars[0].guest + 8, .count = 1, .size = 4, .dir = IOREQ_READ,
                          .type = IOREQ_TYPE_COPY }, 0xffffffffu);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, a.guest.dev, 0x3c, 1), 0x5a);
    struct sim_domain_info di;
    ck_assert_int_eq(sim_domain_info(simfx_hv, DOM, &di), 0);
    ck_assert_uint_eq(di.bad_state, 0);
    hv_close(g);

    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    ck_assert_int_eq(dfx_stat(log, "ecam_reads"), 2);
    ck_assert_int_eq(dfx_stat(log, "malformed"), 5);
    ck_assert_int_eq(dfx_stat(log, "unknown_type"), 1);
    ck_assert_int_eq(dfx_stat(log, "pci_config_reads"), 1);
    ck_assert_int_eq(dfx_stat(log, "pci_config_writes"), 1);
    ck_assert_int_eq(dfx_stat(log, "invalidate"), 1);
    ck_assert_int_eq(dfx_stat(log, "bar_window"), 2);
    ck_assert_int_eq(dfx_stat(log, "bar_mapped_hits"), 1);
    ck_assert_int_eq(dfx_stat(log, "unclaimed"), 1);
    ck_assert_int_eq(dfx_stat(log, "ioreqs"), 14);
    ck_assert_int_eq(dfx_stat(log, "cfg"), dfx_stat(log, "cfg_reads") + dfx_stat(log, "cfg_writes"));
    ck_assert_int_gt(dfx_stat(log, "first_cfg_us"), 0);
    ck_assert_int_ge(dfx_stat(log, "last_cfg_us"), dfx_stat(log, "first_cfg_us"));
    free(log);
}
END_TEST

static char *wait_node(const char *rel, const char *want)
{
    char *v = NULL;
    for (int i = 0; i < DFX_WAIT_MS / 5; i++) {
        free(v);
        v = dfx_be_read(DOM, rel);
        if (v && !strcmp(v, want))
            return v;
        usleep(5000);
    }
    return v;
}

START_TEST(hot_attach_and_detach)
{
    struct dev_assign a, b;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 2, 0, 4), 0xffffffffu);
    dfx_assign(DOM, 2, &b);
    ck_assert_uint_eq(b.guest.dev, 2);
    char want[32];
    snprintf(want, sizeof(want), "0x%llx", (unsigned long long)b.bars[1].guest);
    char *m = wait_node("pcipt/dev-1/bar-1/mapped", want);   /* the daemon added it */
    ck_assert_str_eq(m, want);
    free(m);
    uint32_t id = 0;
    for (int i = 0; i < DFX_WAIT_MS / 5 && id != 0x10c98086u; i++) {   /* the guest rescans */
        id = dfx_cfg_read(g, DOM, 0, 2, 0, 4);
        usleep(5000);
    }
    ck_assert_uint_eq(id, 0x10c98086u);
    ck_assert_uint_eq(mfn_at(b.bars[1].guest), b.bars[1].host >> 12);

    /* detach asks (pcipt/dev-1/detach = 1) -> the daemon removes, unmaps,
     * answers 2; libxl's state-1 is left alone (5 would mean xl pci-detach) */
    struct xs_handle *xs = xsw_open();
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/0/backend/pci/5/0/pcipt/dev-1/detach",
                               "1"), 0);
    xsw_close(xs);
    char *st = wait_node("pcipt/dev-1/detach", "2");
    ck_assert_str_eq(st, "2");
    free(st);
    st = dfx_be_read(DOM, "state-1");
    ck_assert_str_eq(st, "1");
    free(st);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 2, 0, 4), 0xffffffffu);
    ck_assert_uint_eq(mfn_at(b.bars[1].guest), ~0ull);
    for (int bar = 0; bar < 7; bar++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "pcipt/dev-1/bar-%d/mapped", bar);
        char *v = dfx_be_read(DOM, rel);
        if (v)
            ck_assert_str_eq(v, "none");
        free(v);
    }
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);   /* a stays */
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0, 4), 0x10c98086u);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

/* Detaching the last device takes the whole backend dir, the daemon's
 * record with it: the daemon keeps serving the (empty) bus, its serve lock
 * still names it, and when a device is published again it is added and the
 * record comes back (so pci-attach does not start a second daemon). */
START_TEST(last_device_detached_then_attached_again)
{
    struct dev_assign a;
    struct dfx_daemon dm;
    char pid[16];

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    snprintf(pid, sizeof(pid), "%d", (int)dm.pid);
    struct xs_handle *xs = xsw_open();
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/0/backend/pci/5/0/pcipt/dev-0/detach",
                               "1"), 0);
    char *st = wait_node("pcipt/dev-0/detach", "2");
    ck_assert_str_eq(st, "2");
    free(st);
    ck_assert_int_eq(xsp_remove_device(xs, DOM, &a.host), 0);     /* as detach does */
    ck_assert_ptr_null(dfx_be_read(DOM, "pcipt/server/pid"));
    ck_assert_int_eq(servelock_holder(DOM), dm.pid);
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 0, 0, 4), 0xc0de5853u);   /* still served */
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0, 4), 0xffffffffu);
    dfx_assign(DOM, 1, &a);
    char *p = wait_node("pcipt/server/pid", pid);
    ck_assert_str_eq(p, pid);
    free(p);
    char *ready = wait_node("pcipt/server/state", "ready");
    ck_assert_str_eq(ready, "ready");
    free(ready);
    uint32_t id = 0;
    for (int i = 0; i < DFX_WAIT_MS / 5 && id != 0x10c98086u; i++) {
        id = dfx_cfg_read(g, DOM, 0, 1, 0, 4);
        usleep(5000);
    }
    ck_assert_uint_eq(id, 0x10c98086u);
    hv_close(g);
    xsw_close(xs);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(servelock_holder(DOM), 0);
}
END_TEST

START_TEST(one_daemon_per_domain_and_readiness)
{
    struct dev_assign a;
    struct dfx_daemon dm;
    char sock[100], buf[64] = { 0 };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(sock, sizeof(sock), "%s/notify", dfx_tree);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", sock, 1);
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    unsetenv("NOTIFY_SOCKET");
    ck_assert_int_eq(recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT), 7);
    ck_assert_str_eq(buf, "READY=1");
    close(fd);
    char *st = dfx_be_read(DOM, "pcipt/server/state");
    ck_assert_str_eq(st, "ready");
    free(st);

    char *out = NULL, *err = NULL;
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "--hv sim --sysfs %s serve %d", dfx_tree, DOM), 1);
    ck_assert_ptr_nonnull(strstr(err, "already served by a live daemon"));
    free(out); free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "--hv sim --sysfs %s serve 77", dfx_tree), 1);
    ck_assert_ptr_nonnull(strstr(err, "domain 77 does not exist"));
    free(out); free(err);
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "--hv sim serve zero"), 2);
    free(out); free(err);

    /* SIGUSR1: one stats line, the daemon goes on */
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0, 4), 0x10c98086u);
    kill(dm.pid, SIGUSR1);
    char *log = NULL;
    for (int i = 0; i < DFX_WAIT_MS / 5; i++) {
        free(log);
        log = dfx_log(&dm);
        if (strstr(log, "pciptd: stats dom=5 "))
            break;
        usleep(5000);
    }
    ck_assert_int_eq(dfx_stat(log, "cfg_reads"), 1);
    free(log);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 2, 2), 0x10c9);
    hv_close(g);
    /* published in xenstore (at most once a second) */
    char *stats = NULL;
    for (int i = 0; i < DFX_WAIT_MS / 5; i++) {
        free(stats);
        stats = dfx_be_read(DOM, "pcipt/server/stats");
        if (stats && dfx_stat(stats, "cfg_reads") == 2)
            break;
        usleep(5000);
    }
    ck_assert_int_eq(dfx_stat(stats, "cfg_reads"), 2);
    free(stats);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

/* The host's MSI control (the tree's config file at 0x52). */
static uint32_t host_msi_ctrl(void)
{
    char p[160];
    uint16_t v = 0;
    snprintf(p, sizeof(p), "%s/devices/0000:01:00.0/config", dfx_tree);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0x52, SEEK_SET), 0);
    ck_assert_uint_eq(fread(&v, 2, 1, f), 1);
    fclose(f);
    return v;
}

START_TEST(flr_resets_the_host_function_and_msi_reaches_the_host)
{
    struct dev_assign a;
    struct dfx_daemon dm;
    char reset[160];

    snprintf(reset, sizeof(reset), "%s/devices/0000:01:00.0/reset", dfx_tree);
    dfx_use_host_dt("virt-gicv3-its.dts");
    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    FILE *f = fopen(reset, "w");                /* emptied after attach's own reset */
    ck_assert_ptr_nonnull(f);
    fclose(f);
    dfx_start(&dm, DOM);
    struct hv *g = simfx_open();
    unsigned s = a.guest.dev;

    /* MSI enable (cap at 0x50): msi = vits, so the host's MSI follows (the
     * tree's config file is the host's config space) */
    dfx_cfg_write(g, DOM, 0, s, 0x52, 2, 0x0001);
    dfx_cfg_write(g, DOM, 0, s, 0x52, 2, 0x0000);
    dfx_cfg_write(g, DOM, 0, s, 0x52, 2, 0x0001);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, s, 0x52, 2) & 1, 1);
    ck_assert_uint_eq(host_msi_ctrl() & 1, 1);

    /* Initiate FLR (PCIe cap at 0xa0, DevCtl bit 15) */
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);
    uint32_t devctl = dfx_cfg_read(g, DOM, 0, s, 0xa8, 2);
    dfx_cfg_write(g, DOM, 0, s, 0xa8, 2, devctl | 0x8000);
    f = fopen(reset, "r");
    char buf[8] = { 0 };
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    ck_assert_str_eq(buf, "1");
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), ~0ull);            /* decode went off */
    char *rec = dfx_be_read(DOM, "pcipt/dev-0/bar-1/mapped");
    ck_assert_str_eq(rec, "none");
    free(rec);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, s, 0x04, 2) & 2, 0);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, s, 0x52, 2) & 1, 0);  /* MSI off again */
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    ck_assert_ptr_nonnull(strstr(log, "guest FLR: reset 0000:01:00.0"));
    ck_assert_int_eq(dfx_stat(log, "flr"), 1);
    free(log);
}
END_TEST

START_TEST(usage_errors)
{
    static const char *const bad[] = {
        "serve", "serve 0", "serve 5 6", "serve --ready-fd x 5", "serve --ready-fd",
        "serve --log file 5", "serve --bogus 5", "serve -5", "serve 99999",
    };
    char *out, *err;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = err = NULL;
        ck_assert_msg(run_pcipt(NULL, &out, &err, "--hv sim %s", bad[i]) == 2, "%s", bad[i]);
        ck_assert_msg(err && strstr(err, "usage: pcipt serve"), "%s: %s", bad[i], err);
        free(out); free(err);
    }
    out = err = NULL;
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "serve --help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "--ready-fd N"));
    free(out); free(err);
    /* nothing assigned yet (`pcipt create` of an empty guest): it serves
     * an empty bus, its record in xenstore says ready, then stopped */
    dfx_domain(DOM, 1);
    struct dfx_daemon dm;
    char *st;
    dfx_start(&dm, DOM);
    ck_assert_ptr_nonnull(st = dfx_be_read(DOM, "pcipt/server/state"));
    ck_assert_str_eq(st, "ready");
    free(st);
    ck_assert_ptr_null(dfx_be_read(DOM, "num_devs"));
    dfx_stop(&dm, SIGTERM);
    ck_assert_ptr_nonnull(st = dfx_be_read(DOM, "pcipt/server/state"));
    ck_assert_str_eq(st, "stopped");
    free(st);
}
END_TEST

START_TEST(failed_setup_leaves_no_server)
{
    struct dev_assign a;
    char cmd[512], *out = NULL, *err = NULL;

    dfx_domain(DOM, 2);
    dfx_assign(DOM, 1, &a);
    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_SIM_FAIL=ioreq_set_state:1:5"), &out, &err,
                               "--hv sim --sysfs %s serve %d", dfx_tree, DOM), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot enable server"));
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, NULL, 0), 0);
    struct serve_record srec;
    ck_assert_int_eq(serve_record_read(DOM, &srec), -ENOENT);  /* nor its run-dir record */
    free(out); free(err);
    /* the p2m and its records agree (the next daemon starts from them) */
    ck_assert_uint_eq(mfn_at(a.bars[1].guest), a.bars[1].host >> 12);
    char want[32], *rec = dfx_be_read(DOM, "pcipt/dev-0/bar-1/mapped");
    snprintf(want, sizeof(want), "0x%llx", (unsigned long long)a.bars[1].guest);
    ck_assert_str_eq(rec, want);
    free(rec);
    /* the host device has vanished: refused, naming it */
    snprintf(cmd, sizeof(cmd), "rm -rf %s/devices/0000:01:00.0", dfx_tree);
    ck_assert_int_eq(system(cmd), 0);
    out = err = NULL;
    ck_assert_int_eq(run_pcipt(NULL, &out, &err, "--hv sim --sysfs %s serve %d", dfx_tree, DOM), 1);
    ck_assert_ptr_nonnull(strstr(err, "device 0000:01:00.0: "));
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, NULL, 0), 0);
    free(out); free(err);
}
END_TEST

/* One -v or --verbose, before or after `serve`, traces every config access
 * (SBDF, register, size, value); without it there is no trace. */
static const struct { const char *global, *after_serve; bool traced; } trace_forms[] = {
    { "-v", NULL, true },
    { "--verbose", NULL, true },
    { "", "--verbose", true },
    { "", "-v", true },
    { "", NULL, false },
};

START_TEST(trace_names_every_access)
{
    struct dev_assign a;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_verbosity = trace_forms[_i].global;
    dfx_serve_opt = trace_forms[_i].after_serve;
    dfx_start(&dm, DOM);
    dfx_verbosity = "-v";
    dfx_serve_opt = NULL;
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0x00, 4), 0x10c98086u);
    dfx_cfg_write(g, DOM, 0, 1, 0x3c, 1, 0x2f);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0x3c, 1), 0x2f);
    hv_close(g);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    char *log = dfx_log(&dm);
    const char *want[] = { "cfg read  0000:00:01.0 reg 0x000 size 4 -> 0x10c98086",
                           "cfg write 0000:00:01.0 reg 0x03c size 1 <- 0x2f",
                           "cfg read  0000:00:01.0 reg 0x03c size 1 -> 0x2f" };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(!strstr(log, want[i]) == !trace_forms[_i].traced, "'%s%s%s': %s %s:\n%s",
                      trace_forms[_i].global,
                      trace_forms[_i].after_serve ? " serve " : " serve",
                      trace_forms[_i].after_serve ? trace_forms[_i].after_serve : "",
                      trace_forms[_i].traced ? "no" : "unexpected", want[i], log);
    if (!trace_forms[_i].traced)
        ck_assert_msg(!strstr(log, "cfg "), "%s", log);
    free(log);
}
END_TEST

static void remove_dev2_config(void)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf %s/devices/0000:02:00.0/config", dfx_tree);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(failed_hot_attach_keeps_serving)
{
    struct dev_assign a, b;
    struct dfx_daemon dm;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    dfx_pre_publish = remove_dev2_config;    /* planned, then its config file goes */
    dfx_assign(DOM, 2, &b);
    dfx_pre_publish = NULL;
    char *log = NULL;
    for (int i = 0; i < DFX_WAIT_MS / 5; i++) {
        free(log);
        log = dfx_log(&dm);
        if (strstr(log, "hot attach of 0000:02:00.0 failed"))
            break;
        usleep(5000);
    }
    ck_assert_ptr_nonnull(strstr(log, "hot attach of 0000:02:00.0 failed"));
    free(log);
    struct hv *g = simfx_open();
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 2, 0, 4), 0xffffffffu);
    ck_assert_uint_eq(dfx_cfg_read(g, DOM, 0, 1, 0, 4), 0x10c98086u);
    hv_close(g);
    ck_assert_uint_eq(mfn_at(b.bars[1].guest), ~0ull);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

static Suite *daemon_life_suite(void)
{
    Suite *s = suite_create("daemon_life");
    TCase *tc = tcase_create("life");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, domain_death_removes_everything);
    tcase_add_test(tc, every_request_type_is_answered_and_counted);
    tcase_add_test(tc, hot_attach_and_detach);
    tcase_add_test(tc, last_device_detached_then_attached_again);
    tcase_add_test(tc, one_daemon_per_domain_and_readiness);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, failed_hot_attach_keeps_serving);
    tcase_add_loop_test(tc, trace_names_every_access, 0,
                        (int)(sizeof(trace_forms) / sizeof(trace_forms[0])));
    tcase_add_test(tc, failed_setup_leaves_no_server);
    tcase_add_test(tc, flr_resets_the_host_function_and_msi_reaches_the_host);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_life_suite)
