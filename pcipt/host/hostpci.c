/* Host PCI functions through libpci (sysfs backend): see hostpci.h. */
#include "pcipt/host/hostpci.h"

#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbridge/common/log.h"
#include "pcipt/host/hostpci_bar.h"
#include "pcipt/host/sysfs_attr.h"

struct hostpci {
    struct pci_access *acc;
    struct pci_dev *dev;
    char root[256];                 /* the sysfs.path (DIR with devices/) */
    char devdir[320];               /* root/devices/SSSS:BB:DD.F */
    char name[SBDF_STR_LEN];
    struct hostpci_info info;
    struct host_dev hd;
    struct hostpci_bars bars;       /* resourceN mappings (MSI-X pages) */
};

/* libpci reports fatal errors through a callback that must not return:
 * turn them into a longjmp back to the guarded call and a message. */
static __thread jmp_buf *lp_jmp;
static __thread char lp_msg[256];

static void __attribute__((noreturn, format(printf, 1, 2))) lp_error(char *msg, ...)
{
    va_list ap;

    va_start(ap, msg);
    vsnprintf(lp_msg, sizeof(lp_msg), msg, ap);
    va_end(ap);
    if (lp_jmp)
        longjmp(*lp_jmp, 1);
    fprintf(stderr, "pcipt: libpci: %s\n", lp_msg);
    exit(1);
}

static void __attribute__((format(printf, 1, 2))) lp_warning(char *msg, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, msg);
    vsnprintf(buf, sizeof(buf), msg, ap);
    va_end(ap);
    log_debug("libpci: %s", buf);
}

static void __attribute__((format(printf, 1, 2))) lp_debug(char *msg, ...)
{
    (void)msg;
}

const char *bar_type_name(enum bar_type t)
{
    switch (t) {
    case BAR_MEM32: return "mem32";
    case BAR_MEM64: return "mem64";
    case BAR_IO: return "io";
    case BAR_ROM: return "rom";
    default: return "none";
    }
}

static struct pci_access *lp_alloc(const char *root)
{
    struct pci_access *acc = pci_alloc();

    acc->method = PCI_ACCESS_SYS_BUS_PCI;
    acc->error = lp_error;
    acc->warning = lp_warning;
    acc->debug = lp_debug;
    pci_set_param(acc, "sysfs.path", (char *)root);
    return acc;
}

/* --- config access through libpci ------------------------------------ */

/* pci_read_block/pci_write_block, with a libpci fatal error (which must
 * not end the daemon) turned into a failed access. */
static int guarded_block(struct hostpci *hp, unsigned off, uint8_t *b, unsigned size, bool write)
{
    jmp_buf jb, *volatile saved = lp_jmp;
    volatile int ok = 0;

    lp_jmp = &jb;
    if (setjmp(jb) == 0)
        ok = write ? pci_write_block(hp->dev, (int)off, b, (int)size)
                   : pci_read_block(hp->dev, (int)off, b, (int)size);
    else
        log_warn("%s: config %s at 0x%x failed: %s", hp->name, write ? "write" : "read", off,
                 lp_msg);
    lp_jmp = saved;
    return ok;
}

static int cfg_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
    struct hostpci *hp = ctx;
    uint8_t b[4] = { 0 };

    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > hp->hd.cfg_size)
        return -EINVAL;
    if (!guarded_block(hp, off, b, size, false))
        return -EIO;
    *val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int cfg_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    struct hostpci *hp = ctx;
    uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
                     (uint8_t)(val >> 24) };

    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > hp->hd.cfg_size)
        return -EINVAL;
    return guarded_block(hp, off, b, size, true) ? 0 : -EIO;
}

static int bar_read(void *ctx, int bar, uint64_t off, unsigned size, uint64_t *val)
{
    struct hostpci *hp = ctx;
    return hostpci_bar_access(&hp->bars, hp->devdir, &hp->hd, bar, off, size, val, false);
}

static int bar_write(void *ctx, int bar, uint64_t off, unsigned size, uint64_t val)
{
    struct hostpci *hp = ctx;
    return hostpci_bar_access(&hp->bars, hp->devdir, &hp->hd, bar, off, size, &val, true);
}

static const struct host_cfg_ops hostpci_ops = { .read = cfg_read, .write = cfg_write,
                                                 .bar_read = bar_read, .bar_write = bar_write };

/* --- BARs from the sysfs `resource` file (read by libpci) --------------- */

