/* Announcing functions to Xen's vITS at attach and unannouncing them on
 * every way out (pcipt/assign/msi_announce.h, docs/design/msi-announce.md),
 * against the sim's vITS (pcipt/sim/sim_its.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "pcipt/assign/msi_announce.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/xs/xs.h"
#include "pcipt/xs/xs_publish.h"
#include "tests/support/attach_fx.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"
#include "tests/support/warn_fx.h"
#include "tests/support/xenstored_fx.h"
#include "tests/support/text_util.h"

#define NIC_GDEV 0x8u        /* guest 0000:00:01.0 */
#define NIC_HDEV 0x100u      /* the sim's host DeviceID: the RID of 01:00.0 */

static char err[512];


static void setup(void)
{
    afx_setup();
    msi_announce_reset_notice();
    warn_fx_start();
}

static void teardown(void)
{
    warn_fx_stop();
    afx_ctx.hv = simfx_hv;
    afx_teardown();
}

static int nbound(uint32_t domid)
{
    return sim_list_its_bindings(simfx_hv, domid, NULL, 0);
}

static void published_msi(uint32_t domid, const char *dev, enum dev_msi *msi, uint32_t *g,
                          uint32_t *h)
{
    struct sbdf s;

    ck_assert_int_eq(sbdf_parse(dev, &s), 0);
    ck_assert_int_eq(xsp_read_dev_msi(afx_ctx.xs, domid, &s, msi, g, h), 0);
}

/* ---- a recording backend: what exists when the binding is made ---- */
static struct hv rec_hv;
static struct hv_ops rec_ops;
static unsigned its_calls;
static char order[256];
static int published_at_bind = 99;
static uint32_t owner_at_bind = 0xdead;

static int rec_its(struct hv *hv, uint32_t domid, uint32_t g, uint32_t sbdf, uint32_t n,
                   bool bind, uint32_t *h)
{
    struct domain_assign *a = calloc(1, sizeof(*a));
    char e[256];

    (void)hv;
    its_calls++;
    strcat(order, bind ? "bind " : "unbind ");
    if (bind) {
        ck_assert_ptr_nonnull(a);
        published_at_bind = xsp_read_domain(afx_ctx.xs, domid, a, e, sizeof(e));
        owner_at_bind = afx_smmu_owner(AFX_NIC);
    }
    free(a);
    return simfx_hv->ops->its_device(simfx_hv, domid, g, sbdf, n, bind, h);
}

static int fwd_exists(struct hv *hv, uint32_t d) { (void)hv; return simfx_hv->ops->domain_exists(simfx_hv, d); }
static int fwd_iomem(struct hv *hv, uint32_t d, uint64_t m, uint64_t n, bool a)
{
    (void)hv;
    return simfx_hv->ops->iomem_permission(simfx_hv, d, m, n, a);
}
static int fwd_mapping(struct hv *hv, uint32_t d, uint64_t g, uint64_t m, uint64_t n, bool a)
{
    (void)hv;
    return simfx_hv->ops->memory_mapping(simfx_hv, d, g, m, n, a);
}
static int fwd_iommu(struct hv *hv) { (void)hv; return simfx_hv->ops->iommu_enabled(simfx_hv); }
static int fwd_test(struct hv *hv, uint32_t d, uint32_t s) { (void)hv; return simfx_hv->ops->test_assign_device(simfx_hv, d, s); }
static int fwd_assign(struct hv *hv, uint32_t d, uint32_t s) { (void)hv; return simfx_hv->ops->assign_device(simfx_hv, d, s); }
static int fwd_deassign(struct hv *hv, uint32_t d, uint32_t s)
{
    (void)hv;
    strcat(order, "deassign ");
    return simfx_hv->ops->deassign_device(simfx_hv, d, s);
}
static int no_assign(struct hv *hv, uint32_t d, uint32_t s) { (void)hv; (void)d; (void)s; return -EOPNOTSUPP; }

