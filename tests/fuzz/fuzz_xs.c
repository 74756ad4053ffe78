/* fuzz_xs: what the daemon reads back from xenstore.  No xenstored in the
 * loop: the harness defines the few libxenstore calls pcipt/xs/xs.c makes
 * (xs_read, xs_directory, xs_transaction_start/end; writes fail EACCES), so
 * the production readers run unchanged over a store built from the input:
 * one node per line, "PATH=VALUE" (PATH relative to the backend dir
 * /local/domain/0/backend/pci/5/0 unless it starts with '/'; VALUE is any
 * bytes but '\n', NULs included; a line without '=' is an empty node).
 * Parent directories exist implicitly, as in xenstored.
 *
 * Invariants (abort on violation):
 *  X1 xsp_read_domain / xsp_read_vdev_state / xsp_read_server return 0,
 *     -ENOENT or -EINVAL (the fake store never fails otherwise);
 *  X2 on error: a NUL-terminated one-line message (no control
 *     characters), non-empty for -EINVAL; no devices reported;
 *  X3 on success: 1..PCIPT_MAX_DEVS devices, each passing xsp_check_dev
 *     again, BARs with power-of-two sizes, naturally aligned host
 *     addresses, no wrap-around, no upper half after a 64-bit BAR, unique
 *     host and virtual SBDFs, and every SBDF formats back to the exact
 *     string stored (the parsers accept one spelling only); a server has
 *     1..XSP_MAX_VCPUS vCPUs and a pid >= 0;
 *  X4 every value also goes through each pure parser (xsu_parse_bdf/vdev/
 *     dec/hex, xsp_bar_type_parse, xsp_opts_valid) with round-trip checks.
 *  X5 xsp_list_domains returns ascending domids below DOMID_FIRST_RESERVED. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/xs/xs_nodes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOMID 5
#define BE "/local/domain/0/backend/pci/5/0"
#define MAX_NODES 512

struct node {
    char path[XSW_PATH_MAX];
    const uint8_t *val;
    unsigned len;
};

static struct node nodes[MAX_NODES];
static unsigned nnodes;
static char fake_handle;

/* ---- the fake libxenstore ---------------------------------------------- */

static struct node *lookup(const char *path)
{
    for (unsigned i = nnodes; i-- > 0;)           /* the last line wins */
        if (!strcmp(nodes[i].path, path))
            return &nodes[i];
    return NULL;
}

static bool has_children(const char *path)
{
    size_t n = strlen(path);
    for (unsigned i = 0; i < nnodes; i++)
        if (!strncmp(nodes[i].path, path, n) && nodes[i].path[n] == '/')
            return true;
    return false;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *len);
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *len)
{
    struct node *nd = lookup(path);
    char *v;

    if (!nd && !has_children(path)) {
        errno = ENOENT;
        return NULL;
    }
    *len = nd ? nd->len : 0;
    v = malloc(*len + 1);
    if (*len)
        memcpy(v, nd->val, *len);
    v[*len] = '\0';
    return v;
}

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *num);
char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *num)
{
    size_t n = strlen(path), bytes = 0;
    const char *kid[MAX_NODES];
    size_t kidlen[MAX_NODES];
    unsigned k = 0;

    if (!lookup(path) && !has_children(path)) {
        errno = ENOENT;
        return NULL;
    }
    for (unsigned i = 0; i < nnodes; i++) {
        const char *p = nodes[i].path;
        if (strncmp(p, path, n) || p[n] != '/')
            continue;
        p += n + 1;
        size_t l = strcspn(p, "/");
        unsigned j;
        for (j = 0; j < k; j++)
            if (kidlen[j] == l && !strncmp(kid[j], p, l))
                break;
        if (j == k) {
            kid[k] = p;
            kidlen[k++] = l;
            bytes += l + 1;
        }
    }
    /* one allocation, as libxenstore does: the caller frees the array */
    char **out = malloc(k * sizeof(char *) + bytes + 1);
    char *s = (char *)(out + k);
    for (unsigned j = 0; j < k; j++) {
        memcpy(s, kid[j], kidlen[j]);
        s[kidlen[j]] = '\0';
        out[j] = s;
        s += kidlen[j] + 1;
    }
    *num = k;
    return out;
}

