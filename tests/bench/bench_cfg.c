/* 1. Config access cost: ns and instructions per access for three guest
 * access patterns (reads of emulated header registers, Linux's BAR sizing
 * sequence, a capability walk), handled by pcipt (an ECAM ioreq through
 * ioreq_dispatch and the register engine) against the same accesses passed
 * to the host through libpci on every access (pci_read_block/pci_write_block
 * on the function's sysfs `config` file, what QEMU xen_pt and pciback do).
 * Two baselines: the measured device's tree on tmpfs (a pread of a file:
 * the libpci and syscall cost alone), and, for the patterns that only read,
 * a real function's /sys/bus/pci config (bench_real.c: the kernel's config
 * accessors too, what a user of pciback or xen_pt really pays). */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/bench/bench.h"

/* Where a pattern's accesses go. */
struct port {
    const char *name;
    uint32_t (*rd)(void *ctx, unsigned reg, unsigned size);
    void (*wr)(void *ctx, unsigned reg, unsigned size, uint32_t val);
    void *ctx;
};

static uint32_t engine_rd(void *ctx, unsigned reg, unsigned size)
{
    return bench_dev_ecam_read(ctx, reg, size);
}

static void engine_wr(void *ctx, unsigned reg, unsigned size, uint32_t val)
{
    bench_dev_ecam_write(ctx, reg, size, val);
}

static uint32_t host_rd(void *ctx, unsigned reg, unsigned size)
{
    struct bench_dev *d = ctx;
    uint32_t v = 0;
    if (host_cfg_read(d->hd, reg, size, &v))
        bench_fail("libpci read of 0x%x (size %u) from the tree %s failed", reg, size, d->tree);
    return v;
}

static void host_wr(void *ctx, unsigned reg, unsigned size, uint32_t val)
{
    struct bench_dev *d = ctx;
    if (host_cfg_write(d->hd, reg, size, val))
        bench_fail("libpci write of 0x%x (size %u) to the tree %s failed", reg, size, d->tree);
}

/* ---- the access patterns; each returns how many accesses it made ---- */

static volatile uint32_t sink;     /* keeps reads from being optimised away */

/* Emulated header registers (hostbridge/header.c, bar.c: REG_EMULATED):
 * Command, cache line size, BAR0..5, ROM, capabilities pointer, interrupt
 * line. */
static unsigned seq_header_read(const struct port *p)
{
    static const struct { uint16_t reg; uint8_t size; } regs[] = {
        { 0x04, 2 }, { 0x0c, 1 }, { 0x10, 4 }, { 0x14, 4 }, { 0x18, 4 }, { 0x1c, 4 },
        { 0x20, 4 }, { 0x24, 4 }, { 0x30, 4 }, { 0x34, 1 }, { 0x3c, 1 },
    };
    uint32_t acc = 0;
    for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        acc ^= p->rd(p->ctx, regs[i].reg, regs[i].size);
    sink ^= acc;
    return sizeof(regs) / sizeof(regs[0]);
}

/* Size one BAR register as Linux's __pci_read_base does: save, write
 * all-ones (the ROM: all-ones but Enable), read the mask, restore. */
static unsigned size_one(const struct port *p, unsigned reg, uint32_t ones, uint32_t *mask)
{
    uint32_t orig = p->rd(p->ctx, reg, 4);
    p->wr(p->ctx, reg, 4, ones);
    *mask = p->rd(p->ctx, reg, 4);
    p->wr(p->ctx, reg, 4, orig);
    return 4;
}

/* Linux's pci_read_bases: decode off (Command.IO|Memory cleared), each of
 * the six BARs (a 64-bit pair sizes its upper half too), the ROM, decode
 * restored.  masks[] receives what each register read back. */
static unsigned seq_bar_sizing_masks(const struct port *p, uint32_t masks[7])
{
    unsigned n = 0;
    uint32_t cmd = p->rd(p->ctx, 0x04, 2);
    p->wr(p->ctx, 0x04, 2, cmd & ~3u);
    n += 2;
    for (unsigned b = 0; b < 6; b++)
        n += size_one(p, 0x10 + 4 * b, 0xffffffffu, &masks[b]);
    n += size_one(p, 0x30, 0xfffffffeu, &masks[6]);    /* ~PCI_ROM_ADDRESS_ENABLE */
    p->wr(p->ctx, 0x04, 2, cmd);
    return n + 1;
}

