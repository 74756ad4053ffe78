/* pcipt check: the hypervisor (see check.h).  What Xen was built with comes
 * from hypfs /buildinfo/config (Xen's CONFIG_HYPFS_CONFIG, on in Debian's
 * build); IOREQ servers need CONFIG_IOREQ_SERVER (docs/notes/real-xen.md),
 * assigning a PCI function to the SMMU needs an SMMU driver plus PCI support
 * on Arm: the project's patch series (CONFIG_ARM_PCI_PASSTHROUGH_PCIPT,
 * docs/notes/xen-patches.md) or Xen 4.21+ (CONFIG_PCI_PASSTHROUGH). */
#include "pcipt/check/check.h"
#include "its/its_vits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/hv/hv.h"

#define TODO_IOREQ "rebuild Xen with CONFIG_EXPERT=y CONFIG_IOREQ_SERVER=y (docs/notes/real-xen.md)"
#define TODO_SMMU  "apply pcipt's Xen patch series (toolstack-hooks/xen-patches/, " \
                   "docs/notes/xen-patches.md) or run Xen 4.21+ built with CONFIG_PCI_PASSTHROUGH=y"

static bool is_dom0(const char *caps_path, char *found, size_t len)
{
    FILE *f = fopen(caps_path, "re");
    char line[128] = "";

    if (!f) {
        snprintf(found, len, "not running on Xen: %s: %s", caps_path, strerror(errno));
        return false;
    }
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    if (strstr(line, "control_d")) {
        snprintf(found, len, "Xen dom0 (%s: control_d)", caps_path);
        return true;
    }
    snprintf(found, len, "a Xen guest, not dom0 (%s has no control_d)", caps_path);
    return false;
}

static int check_dom0(const struct check_env *env, struct check_report *rep)
{
    char found[300];

    if (env->hv_name && !strcmp(env->hv_name, "sim")) {
        rep->dom0 = true;
        return check_add(rep, "dom0", CHECK_OK, NULL, "the simulated hypervisor (--hv sim)");
    }
    rep->dom0 = is_dom0(env->xen_caps ? env->xen_caps : CHECK_XEN_CAPS_DEFAULT, found,
                        sizeof(found));
    return check_add(rep, "dom0", rep->dom0 ? CHECK_OK : CHECK_MISSING,
                     rep->dom0 ? NULL : "run pcipt in the Xen host's dom0, with xenfs on /proc/xen",
                     "%s", found);
}

static int check_version(struct hv *hv, struct check_report *rep)
{
    unsigned major, minor;
    int rc = hv->ops->xen_version ? hv->ops->xen_version(hv, &major, &minor) : -EOPNOTSUPP;

    if (rc < 0)
        return check_add(rep, "xen-version", CHECK_WARN, "check that privcmd is loaded (xen-privcmd)",
                         "cannot ask the hypervisor its version: %s", strerror(-rc));
    if (major < 4 || (major == 4 && minor < 17))
        return check_add(rep, "xen-version", CHECK_WARN, "use Xen 4.17 or later",
                         "Xen %u.%u is older than 4.17, the oldest release pcipt is tested on",
                         major, minor);
    return check_add(rep, "xen-version", CHECK_OK, NULL, "Xen %u.%u", major, minor);
}

static int check_smmu(const char *cfg, struct check_report *rep)
{
    bool driver = its_config_has(cfg, "CONFIG_ARM_SMMU_V3") ||
                  its_config_has(cfg, "CONFIG_ARM_SMMU");
    const char *pci = its_config_has(cfg, "CONFIG_ARM_PCI_PASSTHROUGH_PCIPT")
                          ? "pcipt's patch series (CONFIG_ARM_PCI_PASSTHROUGH_PCIPT)"
                      : its_config_has(cfg, "CONFIG_PCI_PASSTHROUGH")
                          ? "Xen's own PCI passthrough (CONFIG_PCI_PASSTHROUGH)" : NULL;

    if (driver && pci)
        return check_add(rep, "smmu", CHECK_OK, NULL,
                         "an SMMU driver and PCI assignment through %s: guest DMA is isolated "
                         "where the host's SMMU covers the device", pci);
    if (driver)
        return check_add(rep, "smmu", CHECK_MISSING, TODO_SMMU,
                         "Xen has an SMMU driver but cannot assign PCI functions to it: "
                         "passed-through devices get DMA off");
    return check_add(rep, "smmu", CHECK_MISSING, TODO_SMMU,
                     "Xen has no SMMU driver (CONFIG_ARM_SMMU_V3): guest DMA cannot be "
                     "isolated, so passed-through devices get DMA off");
}

static int check_build(struct hv *hv, struct check_report *rep)
{
    char *cfg = NULL;
    int rc = hv->ops->build_config ? hv->ops->build_config(hv, &cfg) : -EOPNOTSUPP;

    if (rc < 0) {
        const char *why = rc == -ENOENT ? "the hypervisor publishes no build configuration"
                                         : strerror(-rc);
        rc = check_add(rep, "ioreq", CHECK_WARN, "check Xen's .config for CONFIG_IOREQ_SERVER=y",
                       "cannot tell whether Xen has IOREQ servers (hypfs /buildinfo/config: %s)",
                       why);
        return rc ? rc : check_add(rep, "smmu", CHECK_WARN,
                                   "check Xen's .config for CONFIG_ARM_SMMU_V3=y and PCI support",
                                   "cannot tell whether Xen assigns PCI functions to the SMMU "
                                   "(hypfs /buildinfo/config: %s)", why);
    }
    if (its_config_has(cfg, "CONFIG_IOREQ_SERVER"))
        rc = check_add(rep, "ioreq", CHECK_OK, NULL, "Xen has IOREQ servers (CONFIG_IOREQ_SERVER)");
    else
        rc = check_add(rep, "ioreq", CHECK_MISSING, TODO_IOREQ,
                       "Xen was built without CONFIG_IOREQ_SERVER: no guest config access can "
                       "reach pcipt's daemon");
    if (!rc)
        rc = check_smmu(cfg, rep);
    free(cfg);
    return rc;
}

int check_xen(const struct check_env *env, struct hv *hv, struct check_report *rep)
{
    int rc = check_dom0(env, rep);

    if (rc || !rep->dom0)
        return rc;
    if (!hv)
        return check_add(rep, "xen-version", CHECK_MISSING, "load xen-privcmd and mount xenfs",
                         "cannot open the hypervisor interface");
    rc = check_version(hv, rep);
    return rc ? rc : check_build(hv, rep);
}
