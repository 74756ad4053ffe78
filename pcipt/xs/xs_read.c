/* Reading the schema back, validating every value (a garbled store gives
 * -EINVAL and a sentence naming the path, never a crash). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"

static const char *const bar_type_names[] = {
    [BAR_NONE] = "none", [BAR_MEM32] = "mem32", [BAR_MEM64] = "mem64",
    [BAR_IO] = "io", [BAR_ROM] = "rom",
};

const char *xsp_bar_type_name(enum bar_type t)
{
    return (unsigned)t < sizeof(bar_type_names) / sizeof(bar_type_names[0]) ? bar_type_names[t]
                                                                             : "?";
}

bool xsp_bar_type_parse(const char *s, enum bar_type *t)
{
    for (unsigned i = BAR_MEM32; i <= BAR_ROM; i++)
        if (!strcmp(s, bar_type_names[i])) {
            *t = (enum bar_type)i;
            return true;
        }
    return false;
}

#define PAGE_SIZE_ 4096ull
/* Guest SPIs: INTIDs 32..1019 (GICv3 spec, "INTID ranges"). */
#define SPI_MIN 32u
#define SPI_MAX 1019u

static bool pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* One BAR: PCI BARs decode a power-of-two size, naturally aligned (PCI
 * Local Bus 3.0, 6.2.5.1); page-sized and larger BARs sit naturally
 * aligned in the guest too, sub-page BARs keep their in-page offset so one
 * stage-2 page maps them. */
static void check_bar(struct xsu_reader *r, const char *devpath, unsigned i,
                      const struct bar_assign *b)
{
    char p[XSW_PATH_MAX];

    xsu_path(p, "%s/bar-%u", devpath, i);
    if (b->type == BAR_NONE)
        return;
    if ((b->type == BAR_ROM) != (i == PCI_NUM_RES - 1))
        return xsu_bad(r, p, "type %s is not allowed at index %u", xsp_bar_type_name(b->type), i);
    if (b->type == BAR_MEM64 && i >= PCI_NUM_RES - 2)
        return xsu_bad(r, p, "a 64-bit BAR cannot start at index %u", i);
    if (!pow2(b->size))
        return xsu_bad(r, p, "size 0x%llx is not a power of two", (unsigned long long)b->size);
    if (b->host & (b->size - 1))
        return xsu_bad(r, p, "host address 0x%llx is not aligned to its size 0x%llx",
                       (unsigned long long)b->host, (unsigned long long)b->size);
    if (b->host + b->size - 1 < b->host || b->guest + b->size - 1 < b->guest)
        return xsu_bad(r, p, "range wraps around the address space");
    if (b->type == BAR_IO)
        return;                    /* I/O BARs are never mapped on Arm */
    if (b->size >= PAGE_SIZE_ && (b->guest & (b->size - 1)))
        return xsu_bad(r, p, "guest address 0x%llx is not aligned to its size 0x%llx",
                       (unsigned long long)b->guest, (unsigned long long)b->size);
    if (b->size < PAGE_SIZE_ && (b->guest & (PAGE_SIZE_ - 1)) != (b->host & (PAGE_SIZE_ - 1)))
        return xsu_bad(r, p, "sub-page BAR: guest address 0x%llx must keep the host's in-page "
                       "offset 0x%llx", (unsigned long long)b->guest,
                       (unsigned long long)(b->host & (PAGE_SIZE_ - 1)));
}

void xsp_check_dev(struct xsu_reader *r, const char *devpath, const struct dev_assign *d)
{
    char p[XSW_PATH_MAX];

    if (d->spi && (d->spi < SPI_MIN || d->spi > SPI_MAX)) {
        xsu_path(p, "%s/spi", devpath);
        return xsu_bad(r, p, "%u is not a guest SPI (%u..%u, or 0 for none)", d->spi, SPI_MIN,
                       SPI_MAX);
    }
    if (d->intx_pin > 4) {     /* Interrupt Pin: 0 none, 1..4 INTA..INTD */
        xsu_path(p, "%s/intx-pin", devpath);
        return xsu_bad(r, p, "%u is not an interrupt pin (0..4)", d->intx_pin);
    }
    if (d->guest.dev > 31 || d->guest.fn > 7 || d->host.dev > 31 || d->host.fn > 7)
        return xsu_bad(r, devpath, "device number above 31 or function above 7");
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        check_bar(r, devpath, i, &d->bars[i]);
        if (d->bars[i].type == BAR_MEM64 && i + 1 < PCI_NUM_RES &&
            d->bars[i + 1].type != BAR_NONE) {
            xsu_path(p, "%s/bar-%u", devpath, i + 1);
            xsu_bad(r, p, "is the upper half of 64-bit BAR %u and must be absent", i);
        }
    }
}

int xsp_num_devs(struct xsu_reader *r, const char *be, unsigned *num)
{
    char p[XSW_PATH_MAX];
    uint64_t v = 0;
    char *s;
    int rc;

    *num = 0;
    if ((rc = xsu_path(p, "%s/num_devs", be)))
        return rc;
    s = xsw_read(r->xs, r->t, p);
    if (!s) {
        if (errno == ENOENT)
            return 0;
        if (errno == EILSEQ)        /* as xsu_get: found by fuzz_xs (F4) */
            xsu_bad(r, p, "value contains a NUL byte");
        else
            xsu_fail(r, errno ? -errno : -EIO, p);
        return r->rc;
    }
    /* 0 is libxl's: removing the last device, libxl_pci.c
     * libxl__device_pci_remove_xenstore writes num_devs = 0 and only then
     * destroys the backend; a reader in between finds no device. */
    if (!xsu_parse_dec(s, PCIPT_MAX_DEVS, &v))
        xsu_bad(r, p, "'%.40s' is not a device count in 0..%d", s, PCIPT_MAX_DEVS);
    free(s);
    *num = (unsigned)v;
    return r->rc;
}

int xsp_find_dev(struct xsu_reader *r, const char *be, unsigned num, const struct sbdf *host)
{
    char p[XSW_PATH_MAX];

    for (unsigned i = 0; i < num; i++) {
        struct sbdf s;
        bool same;
        char *v;

        if (xsu_path(p, "%s/dev-%u", be, i))
            return -ENAMETOOLONG;
        if (!(v = xsw_read(r->xs, r->t, p))) {
            if (errno == EILSEQ) {  /* a NUL byte: invalid, as everywhere else (F4) */
                xsu_bad(r, p, "value contains a NUL byte");
                return r->rc;
            }
            if (errno != ENOENT)
                return errno ? -errno : -EIO;
            continue;
        }
        same = xsu_parse_bdf(v, &s) && sbdf_equal(&s, host);
        free(v);
        if (same)
            return (int)i;
    }
    return -ENOENT;
}
