/* The sim backend: open/close, the ops table, domain-level DM ops and the
 * administration API.  See sim_state.h for the shared state and
 * docs/design/hv.md for the design. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/hv/hv_backends.h"
#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/log.h"
#include "pcipt/sim/sim_ops.h"
#include "pcipt/sim/sim_state.h"
#include "pcipt/util/testenv.h"

#define GIC_NR_LOCAL_IRQS 32   /* SGIs + PPIs: set_irq_level takes SPIs only */

static void sim_close(struct hv *hv)
{
    struct hv_sim *s = to_sim(hv);
    sim_evtchn_close(s);
    sim_state_close(s);
    free(s);
}

static int dom_begin(struct hv_sim *s, const char *op, uint32_t domid, struct sim_domain **d)
{
    sim_lock(s);
    *d = sim_domain_find(s->st, domid);
    if (!*d)
        return -ESRCH;
    return sim_fail_check(s, op);
}

/* dm_op target: rcu_lock_remote_domain_by_id (-ESRCH; -EPERM for self). */
static int dm_begin(struct hv_sim *s, const char *op, uint32_t domid, struct sim_domain **d)
{
    s->hv.counters.dm_op_calls++;
    int rc = dom_begin(s, op, domid, d);
    return !rc && domid == 0 ? -EPERM : rc;
}

static int sim_domain_exists(struct hv *hv, uint32_t domid)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = dom_begin(s, "domain_exists", domid, &d);
    sim_unlock(s);
    return rc == -ESRCH ? 0 : rc ? rc : 1;
}

static int sim_nr_vcpus(struct hv *hv, uint32_t domid, unsigned *n)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = dm_begin(s, "domain_nr_vcpus", domid, &d);
    if (!rc)
        *n = d->nr_vcpus;
    sim_unlock(s);
    return rc;
}

static uint32_t vgic_num_irqs(const struct sim_domain *d)
{
    return GIC_NR_LOCAL_IRQS + d->nr_spis;
}

/* A raise on 4.17's vGIC (xen-arm-dma-msi.md section 6): vgic_inject_irq
 * ignores the level and makes the SPI pending once; nothing re-samples the
 * line after the guest's EOI.  A raise while one is still in flight (not
 * yet EOI'd) is modelled as one more delivery queued behind it (our reading
 * of 4.17's in-flight handling; the facts document does not cover it). */
static void vgic_raise(struct sim_domain *d, uint32_t irq)
{
    uint32_t i = irq - GIC_NR_LOCAL_IRQS;

    if (d->spi_pending[i] < 2)
        d->spi_pending[i]++;
}

/* xen/arch/arm/dm.c XEN_DMOP_set_irq_level: "Only SPIs are supported":
 * irq < NR_LOCAL_IRQS or >= vgic_num_irqs(d) -> -EINVAL; level 0/1 only.
 * irq_level records what the device model last set (for inspection);
 * delivery is vgic_raise's: level 0 changes nothing the guest sees. */
static int sim_set_irq_level(struct hv *hv, uint32_t domid, uint32_t irq, unsigned level)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = dm_begin(s, "set_irq_level", domid, &d);
    if (!rc && (irq < GIC_NR_LOCAL_IRQS || irq >= vgic_num_irqs(d) || level > 1))
        rc = -EINVAL;
    if (!rc && level) {
        d->irq_level[irq / 32] |= 1u << (irq % 32);
        vgic_raise(d, irq);
    } else if (!rc)
        d->irq_level[irq / 32] &= ~(1u << (irq % 32));
    sim_unlock(s);
    return rc;
}

/* Arm dm_op: everything outside its table -> -EOPNOTSUPP (after the
 * domain lookup). */
static int arm_unsupported(struct hv *hv, uint32_t domid, const char *op)
{
    struct hv_sim *s = to_sim(hv);
    struct sim_domain *d;
    int rc = dm_begin(s, op, domid, &d);
    sim_unlock(s);
    return rc ? rc : -EOPNOTSUPP;
}

static int sim_set_pci_intx_level(struct hv *hv, uint32_t domid, uint16_t seg, uint8_t bus,
                                  uint8_t dev, uint8_t intx, unsigned level)
{
    return arm_unsupported(hv, domid, "set_pci_intx_level");
}

static int sim_inject_msi(struct hv *hv, uint32_t domid, uint64_t addr, uint32_t data)
{
    return arm_unsupported(hv, domid, "inject_msi");
}

/* The version hv_sim_open took from $PCIPT_SIM_XEN_VERSION (default
 * SIM_XEN_VERSION_DEFAULT). */
static int sim_xen_version(struct hv *hv, unsigned *major, unsigned *minor)
{
    struct hv_sim *s = to_sim(hv);
    int rc;

    sim_lock(s);
    rc = sim_fail_check(s, "xen_version");
    sim_unlock(s);
    if (rc)
        return rc;
    *major = s->xen_major;
    *minor = s->xen_minor;
    return 0;
}

/* $PCIPT_SIM_DIR/buildinfo-config (SIM_BUILD_CONFIG_FILE): the simulated
 * hypervisor's .config, as a real one publishes it in hypfs; none = -ENOENT
 * (a hypervisor built without CONFIG_HYPFS_CONFIG). */
