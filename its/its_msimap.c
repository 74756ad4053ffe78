/* Host DeviceIDs from a host bridge's msi-map (Linux
 * Documentation/devicetree/bindings/pci/pci-msi.txt):
 *   msi-map      = (rid-base, msi-controller, msi-base, length)*
 *   msi-map-mask = mask applied to the RID before the lookup
 *   msi-parent   = the controller (its specifier is not used for PCI):
 *                  DeviceID = RID.
 * The ITS's #msi-cells is 1, so every tuple is four cells. */
#include "its/its.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "its/dtprop.h"

#define TUPLE_BYTES 16u

static int load_map(const struct dt_src *src, struct its_msi_map *m, char *err, size_t errlen)
{
    unsigned char buf[ITS_MAX_MAP_ENTRIES * TUPLE_BYTES];
    const char *node = src->name;
    size_t len;
    int rc = dt_src_read(src, "msi-map", buf, sizeof(buf), &len);

    if (rc == -ENOENT)
        return 0;
    if (rc == -E2BIG) {
        snprintf(err, errlen, "%s/msi-map has more than %u entries", node, ITS_MAX_MAP_ENTRIES);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "cannot read %s/msi-map: %s", node, strerror(-rc));
        return rc;
    }
    if (len == 0 || len % TUPLE_BYTES) {
        snprintf(err, errlen, "%s/msi-map has %zu bytes, not (rid-base, msi-controller, "
                 "msi-base, length) tuples of 4 cells", node, len);
        return -EINVAL;
    }
    m->n = (unsigned)(len / TUPLE_BYTES);
    for (unsigned i = 0; i < m->n; i++) {
        m->e[i].rid_base = dt_cell(buf, i * 4u);
        m->e[i].phandle = dt_cell(buf, i * 4u + 1);
        m->e[i].msi_base = dt_cell(buf, i * 4u + 2);
        m->e[i].length = dt_cell(buf, i * 4u + 3);
    }
    return 0;
}

static int load_u32(const struct dt_src *src, const char *prop, uint32_t *v, bool *present,
                    char *err, size_t errlen)
{
    int rc = dt_src_u32(src, prop, v);
    const char *node = src->name;

    *present = rc == 0;
    if (rc == -ENOENT)
        return 0;
    if (rc)
        snprintf(err, errlen, "%s/%s is not one cell (%s)", node, prop, strerror(-rc));
    return rc;
}

/* msi-parent = <phandle [msi-specifier...]>: the ITS's #msi-cells is 1, so
 * usually <&its ID>; for a PCI bridge Linux ignores the specifier
 * (of_msi_map_id: no msi-map means no translation), so only the phandle
 * matters. */
static int load_parent(const struct dt_src *src, struct its_msi_map *m, char *err,
                       size_t errlen)
{
    unsigned char buf[32];
    size_t len;
    int rc = dt_src_read(src, "msi-parent", buf, sizeof(buf), &len);

    if (rc == -ENOENT)
        return 0;
    if (!rc && (len < 4 || len % 4))
        rc = -EINVAL;
    if (rc) {
        snprintf(err, errlen, "%s/msi-parent is not <phandle [cells]> (%s)", src->name,
                 strerror(-rc));
        return rc;
    }
    m->has_msi_parent = true;
    m->msi_parent = dt_cell(buf, 0);
    return 0;
}

static int load_src(const struct dt_src *src, struct its_msi_map *m, char *err, size_t errlen)
{
    const char *node_dir = src->name;
    bool has_mask;
    int rc;

    memset(m, 0, sizeof(*m));
    if ((rc = load_map(src, m, err, errlen)) ||
        (rc = load_u32(src, "msi-map-mask", &m->mask, &has_mask, err, errlen)) ||
        (rc = load_parent(src, m, err, errlen)))
        return rc;
    if (!has_mask)
        m->mask = 0xffffffffu;
    for (unsigned i = 0; i < m->n; i++) {
        /* A tuple whose rid-base has bits the mask clears can never match
         * (Linux of_map_id refuses such a map the same way). */
        if (m->e[i].rid_base & ~m->mask) {
            snprintf(err, errlen, "%s: msi-map-mask %#x ignores bits of rid-base %#x",
                     node_dir, m->mask, m->e[i].rid_base);
            return -EINVAL;
        }
    }
    if (m->n == 0 && !m->has_msi_parent) {
        snprintf(err, errlen, "%s has neither msi-map nor msi-parent", node_dir);
        return -ENOENT;
    }
    return 0;
}

int its_msi_map_load(const char *node_dir, struct its_msi_map *m, char *err, size_t errlen)
{
    const struct dt_src src = { .dir = node_dir, .name = node_dir };
    return load_src(&src, m, err, errlen);
}

int its_msi_map_load_fdt(const void *fdt, int node, const char *path, struct its_msi_map *m,
                         char *err, size_t errlen)
{
    const struct dt_src src = { .fdt = fdt, .node = node, .name = path };
    return load_src(&src, m, err, errlen);
}

int its_msi_map_translate(const struct its_msi_map *m, uint32_t rid, uint32_t *devid,
                          uint32_t *controller)
{
    uint32_t masked = rid & m->mask;

    for (unsigned i = 0; i < m->n; i++) {
        const struct its_msi_map_entry *e = &m->e[i];
        if (masked < e->rid_base || masked - e->rid_base >= e->length)
            continue;
        *devid = masked - e->rid_base + e->msi_base;
        if (controller)
            *controller = e->phandle;
        return 0;
    }
    if (m->n == 0 && m->has_msi_parent) {
        *devid = rid;
        if (controller)
            *controller = m->msi_parent;
        return 0;
    }
    return -ENOENT;
}

int its_msi_map_devid(const struct its_msi_map *m, const struct sbdf *dev, const char *node,
                      uint32_t *devid, char *err, size_t errlen)
{
    char s[SBDF_STR_LEN];
    uint32_t rid = its_rid(dev->bus, dev->dev, dev->fn);
    int rc = its_msi_map_translate(m, rid, devid, NULL);

    if (rc)
        snprintf(err, errlen, "device %s: RID %#06x (masked %#x) is in no msi-map range of %s",
                 sbdf_format(dev, s), rid, rid & m->mask, node);
    return rc;
}

int its_host_devid(const char *sysfs, const char *dt_root, const struct sbdf *dev,
                   uint32_t *devid, char *err, size_t errlen)
{
    struct its_msi_map m;
    char node[4096];
    int rc;

    if ((rc = its_find_host_bridge(sysfs, dt_root, dev, node, sizeof(node), err, errlen)) ||
        (rc = its_msi_map_load(node, &m, err, errlen)))
        return rc;
    return its_msi_map_devid(&m, dev, node, devid, err, errlen);
}