xs_transaction_t xs_transaction_start(struct xs_handle *h);
xs_transaction_t xs_transaction_start(struct xs_handle *h) { return 1; }
bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort);
bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort) { return true; }
bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned len);
bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned len)
{
    errno = EACCES;
    return false;
}
bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path);
bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    errno = EACCES;
    return false;
}
bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path);
bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    errno = EACCES;
    return false;
}

/* ---- invariants --------------------------------------------------------- */

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail);
    abort();
}

static void check_err(const char *who, int rc, const char *err, size_t errlen)
{
    if (rc != 0 && rc != -ENOENT && rc != -EINVAL) {
        char m[64];
        snprintf(m, sizeof(m), "rc %d", rc);
        fail(who, m);
    }
    if (!rc)
        return;
    if (!memchr(err, '\0', errlen))
        fail(who, "message not NUL-terminated");
    if (rc == -EINVAL && !err[0])      /* -ENOENT (nothing published) may be silent */
        fail(who, "-EINVAL without a message");
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            fail(who, "message is not one line");
}

static bool pow2(uint64_t v) { return v && !(v & (v - 1)); }

static void check_stored_sbdf(const char *rel, unsigned n, const struct sbdf *s, bool vdev)
{
    char path[XSW_PATH_MAX], want[16];
    struct node *nd;

    snprintf(path, sizeof(path), BE "/%s-%u", rel, n);
    nd = lookup(path);
    if (vdev)
        xsu_fmt_vdev(s, want);
    else
        xsu_fmt_bdf(s, want);
    if (!nd || nd->len != strlen(want) || memcmp(nd->val, want, nd->len))
        fail("accepted an SBDF stored in another spelling", want);
}

static void check_domain(const struct domain_assign *a)
{
    if (a->ndevs < 1 || a->ndevs > PCIPT_MAX_DEVS)
        fail("read_domain", "device count out of range");
    for (unsigned i = 0; i < a->ndevs; i++) {
        const struct dev_assign *d = &a->devs[i];
        struct xsu_reader r = { 0 };
        char err[256];
        r.err = err;
        r.errlen = sizeof(err);
        xsp_check_dev(&r, "dev", d);
        if (r.rc)
            fail("accepted a device xsp_check_dev refuses", err);
        for (unsigned b = 0; b < PCI_NUM_RES; b++) {
            const struct bar_assign *ba = &d->bars[b];
            if (ba->type == BAR_NONE)
                continue;
            if (!pow2(ba->size) || (ba->host & (ba->size - 1)) ||
                ba->host + ba->size - 1 < ba->host || ba->guest + ba->size - 1 < ba->guest)
                fail("accepted a BAR", "bad size, alignment or wrap");
            if (ba->type == BAR_MEM64 && (b >= PCI_NUM_RES - 2 || d->bars[b + 1].type != BAR_NONE))
                fail("accepted a BAR", "64-bit BAR without its upper half");
        }
        check_stored_sbdf("dev", i, &d->host, false);
        check_stored_sbdf("key", i, &d->host, false);
        check_stored_sbdf("vdev", i, &d->guest, true);
        for (unsigned j = 0; j < i; j++)
            if (sbdf_equal(&d->host, &a->devs[j].host) || sbdf_equal(&d->guest, &a->devs[j].guest))
                fail("accepted", "a duplicate SBDF");
    }
}

