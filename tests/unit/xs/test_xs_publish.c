/* pcipt/xs/xs_*.c against Debian's real xenstored: round trips, the exact
 * libxl node shapes (read back with the xenstore-* tools), permissions,
 * duplicates, hot-remove renumbering, daemon state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/testreg.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/xs_util.h"
#include "tests/support/text_util.h"

static struct xs_handle *xs;

/* Per test (in the forked child): an empty store with dom0 and domain 5. */
static void setup(void)
{
    xs = xst_fresh();
}

static void teardown(void)
{
    xs_close(xs);
}

static void publish(int which)
{
    struct dev_assign d;

    xst_sample(which, &d);
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), 0);
}

static void read_ok(struct domain_assign *a)
{
    char err[512];
    int rc = xsp_read_domain(xs, XST_DOMID, a, err, sizeof(err));

    ck_assert_msg(rc == 0, "read_domain: %d %s", rc, err);
}

START_TEST(round_trip_one)
{
    static struct domain_assign a;
    struct dev_assign d;

    publish(0);
    read_ok(&a);
    xst_sample(0, &d);
    ck_assert_uint_eq(a.domid, XST_DOMID);
    ck_assert_uint_eq(a.ndevs, 1);
    ck_assert(xst_dev_equal(&a.devs[0], &d));
}
END_TEST

START_TEST(round_trip_two)
{
    static struct domain_assign a;
    struct dev_assign d0, d1;

    publish(0);
    publish(1);
    read_ok(&a);
    xst_sample(0, &d0);
    xst_sample(1, &d1);
    ck_assert_uint_eq(a.ndevs, 2);
    ck_assert(xst_dev_equal(&a.devs[0], &d0));
    ck_assert(xst_dev_equal(&a.devs[1], &d1));
    ck_assert(!xst_dev_equal(&a.devs[0], &d1));
}
END_TEST

/* What libxl__create_pci_backend / libxl__device_pci_add_xenstore write,
 * and pciback's vdev-N, read by the xenstore-read tool. */
START_TEST(libxl_nodes_exact)
{
    static const char *const want[][2] = {
        { "frontend", "/local/domain/5/device/pci/0" },
        { "frontend-id", "5" },
        { "online", "1" },
        { "state", "1" },
        { "domain", "guest5" },
        { "num_devs", "2" },
        { "key-0", "0000:03:00.0" },
        { "dev-0", "0000:03:00.0" },
        { "vdev-0", "0000:00:01.00" },
        { "opts-0", "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict" },
        { "state-0", "1" },
        { "key-1", "0001:0a:1f.7" },
        { "dev-1", "0001:0a:1f.7" },
        { "vdev-1", "0000:00:02.00" },
        { "opts-1", "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict" },
        { "state-1", "1" },
        { "pcipt/dev-0/spi", "40" },
        { "pcipt/dev-0/intx-pin", "1" },
        { "pcipt/dev-0/force", "0" },
        { "pcipt/dev-0/bar-0/type", "mem64" },
        { "pcipt/dev-0/bar-0/prefetchable", "1" },
        { "pcipt/dev-0/bar-0/host", "0x8000100000" },
        { "pcipt/dev-0/bar-0/guest", "0x100000000" },
        { "pcipt/dev-0/bar-0/size", "0x100000" },
        { "pcipt/dev-0/bar-6/type", "rom" },
        { "pcipt/dev-1/force", "1" },
        { "pcipt/dev-1/bar-0/type", "io" },
    };
    char path[256];

    publish(0);
    publish(1);
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char *v;
        snprintf(path, sizeof(path), "%s/%s", XST_BE, want[i][0]);
        v = xst_cli_read(path);
        ck_assert_msg(v != NULL, "xenstore-read %s failed", path);
        ck_assert_msg(!strcmp(v, want[i][1]), "%s = '%s', want '%s'", path, v, want[i][1]);
        free(v);
    }
    /* no node for an absent BAR, none for the upper half of a 64-bit one */
    ck_assert_ptr_null(xst_cli_read(XST_BE "/pcipt/dev-0/bar-1/type"));
    ck_assert_ptr_null(xst_cli_read(XST_BE "/pcipt/dev-0/bar-4"));
    /* libxl writes no frontend dir for us: nothing under /local/domain/5/device */
    ck_assert_ptr_null(xst_cli_read("/local/domain/5/device"));
}
END_TEST

