#include "pcipt/host/guest_view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pci/pci.h>

#include "pcipt/daemon/guest_start.h"
#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"

/* One host function of the view, in the order given. */
struct gv_func {
    struct hostpci *hp;
    char desc[280];               /* "Class: Vendor Device [vvvv:dddd] (host SBDF)" */
};

struct guest_view {
    struct gv_func f[PCIPT_MAX_DEVS];
    unsigned n;
    struct vpci_topology *topo;
    struct domain_assign dom;     /* the plan: functions 0 first */
};

/* The whole config space the function claims must be readable: a non-root
 * reader of sysfs `config` gets only the first 64 bytes (Linux
 * pci_read_config), which would show the guest all-ones. */
static int check_config_readable(struct hostpci *hp, char *err, size_t errlen)
{
    const struct host_dev *hd = hostpci_host_dev(hp);
    char name[SBDF_STR_LEN], path[600];
    struct stat st;
    uint32_t v;

    for (unsigned off = 0; off < hd->cfg_size; off += 4) {
        if (host_cfg_read(hd, off, 4, &v) == 0)
            continue;
        snprintf(path, sizeof(path), "%s/config", hostpci_sysfs_dir(hp));
        sbdf_format(&hd->addr, name);
        if (stat(path, &st))
            snprintf(err, errlen, "%s: cannot read its config space: %s: %s", name, path,
                     strerror(errno));
        else if (st.st_size == 64)
            snprintf(err, errlen, "%s: only the first 64 bytes of its config space are "
                     "readable (%s): reading all of it needs root", name, path);
        else
            snprintf(err, errlen, "%s: its config space is cut short at offset 0x%x (%s has "
                     "%lld bytes, at least 256 expected)", name, off, path,
                     (long long)st.st_size);
        return -EIO;
    }
    return 0;
}

/* libpci reports name-list problems through these; before pci_init they are
 * unset, and a missing pci.ids only means numeric names. */
static void quiet(char *msg, ...)
{
    (void)msg;
}

/* "Ethernet controller: Intel Corporation 82574L ... [8086:10d3] (host 0000:01:00.0)",
 * names from pci.ids through libpci (numeric when the ids file lacks them). */
static void describe(struct gv_func *gf)
{
    const struct hostpci_info *in = hostpci_info(gf->hp);
    struct pci_access *acc = pci_alloc();
    char cls[96] = "", vd[128] = "", name[SBDF_STR_LEN];

    if (acc) {
        acc->warning = quiet;
        acc->debug = quiet;
        pci_lookup_name(acc, cls, sizeof(cls), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB, in->class_code >> 8);
        pci_lookup_name(acc, vd, sizeof(vd), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
                        in->vendor, in->device);
        pci_cleanup(acc);
    }
    snprintf(gf->desc, sizeof(gf->desc), "%s: %s [%04x:%04x] (host %s)", cls, vd, in->vendor,
             in->device, sbdf_format(&hostpci_host_dev(gf->hp)->addr, name));
}

static int open_host(struct gv_func *gf, const char *sysfs, const struct sbdf *host,
                     struct plan_request *rq, char *err, size_t errlen)
{
    const struct hostpci_info *in;
    char name[SBDF_STR_LEN];
    int rc = hostpci_open(sysfs, host, &gf->hp, err, errlen);

    if (rc)
        return rc;
    rc = check_config_readable(gf->hp, err, errlen);
    if (rc)
        return rc;
    in = hostpci_info(gf->hp);
    if (in->header_type != 0) {
        /* A bridge forwards a whole bus: only endpoints are passed through. */
        snprintf(err, errlen, "%s is a bridge (header type %u); only endpoints (header type 0) "
                 "can be shown to a guest", sbdf_format(host, name), in->header_type);
        return -EINVAL;
    }
    rq->host = *host;
    memcpy(rq->bars, hostpci_host_dev(gf->hp)->bars, sizeof(rq->bars));
    rq->intx_pin = in->intx_pin;
    describe(gf);
    return 0;
}

/* The view's function for host address `host`. */
static struct gv_func *func_of(struct guest_view *gv, const struct sbdf *host)
{
    for (unsigned i = 0; i < gv->n; i++)
        if (sbdf_equal(&hostpci_host_dev(gv->f[i].hp)->addr, host))
            return &gv->f[i];
    return NULL;    /* not reached: the plan holds the functions given */
}

/* One planned function on the view's host bridge, in the state the
 * daemon first presents it in. */
static int present_one(struct hostbridge *hb, const struct dev_assign *da, struct gv_func *gf,
                       char *err, size_t errlen)
{
    struct vdev_config vc;
    struct vdev_state st;
    struct vdev *v;
    char name[SBDF_STR_LEN], why[200];
    int rc;

    guest_vdev_config(da, &vc);         /* what the daemon presents */
    if ((rc = host_dev_check_bars(hostpci_host_dev(gf->hp), why, sizeof(why)))) {
        snprintf(err, errlen, "%s: %s", sbdf_format(&da->host, name), why);
        return rc;
    }
    if ((rc = hostbridge_add_device(hb, hostpci_host_dev(gf->hp), &vc, &v))) {
        snprintf(err, errlen, "%s: cannot present it at 00:%02x.%x: %s",
                 sbdf_format(&da->host, name), da->guest.dev, da->guest.fn, strerror(-rc));
        return rc;
    }
    guest_firmware_state(v, &st);       /* the daemon's first view of it */
    vdev_restore_state(v, &st);
    return 0;
}

