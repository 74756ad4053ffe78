/* pcipt check: the report and the order of the checks (see check.h). */
#include "pcipt/check/check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/hv/hv.h"

int check_add(struct check_report *rep, const char *name, enum check_status st,
              const char *todo, const char *fmt, ...)
{
    struct check_item *it;
    va_list ap;

    if (rep->n == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 16;
        struct check_item *items = realloc(rep->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        rep->items = items;
        rep->cap = cap;
    }
    it = &rep->items[rep->n++];
    memset(it, 0, sizeof(*it));
    snprintf(it->name, sizeof(it->name), "%s", name);
    it->status = st;
    snprintf(it->todo, sizeof(it->todo), "%s", todo ? todo : "");
    va_start(ap, fmt);
    vsnprintf(it->found, sizeof(it->found), fmt, ap);
    va_end(ap);
    return 0;
}

int check_run(const struct check_env *env, const struct sbdf *devs, size_t n,
              struct check_report *rep)
{
    struct hv *hv = NULL;
    char err[256];
    int rc;

    memset(rep, 0, sizeof(*rep));
    if (hv_open(env->hv_name ? env->hv_name : "xen", &hv, err, sizeof(err)) < 0)
        hv = NULL;      /* check_xen says what is missing */
    rc = check_xen(env, hv, rep);
    if (!rc)
        rc = check_host(env, rep);
    if (!rc && rep->dom0 && hv)
        rc = check_vits(env, hv, rep);
    if (hv)
        hv_close(hv);
    if (!rc)
        rc = check_devices(env, devs, n, rep);
    return rc;
}

void check_report_free(struct check_report *rep)
{
    free(rep->items);
    memset(rep, 0, sizeof(*rep));
}

size_t check_count(const struct check_report *rep, enum check_status st)
{
    size_t c = 0;

    for (size_t i = 0; i < rep->n; i++)
        c += rep->items[i].status == st;
    return c;
}

const char *check_status_name(enum check_status st)
{
    return st == CHECK_OK ? "OK" : st == CHECK_WARN ? "WARN" : "MISSING";
}
