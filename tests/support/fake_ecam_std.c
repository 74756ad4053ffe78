/* The fake ECAM bus's standard topology and the tests' guest config. */
#include "tests/support/fake_ecam.h"

static void std_dev0(struct fake_ecam *fe, uint8_t bus)
{
    struct fake_fn *f = fake_fn_add(fe, bus, 0, 0, 0x1234, 0x11e8, 0x00ff00, 0x10);

    fake_fn_set(f, 0x2c, 2, 0x1af4);
    fake_fn_set(f, 0x2e, 2, 0x1100);
    fake_fn_set(f, 0x3d, 1, 1);                       /* INTA */
    fake_fn_set(f, 0x04, 2, 0x0002);                  /* firmware left Mem on */
    fake_fn_bar(f, 0, 1 << 20, 0, 0x23400000);
    fake_fn_bar(f, 2, 16 << 20, FAKE_BAR_64 | FAKE_BAR_PREF, 0);
    fake_fn_rom(f, 64 << 10);
    fake_fn_pm(f, 0x40);
    fake_fn_msi(f, 0x50, true, true, 2);
    fake_fn_pcie(f, 0x70, 0);
    fake_fn_msix(f, 0xb0, 8, 0, 0x80000, 0x81000);
    fake_fn_ext_cap(f, 0x100, 0x0001, 2);             /* AER */
    fake_fn_ext_cap(f, 0x148, 0x0003, 1);             /* DSN */
}

static void std_dev2(struct fake_ecam *fe, uint8_t bus)
{
    struct fake_fn *f = fake_fn_add(fe, bus, 2, 0, 0x8086, 0x10d3, 0x020000, 0);

    fake_fn_set(f, 0x0e, 1, 0x80);                    /* multi-function */
    fake_fn_set(f, 0x3d, 1, 1);
    fake_fn_bar(f, 0, 128 << 10, 0, 0);
    fake_fn_bar(f, 1, 32, FAKE_BAR_IO, 0);
    fake_fn_bar(f, 2, 16 << 10, FAKE_BAR_64, 0);      /* 64-bit, non-prefetchable */
    fake_fn_msi(f, 0x60, false, false, 0);

    f = fake_fn_add(fe, bus, 2, 1, 0x8086, 0x10d4, 0x0c0330, 1);
    fake_fn_set(f, 0x3d, 1, 2);
    fake_fn_bar(f, 0, 4 << 10, 0, 0);
    fake_fn_bar(f, 1, 8 << 10, FAKE_BAR_PREF, 0);     /* 32-bit prefetchable */

    f = fake_fn_add(fe, bus, 2, 3, 0x8086, 0x10d5, 0x010802, 2);
    fake_fn_bar(f, 0, 1 << 20, FAKE_BAR_64 | FAKE_BAR_PREF, 0);
    fake_fn_pcie(f, 0x40, 0);
    fake_fn_msix(f, 0x80, 4, 0, 0x2000, 0x3000);
    fake_fn_ext_cap(f, 0x100, 0x000e, 1);             /* ARI */
}

static void std_dev5(struct fake_ecam *fe, uint8_t bus)
{
    struct fake_fn *f = fake_fn_add(fe, bus, 5, 0, 0x1b36, 0x0005, 0x00ff00, 0);

    fake_fn_bar(f, 0, 4 << 10, 0, 0);
    /* 05.1 answers, but 05.0 is single-function: never scanned. */
    fake_fn_add(fe, bus, 5, 1, 0x1b36, 0x0006, 0x00ff00, 0);
}

static void std_dev7_looping(struct fake_ecam *fe, uint8_t bus)
{
    /* 07.0: capability list 40 -> 50 -> 40 ..., extended 100 -> 200 -> 100 ... */
    struct fake_fn *f = fake_fn_add(fe, bus, 7, 0, 0x1b36, 0x0099, 0x00ff00, 0);

    fake_fn_pm(f, 0x40);
    fake_fn_pcie(f, 0x50, 0);
    f->cfg[0x51] = 0x40;
    fake_fn_ext_cap(f, 0x100, 0x0001, 1);
    fake_fn_ext_cap(f, 0x200, 0x0003, 1);
    fake_fn_set(f, 0x202, 2, (fake_fn_get(f, 0x202, 2) & 0x000f) | (0x100 << 4));
}

void fake_ecam_typical(struct fake_ecam *fe)
{
    std_dev0(fe, fe->first_bus);
    std_dev2(fe, fe->first_bus);
    std_dev5(fe, fe->first_bus);
}

void fake_ecam_standard(struct fake_ecam *fe)
{
    fake_ecam_typical(fe);
    std_dev7_looping(fe, fe->first_bus);
}

struct guest_enum_config fake_ecam_config(uint8_t first, uint8_t last)
{
    return (struct guest_enum_config){
        .ecam_base = 0x10000000,
        .bus_first = first,
        .bus_last = last,
        .mem32 = { 0x23000000, 0x10000000 },
        .pref64 = { 0x100000000ull, 0x100000000ull },
        .msi_doorbell = 0x08090040,
        .msi_event_base = 0x20,
        .flags = GUEST_ENUM_ENABLE_MSI | GUEST_ENUM_BUS_MASTER | GUEST_ENUM_REASSIGN,
    };
}