static int sim_build_config(struct hv *hv, char **text)
{
    struct hv_sim *s = to_sim(hv);
    char path[PATH_MAX];
    FILE *f;
    size_t len = 0;
    int rc;

    sim_lock(s);
    rc = sim_fail_check(s, "build_config");
    sim_unlock(s);
    if (rc)
        return rc;
    if (snprintf(path, sizeof(path), "%s/%s", s->dir, SIM_BUILD_CONFIG_FILE) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    f = fopen(path, "re");
    if (!f)
        return -errno;
    *text = NULL;
    for (size_t cap = 0;;) {
        if (len + 4096 + 1 > cap) {
            char *t = realloc(*text, cap = len + 4096 + 1);
            if (!t) {
                rc = -ENOMEM;
                break;
            }
            *text = t;
        }
        size_t n = fread(*text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            rc = ferror(f) ? -EIO : 0;
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(*text);
        *text = NULL;
        return rc;
    }
    (*text)[len] = '\0';
    return 0;
}

const struct hv_ops sim_ops = {
    .name = "sim",
    .close = sim_close,
    .domain_exists = sim_domain_exists,
    .domain_nr_vcpus = sim_nr_vcpus,
    .iomem_permission = sim_iomem_permission,
    .memory_mapping = sim_memory_mapping,
    .ioreq_create = sim_ioreq_create,
    .ioreq_destroy = sim_ioreq_destroy,
    .ioreq_set_state = sim_ioreq_set_state,
    .ioreq_map_range = sim_ioreq_map_range,
    .ioreq_unmap_range = sim_ioreq_unmap_range,
    .ioreq_map_pcidev = sim_ioreq_map_pcidev,
    .ioreq_unmap_pcidev = sim_ioreq_unmap_pcidev,
    .ioreq_map_page = sim_ioreq_map_page,
    .ioreq_unmap_page = sim_ioreq_unmap_page,
    .evtchn_fd = sim_evtchn_fd,
    .evtchn_bind = sim_evtchn_bind,
    .evtchn_unbind = sim_evtchn_unbind,
    .evtchn_pending = sim_evtchn_pending,
    .evtchn_unmask = sim_evtchn_unmask,
    .evtchn_notify = sim_evtchn_notify,
    .set_irq_level = sim_set_irq_level,
    .set_pci_intx_level = sim_set_pci_intx_level,
    .inject_msi = sim_inject_msi,
    .its_device = sim_its_device,
    .xen_version = sim_xen_version,
    .build_config = sim_build_config,
    .iommu_enabled = sim_iommu_enabled,
    .test_assign_device = sim_test_assign_device,
    .assign_device = sim_assign_device,
    .deassign_device = sim_deassign_device,
};

/* "op:n:errno", errno as a number or a name among a few common ones. */
static int parse_fail_spec(const char *spec, struct sim_fail *f)
{
    char op[SIM_OP_NAME_LEN];
    unsigned n;
    int err, used = 0;
    if (sscanf(spec, "%31[a-z_]:%u:kill%n", op, &n, &used) == 2 && used && !spec[used] &&
        n && !strcmp(op, "memory_mapping")) {
        err = SIM_FAIL_KILL;
    } else if (sscanf(spec, "%31[a-z_]:%u:%d%n", op, &n, &err, &used) != 3 || spec[used] ||
               n == 0 || err <= 0) {
        return -EINVAL;
    }
    snprintf(f->op, sizeof(f->op), "%s", op);
    f->countdown = n;
    f->err = err;
    return 0;
}

int hv_sim_open(struct hv **out, char *err, size_t errlen)
{
    struct hv_sim *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->state_fd = -1;
    s->evt_handle = -1;
    s->evt_fd = -1;
    const char *spec = test_env(SIM_FAIL_ENV);
    if (spec && *spec && parse_fail_spec(spec, &s->env_fail)) {
        snprintf(err, errlen, "%s='%s': expected op:n:errno (e.g. memory_mapping:3:5) or memory_mapping:n:kill",
                 SIM_FAIL_ENV, spec);
        free(s);
        return -EINVAL;
    }
    const char *ver = getenv(SIM_XEN_VERSION_ENV);
    if (!ver || !*ver)
        ver = SIM_XEN_VERSION_DEFAULT;
    if (hv_parse_xen_version(ver, &s->xen_major, &s->xen_minor)) {
        snprintf(err, errlen, "%s='%s': expected the simulated Xen's version as X.Y (e.g. 4.19)",
                 SIM_XEN_VERSION_ENV, ver);
        free(s);
        return -EINVAL;
    }
    const char *iommu = getenv(SIM_IOMMU_ENV);
    s->no_iommu = iommu && !strcmp(iommu, "off");
    const char *vits = getenv(SIM_VITS_ENV);
    s->no_vits = vits && !strcmp(vits, "off");
    const char *unmap = test_env(SIM_UNMAP_PERM_ENV);
    s->unmap_needs_perm = unmap && !strcmp(unmap, "1");
    int rc = sim_state_open(s, err, errlen);
    if (rc) {
        free(s);
        return rc;
    }
    s->hv.ops = &sim_ops;
    s->hv.priv = s;
    *out = &s->hv;
    return 0;
}

bool hv_is_sim(const struct hv *hv) { return hv && hv->ops == &sim_ops; }

const char *sim_dir(const struct hv *hv)
{
    return hv_is_sim(hv) ? ((const struct hv_sim *)hv)->dir : NULL;
}
