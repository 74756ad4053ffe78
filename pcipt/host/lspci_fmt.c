/* `lspci -xxxx` form of a config-space image. */
#include <errno.h>
#include <string.h>

#include "pcipt/host/lspci_fmt.h"

static void write_header(FILE *f, const struct sbdf *bdf, const char *desc)
{
    size_t n = desc ? strcspn(desc, "\r\n") : 0;

    if (bdf->seg)
        fprintf(f, "%04x:", bdf->seg);
    fprintf(f, BDF_FMT, BDF_ARGS(*bdf));
    if (n)
        fprintf(f, " %.*s", (int)n, desc);
    fputc('\n', f);
}

int lspci_fmt_write(FILE *f, const struct sbdf *bdf, const char *desc, const uint8_t *cfg,
                    size_t len)
{
    if (!f || !bdf || !cfg || bdf->dev > 31 || bdf->fn > 7 ||
        (len != 64 && len != 256 && len != 4096))
        return -EINVAL;
    write_header(f, bdf, desc);
    for (size_t off = 0; off < len; off += 16) {
        fprintf(f, "%03zx:", off);
        for (size_t i = 0; i < 16; i++)
            fprintf(f, " %02x", cfg[off + i]);
        fputc('\n', f);
    }
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}
