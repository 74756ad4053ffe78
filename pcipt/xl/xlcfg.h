/* Reading an xl domain configuration file (xl.cfg(5)) for what `pcipt
 * create` needs: the domain's name, the `pcipt = [...]` and xl's `pci = [...]`
 * device lists (xlcfg_pci_spec), and the keys that decide the guest's
 * SPIs and device tree (device_tree, vuart, nr_spis, irqs, passthrough).
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
/* Its value as xl reads a number (libxlutil's xlu_cfg_get_long): 0,
 * -ENOENT (absent) or -EINVAL (a list, or not a number). */
int xlcfg_long(const struct xlcfg *cfg, const char *name, long *v);

/* The keys of xl's PCI_SPEC_STRING (xl.cfg(5), tools/libs/util/libxlu_pci.c
 * in Xen: bdf, vslot, permissive, msitranslate, seize, power_mgmt,
 * rdm_policy, name), as a mask of the ones an entry names. */
enum xlcfg_pci_key {
    XLCFG_PCI_BDF = 1u << 0,
    XLCFG_PCI_VSLOT = 1u << 1,       /* `@VSLOT` or vslot= */
    XLCFG_PCI_PERMISSIVE = 1u << 2,
    XLCFG_PCI_MSITRANSLATE = 1u << 3,
    XLCFG_PCI_SEIZE = 1u << 4,
    XLCFG_PCI_POWER_MGMT = 1u << 5,
    XLCFG_PCI_RDM_POLICY = 1u << 6,
    XLCFG_PCI_NAME = 1u << 7,
};

/* One `pci = [...]` entry as xl reads it. */
struct xlcfg_pci {
    unsigned seg, bus, dev, fn;
    bool all_functions;    /* "BB:DD.*" */
    unsigned vslot;        /* 0..31 (hex in the entry, as xl reads it); 0: none */
    bool seize;            /* seize=N, N != 0 (atoi, as libxlutil) */
    unsigned keys;         /* enum xlcfg_pci_key: the keys the entry names */
};

/* Parse spec with xl's own parser (libxlutil's xlu_pci_parse_spec_string,
 * the call xl_parse.c makes for each `pci` item; pcipt/xl/xlcfg_pci.c).
 * 0, or -EINVAL with a sentence quoting spec (and libxlutil's reason when it
 * gives one), or -ENOMEM. */
int xlcfg_pci_spec(const char *spec, struct xlcfg_pci *out, char *err, size_t errlen);
/* s for a one-line message: control characters as '?', at most 80
 * characters (then "..."); returns buf (len >= 1). */
const char *xlcfg_quote(const char *s, char *buf, size_t len);

#endif
