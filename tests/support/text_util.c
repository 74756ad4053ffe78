/* First differing line of two texts (tests/support/text_util.h). */
#include "tests/support/text_util.h"

#include <stdio.h>
#include <string.h>

/* The line starting at p, as "..." or (end), cut to at most max bytes. */
static int quote_line(char *out, size_t len, const char *p, int max)
{
    if (!*p)
        return snprintf(out, len, "(end)");
    int n = (int)strcspn(p, "\n");

    return snprintf(out, len, "\"%.*s%s\"", n < max ? n : max, p, n > max ? "..." : "");
}

unsigned text_first_diff(const char *before, const char *after, char *msg, size_t len)
{
    const char *a = before, *b = after;
    unsigned line = 1;

    if (msg && len)
        msg[0] = '\0';
    if (strcmp(before, after) == 0)
        return 0;
    /* step over whole equal lines */
    for (;;) {
        size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");

        if (na != nb || memcmp(a, b, na) != 0 || !a[na] || !b[nb])
            break;
        a += na + 1;
        b += nb + 1;
        line++;
    }
    if (msg && len) {
        char qa[220], qb[220];

        quote_line(qa, sizeof(qa), a, 200);
        quote_line(qb, sizeof(qb), b, 200);
        snprintf(msg, len, "line %u: before %s, after %s%s", line, qa, qb,
                 strcmp(qa, qb) ? "" : " (only one ends in a newline)");
    }
    return line;
}
