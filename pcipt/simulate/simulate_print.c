/* pcipt simulate's output: text (the guest's `lspci -vv`-like view, then
 * the counters) and JSON. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcipt/assign/attach.h"
#include "pcipt/util/jsonw.h"
#include "pcipt/host/lspci_fmt.h"
#include "pcipt/simulate/simulate.h"

long long simulate_stat(const char *stats, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof(pat), " %s=", key);
    if (!(p = strstr(stats, pat)))
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

/* Each "key=value" of the daemon's stats line (after "pciptd: stats"). */
static void for_each_stat(const char *stats, void (*fn)(FILE *, const char *, const char *, bool),
                          FILE *f)
{
    char buf[1024], *save = NULL, *tok;
    bool first = true;

    snprintf(buf, sizeof(buf), "%s", stats);
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || !strncmp(tok, "dom=", 4))
            continue;
        *eq = '\0';
        fn(f, tok, eq + 1, first);
        first = false;
    }
}

static void stat_text(FILE *f, const char *k, const char *v, bool first)
{
    (void)first;
    fprintf(f, "  %-18s %s\n", k, v);
}

static void stat_json(FILE *f, const char *k, const char *v, bool first)
{
    fprintf(f, "%s", first ? "" : ",");
    json_str(f, k);
    /* first_access_ms is "-" before any access: print null then */
    fprintf(f, ":%s", strcmp(v, "-") ? v : "null");
}

static const char *const touch_names[] = { "none", "direct", "trapped", "abort" };

static void print_touches(FILE *f, const struct simulate_report *r)
{
    const struct guest_enum_result *e = r->vcpu[0].res;
    bool header = false;
    char lb[16];

    for (unsigned i = 0; i < e->nfuncs; i++)
        for (unsigned b = 0; b <= GUEST_ENUM_ROM; b++) {
            const struct simulate_touch_result *t = &r->vcpu[0].touch[i][b];
            const struct sbdf *d = &e->funcs[i].bdf;
            if (t->kind == TOUCH_NONE)
                continue;
            if (!header)
                fprintf(f, "\nFirst load from each BAR (its first dword):\n");
            header = true;
            fprintf(f, "  " BDF_FMT " %-6s at 0x%" PRIx64 ": ", BDF_ARGS(*d),
                    attach_bar_label(b, lb), e->funcs[i].res[b].addr);
            if (t->kind == TOUCH_DIRECT)
                fprintf(f, "direct (stage-2 mapped, no trap)\n");
            else if (t->kind == TOUCH_TRAPPED)
                fprintf(f, "trapped, reads 0x%08x (not mapped: MSI-X table/PBA page, disabled "
                        "ROM or a refused BAR)\n", t->value);
            else
                fprintf(f, "data abort (nothing claims the address)\n");
        }
}

void simulate_print_text(FILE *f, const struct simulate_report *r)
{
    const struct guest_layout *l = &r->layout;
    const struct sim_domain_info *d = &r->dom;
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    fprintf(f, "Simulated domain %u: %u vCPU%s; ECAM 0x%" PRIx64 ", MEM window 0x%" PRIx64
            "-0x%" PRIx64 ", prefetchable window 0x%" PRIx64 "-0x%" PRIx64 "\n",
            r->domid, r->nvcpus, r->nvcpus == 1 ? "" : "s", l->ecam_base, l->mem_base,
            l->mem_base + l->mem_size - 1, l->pref_base, l->pref_base + l->pref_size - 1);
    for (unsigned i = 0; i < r->ndevs; i++)
        fprintf(f, "Attached %s as %s\n", sbdf_format(&r->host[i], h),
                sbdf_format(&r->guest[i], g));
    fprintf(f, "\nGuest view:\n");
    guest_enum_print(f, r->vcpu[0].res);
    print_touches(f, r);
    fprintf(f, "\nEnumerations: %u, one per vCPU, all equal\n", r->nvcpus);
    for (unsigned i = 0; i < r->nvcpus; i++) {
        const struct guest_enum_result *e = r->vcpu[i].res;
        fprintf(f, "  vCPU %u: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64 " aborts\n", i,
                e->cfg_reads, e->cfg_writes, e->aborts);
    }
    fprintf(f, "\nDaemon counters (pcipt serve %u):\n", r->domid);
    for_each_stat(r->stats, stat_text, f);
    fprintf(f, "\nSimulator counters (domain %u):\n", r->domid);
    fprintf(f, "  %-18s %" PRIu64 "\n  %-18s %" PRIu64 "\n  %-18s %" PRIu64 "\n"
            "  %-18s %" PRIu64 "\n  %-18s %" PRIu64 "\n  %-18s %" PRIu64 "\n",
            "ioreqs", d->ioreqs, "direct_accesses", d->direct_accesses, "aborts", d->aborts,
            "memory_mappings", d->memory_mapping_calls, "bad_state", d->bad_state,
            "emulator_gone", d->emulator_gone);
    fprintf(f, "  %-18s %u\n", "p2m_ranges", r->nmaps);
    for (unsigned i = 0; i < r->nmaps; i++)
        fprintf(f, "    gfn 0x%" PRIx64 " <- mfn 0x%" PRIx64 ", %" PRIu64 " page%s\n",
                r->maps[i].gfn, r->maps[i].mfn, r->maps[i].nr, r->maps[i].nr == 1 ? "" : "s");
}

