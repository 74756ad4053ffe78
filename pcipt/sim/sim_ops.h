/* Internal: the sim backend's hv_ops members, spread over sim_*.c. */
#ifndef PCIPT_SIM_OPS_H
#define PCIPT_SIM_OPS_H

#include "pcipt/hv/hv.h"

/* sim_p2m.c */
int sim_iomem_permission(struct hv *hv, uint32_t domid, uint64_t first_mfn, uint64_t nr_mfns,
                         bool allow);
int sim_memory_mapping(struct hv *hv, uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                       bool add);
/* sim_ioreq.c */
int sim_ioreq_create(struct hv *hv, uint32_t domid, int bufioreq, uint16_t *id);
int sim_ioreq_destroy(struct hv *hv, uint32_t domid, uint16_t id);
int sim_ioreq_set_state(struct hv *hv, uint32_t domid, uint16_t id, bool enabled);
int sim_ioreq_map_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                        uint64_t start, uint64_t end);
int sim_ioreq_unmap_range(struct hv *hv, uint32_t domid, uint16_t id, bool is_mmio,
                          uint64_t start, uint64_t end);
int sim_ioreq_map_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg, uint8_t bus,
                         uint8_t dev, uint8_t fn);
int sim_ioreq_unmap_pcidev(struct hv *hv, uint32_t domid, uint16_t id, uint16_t seg,
                           uint8_t bus, uint8_t dev, uint8_t fn);
int sim_ioreq_map_page(struct hv *hv, uint32_t domid, uint16_t id, void **page);
int sim_ioreq_unmap_page(struct hv *hv, uint32_t domid, uint16_t id, void *page);
/* sim_evtchn.c */
int sim_evtchn_fd(struct hv *hv);
int sim_evtchn_bind(struct hv *hv, uint32_t domid, uint32_t remote_port);
int sim_evtchn_unbind(struct hv *hv, uint32_t local_port);
int sim_evtchn_pending(struct hv *hv);
int sim_evtchn_unmask(struct hv *hv, uint32_t local_port);
int sim_evtchn_notify(struct hv *hv, uint32_t local_port);

/* sim_iommu.c */
int sim_iommu_enabled(struct hv *hv);
int sim_test_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf);
int sim_assign_device(struct hv *hv, uint32_t domid, uint32_t sbdf);
int sim_deassign_device(struct hv *hv, uint32_t domid, uint32_t sbdf);
/* sim_its.c */
int sim_its_device(struct hv *hv, uint32_t domid, uint32_t guest_devid, uint32_t sbdf,
                   uint32_t nr_events, bool bind, uint32_t *host_devid);

#endif