/* X4: each pure parser on one value, with round trips. */
static void parse_value(const char *v)
{
    struct sbdf s;
    uint64_t x;
    enum bar_type t;
    char buf[64];

    if (xsu_parse_bdf(v, &s)) {
        xsu_fmt_bdf(&s, buf);
        if (strcmp(buf, v))
            fail("xsu_parse_bdf round trip", v);
    }
    if (xsu_parse_vdev(v, &s)) {
        xsu_fmt_vdev(&s, buf);
        if (strcmp(buf, v))
            fail("xsu_parse_vdev round trip", v);
    }
    static const uint64_t maxes[] = { 0, 1, 8, 255, 1019, UINT32_MAX, UINT64_MAX };
    for (unsigned i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
        if (xsu_parse_dec(v, maxes[i], &x)) {
            snprintf(buf, sizeof(buf), "%llu", (unsigned long long)x);
            if (x > maxes[i] || strcmp(buf, v))
                fail("xsu_parse_dec round trip", v);
        }
    if (xsu_parse_hex(v, &x)) {
        if (strtoull(v + 2, NULL, 16) != x || strlen(v) > 18)
            fail("xsu_parse_hex value", v);
    }
    if (xsp_bar_type_parse(v, &t) && strcmp(xsp_bar_type_name(t), v))
        fail("xsp_bar_type_parse round trip", v);
    if (xsp_opts_valid(v) && strncmp(v, "msitranslate=", 13))
        fail("xsp_opts_valid accepted", v);
}

static void load(const uint8_t *data, size_t size)
{
    nnodes = 0;
    while (size && nnodes < MAX_NODES) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t)(nl - data) : size;
        const uint8_t *eq = memchr(data, '=', len);
        size_t plen = eq ? (size_t)(eq - data) : len;
        struct node *nd = &nodes[nnodes];
        int n;

        if (plen && !memchr(data, '\0', plen)) {
            n = snprintf(nd->path, sizeof(nd->path), "%s%.*s", data[0] == '/' ? "" : BE "/",
                         (int)plen, (const char *)data);
            if (n > 0 && (size_t)n < sizeof(nd->path)) {
                nd->val = eq ? eq + 1 : data + len;
                nd->len = eq ? (unsigned)(len - plen - 1) : 0;
                nnodes++;
            }
        }
        data += len + (nl != NULL);
        size -= len + (nl != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xs_handle *xs = (struct xs_handle *)&fake_handle;
    static struct domain_assign a;
    struct vdev_state st;
    struct xsp_server srv;
    uint32_t domids[8];
    char err[200];
    int rc, n;

    load(data, size);
    for (unsigned i = 0; i < nnodes; i++) {
        char v[XSW_PATH_MAX];
        size_t l = nodes[i].len < sizeof(v) - 1 ? nodes[i].len : sizeof(v) - 1;
        memcpy(v, nodes[i].val, l);
        v[l] = '\0';
        parse_value(v);
    }

    memset(err, 'x', sizeof(err));
    rc = xsp_read_domain(xs, DOMID, &a, err, sizeof(err));
    check_err("xsp_read_domain", rc, err, sizeof(err));
    if (rc && a.ndevs)
        fail("xsp_read_domain", "devices reported with an error");
    if (!rc) {
        check_domain(&a);
        memset(err, 'x', sizeof(err));
        rc = xsp_read_vdev_state(xs, DOMID, &a.devs[0].host, &st, err, sizeof(err));
        check_err("xsp_read_vdev_state", rc, err, sizeof(err));
    }
    memset(err, 'x', sizeof(err));
    rc = xsp_read_server(xs, DOMID, &srv, err, sizeof(err));
    check_err("xsp_read_server", rc, err, sizeof(err));
    if (!rc && (srv.nr_vcpus < 1 || srv.nr_vcpus > XSP_MAX_VCPUS || srv.pid < 0))
        fail("xsp_read_server", "accepted vCPU count or pid out of range");
    n = xsp_list_domains(xs, domids, 8);
    if (n < 0 || n > 8)
        fail("xsp_list_domains", "count");
    for (int i = 0; i < n; i++)
        if (domids[i] >= 0x7ff0 || (i && domids[i] < domids[i - 1]))
            fail("xsp_list_domains", "order or range");
    return 0;
}
