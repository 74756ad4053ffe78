/* Xenstore watches (pcipt/xs/xs_watch.h). */
#include "pcipt/xs/xs_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int xsw_fileno(struct xs_handle *xs)
{
    int fd = xs_fileno(xs);

    return fd < 0 ? -EIO : fd;
}

int xsw_drain_watches(struct xs_handle *xs, const char *ignore_prefix)
{
    size_t plen = ignore_prefix ? strlen(ignore_prefix) : 0;
    char **vec;
    int n = 0;

    errno = 0;
    while ((vec = xs_check_watch(xs))) {
        if (!plen || strncmp(vec[XS_WATCH_PATH], ignore_prefix, plen))
            n++;
        free(vec);
        errno = 0;
    }
    if (errno != EAGAIN && errno != 0)
        return -errno;
    return n;
}
