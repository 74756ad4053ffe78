/* uio_pci_generic has no irqcontrol: writing /dev/uioN fails with ENOSYS
 * (found on real Xen: the daemon's start-up unmask failed and INTx was never
 * relayed).  Its handler masks with the host's Command.INTx-disable, so the
 * relay unmasks by clearing that bit in the host config space.  A memdev
 * stands in for the host function. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hostbridge/common/pci_regs.h"
#include "pcipt/sim/hv_sim.h"
#include "pcipt/daemon/intx.h"
#include "tests/support/fake_memdev.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testreg.h"

#define DOM 3
#define SPI 40

START_TEST(ops_follow_the_driver)
{
    ck_assert_ptr_eq(intx_uio_ops_for("uio_pci_generic"), &intx_uio_pci_ops);
    ck_assert_ptr_eq(intx_uio_ops_for("some_uio_driver"), &intx_uio_ops);
    ck_assert_ptr_eq(intx_uio_ops_for(""), &intx_uio_ops);
    ck_assert_ptr_eq(intx_uio_ops_for(NULL), &intx_uio_ops);
}
END_TEST

START_TEST(unmask_clears_only_intx_disable)
{
    struct memdev md;

    memdev_init(&md, 0x1234, 0x11e8, 256);
    memdev_set(&md, 0x04, 2, 0x0406);         /* memory, master, INTx-disable */
    ck_assert_int_eq(intx_uio_pci_ops.unmask(&md.hd, -1), 0);
    ck_assert_uint_eq(memdev_get(&md, 0x04, 2), 0x0006);
    ck_assert_uint_eq(md.writes, 1);
    /* already unmasked: nothing written */
    ck_assert_int_eq(intx_uio_pci_ops.unmask(&md.hd, -1), 0);
    ck_assert_uint_eq(md.writes, 1);
    /* a vanished device (all-ones) is never written */
    memdev_set(&md, 0x04, 2, 0xffff);
    ck_assert_int_eq(intx_uio_pci_ops.unmask(&md.hd, -1), 0);
    ck_assert_uint_eq(md.writes, 1);
}
END_TEST

/* The whole relay with these ops: fire (the kernel set INTx-disable),
 * SPI high, still asserting -> bit stays set, deassert -> SPI low and
 * the bit cleared. */
START_TEST(relay_unmasks_through_command)
{
    struct memdev md;
    struct intx_line line;
    int p[2];
    uint32_t one = 1;

    simfx_setup();
    ck_assert_int_eq(sim_domain_create(simfx_hv, DOM, 1, 0x40000000, 0x100000, 64), 0);
    memdev_init(&md, 0x1234, 0x11e8, 256);
    memdev_set(&md, 0x04, 2, 0x0402);         /* left masked by a predecessor */
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);   /* as the daemon opens uio */
    ck_assert_int_eq(intx_line_start(&line, simfx_hv, DOM, SPI, &md.hd, p[0],
                                     &intx_uio_pci_ops, &md.hd), 0);
    ck_assert_uint_eq(memdev_get(&md, 0x04, 2), 0x0002);      /* start unmasks */

    memdev_set(&md, 0x04, 2, 0x0402);         /* uio's handler masked it */
    memdev_set(&md, 0x06, 2, PCI_STS_INTERRUPT);
    ck_assert_int_eq(write(p[1], &one, sizeof(one)), sizeof(one));
    intx_fired(&line);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI), 1);
    intx_check(&line);                        /* still asserting */
    ck_assert_uint_eq(memdev_get(&md, 0x04, 2), 0x0402);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI), 1);
    memdev_set(&md, 0x06, 2, 0);              /* the guest served it */
    intx_check(&line);
    ck_assert_int_eq(sim_irq_level(simfx_hv, DOM, SPI), 0);
    ck_assert_uint_eq(memdev_get(&md, 0x04, 2), 0x0002);
    ck_assert(!intx_waiting(&line));

    line.fd = -1;                             /* the pipe is ours to close */
    intx_line_stop(&line);
    close(p[0]);
    close(p[1]);
    simfx_teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("daemon_intx_uio_pci");
    TCase *tc = tcase_create("uio_pci_generic");

    tcase_add_test(tc, ops_follow_the_driver);
    tcase_add_test(tc, unmask_clears_only_intx_disable);
    tcase_add_test(tc, relay_unmasks_through_command);
    suite_add_tcase(s, tc);
    return s;
}
TEST_SUITE(suite)
