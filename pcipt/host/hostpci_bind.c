/* Handing a host function to a passthrough holder driver and giving it
 * back to the driver it had (see hostpci.h).
 *
 * Linux's driver core, as these writes use it (Documentation/ABI/testing/
 * sysfs-bus-pci):
 *   - devices/SBDF/driver/unbind: the bound driver lets the device go;
 *   - devices/SBDF/driver_override: only the named driver may bind it from
 *     then on; writing an empty line ("\n") clears it, and it reads back
 *     "(null)" when clear;
 *   - drivers_probe: find a driver for an unbound device (the override's);
 *   - drivers/NAME/bind: NAME takes the unbound device, if it matches (with
 *     another driver in driver_override it does not: -ENODEV).
 * So the override is put back before the old driver is asked to bind.
 * After the probe the function must be on the holder (hostpci_take.c loads
 * the holder's module when no such driver is registered); if it is not,
 * the hand-over has failed and is given back like any other failure. */
#include "pcipt/host/hostpci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/host/hostpci_take.h"
#include "pcipt/host/sysfs_attr.h"

#define OVERRIDE_UNSET "(null)"

/* root/devices/SBDF/name and root/drivers/DRIVER/bind. */
static void dev_path(const char *root, const char *name, const char *attr, char *buf, size_t len)
{
    snprintf(buf, len, "%s/devices/%s/%s", root, name, attr);
}

static int unbind_holder(const char *root, const char *name, char *why, size_t whylen)
{
    char path[512];

    dev_path(root, name, "driver/unbind", path, sizeof(path));
    return sysfs_write_attr(path, name, why, whylen);
}

static int put_override_back(const char *root, const char *name,
                             const struct hostpci_handover *ho, char *why, size_t whylen)
{
    char path[512];

    dev_path(root, name, "driver_override", path, sizeof(path));
    /* an empty write never reaches the kernel: a lone newline clears it */
    return sysfs_write_attr(path, ho->override[0] ? ho->override : "\n", why, whylen);
}

static int bind_back(const char *root, const char *name, const char *driver, char *why,
                     size_t whylen)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/drivers/%s/bind", root, driver);
    return sysfs_write_attr(path, name, why, whylen);
}

int hostpci_give_back(const char *sysfs, const struct hostpci_handover *ho, char *why,
                      size_t whylen)
{
    const char *root = sysfs ? sysfs : HOSTPCI_DEFAULT_SYSFS;
    char name[SBDF_STR_LEN], devdir[400], now[64];
    int rc;

    if (!ho->changed)
        return 0;
    sbdf_format(&ho->addr, name);
    snprintf(devdir, sizeof(devdir), "%s/devices/%s", root, name);
    sysfs_driver_of(devdir, now, sizeof(now));
    if (!strcmp(now, ho->holder)) {
        if ((rc = unbind_holder(root, name, why, whylen)))
            return rc;
    } else if (now[0] && strcmp(now, ho->driver)) {
        /* someone else's driver took it meanwhile: not ours to move */
        snprintf(why, whylen, "it is bound to '%s' now", now);
        return -EBUSY;
    }
    if ((rc = put_override_back(root, name, ho, why, whylen)))
        return rc;
    sysfs_driver_of(devdir, now, sizeof(now));
    if (ho->driver[0] && !now[0] && (rc = bind_back(root, name, ho->driver, why, whylen)))
        return rc;
    sysfs_driver_of(devdir, now, sizeof(now));
    if (strcmp(now, ho->driver)) {
        if (now[0])
            snprintf(why, whylen, "it is bound to '%s' instead", now);
        else
            snprintf(why, whylen, "it has no driver after the write to %s/drivers/%s/bind",
                     root, ho->driver);
        return -EIO;
    }
    return 0;
}

void hostpci_note_not_given_back(char *err, size_t errlen, const char *sep,
                                 const struct hostpci_handover *ho, bool name_dev,
                                 const char *why)
{
    size_t n = strlen(err);
    char name[SBDF_STR_LEN];
    const char *it = name_dev ? sbdf_format(&ho->addr, name) : "it";

    if (n + 1 >= errlen)
        return;
    if (ho->driver[0])
        snprintf(err + n, errlen - n, "%scould not give %s back to '%s': %s", sep, it,
                 ho->driver, why);
    else
        snprintf(err + n, errlen - n, "%scould not take %s back from %s: %s", sep, it,
                 ho->holder, why);
}

int hostpci_hand_to_holder(struct hostpci *hp, const char *holder, struct hostpci_handover *ho,
                           char *err, size_t errlen)
{
    const char *root = hostpci_sysfs_root(hp), *devdir = hostpci_sysfs_dir(hp);
    char name[SBDF_STR_LEN], path[512], why[400], why2[400];
    bool wrote = false;
    int rc;

    memset(ho, 0, sizeof(*ho));
    ho->addr = hostpci_host_dev(hp)->addr;
    sbdf_format(&ho->addr, name);
    if (!hostpci_is_holder(holder)) {
        snprintf(err, errlen, "%s: '%s' is not a passthrough holder driver (use pciback, "
                 "xen-pciback, uio_pci_generic or vfio-pci)", name, holder ? holder : "");
        return -EINVAL;
    }
    snprintf(ho->holder, sizeof(ho->holder), "%s", holder);
    snprintf(ho->driver, sizeof(ho->driver), "%s", hostpci_info(hp)->driver);
    if (!strcmp(ho->driver, holder))
        return 0;
    if ((rc = sysfs_read_attr(devdir, "driver_override", ho->override, sizeof(ho->override)))) {
        snprintf(err, errlen, "%s: cannot read %s/driver_override: %s", name, devdir,
                 strerror(-rc));
        return rc;
    }
    if (!strcmp(ho->override, OVERRIDE_UNSET))
        ho->override[0] = '\0';
    ho->changed = true;
    if (ho->driver[0]) {
        snprintf(path, sizeof(path), "%s/driver/unbind", devdir);
        rc = sysfs_write_attr(path, name, why, sizeof(why));
        wrote = !rc;
    }
    if (!rc) {
        snprintf(path, sizeof(path), "%s/driver_override", devdir);
        rc = sysfs_write_attr(path, holder, why, sizeof(why));
        wrote |= !rc;
    }
    if (!rc) {
        snprintf(path, sizeof(path), "%s/drivers_probe", root);
        rc = sysfs_write_attr(path, name, why, sizeof(why));
    }
    if (!rc)    /* on the holder now?  (its module loaded if it was not) */
        rc = hostpci_holder_take(root, name, holder, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "%s: %s", name, why);
        if (wrote && hostpci_give_back(root, ho, why2, sizeof(why2)))
            hostpci_note_not_given_back(err, errlen, "; also ", ho, false, why2);
        ho->changed = false;
        hostpci_refresh_driver(hp);
        return rc;
    }
    hostpci_refresh_driver(hp);
    return 0;
}

int hostpci_bind_holder(struct hostpci *hp, const char *holder, char *err, size_t errlen)
{
    struct hostpci_handover ho;

    return hostpci_hand_to_holder(hp, holder, &ho, err, errlen);
}
