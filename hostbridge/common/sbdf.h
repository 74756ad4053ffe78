/* PCI addresses: "SSSS:BB:DD.F" (segment optional), with an optional
 * "@SLOT" or "@SLOT.FN" suffix naming the guest's virtual slot and function. */
#ifndef PCIPT_SBDF_H
#define PCIPT_SBDF_H

#include <stdbool.h>
#include <stdint.h>

struct sbdf {
    uint16_t seg;
    uint8_t bus;
    uint8_t dev;   /* 0..31 */
    uint8_t fn;    /* 0..7 */
};

#define SBDF_STR_LEN 13  /* "ssss:bb:dd.f" + NUL */

/* The same text inside a printf format: printf("dev " SBDF_FMT, SBDF_ARGS(s))
 * for anything with seg, bus, dev and fn members (struct sbdf, a decoded
 * config request). */
#define SBDF_FMT "%04x:%02x:%02x.%x"
#define SBDF_ARGS(s) (unsigned)(s).seg, (unsigned)(s).bus, (unsigned)(s).dev, (unsigned)(s).fn
/* Without the segment, as lspci and a guest's one-segment bus show it:
 * "bb:dd.f". */
#define BDF_FMT "%02x:%02x.%x"
#define BDF_ARGS(s) (unsigned)(s).bus, (unsigned)(s).dev, (unsigned)(s).fn

/* Parse "SSSS:BB:DD.F" or "BB:DD.F" (hex).  Returns 0 or -EINVAL. */
int sbdf_parse(const char *s, struct sbdf *out);
/* Parse "SBDF[@SLOT]": slot is decimal or 0x-hex, 1..31; -1 when absent. */
int sbdf_parse_slot(const char *s, struct sbdf *out, int *slot);
/* Parse "SBDF[@SLOT[.FN]]": slot as above (-1 when absent), FN one digit
 * 0..7 (0 when absent).  0, -EINVAL (bad SBDF) or -ERANGE (bad slot/fn). */
int sbdf_parse_vslot(const char *s, struct sbdf *out, int *slot, int *fn);
/* "ssss:bb:dd.f" into buf (at least SBDF_STR_LEN bytes); returns buf. */
char *sbdf_format(const struct sbdf *s, char *buf);
uint32_t sbdf_encode(const struct sbdf *s);   /* seg<<16 | bus<<8 | dev<<3 | fn */
struct sbdf sbdf_decode(uint32_t v);
bool sbdf_equal(const struct sbdf *a, const struct sbdf *b);

#endif
