// LayerNorm, one block per row, in fc_layernorm_forward's steps: the mean, then the biased
// variance of float32 differences from the float32 mean, then y = (x − mean) · rstd · weight
// (+ bias) in float32. The sums here are in double; the CPU's are float partials
// (layernorm_rows.h), within 1e-5 of these (suite cuda).
#include "kernels/cuda/cuda_kernels.h"

static const int THREADS = 256;

// The sum of v over the block, returned to every thread. shared holds one double per warp.
__device__ static double block_sum(double v, double *shared) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads(); // shared may still be read from the previous call
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    double total = 0.0;
    for (int w = 0; w < (int)blockDim.x / 32; w++) total += shared[w];
    return total;
}

__global__ static void __launch_bounds__(256)
layernorm_kernel(float *out, const float *in, const float *weight, const float *bias, int C,
                 float eps) {
    __shared__ double partial[256 / 32];
    const float *x = in + (size_t)blockIdx.x * C;
    float *y = out + (size_t)blockIdx.x * C;
    double sum = 0.0;
    for (int i = threadIdx.x; i < C; i += blockDim.x) sum += x[i];
    float mean = (float)(block_sum(sum, partial) / C);
    double var = 0.0;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        double d = x[i] - mean;
        var += d * d;
    }
    float rstd = 1.0f / sqrtf((float)(block_sum(var, partial) / C) + eps);
    // Each element is read and written by the same thread, so out may equal in.
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        float v = (x[i] - mean) * rstd * weight[i];
        y[i] = bias ? v + bias[i] : v;
    }
}

extern "C" cudaError_t fc_cuda_layernorm(float *out, const float *in, const float *weight,
                                         const float *bias, int T, int C, float eps,
                                         cudaStream_t stream) {
    if (T <= 0) return cudaSuccess;
    layernorm_kernel<<<T, THREADS, 0, stream>>>(out, in, weight, bias, C, eps);
    return cudaGetLastError();
}
