/* Where pcipt's devices live in xenstore: libxl's pciback backend directory
 * of a domain, /local/domain/0/backend/pci/DOMID/0 (libxl keeps one PCI
 * backend device, number 0, per domain; pcipt's own nodes sit under its
 * pcipt/ subdirectory, see pcipt/xs/xs_publish.h).  Every layer that names
 * a domain's devices in xenstore takes the path from here. */
#ifndef PCIPT_XS_PATHS_H
#define PCIPT_XS_PATHS_H

#include <stdint.h>

#include "pcipt/xs/xs.h"

/* The parent of every domain's backend: one child per DOMID. */
#define XSP_BACKEND_ROOT "/local/domain/0/backend/pci"

/* XSP_BACKEND_ROOT "/DOMID/0" into buf (XSW_PATH_MAX bytes); returns buf. */
char *xsp_backend_path(uint32_t domid, char *buf);

#endif
