/* The daemon's global options, as arguments or as pciptd@D.service's
 * environment file (see launch_opts.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/xl/launch_opts.h"
#include "pcipt/assign/domlock.h"
#include "pcipt/util/file_replace.h"

/* path as given if absolute, else the working directory + "/" + path. */
static int absolute(const char *opt, const char *path, char *out, size_t len, char *err,
                    size_t errlen)
{
    char cwd[PATH_MAX];
    int n;

    if (path[0] == '/') {
        n = snprintf(out, len, "%s", path);
    } else if (!getcwd(cwd, sizeof(cwd))) {
        int rc = -errno;
        snprintf(err, errlen, "cannot make %s '%s' absolute: no working directory: %s", opt,
                 path, strerror(-rc));
        return rc;
    } else {
        n = snprintf(out, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "%s '%s': the path is too long", opt, path);
        return -ENAMETOOLONG;
    }
    return 0;
}

int daemon_opts_build(struct daemon_opts *o, const char *hv, const char *sysfs,
                      const char *config, char *err, size_t errlen)
{
    int rc;

    memset(o, 0, sizeof(*o));
    snprintf(o->hv, sizeof(o->hv), "%s", hv);
    o->argv[o->argc++] = "--hv";
    o->argv[o->argc++] = o->hv;
    if (sysfs) {
        if ((rc = absolute("--sysfs", sysfs, o->sysfs, sizeof(o->sysfs), err, errlen)))
            return rc;
        o->argv[o->argc++] = "--sysfs";
        o->argv[o->argc++] = o->sysfs;
    }
    if (config) {
        if ((rc = absolute("--config", config, o->config, sizeof(o->config), err, errlen)))
            return rc;
        o->argv[o->argc++] = "--config";
        o->argv[o->argc++] = o->config;
    }
    o->argv[o->argc] = NULL;
    return 0;
}

int daemon_opts_add_host_dt(struct daemon_opts *o, const char *path, char *err, size_t errlen)
{
    int rc;

    if (!path)
        return 0;
    if ((rc = absolute("--host-dt", path, o->host_dt, sizeof(o->host_dt), err, errlen)))
        return rc;
    o->argv[o->argc++] = "--host-dt";
    o->argv[o->argc++] = o->host_dt;
    o->argv[o->argc] = NULL;
    return 0;
}

/* Length of the UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), 0 if it is not one. */
static unsigned utf8_len(const unsigned char *s)
{
    unsigned n, i;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* The first character of word systemd would not pass through verbatim as
 * part of one word of $PCIPT_ARGS (NULL if none); *what names it. */
static const char *unsafe_char(const char *word, const char **what)
{
    for (const unsigned char *s = (const unsigned char *)word; *s;) {
        unsigned n = utf8_len(s);
        if (!n)
            return *what = "bytes that are not UTF-8", (const char *)s;
        if (*s < 0x20 || *s == 0x7f)
            return *what = "a control character", (const char *)s;
        if (*s == ' ')
            return *what = "a space", (const char *)s;
        if (strchr("'\"\\$", *s))
            return *what = "a quote, backslash or '$'", (const char *)s;
        s += n;
    }
    return NULL;
}

int daemon_opts_env_path(uint32_t domid, char *path, size_t len)
{
    int n = snprintf(path, len, "%s/pciptd-%u.env", domlock_run_dir(), domid);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int check_words(uint32_t domid, const struct daemon_opts *o, char *err, size_t errlen)
{
    const char *what;

    for (unsigned i = 0; i < o->argc; i++) {
        if (!unsafe_char(o->argv[i], &what))
            continue;
        snprintf(err, errlen, "cannot pass %s '%s' to pciptd@%u.service: it holds %s, which "
                 "systemd would not pass on as part of one argument of $%s; use a path "
                 "without it (or set PCIPT_NO_SYSTEMD=1)", i ? o->argv[i - 1] : "option",
                 o->argv[i], domid, what, DAEMON_OPTS_VAR);
        return -EINVAL;
    }
    return 0;
}

static int env_text(uint32_t domid, const struct daemon_opts *o, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len,
                                "# pciptd@%u.service: the global options of the pcipt command "
                                "that started it\n# (written by pcipt before `systemctl start "
                                "pciptd@%u.service`; see pcipt(1)).\n%s=",
                                domid, domid, DAEMON_OPTS_VAR);

    for (unsigned i = 0; i < o->argc && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", o->argv[i]);
    if (n < len)
        n += (size_t)snprintf(buf + n, len - n, "\n");
    return n < len ? (int)n : -ENAMETOOLONG;
}

int daemon_opts_write_env(uint32_t domid, const struct daemon_opts *o, char *err,
                          size_t errlen)
{
    char path[PATH_MAX], text[3 * PATH_MAX];
    int rc, len;

    if ((rc = check_words(domid, o, err, errlen)))
        return rc;
    if ((len = env_text(domid, o, text, sizeof(text))) < 0 ||
        daemon_opts_env_path(domid, path, sizeof(path))) {
        snprintf(err, errlen, "the options of domain %u's daemon are too long to write", domid);
        return -ENAMETOOLONG;
    }
    if ((rc = domlock_make_run_dir(err, errlen)))
        return rc;
    if ((rc = file_replace(path, text, (size_t)len, 0644)))
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    return rc;
}
