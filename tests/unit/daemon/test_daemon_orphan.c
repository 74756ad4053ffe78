/* pcipt serve and what a dead predecessor left (the real daemon, --hv sim):
 * - a pid recorded in pcipt/server/pid whose process holds no serve lock
 *   (an unrelated live process, an unreaped zombie) is no daemon: serve
 *   starts;
 * - a daemon SIGKILLed, then the whole backend dir removed as libxl removes
 *   it with the last device (the server's xenstore record with it): a device
 *   added again and a new daemon take over the same IOREQ server through
 *   its run-dir record, so the domain has exactly one server and the
 *   guest's config reads are answered;
 * - a run-dir record of an earlier domain with the same domid (another
 *   `vm`) is not taken for this one's: its server is left alone;
 * - a run-dir record of this domain naming another server than the one
 *   taken over from xenstore: that server is destroyed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcipt/assign/domlock.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/hv/map.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/daemon_fx.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"

#define DOM 5
#define VENDOR_82576 0x10c98086u

static uint16_t recorded_server(void)
{
    char *id = dfx_be_read(DOM, "pcipt/server/id");
    uint16_t v;

    ck_assert_ptr_nonnull(id);
    v = (uint16_t)atoi(id);
    free(id);
    return v;
}

static void record_pid(uint16_t id, pid_t pid)
{
    struct xsp_server srv = { .id = id, .pid = pid, .nr_vcpus = 1, .ports = { 9 } };
    struct xs_handle *xs = xsw_open();

    ck_assert_ptr_nonnull(xs);
    ck_assert_int_eq(xsp_write_server(xs, DOM, &srv), 0);
    xsw_close(xs);
    ck_assert_int_eq(servelock_holder(DOM), 0);
}

/* The guest reads slot's vendor/device ID through the daemon. */
static uint32_t guest_read_id(unsigned slot)
{
    struct hv *g = simfx_open();
    uint32_t v = dfx_cfg_read(g, DOM, 0, slot, 0, 4);

    hv_close(g);
    return v;
}

static void expect_one_server(uint16_t id)
{
    struct sim_server_info si[8];

    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, si, 8), 1);
    ck_assert_uint_eq(si[0].id, id);
    ck_assert(si[0].enabled);
}

START_TEST(recorded_pid_without_the_lock_is_no_daemon)
{
    struct dfx_daemon dm;
    struct dev_assign a;
    siginfo_t si;
    pid_t z;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    /* an unrelated live process: the test itself (a recycled pid) */
    record_pid(6, getpid());
    dfx_start(&dm, DOM);
    ck_assert_int_eq(servelock_holder(DOM), dm.pid);
    uint16_t id = recorded_server();
    expect_one_server(id);
    ck_assert_uint_eq(guest_read_id(a.guest.dev), VENDOR_82576);
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);

    /* an exited, unreaped process: kill(pid, 0) still succeeds */
    fflush(NULL);
    z = fork();
    ck_assert_int_ge(z, 0);
    if (z == 0)
        _exit(0);
    memset(&si, 0, sizeof(si));
    ck_assert_int_eq(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);
    ck_assert_int_eq(kill(z, 0), 0);
    record_pid(id, z);
    dfx_start(&dm, DOM);                    /* takes the server over */
    ck_assert_int_eq(servelock_holder(DOM), dm.pid);
    expect_one_server(id);
    ck_assert_uint_eq(guest_read_id(a.guest.dev), VENDOR_82576);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(waitpid(z, NULL, 0), z);
}
END_TEST

/* What the daemon would have done for a device libxl removes: unmap its
 * BARs and revoke the domain's access. */
