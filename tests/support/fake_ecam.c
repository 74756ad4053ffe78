/* The fake ECAM bus (see fake_ecam.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/fake_ecam.h"

struct fake_ecam *fake_ecam_new(uint64_t base, uint8_t first_bus, unsigned nbuses)
{
    struct fake_ecam *fe = calloc(1, sizeof(*fe));

    if (fe) {
        fe->base = base;
        fe->first_bus = first_bus;
        fe->nbuses = nbuses;
    }
    return fe;
}

void fake_ecam_free(struct fake_ecam *fe)
{
    free(fe);
}

struct fake_fn *fake_ecam_find(struct fake_ecam *fe, uint8_t bus, uint8_t dev, uint8_t fn)
{
    for (unsigned i = 0; i < fe->nfns; i++)
        if (fe->fns[i].bus == bus && fe->fns[i].dev == dev && fe->fns[i].fn == fn)
            return &fe->fns[i];
    return NULL;
}

void fake_fn_set(struct fake_fn *f, unsigned off, unsigned size, uint32_t val)
{
    for (unsigned i = 0; i < size; i++)
        f->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

uint32_t fake_fn_get(const struct fake_fn *f, unsigned off, unsigned size)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    return v;
}

static void set_wmask(struct fake_fn *f, unsigned off, unsigned size, uint32_t mask)
{
    for (unsigned i = 0; i < size; i++)
        f->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

struct fake_fn *fake_fn_add(struct fake_ecam *fe, uint8_t bus, uint8_t dev, uint8_t fn,
                            uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t rev)
{
    struct fake_fn *f;

    if (fe->nfns == FAKE_ECAM_MAX_FNS)
        abort();
    f = &fe->fns[fe->nfns++];
    memset(f, 0, sizeof(*f));
    f->bus = bus;
    f->dev = dev;
    f->fn = fn;
    fake_fn_set(f, 0x00, 2, vendor);
    fake_fn_set(f, 0x02, 2, device);
    fake_fn_set(f, 0x08, 4, class_code << 8 | rev);
    set_wmask(f, 0x04, 2, 0x0407);
    set_wmask(f, 0x3c, 1, 0xff);
    return f;
}

void fake_fn_bar(struct fake_fn *f, unsigned idx, uint64_t size, unsigned flags, uint64_t addr)
{
    unsigned reg = 0x10 + 4 * idx;
    uint64_t mask = ~(size - 1);
    uint32_t low_bits = flags & FAKE_BAR_IO ? 1u : (flags & FAKE_BAR_64 ? 4u : 0) |
                                                  (flags & FAKE_BAR_PREF ? 8u : 0);

    set_wmask(f, reg, 4, (uint32_t)mask & (flags & FAKE_BAR_IO ? ~3u : ~0xfu));
    fake_fn_set(f, reg, 4, ((uint32_t)addr & (uint32_t)mask) | low_bits);
    if (flags & FAKE_BAR_64) {
        f->bar64_dwords |= (uint8_t)(3u << idx);
        set_wmask(f, reg + 4, 4, (uint32_t)(mask >> 32));
        fake_fn_set(f, reg + 4, 4, (uint32_t)(addr >> 32));
    }
}

void fake_fn_rom(struct fake_fn *f, uint32_t size)
{
    set_wmask(f, 0x30, 4, (~(size - 1) & 0xfffff800u) | 1u);
}

void fake_fn_cap(struct fake_fn *f, uint16_t off, uint8_t id)
{
    f->cfg[0x06] |= 0x10;
    if (f->last_cap)
        f->cfg[f->last_cap + 1] = (uint8_t)off;
    else
        f->cfg[0x34] = (uint8_t)off;
    f->cfg[off] = id;
    f->cfg[off + 1] = 0;
    f->last_cap = off;
}

void fake_fn_pm(struct fake_fn *f, uint16_t off)
{
    fake_fn_cap(f, off, 0x01);
    fake_fn_set(f, off + 2, 2, 0x0003);       /* PM 1.2 */
    set_wmask(f, off + 4, 2, 0x0103);         /* PowerState, PME_En */
}

void fake_fn_pcie(struct fake_fn *f, uint16_t off, uint8_t port_type)
{
    fake_fn_cap(f, off, 0x10);
    fake_fn_set(f, off + 2, 2, 0x0002 | (uint16_t)(port_type << 4));
}

