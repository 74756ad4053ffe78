/* `pcipt sim show` output.  Text: one self-contained line per fact, each
 * starting "dom<N> <what>", so `grep '^dom5 map'` finds dom5's p2m:
 *   dom5 domain vcpus=2 spis=32 ram=0x40000000+0x20000000 crashed=no
 *   dom5 stats memory_mapping_calls=4 ioreqs=0 direct=0 ram=0 aborts=0 bad_state=0 emulator_gone=0
 *   dom5 iomem 0x80000-0x800ff
 *   dom5 map gfn=0x23000 mfn=0x80000 nr=64
 *   dom5 server 0 enabled=yes
 *   dom5 server 0 mmio 0x10000000-0x1fffffff
 *   dom5 server 0 port 0x0-0xff
 *   dom5 server 0 pcidev 0000:00:01.0
 *   dom5 irq 40 level=1
 *   dom5 its guest-devid=0x8 sbdf=0000:01:00.0 host-devid=0x100 events=32
 *   dom5 its-mapd accepted=1 refused=0
 * JSON: {"domains":[{"domid":5,...}]} with the same facts (numbers decimal). */
#include "pcipt/sim/sim_show.h"

#include <errno.h>
#include <stdlib.h>

#include "pcipt/sim/hv_sim.h"
#include "hostbridge/common/sbdf.h"

#define MAX_LIST 4096

struct lists {
    struct sim_mapping map[MAX_LIST];
    struct sim_range perm[MAX_LIST];
    struct sim_range rng[3][MAX_LIST];
    struct sim_server_info srv[8];
    uint32_t irqs[1024];
    struct sim_its_binding its[64];
};

static unsigned clampn(int n, unsigned max) { return n < 0 ? 0 : (unsigned)n > max ? max : (unsigned)n; }

static const char *const range_name[3] = { "port", "mmio", "pcidev" };

static void text_ranges(FILE *f, uint32_t d, unsigned id, unsigned t, const struct sim_range *r,
                        unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (t != XEN_DMOP_IO_RANGE_PCI) {
            fprintf(f, "dom%u server %u %s 0x%llx-0x%llx\n", d, id, range_name[t],
                    (unsigned long long)r[i].start, (unsigned long long)r[i].end);
            continue;
        }
        for (uint64_t v = r[i].start; v <= r[i].end && v - r[i].start < 256; v++) {
            char buf[SBDF_STR_LEN];
            struct sbdf s = sbdf_decode((uint32_t)v);
            fprintf(f, "dom%u server %u pcidev %s\n", d, id, sbdf_format(&s, buf));
        }
    }
}

static void show_text(FILE *f, struct hv *hv, const struct sim_domain_info *di, struct lists *l)
{
    uint32_t d = di->domid;
    fprintf(f, "dom%u domain vcpus=%u spis=%u ram=0x%llx+0x%llx crashed=%s\n", d, di->nr_vcpus,
            di->nr_spis, (unsigned long long)di->ram_base, (unsigned long long)di->ram_size,
            di->crashed ? "yes" : "no");
    fprintf(f, "dom%u stats memory_mapping_calls=%llu ioreqs=%llu direct=%llu ram=%llu "
            "aborts=%llu bad_state=%llu emulator_gone=%llu\n", d,
            (unsigned long long)di->memory_mapping_calls, (unsigned long long)di->ioreqs,
            (unsigned long long)di->direct_accesses, (unsigned long long)di->ram_accesses,
            (unsigned long long)di->aborts, (unsigned long long)di->bad_state,
            (unsigned long long)di->emulator_gone);
    unsigned n = clampn(sim_list_permissions(hv, d, l->perm, MAX_LIST), MAX_LIST);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "dom%u iomem 0x%llx-0x%llx\n", d, (unsigned long long)l->perm[i].start,
                (unsigned long long)l->perm[i].end);
    n = clampn(sim_list_mappings(hv, d, l->map, MAX_LIST), MAX_LIST);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "dom%u map gfn=0x%llx mfn=0x%llx nr=%llu\n", d,
                (unsigned long long)l->map[i].gfn, (unsigned long long)l->map[i].mfn,
                (unsigned long long)l->map[i].nr);
    unsigned ns = clampn(sim_list_servers(hv, d, l->srv, 8), 8);
    for (unsigned s = 0; s < ns; s++) {
        unsigned id = l->srv[s].id;
        fprintf(f, "dom%u server %u enabled=%s\n", d, id, l->srv[s].enabled ? "yes" : "no");
        for (unsigned t = 0; t < 3; t++) {
            n = clampn(sim_list_ranges(hv, d, (uint16_t)id, t, l->rng[t], MAX_LIST), MAX_LIST);
            text_ranges(f, d, id, t, l->rng[t], n);
        }
    }
    n = clampn(sim_list_irqs_high(hv, d, l->irqs, 1024), 1024);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "dom%u irq %u level=1\n", d, l->irqs[i]);
    n = clampn(sim_list_its_bindings(hv, d, l->its, 64), 64);
    for (unsigned i = 0; i < n; i++) {
        char buf[SBDF_STR_LEN];
        struct sbdf sb = sbdf_decode(l->its[i].machine_sbdf);
        fprintf(f, "dom%u its guest-devid=0x%x sbdf=%s host-devid=0x%x events=%u\n", d,
                l->its[i].guest_devid, sbdf_format(&sb, buf), l->its[i].host_devid,
                l->its[i].nr_events);
    }
    uint64_t acc = 0, ref = 0;
    if (d && !sim_its_mapd_counts(hv, d, &acc, &ref))
        fprintf(f, "dom%u its-mapd accepted=%llu refused=%llu\n", d, (unsigned long long)acc,
                (unsigned long long)ref);
}

