// The CPU's matrix engines through oneDNN's matmul primitive (issue 15).
//
// Why the primitive and not the BLAS-like entry points: dnnl_sgemm and dnnl_gemm_u8s8s32 never
// reach AMX, the primitive does (brg:avx512_core_amx_bf16 / _int8), and on other CPUs it picks
// AVX512-BF16, VNNI or plain AVX-512/AVX2 kernels at run time, so one binary is fast on each.
// Weights are reordered once, at load, into the blocked layout oneDNN picks; a primitive is
// made per (precision, shape, row bucket) and kept for the life of the process.
//
// Why buckets of rows: packed batches have a different token count every call. A primitive
// with run-time M falls back to oneDNN's older gemm kernels (no AMX; measured 2-5x slower on
// the small model's shapes), and a primitive per exact M costs 0.2-0.5 ms to create. So M is
// rounded up to a multiple of FC_MATMUL_ROW_BUCKET: the source is staged in our own buffer
// anyway (converted to bf16 or quantized), its padding rows are zeros, and the destination is
// our scratch, from which the epilogue writes the T real rows.
#ifndef FC_KERNELS_CPU_MATMUL_H
#define FC_KERNELS_CPU_MATMUL_H

#include <stddef.h>
#include <stdint.h>

enum { FC_MATMUL_ROW_BUCKET = 32 };

// bf16 × bf16 → f32 and u8 × s8 → s32 on oneDNN; f16 × f16 → f32 on finecat's own
// AVX512-FP16 kernel (gemm_f16.h: oneDNN 2.6 has none), with the same calls.
typedef enum fc_matmul_kind { FC_MATMUL_BF16, FC_MATMUL_INT8, FC_MATMUL_F16 } fc_matmul_kind;

// What fc_matmul_run returns for F16 when an output came out infinite or NaN (f16's range
// ends at 65,504): the caller recomputes those rows from its fp32 inputs (fc_gemm_f16_exact).
enum { FC_MATMUL_NOT_FINITE = 1 };

// Weights of one layer in oneDNN's layout for the given kind and shape.
typedef struct fc_matmul_weights {
    fc_matmul_kind kind;
    int in_dim, out_dim; // K, N
    void *packed;        // page-aligned (fc_pages_alloc)
    size_t bytes;
} fc_matmul_weights;

// Whether oneDNN has a kernel for this kind on this CPU (bf16 needs AVX-512; int8 runs
// everywhere). Without one the caller keeps its own path.
int fc_matmul_available(fc_matmul_kind kind);

// Packs W [out_dim, in_dim] row-major (bf16 bits for BF16, int8 for INT8, f16 bits for F16)
// into w.
// Returns 0, or -1 when oneDNN has no kernel or no memory (w is then zeroed).
int fc_matmul_weights_pack(fc_matmul_weights *w, fc_matmul_kind kind, const void *plain,
                           int out_dim, int in_dim);
void fc_matmul_weights_free(fc_matmul_weights *w);

// dst[M, out_dim] = src[M, in_dim] · Wᵀ, M a multiple of FC_MATMUL_ROW_BUCKET; src holds bf16
// (BF16), u8 (INT8) or f16 (F16), dst f32 (BF16, F16) or s32 (INT8). Returns 0, -1 when the
// primitive cannot be made (out of memory), or FC_MATMUL_NOT_FINITE (F16 only).
int fc_matmul_run(const fc_matmul_weights *w, const void *src, void *dst, int M);
// The same on the calling thread alone, for a caller that runs its own threads (each one a
// chunk of rows inside an OpenMP parallel region): its primitives are made for one thread.
int fc_matmul_run_serial(const fc_matmul_weights *w, const void *src, void *dst, int M);

// Rows of a bucket that holds T rows.
int fc_matmul_bucket_rows(int T);

// The oneDNN kernel behind a kind at a shape, e.g. "brg:avx512_core_amx_bf16" (static string
// owned by oneDNN or "unavailable"), for `finecat bench`.
const char *fc_matmul_kernel_name(fc_matmul_kind kind, int in_dim, int out_dim);

// Whether oneDNN's int8 kernels on this CPU add u8·s8 products straight into 32 bits (VNNI,
// AMX) rather than in pairs into saturating 16-bit lanes (plain AVX2 / AVX-512).
int fc_matmul_int8_exact_8bit(void);

#endif
