// Elementwise kernels of the ModernBERT forward: embedding gather, GeGLU, GELU, the residual
// and bias adds. Memory-bound and simple: one thread per element in a grid-stride loop.
#include "kernels/cuda/cuda_kernels.h"

static const int THREADS = 256;

// Enough blocks to cover n, capped: the grid-stride loops take the rest.
static unsigned int blocks_for(size_t n) {
    size_t blocks = (n + THREADS - 1) / THREADS;
    const size_t cap = 65535;
    return (unsigned int)(blocks < 1 ? 1 : blocks > cap ? cap : blocks);
}

// Exact GELU as fc_gelu (P5): erff, not the tanh approximation.
__device__ static float gelu_exact(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
}

__global__ static void embedding_kernel(float *out, const float *table, const int32_t *ids, int T,
                                        int H) {
    size_t n = (size_t)T * H;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        size_t t = i / H, c = i % H;
        out[i] = table[(size_t)ids[t] * H + c];
    }
}

__global__ static void geglu_kernel(float *out, const float *in, int T, int I) {
    size_t n = (size_t)T * I;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        size_t t = i / I, c = i % I;
        const float *row = in + t * 2 * I;
        out[i] = gelu_exact(row[c]) * row[I + c];
    }
}

__global__ static void gelu_kernel(float *x, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] = gelu_exact(x[i]);
}

__global__ static void add_kernel(float *x, const float *y, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] += y[i];
}

__global__ static void add_bias_kernel(float *out, const float *bias, int T, int N) {
    size_t n = (size_t)T * N;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] += bias[i % N];
}

extern "C" cudaError_t fc_cuda_embedding(float *out, const float *table, const int32_t *ids,
                                         int T, int H, cudaStream_t stream) {
    embedding_kernel<<<blocks_for((size_t)T * H), THREADS, 0, stream>>>(out, table, ids, T, H);
    return cudaGetLastError();
}

extern "C" cudaError_t fc_cuda_geglu(float *out, const float *in, int T, int intermediate,
                                     cudaStream_t stream) {
    geglu_kernel<<<blocks_for((size_t)T * intermediate), THREADS, 0, stream>>>(out, in, T,
                                                                               intermediate);
    return cudaGetLastError();
}

extern "C" cudaError_t fc_cuda_gelu(float *x, size_t n, cudaStream_t stream) {
    gelu_kernel<<<blocks_for(n), THREADS, 0, stream>>>(x, n);
    return cudaGetLastError();
}

extern "C" cudaError_t fc_cuda_add(float *x, const float *y, size_t n, cudaStream_t stream) {
    add_kernel<<<blocks_for(n), THREADS, 0, stream>>>(x, y, n);
    return cudaGetLastError();
}

extern "C" cudaError_t fc_cuda_add_bias(float *out, const float *bias, int T, int N,
                                        cudaStream_t stream) {
    add_bias_kernel<<<blocks_for((size_t)T * N), THREADS, 0, stream>>>(out, bias, T, N);
    return cudaGetLastError();
}