/* libpci reports a malformed `resource` line as a fatal error while it
 * still holds the file open, so the longjmp out of it leaked a FILE and its
 * descriptor per call (found by fuzz_sysfs, docs/testing/fuzz.md "Found and fixed" F8).  Refuse
 * such a file before libpci reads it: every line must be "start end flags"
 * in hex, as Linux writes them (56 bytes, one per resource). */
#define RESOURCE_LINE_MAX 200

static int check_resource_file(const char *root, const char *devdir, const char *name, char *err,
                               size_t errlen)
{
    char path[400], line[RESOURCE_LINE_MAX + 2];
    unsigned long long a, b, c;
    FILE *fp;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/resource", devdir);
    if (!(fp = fopen(path, "r"))) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read it under %s: %s: %s", name, root, path,
                 strerror(e));
        return -e;
    }
    for (unsigned n = 1; fgets(line, sizeof(line), fp); n++) {
        if ((!strchr(line, '\n') && !feof(fp)) ||
            sscanf(line, "%llx %llx %llx", &a, &b, &c) != 3) {
            snprintf(err, errlen, "%s: cannot read it under %s: %s line %u is not 'start end "
                     "flags' in hex", name, root, path, n);
            rc = -EINVAL;
            break;
        }
    }
    fclose(fp);
    return rc;
}

static void fill_bar(struct host_bar *b, uint64_t flags, uint64_t addr, uint64_t size, bool rom)
{
    memset(b, 0, sizeof(*b));
    if (!size)
        return;
    b->addr = addr;
    b->size = size;
    if (rom) {
        b->type = BAR_ROM;
    } else if (flags & PCI_IORESOURCE_IO) {
        b->type = BAR_IO;
    } else if (flags & PCI_IORESOURCE_MEM) {
        b->prefetchable = flags & PCI_IORESOURCE_PREFETCH;
        /* A memory resource above 4 GiB cannot sit in a 32-bit BAR; Enhanced
         * Allocation entries carry no BAR type, so trust the address. */
        b->type = (flags & PCI_IORESOURCE_MEM_64) || addr + size - 1 > 0xffffffffull
                      ? BAR_MEM64 : BAR_MEM32;
    } else {
        b->size = 0;
        b->addr = 0;
    }
}

static void fill_bars(struct hostpci *hp)
{
    struct pci_dev *d = hp->dev;
    bool have_flags = d->known_fields & PCI_FILL_IO_FLAGS;

    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        uint64_t raw = d->base_addr[i];
        uint64_t flags = have_flags ? d->flags[i]
                         : (raw & 1) ? PCI_IORESOURCE_IO
                                     : PCI_IORESOURCE_MEM | ((raw & 4) ? PCI_IORESOURCE_MEM_64 : 0) |
                                       ((raw & 8) ? PCI_IORESOURCE_PREFETCH : 0);
        uint64_t addr = raw & ((flags & PCI_IORESOURCE_IO) ? PCI_ADDR_IO_MASK : PCI_ADDR_MEM_MASK);
        fill_bar(&hp->hd.bars[i], flags, addr, d->size[i], false);
    }
    for (unsigned i = 0; i + 1 < PCI_NUM_BARS; i++)
        if (hp->hd.bars[i].type == BAR_MEM64 && hp->hd.bars[i + 1].type == BAR_NONE)
            i++;   /* upper half stays BAR_NONE */
    fill_bar(&hp->hd.bars[PCI_ROM_SLOT], d->rom_flags, d->rom_base_addr & PCI_ADDR_MEM_MASK,
             d->rom_size, true);
}

/* --- identity ------------------------------------------------------------ */

#define FILL_FLAGS (PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS | \
                    PCI_FILL_IRQ | PCI_FILL_BASES | PCI_FILL_ROM_BASE | PCI_FILL_SIZES |     \
                    PCI_FILL_IO_FLAGS | PCI_FILL_NUMA_NODE | PCI_FILL_DRIVER)

