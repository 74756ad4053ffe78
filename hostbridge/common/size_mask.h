/* The data bits of an access of `size` bytes: the one helper behind the
 * engine's register widths (1, 2, 4), the daemon's ioreq answers and the
 * simulator's guest loads (1, 2, 4, 8).  Sizes of 8 and more give all ones. */
#ifndef HOSTBRIDGE_SIZE_MASK_H
#define HOSTBRIDGE_SIZE_MASK_H

#include <stdint.h>

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

#endif