static void json_bar(FILE *f, const struct guest_bar *b, unsigned i, bool first,
                     const struct simulate_touch_result *t)
{
    static const char *const kinds[] = { "none", "mem", "io", "rom" };

    fprintf(f, "%s{\"index\":%u,\"kind\":\"%s\",\"is64\":%s,\"prefetchable\":%s,"
            "\"assigned\":%s,\"address\":%" PRIu64 ",\"size\":%" PRIu64
            ",\"first_load\":\"%s\"}",
            first ? "" : ",", i, kinds[b->kind], b->is64 ? "true" : "false",
            b->prefetch ? "true" : "false", b->assigned ? "true" : "false", b->addr, b->size,
            touch_names[t->kind]);
}

static void json_func(FILE *f, const struct guest_func *fn, bool first,
                      const struct simulate_touch_result *touch)
{
    char s[SBDF_STR_LEN];
    bool any = false;

    fprintf(f, "%s{\"bdf\":", first ? "" : ",");
    json_str(f, sbdf_format(&fn->bdf, s));
    fprintf(f, ",\"vendor\":%u,\"device\":%u,\"class\":%u,\"revision\":%u,"
            "\"subsystem_vendor\":%u,\"subsystem_device\":%u,\"command\":%u,"
            "\"irq_pin\":%u,\"irq_line\":%u,\"bars\":[",
            fn->vendor, fn->device, fn->class_code, fn->rev, fn->subsys_vendor, fn->subsys_id,
            fn->command, fn->irq_pin, fn->irq_line);
    for (unsigned i = 0; i <= GUEST_ENUM_ROM; i++)
        if (fn->res[i].kind != GUEST_BAR_NONE) {
            json_bar(f, &fn->res[i], i, !any, &touch[i]);
            any = true;
        }
    fprintf(f, "],\"capabilities\":[");
    for (unsigned i = 0; i < fn->ncaps; i++)
        fprintf(f, "%s{\"id\":%u,\"offset\":%u}", i ? "," : "", fn->caps[i].id,
                fn->caps[i].off);
    fprintf(f, "],\"extended_capabilities\":[");
    for (unsigned i = 0; i < fn->next; i++)
        fprintf(f, "%s{\"id\":%u,\"offset\":%u}", i ? "," : "", fn->ext[i].id, fn->ext[i].off);
    fprintf(f, "],\"msi\":{\"present\":%s,\"enabled\":%s,\"address\":%" PRIu64
            ",\"data\":%u},\"msix\":{\"present\":%s,\"enabled\":%s,\"table_size\":%u}}",
            fn->msi_present ? "true" : "false", fn->msi_enabled ? "true" : "false",
            fn->msi_addr, fn->msi_data, fn->msix_present ? "true" : "false",
            fn->msix_enabled ? "true" : "false", fn->msix_table_size);
}

void simulate_print_json(FILE *f, const struct simulate_report *r)
{
    const struct guest_enum_result *e = r->vcpu[0].res;
    const struct sim_domain_info *d = &r->dom;
    char h[SBDF_STR_LEN], g[SBDF_STR_LEN];

    fprintf(f, "{\"domain\":%u,\"vcpus\":%u,\"devices\":[", r->domid, r->nvcpus);
    for (unsigned i = 0; i < r->ndevs; i++) {
        fprintf(f, "%s{\"host\":", i ? "," : "");
        json_str(f, sbdf_format(&r->host[i], h));
        fprintf(f, ",\"guest\":");
        json_str(f, sbdf_format(&r->guest[i], g));
        fputc('}', f);
    }
    fprintf(f, "],\"functions\":[");
    for (unsigned i = 0; i < e->nfuncs; i++)
        json_func(f, &e->funcs[i], i == 0, r->vcpu[0].touch[i]);
    fprintf(f, "],\"unassigned\":%u,\"enumerations\":[", e->unassigned);
    for (unsigned i = 0; i < r->nvcpus; i++)
        fprintf(f, "%s{\"vcpu\":%u,\"reads\":%" PRIu64 ",\"writes\":%" PRIu64
                ",\"aborts\":%" PRIu64 "}", i ? "," : "", i, r->vcpu[i].res->cfg_reads,
                r->vcpu[i].res->cfg_writes, r->vcpu[i].res->aborts);
    fprintf(f, "],\"daemon\":{");
    for_each_stat(r->stats, stat_json, f);
    fprintf(f, "},\"sim\":{\"ioreqs\":%" PRIu64 ",\"direct_accesses\":%" PRIu64
            ",\"aborts\":%" PRIu64 ",\"memory_mappings\":%" PRIu64 ",\"bad_state\":%" PRIu64
            ",\"emulator_gone\":%" PRIu64 ",\"p2m\":[",
            d->ioreqs, d->direct_accesses, d->aborts, d->memory_mapping_calls, d->bad_state,
            d->emulator_gone);
    for (unsigned i = 0; i < r->nmaps; i++)
        fprintf(f, "%s{\"gfn\":%" PRIu64 ",\"mfn\":%" PRIu64 ",\"pages\":%" PRIu64 "}",
                i ? "," : "", r->maps[i].gfn, r->maps[i].mfn, r->maps[i].nr);
    fprintf(f, "]}");
    if (r->dir[0]) {
        fprintf(f, ",\"kept_dir\":");
        json_str(f, r->dir);
    }
    fprintf(f, "}\n");
}

int simulate_write_lspci_dump(FILE *f, const struct simulate_report *r)
{
    const struct guest_enum_result *e = r->vcpu[0].res;
    int rc = 0;

    for (unsigned i = 0; i < e->nfuncs && !rc; i++)
        rc = lspci_fmt_write(f, &e->funcs[i].bdf, "guest view", r->vcpu[0].cfg + (size_t)i * 4096,
                             4096);
    return rc;
}
