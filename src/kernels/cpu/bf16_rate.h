// How fast this CPU's AVX512-BF16 dot products run against its fp32 FMAs: decides whether
// bf16 layers go through oneDNN's bf16 kernels or widen to the fp32 GEMM (linear_lowp.c).
#ifndef FC_KERNELS_CPU_BF16_RATE_H
#define FC_KERNELS_CPU_BF16_RATE_H

// Multiply-adds a second of vdpbf16ps over those of vfmadd231ps (512-bit, one thread), timed
// on a short loop of each (under 1 ms): 0.5 on a Xeon that issues vdpbf16ps every other
// cycle; about 2 expected where both issue alike (Zen 4, where bf16 matmuls ran 1.9x fp32).
// Call only where AVX512-BF16 can run (fc_cpu_avx512_bf16_usable).
double fc_bf16_dot_rate_vs_fp32(void);

#endif
