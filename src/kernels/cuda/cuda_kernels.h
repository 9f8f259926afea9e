// The CUDA kernels of the ModernBERT forward (built only with `make CUDA=1`). Each one mirrors
// a CPU reference kernel of kernels/cpu/kernels.h, with the same layouts: row-major float32,
// T packed tokens, sequence s owning rows offsets[s] .. offsets[s+1]. Every pointer is device
// memory. Each launcher queues its kernel on `stream` and returns the launch's error
// (cudaSuccess when it was queued); failures inside the kernel surface at the next sync.
#ifndef FC_KERNELS_CUDA_CUDA_KERNELS_H
#define FC_KERNELS_CUDA_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

// out[t, :] = table[ids[t], :] for the T tokens; table is [vocab, H].
cudaError_t fc_cuda_embedding(float *out, const float *table, const int32_t *ids, int T, int H,
                              cudaStream_t stream);

// LayerNorm over rows of C, as fc_layernorm_forward (its sums in double here); bias may be
// NULL. out may equal in.
cudaError_t fc_cuda_layernorm(float *out, const float *in, const float *weight, const float *bias,
                              int T, int C, float eps, cudaStream_t stream);

// RoPE on the Q and K parts of qkv [T, 3H], in place, as fc_rope_apply_qk: positions[t] is the
// token's position in its sequence, cos/sin tables are [positions, head_dim / 2] from
// fc_rope_table (computed on the CPU, so both paths use the same float32 angles).
cudaError_t fc_cuda_rope_qk(float *qkv, const int32_t *positions, const float *cos_table,
                            const float *sin_table, int T, int num_heads, int head_dim,
                            cudaStream_t stream);

// Attention works on tiles of FC_CUDA_ATTENTION_TILE consecutive queries of one sequence; the
// host lists them once per batch (fc_cuda_attention_tiles) and uploads the list.
#define FC_CUDA_ATTENTION_TILE 64
// The largest head_dim the attention kernel takes (ModernBERT base and large have 64).
#define FC_CUDA_ATTENTION_MAX_HEAD_DIM 64

typedef struct fc_cuda_attention_tile {
    int32_t seq;     // the sequence
    int32_t q_begin; // its first query, as a packed token index
} fc_cuda_attention_tile;

// Number of tiles of a packed batch: sum over sequences of ceil(length / tile).
size_t fc_cuda_attention_tile_count(const int32_t *offsets, int n_seqs);
// Fills tiles (host memory, fc_cuda_attention_tile_count entries) in sequence order.
void fc_cuda_attention_tiles(const int32_t *offsets, int n_seqs, fc_cuda_attention_tile *tiles);

// Bidirectional attention on packed sequences, as fc_attention_forward: qkv is [T, 3H]
// (Q | K | V, heads in order), out is [T, H]; a query sees the keys of its own sequence with
// |q − k| <= window, or all of them when window < 0; softmax(Q·Kᵀ/√d)·V in float32. offsets
// and tiles are device copies. head_dim must be at most FC_CUDA_ATTENTION_MAX_HEAD_DIM.
cudaError_t fc_cuda_attention(float *out, const float *qkv, const int32_t *offsets,
                              const fc_cuda_attention_tile *tiles, int n_tiles, int num_heads,
                              int head_dim, int window, cudaStream_t stream);

// GeGLU as fc_geglu_forward: in is [T, 2I], out[t, i] = gelu(in[t, i]) · in[t, I + i].
cudaError_t fc_cuda_geglu(float *out, const float *in, int T, int intermediate,
                          cudaStream_t stream);

// Exact GELU in place, 0.5·x·(1 + erf(x/√2)), as fc_gelu_forward.
cudaError_t fc_cuda_gelu(float *x, size_t n, cudaStream_t stream);

// x[i] += y[i]: the residual adds.
cudaError_t fc_cuda_add(float *x, const float *y, size_t n, cudaStream_t stream);

// out[t, j] += bias[j] for T rows of N: the bias of a dense layer after its GEMM.
cudaError_t fc_cuda_add_bias(float *out, const float *bias, int T, int N, cudaStream_t stream);

// Pooling per sequence into pooled [n_seqs, H]: the first token's row (mean == 0) or the mean
// over the sequence's tokens, summed in token order as the CPU does.
cudaError_t fc_cuda_pool(float *pooled, const float *hidden, const int32_t *offsets, int n_seqs,
                         int H, int mean, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
