/* Simulated IOREQ servers, DM ops and interrupts follow Xen on Arm
 * (docs/xen-facts.md "IOREQ server bring-up", "DM ops on Arm"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#include "pcipt/sim/hv_sim.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 7
#define ECAM 0x10000000ull

static struct hv *H;

static void setup(void)
{
    simfx_setup();
    H = simfx_hv;
    ck_assert_int_eq(sim_domain_create(H, DOM, 4, 0x40000000, 0x10000000, 40), 0);
}

static uint16_t mkserver(void)
{
    uint16_t id = 0xffff;
    ck_assert_int_eq(H->ops->ioreq_create(H, DOM, 0, &id), 0);
    return id;
}

START_TEST(bufioreq_refused)
{
    uint16_t id;
    ck_assert_int_eq(H->ops->ioreq_create(H, DOM, 1, &id), -EINVAL);   /* LEGACY */
    ck_assert_int_eq(H->ops->ioreq_create(H, DOM, 2, &id), -EINVAL);   /* ATOMIC */
    ck_assert_int_eq(H->ops->ioreq_create(H, DOM, 3, &id), -EINVAL);
    ck_assert_int_eq(H->ops->ioreq_create(H, 99, 0, &id), -ESRCH);
    ck_assert_int_eq(sim_list_servers(H, DOM, NULL, 0), 0);
}
END_TEST

START_TEST(eight_servers_at_most)
{
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(mkserver(), i);
    uint16_t id;
    ck_assert_int_eq(H->ops->ioreq_create(H, DOM, 0, &id), -ENOSPC);
    ck_assert_int_eq(H->ops->ioreq_destroy(H, DOM, 3), 0);
    ck_assert_int_eq(H->ops->ioreq_destroy(H, DOM, 3), -ENOENT);
    ck_assert_uint_eq(mkserver(), 3);
    ck_assert_uint_eq(H->counters.dm_op_calls, 12);
}
END_TEST

START_TEST(range_rules)
{
    uint16_t id = mkserver(), other = mkserver();
    /* 256 separate ranges fit; the 257th does not (rangeset_limit: -ENOMEM) */
    for (uint64_t i = 0; i < 256; i++)
        ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, ECAM + i * 0x2000,
                                                 ECAM + i * 0x2000 + 0xfff), 0);
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, 0x30000000, 0x30000fff), -ENOMEM);
    /* adjacent to an existing one merges: still 256 */
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, ECAM + 0x1000, ECAM + 0x1fff), 0);
    /* overlapping in the same server */
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, ECAM + 0x800, ECAM + 0x900),
                     -EEXIST);
    /* another server may claim it; port ranges are a separate type */
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, other, true, ECAM, ECAM + 0xfff), 0);
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, false, 0, 0xff), 0);
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, 10, 9), -EINVAL);
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, 6, true, 0, 1), -ENOENT);
    /* unmap must be contained in one range */
    ck_assert_int_eq(H->ops->ioreq_unmap_range(H, DOM, id, true, 0x30000000, 0x30000fff),
                     -ENOENT);
    ck_assert_int_eq(H->ops->ioreq_unmap_range(H, DOM, id, true, ECAM + 0x2000, ECAM + 0x2fff),
                     0);
    struct sim_server_info si[2];
    ck_assert_int_eq(sim_list_servers(H, DOM, si, 2), 2);
    ck_assert_uint_eq(si[0].nr_ranges[XEN_DMOP_IO_RANGE_MEMORY], 255);
    ck_assert_uint_eq(si[0].nr_ranges[XEN_DMOP_IO_RANGE_PORT], 1);
    ck_assert_uint_eq(si[1].nr_ranges[XEN_DMOP_IO_RANGE_MEMORY], 1);
}
END_TEST

START_TEST(pcidev_rules)
{
    uint16_t id = mkserver();
    ck_assert_int_eq(H->ops->ioreq_map_pcidev(H, DOM, id, 0, 0, 0x20, 0), -EINVAL);
    ck_assert_int_eq(H->ops->ioreq_map_pcidev(H, DOM, id, 0, 0, 0, 8), -EINVAL);
    ck_assert_int_eq(H->ops->ioreq_map_pcidev(H, DOM, id, 1, 2, 3, 4), 0);
    ck_assert_int_eq(H->ops->ioreq_map_pcidev(H, DOM, id, 1, 2, 3, 4), -EEXIST);
    struct sim_range r[2];
    ck_assert_int_eq(sim_list_ranges(H, DOM, id, XEN_DMOP_IO_RANGE_PCI, r, 2), 1);
    ck_assert_uint_eq(r[0].start, 0x1021c);
    ck_assert_int_eq(H->ops->ioreq_unmap_pcidev(H, DOM, id, 1, 2, 3, 4), 0);
    ck_assert_int_eq(H->ops->ioreq_unmap_pcidev(H, DOM, id, 1, 2, 3, 4), -ENOENT);
}
END_TEST

START_TEST(vp_eport_written_on_enable)
{
    uint16_t id = mkserver();
    void *p;
    ck_assert_int_eq(H->ops->ioreq_map_page(H, DOM, id, &p), 0);
    shared_iopage_t *page = p;
    ck_assert_uint_eq(page->vcpu_ioreq[0].vp_eport, 0);
    ck_assert_int_eq(H->ops->ioreq_set_state(H, DOM, id, true), 0);
    for (unsigned v = 0; v < 4; v++) {
        int port = sim_server_port(H, DOM, id, v);
        ck_assert_int_gt(port, 0);
        ck_assert_uint_eq(page->vcpu_ioreq[v].vp_eport, (unsigned)port);
        ck_assert_uint_eq(page->vcpu_ioreq[v].state, STATE_IOREQ_NONE);
    }
    ck_assert_uint_eq(page->vcpu_ioreq[4].vp_eport, 0);      /* only 4 vCPUs */
    ck_assert_int_eq(H->ops->ioreq_unmap_page(H, DOM, id, p), 0);
    ck_assert_int_eq(H->ops->ioreq_map_page(H, DOM, 5, &p), -ENOENT);
}
END_TEST

