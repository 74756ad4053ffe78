/* SBDF[@SLOT[.FN]] command-line arguments into planner requests (shared by
 * `pcipt plan` and `pcipt dtb`). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcipt/host/hostpci.h"
#include "pcipt/assign/plan.h"

/* Read one host function into a planner request; bridges are refused. */
int plan_request_from_arg(const char *sysfs, const char *arg, struct plan_request *rq, char *err,
                          size_t errlen)
{
    struct hostpci *hp;
    const struct hostpci_info *in;
    char name[SBDF_STR_LEN];
    int rc;

    memset(rq, 0, sizeof(*rq));
    if (sbdf_parse_vslot(arg, &rq->host, &rq->slot, &rq->fn)) {
        snprintf(err, errlen, "'%s' is not SSSS:BB:DD.F[@SLOT[.FN]] (slot 1..31, function 0..7)",
                 arg);
        return -EINVAL;
    }
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