static void fill_info(struct hostpci *hp)
{
    struct pci_dev *d = hp->dev;
    struct hostpci_info *in = &hp->info;
    char *drv = pci_get_string_property(d, PCI_FILL_DRIVER);
    uint8_t ht = pci_read_byte(d, PCI_HEADER_TYPE);
    struct stat st;
    char path[400];

    in->vendor = d->vendor_id;
    in->device = d->device_id;
    in->subsys_vendor = (d->known_fields & PCI_FILL_SUBSYS) ? d->subsys_vendor_id : 0;
    in->subsys_device = (d->known_fields & PCI_FILL_SUBSYS) ? d->subsys_id : 0;
    in->class_code = (uint32_t)d->device_class << 8 | d->prog_if;
    in->revision = d->rev_id;
    in->header_type = ht & 0x7f;
    in->multifunction = ht & 0x80;
    in->intx_pin = pci_read_byte(d, PCI_INTERRUPT_PIN);
    if (in->intx_pin > 4)
        in->intx_pin = 0;
    snprintf(in->driver, sizeof(in->driver), "%s", drv ? drv : "");
    in->reset_known = sysfs_read_attr(hp->devdir, "reset_method", in->reset_method,
                                sizeof(in->reset_method)) == 0;
    if (!in->reset_known)
        in->reset_method[0] = '\0';
    in->numa_node = (d->known_fields & PCI_FILL_NUMA_NODE) ? d->numa_node : -1;

    hp->hd.addr = (struct sbdf){ (uint16_t)d->domain, d->bus, d->dev, d->func };
    hp->hd.ops = &hostpci_ops;
    hp->hd.ctx = hp;
    snprintf(path, sizeof(path), "%s/config", hp->devdir);
    hp->hd.cfg_size = (stat(path, &st) == 0 && st.st_size >= PCI_CFG_SIZE) ? PCI_CFG_SIZE : 256;
    hp->hd.irq = d->irq > 0 ? (unsigned)d->irq : 0;
    fill_bars(hp);
}

