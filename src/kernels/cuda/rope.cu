// RoPE on packed Q and K, rotate_half (NeoX) layout as fc_rope_apply_qk: dim k pairs with
// k + d/2. One thread per (token, head, k < d/2) rotates that pair in Q and in K.
#include "kernels/cuda/cuda_kernels.h"

static const int THREADS = 256;

__global__ static void rope_kernel(float *qkv, const int32_t *positions, const float *cos_table,
                                   const float *sin_table, int T, int num_heads, int head_dim) {
    int half = head_dim / 2, H = num_heads * head_dim;
    size_t n = (size_t)T * num_heads * half;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        int k = (int)(i % half);
        int h = (int)(i / half % num_heads);
        size_t t = i / half / num_heads;
        size_t table_at = (size_t)positions[t] * half + k;
        float c = cos_table[table_at], s = sin_table[table_at];
        float *q = qkv + t * 3 * H + (size_t)h * head_dim;
        float *key = q + H;
        float a = q[k], b = q[k + half];
        q[k] = a * c - b * s;
        q[k + half] = b * c + a * s;
        a = key[k];
        b = key[k + half];
        key[k] = a * c - b * s;
        key[k + half] = b * c + a * s;
    }
}

extern "C" cudaError_t fc_cuda_rope_qk(float *qkv, const int32_t *positions,
                                       const float *cos_table, const float *sin_table, int T,
                                       int num_heads, int head_dim, cudaStream_t stream) {
    size_t n = (size_t)T * num_heads * (head_dim / 2);
    if (n == 0) return cudaSuccess;
    size_t blocks = (n + THREADS - 1) / THREADS;
    if (blocks > 65535) blocks = 65535;
    rope_kernel<<<(unsigned int)blocks, THREADS, 0, stream>>>(qkv, positions, cos_table, sin_table,
                                                              T, num_heads, head_dim);
    return cudaGetLastError();
}
