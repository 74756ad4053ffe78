/* pcipt create: the devices of the config, from pcipt's own `pcipt = [...]`
 * and from xl's `pci = [...]` (see create.h "Devices"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/xl/create.h"

/* xl's per-device keys (tools/libs/util/libxlu_pci.c) pcipt has no use for,
 * and why; bdf, vslot and seize apply (create.h). */
static const struct {
    unsigned key;
    const char *name, *why;
} unused_keys[] = {
    { XLCFG_PCI_PERMISSIVE, "permissive", "it lets a guest write config registers pciback "
      "does not know; pcipt's host bridge answers config space from its own register model "
      "(hostbridge/) and has no such mode" },
    { XLCFG_PCI_MSITRANSLATE, "msitranslate", "it makes x86 QEMU turn MSI into event "
      "channels; on Arm a guest's MSIs go through the vITS (its/) or stay off" },
    { XLCFG_PCI_POWER_MGMT, "power_mgmt", "it lets x86 QEMU pass the device's power "
      "management through; pcipt has no such path" },
    { XLCFG_PCI_RDM_POLICY, "rdm_policy", "reserved device memory (RMRR) is an x86 Intel "
      "VT-d table; Arm has none" },
    { XLCFG_PCI_NAME, "name", "it names a function by `xl pci-assignable-add -n`, which "
      "pcipt does not read: give its BDF" },
};

/* xl's global defaults for every `pci` entry (xl_parse.c). */
static const struct {
    const char *name, *key;
} unused_globals[] = {
    { "pci_permissive", "permissive" },
    { "pci_msitranslate", "msitranslate" },
    { "pci_power_mgmt", "power_mgmt" },
};

static const char *unused_why(const char *key)
{
    for (unsigned i = 0; i < sizeof(unused_keys) / sizeof(unused_keys[0]); i++)
        if (!strcmp(unused_keys[i].name, key))
            return unused_keys[i].why;
    return "";
}

int create_pci_entry(const char *sysfs, const char *cfg_path, int index, const char *spec,
                     bool seize_default, struct create_dev *d, char *err, size_t errlen)
{
    struct xlcfg_pci p;
    struct sbdf host;
    char e[400], q[96];
    int rc;

    memset(d, 0, sizeof(*d));
    d->list = "pci";
    d->index = index;
    if ((rc = xlcfg_pci_spec(spec, &p, e, sizeof(e)))) {
        snprintf(err, errlen, "%s: pci entry %d: %s", cfg_path, index, e);
        return rc;
    }
    xlcfg_quote(spec, q, sizeof(q));
    for (unsigned i = 0; i < sizeof(unused_keys) / sizeof(unused_keys[0]); i++)
        if (p.keys & unused_keys[i].key) {
            snprintf(err, errlen, "%s: pci entry %d '%s': key '%s' does not apply to pcipt on "
                     "Arm (%s): remove it", cfg_path, index, q, unused_keys[i].name,
                     unused_keys[i].why);
            return -EINVAL;
        }
    if (p.all_functions) {
        snprintf(err, errlen, "%s: pci entry %d '%s': pcipt takes one function per entry, not "
                 "'.*': list each function in its own entry", cfg_path, index, q);
        return -EINVAL;
    }
    host = (struct sbdf){ (uint16_t)p.seg, (uint8_t)p.bus, (uint8_t)p.dev, (uint8_t)p.fn };
    /* libxl's vdevfn 0 is "no slot asked" (any slot); pcipt's -1 */
    rc = plan_request_from_host(sysfs, &host, p.vslot ? (int)p.vslot : -1, &d->rq, e,
                                sizeof(e));
    if (rc) {
        snprintf(err, errlen, "%s: pci entry %d '%s': %s", cfg_path, index, q, e);
        return rc;
    }
    d->seize = (p.keys & XLCFG_PCI_SEIZE) ? p.seize : seize_default;
    return 0;
}

