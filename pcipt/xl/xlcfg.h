/* Reading an xl domain configuration file (xl.cfg(5)) for what `pcipt
 * create` needs: the domain's name, the `pcipt = [...]` device list, and the
 * keys that decide the guest's SPIs and device tree (device_tree, vuart,
 * nr_spis, irqs, passthrough).
 *
 * The parser is xl's own: libxlutil (Debian's libxen-dev, pkg-config
 * `xlutil`), so pcipt reads a config exactly as `xl create` will: the same
 * grammar, the last assignment of a key wins, `+=` concatenates (and refuses
 * a list added to a string), and `key=value` arguments after the file are
 * appended to its text as xl does (xl_vmcontrol.c).  xl ignores keys it does
 * not know (xl_parse.c only asks for the keys it uses), so a `pcipt` key in
 * the same file is safe.  Errors are libxlutil's own, "FILE:LINE: ...".
 *
 * Before handing the text to libxlutil, pcipt bounds what it may cost:
 * libxlutil copies the whole accumulated value at each `+=` and keeps the
 * old one (8,000 `x += [...]` lines: 250 MiB), so a file larger than
 * XLCFG_MAX_BYTES, or whose `+=` statements could together copy more than
 * XLCFG_MAX_ADD_COST bytes of earlier text, is refused with a sentence
 * saying so.  Real domain configs are a few KiB and use `+=` a few times. */
#ifndef PCIPT_XLCFG_H
#define PCIPT_XLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define XLCFG_MAX_BYTES    (1u << 20)
#define XLCFG_MAX_ADD_COST (1u << 20)   /* sum, over `+=`, of the text before it */

struct xlcfg_report;

/* May be copied (returned by value): what libxlutil points into is on the
 * heap. */
struct xlcfg {
    void *xlu;                    /* XLU_Config (libxlutil.h is xlcfg.c's alone) */
    struct xlcfg_report *report;  /* libxlutil's messages (a memstream) */
};

/* Read PATH as `xl create PATH EXTRA...` does: the file's text, then each
 * EXTRA argument that contains '=' as a line after it.  cfg zeroed first;
 * xlcfg_free it whatever the result.  0 or -errno + err (libxlutil's
 * "FILE:LINE: ..." for a syntax error). */
int xlcfg_read_file(struct xlcfg *cfg, const char *path, char *const *extra, int nextra,
                    char *err, size_t errlen);
/* The same on text (source names it in errors). */
int xlcfg_parse_text(struct xlcfg *cfg, const char *text, const char *source, char *err,
                     size_t errlen);
void xlcfg_free(struct xlcfg *cfg);

/* Is name set (to anything)? */
bool xlcfg_has(const struct xlcfg *cfg, const char *name);
/* Its single string value, or NULL (absent, or a list). */
const char *xlcfg_string(const struct xlcfg *cfg, const char *name);
/* Its list's length, or -1 (absent, or a single value). */
int xlcfg_list_len(const struct xlcfg *cfg, const char *name);
/* Item i of its list, or NULL (out of range, or a nested list). */
const char *xlcfg_list_item(const struct xlcfg *cfg, const char *name, int i);

#endif
