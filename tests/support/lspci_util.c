#include "tests/support/lspci_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/run_util.h"
#include "tests/support/testreg.h"

const char *const lspci_complaints[] = {
    "<chain broken>",        /* a capability pointer leads outside the space */
    "<chain looped>",        /* a capability list revisits an entry */
    "<?>",                   /* a capability body lspci cannot decode */
    "<access denied",        /* config space shorter than the header claims */
    "<unreadable>",
    "!!!",                   /* invalid class/header type, bad bridge ranges */
    "<broken-64-bit-slot>",  /* a 64-bit BAR in the last BAR slot */
    "WARNING",               /* cannot show the hex dump */
    "Unknown header type",
    "pin ?",                 /* Interrupt Line set without an Interrupt Pin */
    NULL,
};

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/pcipt-view.XXXXXX");
    int fd = mkstemp(path);
    size_t len = strlen(text);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

char *lspci_decode(const char *view, const char *flags, const char *who)
{
    char *path = write_temp(view), cmd[600], *out = NULL, *err = NULL;
    int rc;

    snprintf(cmd, sizeof(cmd), "lspci -F %s %s", path, flags);
    rc = run_sh(NULL, &out, &err, "%s", cmd);
    unlink(path);
    free(path);
    ck_assert_msg(rc == 0, "%s: lspci %s exited %d: %s", who, flags, rc, err ? err : "");
    ck_assert_ptr_nonnull(out);
    for (const char *const *c = lspci_complaints; *c; c++)
        ck_assert_msg(!strstr(out, *c), "%s: lspci %s says %s:\n%s", who, flags, *c, out);
    for (char *line = err ? strtok(err, "\n") : NULL; line; line = strtok(NULL, "\n"))
        ck_assert_msg(strstr(line, "libkmod"), "%s: lspci %s complained: %s", who, flags, line);
    free(err);
    return out;
}

static bool addr_after(const char *text, const char *key, uint64_t *addr)
{
    const char *p = strstr(text, key);
    char *end;

    if (!p)
        return false;
    *addr = strtoull(p + strlen(key), &end, 16);
    return end != p + strlen(key);
}

bool lspci_region(const char *text, unsigned n, uint64_t *addr)
{
    char key[40];

    snprintf(key, sizeof(key), "Region %u: Memory at ", n);
    return addr_after(text, key, addr);
}

bool lspci_rom(const char *text, uint64_t *addr)
{
    return addr_after(text, "Expansion ROM at ", addr);
}
