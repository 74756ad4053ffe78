/* Reset through sysfs (host_reset.h). */
#include "pcipt/host/host_reset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *hostpci_reset_method(const struct hostpci *hp, char *buf, size_t len)
{
    const char *m = hostpci_info(hp)->reset_method;

    m += strspn(m, " \t\n");
    snprintf(buf, len, "%.*s", (int)strcspn(m, " \t\n"), m);
    return buf;
}

int hostpci_reset(const struct hostpci *hp, char *err, size_t errlen)
{
    char path[600], name[SBDF_STR_LEN];
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/reset", hostpci_sysfs_dir(hp));
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || write(fd, "1", 1) != 1)
        rc = -errno;
    if (fd >= 0 && close(fd) && !rc)
        rc = -errno;
    if (rc)
        snprintf(err, errlen, "cannot reset %s: writing 1 to %s failed: %s",
                 sbdf_format(&hostpci_host_dev((struct hostpci *)hp)->addr, name), path,
                 strerror(-rc));
    return rc;
}

int hostpci_reset_addr(const char *sysfs, const struct sbdf *addr, char *method, char *err,
                       size_t errlen)
{
    struct hostpci *hp;
    char m[32];
    int rc = hostpci_open(sysfs, addr, &hp, err, errlen);

    if (rc)
        return rc;
    hostpci_reset_method(hp, m, sizeof(m));
    if (method)
        snprintf(method, 32, "%s", m);
    if (m[0])
        rc = hostpci_reset(hp, err, errlen);
    hostpci_close(hp);
    return rc;
}
