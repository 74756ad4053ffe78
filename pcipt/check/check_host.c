/* pcipt check: dom0's side (see check.h).  From the host device tree Xen
 * gave dom0 (/sys/firmware/fdt): a PCI host bridge needs `iommu-map` for Xen
 * to find a function's StreamID (Linux bindings pci/pci-iommu.txt), and
 * `msi-map` (or msi-parent) plus a GICv3 ITS for MSIs (pci/pci-msi.txt).
 * Then the holder driver that relays INTx (uio_pci_generic) and xenstored. */
#include "pcipt/check/check.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "its/its.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/util/proc.h"
#include "pcipt/xs/xs.h"
#include "pcipt/util/testenv.h"

#define HOLDER           "uio_pci_generic"
#define MODPROBE_ENV     "PCIPT_MODPROBE"

struct dt_facts {
    unsigned bridges, with_iommu_map, with_msi_map;
    bool its;
    char first_without_iommu[96], first_without_msi[96];
};

static bool is_pci_bridge(const void *fdt, int node)
{
    int len;
    const char *t = fdt_getprop(fdt, node, "device_type", &len);

    return t && len >= 4 && !strncmp(t, "pci", (size_t)len);
}

static void dt_scan(const void *fdt, struct dt_facts *f)
{
    char path[96];

    memset(f, 0, sizeof(*f));
    f->its = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its") >= 0;
    for (int node = fdt_next_node(fdt, -1, NULL); node >= 0;
         node = fdt_next_node(fdt, node, NULL)) {
        if (!is_pci_bridge(fdt, node))
            continue;
        f->bridges++;
        if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
            snprintf(path, sizeof(path), "%s", fdt_get_name(fdt, node, NULL));
        if (fdt_getprop(fdt, node, "iommu-map", NULL))
            f->with_iommu_map++;
        else if (!f->first_without_iommu[0])
            snprintf(f->first_without_iommu, sizeof(f->first_without_iommu), "%s", path);
        if (fdt_getprop(fdt, node, "msi-map", NULL) || fdt_getprop(fdt, node, "msi-parent", NULL))
            f->with_msi_map++;
        else if (!f->first_without_msi[0])
            snprintf(f->first_without_msi, sizeof(f->first_without_msi), "%s", path);
    }
}

static int check_iommu_map(const struct dt_facts *f, struct check_report *rep)
{
    if (!f->bridges)
        return check_add(rep, "iommu-map", CHECK_WARN, NULL,
                         "the host device tree has no PCI host bridge node");
    if (f->with_iommu_map == f->bridges)
        return check_add(rep, "iommu-map", CHECK_OK, NULL,
                         "every PCI host bridge (%u) maps its functions to the SMMU (iommu-map)",
                         f->bridges);
    return check_add(rep, "iommu-map", CHECK_MISSING,
                     "the firmware's device tree must describe the SMMU for PCI (iommu-map)",
                     "host bridge %s has no iommu-map: Xen cannot isolate its functions' DMA",
                     f->first_without_iommu);
}

static int check_its(const struct dt_facts *f, struct check_report *rep)
{
    const char *todo = "guests use INTx; MSI needs a GICv3 ITS and msi-map on the host bridge";

    if (!f->its)
        return check_add(rep, "its", CHECK_WARN, todo,
                         "no GICv3 ITS in the host device tree: MSIs cannot reach guests");
    if (f->bridges && f->with_msi_map == f->bridges)
        return check_add(rep, "its", CHECK_OK, NULL,
                         "a GICv3 ITS, and msi-map on every PCI host bridge (%u)", f->bridges);
    return check_add(rep, "its", CHECK_WARN, todo,
                     "a GICv3 ITS, but host bridge %s has no msi-map or msi-parent",
                     f->bridges ? f->first_without_msi : "(none)");
}

static int check_dt(const struct check_env *env, struct check_report *rep)
{
    const char *path = env->host_dt ? env->host_dt : ITS_HOST_FDT_DEFAULT;
    struct dt_facts f;
    void *fdt = NULL;
    char err[256];
    int rc;

    if (its_fdt_read(path, &fdt, err, sizeof(err)) < 0) {
        rc = check_add(rep, "iommu-map", CHECK_WARN, "give the host's DTB with --host-dt FILE",
                       "cannot tell: %s", err);
        return rc ? rc : check_add(rep, "its", CHECK_WARN, "give the host's DTB with --host-dt FILE",
                                   "cannot tell: %s", err);
    }
    dt_scan(fdt, &f);
    free(fdt);
    rc = check_iommu_map(&f, rep);
    return rc ? rc : check_its(&f, rep);
}

/* Loaded: its driver directory exists.  Else `modprobe -n` says whether
 * the module is there to load (--bind loads it). */
static int check_holder(const struct check_env *env, struct check_report *rep)
{
    const char *sysfs = env->sysfs ? env->sysfs : HOSTPCI_DEFAULT_SYSFS;
    const char *prog = test_env(MODPROBE_ENV);
    char dir[512], *said = NULL;
    char *argv[] = { (char *)(prog && *prog ? prog : "modprobe"), "-n", HOLDER, NULL };
    struct stat st;
    int rc;

    snprintf(dir, sizeof(dir), "%s/drivers/%s", sysfs, HOLDER);
    if (!stat(dir, &st) && S_ISDIR(st.st_mode))
        return check_add(rep, "holder", CHECK_OK, NULL, "%s is loaded (%s)", HOLDER, dir);
    rc = proc_run_stderr(argv, &said);
    free(said);
    if (rc == 0)
        return check_add(rep, "holder", CHECK_OK, NULL,
                         "%s is not loaded but available (attach --bind loads it)", HOLDER);
    return check_add(rep, "holder", CHECK_MISSING,
                     "use a dom0 kernel with CONFIG_UIO_PCI_GENERIC (Debian's has it)",
                     "dom0 has no %s module (`modprobe -n %s` failed): nothing can relay a "
                     "device's INTx to a guest", HOLDER, HOLDER);
}

static int check_xenstored(struct check_report *rep)
{
    struct xs_handle *xs = xsw_open();

    if (xs) {
        xsw_close(xs);
        return check_add(rep, "xenstored", CHECK_OK, NULL, "xenstored answers (%s)",
                         xsw_socket_path());
    }
    return check_add(rep, "xenstored", CHECK_MISSING, "start it: systemctl start xenstored",
                     "xenstored does not answer (%s: %s)", xsw_socket_path(), strerror(errno));
}

int check_host(const struct check_env *env, struct check_report *rep)
{
    int rc = check_dt(env, rep);

    if (!rc)
        rc = check_holder(env, rep);
    return rc ? rc : check_xenstored(rep);
}
