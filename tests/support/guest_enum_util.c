/* Shared helpers for the simulated guest's tests. */
#include <stdlib.h>

#include "tests/support/guest_enum_util.h"
#include "tests/support/testreg.h"

struct guest_enum_result *get_run(struct fake_ecam *fe, const struct guest_enum_config *cfg)
{
    struct guest_enum_result *r = malloc(sizeof(*r));

    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(guest_enumerate(&fake_ecam_ops, fe, cfg, r), 0);
    return r;
}

struct guest_enum_result *get_standard(struct fake_ecam **fe_out)
{
    struct fake_ecam *fe = fake_ecam_new(0x10000000, 0, 1);
    struct guest_enum_config cfg = fake_ecam_config(0, 0);

    ck_assert_ptr_nonnull(fe);
    fake_ecam_standard(fe);
    *fe_out = fe;
    return get_run(fe, &cfg);
}

const struct guest_func *get_func(const struct guest_enum_result *r, uint8_t bus, uint8_t dev,
                                  uint8_t fn)
{
    for (unsigned i = 0; i < r->nfuncs; i++)
        if (r->funcs[i].bdf.bus == bus && r->funcs[i].bdf.dev == dev && r->funcs[i].bdf.fn == fn)
            return &r->funcs[i];
    return NULL;
}
