/* Assignable functions: xl's pci-assignable-add / -remove (see assignable.h). */
#include "pcipt/assign/assignable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcipt/assign/dma.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/host/sysfs_attr.h"
#include "pcipt/util/file_replace.h"
#include "pcipt/xs/xs_paths.h"
#include "pcipt/xs/xs_publish.h"

#define MAX_DOMAINS 1024

/* $PCIPT_RUN_DIR/assignable[/SBDF] into buf. */
static void record_path(const struct sbdf *host, char *buf, size_t len)
{
    char name[SBDF_STR_LEN];

    if (host)
        snprintf(buf, len, "%s/assignable/%s", domlock_run_dir(), sbdf_format(host, name));
    else
        snprintf(buf, len, "%s/assignable", domlock_run_dir());
}

/* "key=value" lines of f into ho; false on a line of another shape. */
static bool parse_record(FILE *f, struct hostpci_handover *ho)
{
    char line[256];

    while (fgets(line, sizeof(line), f)) {
        char *eq = strchr(line, '=');
        line[strcspn(line, "\n")] = '\0';
        if (!eq)
            return false;
        *eq++ = '\0';
        if (!strcmp(line, "holder") && strlen(eq) < sizeof(ho->holder))
            strcpy(ho->holder, eq);
        else if (!strcmp(line, "driver") && strlen(eq) < sizeof(ho->driver))
            strcpy(ho->driver, eq);
        else if (!strcmp(line, "override") && strlen(eq) < sizeof(ho->override))
            strcpy(ho->override, eq);
        else
            return false;
    }
    return hostpci_is_holder(ho->holder);
}

int assignable_record_read(const struct sbdf *host, struct hostpci_handover *ho)
{
    char path[4200];
    FILE *f;
    bool ok;

    memset(ho, 0, sizeof(*ho));
    record_path(host, path, sizeof(path));
    if (!(f = fopen(path, "re")))
        return -errno;
    ok = parse_record(f, ho);
    fclose(f);
    ho->addr = *host;
    ho->changed = true;
    return ok ? 0 : -EINVAL;
}

/* Replaced all at once (file_replace): a reader never sees half. */
static int record_write(const struct hostpci_handover *ho, char *err, size_t errlen)
{
    char dir[4200], path[4200], text[1024];
    int rc = 0, n;

    if ((rc = domlock_make_run_dir(err, errlen)))
        return rc;
    record_path(NULL, dir, sizeof(dir));
    if (mkdir(dir, 0700) && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
        return rc;
    }
    record_path(&ho->addr, path, sizeof(path));
    n = snprintf(text, sizeof(text), "holder=%s\ndriver=%s\noverride=%s\n", ho->holder,
                 ho->driver, ho->override);
    rc = n < 0 || (size_t)n >= sizeof(text) ? -ENAMETOOLONG
                                           : file_replace(path, text, (size_t)n, 0644);
    if (rc)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    return rc;
}

static void record_remove(const struct sbdf *host)
{
    char path[4200];

    record_path(host, path, sizeof(path));
    unlink(path);
}

int assignable_attached_to(struct xs_handle *xs, const struct sbdf *host, uint32_t *domid,
                           char *err, size_t errlen)
{
    uint32_t ids[MAX_DOMAINS];
    struct domain_assign *a = calloc(1, sizeof(*a));
    char e[400];
    int n = xsp_list_domains(xs, ids, MAX_DOMAINS), rc = -ENOENT;

    if (!a)
        return -ENOMEM;
    if (n < 0) {
        snprintf(err, errlen, "cannot list " XSP_BACKEND_ROOT " in xenstore: %s", strerror(-n));
        rc = n;
    }
    for (int i = 0; i < n && i < MAX_DOMAINS && rc == -ENOENT; i++) {
        int r = xsp_read_domain_published(xs, ids[i], a, e, sizeof(e));
        if (r && r != -ENOENT) {
            snprintf(err, errlen, "cannot read domain %u's assignment from xenstore: %s", ids[i],
                     r == -EINVAL ? e : strerror(-r));
            rc = r;
        }
        for (unsigned j = 0; !r && j < a->ndevs; j++)
            if (sbdf_equal(&a->devs[j].host, host)) {
                *domid = ids[i];
                rc = 0;
            }
    }
    free(a);
    return rc;
}

