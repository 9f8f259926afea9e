#include <math.h>

#include "kernels/cpu/kernels.h"

void fc_layernorm_forward(float *out, const float *in, const float *weight, const float *bias,
                          int T, int C, float eps) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * C;
        float *y = out + (size_t)t * C;
        // Two passes in double: the mean and the biased variance (divide by C), as PyTorch.
        double sum = 0.0;
        for (int i = 0; i < C; i++) sum += x[i];
        float mean = (float)(sum / C);
        double var = 0.0;
        for (int i = 0; i < C; i++) {
            double d = x[i] - mean;
            var += d * d;
        }
        float rstd = 1.0f / sqrtf((float)(var / C) + eps);
        for (int i = 0; i < C; i++) {
            float v = (x[i] - mean) * rstd * weight[i];
            y[i] = bias ? v + bias[i] : v;
        }
    }
}
