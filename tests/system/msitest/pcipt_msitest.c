// SPDX-License-Identifier: GPL-2.0
/*
 * pcipt_msitest: the system test's driver for QEMU's edu device (1234:11e8).
 * Debian's 6.1 kernel has no driver that allocates an interrupt vector for
 * edu (docs/testing/systest.md "DMA, NVMe and readiness steps"), so this
 * module does: it takes edu with one MSI (mode=msi) or its INTx (mode=intx)
 * and measures, inside the
 * kernel that runs it, the time from the write to edu's "raise interrupt"
 * register to the start of the handler.
 *
 *   echo N > /sys/bus/pci/devices/SBDF/pcipt_fire   raise N interrupts, one
 *                                                   at a time
 *   cat /sys/bus/pci/devices/SBDF/pcipt_stats       what happened
 *
 * With mapd_devid=ID its_base=ADDR (no device needed) it instead queues one
 * MAPD command for DeviceID ID straight into the ITS command queue at ADDR
 * (the one the kernel's ITS driver set up), as a guest that maps a DeviceID
 * it was not given would, and reports whether the ITS consumed it.  The
 * kernel's ITS driver does not know about the command: run it when nothing
 * else allocates interrupts, at the end of a test.
 *
 * edu's registers (QEMU docs/specs/edu.rst): 0x24 interrupt status,
 * 0x60 interrupt raise, 0x64 interrupt acknowledge.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE  0x60
#define EDU_IRQ_ACK    0x64
#define MAX_SAMPLES    1000

static char *mode = "msi";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "msi or intx");
static long mapd_devid = -1;
module_param(mapd_devid, long, 0444);
MODULE_PARM_DESC(mapd_devid, "queue a MAPD for this DeviceID (with its_base)");
static ulong its_base;
module_param(its_base, ulong, 0444);
MODULE_PARM_DESC(its_base, "physical address of the ITS control frame");

struct msitest {
	void __iomem *bar;
	int irq;
	bool intx;
	spinlock_t lock;          /* armed, t0, lat */
	struct mutex fire_lock;   /* one pcipt_fire at a time */
	struct completion done;
	bool armed;
	u64 t0, lat;
	unsigned long handled, spurious;
	unsigned int fired, timeouts, nsamples;
	u64 samples[MAX_SAMPLES];
};

