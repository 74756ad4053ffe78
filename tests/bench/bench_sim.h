/* A private simulator for one bench group: PCIPT_SIM_DIR = a fresh /tmp
 * directory, a guest domain, and two hv handles (each hv is one event
 * channel handle: the device model's and the guest vCPU's). */
#ifndef TESTS_BENCH_SIM_H
#define TESTS_BENCH_SIM_H

#include "pcipt/hv/hv.h"

#define BENCH_DOM 5

struct bench_sim {
    char dir[64];
    struct hv *dm;       /* the device model (and toolstack) side */
    struct hv *guest;    /* the guest vCPU side */
};

void bench_sim_open(struct bench_sim *s, unsigned nr_vcpus);
void bench_sim_close(struct bench_sim *s);

#endif