int hostpci_open(const char *sysfs, const struct sbdf *addr, struct hostpci **out,
                 char *err, size_t errlen)
{
    struct hostpci *volatile hp = calloc(1, sizeof(*hp));
    jmp_buf jb;
    struct stat st;
    int rc;

    *out = NULL;
    if (!hp) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    snprintf(hp->root, sizeof(hp->root), "%s", sysfs ? sysfs : HOSTPCI_DEFAULT_SYSFS);
    sbdf_format(addr, hp->name);
    snprintf(hp->devdir, sizeof(hp->devdir), "%s/devices/%s", hp->root, hp->name);
    if (stat(hp->devdir, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no such device under %s/devices", hp->name, hp->root);
        free(hp);
        return -ENODEV;
    }
    if ((rc = check_resource_file(hp->root, hp->devdir, hp->name, err, errlen))) {
        free(hp);
        return rc;
    }
    hp->acc = lp_alloc(hp->root);
    lp_jmp = &jb;
    if (setjmp(jb)) {
        lp_jmp = NULL;
        snprintf(err, errlen, "%s: cannot read it under %s: %s", hp->name, hp->root, lp_msg);
        hostpci_close(hp);   /* libpci's lists stay consistent across its errors */
        return -EIO;
    }
    pci_init(hp->acc);
    hp->dev = pci_get_dev(hp->acc, addr->seg, addr->bus, addr->dev, addr->fn);
    pci_fill_info(hp->dev, FILL_FLAGS);
    fill_info(hp);
    lp_jmp = NULL;
    *out = hp;
    return 0;
}

void hostpci_close(struct hostpci *hp)
{
    if (!hp)
        return;
    if (hp->dev)
        pci_free_dev(hp->dev);
    pci_cleanup(hp->acc);
    hostpci_bars_unmap(&hp->bars);
    free(hp);
}

const struct hostpci_info *hostpci_info(const struct hostpci *hp)
{
    return &hp->info;
}

struct host_dev *hostpci_host_dev(struct hostpci *hp)
{
    return &hp->hd;
}

const char *hostpci_sysfs_dir(const struct hostpci *hp)
{
    return hp->devdir;
}

const char *hostpci_sysfs_root(const struct hostpci *hp)
{
    return hp->root;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The SBDFs libpci finds under root, sorted; *n set.  NULL + err on failure. */
static uint32_t *scan_addrs(const char *root, unsigned *n, char *err, size_t errlen)
{
    struct pci_access *volatile acc = lp_alloc(root);
    uint32_t *volatile list = NULL;
    volatile unsigned cnt = 0;
    jmp_buf jb;

    lp_jmp = &jb;
    if (setjmp(jb)) {
        lp_jmp = NULL;
        snprintf(err, errlen, "cannot list PCI devices under %s: %s", root, lp_msg);
        free(list);
        pci_cleanup(acc);
        return NULL;
    }
    pci_init(acc);
    pci_scan_bus(acc);
    for (struct pci_dev *d = acc->devices; d; d = d->next)
        cnt++;
    list = calloc(cnt ? cnt : 1, sizeof(uint32_t));
    if (list) {
        unsigned i = 0;
        for (struct pci_dev *d = acc->devices; d; d = d->next) {
            struct sbdf s = { (uint16_t)d->domain, d->bus, d->dev, d->func };
            list[i++] = sbdf_encode(&s);
        }
        qsort(list, cnt, sizeof(uint32_t), cmp_u32);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    lp_jmp = NULL;
    pci_cleanup(acc);
    *n = cnt;
    return list;
}

int hostpci_foreach(const char *sysfs, hostpci_cb cb, void *opaque, char *err, size_t errlen)
{
    const char *root = sysfs ? sysfs : HOSTPCI_DEFAULT_SYSFS;
    unsigned n = 0;
    uint32_t *list;
    struct stat st;
    char path[300];
    int rc = 0;

    snprintf(path, sizeof(path), "%s/devices", root);
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no such directory (is it a sysfs PCI tree?)", path);
        return -ENOENT;
    }
    list = scan_addrs(root, &n, err, errlen);
    if (!list)
        return -EIO;
    for (unsigned i = 0; i < n && !rc; i++) {
        struct sbdf s = sbdf_decode(list[i]);
        struct hostpci *hp;
        rc = hostpci_open(root, &s, &hp, err, errlen);
        if (rc)
            break;
        rc = cb(hp, opaque);
        hostpci_close(hp);
    }
    free(list);
    return rc;
}

/* --- ownership ------------------------------------------------------------ */

bool hostpci_is_holder(const char *driver)
{
    static const char *const holders[] = { "pciback", "xen-pciback", "uio_pci_generic",
                                           "vfio-pci" };
    for (size_t i = 0; driver && i < sizeof(holders) / sizeof(holders[0]); i++)
        if (!strcmp(driver, holders[i]))
            return true;
    return false;
}

/* The checks no --force or preview waives: an endpoint, BARs it can present. */
static int check_shape(const struct hostpci *hp, char *err, size_t errlen)
{
    const struct hostpci_info *in = &hp->info;
    char why[200];

    /* Header type 1 (PCI-PCI bridge) and 2 (CardBus bridge) forward a whole
     * bus: only type 0 functions are passed through. */
    if (in->header_type != 0) {
        snprintf(err, errlen, "%s is a %s (header type %u), not an endpoint; bridges cannot be "
                 "passed through", hp->name, in->header_type == 1 ? "PCI bridge"
                 : in->header_type == 2 ? "CardBus bridge" : "bridge", in->header_type);
        return -EINVAL;
    }
    if (host_dev_check_bars(&hp->hd, why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", hp->name, why);
        return -EINVAL;
    }
    return 0;
}

static bool dom0_driver(const struct hostpci_info *in)
{
    return in->driver[0] && !hostpci_is_holder(in->driver);
}

static const char *no_reset_why(const struct hostpci_info *in)
{
    return in->reset_known ? "reset_method is empty" : "no reset_method in sysfs";
}

int hostpci_check_assignable(const struct hostpci *hp, bool force, char *err, size_t errlen)
{
    const struct hostpci_info *in = &hp->info;
    int rc;

    if (in->header_type != 0)
        return check_shape(hp, err, errlen);
    if (dom0_driver(in)) {
        /* --bind rebinds to uio_pci_generic (ATTACH_HOLDER, pcipt/assign/attach.h):
         * the daemon relays INTx through its /dev/uioN. */
        snprintf(err, errlen, "%s is in use by the dom0 driver '%s'; use --bind to rebind it to "
                 "uio_pci_generic for the INTx relay (or hand it to pciback: xl pci-assignable-add; its INTx is then polled)",
                 hp->name, in->driver);
        return -EBUSY;
    }
    if ((rc = check_shape(hp, err, errlen)))
        return rc;
    if (!force && !in->reset_method[0]) {
        snprintf(err, errlen, "%s has no usable reset method (%s); the device could carry "
                 "state between guests: use --force to assign it anyway", hp->name,
                 no_reset_why(in));
        return -EOPNOTSUPP;
    }
    return 0;
}

int hostpci_check_preview(const struct hostpci *hp, char *err, size_t errlen)
{
    const struct hostpci_info *in = &hp->info;
    int rc = check_shape(hp, err, errlen);

    if (rc)
        return rc;
    if (dom0_driver(in))
        log_warn("%s is in use by the dom0 driver '%s': a real attach needs --bind (shown "
                 "as it is; nothing is changed on the host)", hp->name, in->driver);
    if (!in->reset_method[0])
        log_warn("%s has no usable reset method (%s): a real attach needs --force", hp->name,
                 no_reset_why(in));
    return 0;
}

void hostpci_refresh_driver(struct hostpci *hp)
{
    sysfs_driver_of(hp->devdir, hp->info.driver, sizeof(hp->info.driver));
}
