/* tests/system/dmatool.c: DMA checks of QEMU's `edu` device for the system
 * test, run in dom0 and in the domU (cross-built static for arm64 by
 * systest.sh, /usr/local/bin/dmatool in both initramfs images).
 *
 * Buffers are pages of this process (mlock'ed), their physical addresses
 * read from /proc/self/pagemap: in a domU that is the guest-physical address
 * (the IOVA the SMMU translates through the domain's p2m), in dom0 (direct
 * mapped on Arm) the machine address.
 *
 *   dmatool bm DEV [0|1]            Command.BusMaster of DEV (a sysfs PCI
 *                                   device directory): set it, print it
 *   dmatool roundtrip DEV [COUNT]   random pattern RAM -> edu buffer -> RAM
 *                                   (another page); exit 0 if it matches
 *   dmatool dma DEV SRC DST COUNT CMD  one raw edu DMA (CMD 1: RAM->edu,
 *                                   3: edu->RAM), waits for its end
 *   dmatool hold PREFIX SECONDS LO HI  a canary page whose physical address
 *                                   is outside [LO, HI): writes it to
 *                                   PREFIX.pa, waits for PREFIX.stop (at most
 *                                   SECONDS), writes "unchanged ..." or
 *                                   "CHANGED ..." to PREFIX.res
 *   dmatool giveback SBDF           (dom0) XEN_DOMCTL_deassign_device of the
 *                                   PCI function from quarantine (DOMID_IO)
 *                                   to dom0, what `xl pci-assignable-remove`
 *                                   does: pcipt has no command for it
 *
 * edu's DMA registers (QEMU docs/specs/edu.rst): 0x80 src, 0x88 dst,
 * 0x90 count, 0x98 cmd (bit 0 start/busy, bit 1 edu->RAM); its buffer is at
 * 0x40000 in its DMA space, 4096 bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EDU_BUF 0x40000u
#define EDU_BUF_SIZE 4096u

static long page;

static uint64_t phys(const void *va)
{
    uint64_t e = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)va / page) * 8) != 8) {
        perror("pagemap");
        exit(2);
    }
    close(fd);
    if (!(e >> 63) || !(e & ((1ULL << 55) - 1))) {
        fprintf(stderr, "pagemap: no frame for %p (entry %#llx; root needed)\n", va,
                (unsigned long long)e);
        exit(2);
    }
    return (e & ((1ULL << 55) - 1)) * page + (uintptr_t)va % page;
}

static uint8_t *pages(size_t n)
{
    uint8_t *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                      MAP_POPULATE, -1, 0);

    if (p == MAP_FAILED || mlock(p, n * page)) {
        perror("mmap/mlock");
        exit(2);
    }
    memset(p, 0, n * page);
    return p;
}

static volatile uint32_t *bar0(const char *dev)
{
    char path[512];
    int fd;
    void *m;

    snprintf(path, sizeof(path), "%s/resource0", dev);
    if ((fd = open(path, O_RDWR | O_SYNC)) < 0) {
        perror(path);
        exit(2);
    }
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap resource0");
        exit(2);
    }
    return m;
}

static int bus_master(const char *dev, int set)
{
    char path[512];
    uint16_t cmd = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/config", dev);
    if ((fd = open(path, O_RDWR)) < 0 || pread(fd, &cmd, 2, 4) != 2) {
        perror(path);
        exit(2);
    }
    if (set >= 0) {
        cmd = set ? cmd | 4 : cmd & ~4;
        if (pwrite(fd, &cmd, 2, 4) != 2) {
            perror("config write");
            exit(2);
        }
        cmd = 0;
        if (pread(fd, &cmd, 2, 4) != 2)
            exit(2);
    }
    close(fd);
    return cmd >> 2 & 1;
}

static void msleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* one DMA; 0 when edu reports it done within 10 s */
static int edu_dma(volatile uint32_t *r, uint64_t src, uint64_t dst, uint32_t count,
                   uint32_t cmd)
{
    r[0x80 / 4] = (uint32_t)src;
    r[0x84 / 4] = (uint32_t)(src >> 32);
    r[0x88 / 4] = (uint32_t)dst;
    r[0x8c / 4] = (uint32_t)(dst >> 32);
    r[0x90 / 4] = count;
    r[0x98 / 4] = cmd | 1;
    for (int i = 0; i < 1000; i++) {
        if (!(r[0x98 / 4] & 1))
            return 0;
        msleep(10);
    }
    fprintf(stderr, "edu DMA %#llx -> %#llx still busy after 10 s\n", (unsigned long long)src,
            (unsigned long long)dst);
    return -1;
}

