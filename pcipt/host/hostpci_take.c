/* Did the holder take the function?  (See hostpci_take.h.)
 *
 * Linux (drivers/base/bus.c, drivers/pci/pci-driver.c): with
 * driver_override set, only the named driver matches the device
 * (pci_match_device), so after drivers_probe the function is either on the
 * holder, or unbound because no driver of that name is registered (its
 * module is not loaded: DIR/drivers/NAME is absent) or because the holder's
 * probe refused it (uio_pci_generic refuses a function with an IRQ whose
 * INTx cannot be masked, PCI 2.3's Interrupt Disable bit).  Loading the
 * module registers the driver, and registering attaches it to the unbound
 * devices it matches (bus_add_driver -> driver_attach) unless the bus's
 * drivers_autoprobe is 0; a second drivers_probe covers that case and is a
 * no-op for a device that is bound already. */
#include "pcipt/host/hostpci_take.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcipt/util/proc.h"
#include "pcipt/host/sysfs_attr.h"
#include "pcipt/util/testenv.h"

#define MODPROBE_ENV     "PCIPT_MODPROBE"
#define MODPROBE_DEFAULT "modprobe"

/* The module that registers a holder driver: xen-pciback's driver is
 * called "pciback"; the others are named after their modules. */
static const char *holder_module(const char *holder)
{
    if (!strcmp(holder, "pciback") || !strcmp(holder, "xen-pciback"))
        return "xen-pciback";
    return holder;
}

/* DIR/drivers/NAME exists while a driver of that name is registered. */
static bool driver_registered(const char *root, const char *driver)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/drivers/%s", root, driver);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The last non-empty line of text (trailing blanks cut) into buf. */
static void last_line(const char *text, char *buf, size_t len)
{
    size_t end = strlen(text), start;

    while (end && strchr(" \t\r\n", text[end - 1]))
        end--;
    start = end;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(end - start), text + start);
}

/* `modprobe MODULE` (or $PCIPT_MODPROBE), a child without a shell.  0, or
 * -ENODEV with why = the sentence for the operator. */
static int load_module(const char *holder, char *why, size_t whylen)
{
    const char *module = holder_module(holder), *prog = test_env(MODPROBE_ENV);
    char *argv[] = { (char *)(prog && *prog ? prog : MODPROBE_DEFAULT), (char *)module, NULL };
    char *said = NULL, line[200] = "";
    int st = proc_run_stderr(argv, &said);

    if (st == 0) {
        free(said);
        return 0;
    }
    if (said)
        last_line(said, line, sizeof(line));
    free(said);
    if (st < 0)
        snprintf(line, sizeof(line), "cannot run it: %s", strerror(-st));
    else if (!line[0])
        snprintf(line, sizeof(line), "exit status %d", st);
    snprintf(why, whylen, "%s did not take it (is the module available? `modprobe %s` failed: "
             "%s)", holder, module, line);
    return -ENODEV;
}

/* The function is not on holder: say why, from what sysfs shows now. */
static int not_taken(const char *root, const char *devdir, const char *holder, bool loaded_now,
                     char *why, size_t whylen)
{
    char now[64];

    sysfs_driver_of(devdir, now, sizeof(now));
    if (now[0]) {
        snprintf(why, whylen, "%s did not take it: the probe left it with '%s'", holder, now);
        return -EBUSY;
    }
    if (!driver_registered(root, holder)) {
        snprintf(why, whylen, "%s did not take it (is the module available? `modprobe %s` "
                 "succeeded but no driver '%s' appeared in %s/drivers)", holder,
                 holder_module(holder), holder, root);
        return -ENODEV;
    }
    snprintf(why, whylen, "%s is loaded%s but did not take it (its probe refused the device; "
             "see the kernel log)", holder, loaded_now ? " now" : "");
    return -ENODEV;
}

int hostpci_holder_take(const char *root, const char *name, const char *holder, char *why,
                        size_t whylen)
{
    char devdir[400], path[512], now[64];
    int rc;

    snprintf(devdir, sizeof(devdir), "%s/devices/%s", root, name);
    sysfs_driver_of(devdir, now, sizeof(now));
    if (!strcmp(now, holder))
        return 0;
    if (now[0] || driver_registered(root, holder))
        return not_taken(root, devdir, holder, false, why, whylen);
    if ((rc = load_module(holder, why, whylen)))
        return rc;
    snprintf(path, sizeof(path), "%s/drivers_probe", root);
    if ((rc = sysfs_write_attr(path, name, why, whylen)))
        return rc;
    sysfs_driver_of(devdir, now, sizeof(now));
    if (!strcmp(now, holder))
        return 0;
    return not_taken(root, devdir, holder, true, why, whylen);
}
