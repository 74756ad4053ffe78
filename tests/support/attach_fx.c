/* The attach/detach test fixture (see attach_fx.h). */
#include "tests/support/attach_fx.h"

#include <check.h>
#include <errno.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcipt/sim/hv_sim.h"
#include "pcipt/assign/plan.h"
#include "hostbridge/common/sbdf.h"
#include "pcipt/xs/xs.h"
#include "tests/support/run_util.h"
#include "tests/support/sim_fx.h"
#include "tests/support/testdata_util.h"
#include "tests/support/testreg.h"
#include "tests/support/xs_util.h"

#define IORESOURCE_MEM      0x200ull       /* include/linux/ioport.h */
#define IORESOURCE_PREFETCH 0x2000ull
#define IORESOURCE_MEM_64   0x100000ull

char afx_tree[64];
struct attach_ctx afx_ctx;

static void add_dump(const char *name, const struct tree_opts *o)
{
    char path[512], err[512];

    testdata_dump_path(name, path, sizeof(path));
    ck_assert_msg(sysfs_tree_from_dump(afx_tree, path, o, err, sizeof(err)) == 0, "%s", err);
}

void afx_setup(void)
{
    const struct tree_opts o = { .driver = NULL, .reset_method = "flr bus" };
    struct xs_handle *xs;
    char err[256];

    simfx_setup();
    ck_assert_int_eq(sim_domain_create(simfx_hv, 3, 1, 0x40000000, 0x20000000, 64), 0);
    ck_assert_int_eq(sim_domain_create(simfx_hv, 5, 2, 0x40000000, 0x20000000, 64), 0);
    ck_assert_int_eq(sysfs_tree_mkdtemp(afx_tree, sizeof(afx_tree)), 0);
    /* The per-domain attach/detach lock (pcipt/assign/domlock.h) lives in the tree. */
    char run[sizeof(afx_tree) + 8];
    snprintf(run, sizeof(run), "%s/run", afx_tree);
    ck_assert_int_eq(setenv("PCIPT_RUN_DIR", run, 1), 0);
    add_dump("cap-pcie-2", &o);
    add_dump("cap-rebar", &o);
    /* the holder's module is loaded (--bind; see afx_driver_core_env) */
    snprintf(run, sizeof(run), "%s/drivers", afx_tree);
    ck_assert_int_eq(mkdir(run, 0755), 0);
    char holder[sizeof(afx_tree) + 32];
    snprintf(holder, sizeof(holder), "%s/drivers/uio_pci_generic", afx_tree);
    ck_assert_int_eq(mkdir(holder, 0755), 0);
    afx_set_resource(AFX_GPU, 0, 0x4000000000ull, 256ull << 20,
                     IORESOURCE_MEM | IORESOURCE_PREFETCH | IORESOURCE_MEM_64);
    /* The dumps come from machines whose drivers had Bus Master on; a
     * function waiting for passthrough has it off (tests that need it on
     * set it). */
    for (unsigned i = 0; i < 2; i++) {
        const char *dev = i ? AFX_GPU : AFX_NIC;
        afx_set_config_byte(dev, 0x04, (uint8_t)(afx_config_byte(dev, 0x04) & ~0x04u));
    }

    xsw_inject_fail(0, 0);
    xs = xs_open(0);
    ck_assert_ptr_nonnull(xs);
    xs_rm(xs, XBT_NULL, "/local");
    xs_close(xs);
    xst_seed();

    memset(&afx_ctx, 0, sizeof(afx_ctx));
    afx_ctx.hv = simfx_hv;
    afx_ctx.sysfs = afx_tree;
    ck_assert_int_eq(guest_layout_load("/nonexistent", false, &afx_ctx.layout, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(afx_ctx.xs = xsw_open());
    afx_ctx.out = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(afx_ctx.out);
}

void afx_teardown(void)
{
    xsw_close(afx_ctx.xs);
    fclose(afx_ctx.out);
    sysfs_tree_remove(afx_tree);
    simfx_teardown();
}

static void devfile(const char *dev, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/devices/%s/%s", afx_tree, dev, name);
}

void afx_set_resource(const char *dev, unsigned index, uint64_t start, uint64_t size,
                      uint64_t flags)
{
    char path[256], line[128], lines[16][128];
    unsigned n = 0;
    FILE *f;

    devfile(dev, "resource", path, sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (n < 16 && fgets(lines[n], sizeof(lines[n]), f))
        n++;
    fclose(f);
    ck_assert_uint_gt(n, index);
    snprintf(line, sizeof(line), "0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 "\n", start,
             size ? start + size - 1 : 0, flags);
    snprintf(lines[index], sizeof(lines[index]), "%s", line);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (unsigned i = 0; i < n; i++)
        fputs(lines[i], f);
    ck_assert_int_eq(fclose(f), 0);
}

uint8_t afx_config_byte(const char *dev, unsigned off)
{
    char path[256];
    FILE *f;
    int c;

    devfile(dev, "config", path, sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    ck_assert_int_eq(fseek(f, (long)off, SEEK_SET), 0);
    c = fgetc(f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_ge(c, 0);
    return (uint8_t)c;
}

void afx_set_config_byte(const char *dev, unsigned off, uint8_t val)
{
    char path[256];
    FILE *f;

    devfile(dev, "config", path, sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
    ck_assert_int_eq(fseek(f, (long)off, SEEK_SET), 0);
    ck_assert_int_eq(fputc(val, f), val);
    ck_assert_int_eq(fclose(f), 0);
}

int afx_host_bus_master(const char *dev)
{
    return (afx_config_byte(dev, 0x04) & 0x04) != 0;
}

uint32_t afx_smmu_owner(const char *dev)
{
    struct sbdf s;
    uint32_t owner = 0xffffffffu;

    ck_assert_int_eq(sbdf_parse(dev, &s), 0);
    ck_assert_int_eq(sim_device_owner(simfx_hv, hv_machine_sbdf(s.seg, s.bus, s.dev, s.fn),
                                      &owner), 0);
    return owner;
}

void afx_set_driver(const char *dev, const char *driver)
{
    char path[256], target[128], dir[256];

    devfile(dev, "driver", path, sizeof(path));
    unlink(path);
    if (!driver)
        return;
    snprintf(dir, sizeof(dir), "%s/drivers", afx_tree);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/drivers/%s", afx_tree, driver);
    mkdir(dir, 0755);
    snprintf(target, sizeof(target), "../../drivers/%s", driver);
    ck_assert_int_eq(symlink(target, path), 0);
}

static void read_first_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    if (f && !fgets(buf, (int)len, f))
        buf[0] = '\0';
    if (f)
        fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

void afx_driver_state(const char *dev, char *buf, size_t len)
{
    char path[256], target[128] = "", ov[128];
    ssize_t n;

    devfile(dev, "driver", path, sizeof(path));
    n = readlink(path, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    devfile(dev, "driver_override", path, sizeof(path));
    read_first_line(path, ov, sizeof(ov));
    snprintf(buf, len, "driver %s override %s",
             strrchr(target, '/') ? strrchr(target, '/') + 1 : "none", ov);
}

const char *afx_driver_core_env(void)
{
    static char env[1024];
    const char *so = getenv("PCIPT_DRIVERCORE");
    char def[512];

    if (!so || !*so)
        so = test_src_path("build/tests/drivercore.so", def, sizeof(def));
    ck_assert_msg(access(so, R_OK) == 0, "%s: no driver-core shim (make builds it)", so);
    /* the shim goes before ASan's runtime in check-asan: allow that */
    snprintf(env, sizeof(env), "LD_PRELOAD=%s PCIPT_DRIVER_CORE=%s "
             "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0", so, afx_tree);
    return env;
}

char *afx_driver_core_log(void)
{
    char path[256], *buf = NULL;
    size_t len = 0;
    FILE *f, *mem = open_memstream(&buf, &len);
    int c;

    ck_assert_ptr_nonnull(mem);
    snprintf(path, sizeof(path), "%s/driver-core.log", afx_tree);
    if ((f = fopen(path, "r"))) {
        while ((c = fgetc(f)) != EOF)
            fputc(c, mem);
        fclose(f);
    }
    fclose(mem);
    return buf;
}

char *afx_snapshot(void)
{
    static const uint32_t doms[] = { 3, 5 };
    struct sim_mapping m[256];
    struct sim_range r[256];
    char *buf = NULL, *xsdump;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(mem);
    for (unsigned d = 0; d < 2; d++) {
        int n = sim_list_mappings(simfx_hv, doms[d], m, 256);
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n && i < 256; i++)
            fprintf(mem, "dom%u map %" PRIx64 " %" PRIx64 " %" PRIu64 "\n", doms[d],
                   m[i].gfn, m[i].mfn, m[i].nr);
        n = sim_list_permissions(simfx_hv, doms[d], r, 256);
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n && i < 256; i++)
            fprintf(mem, "dom%u iomem %" PRIx64 "-%" PRIx64 "\n", doms[d],
                   r[i].start, r[i].end);
        struct sim_its_binding b[16];
        n = sim_list_its_bindings(simfx_hv, doms[d], b, 16);
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n && i < 16; i++)
            fprintf(mem, "dom%u its %x %x %x %u\n", doms[d], b[i].guest_devid,
                    b[i].machine_sbdf, b[i].host_devid, b[i].nr_events);
    }
    for (unsigned d = 0; d < 2; d++) {
        char st[300];
        const char *dev = d ? AFX_GPU : AFX_NIC;
        afx_driver_state(dev, st, sizeof(st));
        fprintf(mem, "%s %s smmu-owner %u bus-master %d\n", dev, st, afx_smmu_owner(dev),
                afx_host_bus_master(dev));
    }
    xsdump = xst_dump();
    fprintf(mem, "%s", xsdump);
    free(xsdump);
    fclose(mem);
    return buf;
}

uint64_t afx_sim_mapping_calls(uint32_t domid)
{
    struct sim_domain_info info;

    ck_assert_int_eq(sim_domain_info(simfx_hv, domid, &info), 0);
    return info.memory_mapping_calls;
}

int afx_attach(uint32_t domid, const char *sbdf, int slot, unsigned flags, char *err,
               size_t errlen)
{
    return afx_attach_fn(domid, sbdf, slot, 0, flags, err, errlen);
}

int afx_attach_fn(uint32_t domid, const char *sbdf, int slot, int fn, unsigned flags,
                  char *err, size_t errlen)
{
    struct sbdf s;

    ck_assert_int_eq(sbdf_parse(sbdf, &s), 0);
    err[0] = '\0';
    return attach_device(&afx_ctx, domid, &s, slot, fn, flags, NULL, err, errlen);
}

int afx_detach(uint32_t domid, const char *sbdf, char *err, size_t errlen)
{
    struct sbdf s;

    ck_assert_int_eq(sbdf_parse(sbdf, &s), 0);
    err[0] = '\0';
    return detach_device(&afx_ctx, domid, &s, err, errlen);
}

const char *afx_args(void)
{
    static char args[96];

    snprintf(args, sizeof(args), "--hv sim --sysfs %s", afx_tree);
    return args;
}

void afx_add_subpage_neighbour(const char *neighbour)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "cp -r %s/devices/" AFX_NIC " %s/devices/%s", afx_tree,
             afx_tree, neighbour);
    ck_assert_int_eq(system(cmd), 0);
    afx_set_resource(AFX_NIC, 0, 0xe0900000ull, 0x100, IORESOURCE_MEM);
    afx_set_resource(neighbour, 0, 0xe0900100ull, 0x100, IORESOURCE_MEM);
    afx_set_resource(neighbour, 1, 0xe0400000ull, 0x400000, IORESOURCE_MEM);
    afx_set_resource(neighbour, 3, 0xe0844000ull, 0x4000, IORESOURCE_MEM);
    afx_set_resource(neighbour, 6, 0xc7c00000ull, 0x400000, IORESOURCE_MEM | IORESOURCE_PREFETCH);
}
