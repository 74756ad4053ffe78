/* What `pcipt attach` and `pcipt detach` share: argument parsing and the
 * attach context built from the global options (--hv, --sysfs, --config). */
#ifndef PCIPT_CMD_CTX_H
#define PCIPT_CMD_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "pcipt/assign/attach.h"
#include "pcipt/cli/cmds.h"
#include "pcipt/util/numarg.h"

/* The arguments of attach, pci-attach, detach and pci-detach:
 * [--bind] [--force] [--unsafe-dma] DOMID SBDF[@SLOT[.FN]].  `how` says what the command
 * takes; anything else is a usage error. */
#define DEV_ARGS_VSLOT     0x1u   /* SBDF may carry @SLOT[.FN] (attach) */
#define DEV_ARGS_BIND      0x2u   /* --bind, --force and --unsafe-dma (attach) */
#define DEV_ARGS_DASHDASH  0x4u   /* "--" quotes the next argument */
struct dev_args {
    uint32_t domid;
    struct sbdf host;
    int slot, fn;                 /* -1 and 0 without @SLOT[.FN] */
    unsigned attach_flags;        /* ATTACH_BIND, ATTACH_FORCE, ATTACH_UNSAFE_DMA as given */
};
/* 0, or the command's exit status after printing the usage error. */
int cmd_parse_dev_args(const struct pcipt_cmd *cmd, int argc, char **argv, unsigned how,
                       struct dev_args *a);

/* attach_ctx_open with the global options; 0, or 1 after printing its
 * one-line error. */
int cmd_ctx_open(struct attach_ctx *ctx, bool with_layout);
void cmd_ctx_close(struct attach_ctx *ctx);

/* For the preview commands (plan, guest-view): warn, one line each, when
 * host is bound to a dom0 driver or has no usable reset method
 * (hostpci_check_preview); anything else is left to the command. */
void cmd_preview_warnings(const struct sbdf *host);

#endif