/* Every function in plan order (functions 0 first, as attach adds them). */
static int present(struct guest_view *gv, char *err, size_t errlen)
{
    struct hostbridge *hb;
    int rc;

    gv->topo = vpci_topology_new();
    if (!gv->topo) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if ((rc = vpci_topology_add_bridge(gv->topo, 0, 0, 0, &hb))) {
        snprintf(err, errlen, "cannot make the virtual host bridge: %s", strerror(-rc));
        return rc;
    }
    for (unsigned i = 0; i < gv->dom.ndevs; i++) {
        const struct dev_assign *da = &gv->dom.devs[i];
        if ((rc = present_one(hb, da, func_of(gv, &da->host), err, errlen)))
            return rc;
    }
    return 0;
}

int guest_view_open_functions(const char *sysfs, const char *config,
                              const struct guest_view_fn *fns, unsigned n,
                              struct guest_view **out, char *err, size_t errlen)
{
    struct guest_view *gv = calloc(1, sizeof(*gv));
    struct plan_request rq[PCIPT_MAX_DEVS];
    struct guest_layout lay;
    int rc = 0;

    *out = NULL;
    if (!gv) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (n < 1 || n > PCIPT_MAX_DEVS) {
        snprintf(err, errlen, "%u functions: give 1..%d", n, PCIPT_MAX_DEVS);
        rc = -E2BIG;
    }
    for (unsigned i = 0; !rc && i < n; i++) {
        int slot = fns[i].slot, fn = fns[i].fn;

        if ((slot != -1 && (slot < 1 || slot > PLAN_MAX_SLOT)) || fn < 0 || fn > PLAN_MAX_FN) {
            snprintf(err, errlen, "slot %d function %d is out of range (1..%d, 0..%d)", slot,
                     fn, PLAN_MAX_SLOT, PLAN_MAX_FN);
            rc = -ERANGE;
        }
        rq[i] = (struct plan_request){ .slot = slot, .fn = fn };
    }
    if (!rc)
        rc = guest_layout_load(config, config != NULL, &lay, err, errlen);
    for (unsigned i = 0; !rc && i < n; i++, gv->n++)
        rc = open_host(&gv->f[i], sysfs, &fns[i].host, &rq[i], err, errlen);
    if (!rc)    /* refuses a function > 0 whose slot has no function 0 */
        rc = plan_domain(&lay, &gv->dom, rq, n, err, errlen);
    if (!rc)
        rc = present(gv, err, errlen);
    if (rc) {
        guest_view_close(gv);
        return rc;
    }
    *out = gv;
    return 0;
}

int guest_view_open(const char *sysfs, const char *config, const struct sbdf *host, int slot,
                    struct guest_view **out, char *err, size_t errlen)
{
    struct guest_view_fn f = { .host = *host, .slot = slot, .fn = 0 };

    if (slot < 1 || slot > PLAN_MAX_SLOT) {
        *out = NULL;
        snprintf(err, errlen, "slot %d is out of range (1..%d)", slot, PLAN_MAX_SLOT);
        return -ERANGE;
    }
    return guest_view_open_functions(sysfs, config, &f, 1, out, err, errlen);
}

void guest_view_close(struct guest_view *gv)
{
    if (!gv)
        return;
    if (gv->topo)
        vpci_topology_free(gv->topo);
    for (unsigned i = 0; i < gv->n; i++)
        hostpci_close(gv->f[i].hp);
    free(gv);
}

struct vpci_topology *guest_view_topology(struct guest_view *gv)
{
    return gv->topo;
}

const struct dev_assign *guest_view_assign(const struct guest_view *gv)
{
    const struct sbdf *first = &hostpci_host_dev(gv->f[0].hp)->addr;

    for (unsigned i = 0; i < gv->dom.ndevs; i++)
        if (sbdf_equal(&gv->dom.devs[i].host, first))
            return &gv->dom.devs[i];
    return &gv->dom.devs[0];    /* not reached */
}

struct host_dev *guest_view_host(struct guest_view *gv)
{
    return hostpci_host_dev(gv->f[0].hp);
}

/* One function's 4 KiB as the guest reads it: dword ECAM reads. */
static void print_function(struct vpci_topology *t, uint8_t slot, uint8_t fn, const char *desc,
                           FILE *out)
{
    struct cfg_req r = { .seg = 0, .bus = 0, .dev = slot, .fn = fn, .size = 4 };

    fprintf(out, "00:%02x.%x %s\n", slot, fn, desc);
    for (unsigned row = 0; row < PCI_CFG_SIZE; row += 16) {
        fprintf(out, "%03x:", row);
        for (unsigned off = row; off < row + 16; off += 4) {
            uint32_t v;
            r.reg = (uint16_t)off;
            v = (uint32_t)vpci_cfg_read(t, &r);
            fprintf(out, " %02x %02x %02x %02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
                    v >> 24);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

/* In the guest's enumeration order: by slot, then function. */
void guest_view_print(struct guest_view *gv, bool all, FILE *out)
{
    if (all)
        print_function(gv->topo, 0, 0, "Host bridge: pcipt virtual root complex [5853:c0de]",
                       out);
    for (unsigned slot = 1; slot <= PLAN_MAX_SLOT; slot++)
        for (unsigned fn = 0; fn <= PLAN_MAX_FN; fn++)
            for (unsigned i = 0; i < gv->dom.ndevs; i++) {
                const struct dev_assign *da = &gv->dom.devs[i];
                if (da->guest.dev == slot && da->guest.fn == fn)
                    print_function(gv->topo, (uint8_t)slot, (uint8_t)fn,
                                   func_of(gv, &da->host)->desc, out);
            }
}
