/* fuzz_cfg: a stream of guest config requests against a topology built from
 * one real dump (tests/fuzz/fuzz_topo.h), with the invariants checked after
 * every request (abort on violation; docs/testing/fuzz.md "Invariants" lists them):
 *
 *  I1 no crash, no ASan/UBSan report (the build aborts on any);
 *  I2 the host config space is never written (the snapshot device aborts on
 *     any host write: no register has REG_HOST_RW) and never changes;
 *  I3 read-only bits (RO, RsvdP, RsvdZ, host-sourced and zero registers,
 *     gaps) of the written dwords read back as at power-on after every
 *     write, and of every function the input wrote, over all 4 KiB, at the
 *     end of the input;
 *  I4 absent functions (other segments, buses, slots, functions) and bad
 *     accesses (size not 1/2/4/8, misaligned, beyond 4 KiB) read all-ones
 *     of the size (0xff for odd sizes, 64 ones above 8) on every path
 *     (with or without a bridge for the segment), touch no host register and
 *     send no event; reads of registers with no host-backed byte make no
 *     host access (docs/design.md "Targets");
 *  I5 BAR events name an implemented BAR of the function, carry exactly its
 *     size, old/new addresses aligned to that size (32-bit BARs and the ROM
 *     below 4 GiB); MAP only with Command.Memory on and never twice; UNMAP
 *     and MOVE-of-a-mapped-BAR only where the daemon mapped it; FLR only
 *     after every BAR was unmapped; MSI state within the capability;
 *  I6 the daemon's policy (fz_policy_accepts) never accepts a BAR outside
 *     the holes, and the engine's idea of what is mapped (vdev_bar_info)
 *     equals the daemon's model after every request;
 *  I7 a daemon restart (save state, new topology, restore) leaves the guest
 *     view unchanged except BARs mid-probe, and the engine
 *     counts as mapped exactly what the daemon had mapped (the p2m
 *     outlives the daemon).
 *
 * Input: byte 0 picks the dump; then operations until the input ends:
 *   op & 3 == 0/1  read/write; target byte t: t < 0xe0 picks a present
 *                  function (t % n), else 4 raw bytes seg/bus/dev/fn;
 *                  reg 16 bits (& 0x1fff); size byte % 17; write data 8 bytes
 *   op & 3 == 2    write to a present function, aligned, size 1/2/4/8 (the
 *                  shapes a guest really uses, to get deep quickly)
 *   op & 3 == 3    op >> 2: 0 restart, 1 restore a raw vdev_state (as read
 *                  from xenstore), 2 vdev_reset, 3 vdev_msi_set_pending, or
 *                  (op >> 4 odd) an MSI-X table/PBA access (vdev_msix_mmio):
 *                  M1 it answers 0 or 1; a claimed access of a size or
 *                  alignment PCI 3.0 §6.8.2 forbids reads all-ones and is
 *                  counted, and nothing else is. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hostbridge/common/log.h"
#include "tests/fuzz/fuzz_topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct fz_world world;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    log_set_level(LOG_LVL_ERR);
    return 0;
}

static void target(struct fz_in *in, const struct fz_world *w, struct cfg_req *r)
{
    uint8_t t = fz_u8(in);

    if (t < 0xe0) {
        const struct fz_fn *f = &w->fn[t % w->nfn];
        *r = (struct cfg_req){ .seg = 0, .bus = FZ_BUS_START, .dev = f->slot, .fn = f->fn };
    } else {
        uint8_t s = fz_u8(in);
        *r = (struct cfg_req){ .seg = s & 1 ? s : 0, .bus = fz_u8(in), .dev = fz_u8(in),
                               .fn = fz_u8(in) };
    }
}

static void msix_access(struct vdev *v, struct fz_in *in)
{
    struct msix_info mi;
    uint8_t sz = fz_u8(in), how = fz_u8(in);
    unsigned size = 1u << (sz % 4);
    uint64_t before = vdev_msix_bad(v), data = fz_u64(in), sent = data;
    bool write = how & 1;

    vdev_msix_info(v, &mi);
    int bar = (how & 2) ? mi.pba_bar : mi.table_bar;
    uint64_t base = (how & 2) ? mi.pba_offset : mi.table_offset;
    uint64_t off = (how & 4) ? fz_u64(in) : base + (fz_u16(in) & 0x7fff);
    int rc = vdev_msix_mmio(v, bar, off, size, write, &data);
    bool ok = (size == 4 || size == 8) && !(off & (size - 1));
    uint64_t counted = vdev_msix_bad(v) - before;

    if (rc != 0 && rc != 1)
        fz_fail("M1: vdev_msix_mmio returned %d", rc);
    if (rc == 0 && (counted || data != sent))
        fz_fail("M1: an unclaimed access at %d+0x%llx changed something", bar,
                (unsigned long long)off);
    if (rc == 1 && !ok && (counted != 1 || (!write && data != ~0ull)))
        fz_fail("M1: a size-%u access at %d+0x%llx was not refused", size, bar,
                (unsigned long long)off);
    if (rc == 1 && ok && counted)
        fz_fail("M1: an aligned size-%u access at %d+0x%llx was counted as bad", size, bar,
                (unsigned long long)off);
}

static void special(struct fz_world *w, struct fz_in *in, unsigned what)
{
    unsigned k = fz_u8(in) % w->nfn;

    switch (what % 4) {
    case 0:
        fz_restart(w);
        break;
    case 1: {
        struct vdev_state st;
        memset(&st, 0, sizeof(st));
        st.command = fz_u16(in);
        st.status_rw1c = fz_u16(in);
        for (int i = 0; i < PCI_NUM_RES; i++)
            st.guest_bar[i] = fz_u64(in);
        st.rom_ctrl = fz_u32(in);
        st.intx_line = fz_u8(in);
        st.msi_ctrl = fz_u16(in);
        st.msi_addr = fz_u64(in);
        st.msi_data = fz_u16(in);
        st.msi_mask = fz_u32(in);
        st.msix_ctrl = fz_u16(in);
        st.pcie_devctl = fz_u16(in);
        st.pcie_lnkctl = fz_u16(in);
        st.pcie_devctl2 = fz_u16(in);
        st.pm_ctrl = fz_u16(in);
        st.cache_line = fz_u8(in);
        st.latency_timer = fz_u8(in);
        st.bars_mapped = fz_u8(in);
        st.msi_pending = fz_u32(in);
        fz_restore_raw(w, k, &st);
        break;
    }
    case 2:
        if (k) {
            vdev_reset(w->fn[k].v);
            w->fn[k].touched = true;
        }
        break;
    default:
        if (k && (what & 4))
            msix_access(w->fn[k].v, in);
        else if (k)
            vdev_msi_set_pending(w->fn[k].v, fz_u32(in));
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = { data, size };
    struct fz_world *w = &world;
    unsigned ops = 0;

    if (!size)
        return 0;
    fz_world_build(w, fz_u8(&in) % fz_ndumps());
    while (in.n && ops++ < 4096) {
        uint8_t op = fz_u8(&in);
        struct cfg_req r;

        switch (op & 3) {
        case 0:
        case 1:
            target(&in, w, &r);
            r.reg = fz_u16(&in) & 0x1fff;
            r.size = fz_u8(&in) % 17;
            if (op & 1)
                fz_checked_write(w, &r, fz_u64(&in));
            else
                fz_checked_read(w, &r);
            break;
        case 2: {
            static const uint8_t sizes[] = { 1, 2, 4, 8 };
            const struct fz_fn *f = &w->fn[fz_u8(&in) % w->nfn];
            r = (struct cfg_req){ .seg = 0, .bus = FZ_BUS_START, .dev = f->slot, .fn = f->fn };
            r.size = sizes[(op >> 2) & 3];
            r.reg = (uint16_t)((fz_u16(&in) & 0xfff) & ~(r.size - 1u));
            fz_checked_write(w, &r, fz_u64(&in));
            break;
        }
        default:
            special(w, &in, op >> 2);
            break;
        }
        fz_check_world_light(w);
    }
    fz_check_world(w);
    fz_world_free(w);
    return 0;
}