static void json_ranges(FILE *f, const struct sim_range *r, unsigned n)
{
    fputc('[', f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s[%llu,%llu]", i ? "," : "", (unsigned long long)r[i].start,
                (unsigned long long)r[i].end);
    fputc(']', f);
}

static void show_json(FILE *f, struct hv *hv, const struct sim_domain_info *di, struct lists *l)
{
    uint32_t d = di->domid;
    fprintf(f, "{\"domid\":%u,\"vcpus\":%u,\"spis\":%u,\"ram_base\":%llu,\"ram_size\":%llu,"
            "\"crashed\":%s,\"stats\":{\"memory_mapping_calls\":%llu,\"ioreqs\":%llu,"
            "\"direct\":%llu,\"ram\":%llu,\"aborts\":%llu,\"bad_state\":%llu,"
            "\"emulator_gone\":%llu},\"iomem\":", d, di->nr_vcpus, di->nr_spis,
            (unsigned long long)di->ram_base, (unsigned long long)di->ram_size,
            di->crashed ? "true" : "false", (unsigned long long)di->memory_mapping_calls,
            (unsigned long long)di->ioreqs, (unsigned long long)di->direct_accesses,
            (unsigned long long)di->ram_accesses, (unsigned long long)di->aborts,
            (unsigned long long)di->bad_state, (unsigned long long)di->emulator_gone);
    json_ranges(f, l->perm, clampn(sim_list_permissions(hv, d, l->perm, MAX_LIST), MAX_LIST));
    fputs(",\"mappings\":[", f);
    unsigned n = clampn(sim_list_mappings(hv, d, l->map, MAX_LIST), MAX_LIST);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s{\"gfn\":%llu,\"mfn\":%llu,\"nr\":%llu}", i ? "," : "",
                (unsigned long long)l->map[i].gfn, (unsigned long long)l->map[i].mfn,
                (unsigned long long)l->map[i].nr);
    fputs("],\"servers\":[", f);
    unsigned ns = clampn(sim_list_servers(hv, d, l->srv, 8), 8);
    for (unsigned s = 0; s < ns; s++) {
        unsigned id = l->srv[s].id;
        fprintf(f, "%s{\"id\":%u,\"enabled\":%s", s ? "," : "", id,
                l->srv[s].enabled ? "true" : "false");
        for (unsigned t = 0; t < 3; t++) {
            fprintf(f, ",\"%s\":", range_name[t]);
            json_ranges(f, l->rng[t],
                        clampn(sim_list_ranges(hv, d, (uint16_t)id, t, l->rng[t], MAX_LIST),
                               MAX_LIST));
        }
        fputc('}', f);
    }
    fputs("],\"irqs_high\":[", f);
    n = clampn(sim_list_irqs_high(hv, d, l->irqs, 1024), 1024);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s%u", i ? "," : "", l->irqs[i]);
    fputs("],\"its\":[", f);
    n = clampn(sim_list_its_bindings(hv, d, l->its, 64), 64);
    for (unsigned i = 0; i < n; i++) {
        char buf[SBDF_STR_LEN];
        struct sbdf sb = sbdf_decode(l->its[i].machine_sbdf);
        fprintf(f, "%s{\"guest_devid\":%u,\"sbdf\":\"%s\",\"host_devid\":%u,\"events\":%u}",
                i ? "," : "", l->its[i].guest_devid, sbdf_format(&sb, buf),
                l->its[i].host_devid, l->its[i].nr_events);
    }
    uint64_t acc = 0, ref = 0;
    (void)sim_its_mapd_counts(hv, d, &acc, &ref);
    fprintf(f, "],\"its_mapd\":{\"accepted\":%llu,\"refused\":%llu}}",
            (unsigned long long)acc, (unsigned long long)ref);
}

int sim_show(struct hv *hv, FILE *f, long domid, bool json)
{
    uint32_t ids[64];
    int n = sim_list_domains(hv, ids, 64);
    if (n < 0)
        return n;
    struct lists *l = malloc(sizeof(*l));
    if (!l)
        return -ENOMEM;
    int rc = domid >= 0 ? -ESRCH : 0;
    unsigned shown = 0;
    if (json)
        fputs("{\"domains\":[", f);
    for (int i = 0; i < n && i < 64; i++) {
        struct sim_domain_info di;
        if ((domid >= 0 && ids[i] != (uint32_t)domid) || sim_domain_info(hv, ids[i], &di))
            continue;
        rc = 0;
        if (json && shown)
            fputc(',', f);
        if (json)
            show_json(f, hv, &di, l);
        else
            show_text(f, hv, &di, l);
        shown++;
    }
    if (json)
        fputs("]}\n", f);
    free(l);
    return rc;
}
