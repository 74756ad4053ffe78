/* fuzz_hostdt: the host device tree reader (its/its_fdt.c, what attach
 * reads from /sys/firmware/fdt for the host ITS DeviceID) and its msi-map
 * lookup (its/its_msimap.c).
 *
 * Input: bytes 0-1 segment (big-endian), byte 2 bus, byte 3 devfn; the rest
 * is the blob, written to a file and read with its_fdt_read.  Then, for
 * that function (the sysfs given has no such device, so the bridge is
 * found by scanning the tree): its_fdt_find_host_bridge,
 * its_msi_map_load_fdt, its_msi_map_translate, its_host_devid_fdt.
 *   D1 its_fdt_read: 0 with a blob that passes fdt_check_full and is no
 *      larger than the file, or -errno with no blob and a message naming
 *      the file;
 *   D2 its_fdt_find_host_bridge: 0 with a node whose device_type is "pci"
 *      and whose linux,pci-domain is the segment (and a non-empty path), or
 *      -EEXIST / -ENOENT with a message naming the device;
 *   D3 its_msi_map_load_fdt: 0 with at most ITS_MAX_MAP_ENTRIES tuples, or
 *      -errno with a message; on 0, for the function's RID and the edges
 *      of every tuple (rid-base - 1, rid-base, rid-base + length - 1), the
 *      translation equals a reference: the first tuple covering rid &
 *      mask gives masked - rid-base + msi-base; with no msi-map,
 *      msi-parent gives the RID; else -ENOENT;
 *   D4 its_host_devid_fdt agrees with D2 + D3 (same result, same DeviceID).
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostbridge/common/log.h"
#include "its/its.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char blob_path[64];   /* a memfd's /proc/self/fd path: no disk per input */
static int blob_fd = -1;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_set_level(LOG_LVL_ERR);
    if ((blob_fd = memfd_create("fuzz-fdt", MFD_CLOEXEC)) < 0)
        fail("cannot create", "a memfd");
    snprintf(blob_path, sizeof(blob_path), "/proc/self/fd/%d", blob_fd);
    return 0;
}

static int reference(const struct its_msi_map *m, uint32_t rid, uint32_t *devid)
{
    uint32_t masked = rid & m->mask;

    for (unsigned i = 0; i < m->n; i++)
        if (masked >= m->e[i].rid_base &&
            (uint64_t)masked < (uint64_t)m->e[i].rid_base + m->e[i].length) {
            *devid = masked - m->e[i].rid_base + m->e[i].msi_base;
            return 0;
        }
    if (m->n == 0 && m->has_msi_parent) {
        *devid = rid;
        return 0;
    }
    return -ENOENT;
}

static void check_rid(const struct its_msi_map *m, uint32_t rid)
{
    uint32_t got = 0, want = 0;
    int rc = its_msi_map_translate(m, rid, &got, NULL), wrc = reference(m, rid, &want);
    char s[64];

    snprintf(s, sizeof(s), "rid %#x", rid);
    if (rc != wrc || (!rc && got != want))
        fail("D3 msi-map translation differs from the reference", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sbdf dev;
    struct its_msi_map m;
    char err[512] = "", path[4096] = "";
    void *fdt = (void *)1;
    uint32_t devid = 0, devid2 = 0;
    int rc, node = -1, n;

    if (size < 4)
        return 0;
    dev.seg = (uint16_t)(data[0] << 8 | data[1]);
    dev.bus = data[2];
    dev.dev = data[3] >> 3;
    dev.fn = data[3] & 7;
    if (ftruncate(blob_fd, 0) ||
        (size > 4 && pwrite(blob_fd, data + 4, size - 4, 0) != (ssize_t)(size - 4)))
        fail("cannot write", blob_path);

    rc = its_fdt_read(blob_path, &fdt, err, sizeof(err));
    if (rc > 0 || (rc && (fdt || !strstr(err, blob_path))))
        fail("D1 an error without a message naming the file, or with a blob", err);
    if (rc)
        return 0;
    if (!fdt || fdt_check_full(fdt, size - 4) || fdt_totalsize(fdt) > size - 4)
        fail("D1 an accepted blob that is not a whole, valid tree", blob_path);

    err[0] = '\0';
    rc = its_fdt_find_host_bridge(fdt, "/nonexistent-sysfs", &dev, &node, path, sizeof(path),
                                  err, sizeof(err));
    if (rc && ((rc != -EEXIST && rc != -ENOENT) || !strstr(err, "device ")))
        fail("D2 an error other than EEXIST/ENOENT, or without a message", err);
    if (!rc) {
        const char *type = fdt_getprop(fdt, node, "device_type", &n);
        const fdt32_t *dom;
        if (node < 0 || !type || n != 4 || memcmp(type, "pci", 4) || !path[0])
            fail("D2 the bridge found is not a pci node", path);
        dom = fdt_getprop(fdt, node, "linux,pci-domain", &n);
        if (!dom || n != 4 || fdt32_to_cpu(*dom) != dev.seg)
            fail("D2 the bridge found is of another segment", path);
        err[0] = '\0';
        rc = its_msi_map_load_fdt(fdt, node, path, &m, err, sizeof(err));
        if (rc > 0 || (rc && !err[0]))
            fail("D3 msi-map load error without a message", path);
        if (!rc) {
            if (m.n > ITS_MAX_MAP_ENTRIES)
                fail("D3 more tuples than the table holds", path);
            check_rid(&m, its_rid(dev.bus, dev.dev, dev.fn));
            for (unsigned i = 0; i < m.n; i++) {
                check_rid(&m, m.e[i].rid_base - 1);
                check_rid(&m, m.e[i].rid_base);
                check_rid(&m, m.e[i].rid_base + m.e[i].length - 1);
            }
            rc = reference(&m, its_rid(dev.bus, dev.dev, dev.fn), &devid);
        }
    }
    {
        char e2[512] = "";
        int rc2 = its_host_devid_fdt(fdt, "/nonexistent-sysfs", &dev, &devid2, e2, sizeof(e2));
        if (rc2 != rc || (!rc && devid2 != devid) || (rc2 && !e2[0]))
            fail("D4 its_host_devid_fdt disagrees with its parts", e2);
    }
    free(fdt);
    return 0;
}
