/* Helpers for the xenstore tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs.h"
#include "tests/support/run_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xs_util.h"

static void set_bar(struct bar_assign *b, enum bar_type t, bool pref, uint64_t host,
                    uint64_t guest, uint64_t size)
{
    *b = (struct bar_assign){ .type = t, .prefetchable = pref, .host = host, .guest = guest,
                              .size = size };
}

void xst_sample(int which, struct dev_assign *d)
{
    memset(d, 0, sizeof(*d));
    switch (which) {
    case 0:
        d->host = (struct sbdf){ 0, 3, 0, 0 };
        d->guest = (struct sbdf){ 0, 0, 1, 0 };
        set_bar(&d->bars[0], BAR_MEM64, true, 0x8000100000ull, 0x100000000ull, 0x100000);
        set_bar(&d->bars[2], BAR_MEM32, false, 0x10004000, 0x23000000, 0x4000);
        set_bar(&d->bars[3], BAR_MEM32, false, 0x10008300, 0x23004300, 0x100);
        set_bar(&d->bars[6], BAR_ROM, false, 0x10010000, 0x23010000, 0x10000);
        d->spi = 40;
        d->intx_pin = 1;
        break;
    case 1:
        d->host = (struct sbdf){ 1, 0x0a, 0x1f, 7 };
        d->guest = (struct sbdf){ 0, 0, 2, 0 };
        set_bar(&d->bars[0], BAR_IO, false, 0x1020, 0, 0x20);
        set_bar(&d->bars[1], BAR_MEM32, false, 0x20001000, 0x23020000, 0x1000);
        d->force = true;
        break;
    default:
        d->host = (struct sbdf){ 0, 4, 0, 0 };
        d->guest = (struct sbdf){ 0, 0, 3, 0 };
        set_bar(&d->bars[0], BAR_MEM32, false, 0x30000000, 0x23030000, 0x10000);
        d->spi = 41;
        d->intx_pin = 2;
        break;
    }
}

bool xst_dev_equal(const struct dev_assign *a, const struct dev_assign *b)
{
    if (!sbdf_equal(&a->host, &b->host) || !sbdf_equal(&a->guest, &b->guest) ||
        a->spi != b->spi || a->intx_pin != b->intx_pin || a->force != b->force ||
        a->msi != b->msi || a->its_guest_devid != b->its_guest_devid ||
        a->its_host_devid != b->its_host_devid)
        return false;
    for (unsigned i = 0; i < PCI_NUM_RES; i++) {
        const struct bar_assign *x = &a->bars[i], *y = &b->bars[i];
        if (x->type != y->type)
            return false;
        if (x->type != BAR_NONE && (x->prefetchable != y->prefetchable || x->host != y->host ||
                                    x->guest != y->guest || x->size != y->size))
            return false;
    }
    return true;
}

void xst_seed(void)
{
    struct xs_handle *xs = xs_open(0);

    ck_assert_ptr_nonnull(xs);
    ck_assert(xs_write(xs, XBT_NULL, "/local/domain/0/name", "Domain-0", 8));
    ck_assert(xs_write(xs, XBT_NULL, "/local/domain/5/name", "guest5", 6));
    xs_close(xs);
}

struct xs_handle *xst_fresh(void)
{
    struct xs_handle *xs;

    xsw_inject_fail(0, 0);
    xs = xs_open(0);
    ck_assert_ptr_nonnull(xs);
    xs_rm(xs, XBT_NULL, "/local");
    xst_seed();
    return xs;
}

char *xst_dump(void)
{
    char *out = NULL;
    int rc = run_sh(NULL, &out, NULL, "%s", "xenstore-ls -fp /");

    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(out);
    return out;
}

char *xst_cli_read(const char *path)
{
    char cmd[300], *out = NULL;
    size_t n;

    snprintf(cmd, sizeof(cmd), "xenstore-read '%s'", path);
    if (run_sh(NULL, &out, NULL, "%s", cmd) != 0) {
        free(out);
        return NULL;
    }
    n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[n - 1] = '\0';
    return out;
}

static void collect(struct xs_handle *xs, const char *path, char ***list, size_t *n)
{
    unsigned nk;
    char **kids = xs_directory(xs, XBT_NULL, path, &nk);

    ck_assert_ptr_nonnull(kids);
    if (nk == 0) {
        *list = realloc(*list, (*n + 2) * sizeof(**list));
        ck_assert_ptr_nonnull(*list);
        (*list)[(*n)++] = strdup(path);
        (*list)[*n] = NULL;
    }
    for (unsigned i = 0; i < nk; i++) {
        char child[512];
        snprintf(child, sizeof(child), "%s/%s", path, kids[i]);
        collect(xs, child, list, n);
    }
    free(kids);
}

char **xst_leaves(struct xs_handle *xs, const char *path)
{
    char **list = calloc(1, sizeof(*list));
    size_t n = 0;

    collect(xs, path, &list, &n);
    return list;
}

void xst_free_list(char **list)
{
    for (char **p = list; p && *p; p++)
        free(*p);
    free(list);
}
