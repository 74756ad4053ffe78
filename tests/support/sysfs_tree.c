/* Build a sysfs-shaped PCI tree from a dump: see sysfs_tree.h. */
#define _XOPEN_SOURCE 700
#include "tests/support/sysfs_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux include/linux/ioport.h resource flags, as sysfs `resource` prints them. */
#define IORESOURCE_IO        0x00000100ull
#define IORESOURCE_MEM       0x00000200ull
#define IORESOURCE_PREFETCH  0x00002000ull
#define IORESOURCE_READONLY  0x00004000ull
#define IORESOURCE_SIZEALIGN 0x00040000ull
#define IORESOURCE_MEM_64    0x00100000ull

/* Where alignment says the wrong thing.  addr != 0 also replaces the
 * address (Enhanced Allocation entries are not in the BAR registers). */
struct size_override {
    uint16_t vendor, device;
    unsigned index;
    uint64_t size;
    uint64_t addr;
};

#define K 1024ull
#define M (1024ull * K)
#define G (1024ull * M)
static const struct size_override overrides[] = {
    /* cap-pcie-2, Intel 82576: sizes stated in the dump's lspci text */
    { 0x8086, 0x10c9, 0, 128 * K, 0 }, { 0x8086, 0x10c9, 1, 4 * M, 0 },
    { 0x8086, 0x10c9, 3, 16 * K, 0 },  { 0x8086, 0x10c9, PCI_ROM_SLOT, 4 * M, 0 },
    /* cap-dev3, cap-l1-pm: stated in the dumps */
    { 0x16c3, 0xedda, 0, 16 * K, 0 },  { 0x8086, 0x095a, 0, 8 * K, 0 },
    /* cap-ea-1, ThunderX NIC: Enhanced Allocation entries (stated in the dump) */
    { 0x177d, 0xa01e, 0, 1 * G, 0x843000000000ull },
    { 0x177d, 0xa01e, 4, 1 * M, 0x843060000000ull },
    /* cap-vendor-virtio: stated in the dump */
    { 0x1af4, 0x1000, 1, 4 * K, 0 },   { 0x1af4, 0x1000, 2, 512 * K, 0 },
    { 0x1af4, 0x105a, 0, 16 * K, 0 },  { 0x1af4, 0x105a, 2, 1 * G, 0 },
    /* cap-rebar, AMD Fiji: Resizable BAR cap says BAR 0 is 256 MB (derived);
     * BAR 2 (doorbell) 2 MB, I/O 256 bytes, ROM 128 KB as on the real card */
    { 0x1002, 0x7300, 2, 2 * M, 0 },   { 0x1002, 0x7300, 4, 256, 0 },
    { 0x1002, 0x7300, PCI_ROM_SLOT, 128 * K, 0 },
    /* tree-fsl-p2020: QCA988x 2 MB, AR93xx 128 KB, TUSB73x0 BAR 2 8 KB */
    { 0x168c, 0x003c, 0, 2 * M, 0 },   { 0x168c, 0x0030, 0, 128 * K, 0 },
    { 0x104c, 0x8241, 2, 8 * K, 0 },
};

static const struct size_override *find_override(const struct dump_func *f, unsigned index)
{
    uint16_t v = dump_cfg16(f, 0), d = dump_cfg16(f, 2);

    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
        if (overrides[i].vendor == v && overrides[i].device == d && overrides[i].index == index)
            return &overrides[i];
    return NULL;
}

/* Number of BAR registers by header type (PCI 3.0 §6.1; PCI-PCI bridge 1.2 §3.2). */
static unsigned num_bars(const struct dump_func *f)
{
    switch (dump_cfg8(f, 0x0e) & 0x7f) {
    case 0: return 6;
    case 1: return 2;
    case 2: return 1;
    default: return 0;
    }
}

static unsigned rom_offset(const struct dump_func *f)
{
    return (dump_cfg8(f, 0x0e) & 0x7f) == 1 ? 0x38 : 0x30;
}

/* Raw address of BAR i as programmed (0 = unassigned). */
static void decode_bar(const struct dump_func *f, unsigned i, struct host_bar *b, unsigned *skip)
{
    uint32_t raw = dump_cfg32(f, 0x10 + 4 * i);

    *skip = 0;
    memset(b, 0, sizeof(*b));
    if (raw & 1) {                                   /* I/O space indicator */
        b->type = BAR_IO;
        b->addr = raw & ~3u;
        return;
    }
    b->prefetchable = raw & 8;
    b->addr = raw & ~0xfu;
    if (((raw >> 1) & 3) == 2 && i + 1 < num_bars(f)) {   /* 64-bit: next register is the upper half */
        b->type = BAR_MEM64;
        b->addr |= (uint64_t)dump_cfg32(f, 0x10 + 4 * (i + 1)) << 32;
        *skip = 1;
    } else {
        b->type = BAR_MEM32;
    }
}