START_TEST(irq_level_rules)
{
    /* nr_spis 40 rounds up to 64: SPIs 32..95 */
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 31, 1), -EINVAL);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 96, 1), -EINVAL);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 40, 2), -EINVAL);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 95, 1), 0);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 32, 1), 0);
    ck_assert_int_eq(sim_irq_level(H, DOM, 95), 1);
    ck_assert_int_eq(H->ops->set_irq_level(H, DOM, 95, 0), 0);
    ck_assert_int_eq(sim_irq_level(H, DOM, 95), 0);
    uint32_t irqs[4];
    ck_assert_int_eq(sim_list_irqs_high(H, DOM, irqs, 4), 1);
    ck_assert_uint_eq(irqs[0], 32);
    ck_assert_int_eq(H->ops->set_irq_level(H, 99, 40, 1), -ESRCH);
}
END_TEST

START_TEST(arm_unsupported_ops)
{
    ck_assert_int_eq(H->ops->inject_msi(H, DOM, 0x8090040, 1), -EOPNOTSUPP);
    ck_assert_int_eq(H->ops->set_pci_intx_level(H, DOM, 0, 0, 1, 0, 1), -EOPNOTSUPP);
    ck_assert_int_eq(H->ops->inject_msi(H, 99, 0x8090040, 1), -ESRCH);
    uint16_t id;   /* dm_op on the caller's own domain */
    ck_assert_int_eq(H->ops->ioreq_create(H, 0, 0, &id), -EPERM);
    ck_assert_int_eq(H->ops->set_irq_level(H, 0, 40, 1), -EPERM);
    unsigned n = 0;
    ck_assert_int_eq(H->ops->domain_nr_vcpus(H, DOM, &n), 0);
    ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(guest_access_routing)
{
    uint64_t data = 0;
    /* nothing claims ECAM: the guest takes an abort */
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 0, ECAM, 4, false, &data, 100), -EFAULT);
    /* a claimed range of a server that is not enabled gets no requests */
    uint16_t id = mkserver();
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, ECAM, ECAM + 0xfff), 0);
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 0, ECAM, 4, false, &data, 100), -EFAULT);
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 0, 0x40001000, 8, true, &data, 100), SIM_ACCESS_RAM);
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 0, ECAM, 3, false, &data, 100), -EINVAL);
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 4, ECAM, 4, false, &data, 100), -EINVAL);
    /* enabled but nobody answers: the vCPU waits (bounded here) */
    ck_assert_int_eq(H->ops->ioreq_set_state(H, DOM, id, true), 0);
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 1, ECAM + 4, 4, false, &data, 50), -ETIMEDOUT);
    /* the slot is still READY: the next request finds a bad IO state */
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 1, ECAM + 4, 4, false, &data, 50), -EIO);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(H, DOM, &info), 0);
    ck_assert_uint_eq(info.aborts, 2);
    ck_assert_uint_eq(info.ram_accesses, 1);
    ck_assert_uint_eq(info.ioreqs, 1);
    ck_assert_uint_eq(info.bad_state, 1);
    ck_assert(info.crashed);
}
END_TEST

START_TEST(bad_event_channel_detected)
{
    uint16_t id = mkserver();
    ck_assert_int_eq(H->ops->ioreq_map_range(H, DOM, id, true, ECAM, ECAM + 0xfff), 0);
    ck_assert_int_eq(H->ops->ioreq_set_state(H, DOM, id, true), 0);
    void *p;
    ck_assert_int_eq(H->ops->ioreq_map_page(H, DOM, id, &p), 0);
    ((shared_iopage_t *)p)->vcpu_ioreq[2].vp_eport += 1;    /* a broken device model */
    uint64_t data;
    ck_assert_int_eq(sim_guest_mmio(H, DOM, 2, ECAM, 4, false, &data, 50), -EIO);
    struct sim_domain_info info;
    ck_assert_int_eq(sim_domain_info(H, DOM, &info), 0);
    ck_assert_uint_eq(info.bad_state, 1);
    ck_assert_uint_eq(info.ioreqs, 0);
    H->ops->ioreq_unmap_page(H, DOM, id, p);
}
END_TEST

START_TEST(destroy_domain_tears_down_servers)
{
    uint16_t id = mkserver();
    char path[200];
    snprintf(path, sizeof(path), "%s/ioreq-d%u-s%u", simfx_dir, DOM, id);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(sim_domain_destroy(H, DOM), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(H->ops->ioreq_destroy(H, DOM, id), -ESRCH);
}
END_TEST

static Suite *hv_ioreq_suite(void)
{
    Suite *s = suite_create("hv_ioreq");
    TCase *tc = tcase_create("ioreq");
    tcase_add_checked_fixture(tc, setup, simfx_teardown);
    tcase_add_test(tc, bufioreq_refused);
    tcase_add_test(tc, eight_servers_at_most);
    tcase_add_test(tc, range_rules);
    tcase_add_test(tc, pcidev_rules);
    tcase_add_test(tc, vp_eport_written_on_enable);
    tcase_add_test(tc, irq_level_rules);
    tcase_add_test(tc, arm_unsupported_ops);
    tcase_add_test(tc, guest_access_routing);
    tcase_add_test(tc, bad_event_channel_detected);
    tcase_add_test(tc, destroy_domain_tears_down_servers);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(hv_ioreq_suite)