static unsigned seq_bar_sizing(const struct port *p)
{
    uint32_t masks[7];
    unsigned n = seq_bar_sizing_masks(p, masks);
    sink ^= masks[0];
    return n;
}

/* Linux's capability lookups (__pci_find_next_cap_ttl, pci_find_ext_capability)
 * for an ID the function lacks, so the whole list is walked: Status, the
 * capabilities pointer, one word (ID, next) per capability (at most 48);
 * then the extended list from 0x100, one dword per capability (at most 480). */
static unsigned seq_cap_walk(const struct port *p)
{
    unsigned n = 1, ttl = 48;
    uint32_t acc = 0;
    if (p->rd(p->ctx, 0x06, 2) & 0x10) {
        unsigned pos = p->rd(p->ctx, 0x34, 1);
        n++;
        while (ttl-- && pos >= 0x40) {
            uint32_t ent = p->rd(p->ctx, pos & ~3u, 2);
            n++;
            if ((ent & 0xff) == 0xff)
                break;
            acc ^= ent;
            pos = ent >> 8;
        }
    }
    uint32_t hdr = p->rd(p->ctx, 0x100, 4);
    n++;
    for (ttl = (4096 - 256) / 8; ttl-- && hdr && hdr != 0xffffffffu;) {
        unsigned pos = hdr >> 20;
        if (pos < 0x100)
            break;
        hdr = p->rd(p->ctx, pos & ~3u, 4);
        n++;
        acc ^= hdr;
    }
    sink ^= acc;
    return n;
}

struct pattern {
    const char *name;           /* metric name prefix */
    const char *what;
    unsigned (*seq)(const struct port *p);
    bool writes;                /* never run on a real function */
    bool extended;              /* reads beyond config byte 64 */
};

static const struct pattern patterns[] = {
    { "config_read_emulated", "emulated header registers (11 reads)", seq_header_read, false,
      false },
    { "config_bar_sizing", "Linux pci_read_bases: 6 BARs + ROM", seq_bar_sizing, true, false },
    { "config_cap_walk", "whole capability + extended list", seq_cap_walk, false, true },
};

#define TMPFS_BASELINE "tmpfs tree: libpci pread/pwrite of a file per access"
#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

static struct port engine_port(struct bench_dev *d)
{
    return (struct port){ "engine", engine_rd, engine_wr, d };
}

static struct port host_port(struct bench_dev *d)
{
    return (struct port){ "host", host_rd, host_wr, d };
}

/* What callgrind counts (--toggle-collect=bench_ir_kernel): `iters` runs of
 * one pattern.  Not static and never inlined, so the symbol exists. */
__attribute__((noinline)) uint64_t bench_ir_kernel(const struct pattern *pt,
                                                   const struct port *p, unsigned iters);
__attribute__((noinline)) uint64_t bench_ir_kernel(const struct pattern *pt,
                                                   const struct port *p, unsigned iters)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < iters; i++)
        n += pt->seq(p);
    return n;
}

/* ---- ns per access ---- */

static double time_reps(const struct pattern *pt, const struct port *p, unsigned reps,
                        uint64_t *accesses)
{
    uint64_t t0 = bench_now_ns();
    *accesses = bench_ir_kernel(pt, p, reps);
    return (double)(bench_now_ns() - t0);
}

/* Repetitions of one pattern that take about target_ms. */
static unsigned calibrate(const struct pattern *pt, const struct port *p, double target_ms)
{
    uint64_t acc;
    unsigned reps = 1;
    double ns;
    while ((ns = time_reps(pt, p, reps, &acc)) < 2e6 && reps < (1u << 24))
        reps *= 2;
    double scaled = (double)reps * target_ms * 1e6 / ns;
    return scaled < 1 ? 1 : (unsigned)scaled;
}

/* ns per access on both ports: the median of 9 trials of ~target_ms each,
 * engine and host trials interleaved so that drift hits both alike. */
static void ns_per_access(const struct pattern *pt, const struct port *eng,
                          const struct port *host, double target_ms, double *e, double *h)
{
    enum { TRIALS = 9 };
    unsigned re = calibrate(pt, eng, target_ms), rh = calibrate(pt, host, target_ms);
    double te[TRIALS], th[TRIALS];
    uint64_t acc;
    for (unsigned t = 0; t < TRIALS; t++) {
        te[t] = time_reps(pt, eng, re, &acc) / (double)acc;
        th[t] = time_reps(pt, host, rh, &acc) / (double)acc;
    }
    *e = bench_quantile(te, TRIALS, 0.5);
    *h = bench_quantile(th, TRIALS, 0.5);
}

