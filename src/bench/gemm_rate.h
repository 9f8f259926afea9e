// The GEMM rate of this machine, measured through the engine's own linear kernel at a model's
// layer shapes: the yardstick for "fraction of the GEMM rate" in benchmarks.
#ifndef FC_BENCH_GEMM_RATE_H
#define FC_BENCH_GEMM_RATE_H

#include "model/modernbert/modernbert_config.h"

// Best-of-repeats GFLOP/s of fc_linear_forward over the four ModernBERT layer shapes with
// `tokens` rows, weighted by their FLOPs (the rate a perfect forward would run at).
double fc_measure_gemm_gflops(const fc_modernbert_config *c, int tokens, int repeats);

#endif