static void unmap_and_revoke(const struct dev_assign *a)
{
    struct sim_mapping m[64];
    int n = sim_list_mappings(simfx_hv, DOM, m, 64);

    ck_assert_int_gt(n, 0);
    ck_assert_int_le(n, 64);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(hv_unmap_mmio(simfx_hv, DOM, m[i].gfn, m[i].mfn, m[i].nr, NULL, 0,
                                       NULL), 0);
    for (int b = 0; b < PCI_NUM_RES; b++)
        if (a->bars[b].type != BAR_NONE && a->bars[b].type != BAR_IO && a->bars[b].size)
            ck_assert_int_eq(hv_revoke_iomem(simfx_hv, DOM, a->bars[b].host, a->bars[b].size),
                             0);
}

START_TEST(server_without_xenstore_record_is_taken_over)
{
    struct dfx_daemon dm;
    struct dev_assign a1, a2;
    struct serve_record rec;
    struct xs_handle *xs;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a1);
    dfx_start(&dm, DOM);
    uint16_t id = recorded_server();
    ck_assert_int_eq(serve_record_read(DOM, &rec), 0);
    ck_assert_uint_eq(rec.server_id, id);
    ck_assert_str_eq(rec.vm, "");
    ck_assert_uint_eq(guest_read_id(a1.guest.dev), VENDOR_82576);

    /* the daemon dies; libxl then removes the last device: the whole
     * backend dir, the server's xenstore record with it */
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);
    unmap_and_revoke(&a1);
    xs = xsw_open();
    ck_assert_ptr_nonnull(xs);
    ck_assert_int_eq(xsw_rm(xs, XBT_NULL, "/local/domain/0/backend/pci/5"), 0);
    xsw_close(xs);
    ck_assert_ptr_null(dfx_be_read(DOM, "pcipt/server/id"));
    expect_one_server(id);                  /* still in Xen, claiming the ECAM */

    /* a device again, a daemon again: the same, one server */
    dfx_assign(DOM, 2, &a2);
    dfx_start(&dm, DOM);
    expect_one_server(id);
    ck_assert_uint_eq(recorded_server(), id);
    ck_assert_uint_eq(guest_read_id(a2.guest.dev), VENDOR_82576);
    ck_assert_uint_eq(guest_read_id(a2.guest.dev == 7 ? 6 : 7), 0xffffffffu);  /* empty slot */
    char *log = dfx_log(&dm);
    ck_assert_msg(strstr(log, "found by its record in the run dir"), "%s", log);
    ck_assert_msg(strstr(log, "took over IOREQ server"), "%s", log);
    ck_assert_msg(strstr(log, "error:") == NULL, "%s", log);
    free(log);

    /* a clean stop keeps the server and its record for the next daemon */
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(serve_record_read(DOM, &rec), 0);
    ck_assert_uint_eq(rec.server_id, id);
    /* the domain's death: server and record go */
    dfx_start(&dm, DOM);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, DOM), 0);
    ck_assert_int_eq(dfx_wait_exit(&dm), 0);
    ck_assert_int_eq(serve_record_read(DOM, &rec), -ENOENT);
}
END_TEST

START_TEST(record_of_an_earlier_domain_is_left_alone)
{
    struct serve_record old = { .vm = "/vm/11111111-old" }, rec;
    struct sim_server_info si[8];
    struct dfx_daemon dm;
    struct dev_assign a;
    struct xs_handle *xs;
    uint16_t foreign;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    /* another emulator's server of this domain; a record naming its id,
     * left by a daemon of an earlier domain 5 */
    ck_assert_int_eq(simfx_hv->ops->ioreq_create(simfx_hv, DOM, 0, &foreign), 0);
    old.server_id = foreign;
    ck_assert_int_eq(serve_record_write(DOM, &old), 0);
    xs = xsw_open();
    ck_assert_ptr_nonnull(xs);
    ck_assert_int_eq(xsw_write(xs, XBT_NULL, "/local/domain/5/vm", "/vm/22222222-new"), 0);

    dfx_start(&dm, DOM);
    uint16_t id = recorded_server();
    ck_assert_uint_ne(id, foreign);
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, si, 8), 2);    /* the foreign one kept */
    ck_assert_int_eq(serve_record_read(DOM, &rec), 0);
    ck_assert_uint_eq(rec.server_id, id);
    ck_assert_str_eq(rec.vm, "/vm/22222222-new");
    ck_assert_uint_eq(guest_read_id(a.guest.dev), VENDOR_82576);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
    ck_assert_int_eq(xsw_rm(xs, XBT_NULL, "/local/domain/5"), 0);
    xsw_close(xs);
}
END_TEST

