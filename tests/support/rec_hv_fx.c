/* The recording hypervisor backend (see rec_hv_fx.h). */
#include "tests/support/rec_hv_fx.h"

#include <string.h>

#include "tests/support/sim_fx.h"

char rec_hv_order[256];
static void (*hook)(void);
static struct hv_ops rec_ops;
static struct hv rec_hv;

static void before(void)
{
    if (hook)
        hook();
}

static int rec_assign(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    (void)hv;
    before();
    strcat(rec_hv_order, "assign ");
    return simfx_hv->ops->assign_device(simfx_hv, domid, sbdf);
}

static int rec_mapping(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                       bool add)
{
    (void)hv;
    before();
    if (!strstr(rec_hv_order, add ? "map " : "unmap "))
        strcat(rec_hv_order, add ? "map " : "unmap ");
    return simfx_hv->ops->memory_mapping(simfx_hv, domid, gfn, mfn, nr, add);
}

static int rec_deassign(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    (void)hv;
    before();
    strcat(rec_hv_order, "deassign ");
    return simfx_hv->ops->deassign_device(simfx_hv, domid, sbdf);
}

static int fwd_exists(struct hv *hv, uint32_t domid)
{
    (void)hv;
    return simfx_hv->ops->domain_exists(simfx_hv, domid);
}

static int fwd_iomem(struct hv *hv, uint32_t domid, uint64_t mfn, uint64_t nr, bool allow)
{
    (void)hv;
    before();
    return simfx_hv->ops->iomem_permission(simfx_hv, domid, mfn, nr, allow);
}

static int fwd_test(struct hv *hv, uint32_t domid, uint32_t sbdf)
{
    (void)hv;
    return simfx_hv->ops->test_assign_device(simfx_hv, domid, sbdf);
}

static int fwd_its(struct hv *hv, uint32_t domid, uint32_t g, uint32_t sbdf, uint32_t n,
                   bool bind, uint32_t *h)
{
    (void)hv;
    return simfx_hv->ops->its_device(simfx_hv, domid, g, sbdf, n, bind, h);
}

static int fwd_iommu(struct hv *hv)
{
    (void)hv;
    return simfx_hv->ops->iommu_enabled(simfx_hv);
}

struct hv *rec_hv_start(void (*before_call)(void))
{
    hook = before_call;
    rec_hv_order[0] = '\0';
    rec_ops = (struct hv_ops){ .name = "record", .domain_exists = fwd_exists,
                               .iomem_permission = fwd_iomem, .memory_mapping = rec_mapping,
                               .iommu_enabled = fwd_iommu, .test_assign_device = fwd_test,
                               .assign_device = rec_assign, .deassign_device = rec_deassign,
                               .its_device = fwd_its };
    rec_hv = (struct hv){ .ops = &rec_ops };
    return &rec_hv;
}