/* Every node under the backend dir: owner dom0, nobody else ("n0"). */
START_TEST(permissions_dom0_only)
{
    char **leaves, *dump, *line;
    unsigned nodes = 0;

    publish(0);
    publish(1);
    leaves = xst_leaves(xs, "/local/domain/0/backend/pci/5");
    for (char **p = leaves; *p; p++) {
        /* the leaf and each of its parents up to the domid dir */
        char path[512];
        snprintf(path, sizeof(path), "%s", *p);
        while (strlen(path) >= strlen("/local/domain/0/backend/pci/5")) {
            unsigned n;
            struct xs_permissions *perms = xs_get_permissions(xs, XBT_NULL, path, &n);
            ck_assert_msg(perms != NULL, "no permissions for %s", path);
            ck_assert_msg(n == 1 && perms[0].id == 0 && perms[0].perms == XS_PERM_NONE,
                          "%s: %u entries, first %u/%d", path, n, perms[0].id, perms[0].perms);
            free(perms);
            nodes++;
            *strrchr(path, '/') = '\0';
        }
    }
    xst_free_list(leaves);
    ck_assert_uint_gt(nodes, 40);
    /* and as the xenstore-ls tool shows them */
    dump = xst_dump();
    nodes = 0;
    for (line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "/local/domain/0/backend", 23))
            continue;
        nodes++;
        ck_assert_msg(strstr(line, "(n0)") != NULL, "not dom0-only: %s", line);
    }
    free(dump);
    ck_assert_uint_gt(nodes, 40);
}
END_TEST

START_TEST(duplicates_refused)
{
    struct dev_assign d;
    char *before;

    publish(0);
    before = xst_dump();
    xst_sample(0, &d);
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), -EEXIST);   /* same host */
    xst_sample(2, &d);
    d.guest = (struct sbdf){ 0, 0, 1, 0 };                               /* same vslot */
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), -EEXIST);
    xst_sample(2, &d);
    d.bars[0].guest += 0x800;                                            /* misaligned */
    ck_assert_int_eq(xsp_publish_device(xs, XST_DOMID, &d), -EINVAL);
    {
        char *after = xst_dump();
        ck_assert_text_unchanged(after, before);
        free(after);
    }
    free(before);
}
END_TEST

/* libxl renumbers dev-(j) to dev-(j-1) on hot-remove; the last device
 * takes the whole backend dir with it. */
START_TEST(remove_renumbers_and_cleans)
{
    static struct domain_assign a;
    struct dev_assign d0, d1, d2;
    struct sbdf nothere = { 0, 9, 9, 1 };
    char *before = xst_dump(), *after, *v;

    publish(0);
    publish(1);
    publish(2);
    xst_sample(0, &d0);
    xst_sample(1, &d1);
    xst_sample(2, &d2);
    ck_assert_int_eq(xsp_remove_device(xs, XST_DOMID, &nothere), -ENOENT);
    ck_assert_int_eq(xsp_remove_device(xs, XST_DOMID, &d1.host), 0);
    read_ok(&a);
    ck_assert_uint_eq(a.ndevs, 2);
    ck_assert(xst_dev_equal(&a.devs[0], &d0));
    ck_assert(xst_dev_equal(&a.devs[1], &d2));
    ck_assert_ptr_null(xst_cli_read(XST_BE "/dev-2"));
    ck_assert_ptr_null(xst_cli_read(XST_BE "/pcipt/dev-2"));
    v = xst_cli_read(XST_BE "/num_devs");
    ck_assert_str_eq(v, "2");
    free(v);

    ck_assert_int_eq(xsp_remove_device(xs, XST_DOMID, &d0.host), 0);
    read_ok(&a);
    ck_assert_uint_eq(a.ndevs, 1);
    ck_assert(xst_dev_equal(&a.devs[0], &d2));
    ck_assert_int_eq(xsp_remove_device(xs, XST_DOMID, &d2.host), 0);
    ck_assert_int_eq(xsp_read_domain(xs, XST_DOMID, &a, NULL, 0), -ENOENT);
    after = xst_dump();
    ck_assert_text_unchanged(after, before);
    free(after);
    free(before);
}
END_TEST

