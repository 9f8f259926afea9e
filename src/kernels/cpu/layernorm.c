#include <math.h>

#include "kernels/cpu/kernels.h"

void fc_layernorm_forward(float *out, const float *in, const float *weight, const float *bias,
                          int T, int C, float eps) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * C;
        float *y = out + (size_t)t * C;
        // Two passes in double: the mean and the biased variance (divide by C), as PyTorch.
        // (omp simd: vectorized partial sums, still in double)
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (int i = 0; i < C; i++) sum += x[i];
        float mean = (float)(sum / C);
        double var = 0.0;
#pragma omp simd reduction(+ : var)
        for (int i = 0; i < C; i++) {
            double d = x[i] - mean;
            var += d * d;
        }
        float rstd = 1.0f / sqrtf((float)(var / C) + eps);
        if (bias) {
#pragma omp simd
            for (int i = 0; i < C; i++) y[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
        } else {
#pragma omp simd
            for (int i = 0; i < C; i++) y[i] = (x[i] - mean) * rstd * weight[i];
        }
    }
}