static int roundtrip(const char *dev, uint32_t count)
{
    volatile uint32_t *r = bar0(dev);
    uint8_t *b = pages(2), *src = b, *dst = b + page;
    uint64_t ps = phys(src), pd = phys(dst);
    size_t diff = count, same0 = 0;
    int fd = open("/dev/urandom", O_RDONLY);

    if (count > EDU_BUF_SIZE || count > (uint32_t)page)
        count = EDU_BUF_SIZE;
    if (fd < 0 || read(fd, src, count) != (ssize_t)count)
        exit(2);
    close(fd);
    if (r[0] != 0x010000ed)
        fprintf(stderr, "warning: edu ID reads %#x\n", r[0]);
    if (edu_dma(r, ps, EDU_BUF, count, 1) || edu_dma(r, EDU_BUF, pd, count, 3))
        return 2;
    for (size_t i = 0; i < count; i++)
        if (dst[i] != src[i] && diff == count)
            diff = i;
    for (size_t i = 0; i < count; i++)
        same0 += dst[i] == 0;
    printf("roundtrip %s: %u random bytes from RAM %#llx to edu 0x%x and back to RAM %#llx; "
           "bus master %d; ", diff == count ? "ok" : "MISMATCH", count, (unsigned long long)ps,
           EDU_BUF, (unsigned long long)pd, bus_master(dev, -1));
    if (diff == count)
        printf("all %u bytes match\n", count);
    else
        printf("first difference at byte %zu; destination %s\n", diff,
               same0 == count ? "unchanged (all zero)" : "partly written");
    return diff == count ? 0 : 1;
}

static int hold(const char *prefix, int secs, uint64_t lo, uint64_t hi)
{
    enum { N = 256 };
    uint8_t *b = pages(N), *c = NULL;
    uint64_t pa = 0;
    char path[512], tmp[520];
    FILE *f;
    size_t diff = (size_t)page;

    for (size_t i = 0; i < (size_t)N * page; i++)
        b[i] = (uint8_t)(0x5a ^ (i * 7));
    for (int i = 0; i < N && !c; i++) {
        pa = phys(b + (size_t)i * page);
        if (pa + page <= lo || pa >= hi)
            c = b + (size_t)i * page;
    }
    if (!c) {
        fprintf(stderr, "hold: no page outside [%#llx, %#llx)\n", (unsigned long long)lo,
                (unsigned long long)hi);
        return 2;
    }
    snprintf(path, sizeof(path), "%s.pa", prefix);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return 2;
    fprintf(f, "0x%llx\n", (unsigned long long)pa);
    fclose(f);
    rename(tmp, path);
    snprintf(path, sizeof(path), "%s.stop", prefix);
    for (int i = 0; i < secs * 10 && access(path, F_OK); i++)
        msleep(100);
    for (size_t i = 0; i < (size_t)page && diff == (size_t)page; i++)
        if (c[i] != (uint8_t)(0x5a ^ ((c - b + i) * 7)))
            diff = i;
    snprintf(path, sizeof(path), "%s.res", prefix);
    if (!(f = fopen(path, "w")))
        return 2;
    if (diff == (size_t)page)
        fprintf(f, "unchanged: all %ld bytes of the canary page at 0x%llx\n", page,
                (unsigned long long)pa);
    else
        fprintf(f, "CHANGED: canary page at 0x%llx differs from byte %zu\n",
                (unsigned long long)pa, diff);
    fclose(f);
    return diff == (size_t)page ? 0 : 1;
}

/* Xen 4.17's public domctl ABI (xen/include/public/domctl.h, xen.h) */
#define HYPERVISOR_domctl 36
#define DOMCTL_INTERFACE_VERSION 0x15
#define DOMCTL_deassign_device 47
#define DOMID_IO 0x7ff1
struct privcmd_hypercall { uint64_t op, arg[5]; };
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

static int giveback(const char *sbdf)
{
    unsigned seg, bus, dev, fn;
    uint8_t *b = pages(1);
    struct privcmd_hypercall h = { .op = HYPERVISOR_domctl, .arg = { (uintptr_t)b } };
    uint32_t v;
    int fd, rc;

    if (sscanf(sbdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
        return 2;
    v = DOMCTL_deassign_device; memcpy(b, &v, 4);          /* cmd */
    v = DOMCTL_INTERFACE_VERSION; memcpy(b + 4, &v, 4);   /* interface_version */
    *(uint16_t *)(b + 8) = DOMID_IO;                        /* domain */
    v = 0; memcpy(b + 16, &v, 4);                           /* u.assign_device.dev: PCI */
    v = seg << 16 | bus << 8 | dev << 3 | fn; memcpy(b + 24, &v, 4);   /* u.pci.machine_sbdf */
    if ((fd = open("/dev/xen/privcmd", O_RDWR)) < 0) {
        perror("/dev/xen/privcmd");
        return 2;
    }
    rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
    printf("deassign %s from DOMID_IO: %s\n", sbdf, rc < 0 ? strerror(errno) : "ok");
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    page = sysconf(_SC_PAGESIZE);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "bm")) {
        printf("%d\n", bus_master(argv[2], argc > 3 ? atoi(argv[3]) : -1));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "roundtrip"))
        return roundtrip(argv[2], argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 4096);
    if (argc == 7 && !strcmp(argv[1], "dma")) {
        volatile uint32_t *r = bar0(argv[2]);
        return edu_dma(r, strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0),
                       (uint32_t)strtoul(argv[5], NULL, 0), (uint32_t)strtoul(argv[6], NULL, 0))
            ? 2 : 0;
    }
    if (argc == 3 && !strcmp(argv[1], "giveback"))
        return giveback(argv[2]);
    if (argc == 6 && !strcmp(argv[1], "hold"))
        return hold(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
                    strtoull(argv[5], NULL, 0));
    fprintf(stderr, "usage: dmatool bm DEV [0|1] | roundtrip DEV [COUNT] | "
            "dma DEV SRC DST COUNT CMD | hold PREFIX SECONDS LO HI | giveback SBDF\n");
    return 2;
}
