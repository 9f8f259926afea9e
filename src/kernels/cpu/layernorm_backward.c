// LayerNorm backward (llm.c layernorm_backward, with optional bias).
// With x̂ = (x − μ)·r and g = dout ⊙ weight, the input gradient is
// r · (g − mean(g) − x̂ · mean(g ⊙ x̂)).
#include <math.h>

#include "kernels/cpu/backward.h"

void fc_layernorm_backward(float *din, float *dweight, float *dbias, const float *dout,
                           const float *in, const float *weight, int T, int C, float eps) {
    // Input gradients: rows are independent.
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * C;
        const float *dy = dout + (size_t)t * C;
        float *dx = din + (size_t)t * C;
        float mean, rstd;
        fc_layernorm_stats(x, C, eps, &mean, &rstd);
        double g_mean = 0.0, gx_mean = 0.0;
        for (int i = 0; i < C; i++) {
            double g = (double)dy[i] * weight[i];
            g_mean += g;
            gx_mean += g * ((x[i] - mean) * rstd);
        }
        g_mean /= C;
        gx_mean /= C;
        for (int i = 0; i < C; i++) {
            double xhat = (x[i] - mean) * rstd;
            double g = (double)dy[i] * weight[i];
            dx[i] += (float)(rstd * (g - g_mean - xhat * gx_mean));
        }
    }
    // Parameter gradients: a sum over rows, run in row order so that it is reproducible.
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * C;
        const float *dy = dout + (size_t)t * C;
        float mean, rstd;
        fc_layernorm_stats(x, C, eps, &mean, &rstd);
        for (int i = 0; i < C; i++) {
            dweight[i] += dy[i] * ((x[i] - mean) * rstd);
            if (dbias) dbias[i] += dy[i];
        }
    }
}
