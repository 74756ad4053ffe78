/* See xs_paths.h. */
#include "pcipt/xs/xs_paths.h"

#include <stdio.h>

char *xsp_backend_path(uint32_t domid, char *buf)
{
    snprintf(buf, XSW_PATH_MAX, XSP_BACKEND_ROOT "/%u/0", domid);
    return buf;
}
