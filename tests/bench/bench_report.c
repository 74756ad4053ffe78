/* The results table, the machine-readable lines, and small helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench.h"

#define MAX_METRICS 32
#define MAX_NOTES   32

struct metric {
    char name[48];
    double value, baseline;
    char unit[16];
    char what[96];
};

static struct metric metrics[MAX_METRICS];
static unsigned nmetrics;
static char notes[MAX_NOTES][320];
static unsigned nnotes;

void bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pcipt-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void bench_metric(const char *name, double value, double baseline, const char *unit,
                  const char *what)
{
    if (nmetrics == MAX_METRICS)
        bench_fail("more than %d metrics", MAX_METRICS);
    struct metric *m = &metrics[nmetrics++];
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->unit, sizeof(m->unit), "%s", unit);
    snprintf(m->what, sizeof(m->what), "%s", what);
    m->value = value;
    m->baseline = baseline;
    /* progress on stderr, so a slow group is visible while it runs */
    fprintf(stderr, "  %-32s %12.4g %12.4g %s\n", name, value, baseline, unit);
}

void bench_note(const char *fmt, ...)
{
    va_list ap;
    if (nnotes == MAX_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
    va_end(ap);
}

static double ratio(const struct metric *m)
{
    return m->baseline != 0 ? m->value / m->baseline : 0.0;
}

unsigned bench_print(void)
{
    printf("%-32s %12s %12s %9s  %-6s %s\n", "metric", "value", "baseline", "ratio", "unit",
           "baseline is");
    for (unsigned i = 0; i < nmetrics; i++) {
        const struct metric *m = &metrics[i];
        printf("%-32s %12.6g %12.6g %9.4f  %-6s %s\n", m->name, m->value, m->baseline,
               ratio(m), m->unit, m->what);
    }
    printf("\n");
    for (unsigned i = 0; i < nmetrics; i++) {
        const struct metric *m = &metrics[i];
        printf("metric=%s value=%.6g baseline=%.6g ratio=%.6g unit=%s baseline_is=\"%s\"\n",
               m->name, m->value, m->baseline, ratio(m), m->unit, m->what);
    }
    if (nnotes)
        printf("\n");
    for (unsigned i = 0; i < nnotes; i++)
        printf("# %s\n", notes[i]);
    fflush(stdout);
    return nmetrics;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
    if (!n)
        return 0.0;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t rank = (size_t)(q * (double)n + 0.999999);   /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* The first matching "key ... : value" line of a /proc file, value trimmed. */
static void proc_field(const char *path, const char *key, char *out, size_t len)
{
    char line[512];
    FILE *f = fopen(path, "r");
    snprintf(out, len, "unknown");
    while (f && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, key, strlen(key)) || !colon)
            continue;
        colon += 1 + strspn(colon + 1, " \t");
        colon[strcspn(colon, "\n")] = 0;
        snprintf(out, len, "%s", colon);
        break;
    }
    if (f)
        fclose(f);
}

void bench_machine(void)
{
    char cpu[256], mem[64];
    struct utsname u;
    proc_field("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
    proc_field("/proc/meminfo", "MemTotal", mem, sizeof(mem));
    if (uname(&u))
        snprintf(u.release, sizeof(u.release), "unknown");
    printf("# machine: nproc %ld, CPU %s, memory %s, kernel %s %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), cpu, mem, u.sysname, u.release);
}