static void use_recorder(bool iommu)
{
    rec_ops = (struct hv_ops){ .name = "record", .domain_exists = fwd_exists,
                               .iomem_permission = fwd_iomem, .memory_mapping = fwd_mapping,
                               .iommu_enabled = fwd_iommu, .test_assign_device = fwd_test,
                               .assign_device = iommu ? fwd_assign : no_assign,
                               .deassign_device = fwd_deassign, .its_device = rec_its };
    rec_hv = (struct hv){ .ops = &rec_ops };
    afx_ctx.hv = &rec_hv;
    its_calls = 0;
    order[0] = '\0';
}

START_TEST(bound_after_the_iommu_and_before_the_device_is_published)
{
    enum dev_msi msi;
    uint32_t g, h;

    use_recorder(true);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(its_calls, 1);
    ck_assert_int_eq(published_at_bind, -ENOENT);     /* nothing in xenstore yet */
    ck_assert_uint_eq(owner_at_bind, 5);              /* already in the IOMMU context */
    published_msi(5, AFX_NIC, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_VITS);
    ck_assert_uint_eq(g, NIC_GDEV);
    ck_assert_uint_eq(h, NIC_HDEV);
    ck_assert_int_eq(nbound(5), 1);
    ck_assert_uint_eq(warn_fx_count, 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(its_calls, 2);
    ck_assert_str_eq(order, "bind unbind deassign ");   /* pcipt unbinds, then deassigns */
    ck_assert_int_eq(nbound(5), 0);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
}
END_TEST

START_TEST(announced_devid_mapd_accepted_unannounced_refused)
{
    struct sim_its_binding b[4];

    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(sim_list_its_bindings(simfx_hv, 5, b, 4), 2);
    ck_assert_uint_eq(b[0].guest_devid, NIC_GDEV);
    ck_assert_uint_eq(b[1].guest_devid, 0x10);        /* 0000:00:02.0 */
    ck_assert_uint_eq(b[1].machine_sbdf, 0x0900);
    /* the guest's MAPD with the events attach bound: accepted */
    ck_assert_int_eq(sim_guest_its_mapd(simfx_hv, 5, NIC_GDEV, b[0].nr_events), 0);
    ck_assert_int_eq(sim_guest_its_mapd(simfx_hv, 5, 0x18, 32), -EPERM);   /* slot 3: nobody */
    ck_assert_int_eq(sim_guest_its_mapd(simfx_hv, 3, NIC_GDEV, 32), -EPERM);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(sim_guest_its_mapd(simfx_hv, 5, NIC_GDEV, 32), -EPERM);  /* gone */
    ck_assert_int_eq(sim_guest_its_mapd(simfx_hv, 5, 0x10, 32), 0);
}
END_TEST

/* Every failure after the binding unbinds it again: nothing bound, nothing
 * assigned (the snapshot holds the bindings and the SMMU owner). */
START_TEST(failed_attach_leaves_nothing_bound)
{
    char *before = afx_snapshot(), *now;

    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 2, EIO), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EIO);
    ck_assert_int_eq(nbound(5), 0);
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "iomem_permission", 1, EIO), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EIO);
    ck_assert_int_eq(nbound(5), 0);
    /* every xenstore operation in turn, the publish transaction's included
     * (those come after the binding) */
    unsigned n;
    for (n = 1; n < 500; n++) {
        xsw_inject_fail(n, EIO);
        int rc = afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err));
        xsw_inject_fail(0, 0);
        if (!rc)
            break;
        ck_assert_int_eq(rc, -EIO);
        ck_assert_msg(nbound(5) == 0, "xenstore op %u failing left a binding", n);
    }
    ck_assert_uint_lt(n, 500);
    ck_assert_int_eq(nbound(5), 1);                   /* the attach that succeeded */
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    /* pcipt itself unbinds before it deassigns (Xen's deassign would too) */
    use_recorder(true);
    ck_assert_int_eq(sim_inject_fail(simfx_hv, "memory_mapping", 1, EIO), 0);
    ck_assert_int_eq(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)), -EIO);
    ck_assert_str_eq(order, "bind unbind deassign ");
    afx_ctx.hv = simfx_hv;
    now = afx_snapshot();
    ck_assert_text_unchanged(now, before);
    ck_assert_uint_eq(afx_smmu_owner(AFX_NIC), 0);
    free(now);
    free(before);
}
END_TEST