START_TEST(list_and_remove_domain)
{
    uint32_t ids[8];
    struct dev_assign d;
    char *before = xst_dump(), *after;

    ck_assert_int_eq(xsp_list_domains(xs, ids, 8), 0);
    xst_sample(2, &d);
    ck_assert_int_eq(xsp_publish_device(xs, 12, &d), 0);
    publish(0);
    publish(1);
    ck_assert_int_eq(xsp_list_domains(xs, ids, 8), 2);
    ck_assert_uint_eq(ids[0], 5);
    ck_assert_uint_eq(ids[1], 12);
    ck_assert_int_eq(xsp_remove_domain(xs, 12), 0);
    ck_assert_int_eq(xsp_remove_domain(xs, XST_DOMID), 0);
    ck_assert_int_eq(xsp_remove_domain(xs, XST_DOMID), 0);   /* idempotent */
    ck_assert_int_eq(xsp_list_domains(xs, ids, 8), 0);
    after = xst_dump();
    ck_assert_text_unchanged(after, before);
    free(after);
    free(before);
}
END_TEST

START_TEST(vdev_state_round_trip)
{
    struct vdev_state st, back;
    struct dev_assign d0, d1;
    char err[256];

    memset(&st, 0, sizeof(st));
    st.command = 0x0406;
    st.status_rw1c = 0x8000;
    st.guest_bar[0] = 0x10000000c;
    st.guest_bar[6] = 0x23010001;
    st.rom_ctrl = 1;
    st.intx_line = 0xff;
    st.msi_ctrl = 0x81;
    st.msi_addr = 0x8090040;
    st.msi_data = 0x21;
    st.msi_mask = 0xfffffffe;
    st.msix_ctrl = 0xc003;
    st.pcie_devctl = 0x2810;
    st.pcie_lnkctl = 0x40;
    st.pcie_devctl2 = 0x400;
    st.pm_ctrl = 0x8;
    publish(0);
    publish(1);
    xst_sample(0, &d0);
    xst_sample(1, &d1);
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d1.host, &back, err, sizeof(err)),
                     -ENOENT);
    ck_assert_int_eq(xsp_write_vdev_state(xs, XST_DOMID, &d1.host, &st), 0);
    memset(&back, 0x5a, sizeof(back));
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d1.host, &back, err, sizeof(err)), 0);
    ck_assert_mem_eq(&back, &st, sizeof(st));
    /* it moves with its device when an earlier one is removed */
    ck_assert_int_eq(xsp_remove_device(xs, XST_DOMID, &d0.host), 0);
    memset(&back, 0, sizeof(back));
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d1.host, &back, err, sizeof(err)), 0);
    ck_assert_mem_eq(&back, &st, sizeof(st));
    /* a value too wide for its field */
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/dev-0/state/command", "0x10000", 7));
    ck_assert_int_eq(xsp_read_vdev_state(xs, XST_DOMID, &d1.host, &back, err, sizeof(err)),
                     -EINVAL);
    ck_assert_msg(strstr(err, XST_BE "/pcipt/dev-0/state/command") != NULL, "%s", err);
}
END_TEST

START_TEST(server_round_trip)
{
    struct xsp_server srv = { .id = 3, .pid = 4242, .nr_vcpus = 2, .ports = { 17, 18 } };
    struct xsp_server back;
    char err[256];

    ck_assert_int_eq(xsp_write_server(xs, XST_DOMID, &srv), -ENOENT);    /* no device yet */
    publish(0);
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &back, err, sizeof(err)), -ENOENT);
    ck_assert_int_eq(xsp_write_server(xs, XST_DOMID, &srv), 0);
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &back, err, sizeof(err)), 0);
    ck_assert_uint_eq(back.id, 3);
    ck_assert_int_eq(back.pid, 4242);
    ck_assert_uint_eq(back.nr_vcpus, 2);
    ck_assert_uint_eq(back.ports[0], 17);
    ck_assert_uint_eq(back.ports[1], 18);
    ck_assert(xs_write(xs, XBT_NULL, XST_BE "/pcipt/server/port-1", "-1", 2));
    ck_assert_int_eq(xsp_read_server(xs, XST_DOMID, &back, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, XST_BE "/pcipt/server/port-1") != NULL, "%s", err);
    srv.nr_vcpus = 0;
    ck_assert_int_eq(xsp_write_server(xs, XST_DOMID, &srv), -EINVAL);
}
END_TEST

static Suite *xs_publish_suite(void)
{
    Suite *s = suite_create("xs_publish");
    TCase *tc = tcase_create("real xenstored");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_one);
    tcase_add_test(tc, round_trip_two);
    tcase_add_test(tc, libxl_nodes_exact);
    tcase_add_test(tc, permissions_dom0_only);
    tcase_add_test(tc, duplicates_refused);
    tcase_add_test(tc, remove_renumbers_and_cleans);
    tcase_add_test(tc, list_and_remove_domain);
    tcase_add_test(tc, vdev_state_round_trip);
    tcase_add_test(tc, server_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(xs_publish_suite)
