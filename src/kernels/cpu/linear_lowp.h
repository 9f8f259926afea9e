// Dense layers with low-precision weights (`--dtype`), on the CPU's matrix engines (issue 15).
//
// - bf16: weights packed once for oneDNN's bf16 matmul where it outruns fp32 (AMX on Sapphire
//   Rapids and later; AVX512-BF16 where its dot products issue fast enough, as on Zen 4).
//   Activations are rounded to bf16 right before each GEMM, products accumulate in fp32, and
//   everything between the GEMMs (bias, GELU, residual, LayerNorm, softmax, the classifier)
//   stays fp32. Elsewhere (no AVX-512, AVX-512 without BF16, whose bf16 oneDNN emulates, and
//   CPUs that issue AVX512-BF16 slowly) the weights stay bf16 and are widened to fp32 per
//   call, as f16: half the memory, fp32's speed and fp32 math on the stored values.
// - f16: oneDNN 2.6 has no f16 matmul on the CPU, so f16 is stored as f16 and computed in fp32
//   (widened per call): exact for f16 checkpoints, half the memory, not faster.
// - int8: static symmetric per-output-channel weight scales; dynamic asymmetric per-token
//   activation scales: a token's [min, max] maps onto the u8 codes with its own zero point.
//   Per token rather than per tensor because one long or outlying sequence would otherwise
//   coarsen every other row of the packed batch; asymmetric because half the inputs lean to
//   one side (GELU outputs never go below −0.17): on the shipped model's 740 real pairs that
//   lifted 7-bit agreement with fp32 from 97.0% to 98.4%. The zero points come out through
//   the weights' per-channel sums: y = (acc − z_t · Σ_k q[n,k]) · s_t · s_n + b[n]. 8-bit
//   activations where oneDNN's kernel adds u8·s8 straight into 32 bits (VNNI, AMX), 7-bit
//   where it sums pairs into saturating 16-bit lanes (AVX2, AVX-512 without VNNI):
//   2 · 127 · 127 < 32767 never saturates (perf-notes.md). Where the input width allows,
//   inputs and weight rows are first rotated by Hadamard blocks (hadamard.h): exact in the
//   product, and it halves the int8 error where a few channels carry most of the range.
#ifndef FC_KERNELS_CPU_LINEAR_LOWP_H
#define FC_KERNELS_CPU_LINEAR_LOWP_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/cpu/matmul.h"

typedef enum fc_half_kind { FC_HALF_BF16, FC_HALF_F16 } fc_half_kind;

// out[T, out_dim] = in · Wᵀ + bias with W [out_dim, in_dim] stored as 16-bit floats, widened
// into panel (out_dim · in_dim floats) and multiplied in fp32.
void fc_linear_forward_half(float *out, const float *in, const uint16_t *weight, fc_half_kind kind,
                            const float *bias, int T, int in_dim, int out_dim, float *panel);

typedef enum fc_lowp_format { FC_LOWP_BF16, FC_LOWP_F16, FC_LOWP_INT8 } fc_lowp_format;

// A dense layer's weight matrix as the model keeps it in a low-precision storage.
typedef struct fc_lowp_linear {
    fc_lowp_format format;
    int in_dim, out_dim;
    fc_matmul_weights engine; // packed for the matmul primitive (bf16, int8); else empty
    const uint16_t *half;     // widened path (f16, bf16 without a kernel): [out_dim, in_dim]
    uint16_t *half_owned;     // set when the 16-bit copy was made at load
    float *channel_scale;     // int8: W[n, k] ≈ q[n, k] · channel_scale[n]
    int32_t *channel_sum;     // int8: Σ_k q[n, k], for the activations' zero points
    int rotate_block;         // int8: inputs and rows rotated by Hadamard blocks of this order
                              // before quantizing (hadamard.h), 0 for none
} fc_lowp_linear;

// Prepares w from fp32 W [out_dim, in_dim]. Returns 0, or -1 when out of memory.
int fc_lowp_linear_prepare(fc_lowp_linear *w, fc_lowp_format format, const float *weight,
                           int out_dim, int in_dim);
// Prepares a 16-bit w from 16-bit W (of the format's kind), used in place when the widened
// path runs (the caller keeps it alive) and packed otherwise.
int fc_lowp_linear_prepare_half(fc_lowp_linear *w, fc_lowp_format format, const uint16_t *weight,
                                int out_dim, int in_dim);
void fc_lowp_linear_free(fc_lowp_linear *w);

// What runs after the GEMM and the bias, in one pass over the output.
typedef struct fc_linear_epilogue {
    int gelu;              // exact GELU (BERT's intermediate)
    const float *residual; // [T, out_dim] added last (may alias nothing else), or NULL
    int geglu;             // GeGLU (ModernBERT's MLP): out is [T, out_dim / 2], gelu of the
                           // first half times the second; neither gelu nor residual with it
} fc_linear_epilogue;

