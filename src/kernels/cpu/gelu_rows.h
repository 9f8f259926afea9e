// The AVX-512 forms of fc_gelu_row and fc_geglu_row (gelu_avx512.c); those two call them where
// fc_cpu_avx512_usable (isa.h).
#ifndef FC_KERNELS_CPU_GELU_ROWS_H
#define FC_KERNELS_CPU_GELU_ROWS_H

void fc_gelu_row_avx512(float *x, int n);
void fc_geglu_row_avx512(float *out, const float *in, int intermediate);

#endif