void fake_fn_msi(struct fake_fn *f, uint16_t off, bool is64, bool maskable, unsigned mmc_log2)
{
    unsigned data = off + (is64 ? 12 : 8);

    fake_fn_cap(f, off, 0x05);
    fake_fn_set(f, off + 2, 2, (is64 ? 0x80 : 0) | (maskable ? 0x100 : 0) | (mmc_log2 << 1));
    set_wmask(f, off + 2, 2, 0x0071);         /* Enable, Multiple Message Enable */
    set_wmask(f, off + 4, 4, 0xfffffffcu);
    if (is64)
        set_wmask(f, off + 8, 4, 0xffffffffu);
    set_wmask(f, data, 2, 0xffff);
    if (maskable)
        set_wmask(f, data + 4, 4, (1u << (1u << mmc_log2)) - 1);
}

void fake_fn_msix(struct fake_fn *f, uint16_t off, uint16_t entries, uint8_t bir,
                  uint32_t table_off, uint32_t pba_off)
{
    fake_fn_cap(f, off, 0x11);
    fake_fn_set(f, off + 2, 2, (uint16_t)(entries - 1));
    set_wmask(f, off + 2, 2, 0xc000);         /* Enable, Function Mask */
    fake_fn_set(f, off + 4, 4, table_off | bir);
    fake_fn_set(f, off + 8, 4, pba_off | bir);
}

void fake_fn_ext_cap(struct fake_fn *f, uint16_t off, uint16_t id, uint8_t ver)
{
    if (f->last_ext) {
        uint32_t h = fake_fn_get(f, f->last_ext, 4);
        fake_fn_set(f, f->last_ext, 4, (h & 0x000fffffu) | (uint32_t)off << 20);
    }
    fake_fn_set(f, off, 4, id | (uint32_t)ver << 16);
    f->last_ext = off;
}

static struct fake_fn *decode(struct fake_ecam *fe, uint64_t gpa, unsigned size, int *rc,
                              unsigned *reg)
{
    uint64_t off = gpa - fe->base;

    *rc = 0;
    if (gpa < fe->base || off >= ((uint64_t)fe->nbuses << 20)) {
        *rc = -EFAULT;                        /* nothing decodes there */
        return NULL;
    }
    if ((size != 1 && size != 2 && size != 4) || (gpa & (size - 1))) {
        *rc = -EINVAL;
        return NULL;
    }
    *reg = off & 0xfff;
    return fake_ecam_find(fe, (uint8_t)(fe->first_bus + (off >> 20)), (off >> 15) & 31,
                          (off >> 12) & 7);
}

static int fake_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct fake_ecam *fe = ctx;
    unsigned reg = 0;
    int rc;
    struct fake_fn *f = decode(fe, gpa, size, &rc, &reg);

    fe->reads++;
    if (rc) {
        fe->aborts++;
        return rc;
    }
    *val = f ? fake_fn_get(f, reg, size) : (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
    return 0;
}

static bool is_bar_dword(unsigned reg)
{
    return (reg >= 0x10 && reg < 0x28) || reg == 0x30;
}

/* Check a 4-byte BAR/ROM write made while memory decode is on. */
static void note_decoding_write(struct fake_ecam *fe, const struct fake_fn *f, unsigned reg,
                                unsigned size, uint64_t val)
{
    uint32_t wm = 0;

    if (!(f->cfg[0x04] & 0x02) || size != 4 || !is_bar_dword(reg))
        return;
    for (unsigned i = 0; i < 4; i++)
        wm |= (uint32_t)f->wmask[reg + i] << (8 * i);
    if (wm && ((uint32_t)val & wm) == wm)
        fe->probes_decoding++;
    if (reg != 0x30 && (f->bar64_dwords & (1u << ((reg - 0x10) / 4))))
        fe->bar64_writes_decoding++;
}

static int fake_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct fake_ecam *fe = ctx;
    unsigned reg = 0;
    int rc;
    struct fake_fn *f = decode(fe, gpa, size, &rc, &reg);

    fe->writes++;
    if (rc) {
        fe->aborts++;
        return rc;
    }
    if (!f)
        return 0;
    note_decoding_write(fe, f, reg, size, val);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i)), m = f->wmask[reg + i];
        f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | (b & m));
    }
    return 0;
}

const struct guest_bus_ops fake_ecam_ops = { .read = fake_read, .write = fake_write };