/* The global defaults: pci_seize read, the others refused. */
static int pci_globals(const struct create_opts *o, const struct xlcfg *cfg, bool *seize,
                       char *err, size_t errlen)
{
    long v = 0;
    int rc;

    for (unsigned i = 0; i < sizeof(unused_globals) / sizeof(unused_globals[0]); i++)
        if (xlcfg_has(cfg, unused_globals[i].name)) {
            snprintf(err, errlen, "%s: %s does not apply to pcipt on Arm (%s): remove it",
                     o->cfg_path, unused_globals[i].name, unused_why(unused_globals[i].key));
            return -EINVAL;
        }
    rc = xlcfg_long(cfg, "pci_seize", &v);
    if (rc == -EINVAL) {
        snprintf(err, errlen, "%s: pci_seize must be a number (0 or 1)", o->cfg_path);
        return rc;
    }
    *seize = !rc && v != 0;
    return 0;
}

/* A list's length (0 when absent), or -EINVAL + err when it is not a list. */
static int list_len(const struct create_opts *o, const struct xlcfg *cfg, const char *list,
                    const char *shape, char *err, size_t errlen)
{
    int n = xlcfg_list_len(cfg, list);

    if (!xlcfg_has(cfg, list))
        return 0;
    if (n < 0) {
        snprintf(err, errlen, "%s: %s must be a list of %s strings", o->cfg_path, list, shape);
        return -EINVAL;
    }
    return n;
}

/* Each function once, across both lists. */
static int check_unique(const struct create_opts *o, const struct create_dev *devs, unsigned n,
                        char *err, size_t errlen)
{
    char h[SBDF_STR_LEN];

    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (sbdf_equal(&devs[i].rq.host, &devs[j].rq.host)) {
                snprintf(err, errlen, "%s: %s is in %s = [...] entry %d and in %s = [...] "
                         "entry %d: list it once", o->cfg_path,
                         sbdf_format(&devs[i].rq.host, h), devs[i].list, devs[i].index,
                         devs[j].list, devs[j].index);
                return -EINVAL;
            }
    return 0;
}

/* Entry i of list, a string. */
static const char *entry(const struct create_opts *o, const struct xlcfg *cfg,
                         const char *list, int i, char *err, size_t errlen)
{
    const char *item = xlcfg_list_item(cfg, list, i);

    if (!item)
        snprintf(err, errlen, "%s: %s entry %d is a list, not a string", o->cfg_path, list,
                 i + 1);
    return item;
}

int create_devices(const struct create_opts *o, const struct xlcfg *cfg,
                   struct create_dev *devs, unsigned *n, char *err, size_t errlen)
{
    int npt, npci, rc;
    bool seize = false;
    const char *item;
    char e[400];

    *n = 0;
    if ((npt = list_len(o, cfg, "pcipt", "\"SBDF[@SLOT]\"", err, errlen)) < 0 ||
        (npci = list_len(o, cfg, "pci", "\"BDF[@VSLOT][,KEY=VALUE...]\"", err, errlen)) < 0)
        return -EINVAL;
    if ((rc = pci_globals(o, cfg, &seize, err, errlen)))
        return rc;
    if (npt + npci > PCIPT_MAX_DEVS) {
        snprintf(err, errlen, "%s: pcipt and pci list %d devices, at most %d per domain",
                 o->cfg_path, npt + npci, PCIPT_MAX_DEVS);
        return -E2BIG;
    }
    for (int i = 0; i < npt; i++, (*n)++) {
        struct create_dev *d = &devs[*n];
        if (!(item = entry(o, cfg, "pcipt", i, err, errlen)))
            return -EINVAL;
        memset(d, 0, sizeof(*d));
        d->list = "pcipt";
        d->index = i + 1;
        if ((rc = plan_request_from_arg(o->env->sysfs, item, &d->rq, e, sizeof(e)))) {
            snprintf(err, errlen, "%s", e);
            return rc;
        }
    }
    for (int i = 0; i < npci; i++, (*n)++) {
        if (!(item = entry(o, cfg, "pci", i, err, errlen)))
            return -EINVAL;
        if ((rc = create_pci_entry(o->env->sysfs, o->cfg_path, i + 1, item, seize, &devs[*n],
                                   err, errlen)))
            return rc;
    }
    for (unsigned i = 0; i < *n; i++)
        if (o->attach_flags & ATTACH_FORCE)
            devs[i].rq.force = true;
    return check_unique(o, devs, *n, err, errlen);
}
