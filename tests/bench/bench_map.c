#include "tests/bench/bench.h"
void bench_map(const struct bench_opts *o) { (void)o; }