/* A bind error other than EOPNOTSUPP: MSI off, one warning, attach goes on. */
START_TEST(bind_error_is_a_warning_and_msi_off)
{
    enum dev_msi msi;
    uint32_t g, h;

    ck_assert_int_eq(sim_inject_fail(simfx_hv, "its_device", 1, EBUSY), 0);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    published_msi(5, AFX_NIC, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    ck_assert_int_eq(nbound(5), 0);
    ck_assert_uint_eq(warn_fx_count, 1);
    ck_assert_msg(strstr(warn_fx_text, "binding guest DeviceID 0x8 of domain 5 to 0000:01:00.0 in "
                                   "Xen's virtual ITS failed: Device or resource busy; its MSI "
                                   "and MSI-X stay hidden, INTx works"), "%s", warn_fx_text);
    /* detach does not unbind what was never bound */
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(warn_fx_count, 1);
}
END_TEST

START_TEST(no_vits_msi_off_one_notice_attach_succeeds)
{
    enum dev_msi msi;
    uint32_t g, h;

    ck_assert_int_eq(setenv(SIM_VITS_ENV, "off", 1), 0);
    struct hv *n = simfx_open();
    unsetenv(SIM_VITS_ENV);
    afx_ctx.hv = n;
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_attach(5, AFX_GPU, -1, 0, err, sizeof(err)) == 0, "%s", err);
    published_msi(5, AFX_NIC, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    published_msi(5, AFX_GPU, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    ck_assert_uint_eq(warn_fx_count, 1);                  /* one notice for the two */
    ck_assert_str_eq(warn_fx_text, MSI_NO_VITS_NOTICE "\n");
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(afx_detach(5, AFX_GPU, err, sizeof(err)) == 0, "%s", err);
    afx_ctx.hv = simfx_hv;
    hv_close(n);
}
END_TEST

START_TEST(no_vits_from_the_command_line)
{
    char *out = NULL, *e = NULL;

    ck_assert_int_eq(run_pcipt(RUN_ENV("PCIPT_SIM_VITS=off"), &out, &e, "%s %s", afx_args(),
                               "attach 5 " AFX_NIC), 0);
    ck_assert_msg(strstr(e, "pcipt: warning: the hypervisor has no virtual ITS for domUs"),
                  "%s", e);
    ck_assert_ptr_eq(strstr(strstr(e, "no virtual ITS") + 1, "no virtual ITS"), NULL);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "status 5"), 0);
    ck_assert_msg(strstr(out, "dma iommu  msi off  reset flr\n"), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(nbound(5), 0);
}
END_TEST

START_TEST(dma_off_no_bind)
{
    enum dev_msi msi;
    uint32_t g, h;

    use_recorder(false);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(its_calls, 0);
    published_msi(5, AFX_NIC, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(its_calls, 0);
}
END_TEST

START_TEST(no_msi_capability_no_bind)
{
    enum dev_msi msi;
    uint32_t g, h;

    /* Status bit 4 (Capabilities List, PCI 3.0 §6.2.3) off: no MSI, no MSI-X */
    afx_set_config_byte(AFX_NIC, 0x06, afx_config_byte(AFX_NIC, 0x06) & ~0x10);
    use_recorder(true);
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, ATTACH_VERBOSE, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_uint_eq(its_calls, 0);
    published_msi(5, AFX_NIC, &msi, &g, &h);
    ck_assert_int_eq(msi, DEV_MSI_OFF);
    ck_assert_uint_eq(warn_fx_count, 0);
}
END_TEST

/* Domain death: Xen (the sim) drops the bindings; detach then says nothing
 * about them. */
START_TEST(domain_death_releases_and_detach_is_quiet)
{
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(nbound(5), 1);
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert_int_eq(nbound(5), -ESRCH);
    ck_assert_int_eq(sim_domain_create(simfx_hv, 5, 1, 0x40000000, 0x10000000, 64), 0);
    ck_assert_int_eq(nbound(5), 0);                   /* a new domain 5 starts clean */
    ck_assert_int_eq(sim_domain_destroy(simfx_hv, 5), 0);
    ck_assert_msg(afx_detach(5, AFX_NIC, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(!strstr(warn_fx_text, "virtual ITS"), "%s", warn_fx_text);
}
END_TEST

START_TEST(status_text_and_json)
{
    char *out = NULL, *e = NULL;

    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "attach -v 5 " AFX_NIC), 0);
    ck_assert_msg(strstr(out, "msi vits: guest DeviceID 0x8 bound to host DeviceID 0x100, "),
                  "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "status 5"), 0);
    ck_assert_msg(strstr(out, "0000:01:00.0 -> 0000:00:01.0  spi 48 (INTA)  dma iommu  msi vits "
                              "(guest DeviceID 0x8, host DeviceID 0x100)  reset flr\n"), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "status --json 5"), 0);
    ck_assert_msg(strstr(out, "\"dma\": \"iommu\", \"msi\": \"vits\", \"its_guest_devid\": "
                              "\"0x8\", \"its_host_devid\": \"0x100\", \"reset\": \"flr\", \"bars\": ["), "%s", out);
    free(out);
    free(e);
    ck_assert_int_eq(run_pcipt(NULL, &out, &e, "%s %s", afx_args(), "detach 5 " AFX_NIC), 0);
    free(out);
    free(e);
    ck_assert_int_eq(nbound(5), 0);
}
END_TEST

/* The host device tree says another host DeviceID than Xen bound (the sim
 * binds the RID 0x100; segment 0's msi-map there gives 0x20100): a
 * warning, and the binding stays. */
START_TEST(host_dt_disagreeing_with_xen_warns)
{
    char src[512], dtb[128], *out = NULL, *e = NULL;

    snprintf(dtb, sizeof(dtb), "%s/host.dtb", afx_tree);
    ck_assert_int_eq(run_sh(NULL, &out, &e, "dtc -I dts -O dtb -o %s %s", dtb,
                            test_src_path("tests/data/host-dt/virt-gicv3-its.dts", src,
                                          sizeof(src))), 0);
    free(out);
    free(e);
    afx_ctx.host_dt = dtb;
    ck_assert_msg(afx_attach(5, AFX_NIC, -1, 0, err, sizeof(err)) == 0, "%s", err);
    afx_ctx.host_dt = NULL;
    ck_assert_int_eq(nbound(5), 1);
    ck_assert_uint_eq(warn_fx_count, 1);
    ck_assert_msg(strstr(warn_fx_text, "dom5: 0000:01:00.0: Xen bound host ITS DeviceID 0x100 but "
                                   "the host device tree "), "%s", warn_fx_text);
    ck_assert_msg(strstr(warn_fx_text, " gives 0x20100: the device's MSIs may not arrive"), "%s",
                  warn_fx_text);
}
END_TEST

static Suite *attach_msi_suite(void)
{
    Suite *s = suite_create("attach_msi");
    TCase *tc = tcase_create("announce");

    tcase_add_unchecked_fixture(tc, xsd_fixture_start, xsd_fixture_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bound_after_the_iommu_and_before_the_device_is_published);
    tcase_add_test(tc, announced_devid_mapd_accepted_unannounced_refused);
    tcase_add_test(tc, failed_attach_leaves_nothing_bound);
    tcase_add_test(tc, bind_error_is_a_warning_and_msi_off);
    tcase_add_test(tc, no_vits_msi_off_one_notice_attach_succeeds);
    tcase_add_test(tc, no_vits_from_the_command_line);
    tcase_add_test(tc, dma_off_no_bind);
    tcase_add_test(tc, no_msi_capability_no_bind);
    tcase_add_test(tc, domain_death_releases_and_detach_is_quiet);
    tcase_add_test(tc, status_text_and_json);
    tcase_add_test(tc, host_dt_disagreeing_with_xen_warns);
    suite_add_tcase(s, tc);
    return s;
}

TEST_SUITE(attach_msi_suite)
