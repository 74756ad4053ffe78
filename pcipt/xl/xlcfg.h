/* Reading an xl domain configuration file (xl.cfg(5)) for what `pcipt
 * create` needs: the domain's name, the `pcipt = [...]` device list, and the
 * keys that decide the guest's SPIs and device tree (device_tree, vuart,
 * nr_spis, irqs).
 *
 * The grammar is libxlu's (tools/libs/util/libxlu_cfg_{l.l,y.y}), written
 * anew here: `ident = value` or `ident += value`, statements ended by a
 * newline or `;`; identifiers [a-z][._0-9a-z]*; values are a number
 * ([0-9][0-9a-fx]*), a '...' or "..." string with C escapes, or a list
 * `[ v, v, ... ]` that may span lines and end in a comma; `#` starts a
 * comment.  The last assignment of a key wins (libxlu prepends settings and
 * finds the first), `+=` appends to the previous value.  xl ignores keys it
 * does not know (xl_parse.c only asks for the keys it uses), so a `pcipt`
 * key in the same file is safe. */
#ifndef PCIPT_XLCFG_H
#define PCIPT_XLCFG_H

#include <stdbool.h>
#include <stddef.h>

struct xlcfg_setting {
    char *name;
    bool is_list;
    char **items;         /* a list's items, or items[0] = the single value */
    unsigned nitems;
    unsigned line;
};

struct xlcfg {
    struct xlcfg_setting *s;
    unsigned n, cap;
};

/* Parse text (source names it in errors: "FILE:LINE: problem") and add its
 * settings to cfg (call with a zeroed cfg first).  0 or -errno + err. */
int xlcfg_parse_text(struct xlcfg *cfg, const char *text, const char *source, char *err,
                     size_t errlen);
int xlcfg_parse_file(struct xlcfg *cfg, const char *path, char *err, size_t errlen);
void xlcfg_free(struct xlcfg *cfg);

/* The effective setting of name, or NULL. */
const struct xlcfg_setting *xlcfg_get(const struct xlcfg *cfg, const char *name);
/* Its single string value, or NULL (absent, or a list). */
const char *xlcfg_string(const struct xlcfg *cfg, const char *name);

#endif