/* ---- instructions per access: this binary again, under callgrind ---- */

static int find_valgrind(void)
{
    return system("valgrind --version >/dev/null 2>&1") == 0;
}

/* Ir per access of one pattern on one port, or -1 (reason on stderr). */
static double ir_per_access(const struct bench_opts *o, const char *kernel, unsigned iters)
{
    char out[] = "/tmp/pcipt-bench-cg.XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0)
        return -1;
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "valgrind --tool=callgrind -q --toggle-collect=bench_ir_kernel "
             "--callgrind-out-file=%s '%s' --src '%s' --ir-kernel %s --iters %u", out, o->self,
             o->src, kernel, iters);
    FILE *pp = popen(cmd, "r");
    unsigned long long accesses = 0;
    char line[256];
    while (pp && fgets(line, sizeof(line), pp))
        sscanf(line, "accesses=%llu", &accesses);
    int st = pp ? pclose(pp) : -1;
    double ir = -1;
    FILE *f = fopen(out, "r");
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long long v;
        if (sscanf(line, "totals: %llu", &v) == 1 || sscanf(line, "summary: %llu", &v) == 1)
            ir = (double)v;
    }
    if (f)
        fclose(f);
    unlink(out);
    if (st != 0 || !accesses || ir < 0) {
        fprintf(stderr, "pcipt-bench: callgrind run for %s failed (status %d)\n", kernel, st);
        return -1;
    }
    return ir / (double)accesses;
}

static const struct pattern *find_pattern(const char *name, size_t len)
{
    for (unsigned i = 0; i < NPATTERNS; i++)
        if (strlen(patterns[i].name) == len && !strncmp(patterns[i].name, name, len))
            return &patterns[i];
    return NULL;
}

/* kernel = "<pattern>:engine" or "<pattern>:host" */
int bench_cfg_ir_child(const struct bench_opts *o, const char *kernel, unsigned iters)
{
    const char *colon = strchr(kernel, ':');
    const struct pattern *pt = colon ? find_pattern(kernel, (size_t)(colon - kernel)) : NULL;
    if (!pt || (strcmp(colon + 1, "engine") && strcmp(colon + 1, "host")))
        bench_fail("unknown kernel %s (want PATTERN:engine or PATTERN:host)", kernel);
    struct bench_dev d;
    bench_dev_open(&d, o, 0);
    struct port p = strcmp(colon + 1, "engine") ? host_port(&d) : engine_port(&d);
    pt->seq(&p);                                   /* warm: first-touch work */
    uint64_t n = bench_ir_kernel(pt, &p, iters);
    printf("accesses=%" PRIu64 "\n", n);
    bench_dev_close(&d);
    return 0;
}

/* The engine must give the sizes the host BARs have, or the bench is
 * measuring something broken. */
static void check_engine_sizing(struct bench_dev *d)
{
    struct port p = engine_port(d);
    uint32_t masks[7];
    seq_bar_sizing_masks(&p, masks);
    for (unsigned b = 0; b < 6; b++) {
        const struct host_bar *hb = &d->hd->bars[b];
        if (hb->type != BAR_MEM32 || !hb->size)
            continue;
        uint64_t size = (uint64_t)(~(masks[b] & ~0xfu)) + 1;
        if ((uint32_t)size != (uint32_t)hb->size)
            bench_fail("BAR%u sizing through the engine gave 0x%" PRIx64 ", the host BAR is "
                       "0x%" PRIx64 " bytes", b, size, hb->size);
    }
}

/* Host config accesses (syscalls: pread/pwrite of sysfs `config`) per guest
 * access through pcipt, from the engine's own counters. */
static double host_accesses_per_access(struct bench_dev *d, const struct pattern *pt)
{
    struct vpci_stats a, b;
    struct port eng = engine_port(d);
    vpci_topology_stats(d->topo, &a);
    unsigned n = pt->seq(&eng);
    vpci_topology_stats(d->topo, &b);
    return (double)(b.host_reads - a.host_reads + b.host_writes - a.host_writes) / n;
}

