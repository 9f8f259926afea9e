// The AVX512-FP16 tiles behind gemm_f16.h, in a file of their own because only it is compiled
// for AVX512-FP16 (see gemm_f16_tile.c). Call only where fc_gemm_f16_usable.
#ifndef FC_KERNELS_CPU_GEMM_F16_TILE_H
#define FC_KERNELS_CPU_GEMM_F16_TILE_H

#include <stdint.h>

// Output columns a panel of packed weights covers (gemm_f16.c's layout).
enum { FC_GEMM_F16_PANEL = 32 };

// dst[8, columns] (row stride ldd) = a[8, K] (f16, row stride K) · one panel, columns ≤ 32.
// Returns nonzero when an output is infinite or NaN.
int fc_gemm_f16_tile(float *dst, int ldd, const uint16_t *a, int K, const uint16_t *panel,
                     int columns);

// dst[columns] = x[K] (fp32) · one panel with fp32 products and sums.
void fc_gemm_f16_row_exact(float *dst, const float *x, int K, const uint16_t *panel,
                           int columns);

#endif
