/* Which domain an assignment belongs to (docs/design/attach.md "Hand-over:
 * a stale assignment"): a domid is reused once its domain is gone, so the
 * backend dir names its domain by the `vm` node libxl gives it,
 * /local/domain/D/vm = "/vm/<uuid>", copied to be/pcipt/vm when the first
 * device is published.  An assignment whose be/pcipt/vm is not the
 * domain's current `vm` (the domain is gone, or the domid is another
 * domain's now) is stale: nobody serves it, and whoever finds it cleans it
 * up (pcipt/assign/stale.h). */
#ifndef PCIPT_XS_OWNER_H
#define PCIPT_XS_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#define XSP_VM_MAX 128

/* A `vm` value pcipt records: "" or "/vm/" and a name of letters, digits,
 * '-', '_' and '.' (libxl's "/vm/<uuid>"), shorter than XSP_VM_MAX. */
bool xsp_vm_valid(const char *v);
/* /local/domain/D/vm into vm ("" if absent or too long); 0 or -errno. */
int xsp_domain_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, char *vm,
                  size_t len);
/* be/pcipt/vm into vm; -ENOENT if absent (an older pcipt's assignment, or
 * none). */
int xsp_read_owner_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, char *vm,
                      size_t len);
/* Write be/pcipt/vm (inside t). */
int xsp_write_owner_vm(struct xs_handle *xs, xs_transaction_t t, uint32_t domid,
                       const char *vm);
/* 0 when the domain's assignment is its own (or unnamed: no be/pcipt/vm, or
 * ""), -ESTALE when be/pcipt/vm names another `vm` than the domain's
 * (recorded and current, either may be NULL, receive both), another
 * -errno if xenstore cannot say. */
int xsp_owner_check(struct xs_handle *xs, uint32_t domid, char *recorded, char *current,
                    size_t len);

#endif