static uint64_t pow2_floor(uint64_t v)
{
    while (v & (v - 1))
        v &= v - 1;
    return v;
}

/* Lowest set bit of the address, capped so that it does not reach the
 * next BAR of the same function; I/O BARs at most 256 bytes (PCI 3.0
 * §6.2.5.1: devices should not request more than 256 bytes per I/O BAR). */
uint64_t tree_derive_size(const struct dump_func *f, unsigned index, uint64_t addr, bool io)
{
    uint64_t size = addr & -addr;
    struct host_bar other;
    unsigned skip;

    if (!addr)
        return 0;
    for (unsigned i = 0; i < num_bars(f) + 1; i += 1 + skip) {
        uint64_t next;
        skip = 0;
        if (i == num_bars(f)) {
            uint32_t rom = dump_cfg32(f, rom_offset(f));
            if (io || index == PCI_ROM_SLOT)
                continue;
            next = rom & ~0x7ffu;
        } else {
            decode_bar(f, i, &other, &skip);
            if (i == index || (other.type == BAR_IO) != io)
                continue;
            next = other.addr;
        }
        if (next > addr && next - addr < size)
            size = pow2_floor(next - addr);
    }
    if (io && size > 256)
        size = 256;
    return size;
}

static void size_bar(const struct dump_func *f, unsigned i, struct host_bar *b)
{
    const struct size_override *o = find_override(f, i);

    if (o && o->addr)
        b->addr = o->addr;
    if (!b->addr) {
        b->size = 0;
        return;
    }
    b->size = o ? o->size : tree_derive_size(f, i, b->addr, b->type == BAR_IO);
}

void tree_bars(const struct dump_func *f, struct host_bar bars[PCI_NUM_RES])
{
    unsigned n = num_bars(f), skip;
    uint32_t rom;

    memset(bars, 0, sizeof(struct host_bar) * PCI_NUM_RES);
    for (unsigned i = 0; i < n; i += 1 + skip) {
        decode_bar(f, i, &bars[i], &skip);
        size_bar(f, i, &bars[i]);
    }
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {   /* EA-only entries */
        const struct size_override *o = find_override(f, i);
        if (o && o->addr && bars[i].type == BAR_NONE) {
            bars[i].type = BAR_MEM32;
            size_bar(f, i, &bars[i]);
        }
    }
    rom = dump_cfg32(f, rom_offset(f));
    if (rom & ~0x7ffu) {
        bars[PCI_ROM_SLOT].type = BAR_ROM;
        bars[PCI_ROM_SLOT].addr = rom & ~0x7ffu;
        size_bar(f, PCI_ROM_SLOT, &bars[PCI_ROM_SLOT]);
    }
    for (unsigned i = 0; i < PCI_NUM_RES; i++)
        if (!bars[i].size)
            bars[i].type = BAR_NONE;
}

static int put_file(const char *dir, const char *name, const void *data, size_t len,
                    char *err, size_t errlen)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp)) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

static int put_fmt(const char *dir, const char *name, char *err, size_t errlen,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int put_fmt(const char *dir, const char *name, char *err, size_t errlen,
                   const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return put_file(dir, name, buf, (size_t)n, err, errlen);
}

static int mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[512];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "%s: %s", buf, strerror(errno));
    return -errno;
}

/* One `resource` line per resource, "0x%016llx 0x%016llx 0x%016llx" as
 * Linux's resource_show() prints it; 13 lines (BARs, ROM, IOV BARs). */
static void format_resource(const struct dump_func *f, char *buf, size_t len)
{
    struct host_bar bars[PCI_NUM_RES];
    size_t off = 0;

    tree_bars(f, bars);
    for (unsigned i = 0; i < 13; i++) {
        unsigned long long start = 0, end = 0, flags = 0;
        if (i < PCI_NUM_RES && bars[i].type != BAR_NONE) {
            const struct host_bar *b = &bars[i];
            uint32_t raw = i < PCI_ROM_SLOT ? dump_cfg32(f, 0x10 + 4 * i) : 0;
            start = b->addr;
            end = b->addr + b->size - 1;
            if (b->type == BAR_IO)
                flags = IORESOURCE_IO | IORESOURCE_SIZEALIGN | (raw & 3);
            else if (b->type == BAR_ROM)
                flags = IORESOURCE_MEM | IORESOURCE_READONLY | IORESOURCE_PREFETCH |
                        IORESOURCE_SIZEALIGN;
            else
                flags = IORESOURCE_MEM | IORESOURCE_SIZEALIGN | (raw & 0xf) |
                        (b->prefetchable ? IORESOURCE_PREFETCH : 0) |
                        (b->type == BAR_MEM64 ? IORESOURCE_MEM_64 : 0);
        }
        off += (size_t)snprintf(buf + off, len - off, "0x%016llx 0x%016llx 0x%016llx\n",
                                start, end, flags);
    }
}

