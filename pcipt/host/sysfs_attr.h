/* One sysfs attribute at a time: its first line, one value written, and
 * the `driver` link of a device directory.  Used by pcipt/host/hostpci*.c. */
#ifndef PCIPT_SYSFS_ATTR_H
#define PCIPT_SYSFS_ATTR_H

#include <stddef.h>

/* First line of dir/name, without its newline, into buf; 0 or -errno. */
int sysfs_read_attr(const char *dir, const char *name, char *buf, size_t len);

/* Write val to path in one write.  The kernel answers a store (bind,
 * unbind, drivers_probe, driver_override) when the buffer is flushed, so
 * the error of fclose() counts.  0, or -errno with why = "cannot write
 * 'VAL' to PATH: REASON" (VAL without its trailing newline). */
int sysfs_write_attr(const char *path, const char *val, char *why, size_t whylen);

/* The driver bound to the device at devdir (the last part of the target
 * of devdir/driver) into buf, "" when none. */
void sysfs_driver_of(const char *devdir, char *buf, size_t len);

#endif
