/* See hostpci_bar.h. */
#include "pcipt/host/hostpci_bar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbridge/common/log.h"

static int map_bar(struct hostpci_bars *b, const char *devdir, const struct host_dev *hd, int bar)
{
    char path[400];
    struct stat st;
    size_t len;
    void *p;
    int fd;

    snprintf(path, sizeof(path), "%s/resource%d", devdir, bar);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        log_warn("cannot open %s for the MSI-X table page: %s", path, strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    /* Never map past the file: an access there would be a SIGBUS. */
    len = (size_t)(st.st_size < (off_t)hd->bars[bar].size ? st.st_size : (off_t)hd->bars[bar].size);
    p = len ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED) {
        log_warn("cannot map %s (%zu bytes) for the MSI-X table page: %s", path, len,
                 len ? strerror(errno) : "empty file");
        return -EIO;
    }
    b->map[bar] = p;
    b->len[bar] = len;
    return 0;
}

int hostpci_bar_access(struct hostpci_bars *b, const char *devdir, const struct host_dev *hd,
                       int bar, uint64_t off, unsigned size, uint64_t *val, bool write)
{
    int rc;

    if (bar < 0 || bar >= PCI_NUM_BARS || (size != 1 && size != 2 && size != 4 && size != 8) ||
        off % size ||
        (hd->bars[bar].type != BAR_MEM32 && hd->bars[bar].type != BAR_MEM64))
        return -EINVAL;
    if (b->failed[bar])
        return b->failed[bar];
    if (!b->map[bar] && (rc = map_bar(b, devdir, hd, bar)))
        return b->failed[bar] = rc;
    if (off + size > b->len[bar])
        return -EINVAL;
    /* One access of exactly the guest's size: device registers may have
     * side effects, so no read-modify-write. */
    volatile uint8_t *p = b->map[bar] + off;
    switch (size) {
    case 1:
        if (write) *p = (uint8_t)*val; else *val = *p;
        break;
    case 2:
        if (write) *(volatile uint16_t *)p = (uint16_t)*val; else *val = *(volatile uint16_t *)p;
        break;
    case 4:
        if (write) *(volatile uint32_t *)p = (uint32_t)*val; else *val = *(volatile uint32_t *)p;
        break;
    default:
        if (write) *(volatile uint64_t *)p = *val; else *val = *(volatile uint64_t *)p;
        break;
    }
    return 0;
}

void hostpci_bars_unmap(struct hostpci_bars *b)
{
    for (int i = 0; i < PCI_NUM_BARS; i++)
        if (b->map[i])
            munmap((void *)b->map[i], b->len[i]);
    memset(b, 0, sizeof(*b));
}
