/* See numarg.h. */
#include "pcipt/util/numarg.h"

#include <errno.h>
#include <stdlib.h>

#define DOMID_FIRST_RESERVED 0x7ff0u   /* xen/include/public/xen.h */

int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !(*s >= '0' && *s <= '9'))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int parse_domid(const char *s, uint32_t *domid)
{
    unsigned long v;

    if (parse_ulong(s, 1, DOMID_FIRST_RESERVED - 1, &v))
        return -EINVAL;
    *domid = (uint32_t)v;
    return 0;
}