/* resourceN of each memory BAR, a sparse regular file of the BAR's size
 * (Linux's resourceN is the BAR to mmap: pcipt/host/hostpci_bar.c). */
static int add_resource_files(const struct dump_func *f, const char *devdir, char *err,
                              size_t errlen)
{
    struct host_bar bars[PCI_NUM_RES];
    char path[512];

    tree_bars(f, bars);
    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        if (bars[i].type != BAR_MEM32 && bars[i].type != BAR_MEM64)
            continue;
        snprintf(path, sizeof(path), "%s/resource%d", devdir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, (off_t)bars[i].size)) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -EIO;
        }
        close(fd);
    }
    return 0;
}

static int add_driver(const char *dir, const char *devdir, const char *drv, char *err,
                      size_t errlen)
{
    char path[512], target[300];
    int rc;

    snprintf(path, sizeof(path), "%s/drivers/%s", dir, drv);
    if ((rc = mkdirs(path, err, errlen)) || (rc = put_file(path, "bind", "", 0, err, errlen)) ||
        (rc = put_file(path, "unbind", "", 0, err, errlen)))
        return rc;
    snprintf(path, sizeof(path), "%s/driver", devdir);
    snprintf(target, sizeof(target), "../../drivers/%s", drv);
    if (symlink(target, path) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    return 0;
}

int sysfs_tree_add(const char *dir, const struct dump_func *f, const struct tree_opts *o,
                   char *err, size_t errlen)
{
    char devdir[400], name[SBDF_STR_LEN], res[13 * 60];
    bool type0 = (dump_cfg8(f, 0x0e) & 0x7f) == 0;
    const char *drv = o->driver == TREE_DRIVER_FROM_DUMP ? (f->driver[0] ? f->driver : NULL)
                                                         : o->driver;
    unsigned irq = dump_cfg8(f, 0x3d) ? dump_cfg8(f, 0x3c) : 0;
    int rc;

    snprintf(devdir, sizeof(devdir), "%s/devices/%s", dir, sbdf_format(&f->addr, name));
    format_resource(f, res, sizeof(res));
    if ((rc = mkdirs(devdir, err, errlen)) ||
        (rc = put_file(devdir, "config", f->cfg, f->cfg_size, err, errlen)) ||
        (rc = put_file(devdir, "resource", res, strlen(res), err, errlen)) ||
        (rc = put_fmt(devdir, "vendor", err, errlen, "0x%04x\n", dump_cfg16(f, 0))) ||
        (rc = put_fmt(devdir, "device", err, errlen, "0x%04x\n", dump_cfg16(f, 2))) ||
        (rc = put_fmt(devdir, "class", err, errlen, "0x%06x\n", dump_cfg32(f, 8) >> 8)) ||
        (rc = put_fmt(devdir, "revision", err, errlen, "0x%02x\n", dump_cfg8(f, 8))) ||
        (rc = put_fmt(devdir, "subsystem_vendor", err, errlen, "0x%04x\n",
                      type0 ? dump_cfg16(f, 0x2c) : 0)) ||
        (rc = put_fmt(devdir, "subsystem_device", err, errlen, "0x%04x\n",
                      type0 ? dump_cfg16(f, 0x2e) : 0)) ||
        (rc = put_fmt(devdir, "irq", err, errlen, "%u\n", irq)) ||
        (rc = put_fmt(devdir, "numa_node", err, errlen, "-1\n")) ||
        (rc = put_fmt(devdir, "driver_override", err, errlen, "(null)\n")) ||
        (rc = put_file(dir, "drivers_probe", "", 0, err, errlen)) ||
        (rc = add_resource_files(f, devdir, err, errlen)))
        return rc;
    if (o->reset_method &&
        (rc = put_fmt(devdir, "reset_method", err, errlen, "%s%s", o->reset_method,
                      o->reset_method[0] ? "\n" : "")))
        return rc;
    /* Linux shows `reset` when the function has a reset method; here a
     * plain file that keeps what was written (tests read it back). */
    if (o->reset_method && o->reset_method[0] &&
        (rc = put_file(devdir, "reset", "", 0, err, errlen)))
        return rc;
    if (drv && (rc = add_driver(dir, devdir, drv, err, errlen)))
        return rc;
    return 0;
}

int sysfs_tree_from_dump(const char *dir, const char *dump_path, const struct tree_opts *o,
                         char *err, size_t errlen)
{
    struct dump d;
    int rc = dump_load(dump_path, &d, err, errlen);

    for (unsigned i = 0; !rc && i < d.n; i++)
        rc = sysfs_tree_add(dir, &d.f[i], o, err, errlen);
    dump_free(&d);
    return rc;
}

int sysfs_tree_mkdtemp(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/pcipt-tree.XXXXXX");
    return mkdtemp(dir) ? 0 : -errno;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path) ? 0 : 0;
}

void sysfs_tree_remove(const char *dir)
{
    if (dir && dir[0] && strncmp(dir, "/tmp/", 5) == 0)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
