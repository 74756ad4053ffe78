#include "tests/bench/bench.h"
void bench_ioreq(const struct bench_opts *o) { (void)o; }