/* Both records, naming different servers (a run-dir record without a
 * daemon serving its server): the xenstore one is taken over, the other,
 * a pcipt server of this domain nobody serves, destroyed. */
START_TEST(server_of_a_stale_run_dir_record_is_destroyed)
{
    struct serve_record stray = { .vm = "" }, rec;
    struct dfx_daemon dm;
    struct dev_assign a;

    dfx_domain(DOM, 1);
    dfx_assign(DOM, 1, &a);
    dfx_start(&dm, DOM);
    uint16_t id = recorded_server();
    ck_assert_int_eq(dfx_stop(&dm, SIGKILL), 128 + SIGKILL);
    ck_assert_int_eq(simfx_hv->ops->ioreq_create(simfx_hv, DOM, 0, &stray.server_id), 0);
    ck_assert_int_eq(serve_record_write(DOM, &stray), 0);
    ck_assert_int_eq(sim_list_servers(simfx_hv, DOM, NULL, 0), 2);

    dfx_start(&dm, DOM);
    expect_one_server(id);
    ck_assert_uint_eq(recorded_server(), id);
    ck_assert_int_eq(serve_record_read(DOM, &rec), 0);
    ck_assert_uint_eq(rec.server_id, id);
    ck_assert_uint_eq(guest_read_id(a.guest.dev), VENDOR_82576);
    ck_assert_int_eq(dfx_stop(&dm, SIGTERM), 0);
}
END_TEST

START_TEST(run_dir_record_format)
{
    struct serve_record r = { .server_id = 7, .vm = "/vm/abc" }, back;
    char path[4200];
    FILE *f;

    ck_assert_int_eq(serve_record_write(DOM, &r), 0);
    ck_assert_int_eq(serve_record_read(DOM, &back), 0);
    ck_assert_uint_eq(back.server_id, 7);
    ck_assert_str_eq(back.vm, "/vm/abc");
    snprintf(path, sizeof(path), "%s/serve/dom%u.server", domlock_run_dir(), DOM);
    static const char *bad[] = { "", "server=\nvm=\n", "server=70000\nvm=\n", "server=-1\nvm=\n",
                                 "server=3\n", "server=3\nvm=x", "server=3\nvm=x\nmore\n",
                                 "id=3\nvm=\n" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_ptr_nonnull(f = fopen(path, "w"));
        fputs(bad[i], f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_msg(serve_record_read(DOM, &back) == -EINVAL, "'%s' accepted", bad[i]);
    }
    r.vm[0] = '\n';
    ck_assert_int_eq(serve_record_write(DOM, &r), -EINVAL);
    ck_assert_int_eq(serve_record_remove(DOM), 0);
    ck_assert_int_eq(serve_record_read(DOM, &back), -ENOENT);
    ck_assert_int_eq(serve_record_remove(DOM), 0);            /* none: fine */
}
END_TEST

static Suite *daemon_orphan_suite(void)
{
    Suite *s = suite_create("daemon_orphan");
    TCase *tc = tcase_create("orphan");

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, dfx_setup, dfx_teardown);
    tcase_add_test(tc, recorded_pid_without_the_lock_is_no_daemon);
    tcase_add_test(tc, server_without_xenstore_record_is_taken_over);
    tcase_add_test(tc, record_of_an_earlier_domain_is_left_alone);
    tcase_add_test(tc, server_of_a_stale_run_dir_record_is_destroyed);
    tcase_add_test(tc, run_dir_record_format);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(daemon_orphan_suite)
