/* Xenstore watches (pcipt/xs/xs_watch.h). */
#include "pcipt/xs/xs_watch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int xsw_fileno(struct xs_handle *xs)
{
    int fd = xs_fileno(xs);

    return fd < 0 ? -EIO : fd;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = suffix ? strlen(suffix) : 0;

    return k && n >= k && !strcmp(s + n - k, suffix);
}

int xsw_drain_watches(struct xs_handle *xs, const char *ignore_prefix, const char *keep_suffix)
{
    size_t plen = ignore_prefix ? strlen(ignore_prefix) : 0;
    char **vec;
    int n = 0;

    errno = 0;
    while ((vec = xs_check_watch(xs))) {
        const char *path = vec[XS_WATCH_PATH];
        if (!plen || strncmp(path, ignore_prefix, plen) || ends_with(path, keep_suffix))
            n++;
        free(vec);
        errno = 0;
    }
    if (errno != EAGAIN && errno != 0)
        return -errno;
    return n;
}