// Rows the matrix-engine paths run at a time (a multiple of FC_MATMUL_ROW_BUCKET); callers
// that run per-token blocks in chunks use the same size.
enum { FC_LOWP_CHUNK_ROWS = 128 };

// Rows of a chunk for a batch of T rows: FC_LOWP_CHUNK_ROWS, or T's bucket when smaller.
int fc_lowp_chunk_rows(int T);

// One thread's buffers for a chunk.
typedef struct fc_lowp_chunk_scratch {
    void *staged;      // the GEMM's input: bf16 or u8 [chunk rows, in_dim]
    void *result;      // its output: f32 or s32 [chunk rows, out_dim]
    float *rotated;    // int8 with rotate_block: the chunk's rows rotated, fp32
    float *row_scale;  // int8: per-token scales
    int32_t *row_zero; // int8: per-token zero points
    size_t staged_bytes, result_bytes, rotated_bytes, row_scale_bytes, row_zero_bytes;
} fc_lowp_chunk_scratch;

// Buffers of the low-precision paths, grown on demand and reused across calls. The matrix-engine
// paths run a batch FC_LOWP_CHUNK_ROWS rows at a time, each thread its own chunks, so they hold
// one chunk per thread; the widened path holds a panel (and the product, where GeGLU or a
// residual that is out itself keeps out from holding it).
typedef struct fc_lowp_scratch {
    fc_lowp_chunk_scratch *chunk; // one per thread (threads of them)
    int threads;
    void *product; // widened path, where out cannot hold it: [T, out_dim] before its epilogue
    float *panel;  // widened weights
    size_t product_bytes, panel_bytes;
} fc_lowp_scratch;

// out[T, out_dim] = epilogue(in · Wᵀ + bias) (out_dim / 2 columns with GeGLU); epilogue may be
// NULL. Call it outside parallel regions: it runs its own. Returns 0, or -1 when out of memory.
int fc_lowp_linear_forward(float *out, const float *in, const fc_lowp_linear *w,
                           const float *bias, const fc_linear_epilogue *epilogue, int T,
                           fc_lowp_scratch *scratch);
// out[i][T, w[i]->out_dim] = in · W_iᵀ + bias[i] (bias[i] may be NULL) for count layers that
// read the same input (DeBERTa's query, key and value): on the matrix engines the input is
// staged once per chunk for all of them when they share a format and input width. Call it
// outside parallel regions. 0, or -1 when out of memory.
int fc_lowp_linear_forward_shared(int count, float *const *out, const float *in,
                                  const fc_lowp_linear *const *w, const float *const *bias, int T,
                                  fc_lowp_scratch *scratch);
// The same as fc_lowp_linear_forward for one chunk (T <= FC_LOWP_CHUNK_ROWS) on the calling
// thread alone, inside an OpenMP parallel region whose threads each run chunks of their own
// (the model's per-token blocks): uses the calling thread's buffers, reserved beforehand by fc_lowp_scratch_reserve
// with the region's team size. Weights on the matrix engines only. 0, or -1 (out of memory, or
// not reserved for this thread).
int fc_lowp_linear_forward_rows(float *out, const float *in, const fc_lowp_linear *w,
                                const float *bias, const fc_linear_epilogue *epilogue, int T,
                                fc_lowp_scratch *scratch);
// Grows the scratch for a forward of w over T rows ahead of it, so that running out of memory
// shows before the first layer runs (the forward still checks each call), with a chunk's
// buffers for each of omp_get_max_threads() threads. 0, or -1.
int fc_lowp_scratch_reserve(fc_lowp_scratch *s, const fc_lowp_linear *w, int T);
void fc_lowp_scratch_free(fc_lowp_scratch *s);

// Whether bf16 layers run on oneDNN's bf16 matmul (1) or widen to the fp32 GEMM (0) on this
// CPU; decided once per process (see linear_lowp.c).
int fc_lowp_bf16_on_matmul(void);

// Whether attention beside layers with these weights runs its products in bf16 (on AMX where
// the CPU has it): int8 weights and bf16 ones on the matmul; not f16 nor widened bf16
// (computed in fp32, and so is their attention) nor fp32 weights (w NULL).
int fc_lowp_attention_bf16(const fc_lowp_linear *w);

// Bits of the int8 path's activations on this CPU: 8 with VNNI or AMX, else 7.
int fc_int8_activation_bits(void);

// The kernel a format runs on at a shape, for `finecat bench`: oneDNN's name for it
// ("brg:avx512_core_amx_bf16"), or "fp32 sgemm (widened...)" with the reason for bf16.
const char *fc_lowp_kernel_name(fc_lowp_format format, int in_dim, int out_dim);

#endif