static irqreturn_t msitest_irq(int irq, void *arg)
{
	struct msitest *t = arg;
	u64 now = ktime_get_ns();
	u32 st = ioread32(t->bar + EDU_IRQ_STATUS);
	unsigned long flags;

	if (!st) {
		t->spurious++;
		return IRQ_NONE;
	}
	iowrite32(st, t->bar + EDU_IRQ_ACK);
	spin_lock_irqsave(&t->lock, flags);
	t->handled++;
	if (t->armed) {
		t->armed = false;
		t->lat = now - t->t0;
		complete(&t->done);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return IRQ_HANDLED;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static ssize_t pcipt_fire_store(struct device *dev, struct device_attribute *attr,
				const char *buf, size_t n)
{
	struct msitest *t = pci_get_drvdata(to_pci_dev(dev));
	unsigned long flags;
	unsigned int count, i;

	if (kstrtouint(buf, 0, &count) || !count || count > MAX_SAMPLES)
		return -EINVAL;
	mutex_lock(&t->fire_lock);
	t->fired = t->timeouts = t->nsamples = 0;
	for (i = 0; i < count; i++) {
		reinit_completion(&t->done);
		spin_lock_irqsave(&t->lock, flags);
		t->armed = true;
		t->t0 = ktime_get_ns();
		spin_unlock_irqrestore(&t->lock, flags);
		iowrite32(1, t->bar + EDU_IRQ_RAISE);
		t->fired++;
		if (!wait_for_completion_timeout(&t->done, msecs_to_jiffies(2000))) {
			spin_lock_irqsave(&t->lock, flags);
			t->armed = false;
			spin_unlock_irqrestore(&t->lock, flags);
			t->timeouts++;
			continue;
		}
		t->samples[t->nsamples++] = t->lat;
		usleep_range(500, 1000);
	}
	sort(t->samples, t->nsamples, sizeof(t->samples[0]), cmp_u64, NULL);
	mutex_unlock(&t->fire_lock);
	return n;
}
static DEVICE_ATTR_WO(pcipt_fire);

static ssize_t pcipt_stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct msitest *t = pci_get_drvdata(to_pci_dev(dev));
	u64 min = 0, med = 0;

	mutex_lock(&t->fire_lock);
	if (t->nsamples) {
		min = t->samples[0];
		med = t->samples[t->nsamples / 2];
	}
	mutex_unlock(&t->fire_lock);
	return sysfs_emit(buf, "mode=%s irq=%d fired=%u handled=%lu timeouts=%u spurious=%lu "
			  "min_ns=%llu median_ns=%llu\n", t->intx ? "intx" : "msi", t->irq,
			  t->fired, t->handled, t->timeouts, t->spurious, min, med);
}
static DEVICE_ATTR_RO(pcipt_stats);

static struct attribute *msitest_attrs[] = {
	&dev_attr_pcipt_fire.attr,
	&dev_attr_pcipt_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(msitest);

static int msitest_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct msitest *t;
	int rc;

	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	spin_lock_init(&t->lock);
	mutex_init(&t->fire_lock);
	init_completion(&t->done);
	t->intx = !strcmp(mode, "intx");
	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	rc = pcim_iomap_regions(pdev, BIT(0), "pcipt_msitest");
	if (rc)
		return rc;
	t->bar = pcim_iomap_table(pdev)[0];
	/* an MSI is a memory write by the device: it needs Bus Master */
	pci_set_master(pdev);
	rc = pci_alloc_irq_vectors(pdev, 1, 1, t->intx ? PCI_IRQ_LEGACY : PCI_IRQ_MSI);
	if (rc < 0) {
		dev_err(&pdev->dev, "pcipt_msitest: no %s vector: %d\n", mode, rc);
		return rc;
	}
	t->irq = pci_irq_vector(pdev, 0);
	pci_set_drvdata(pdev, t);
	rc = request_irq(t->irq, msitest_irq, t->intx ? IRQF_SHARED : 0, "pcipt_msitest", t);
	if (rc) {
		pci_free_irq_vectors(pdev);
		return rc;
	}
	dev_info(&pdev->dev, "pcipt_msitest: %s on irq %d\n", t->intx ? "INTx" : "MSI", t->irq);
	return 0;
}

static void msitest_remove(struct pci_dev *pdev)
{
	struct msitest *t = pci_get_drvdata(pdev);

	iowrite32(0, t->bar + EDU_IRQ_RAISE);
	free_irq(t->irq, t);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id msitest_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, msitest_ids);

static struct pci_driver msitest_driver = {
	.name = "pcipt_msitest",
	.id_table = msitest_ids,
	.probe = msitest_probe,
	.remove = msitest_remove,
	.dev_groups = msitest_groups,
};

/* GICv3 ITS registers (Arm IHI 0069, 12.19): GITS_CBASER 0x80, GITS_CWRITER
 * 0x88, GITS_CREADR 0x90; a command is 32 bytes; MAPD is command 0x08 with
 * DeviceID in DW0[63:32], Size (EventID bits - 1) in DW1[4:0], V in
 * DW2[63] and ITT_addr in DW2[51:8]. */
#define GITS_CBASER  0x80
#define GITS_CWRITER 0x88
#define GITS_CREADR  0x90
#define ITS_CMD_SIZE 32

static int mapd_probe(void)
{
	void __iomem *its;
	u64 cbaser, cw, cr, next, *cmd;
	size_t qsize;
	void *itt;
	int i;

	its = ioremap(its_base, SZ_64K);
	if (!its)
		return -ENOMEM;
	cbaser = readq(its + GITS_CBASER);
	qsize = ((cbaser & 0xff) + 1) * SZ_4K;
	cw = readq(its + GITS_CWRITER) & GENMASK_ULL(19, 5);
	cr = readq(its + GITS_CREADR) & GENMASK_ULL(19, 5);
	if (!(cbaser & BIT_ULL(63)) || cw != cr) {
		pr_info("pcipt_msitest: MAPD 0x%lx: ITS queue not idle (CBASER %#llx CWRITER %#llx CREADR %#llx)\n",
			mapd_devid, cbaser, cw, cr);
		iounmap(its);
		return -EBUSY;
	}
	itt = kzalloc(SZ_4K, GFP_KERNEL);
	cmd = memremap((cbaser & GENMASK_ULL(51, 12)) + cw, ITS_CMD_SIZE, MEMREMAP_WB);
	if (!itt || !cmd) {
		kfree(itt);
		if (cmd)
			memunmap(cmd);
		iounmap(its);
		return -ENOMEM;
	}
	cmd[0] = 0x08 | ((u64)mapd_devid << 32);
	cmd[1] = 4;                                   /* 32 events */
	cmd[2] = BIT_ULL(63) | (virt_to_phys(itt) & GENMASK_ULL(51, 8));
	cmd[3] = 0;
	wmb();
	next = (cw + ITS_CMD_SIZE) % qsize;
	writeq(next, its + GITS_CWRITER);
	for (i = 0; i < 1000 && (readq(its + GITS_CREADR) & GENMASK_ULL(19, 5)) != next; i++)
		udelay(100);
	pr_info("pcipt_msitest: MAPD DeviceID 0x%lx (32 events) queued at %#llx: %s\n", mapd_devid,
		cw, i < 1000 ? "the ITS consumed it" : "the ITS did not consume it");
	memunmap(cmd);
	/* the ITT stays: if the ITS accepted the MAPD it may use it */
	iounmap(its);
	return 0;
}

static int __init msitest_init(void)
{
	if (mapd_devid >= 0) {
		if (!its_base)
			return -EINVAL;
		return mapd_probe();
	}
	if (strcmp(mode, "msi") && strcmp(mode, "intx"))
		return -EINVAL;
	return pci_register_driver(&msitest_driver);
}

static void __exit msitest_exit(void)
{
	if (mapd_devid < 0)
		pci_unregister_driver(&msitest_driver);
}

module_init(msitest_init);
module_exit(msitest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcipt system test: edu MSI/INTx latency, ITS MAPD probe");
