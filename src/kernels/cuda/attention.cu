// Attention over packed sequences, flash-style: a block takes FC_CUDA_ATTENTION_TILE
// consecutive queries of one sequence and one head, one thread per query. It walks the keys
// the tile can see in stages of the same size through shared memory, and keeps a running max,
// sum and weighted value sum per query (online softmax), so memory stays O(tile) for any
// sequence length. Keys outside the sequence or the window are skipped, which equals HF's
// additive finfo.min mask (model-reference.md §2), as in fc_attention_forward.
#include <math.h>

#include "kernels/cuda/cuda_kernels.h"

enum {
    TILE = FC_CUDA_ATTENTION_TILE, // queries per block, and keys per shared-memory stage
    CHUNK = 16,                    // keys scored at once between online-softmax updates
};

// D is head_dim rounded up to a size the registers are unrolled for; the dims past head_dim
// hold zeros in queries and keys, which leaves every dot product unchanged.
template <int D>
__global__ static void __launch_bounds__(TILE)
attention_kernel(float *out, const float *qkv, const int32_t *offsets,
                 const fc_cuda_attention_tile *tiles, int num_heads, int head_dim, int window,
                 float scale) {
    __shared__ __align__(16) float keys[TILE][D];
    __shared__ __align__(16) float values[TILE][D];
    const fc_cuda_attention_tile tile = tiles[blockIdx.x];
    const int h = blockIdx.y;
    const int begin = offsets[tile.seq], end = offsets[tile.seq + 1];
    const int H = num_heads * head_dim;
    const size_t stride = (size_t)3 * H;
    const int q = tile.q_begin + (int)threadIdx.x;
    const bool active = q < end; // the last tile of a sequence may be partly empty

    // The keys some query of the tile sees, and those this query sees.
    const int q_last = min(tile.q_begin + TILE, end) - 1;
    int block_lo = begin, block_hi = end - 1, lo = begin, hi = end - 1;
    if (window >= 0) {
        block_lo = max(begin, tile.q_begin - window);
        block_hi = min(end - 1, q_last + window);
        lo = max(begin, q - window);
        hi = min(end - 1, q + window);
    }

    float query[D], acc[D];
#pragma unroll
    for (int i = 0; i < D; i++) {
        query[i] = active && i < head_dim ? qkv[(size_t)q * stride + h * head_dim + i] : 0.0f;
        acc[i] = 0.0f;
    }
    float running_max = -INFINITY, running_sum = 0.0f;

    for (int k0 = block_lo; k0 <= block_hi; k0 += TILE) {
        __syncthreads(); // every thread is done with the previous stage
        for (int e = threadIdx.x; e < TILE * D; e += blockDim.x) {
            int r = e / D, c = e % D, key = k0 + r;
            float k = 0.0f, v = 0.0f;
            if (key <= block_hi && c < head_dim) {
                const float *row = qkv + (size_t)key * stride + h * head_dim + c;
                k = row[H];
                v = row[2 * H];
            }
            keys[r][c] = k;
            values[r][c] = v;
        }
        __syncthreads();
        // This query's visible keys in the stage, as row indices of the stage.
        int first = max(lo, k0) - k0, last = min(hi, k0 + TILE - 1) - k0;
        if (!active || first > last) continue;
        for (int c0 = 0; c0 < TILE; c0 += CHUNK) {
            if (c0 + CHUNK - 1 < first || c0 > last) continue; // no visible key in the chunk
            float score[CHUNK];
            float chunk_max = -INFINITY;
#pragma unroll
            for (int j = 0; j < CHUNK; j++) {
                float dot = 0.0f;
#pragma unroll
                for (int i = 0; i < D; i++) dot += query[i] * keys[c0 + j][i];
                dot *= scale;
                int r = c0 + j;
                score[j] = r >= first && r <= last ? dot : -INFINITY;
                chunk_max = fmaxf(chunk_max, score[j]);
            }
            // chunk_max is finite (the chunk holds a visible key); on the first chunk the
            // running max is −inf and the correction 0.
            float new_max = fmaxf(running_max, chunk_max);
            float correction = expf(running_max - new_max);
            running_sum *= correction;
#pragma unroll
            for (int i = 0; i < D; i++) acc[i] *= correction;
#pragma unroll
            for (int j = 0; j < CHUNK; j++) {
                float p = expf(score[j] - new_max); // 0 for a skipped key
                running_sum += p;
#pragma unroll
                for (int i = 0; i < D; i++) acc[i] += p * values[c0 + j][i];
            }
            running_max = new_max;
        }
    }
    if (!active) return;
    // Every query sees at least itself, so running_sum >= 1.
    float inv = 1.0f / running_sum;
    float *o = out + (size_t)q * H + h * head_dim;
#pragma unroll
    for (int i = 0; i < D; i++)
        if (i < head_dim) o[i] = acc[i] * inv;
}

extern "C" size_t fc_cuda_attention_tile_count(const int32_t *offsets, int n_seqs) {
    size_t count = 0;
    for (int s = 0; s < n_seqs; s++)
        count += (size_t)(offsets[s + 1] - offsets[s] + TILE - 1) / TILE;
    return count;
}

extern "C" void fc_cuda_attention_tiles(const int32_t *offsets, int n_seqs,
                                        fc_cuda_attention_tile *tiles) {
    size_t n = 0;
    for (int s = 0; s < n_seqs; s++)
        for (int32_t q = offsets[s]; q < offsets[s + 1]; q += TILE) tiles[n++] = {s, q};
}

extern "C" cudaError_t fc_cuda_attention(float *out, const float *qkv, const int32_t *offsets,
                                         const fc_cuda_attention_tile *tiles, int n_tiles,
                                         int num_heads, int head_dim, int window,
                                         cudaStream_t stream) {
    if (n_tiles <= 0) return cudaSuccess;
    dim3 grid((unsigned int)n_tiles, (unsigned int)num_heads);
    float scale = 1.0f / sqrtf((float)head_dim);
    if (head_dim <= 16)
        attention_kernel<16><<<grid, TILE, 0, stream>>>(out, qkv, offsets, tiles, num_heads,
                                                        head_dim, window, scale);
    else if (head_dim <= 32)
        attention_kernel<32><<<grid, TILE, 0, stream>>>(out, qkv, offsets, tiles, num_heads,
                                                        head_dim, window, scale);
    else if (head_dim <= FC_CUDA_ATTENTION_MAX_HEAD_DIM)
        attention_kernel<64><<<grid, TILE, 0, stream>>>(out, qkv, offsets, tiles, num_heads,
                                                        head_dim, window, scale);
    else
        return cudaErrorInvalidValue;
    return cudaGetLastError();
}
