/* Comparing two enumerations (e.g. from several vCPUs): field by field,
 * everything found, not the access counts. */
#include "pcipt/simulate/guest_enum_int.h"

static bool bar_equal(const struct guest_bar *a, const struct guest_bar *b)
{
    return a->kind == b->kind && a->is64 == b->is64 && a->prefetch == b->prefetch &&
           a->assigned == b->assigned && a->readback_bad == b->readback_bad &&
           a->size == b->size && a->addr == b->addr;
}

static bool caps_equal(const struct guest_cap *a, const struct guest_cap *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i].id != b[i].id || a[i].off != b[i].off || a[i].version != b[i].version)
            return false;
    return true;
}

static bool ids_equal(const struct guest_func *a, const struct guest_func *b)
{
    return sbdf_equal(&a->bdf, &b->bdf) && a->vendor == b->vendor && a->device == b->device &&
           a->class_code == b->class_code && a->rev == b->rev && a->hdr_type == b->hdr_type &&
           a->multifunction == b->multifunction && a->subsys_vendor == b->subsys_vendor &&
           a->subsys_id == b->subsys_id && a->command == b->command &&
           a->status == b->status && a->irq_pin == b->irq_pin && a->irq_line == b->irq_line;
}

static bool irqs_equal(const struct guest_func *a, const struct guest_func *b)
{
    return a->pm_version == b->pm_version && a->pcie_type == b->pcie_type &&
           a->msi_present == b->msi_present && a->msi_64 == b->msi_64 &&
           a->msi_maskable == b->msi_maskable && a->msi_enabled == b->msi_enabled &&
           a->msi_vectors == b->msi_vectors && a->msi_addr == b->msi_addr &&
           a->msi_data == b->msi_data && a->msix_present == b->msix_present &&
           a->msix_enabled == b->msix_enabled && a->msix_table_size == b->msix_table_size &&
           a->msix_table_bir == b->msix_table_bir && a->msix_pba_bir == b->msix_pba_bir &&
           a->msix_table_off == b->msix_table_off && a->msix_pba_off == b->msix_pba_off;
}

static bool func_equal(const struct guest_func *a, const struct guest_func *b)
{
    if (!ids_equal(a, b) || !irqs_equal(a, b) || a->ncaps != b->ncaps ||
        a->next != b->next || a->caps_truncated != b->caps_truncated ||
        a->ext_truncated != b->ext_truncated)
        return false;
    for (unsigned i = 0; i <= GUEST_ENUM_ROM; i++)
        if (!bar_equal(&a->res[i], &b->res[i]))
            return false;
    return caps_equal(a->caps, b->caps, a->ncaps) && caps_equal(a->ext, b->ext, a->next);
}

bool guest_enum_result_equal(const struct guest_enum_result *a,
                             const struct guest_enum_result *b)
{
    if (!a || !b || a->nfuncs != b->nfuncs || a->funcs_truncated != b->funcs_truncated ||
        a->unassigned != b->unassigned)
        return false;
    for (unsigned i = 0; i < a->nfuncs; i++)
        if (!func_equal(&a->funcs[i], &b->funcs[i]))
            return false;
    return true;
}
