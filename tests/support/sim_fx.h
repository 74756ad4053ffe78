/* A private simulator per test: PCIPT_SIM_DIR = a fresh /tmp directory,
 * removed again by simfx_teardown.  Use as Check checked fixtures. */
#ifndef TESTS_SIM_FX_H
#define TESTS_SIM_FX_H

#include "pcipt/hv/hv.h"

extern struct hv *simfx_hv;          /* opened on the private directory */
extern char simfx_dir[64];

void simfx_setup(void);
void simfx_teardown(void);
/* Another hv on the same simulator (e.g. the guest's side, or a child's). */
struct hv *simfx_open(void);

#endif
