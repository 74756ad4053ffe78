#include "tests/bench/bench.h"
void bench_enum(const struct bench_opts *o) { (void)o; }
