// Pooling (model-reference.md §3.3 step 4): the [CLS] row, or the mean over the sequence's
// tokens. One block per sequence, one thread per hidden dim; each thread sums its column in
// token order, the order of the CPU's pool(), so both give the same float32 sums.
#include "kernels/cuda/cuda_kernels.h"

static const int THREADS = 256;

__global__ static void pool_kernel(float *pooled, const float *hidden, const int32_t *offsets,
                                   int H, int mean) {
    int s = blockIdx.x;
    int begin = offsets[s], n = offsets[s + 1] - begin;
    const float *first = hidden + (size_t)begin * H;
    float *v = pooled + (size_t)s * H;
    for (int i = threadIdx.x; i < H; i += blockDim.x) {
        if (!mean) {
            v[i] = first[i];
            continue;
        }
        float sum = 0.0f;
        for (int t = 0; t < n; t++) sum += first[(size_t)t * H + i];
        v[i] = sum / (float)n;
    }
}

extern "C" cudaError_t fc_cuda_pool(float *pooled, const float *hidden, const int32_t *offsets,
                                    int n_seqs, int H, int mean, cudaStream_t stream) {
    if (n_seqs <= 0) return cudaSuccess;
    pool_kernel<<<n_seqs, THREADS, 0, stream>>>(pooled, hidden, offsets, H, mean);
    return cudaGetLastError();
}
