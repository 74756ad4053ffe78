/* A device model's answering loop for one IOREQ server, in a thread: it
 * creates the server (no buffered ioreqs, as on Arm), claims an MMIO range,
 * enables it, maps the ioreq page, binds one event channel per vCPU, and
 * then follows Xen's ioreq state machine for every request (docs/xen-facts.md
 * "The ioreq ABI"; xen/include/public/hvm/ioreq.h):
 *   event on a vCPU's port -> slot READY -> read barrier -> INPROCESS ->
 *   handler -> write barrier -> IORESP_READY -> notify the vCPU's port.
 * The handler answers one ioreq_t in place (pcipt/daemon/ioreq.c's ioreq_dispatch,
 * or anything else).
 *
 * This is the stand-in for the daemon's loop (`pcipt serve`, written
 * elsewhere): `make bench` and the tests only use responder_start/_stop
 * around a handler, so the daemon's own serve loop can replace this file
 * without touching them. */
#ifndef TESTS_IOREQ_RESPONDER_H
#define TESTS_IOREQ_RESPONDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "pcipt/hv/hv.h"

#define RESPONDER_MAX_VCPUS 8

typedef void (*responder_handle_fn)(void *opaque, ioreq_t *req);

struct responder {
    struct hv *hv;                  /* the device model's own handle */
    uint32_t domid;
    uint16_t id;                    /* the IOREQ server */
    shared_iopage_t *page;
    unsigned nr_vcpus;
    uint32_t port[RESPONDER_MAX_VCPUS];   /* local port per vCPU */
    responder_handle_fn handle;
    void *opaque;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    atomic_uint_fast64_t answered;  /* requests completed */
    atomic_uint_fast64_t spurious;  /* events with no READY slot */
};

/* Create and enable a server for domid claiming MMIO [start, end] (inclusive),
 * map its page, bind every vCPU's port.  Returns 0 or -errno (nothing left
 * behind on failure). */
int responder_open(struct responder *r, struct hv *hv, uint32_t domid, uint64_t start,
                   uint64_t end);
/* Answer requests with handle(opaque, req) in a new thread. */
int responder_start(struct responder *r, responder_handle_fn handle, void *opaque);
/* Stop the thread (it finishes the request in hand) and join it. */
void responder_stop(struct responder *r);
/* Stop if running, unbind, unmap, destroy the server. */
void responder_close(struct responder *r);

#endif
