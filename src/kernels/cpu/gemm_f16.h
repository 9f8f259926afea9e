// Half-precision GEMMs on AVX512-FP16 (Intel Sapphire Rapids and later cores), finecat's own
// kernel: oneDNN 2.6 has no f16 matmul on the CPU (issue 15: "f16 where the CPU has
// avx512_fp16").
//
// Why: an AVX512-FP16 multiply-add does 32 products where an fp32 one does 16, at the same
// issue rate (two a cycle on the Xeon of 2026-12-06, family 6 model 207), so a GEMM can run at
// twice fp32's rate: the 8 × 32 tiles below ran at 290-310 GFLOP/s a core there, 2.2-2.3x
// oneDNN's sgemm at the same shapes. Where AMX is hidden (virtual machines) that CPU's
// AVX512-BF16 dot product issues every other cycle (bf16_rate.h), so this is also the fast
// path for bf16 weights there (linear_lowp.c).
//
// Precision: inputs and weights are f16 (11 significant bits, against bf16's 8); each output
// lane adds 64 products in f16 (one block of 128 inputs, in pairs), then the block's sum goes
// into an fp32 total. On random 126 × 1024 × 1024 products that measured half the error of bf16
// inputs with fp32 sums (rms 0.0013 vs 0.0024 against double). f16's range ends at 65,504: an
// output that comes out infinite or NaN is reported, and the caller recomputes the rows from
// fp32 inputs (fc_gemm_f16_exact).
#ifndef FC_KERNELS_CPU_GEMM_F16_H
#define FC_KERNELS_CPU_GEMM_F16_H

#include <stddef.h>
#include <stdint.h>

// Rows the kernel takes at a time: M must be a multiple of it (FC_MATMUL_ROW_BUCKET is).
enum { FC_GEMM_F16_ROWS = 8 };

// Whether the kernel can run: the CPU has AVX512-FP16 and oneDNN's dispatch is at
// AVX512_CORE_BF16 or above (so ONEDNN_MAX_CPU_ISA=AVX2 or AVX512_CORE turns it off with every
// other AVX-512 kernel, isa.h); FINECAT_F16_KERNEL=0 turns it off alone.
int fc_gemm_f16_usable(void);
// Why not, in a few words ("no AVX512-FP16 here"), or NULL where it is usable.
const char *fc_gemm_f16_unusable_reason(void);

// Whether weights of this shape can be packed: an even input width (inputs go in pairs).
int fc_gemm_f16_shape_ok(int in_dim);

// Bytes of W [out_dim, in_dim] packed: columns in panels of 32, padded with zeros.
size_t fc_gemm_f16_packed_bytes(int out_dim, int in_dim);

// Packs W [out_dim, in_dim] (f16 bits, row-major) into packed (64-byte aligned,
// fc_gemm_f16_packed_bytes of it).
void fc_gemm_f16_pack(uint16_t *packed, const uint16_t *weight, int out_dim, int in_dim);

// dst[M, out_dim] = src[M, in_dim] · Wᵀ with src f16 bits, sums in fp32 between blocks (above);
// on the team's threads (threaded) or the calling thread. Returns 0, or 1 when some output is
// infinite or NaN (f16 overflowed, or the input was not finite).
int fc_gemm_f16(float *dst, const uint16_t *src, const uint16_t *packed, int M, int out_dim,
                int in_dim, int threaded);

// The same product from fp32 inputs (rows of them; rows up to M are zeros) with fp32 products
// and sums: the recomputation of rows that overflowed f16. Far slower; rare.
void fc_gemm_f16_exact(float *dst, const float *src, int rows, const uint16_t *packed, int M,
                       int out_dim, int in_dim, int threaded);

#endif
