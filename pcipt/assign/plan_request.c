/* SBDF[@SLOT[.FN]] command-line arguments into planner requests (shared by
 * `pcipt plan`, `pcipt dtb` and `pcipt create`'s `pcipt = [...]`), and host
 * functions named otherwise (xl's `pci = [...]`, pcipt/xl/create_pci.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"

/* The per-device options after the device, xl.cfg(5)'s PCI_SPEC_STRING
 * convention ("[DDDD:]BB:DD.F[@VSLOT],KEY=VALUE,..."; a boolean is 0 or 1;
 * the last one given wins):
 *   force=0|1       accept the function without a usable reset method
 *                   (as `attach --force`, for this device only)
 *   unsafe_dma=0|1  let its Bus Master reach the host without an IOMMU
 *                   context (pcipt/assign/dma.h)
 * Any other key, or another value, is refused naming the entry. */
static int parse_options(const char *arg, const char *opts, struct plan_request *rq, char *err,
                         size_t errlen)
{
    while (*opts) {
        size_t n = strcspn(opts, ","), k = strcspn(opts, "=,");
        const char *val = opts + k + 1;
        bool *flag = NULL;

        if (k == 5 && !strncmp(opts, "force", 5))
            flag = &rq->force;
        else if (k == 10 && !strncmp(opts, "unsafe_dma", 10))
            flag = &rq->unsafe_dma;
        if (!flag) {
            snprintf(err, errlen, "'%s': unknown option '%.*s' (per-device options: force=0|1, "
                     "unsafe_dma=0|1)", arg, (int)k, opts);
            return -EINVAL;
        }
        if (k == n || n - k != 2 || (*val != '0' && *val != '1')) {
            snprintf(err, errlen, "'%s': option '%.*s' must be %.*s=0 or %.*s=1", arg, (int)n,
                     opts, (int)k, opts, (int)k, opts);
            return -EINVAL;
        }
        *flag = *val == '1';
        opts += n + (opts[n] == ',');
    }
    return 0;
}

/* The host function's BARs and INTx pin into rq (rq->host set); bridges
 * are refused. */
static int read_host(const char *sysfs, struct plan_request *rq, char *err, size_t errlen)
{
    struct hostpci *hp;
    const struct hostpci_info *in;
    char name[SBDF_STR_LEN];
    int rc = hostpci_open(sysfs, &rq->host, &hp, err, errlen);

    if (rc)
        return rc;
    in = hostpci_info(hp);
    if (in->header_type != 0) {
        snprintf(err, errlen, "%s is a bridge (header type %u); only endpoints can be planned",
                 sbdf_format(&rq->host, name), in->header_type);
        hostpci_close(hp);
        return -EINVAL;
    }
    memcpy(rq->bars, hostpci_host_dev(hp)->bars, sizeof(rq->bars));
    rq->intx_pin = in->intx_pin;
    hostpci_close(hp);
    return 0;
}

int plan_request_from_host(const char *sysfs, const struct sbdf *host, int slot,
                           struct plan_request *rq, char *err, size_t errlen)
{
    memset(rq, 0, sizeof(*rq));
    rq->host = *host;
    rq->slot = slot;
    return read_host(sysfs, rq, err, errlen);
}

/* Read one host function into a planner request; bridges are refused. */
int plan_request_from_arg(const char *sysfs, const char *arg, struct plan_request *rq, char *err,
                          size_t errlen)
{
    char dev[64];
    const char *comma = strchr(arg, ',');
    int rc;

    size_t len = comma ? (size_t)(comma - arg) : strlen(arg);

    memset(rq, 0, sizeof(*rq));
    snprintf(dev, sizeof(dev), "%.*s", (int)(len < sizeof(dev) ? len : 0), arg);
    /* too long for dev: refused, never read truncated (fuzz_xlcfg P4) */
    if (len >= sizeof(dev) || sbdf_parse_vslot(dev, &rq->host, &rq->slot, &rq->fn)) {
        snprintf(err, errlen, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]][,KEY=0|1...] (slot "
                 "1..31, function 0..7)", arg);
        return -EINVAL;
    }
    if (comma && (rc = parse_options(arg, comma + 1, rq, err, errlen)))
        return rc;
    return read_host(sysfs, rq, err, errlen);
}
