/* The real-sysfs baseline: a real PCI function of this machine, opened
 * through libpci on /sys/bus/pci as pciback and QEMU's xen_pt read it (a
 * pread of its sysfs `config` per access goes through the kernel's PCI
 * config accessors to the device, unlike a file on tmpfs).  Only ever read:
 * the baseline patterns that write (BAR sizing) are not run on it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/bench/bench.h"

#define VIRTIO_VENDOR "0x1af4"

/* The function's `vendor` file says virtio (the CI machine's functions). */
static bool is_virtio(const char *name)
{
    char path[300], v[16] = "";
    FILE *f;

    snprintf(path, sizeof(path), HOSTPCI_DEFAULT_SYSFS "/devices/%s/vendor", name);
    if (!(f = fopen(path, "re")))
        return false;
    if (!fgets(v, sizeof(v), f))
        v[0] = '\0';
    fclose(f);
    return !strncmp(v, VIRTIO_VENDOR, strlen(VIRTIO_VENDOR));
}

/* Open name if its config space answers a read of the Vendor ID. */
static bool try_open(const char *name, struct bench_real *r)
{
    struct sbdf s;
    char err[256];
    uint32_t v;

    if (sbdf_parse(name, &s) || hostpci_open(NULL, &s, &r->hp, err, sizeof(err)))
        return false;
    r->hd = hostpci_host_dev(r->hp);
    if (host_cfg_read(r->hd, 0, 2, &v) || v == 0xffff) {
        hostpci_close(r->hp);
        r->hp = NULL;
        return false;
    }
    /* beyond 64 bytes sysfs answers only CAP_SYS_ADMIN (and PCIe functions) */
    r->extended = !host_cfg_read(r->hd, 0x100, 4, &v) && v != 0xffffffffu;
    snprintf(r->name, sizeof(r->name), "%s", name);
    return true;
}

bool bench_real_open(struct bench_real *r, char *why, size_t whylen)
{
    const char *want = getenv("PCIPT_BENCH_REAL_DEV");
    DIR *dir;
    struct dirent *e;
    bool found = false;

    memset(r, 0, sizeof(*r));
    if (want && !strcmp(want, "none")) {
        snprintf(why, whylen, "PCIPT_BENCH_REAL_DEV=none");
        return false;
    }
    if (want) {
        if (try_open(want, r))
            return true;
        snprintf(why, whylen, "PCIPT_BENCH_REAL_DEV=%s cannot be read", want);
        return false;
    }
    if (!(dir = opendir(HOSTPCI_DEFAULT_SYSFS "/devices"))) {
        snprintf(why, whylen, "no " HOSTPCI_DEFAULT_SYSFS "/devices here: %s", strerror(errno));
        return false;
    }
    /* a virtio function first (what the CI machine has), else any */
    for (int pass = 0; pass < 2 && !found; pass++) {
        rewinddir(dir);
        while (!found && (e = readdir(dir)))
            if (e->d_name[0] != '.' && (pass == 1 || is_virtio(e->d_name)))
                found = try_open(e->d_name, r);
    }
    closedir(dir);
    if (!found)
        snprintf(why, whylen, "no PCI function under " HOSTPCI_DEFAULT_SYSFS "/devices whose "
                 "config can be read");
    return found;
}

void bench_real_close(struct bench_real *r)
{
    if (r->hp)
        hostpci_close(r->hp);
    r->hp = NULL;
}
