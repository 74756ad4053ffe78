/* Real config spaces from `lspci -xxxx` dumps (tests/data/dumps): a device
 * line "BB:DD.F desc" or "SSSS:BB:DD.F desc", optional -vv text, then hex
 * lines "xxx: hh hh ..." (256 bytes or the full 4 KiB).  The -vv text is
 * kept only for what it states that config space does not: BAR sizes
 * ("[size=...]") and the kernel driver. */
#ifndef TESTS_DUMP_H
#define TESTS_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "hostbridge/hostdev.h"
#include "hostbridge/common/sbdf.h"

struct dump_func {
    struct sbdf addr;
    char desc[160];                  /* rest of the device line */
    uint8_t cfg[PCI_CFG_SIZE];
    unsigned cfg_size;               /* 256 or 4096 */
    uint64_t text_size[PCI_NUM_RES]; /* "[size=...]" from the -vv text; 0 = not stated */
    char driver[64];                 /* "Kernel driver in use: X", "" if not stated */
};

struct dump {
    unsigned n;
    struct dump_func *f;             /* n entries, in file order */
};

/* Parse FILE.  Returns 0, or -errno with a one-line message "file:line: ..." in err. */
int dump_load(const char *path, struct dump *out, char *err, size_t errlen);
void dump_free(struct dump *d);

/* Little-endian reads from a function's config array (0 beyond cfg_size). */
uint32_t dump_cfg32(const struct dump_func *f, unsigned off);
uint16_t dump_cfg16(const struct dump_func *f, unsigned off);
uint8_t dump_cfg8(const struct dump_func *f, unsigned off);

/* The dump files under tests/data/dumps (NULL-terminated list of names). */
extern const char *const dump_files[];

#endif
