// The per-row work around the low-precision GEMMs (linear_lowp.c) in its AVX-512 form: the
// int8 dequantizing epilogue, the int8 staging of a row and the bf16 one. Each gives bit for bit what the
// AVX2 form in linear_lowp.c gives (same operations in the same order per element), sixteen
// lanes at a time and with masked tails; run only where fc_cpu_avx512_usable (isa.h).
//
// Why: with the GEMMs on AMX these passes over every activation were the next largest part of
// an int8 forward (ModernBERT-large: the epilogue 11%, the staging 5%).
#ifndef FC_KERNELS_CPU_LOWP_ROWS_H
#define FC_KERNELS_CPU_LOWP_ROWS_H

#include <stdint.h>

// y[n] = (acc[n] − zero · channel_sum[n]) · (row_scale · channel_scale[n]) + bias[n] +
// residual[n] over N outputs; bias and residual may be NULL; y may be acc or residual.
void fc_finish_row_int8_avx512(float *y, const int32_t *acc, const int32_t *channel_sum,
                               const float *channel_scale, float row_scale, int32_t zero,
                               const float *bias, const float *residual, int N);

// Asymmetric quantization of one row x[K] onto [0, top]: codes into q, the row's scale and
// zero point out.
void fc_stage_row_int8_avx512(uint8_t *q, const float *x, int K, int top, float *row_scale,
                              int32_t *row_zero);

// fc_stage_row_int8_avx512 of x·H (hadamard.h: Sylvester blocks of order block, 16 to 128, K
// a multiple of it), each block rotated in registers, its range taken on the way and the
// rotated row kept in rotated[K] for the codes: the same bits as fc_hadamard_rotate and then
// fc_stage_row_int8_avx512, in one pass over x instead of three.
void fc_stage_row_int8_rotated_avx512(uint8_t *q, float *rotated, const float *x, int K,
                                      int block, int top, float *row_scale, int32_t *row_zero);

// y[k] = x[k] rounded to bf16 (nearest even) over K values, sixteen at a time by AVX512-BF16's
// conversion, where fc_cpu_avx512_bf16_usable. The same bits as the AVX2 rounding for every
// finite input but subnormals, which the instruction reads as zero (activations never are;
// the product would round to nothing anyway).
void fc_stage_row_bf16_avx512(uint16_t *y, const float *x, int K);

#endif