int assignable_add(const char *sysfs, const struct sbdf *host, bool *already, char *err,
                   size_t errlen)
{
    struct hostpci *hp;
    struct hostpci_handover ho, old;
    char name[SBDF_STR_LEN];
    int rc;

    *already = false;
    if ((rc = hostpci_open(sysfs, host, &hp, err, errlen)))
        return rc;
    sbdf_format(host, name);
    if ((hostpci_info(hp)->header_type & 0x7f) != 0) {
        snprintf(err, errlen, "%s is a bridge (header type %u): only endpoints can be given to "
                 "a guest", name, hostpci_info(hp)->header_type & 0x7f);
        hostpci_close(hp);
        return -EINVAL;
    }
    rc = hostpci_hand_to_holder(hp, ATTACH_HOLDER, &ho, err, errlen);
    hostpci_close(hp);
    if (rc)
        return rc;
    *already = !ho.changed;
    if (!assignable_record_read(host, &old))
        return 0;                 /* the earliest driver is the one to give back */
    if (!ho.changed) {            /* on the holder before us: its driver is unknown */
        snprintf(ho.holder, sizeof(ho.holder), "%s", ATTACH_HOLDER);
        ho.driver[0] = ho.override[0] = '\0';
    }
    if ((rc = record_write(&ho, err, errlen)) && ho.changed) {
        char why[400];
        if (hostpci_give_back(sysfs, &ho, why, sizeof(why)))
            hostpci_note_not_given_back(err, errlen, "; also ", &ho, false, why);
    }
    return rc;
}

/* Out of Xen's quarantine (xen-arm-dma-msi.md section 6: a function whose
 * domain died stays owned by DOMID_IO until deassigned from there, what
 * `xl pci-assignable-remove` does).  -ENODEV: it was not quarantined. */
static void leave_quarantine(struct attach_ctx *ctx, const struct sbdf *host, char *note,
                             size_t notelen)
{
    int rc;

    if (!ctx->hv || !ctx->hv->ops->deassign_device)
        return;
    rc = dma_deassign(ctx->hv, HV_DOMID_IO, host);
    if (rc && rc != -ENODEV && rc != -EOPNOTSUPP && !note[0])
        snprintf(note, notelen, "cannot take it out of Xen's quarantine (deassign from "
                 "DOMID_IO): %s", strerror(-rc));
}

/* Not on a holder and no record: not ours to move. */
static int check_removable(const char *sysfs, const struct sbdf *host, bool recorded,
                           char *err, size_t errlen)
{
    struct hostpci *hp;
    char name[SBDF_STR_LEN];
    int rc;

    if ((rc = hostpci_open(sysfs, host, &hp, err, errlen)))
        return rc;
    if (!hostpci_is_holder(hostpci_info(hp)->driver) && !recorded) {
        if (hostpci_info(hp)->driver[0])
            snprintf(err, errlen, "%s is not assignable: it is bound to the dom0 driver '%s' "
                     "(pcipt pci-assignable-add makes it assignable)", sbdf_format(host, name),
                     hostpci_info(hp)->driver);
        else
            snprintf(err, errlen, "%s is not assignable: no driver holds it and pcipt has no "
                     "record of it", sbdf_format(host, name));
        rc = -EINVAL;
    }
    hostpci_close(hp);
    return rc;
}

int assignable_remove(struct attach_ctx *ctx, const struct sbdf *host, bool rebind, char *now,
                      size_t nowlen, char *note, size_t notelen, char *err, size_t errlen)
{
    struct hostpci_handover ho;
    char name[SBDF_STR_LEN], devdir[4200], why[400];
    const char *root = ctx->sysfs ? ctx->sysfs : HOSTPCI_DEFAULT_SYSFS;
    bool recorded = !assignable_record_read(host, &ho);
    uint32_t domid;
    int rc;

    note[0] = now[0] = '\0';
    sbdf_format(host, name);
    if ((rc = check_removable(ctx->sysfs, host, recorded, err, errlen)))
        return rc;
    rc = assignable_attached_to(ctx->xs, host, &domid, err, errlen);
    if (!rc) {
        snprintf(err, errlen, "%s is still attached to domain %u; detach it first (pcipt "
                 "pci-detach %u %s)", name, domid, domid, name);
        return -EBUSY;
    }
    if (rc != -ENOENT)
        return rc;
    snprintf(devdir, sizeof(devdir), "%s/devices/%s", root, name);
    if (!recorded) {
        memset(&ho, 0, sizeof(ho));
        ho.addr = *host;
        ho.changed = true;
        sysfs_driver_of(devdir, ho.holder, sizeof(ho.holder));
        if (rebind)
            snprintf(note, notelen, "pcipt has no record of its earlier driver: the kernel was "
                     "asked to probe it");
    }
    leave_quarantine(ctx, host, note, notelen);
    if (!rebind)
        ho.driver[0] = '\0';      /* stays unbound, as xl's without -r */
    if ((rc = hostpci_give_back(ctx->sysfs, &ho, why, sizeof(why)))) {
        snprintf(err, errlen, "%s: ", name);
        hostpci_note_not_given_back(err, errlen, "", &ho, false, why);
        return rc;
    }
    if (rebind && !recorded) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/drivers_probe", root);
        if (sysfs_write_attr(path, name, why, sizeof(why)))
            snprintf(note, notelen, "pcipt has no record of its earlier driver, and asking the "
                     "kernel to probe it failed: %s", why);
    }
    record_remove(host);
    sysfs_driver_of(devdir, now, nowlen);
    return 0;
}
