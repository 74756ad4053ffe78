/* xl configuration reader: xl's own parser, libxlutil (see xlcfg.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxlutil.h>

#include "pcipt/xl/xlcfg.h"

/* On the heap: the memstream keeps the addresses of buf and len. */
struct xlcfg_report {
    FILE *f;
    char *buf;
    size_t len;
};

/* What libxlutil's `+=` statements may cost: the sum, over each `+=`, of the
 * bytes before it (a bound on the value it copies).  Strings and comments
 * are skipped as libxlutil's lexer (libxlu_cfg_l.l) skips them: "..." and
 * '...' with backslash escapes, ended by the quote or the line; `#` to the
 * end of the line. */
static int check_cost(const char *text, size_t len, const char *source, char *err,
                      size_t errlen)
{
    unsigned long long cost = 0;
    unsigned adds = 0;

    if (len > XLCFG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %zu bytes, larger than the %u KiB pcipt reads (a domain "
                 "config is a few KiB)", source, len, XLCFG_MAX_BYTES / 1024);
        return -EFBIG;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (c == '#') {
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        } else if (c == '"' || c == '\'') {
            while (i + 1 < len && text[i + 1] != c && text[i + 1] != '\n')
                i += text[i + 1] == '\\' ? 2 : 1;
            i++;
        } else if (c == '+' && i + 1 < len && text[i + 1] == '=') {
            adds++;
            cost += i;
            i++;
        }
    }
    if (cost > XLCFG_MAX_ADD_COST) {
        snprintf(err, errlen, "%s: its %u `+=` statements could make xl's config parser "
                 "(libxlutil) copy %llu KiB of earlier values (it copies the whole value at "
                 "each `+=`); pcipt refuses more than %u KiB: give each list in one "
                 "assignment", source, adds, cost / 1024, XLCFG_MAX_ADD_COST / 1024);
        return -E2BIG;
    }
    return 0;
}

/* libxlutil's report (one message a line) as one line in err. */
static void report_to_err(struct xlcfg *cfg, const char *source, int rc, char *err,
                          size_t errlen)
{
    struct xlcfg_report *r = cfg->report;
    size_t n = 0;

    fflush(r->f);
    if (!r->buf || !r->len) {
        snprintf(err, errlen, "%s: xl's config parser (libxlutil) failed: %s", source,
                 strerror(rc));
        return;
    }
    for (size_t i = 0; i < r->len && n + 3 < errlen; i++) {
        char c = r->buf[i];
        if (c != '\n') {
            err[n++] = c;
        } else if (i + 1 < r->len) {
            err[n++] = ';';
            err[n++] = ' ';
        }
    }
    if (errlen)
        err[n < errlen ? n : errlen - 1] = '\0';
}

static int parse(struct xlcfg *cfg, const char *data, size_t len, const char *source,
                 char *err, size_t errlen)
{
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if ((rc = check_cost(data, len, source, err, errlen)))
        return rc;
    if (!(cfg->report = calloc(1, sizeof(*cfg->report))) ||
        !(cfg->report->f = open_memstream(&cfg->report->buf, &cfg->report->len)) ||
        !(cfg->xlu = xlu_cfg_init(cfg->report->f, source))) {
        snprintf(err, errlen, "%s: out of memory", source);
        return -ENOMEM;
    }
    if ((rc = xlu_cfg_readdata(cfg->xlu, data, (int)len))) {
        report_to_err(cfg, source, rc, err, errlen);
        /* libxlutil: after a failed read, only destroy is defined */
        xlu_cfg_destroy(cfg->xlu);
        cfg->xlu = NULL;
        return rc == ENOMEM ? -ENOMEM : -EINVAL;
    }
    return 0;
}

int xlcfg_parse_text(struct xlcfg *cfg, const char *text, const char *source, char *err,
                     size_t errlen)
{
    return parse(cfg, text, strlen(text), source, err, errlen);
}

/* The file's text (at most XLCFG_MAX_BYTES + 1 bytes: check_cost refuses
 * more) with room for the extra lines. */
static int read_text(const char *path, size_t room, char **text, size_t *len, char *err,
                     size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = XLCFG_MAX_BYTES + 1;
    char *buf;
    ssize_t n = 0;
    int rc = 0;

    *len = 0;
    if (fd < 0 || !(buf = malloc(cap + room + 1))) {
        rc = fd < 0 ? -errno : -ENOMEM;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "cannot read the xl config %s: %s", path, strerror(-rc));
        return rc;
    }
    while (*len < cap && (n = read(fd, buf + *len, cap - *len)) > 0)
        *len += (size_t)n;
    if (n < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot read the xl config %s: %s", path, strerror(-rc));
        free(buf);
        buf = NULL;
    }
    close(fd);
    *text = buf;
    return rc;
}

int xlcfg_read_file(struct xlcfg *cfg, const char *path, char *const *extra, int nextra,
                    char *err, size_t errlen)
{
    size_t room = 2, len;
    bool any = false;
    char *text = NULL;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    for (int i = 0; i < nextra; i++)
        if (strchr(extra[i], '=')) {
            room += strlen(extra[i]) + 1;
            any = true;
        }
    if ((rc = read_text(path, room, &text, &len, err, errlen)))
        return rc;
    /* xl_vmcontrol.c: main_create joins the `key=value` arguments, each
     * followed by "\n", and create_domain appends "\n%s\n" of them to the
     * file's text. */
    if (any && len <= XLCFG_MAX_BYTES) {
        text[len++] = '\n';
        for (int i = 0; i < nextra; i++)
            if (strchr(extra[i], '='))
                len += (size_t)sprintf(text + len, "%s\n", extra[i]);
        text[len++] = '\n';
    }
    rc = parse(cfg, text, len, path, err, errlen);
    free(text);
    return rc;
}

void xlcfg_free(struct xlcfg *cfg)
{
    if (cfg->xlu)
        xlu_cfg_destroy(cfg->xlu);
    if (cfg->report && cfg->report->f)
        fclose(cfg->report->f);
    if (cfg->report)
        free(cfg->report->buf);
    free(cfg->report);
    memset(cfg, 0, sizeof(*cfg));
}

bool xlcfg_has(const struct xlcfg *cfg, const char *name)
{
    const char *v;
    return cfg->xlu && xlu_cfg_get_string(cfg->xlu, name, &v, 1) != ESRCH;
}

const char *xlcfg_string(const struct xlcfg *cfg, const char *name)
{
    const char *v;
    return cfg->xlu && !xlu_cfg_get_string(cfg->xlu, name, &v, 1) ? v : NULL;
}

int xlcfg_list_len(const struct xlcfg *cfg, const char *name)
{
    XLU_ConfigList *l;
    int n;

    return cfg->xlu && !xlu_cfg_get_list(cfg->xlu, name, &l, &n, 1) ? n : -1;
}

const char *xlcfg_list_item(const struct xlcfg *cfg, const char *name, int i)
{
    XLU_ConfigList *l;
    int n;

    if (!cfg->xlu || xlu_cfg_get_list(cfg->xlu, name, &l, &n, 1) || i < 0 || i >= n)
        return NULL;
    return xlu_cfg_get_listitem(l, i);
}

int xlcfg_long(const struct xlcfg *cfg, const char *name, long *v)
{
    int rc;

    if (!cfg->xlu)
        return -ENOENT;
    rc = xlu_cfg_get_long(cfg->xlu, name, v, 1);
    return !rc ? 0 : rc == ESRCH ? -ENOENT : -EINVAL;
}