static uint32_t real_rd(void *ctx, unsigned reg, unsigned size)
{
    struct bench_real *r = ctx;
    uint32_t v = 0;
    if (host_cfg_read(r->hd, reg, size, &v))
        bench_fail("libpci read of 0x%x (size %u) from the real function %s failed", reg, size,
                   r->name);
    return v;
}

static void real_wr(void *ctx, unsigned reg, unsigned size, uint32_t val)
{
    struct bench_real *r = ctx;
    bench_fail("refusing to write 0x%x to 0x%x (size %u) of the real function %s", val, reg,
               size, r->name);
}

/* The read-only patterns again, the engine against a real function's sysfs
 * config (metrics <pattern>_sysfs_ns); where there is none, a note says so
 * and only the tmpfs baseline stands. */
static void real_sysfs_baseline(const struct port *eng, double target_ms)
{
    struct bench_real r;
    char why[256], name[64], what[96];
    unsigned done = 0;

    if (!bench_real_open(&r, why, sizeof(why))) {
        bench_note("real sysfs baseline: none (%s); the config_*_ns ratios use the tmpfs "
                   "tree only", why);
        return;
    }
    struct port real = { "real", real_rd, real_wr, &r };
    snprintf(what, sizeof(what), "real sysfs %s: libpci pread of its config per access", r.name);
    for (unsigned i = 0; i < NPATTERNS; i++) {
        const struct pattern *pt = &patterns[i];
        double e, h;
        if (pt->writes || (pt->extended && !r.extended))
            continue;
        ns_per_access(pt, eng, &real, target_ms, &e, &h);
        snprintf(name, sizeof(name), "%s_sysfs_ns", pt->name);
        bench_metric(name, e, h, "ns", what);
        done++;
    }
    bench_note("real sysfs baseline: %s (/sys/bus/pci/devices/%s/config), read only: %u "
               "pattern%s (BAR sizing writes, never done on a real function%s)", r.name, r.name,
               done, done == 1 ? "" : "s", r.extended ? "" : "; its config beyond 64 bytes "
               "does not read, so no capability walk");
    bench_real_close(&r);
}

void bench_cfg(const struct bench_opts *o)
{
    struct bench_dev d;
    bench_dev_open(&d, o, 0);
    check_engine_sizing(&d);
    struct port eng = engine_port(&d), host = host_port(&d);
    double target_ms = o->quick ? 3 : 20;
    char name[64];
    for (unsigned i = 0; i < NPATTERNS; i++) {
        const struct pattern *pt = &patterns[i];
        double e, h;
        ns_per_access(pt, &eng, &host, target_ms, &e, &h);
        unsigned ne = pt->seq(&eng), nh = pt->seq(&host);
        snprintf(name, sizeof(name), "%s_ns", pt->name);
        bench_metric(name, e, h, "ns", TMPFS_BASELINE);
        bench_note("%s: %s; %u accesses through pcipt, %u on the host", pt->name, pt->what, ne,
                   nh);
    }
    real_sysfs_baseline(&eng, target_ms);
    for (unsigned i = 0; i < NPATTERNS; i++) {
        snprintf(name, sizeof(name), "%s_syscalls", patterns[i].name);
        bench_metric(name, host_accesses_per_access(&d, &patterns[i]), 1.0, "calls",
                     "libpci: one pread/pwrite per access");
    }
    bench_dev_close(&d);

    if (o->no_instr) {
        bench_note("instructions per access: skipped (--no-instr)");
        return;
    }
    if (!find_valgrind()) {
        bench_note("instructions per access: skipped, valgrind not found");
        return;
    }
    unsigned iters = o->quick ? 50 : 400;
    for (unsigned i = 0; i < NPATTERNS; i++) {
        char ke[96], kh[96];
        snprintf(ke, sizeof(ke), "%s:engine", patterns[i].name);
        snprintf(kh, sizeof(kh), "%s:host", patterns[i].name);
        double e = ir_per_access(o, ke, iters), h = ir_per_access(o, kh, iters);
        if (e < 0 || h < 0)
            bench_fail("callgrind could not count instructions for %s", patterns[i].name);
        snprintf(name, sizeof(name), "%s_instr", patterns[i].name);
        bench_metric(name, e, h, "instr", TMPFS_BASELINE);
    }
    bench_note("instr: user-space instructions (callgrind Ir); the host baseline's syscalls "
               "(pread/pwrite of sysfs config) cost kernel work callgrind does not count");
}
