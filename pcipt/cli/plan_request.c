/* SBDF[@SLOT[.FN]] command-line arguments into planner requests (shared by
 * `pcipt plan` and `pcipt dtb`). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"

/* ",unsafe_dma=0|1" options after the device (the only one so far). */
static int parse_options(const char *arg, const char *opts, struct plan_request *rq, char *err,
                         size_t errlen)
{
    while (*opts) {
        size_t n = strcspn(opts, ",");

        if (n == 12 && !strncmp(opts, "unsafe_dma=1", 12))
            rq->unsafe_dma = true;
        else if (n == 12 && !strncmp(opts, "unsafe_dma=0", 12))
            rq->unsafe_dma = false;
        else {
            snprintf(err, errlen, "'%s': unknown option '%.*s' (the only one is "
                     "unsafe_dma=1)", arg, (int)n, opts);
            return -EINVAL;
        }
        opts += n + (opts[n] == ',');
    }
    return 0;
}

/* Read one host function into a planner request; bridges are refused. */
int plan_request_from_arg(const char *sysfs, const char *arg, struct plan_request *rq, char *err,
                          size_t errlen)
{
    struct hostpci *hp;
    const struct hostpci_info *in;
    char name[SBDF_STR_LEN], dev[64];
    const char *comma = strchr(arg, ',');
    int rc;

    memset(rq, 0, sizeof(*rq));
    snprintf(dev, sizeof(dev), "%.*s", comma ? (int)(comma - arg) : (int)strlen(arg), arg);
    if (sbdf_parse_vslot(dev, &rq->host, &rq->slot, &rq->fn)) {
        snprintf(err, errlen, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]][,unsafe_dma=1] (slot "
                 "1..31, function 0..7)", arg);
        return -EINVAL;
    }
    if (comma && (rc = parse_options(arg, comma + 1, rq, err, errlen)))
        return rc;
    rc = hostpci_open(sysfs, &rq->host, &hp, err, errlen);
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

